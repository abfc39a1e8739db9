"""Train state, jitted train step, evaluation, and the resumable loop.

Layout follows flax's examples: `train_and_evaluate(config, workdir)` is the
whole run and the driver `experiments/train.py` only parses flags. Each
epoch's data order comes from `fold_in(seed, epoch)`, so a run resumed from
its last checkpoint replays exactly what an uninterrupted run would do.
Training is data parallel over every device (`parallel`); checkpoints are
orbax steps verified by checksums (`checkpoints`).
"""

import contextlib
import functools
import json
import os
import time
from typing import Callable, NamedTuple, Optional, Sequence, Tuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from uwgnn_jax import models
from uwgnn_jax import params_io
from uwgnn_jax import pretrained_params
from uwgnn_jax.training import checkpoints
from uwgnn_jax.training import config as config_lib
from uwgnn_jax.training import data
from uwgnn_jax.training import evaluation
from uwgnn_jax.training import parallel
from uwgnn_jax.training import workdir as workdir_lib

CONFIG = "config.json"
HISTORY = "history.jsonl"


class TrainState(NamedTuple):
  step: jax.Array  # Scalar int: optimizer steps taken.
  params: models.Params
  opt_state: optax.OptState


def make_optimizer(config: config_lib.TrainConfig) -> optax.GradientTransformation:
  """Adam with global-norm gradient clipping (UWMMSE peer code: 5).

  The cosine schedule decays the rate to 0 over `config.epochs`, so a
  cosine run resumes only with the same epochs (`_check_resumable`).
  """
  learning_rate = config.learning_rate
  if config.lr_schedule == "cosine":
    learning_rate = optax.cosine_decay_schedule(
        config.learning_rate,
        max(1, config.epochs * config.steps_per_epoch))
  return optax.chain(optax.clip_by_global_norm(config.grad_clip_norm),
                     optax.adam(learning_rate))


def init_state(config: config_lib.TrainConfig) -> TrainState:
  init_key = config_lib.run_keys(config.seed).init
  params = models.init(config.model, init_key, config.num_users,
                       **config.model_sizes)
  if config.init_params is not None:
    params = _starting_params(config.init_params, params)
  if config.head_init == "random":
    params = models.with_random_power_head(
        params, jax.random.fold_in(init_key, 1))
  opt_state = make_optimizer(config).init(params)
  return TrainState(jnp.zeros((), jnp.int32), params, opt_state)


def _starting_params(source: str, fresh: models.Params) -> models.Params:
  """The weights of `source` (a params file or a shipped name) in the
  place of `fresh`: same model and sizes (shared-layer weights are
  unrolled to fresh's depth), else ValueError naming both."""
  name = models.model_name(fresh)
  loaded = (pretrained_params.pretrained(source)
            if source in pretrained_params.available() and
            not os.path.isfile(source) else params_io.load_params(source))
  if models.model_name(loaded) != name:
    raise ValueError(f"`init_params` {source!r} holds "
                     f"{models.model_name(loaded)} params; this run trains "
                     f"{name}.")
  if name in models.SHARED_LAYER_MODELS:
    loaded = models.with_depth(loaded, models.num_layers(fresh))
  shapes = lambda tree: jax.tree.map(lambda x: (x.shape, str(x.dtype)), tree)
  if shapes(loaded) != shapes(fresh):
    raise ValueError(f"`init_params` {source!r} are {name} params of other "
                     "sizes than this run's (message/intermediate widths, "
                     "layers, or K for the MLP).")
  return loaded


def loss_fn(params, H, weights, targets, supervised: bool,
            relative: bool, mixed_sizes: bool = False,
            top_k: Optional[int] = None) -> jax.Array:
  """-mean WSR (unsupervised), or MSE to WMMSE powers (the MLP).

  `relative`: -mean(WSR / WSR of WMMSE) with targets [B] WMMSE's rates, so
  that networks at every SNR weigh alike (a 40 dB network has ~5x the rate
  of a 0 dB one and would dominate the plain sum).
  """
  if supervised:
    powers = evaluation.model_powers(params, H, weights)
    return jnp.mean(jnp.square(powers - targets))
  model_rates = evaluation.batch_rates(params, H, weights, mixed_sizes,
                                       top_k)
  if relative:
    return -jnp.mean(model_rates / targets)
  return -jnp.mean(model_rates)


def make_train_step(config: config_lib.TrainConfig) -> Callable:
  """A jitted (state, H [B,K,K], weights [B,K], targets) -> (state, loss);
  targets: WMMSE powers [B, K] (supervised), rates [B] (relative loss), or
  unused zeros [B]. Shared by configs with one `program_key`."""
  return _make_train_step(config.program_key)


