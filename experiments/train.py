r"""Train and evaluate a learned power allocator.

    python -m experiments.train --model=uwgnn --users=20
    python -m experiments.train --model=uwmmse --channel=geometric --epochs=20
    python -m experiments.train --model=uwgnn --workdir=/tmp/run --eval_only

Rerunning with the same --workdir resumes from the last checkpoint.
Training is data parallel over every device JAX sees (e.g. the GPUs of a
host, or XLA_FLAGS=--xla_force_host_platform_device_count=4 on a CPU).
Several processes, on one host or many, train as one run with
jax.distributed; start one per process, all with the same flags:

    python -m experiments.train --coordinator_address=host0:12345 \
        --num_processes=2 --process_id=0 --workdir=/shared/run  # (and =1)
"""

import dataclasses
import json
import sys
import time
from typing import Optional

from absl import app
from absl import flags
import jax

from uwgnn_jax import models
from uwgnn_jax import params_io
from uwgnn_jax import units
from uwgnn_jax.training import config as config_lib
from uwgnn_jax.training import parallel
from uwgnn_jax.training import train
from uwgnn_jax.training import workdir as workdir_lib

# One flag per TrainConfig field, generated below; these are renamed.
_FLAG_NAMES = {"num_users": "users", "num_users_min": "users_min"}
_CHOICES = {"model": sorted(models.MODELS), "channel": config_lib.CHANNELS,
            "lr_schedule": config_lib.LR_SCHEDULES,
            "head_init": config_lib.HEAD_INITS}
_HELP = {
    "model": "Model to train.",
    "num_users": "Number of D2D pairs K.",
    "channel": "Channel model (docs/DESIGN.md section 3).",
    "noise_var": "sigma^2; default 0.1 (Gaussian models) or 6.76e-10 "
                 "(geometric).",
    "p_max": "Power budget.",
    "weighted": "Rate weights alpha ~ U(0, 1).",
    "train_size": "Training networks.",
    "test_size": "Held-out test networks.",
    "epochs": "Epochs.",
    "batch_size": "Batch size.",
    "learning_rate": "Adam learning rate; default "
                     f"{config_lib.DEFAULT_LEARNING_RATE:g} "
                     f"({config_lib.DEFAULT_LEARNING_RATES} for those models).",
    "lr_schedule": "Learning-rate schedule; cosine decays to 0 over --epochs.",
    "grad_clip_norm": "Global-norm gradient clipping.",
    "seed": "Seed of all randomness.",
    "wmmse_iters": "Iterations of the WMMSE reference (and MLP labels).",
    "variance": "Rayleigh/Rician variance s^2.",
    "rician_mean": "Rician line-of-sight mean.",
    "drop_prob": "Sparse: P(interference link removed).",
    "speed": "Mobility: m/s.",
    "elapsed_time": "Mobility: s between the two snapshots.",
    "density": "Geometric density factor d.",
    "density_max": "Geometric, random layouts: each network's d uniform in "
                   "[--density, --density_max] (Ro-UWMMSE).",
    "fixed_layout": "Geometric: one layout for train and test.",
    "snr_db_min": "Train over SNRs: lowest p_max / sigma^2 (dB) of the "
                  "training networks (with --snr_db_max).",
    "snr_db_max": "Train over SNRs: highest SNR (dB).",
    "message_dim": "UWGNN message width (default 16).",
    "intermediate_dim": "UWGNN intermediate-variable width (default 4).",
    "num_layers": "Unrolled depth of uwgnn, wcgcn, igcnet (default 3) or "
                  "uwmmse (default 4).",
    "num_users_min": "Mixed sizes: each training network has K uniform in "
                     "[--users_min, --users], zero-padded to --users.",
    "layout_users": "Geometric fixed layout drawn at this many pairs, then "
                    "resized to --users (pairs kept or added).",
    "top_k": "Graph models train and are scored on each receiver's top_k "
             "strongest interferers (what allocate(..., top_k=) runs).",
    "init_params": "Start from trained weights (fine-tune): a params "
                   ".msgpack from --export_params or a shipped name "
                   "(uwgnn); same model and sizes, shared layers unrolled "
                   "to --num_layers.",
    "head_init": "The power head's output layer at the start: zero (every "
                 "user at p_max / 2) or random (breaks the uniform start "
                 "that can stall at full power; BUILD_NOTES.md).",
    "relative_loss": "Loss -mean(WSR / WSR of WMMSE) per training network "
                     "(unsupervised models), so every SNR weighs alike.",
}


