r"""What every paper reproduction shares: flags, a trained-model cache,
scoring on shared held-out sets, progress lines, results.json and plots.

An experiment is a module under `experiments/` that defines an
`EXPERIMENT = framework.Experiment(...)` and ends with
`framework.main(EXPERIMENT)`; it runs alone
(`python -m experiments.uwgnn_fig5 --quick`) or with the others
(`python -m experiments.reproduce --quick --only=uwgnn_fig5`).

Trained models are cached by their full `TrainConfig` under
`<workdir>/models/<model>-K<K>-<hash>/`: experiments that share a model
train it once, and a killed run resumes from the model's last checkpoint
(the training workdir's own lock and checksums apply).
"""

import dataclasses
import hashlib
import json
import os
import time
from typing import Callable, Iterable, NamedTuple, Optional, Sequence

from absl import app
from absl import flags
import jax
import numpy as np

from uwgnn_jax import models
from uwgnn_jax import params_io
from uwgnn_jax.training import checkpoints
from uwgnn_jax.training import config as config_lib
from uwgnn_jax.training import evaluation
from uwgnn_jax.training import train
from uwgnn_jax.training import workdir as workdir_lib

from experiments import results_io

_FLAGS = {}


def define_flags() -> dict:
  """The flags every experiment takes, defined once on first call (not at
  import, so that importing an experiment defines no flags)."""
  if not _FLAGS:
    _FLAGS.update(
        quick=flags.DEFINE_bool(
            "quick", False,
            "Tiny sizes (seconds, for tests); numbers mean nothing."),
        workdir=flags.DEFINE_string(
            "workdir", "workdirs/reproduce",
            "Trained-model cache shared by the experiments (resumable)."),
        results_dir=flags.DEFINE_string(
            "results_dir", "results",
            "results/<experiment>/ gets results.json and the plots."),
        seeds=flags.DEFINE_integer(
            "seeds", None, "Seeds per point where an experiment averages "
            "over seeds (default: the experiment's own)."),
        replot=flags.DEFINE_bool(
            "replot", False, "Redraw the plots from the results.json an "
            "earlier run wrote; nothing is trained or scored."),
        users=flags.DEFINE_list(
            "users", None, "Only these of the paper's K, in experiments that "
            "train at several K (Table I, Fig. 10); default: all."))
  return _FLAGS


@dataclasses.dataclass(frozen=True)
class Sizes:
  """How big a run is: the paper's setting, or the tiny `--quick` one."""
  train_size: int
  test_size: int
  epochs: int
  batch_size: int
  num_users: Callable[[int], int]  # The paper's K -> the K this run uses.
  seeds: int  # Default seeds where an experiment averages over seeds.


FULL = Sizes(train_size=10_000, test_size=2_000, epochs=30, batch_size=64,
             num_users=lambda k: k, seeds=5)
# Every quick run trains at K = 5 on 64 networks with a constant rate: the
# test suite's own tiny config (tests/conftest.py TINY), so that the quick
# runs share compiled programs with each other and with the suite's.
QUICK = Sizes(train_size=64, test_size=32, epochs=2, batch_size=16,
              num_users=lambda k: 5, seeds=1)
QUICK_OPTIMIZER = dict(learning_rate=3e-3, lr_schedule="constant")


class Trained(NamedTuple):
  """A cached trained model: params, per-epoch history, its own test row,
  and the cache directory it lives in."""
  params: dict
  history: list
  test: dict
  config: config_lib.TrainConfig
  run_dir: Optional[str] = None


def log_line(line: str) -> None:
  """Print and flush, so that a run logging to a file shows its progress."""
  print(line, flush=True)


class Progress:
  """One line per unit of work: done / total, elapsed and time left."""

  def __init__(self, name: str, total: int,
               log: Callable[[str], None] = log_line):
    self._name, self._total, self._log = name, max(total, 1), log
    self._done, self._start = 0, time.perf_counter()

  def step(self, what: str) -> None:
    self._done += 1
    elapsed = time.perf_counter() - self._start
    left = elapsed / self._done * (self._total - self._done)
    self._log(f"[{self._name}] {self._done}/{self._total} {what}  "
              f"({elapsed:.0f} s elapsed, ~{left:.0f} s left)")