@functools.lru_cache(maxsize=32)
def _make_train_step(config: config_lib.TrainConfig) -> Callable:
  optimizer = make_optimizer(config)
  supervised = models.MODELS[config.model].supervised
  relative = config.relative_loss
  mixed_sizes = config.num_users_min is not None

  @jax.jit
  def train_step(state: TrainState, H, weights, targets):
    loss, grads = jax.value_and_grad(loss_fn)(state.params, H, weights,
                                              targets, supervised, relative,
                                              mixed_sizes, config.top_k)
    updates, opt_state = optimizer.update(grads, state.opt_state, state.params)
    params = optax.apply_updates(state.params, updates)
    return TrainState(state.step + 1, params, opt_state), loss

  return train_step


def make_train_epoch(config: config_lib.TrainConfig,
                     mesh: Optional[jax.sharding.Mesh] = None) -> Callable:
  """A jitted epoch: shuffle with `key`, scan `train_step` over batches.

  Data parallel over `mesh` (default: every device): each batch split over
  its "data" axis, the state replicated (`parallel`). Cached per
  `config.program_key` (frozen, hashable) and mesh: runs that differ only
  in their data (channel, seed, ...) compile once.
  """
  return _make_train_epoch(config.program_key,
                           mesh if mesh is not None else parallel.data_mesh())


@functools.lru_cache(maxsize=32)
def _make_train_epoch(config: config_lib.TrainConfig,
                      mesh: jax.sharding.Mesh) -> Callable:
  train_step = make_train_step(config)
  steps, batch = config.steps_per_epoch, config.batch_size
  batches = parallel.batch_sharded(mesh, batch_axis=1)  # [steps, batch, ...]
  replicated = parallel.replicated(mesh)

  @functools.partial(jax.jit, out_shardings=(replicated, replicated))
  def train_epoch(state, dataset: data.Dataset, targets, key):
    order = jax.random.permutation(key, dataset.H.shape[0])[:steps * batch]
    shaped = lambda x: jax.lax.with_sharding_constraint(
        x[order].reshape((steps, batch) + x.shape[1:]), batches)
    def body(state, xs):
      return train_step(state, *xs)
    state, losses = jax.lax.scan(
        body, state, (shaped(dataset.H), shaped(dataset.weights),
                      shaped(targets)))
    return state, jnp.mean(losses)

  return train_epoch


def _check_resumable(workdir: str, config: config_lib.TrainConfig) -> None:
  """Raises ValueError if workdir holds a run this config cannot continue.

  A checkpoint whose config.json is missing or unreadable is refused: its
  settings are unknown, so resuming it under these flags could mix runs.
  """
  path = os.path.join(workdir, CONFIG)
  if not os.path.exists(path):
    if checkpoints.has_checkpoint(workdir):
      raise ValueError(
          f"--workdir {workdir} holds a checkpoint but no {CONFIG}, so the "
          "run's settings are unknown; refusing to resume it. Use another "
          f"workdir, or delete {checkpoints.DIRECTORY}/ (and any "
          f"{checkpoints.LEGACY_CHECKPOINT}) there to start afresh.")
    return
  try:
    with open(path) as f:
      saved = config_lib.TrainConfig.from_json(f.read())
  except (ValueError, TypeError) as e:
    raise ValueError(
        f"--workdir {workdir}: {CONFIG} is unreadable ({e}); refusing to "
        "resume. Use another workdir.") from e
  if saved.model != config.model:
    raise ValueError(
        f"--workdir {workdir} holds a {saved.model!r} checkpoint; this run "
        f"is --model={config.model}. Use another workdir.")
  # More epochs extend a constant-rate run; a cosine schedule spans them.
  may_differ = ("epochs",) if config.lr_schedule == "constant" else ()
  differing = sorted(
      name for name, value in vars(saved).items()
      if name not in may_differ and getattr(config, name) != value)
  if differing:
    raise ValueError(
        f"--workdir {workdir} holds a run with other settings ({differing}); "
        "use another workdir or the same flags.")


def restore_or_init(config: config_lib.TrainConfig,
                    store: Optional[checkpoints.CheckpointStore],
                    sharding: jax.sharding.Sharding
                    ) -> Tuple[TrainState, list]:
  """(the last checkpoint in store if any, else a fresh state, placed by
  `sharding`; the history rows stored with it)."""
  state = init_state(config)
  if store is None or not checkpoints.has_checkpoint(store.workdir):
    return parallel.to_global(state, sharding), []
  return store.restore(state, sharding)  # ValueError if it cannot.


