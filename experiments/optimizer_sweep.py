r"""Seeds x optimiser settings for a graph model trained at one K.

    python -m experiments.optimizer_sweep --seeds=0,1,2 \
        --learning_rate=3e-3 --lr_schedule=cosine --epochs=30

Each run trains like `experiments.train` and is scored every --eval_every
epochs on validation sets at each of --val_users (--val_size networks each,
keys no training or test set uses), so choosing settings here never looks
at the test sets that README and BUILD_NOTES report. One JSON line per
evaluation goes to stdout (and to --out if given).
"""

import dataclasses

from absl import app
from absl import flags

from uwgnn_jax.training import config as config_lib
from uwgnn_jax.training import evaluation
from experiments import sweep_runner

_MODEL = flags.DEFINE_enum("model", "uwgnn", ["uwgnn", "wcgcn"], "Model.")
_USERS = flags.DEFINE_integer("users", 20, "Training K.")
_SEEDS = flags.DEFINE_list("seeds", ["0", "1", "2"], "Training seeds.")
_LEARNING_RATE = flags.DEFINE_float("learning_rate", 3e-3, "Adam rate.")
_LR_SCHEDULE = flags.DEFINE_enum("lr_schedule", "cosine",
                                 config_lib.LR_SCHEDULES, "Schedule.")
_EPOCHS = flags.DEFINE_integer("epochs", 30, "Epochs per run.")
_EVAL_EVERY = flags.DEFINE_integer("eval_every", 10, "Epochs between scores.")
_VAL_USERS = flags.DEFINE_list("val_users", ["20", "50", "100"],
                               "K of each validation set.")
_VAL_SIZE = flags.DEFINE_integer("val_size", 500, "Networks per val set.")
_OUT = flags.DEFINE_string("out", None, "Also append the JSON lines here.")


def main(argv):
  del argv  # Unused.
  base = config_lib.TrainConfig(
      model=_MODEL.value, num_users=_USERS.value, epochs=_EPOCHS.value,
      learning_rate=_LEARNING_RATE.value, lr_schedule=_LR_SCHEDULE.value)
  sets = evaluation.validation_sets(base, [int(k) for k in _VAL_USERS.value],
                               _VAL_SIZE.value, evaluation.num_layers_of(base))

  def emit(line):
    print(line, flush=True)
    if _OUT.value:
      with open(_OUT.value, "a") as f:
        f.write(line + "\n")

  for seed in map(int, _SEEDS.value):
    sweep_runner.train_and_score(dataclasses.replace(base, seed=seed), sets,
                                 _EVAL_EVERY.value, emit)


if __name__ == "__main__":
  app.run(main)
