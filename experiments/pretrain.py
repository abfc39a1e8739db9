r"""Train the models that experiments need, in several processes at once.

    python -m experiments.pretrain --only=uwgnn_fig3,uwgnn_fig10 --workers=4
    python -m experiments.uwgnn_fig3        # then: every model cached, scored

    # Plan on one machine, train on another (a GPU), bring the cache back:
    python -m experiments.pretrain --only=uwgnn_fig3 --write_plan=plan.json
    python -m experiments.pretrain --plan=plan.json --workers=3 --cpu_workers=4

An experiment trains its models one after another, and one small model
leaves a GPU or a many-core machine mostly idle. This driver first plans:
it runs each experiment's `run` with a planning context whose `train`
records the config and hands back untrained parameters, with every held-out
set cut to 2 networks (nothing is trained, little is scored). Then
`--workers` processes (plus `--cpu_workers` forced onto the CPU, for a GPU
machine's idle cores) train the planned models into the shared cache
(`--workdir`, the experiments' own), each taking the next model no other
worker holds. A killed run resumes like any cached training. Nothing here
changes what a model is: the experiment's own run finds each one cached.
"""

import contextlib
import dataclasses
import fcntl
import functools
import json
import os
import subprocess
import sys
import time

from absl import app
from absl import flags
import jax

from experiments import framework
from experiments import reproduce
from uwgnn_jax import models
from uwgnn_jax.training import config as config_lib

PLANNING_TEST_SIZE = 2  # Networks per held-out set while planning.


@functools.lru_cache(maxsize=None)
def _stand_in_params(model: str, num_users: int, sizes: tuple) -> dict:
  return models.init(model, jax.random.PRNGKey(0), num_users, **dict(sizes))


class PlanningContext(framework.Context):
  """A Context whose `train` records configs instead of training."""

  def __init__(self, *args, **kwargs):
    super().__init__(*args, **kwargs)
    self.planned = []

  def train(self, config: config_lib.TrainConfig) -> framework.Trained:
    if config not in self.planned:
      self.planned.append(config)
    params = _stand_in_params(config.model, config.num_users,
                              tuple(sorted(config.model_sizes.items())))
    return framework.Trained(params, [], {}, config)


@contextlib.contextmanager
def _tiny_held_out_sets():
  real = {name: getattr(framework, name)
          for name in ("scored_set", "validation_set")}

  def tiny(name):
    return lambda test_config, num_layers=3: real[name](dataclasses.replace(
        test_config, test_size=PLANNING_TEST_SIZE), num_layers)

  for name in real:
    setattr(framework, name, tiny(name))
  try:
    yield
  finally:
    for name, function in real.items():
      setattr(framework, name, function)


def plan(experiments, quick: bool, workdir: str, seeds=None,
         users=None) -> list:
  """The TrainConfigs the experiments would train, in their order, without
  repeats."""
  planned = []
  with _tiny_held_out_sets():
    for experiment in experiments:
      ctx = PlanningContext(experiment.name, quick, workdir, seeds,
                            lambda line: None, users,
                            experiment.default_seeds)
      experiment.run(ctx)
      planned += [c for c in ctx.planned if c not in planned]
  return planned


@contextlib.contextmanager
def _claim(path: str):
  """Yields True if this process now holds `path`'s lock (released when the
  body ends or the process dies), False if another process holds it."""
  fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
  try:
    try:
      fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
      yield False
      return
    yield True
  finally:
    os.close(fd)


def train_all(configs, cache_dir: str, log=framework.log_line) -> int:
  """Trains every config no other worker holds and none finished; returns
  how many this process trained."""
  done = 0
  for config in configs:
    run_dir = framework.model_dir(config, cache_dir)
    os.makedirs(os.path.dirname(run_dir), exist_ok=True)
    with _claim(run_dir + ".claim") as mine:
      if not mine or os.path.exists(os.path.join(run_dir, "final.json")):
        continue
      start = time.perf_counter()
      framework.trained(config, cache_dir, log)
      done += 1
      log(f"[pretrain pid {os.getpid()}] {os.path.basename(run_dir)} "
          f"ready ({time.perf_counter() - start:.0f} s)")
  return done