def save_checkpoint(store: checkpoints.CheckpointStore,
                    config: config_lib.TrainConfig, epoch: int,
                    state: TrainState, history: Sequence[dict]) -> None:
  """Config JSON, the state with its history, then history.jsonl rebuilt
  from it; each written atomically, so a kill between them loses nothing.
  Files outside orbax's step are written by process 0 alone."""
  primary = jax.process_index() == 0
  if primary:
    params_io.write_atomically(os.path.join(store.workdir, CONFIG),
                               config.to_json().encode())
  store.save(epoch, state, history)
  if primary:
    write_history(store.workdir, history)


def write_history(workdir: str, history: Sequence[dict]) -> None:
  params_io.write_atomically(
      os.path.join(workdir, HISTORY),
      "".join(json.dumps(row) + "\n" for row in history).encode())


def train_and_evaluate(config: config_lib.TrainConfig,
                       workdir: Optional[str] = None,
                       log: Callable[[str], None] = print,
                       eval_only: bool = False,
                       on_epoch: Optional[Callable] = None) -> tuple:
  """Trains `config.epochs` epochs (resuming from workdir) and evaluates.

  `on_epoch(epoch, state, loss)`, if given, runs after each epoch (epoch
  counts from 1), e.g. to score the run on validation sets.

  Returns:
    (final TrainState, Evaluation on the held-out test set).
  """
  if eval_only and (workdir is None or
                    not checkpoints.has_checkpoint(workdir)):
    raise ValueError(f"--eval_only needs a checkpoint in --workdir; "
                     f"found none in {workdir}.")
  if not eval_only:
    parallel.check_batch_size(config.batch_size, parallel.data_mesh())
  parallel.check_same_in_every_process(
      f"{config.to_json()}\n{os.path.abspath(workdir or '')}\n{eval_only}",
      "the flags (config, --workdir, --eval_only)")
  if jax.process_index() != 0:
    log = lambda line: None
  if workdir is None:
    return _run(config, None, log, eval_only, on_epoch)
  # Process 0 holds the workdir for every process of a distributed run.
  with (workdir_lib.hold(workdir) if jax.process_index() == 0
        else contextlib.nullcontext()):
    _check_resumable(workdir, config)
    with checkpoints.CheckpointStore(workdir, read_only=eval_only) as store:
      for step in store.set_aside:
        log(f"Set aside the checkpoint of epoch {step} as {step}.incomplete "
            "(no checksums: its writer was killed); training resumes from "
            "the latest complete checkpoint.")
      return _run(config, store, log, eval_only, on_epoch)


def training_targets(config: config_lib.TrainConfig,
                     train_set: data.Dataset) -> jax.Array:
  """What `loss_fn` compares with, per training network (see make_train_step)."""
  if models.MODELS[config.model].supervised:
    return data.wmmse_powers(train_set, config.wmmse_iters)
  if config.relative_loss:
    powers = data.wmmse_powers(train_set, config.wmmse_iters)
    wmmse_rates = evaluation.canonical_rates(train_set.H, powers,
                                             train_set.weights)
    # A network WMMSE gives (almost) no rate adds nothing to learn from.
    return jnp.maximum(wmmse_rates, 1e-6)
  return jnp.zeros(train_set.H.shape[:1])


WARNING = "Warning: "  # How a run's warning lines start (`warnings_only`).


def warnings_only(log: Callable[[str], None]) -> Callable[[str], None]:
  """A `log` for train_and_evaluate that passes on the run's warnings
  (collapsed powers, a changed device count) and drops its epoch lines."""
  def forward(line: str) -> None:
    if line.startswith(WARNING):
      log(line)
  return forward


def _collapse_warning(result: evaluation.Evaluation, epoch: int,
                      learning_rate: float) -> Optional[str]:
  """A warning if the model gives (almost) no rate on the held-out set: its
  powers have gone to zero, where the sigmoid head's gradient vanishes and
  later epochs do not bring it back; else None."""
  if result.model_rate > 1e-3 * result.wmmse_rate:
    return None
  return (f"{WARNING}after epoch {epoch} the model gives "
          f"{result.percent_of_wmmse:.2f}% of WMMSE's rate: its powers have "
          "collapsed to zero, and training does not recover from there. "
          f"Rerun with a lower --learning_rate than {learning_rate:g} "
          "(BUILD_NOTES.md, \"Depth\").")