class Context:
  """What an experiment's `run` gets: sizes, the model cache, scoring."""

  def __init__(self, name: str, quick: bool, workdir: str,
               seeds: Optional[int] = None,
               log: Callable[[str], None] = log_line,
               users: Optional[Sequence[int]] = None,
               default_seeds: Optional[int] = None):
    self.name, self.quick, self.workdir, self.log = name, quick, workdir, log
    self.sizes = QUICK if quick else FULL
    # --seeds, else the experiment's own default (full runs), else Sizes'.
    if seeds is None:
      seeds = self.sizes.seeds if quick or default_seeds is None else (
          default_seeds)
    self.seeds = seeds
    self._users = users
    # {cache directory name: provenance} of every model `train` handed out.
    self.models_used = {}

  def paper_users(self, users: Sequence[int]) -> tuple:
    """The experiment's K values, restricted by --users if given."""
    if not self._users:
      return tuple(users)
    return tuple(k for k in users if k in self._users)

  def config(self, **overrides) -> config_lib.TrainConfig:
    """A TrainConfig at this run's sizes (K given as the paper's K)."""
    overrides.setdefault("num_users", 20)
    overrides["num_users"] = self.sizes.num_users(overrides["num_users"])
    values = dict(train_size=self.sizes.train_size,
                  test_size=self.sizes.test_size, epochs=self.sizes.epochs,
                  batch_size=self.sizes.batch_size)
    values.update(overrides)
    if self.quick:  # Tiny whatever the experiment asks.
      for name in ("train_size", "test_size", "epochs", "batch_size"):
        values[name] = min(values[name], getattr(self.sizes, name))
      if values.get("model") != "mlp":  # 3e-3 kills the MLP's relu6 output.
        values.update(QUICK_OPTIMIZER)
    return config_lib.TrainConfig(**values)

  def progress(self, total: int) -> Progress:
    return Progress(self.name, total, self.log)

  def train(self, config: config_lib.TrainConfig) -> Trained:
    """The model config trains (cached), recorded in `models_used`."""
    result = trained(config, os.path.join(self.workdir, "models"), self.log)
    self.models_used[os.path.basename(result.run_dir)] = provenance(
        result.run_dir)
    return result


def model_signature(config: config_lib.TrainConfig) -> str:
  """Every parameter's path, shape and dtype of the model `config` builds:
  a change to a model's structure changes the cache key."""
  params = jax.eval_shape(lambda: models.init(
      config.model, jax.random.PRNGKey(0), config.num_users,
      **config.model_sizes))
  return json.dumps(sorted(
      (jax.tree_util.keystr(path), list(leaf.shape), str(leaf.dtype))
      for path, leaf in jax.tree_util.tree_flatten_with_path(params)[0]))


# Bump when training or scoring code changes what a cached model would be.
CACHE_VERSION = 2  # 2: gain features floored at H^2 = 0.1.


# TrainConfig fields added after CACHE_VERSION 2's models were trained:
# left out of the key while at their default, so those models stay cached.
FIELDS_ADDED_SINCE_VERSION = {"num_users_min": None, "layout_users": None,
                              "top_k": None, "head_init": "zero",
                              "init_params": None}


def config_hash(config: config_lib.TrainConfig) -> str:
  """The cache key: the full config (less FIELDS_ADDED_SINCE_VERSION at
  their defaults), the model's structure and CACHE_VERSION."""
  fields = json.loads(config.to_json())
  for name, default in FIELDS_ADDED_SINCE_VERSION.items():
    if fields[name] == default:
      del fields[name]
  keyed = json.dumps(fields, indent=2, sort_keys=True)
  text = f"{CACHE_VERSION}\n{keyed}\n{model_signature(config)}"
  return hashlib.sha256(text.encode()).hexdigest()[:12]


def model_dir(config: config_lib.TrainConfig, cache_dir: str) -> str:
  return os.path.join(cache_dir, f"{config.model}-K{config.num_users}-"
                      f"{config_hash(config)}")