def _define_config_flags() -> dict:
  """{field name: flag holder} for every TrainConfig field."""
  defaults = config_lib.TrainConfig()
  holders = {}
  for field in dataclasses.fields(config_lib.TrainConfig):
    name, flag = field.name, _FLAG_NAMES.get(field.name, field.name)
    default = getattr(defaults, name)
    if name == "learning_rate" or field.type == Optional[float]:
      default, define = None, flags.DEFINE_float
    elif field.type == Optional[int]:
      define = flags.DEFINE_integer
    elif field.type == Optional[str]:
      define = flags.DEFINE_string
    elif name in _CHOICES:
      holders[name] = flags.DEFINE_enum(flag, default, _CHOICES[name],
                                        _HELP[name])
      continue
    else:
      define = {bool: flags.DEFINE_bool, int: flags.DEFINE_integer,
                float: flags.DEFINE_float, str: flags.DEFINE_string}[
                    field.type]
    holders[name] = define(flag, default, _HELP[name])
  return holders


_CONFIG_FLAGS = _define_config_flags()
_SNR_DB = flags.DEFINE_float("snr_db", None,
                             "SNR p_max / sigma^2 in dB (instead of "
                             "--noise_var).")
_WORKDIR = flags.DEFINE_string("workdir", None,
                               "Checkpoints, config and history; resumes.")
_EVAL_ONLY = flags.DEFINE_bool("eval_only", False,
                               "Restore --workdir's checkpoint and evaluate.")
_EXPORT = flags.DEFINE_string("export_params", None,
                              "Also save the final params (msgpack) here.")
_COORDINATOR = flags.DEFINE_string(
    "coordinator_address", None,
    "jax.distributed: host:port of process 0's coordinator (with "
    "--num_processes and --process_id); every process's devices train as "
    "one data-parallel run.")
_NUM_PROCESSES = flags.DEFINE_integer("num_processes", None,
                                      "jax.distributed: processes in all.")
_PROCESS_ID = flags.DEFINE_integer("process_id", None,
                                   "jax.distributed: this process, from 0.")


def config_from_flags() -> config_lib.TrainConfig:
  values = {name: holder.value for name, holder in _CONFIG_FLAGS.items()}
  if values["noise_var"] is not None and _SNR_DB.value is not None:
    raise ValueError("Pass --noise_var or --snr_db, not both.")
  if _SNR_DB.value is not None:
    values["noise_var"] = units.snr_db_to_noise_var(_SNR_DB.value,
                                                    values["p_max"])
  return config_lib.TrainConfig(**values)


def main(argv):
  del argv  # Unused.
  try:
    config = config_from_flags()
    if _EXPORT.value:
      workdir_lib.check_writable_file(_EXPORT.value, "--export_params")
    distributed = parallel.check_distributed_flags(
        _COORDINATOR.value, _NUM_PROCESSES.value, _PROCESS_ID.value)
  except ValueError as e:
    raise app.UsageError(str(e)) from e
  if distributed:
    parallel.initialize_distributed(_COORDINATOR.value, _NUM_PROCESSES.value,
                                    _PROCESS_ID.value)
  if not _EVAL_ONLY.value:
    try:
      parallel.check_batch_size(config.batch_size, parallel.data_mesh())
    except ValueError as e:
      raise app.UsageError(str(e)) from e
  if jax.process_index() != 0:  # Process 0 reports and exports.
    train.train_and_evaluate(config, _WORKDIR.value, eval_only=_EVAL_ONLY.value)
    return
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
    params_io.export_params(
        _EXPORT.value, state.params,
        dict(config=json.loads(config.to_json()), test=row,
             num_params=models.num_params(state.params),
             command=" ".join(["python -m experiments.train"] +
                              sys.argv[1:]),
             trained_on=dict(device=jax.devices()[0].device_kind,
                             devices=jax.device_count(),
                             processes=jax.process_count(),
                             jax_version=jax.__version__,
                             seconds=round(seconds, 1))))
    print(f"exported params to {_EXPORT.value}")


if __name__ == "__main__":
  app.run(main)
