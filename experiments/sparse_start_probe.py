r"""Why training on sparse networks stalls at full power (UWGNN Fig. 7c).

    python -m experiments.sparse_start_probe

UWGNN and WCGCN start with their power head's output layer at zero, so
every user starts at p = 1/2 (`layers.TwoLayerMLP(zero_output=True)`). On
sparse networks (K = 10, each interference link dropped with probability
0.6, 10 dB) Fig. 7c's models then raised every power alike and stalled at
full power. This trains each model from that start and from a random
output layer (normal, std `scale` / sqrt(fan-in)), the rest of the
initialisation unchanged, for the same steps on the same networks, and
scores both on held-out sparse networks. Writes
results/sparse_start_probe/results.json.
"""

import dataclasses
import itertools
import time

from absl import app
from absl import flags
import jax

from uwgnn_jax import models
from uwgnn_jax.training import config as config_lib
from uwgnn_jax.training import data
from uwgnn_jax.training import evaluation
from uwgnn_jax.training import train

from experiments import results_io

_MODELS = flags.DEFINE_list("models", ["uwgnn", "wcgcn"], "Models.")
_SCALES = flags.DEFINE_list("scales", ["0", "1"],
                            "Output-layer init scales (0: the default).")
_STEPS = flags.DEFINE_integer("steps", 320, "Adam steps of batch 64.")
_SEEDS = flags.DEFINE_list("seeds", ["0"], "Run seeds: each initialises the "
                           "model (TrainConfig.seed) and draws the random "
                           "output layer (PRNGKey(3 + seed)).")
_SCORED_AT = flags.DEFINE_list("scored_at", ["32", "96"], "Steps after which "
                               "the held-out networks are scored as well as "
                               "after the last.")
_TRAIN_SIZE = flags.DEFINE_integer("train_size", 2048, "Training networks.")
_TEST_SIZE = flags.DEFINE_integer("test_size", 500, "Held-out networks.")
_USERS = flags.DEFINE_integer("users", 10, "K.")
_CHANNEL = flags.DEFINE_string("channel", "sparse", "Training and test "
                               "channel (TrainConfig.channel).")
_DROP_PROB = flags.DEFINE_float("drop_prob", 0.6, "Sparse channels' drop "
                                "probability.")
_SNR_DB = flags.DEFINE_float("snr_db", 10.0, "p_max / sigma^2 in dB.")
_OUT_DIR = flags.DEFINE_string("out_dir", "results/sparse_start_probe",
                               "Output folder.")

def main(argv):
  del argv  # Unused.
  start = time.perf_counter()
  rows = []
  for name in _MODELS.value:
    config = config_lib.TrainConfig(
        model=name, num_users=_USERS.value, channel=_CHANNEL.value,
        drop_prob=_DROP_PROB.value, noise_var=10.0 ** (-_SNR_DB.value / 10))
    train_set = data.make_dataset(jax.random.PRNGKey(0), config,
                                  _TRAIN_SIZE.value)
    test_set = data.make_dataset(jax.random.PRNGKey(1), config,
                                 _TEST_SIZE.value)
    references = evaluation.reference_rates(test_set, 3, 100)
    step = train.make_train_step(config)
    scored_at = {int(s) for s in _SCORED_AT.value} | {_STEPS.value}
    for scale, seed in itertools.product(map(float, _SCALES.value),
                                         map(int, _SEEDS.value)):
      state = train.init_state(dataclasses.replace(config, seed=seed))
      state = state._replace(params=models.with_random_power_head(
          state.params, jax.random.PRNGKey(3 + seed), scale))
      batches = _TRAIN_SIZE.value // config.batch_size
      percent_after = {}
      for i in range(_STEPS.value):
        j = (i % batches) * config.batch_size
        state, _ = step(state, train_set.H[j:j + config.batch_size],
                        train_set.weights[j:j + config.batch_size], None)
        if i + 1 in scored_at:
          percent_after[i + 1] = evaluation.evaluate(
              state.params, test_set, references).percent_of_wmmse
      result = evaluation.evaluate(state.params, test_set, references)
      powers = evaluation.model_powers(state.params, test_set.H,
                                       test_set.weights)
      rows.append(dict(model=name, scale=scale, seed=seed,
                       percent_of_wmmse=result.percent_of_wmmse,
                       percent_after_steps=percent_after,
                       mean_power=float(powers.mean()),
                       full_power_percent=result.row()["full_power_percent"]))
      print(rows[-1], flush=True)
  path = results_io.write(
      _OUT_DIR.value, dict(models=_MODELS.value, scales=_SCALES.value,
                           users=_USERS.value, channel=_CHANNEL.value,
                           drop_prob=_DROP_PROB.value, snr_db=_SNR_DB.value,
                           steps=_STEPS.value, seeds=_SEEDS.value,
                           train_size=_TRAIN_SIZE.value,
                           test_size=_TEST_SIZE.value),
      dict(rows=rows), time.perf_counter() - start)
  print(f"wrote {path}")


if __name__ == "__main__":
  app.run(main)