def trained(config: config_lib.TrainConfig, cache_dir: str,
            log: Callable[[str], None] = log_line) -> Trained:
  """The model `config` trains, from the cache or trained (resuming) now."""
  run_dir = model_dir(config, cache_dir)
  final = os.path.join(run_dir, "final.msgpack")
  done = os.path.splitext(final)[0] + ".json"  # Written last: the marker.
  if os.path.exists(done):
    with open(done) as f:
      info = json.load(f)
    params = params_io.load_params(final, config.model)
    models.check_params(params)
    return Trained(params, info["history"], info["test"], config, run_dir)
  os.makedirs(run_dir, exist_ok=True)
  start = time.perf_counter()
  every = max(1, config.epochs // 5)
  state, result = train.train_and_evaluate(
      config, run_dir, log=train.warnings_only(
          lambda line: log(f"  {config.model} K={config.num_users}: {line}")),
      on_epoch=lambda epoch, state, loss: (
          epoch % every == 0 and log(f"  {config.model} K={config.num_users}"
                                     f" epoch {epoch}/{config.epochs}")))
  with open(os.path.join(run_dir, train.HISTORY)) as f:
    history = [json.loads(line) for line in f if line.strip()]
  info = dict(config=json.loads(config.to_json()), history=history,
              test=result.row(), seconds=time.perf_counter() - start,
              trained_on=results_io.device_description())
  params_io.export_params(final, state.params, info)
  return Trained(state.params, history, result.row(), config, run_dir)


def provenance(run_dir: str) -> dict:
  """What identifies a cached model: its parameter file's SHA-256 and the
  device it was trained on (a cache shared between machines can hold a
  retraining of the same config)."""
  with open(os.path.join(run_dir, "final.json")) as f:
    trained_on = json.load(f).get("trained_on")
  return dict(sha256=checkpoints.file_sha256(
      os.path.join(run_dir, "final.msgpack")), trained_on=trained_on)


def initial_params(config: config_lib.TrainConfig) -> dict:
  """The parameters `config`'s run starts from (epoch 0)."""
  return train.init_state(config).params


def scored_set(test_config: config_lib.TrainConfig,
               num_layers: int = 3) -> tuple:
  """(dataset, references) drawn with the config's test key; the references
  (WMMSE-100, Tr-WMMSE, full power) are computed once and shared by every
  model scored on the set."""
  return evaluation.held_out_sets(
      test_config, [test_config.num_users], test_config.test_size,
      num_layers)[test_config.num_users]


def validation_set(config: config_lib.TrainConfig,
                   num_layers: int = 3) -> tuple:
  """(dataset, references) like `scored_set`, from config's training
  distribution on keys no training or test set uses: for choosing among
  trained models without looking at any test set."""
  return evaluation.validation_sets(config, [config.num_users],
                                    config.test_size, num_layers)[
                                        config.num_users]


def percent(params, scored: tuple) -> float:
  """% of WMMSE-100 of params on one `scored_set`."""
  dataset, references = scored
  return evaluation.evaluate(params, dataset, references).percent_of_wmmse


def rounded_percent(params, scored: tuple) -> float:
  """% of WMMSE-100 of params' powers rounded to 0 or p_max
  (`evaluation.rounded_network_rates`) on one `scored_set`."""
  dataset, references = scored
  return 100.0 * float(np.mean(evaluation.rounded_network_rates(
      params, dataset))) / references["wmmse_rate"]


def references_percent(scored: tuple) -> dict:
  """Tr-WMMSE and full power as % of WMMSE-100 on one `scored_set`."""
  _, references = scored
  wmmse = references["wmmse_rate"]
  return dict(truncated_wmmse=100.0 * references["truncated_wmmse_rate"] /
              wmmse, full_power=100.0 * references["full_power_rate"] / wmmse,
              wmmse_rate=wmmse)


def shift_rows(trained: dict, grid: Iterable, test_config_at: Callable,
               x_name: str, progress: Progress, num_layers: int = 3) -> list:
  """One row per test point x: every trained model's % of WMMSE-100 (and
  Tr-WMMSE-`num_layers`'s and full power's) on x's held-out set,
  test_config_at(x). A model given as a list of parameter trees (one per
  seed, `trained_seeds`) gets their mean, with `<name>_seeds` (the
  mean_and_std of the seeds' values) beside it."""
  rows = []
  for x in grid:
    scored = scored_set(test_config_at(x), num_layers)
    row = {x_name: x, **references_percent(scored)}
    for name, params in trained.items():
      if isinstance(params, list):
        put_seeds(row, name, [percent(p, scored) for p in params])
      else:
        row[name] = percent(params, scored)
    rows.append(row)
    progress.step(f"{x_name} = {x}: " + ", ".join(
        f"{name} {row[name]:.1f}%" for name in trained))
  return rows


def trained_seeds(ctx: "Context", config: config_lib.TrainConfig,
                  seeds: int) -> list:
  """The params of `config` trained at seeds 0 .. seeds - 1 (each cached)."""
  return [ctx.train(dataclasses.replace(config, seed=seed)).params
          for seed in range(seeds)]


def put_seeds(row: dict, name: str, values: list) -> None:
  """row[name]: the mean of one model's per-seed values; row[<name>_seeds]:
  their mean_and_std (what results_markdown and the plots read)."""
  row[f"{name}_seeds"] = mean_and_std(values)
  row[name] = row[f"{name}_seeds"]["mean"]


def mean_and_std(values: list) -> dict:
  """Mean, sample standard deviation and median of `values`."""
  n = len(values)
  mean = sum(values) / n
  var = sum((v - mean) ** 2 for v in values) / max(n - 1, 1)
  ordered = sorted(values)
  median = (ordered[(n - 1) // 2] + ordered[n // 2]) / 2
  return dict(mean=mean, std=var ** 0.5, median=median, n=n, values=values)


@dataclasses.dataclass(frozen=True)
class Experiment:
  """One table or figure.

  run(ctx) -> (config dict, results dict); plot(results, out_dir) -> the
  paths of the figures it wrote.
  """
  name: str
  title: str
  run: Callable[[Context], tuple]
  plot: Callable[[dict, str], list]
  # Seeds of a full run without --seeds (None: FULL.seeds).
  default_seeds: Optional[int] = None


def run_experiment(experiment: Experiment, quick: bool, workdir: str,
                   results_dir: str, seeds: Optional[int] = None,
                   log: Callable[[str], None] = log_line,
                   users: Optional[Sequence[int]] = None) -> str:
  """Runs one experiment; writes results.json and its plots. Returns the
  results directory."""
  start = time.perf_counter()
  code = results_io.code_version()
  ctx = Context(experiment.name, quick, workdir, seeds, log, users,
                experiment.default_seeds)
  log(f"[{experiment.name}] {experiment.title}"
      f"{' (quick)' if quick else ''}")
  config, results = experiment.run(ctx)
  out_dir = os.path.join(results_dir, experiment.name)
  config = dict(config, quick=quick, seeds=ctx.seeds,
                users_flag=list(users) if users else None)
  path = results_io.write(out_dir, config, results,
                          time.perf_counter() - start, code,
                          models=ctx.models_used)
  plots = experiment.plot(results, out_dir)
  log(f"[{experiment.name}] wrote {path} and {', '.join(plots)} "
      f"in {time.perf_counter() - start:.0f} s")
  return out_dir


def checked_flags() -> dict:
  """The shared flags' values, checked (directories made and proven
  writable) before any experiment starts."""
  values = {name: holder.value for name, holder in define_flags().items()}
  if values["seeds"] is not None and values["seeds"] < 1:
    raise app.UsageError(f"--seeds must be >= 1; got {values['seeds']}.")
  try:
    values["users"] = [int(k) for k in values["users"] or []]
  except ValueError as e:
    raise app.UsageError(f"--users must be integers; got "
                         f"{values['users']}.") from e
  for name in ("workdir", "results_dir"):
    try:
      os.makedirs(values[name], exist_ok=True)
      workdir_lib.check_writable_file(
          os.path.join(values[name], ".write-probe"), name)
    except (OSError, ValueError) as e:
      raise app.UsageError(f"--{name}={values[name]!r} is not a writable "
                           f"directory: {e}") from e
  return values


def replot(experiment: Experiment, results_dir: str,
           log: Callable[[str], None] = log_line) -> list:
  """Redraws an experiment's plots from its results.json."""
  out_dir = os.path.join(results_dir, experiment.name)
  with open(os.path.join(out_dir, "results.json")) as f:
    results = json.load(f)["results"]
  paths = experiment.plot(results, out_dir)
  log(f"[{experiment.name}] redrew {', '.join(paths)}")
  return paths


def run_from_flags(experiment: Experiment, values: dict) -> str:
  if values["replot"]:
    replot(experiment, values["results_dir"])
    return os.path.join(values["results_dir"], experiment.name)
  return run_experiment(experiment, values["quick"], values["workdir"],
                        values["results_dir"], values["seeds"],
                        users=values["users"])


def main(experiment: Experiment) -> None:
  """`python -m experiments.<name>`: runs the experiment from its flags."""
  define_flags()

  def run(argv):
    del argv  # Unused.
    # Nothing returned: app.run would pass it to sys.exit (status 1).
    run_from_flags(experiment, checked_flags())

  app.run(run)
