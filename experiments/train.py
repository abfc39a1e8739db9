r"""Train and evaluate a learned power allocator.

    python -m experiments.train --model=uwgnn --users=20
    python -m experiments.train --model=uwmmse --channel=geometric --epochs=20
    python -m experiments.train --model=uwgnn --workdir=/tmp/run --eval_only

Rerunning with the same --workdir resumes from the last checkpoint.
"""

import json
import os
import time

from absl import app
from absl import flags

from uwgnn_jax import models
from uwgnn_jax import params_io
from uwgnn_jax import units
from uwgnn_jax.training import config as config_lib
from uwgnn_jax.training import train

_DEFAULTS = config_lib.TrainConfig()

_MODEL = flags.DEFINE_enum("model", _DEFAULTS.model, sorted(models.MODELS),
                           "Model to train.")
_USERS = flags.DEFINE_integer("users", _DEFAULTS.num_users,
                              "Number of D2D pairs K.")
_CHANNEL = flags.DEFINE_enum("channel", _DEFAULTS.channel, config_lib.CHANNELS,
                             "Channel model (DESIGN.md section 3).")
_NOISE_VAR = flags.DEFINE_float(
    "noise_var", None, "sigma^2; default 0.1 (Gaussian models) or 6.76e-10 "
    "(geometric).")
_SNR_DB = flags.DEFINE_float("snr_db", None,
                             "SNR p_max / sigma^2 in dB (instead of "
                             "--noise_var).")
_P_MAX = flags.DEFINE_float("p_max", _DEFAULTS.p_max, "Power budget.")
_WEIGHTED = flags.DEFINE_bool("weighted", _DEFAULTS.weighted,
                              "Rate weights alpha ~ U(0, 1).")
_TRAIN_SIZE = flags.DEFINE_integer("train_size", _DEFAULTS.train_size,
                                   "Training networks.")
_TEST_SIZE = flags.DEFINE_integer("test_size", _DEFAULTS.test_size,
                                  "Held-out test networks.")
_EPOCHS = flags.DEFINE_integer("epochs", _DEFAULTS.epochs, "Epochs.")
_BATCH_SIZE = flags.DEFINE_integer("batch_size", _DEFAULTS.batch_size,
                                   "Batch size.")
_LEARNING_RATE = flags.DEFINE_float(
    "learning_rate", None, "Adam learning rate; default "
    f"{config_lib.DEFAULT_LEARNING_RATE:g} ({config_lib.DEFAULT_LEARNING_RATES}"
    " for those models).")
_LR_SCHEDULE = flags.DEFINE_enum(
    "lr_schedule", _DEFAULTS.lr_schedule, config_lib.LR_SCHEDULES,
    "Learning-rate schedule; cosine decays to 0 over --epochs.")
_SEED = flags.DEFINE_integer("seed", _DEFAULTS.seed, "Seed of all randomness.")
_VARIANCE = flags.DEFINE_float("variance", _DEFAULTS.variance,
                               "Rayleigh/Rician variance s^2.")
_RICIAN_MEAN = flags.DEFINE_float("rician_mean", _DEFAULTS.rician_mean,
                                  "Rician line-of-sight mean.")
_DROP_PROB = flags.DEFINE_float("drop_prob", _DEFAULTS.drop_prob,
                                "Sparse: P(interference link removed).")
_SPEED = flags.DEFINE_float("speed", _DEFAULTS.speed, "Mobility: m/s.")
_DENSITY = flags.DEFINE_float("density", _DEFAULTS.density,
                              "Geometric density factor d.")
_FIXED_LAYOUT = flags.DEFINE_bool("fixed_layout", _DEFAULTS.fixed_layout,
                                  "Geometric: one layout for train and test.")
_WORKDIR = flags.DEFINE_string("workdir", None,
                               "Checkpoints, config and history; resumes.")
_EVAL_ONLY = flags.DEFINE_bool("eval_only", False,
                               "Restore --workdir's checkpoint and evaluate.")
_EXPORT = flags.DEFINE_string("export_params", None,
                              "Also save the final params (msgpack) here.")


def config_from_flags() -> config_lib.TrainConfig:
  if _NOISE_VAR.value is not None and _SNR_DB.value is not None:
    raise app.UsageError("Pass --noise_var or --snr_db, not both.")
  noise_var = _NOISE_VAR.value
  if _SNR_DB.value is not None:
    noise_var = units.snr_db_to_noise_var(_SNR_DB.value, _P_MAX.value)
  return config_lib.TrainConfig(
      model=_MODEL.value, num_users=_USERS.value, channel=_CHANNEL.value,
      noise_var=noise_var, p_max=_P_MAX.value, weighted=_WEIGHTED.value,
      train_size=_TRAIN_SIZE.value, test_size=_TEST_SIZE.value,
      epochs=_EPOCHS.value, batch_size=_BATCH_SIZE.value,
      learning_rate=_LEARNING_RATE.value,
      lr_schedule=_LR_SCHEDULE.value, seed=_SEED.value,
      variance=_VARIANCE.value, rician_mean=_RICIAN_MEAN.value,
      drop_prob=_DROP_PROB.value, speed=_SPEED.value, density=_DENSITY.value,
      fixed_layout=_FIXED_LAYOUT.value)


def main(argv):
  del argv  # Unused.
  try:
    config = config_from_flags()
  except ValueError as e:
    raise app.UsageError(str(e)) from e
  start = time.perf_counter()
  print(f"{config.model}: K = {config.num_users}, {config.channel}, "
        f"sigma^2 = {config.effective_noise_var:g}, "
        f"{'weighted' if config.weighted else 'unweighted'}, "
        f"{config.train_size} train / {config.test_size} test networks",
        flush=True)
  state, result = train.train_and_evaluate(
      config, _WORKDIR.value, eval_only=_EVAL_ONLY.value,
      log=lambda line: print(line, flush=True))
  seconds = time.perf_counter() - start
  row = result.row()
  print(f"\n{'allocator':<22}{'bit/s/Hz':>10}{'% of WMMSE':>12}")
  print(f"{config.model + ' (' + str(models.num_params(state.params)) + ' params)':<22}"
        f"{result.model_rate:>10.3f}{row['percent_of_wmmse']:>12.2f}")
  print(f"{'WMMSE-' + str(config.wmmse_iters):<22}{result.wmmse_rate:>10.3f}"
        f"{100.0:>12.2f}")
  print(f"{'Tr-WMMSE-' + str(models.num_layers(state.params)):<22}"
        f"{result.truncated_wmmse_rate:>10.3f}"
        f"{row['truncated_wmmse_percent']:>12.2f}")
  print(f"{'full power':<22}{result.full_power_rate:>10.3f}"
        f"{row['full_power_percent']:>12.2f}")
  print(f"total time {seconds:.1f} s")
  if _EXPORT.value:
    params_io.save_params(_EXPORT.value, state.params)
    info = dict(config=json.loads(config.to_json()), test=row,
                num_params=models.num_params(state.params))
    params_io.write_atomically(
        os.path.splitext(_EXPORT.value)[0] + ".json",
        (json.dumps(info, indent=2, sort_keys=True) + "\n").encode())
    print(f"exported params to {_EXPORT.value}")


if __name__ == "__main__":
  app.run(main)