_ONLY = flags.DEFINE_list("only", None, "Experiments whose models to train "
                          "(default: all): " + ", ".join(reproduce.EXPERIMENTS))
_WORKERS = flags.DEFINE_integer("workers", 2, "Training processes.")
_CPU_WORKERS = flags.DEFINE_integer(
    "cpu_workers", 0, "Extra training processes forced onto the CPU "
    "(JAX_PLATFORMS=cpu), for a GPU machine's idle cores.")
_WRITE_PLAN = flags.DEFINE_string(
    "write_plan", None, "Only plan: write the planned configs to this JSON "
    "file and stop.")
_PLAN = flags.DEFINE_string("plan", None, "Train the configs of this "
                            "--write_plan file instead of planning here.")
_WORKER_OF = flags.DEFINE_string("worker_of", None,
                                 "Internal: be a worker of this job file.")


def _read_configs(path: str) -> list:
  with open(path) as f:
    return [config_lib.TrainConfig.from_json(t) for t in json.load(f)]


def _write_configs(path: str, configs) -> None:
  with open(path, "w") as f:
    json.dump([c.to_json() for c in configs], f)


def _spawn(jobs_file: str, workdir: str, on_cpu: bool) -> subprocess.Popen:
  # Workers share one GPU: none may take 75% of its memory up front.
  env = dict({"XLA_PYTHON_CLIENT_PREALLOCATE": "false"}, **os.environ,
             **({"JAX_PLATFORMS": "cpu"} if on_cpu else {}))
  return subprocess.Popen([sys.executable, "-m", "experiments.pretrain",
                           f"--worker_of={jobs_file}", f"--workdir={workdir}"],
                          env=env)


def main(argv):
  del argv  # Unused.
  cache_dir = os.path.join(flags.FLAGS.workdir, "models")
  if _WORKER_OF.value:
    train_all(_read_configs(_WORKER_OF.value), cache_dir)
    return
  if _WORKERS.value < 1 or _CPU_WORKERS.value < 0:
    raise app.UsageError(f"--workers must be >= 1 and --cpu_workers >= 0; "
                         f"got {_WORKERS.value} and {_CPU_WORKERS.value}.")
  chosen = reproduce.selected(_ONLY.value)
  values = framework.checked_flags()
  start = time.perf_counter()
  if _PLAN.value:
    configs = _read_configs(_PLAN.value)
  else:
    configs = plan(chosen, values["quick"], values["workdir"],
                   values["seeds"], values["users"])
  if _WRITE_PLAN.value:
    _write_configs(_WRITE_PLAN.value, configs)
    framework.log_line(f"[pretrain] wrote {len(configs)} configs to "
                       f"{_WRITE_PLAN.value}")
    return
  todo = [c for c in configs if not os.path.exists(os.path.join(
      framework.model_dir(c, cache_dir), "final.json"))]
  framework.log_line(f"[pretrain] {len(configs)} models planned "
                     f"({time.perf_counter() - start:.0f} s), {len(todo)} to "
                     f"train, {_WORKERS.value} + {_CPU_WORKERS.value} (CPU) "
                     "workers")
  if not todo:
    return
  os.makedirs(cache_dir, exist_ok=True)
  jobs_file = os.path.join(cache_dir, f"pretrain-jobs-{os.getpid()}.json")
  _write_configs(jobs_file, todo)
  workers = [_spawn(jobs_file, values["workdir"], on_cpu=i >= _WORKERS.value)
             for i in range(_WORKERS.value + _CPU_WORKERS.value)]
  failed = sum(w.wait() != 0 for w in workers)
  os.remove(jobs_file)
  left = sum(not os.path.exists(os.path.join(
      framework.model_dir(c, cache_dir), "final.json")) for c in todo)
  framework.log_line(f"[pretrain] done in {time.perf_counter() - start:.0f} s;"
                     f" {left} of {len(todo)} models not trained, {failed} "
                     "workers failed")
  if failed or left:
    sys.exit(1)


if __name__ == "__main__":
  framework.define_flags()
  app.run(main)