def _full_power_warning(result: evaluation.Evaluation,
                        epoch: int) -> Optional[str]:
  """A warning if the model gives full power's rate on the held-out set
  (to 0.1%) while WMMSE does at least 5% better: every power sits at p_max,
  where the sigmoid head's gradient vanishes (the full-power trap, which
  low-SNR-only training fell into in every run); else None."""
  at_full_power = abs(result.model_rate - result.full_power_rate) <= (
      1e-3 * result.full_power_rate)
  if not at_full_power or result.full_power_rate >= 0.95 * result.wmmse_rate:
    return None
  return (f"{WARNING}after epoch {epoch} the model gives full power's rate "
          f"({result.percent_of_wmmse:.2f}% of WMMSE's): its powers sit at "
          "p_max, a trap training seldom leaves. If later epochs stay there, "
          "rerun with --head_init=random, over an SNR range "
          "(--snr_db_min/--snr_db_max), or from trained weights "
          "(--init_params) (BUILD_NOTES.md, \"The full-power trap\").")


def _device_count_warning(checkpoint_row: Optional[dict],
                          device_count: int) -> Optional[str]:
  """A warning if the checkpointed epoch (`checkpoint_row`: its history
  row) was trained on another device count than `device_count`, else None.
  Rows written before the count was recorded say nothing."""
  written_on = (checkpoint_row or {}).get("devices")
  if written_on is None or written_on == device_count:
    return None
  return (f"{WARNING}the checkpoint of epoch {checkpoint_row['epoch']} was "
          f"trained on {written_on} device(s); this run trains on "
          f"{device_count}. Each step's gradient then sums in another "
          "order, so the rest of the run matches an uninterrupted "
          f"{written_on}- or {device_count}-device run only within float "
          "rounding (history.jsonl records each epoch's device count).")


def _run(config, store, log, eval_only, on_epoch) -> tuple:
  """`train_and_evaluate` with the workdir (if any) held and checked;
  returns a process-local state."""
  keys = config_lib.run_keys(config.seed)
  mesh = parallel.data_mesh()
  replicated = parallel.replicated(mesh)
  state, history = restore_or_init(config, store, replicated)
  workdir = None if store is None else store.workdir
  if workdir is not None and history and jax.process_index() == 0:
    write_history(workdir, history)  # Rebuilt if a kill cut it short.
  test_set = data.make_dataset(keys.test, config, config.test_size)
  references = evaluation.reference_rates(
      test_set, models.num_layers(state.params), config.wmmse_iters)
  if eval_only:
    state = parallel.to_local(state)
    return state, evaluation.evaluate(state.params, test_set, references,
                                      config.top_k)

  train_set = data.make_dataset(keys.train, config, config.train_size,
                                over_snr_range=True, mixed_sizes=True)
  targets = training_targets(config, train_set)
  train_set, targets = parallel.to_global((train_set, targets), replicated)
  train_epoch = make_train_epoch(config, mesh)
  log(f"Training {config.model} {parallel.describe(mesh)}.")
  first_epoch = int(state.step) // config.steps_per_epoch
  if not first_epoch and config.init_params is not None:
    log(f"Starting from the weights of {config.init_params}.")
  if first_epoch:
    log(f"Resuming {config.model} from epoch {first_epoch} "
        f"(step {int(state.step)}) in {workdir}.")
    warning = _device_count_warning(
        history[first_epoch - 1] if len(history) >= first_epoch else None,
        int(mesh.devices.size))
    if warning:
      log(warning)
  history = history[:first_epoch]
  reported = set()  # The traps this run has warned of.
  for epoch in range(first_epoch, config.epochs):
    start = time.perf_counter()
    state, loss = train_epoch(state, train_set, targets,
                              jax.random.fold_in(keys.shuffle, epoch))
    loss = float(loss)
    if not np.isfinite(loss):
      raise FloatingPointError(f"Training loss became {loss} at epoch {epoch}.")
    result = evaluation.evaluate(parallel.to_local(state.params), test_set,
                                 references, config.top_k)
    seconds = time.perf_counter() - start
    log(f"epoch {epoch + 1:3d}/{config.epochs}  loss {loss:9.4f}  "
        f"test {result.model_rate:7.3f} bit/s/Hz = "
        f"{result.percent_of_wmmse:6.2f}% of WMMSE-{config.wmmse_iters}  "
        f"({seconds:.1f} s)")
    for kind, warning in (
        ("zero", _collapse_warning(result, epoch + 1, config.learning_rate)),
        ("full", _full_power_warning(result, epoch + 1))):
      if warning and kind not in reported:  # Each trap once per run.
        log(warning)
        reported.add(kind)
    history.append(dict(epoch=epoch + 1, loss=loss, seconds=seconds,
                        devices=int(mesh.devices.size),
                        processes=jax.process_count(), **result.row()))
    if store is not None:
      save_checkpoint(store, config, epoch + 1, state, history)
    if on_epoch is not None:
      on_epoch(epoch + 1, parallel.to_local(state), loss)
  state = parallel.to_local(state)
  return state, evaluation.evaluate(state.params, test_set, references,
                                    config.top_k)
