"""Train state, jitted train step, evaluation, and the resumable loop.

Layout follows flax's examples: `train_and_evaluate(config, workdir)` is the
whole run and the driver `experiments/train.py` only parses flags. Each
epoch's data order comes from `fold_in(seed, epoch)`, so a run resumed from
its last checkpoint replays exactly what an uninterrupted run would do.
"""

import functools
import json
import os
import time
from typing import Callable, NamedTuple, Optional

import jax
import jax.numpy as jnp
import numpy as np
import optax

from uwgnn_jax import models
from uwgnn_jax import params_io
from uwgnn_jax import rates
from uwgnn_jax import wmmse_algorithm
from uwgnn_jax.training import config as config_lib
from uwgnn_jax.training import data

CHECKPOINT = "checkpoint.msgpack"
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
  init_key = jax.random.fold_in(jax.random.PRNGKey(config.seed), 0)
  params = models.init(config.model, init_key, config.num_users)
  opt_state = make_optimizer(config).init(params)
  return TrainState(jnp.zeros((), jnp.int32), params, opt_state)


def batch_rates(params, H: jax.Array, weights: jax.Array) -> jax.Array:
  """Weighted sum rate [B] (bits) of a model on canonical networks."""
  def single(h, a):
    p = models.apply_canonical(params, h, a)
    return rates.sum_rate_single(h, p, 1.0, a)
  return jax.vmap(single)(H, weights)


def loss_fn(params, H, weights, targets, supervised: bool) -> jax.Array:
  """-mean WSR (unsupervised), or MSE to WMMSE powers (the MLP)."""
  if supervised:
    powers = jax.vmap(lambda h, a: models.apply_canonical(params, h, a))(
        H, weights)
    return jnp.mean(jnp.square(powers - targets))
  return -jnp.mean(batch_rates(params, H, weights))


@functools.lru_cache(maxsize=32)
def make_train_step(config: config_lib.TrainConfig) -> Callable:
  """A jitted (state, H [B,K,K], weights [B,K], targets [B,K]) -> (state, loss)."""
  optimizer = make_optimizer(config)
  supervised = config.model == "mlp"

  @jax.jit
  def train_step(state: TrainState, H, weights, targets):
    loss, grads = jax.value_and_grad(loss_fn)(state.params, H, weights,
                                              targets, supervised)
    updates, opt_state = optimizer.update(grads, state.opt_state, state.params)
    params = optax.apply_updates(state.params, updates)
    return TrainState(state.step + 1, params, opt_state), loss

  return train_step


@functools.lru_cache(maxsize=32)
def make_train_epoch(config: config_lib.TrainConfig) -> Callable:
  """A jitted epoch: shuffle with `key`, scan `train_step` over batches.

  Cached per config (frozen, hashable), so runs of one config compile once.
  """
  train_step = make_train_step(config)
  steps, batch = config.steps_per_epoch, config.batch_size

  @jax.jit
  def train_epoch(state, dataset: data.Dataset, targets, key):
    order = jax.random.permutation(key, dataset.H.shape[0])[:steps * batch]
    shaped = lambda x: x[order].reshape((steps, batch) + x.shape[1:])
    def body(state, xs):
      return train_step(state, *xs)
    state, losses = jax.lax.scan(
        body, state, (shaped(dataset.H), shaped(dataset.weights),
                      shaped(targets)))
    return state, jnp.mean(losses)

  return train_epoch


class Evaluation(NamedTuple):
  """Mean weighted sum rates (bits) on the test set, and % of WMMSE-100."""
  model_rate: float
  wmmse_rate: float
  truncated_wmmse_rate: float
  full_power_rate: float

  @property
  def percent_of_wmmse(self) -> float:
    return 100.0 * self.model_rate / self.wmmse_rate

  def row(self) -> dict:
    return dict(model_rate=self.model_rate, wmmse_rate=self.wmmse_rate,
                percent_of_wmmse=self.percent_of_wmmse,
                truncated_wmmse_percent=100.0 * self.truncated_wmmse_rate /
                self.wmmse_rate,
                full_power_percent=100.0 * self.full_power_rate /
                self.wmmse_rate)


class References(NamedTuple):
  """Per-network reference rates [N] on a fixed test set."""
  wmmse: jax.Array
  truncated_wmmse: jax.Array
  full_power: jax.Array


def _chunked_mean(rates_fn, dataset: data.Dataset, chunk: int = 500) -> float:
  """Mean of rates_fn(H, weights) -> [n] over the set, in chunks."""
  total = 0.0
  for start in range(0, dataset.H.shape[0], chunk):
    total += float(jnp.sum(rates_fn(dataset.H[start:start + chunk],
                                    dataset.weights[start:start + chunk])))
  return total / dataset.H.shape[0]


@jax.jit
def canonical_rates(H: jax.Array, p: jax.Array,
                    weights: jax.Array) -> jax.Array:
  """WSR [n] (bits) of canonical networks H [n, K, K] at powers p [n, K]."""
  return jax.vmap(lambda h, q, a: rates.sum_rate_single(h, q, 1.0, a))(
      H, p, weights)


def mean_rate(powers_fn, dataset: data.Dataset) -> float:
  """Mean WSR of the powers powers_fn(H, weights) -> p [n, K] over the set.

  powers_fn should itself be jitted (or a module-level jitted call): it
  runs once per chunk of 500 networks.
  """
  return _chunked_mean(lambda h, a: canonical_rates(h, powers_fn(h, a), a),
                       dataset)


def reference_rates(dataset: data.Dataset, num_layers: int,
                    wmmse_iters: int = 100) -> dict:
  """Mean WMMSE-`wmmse_iters`, Tr-WMMSE-`num_layers` and full-power rates."""
  def wmmse_fn(iters):
    return lambda h, a: wmmse_algorithm.canonical_powers(h, a, iters)
  return dict(
      wmmse_rate=mean_rate(wmmse_fn(wmmse_iters), dataset),
      truncated_wmmse_rate=mean_rate(wmmse_fn(num_layers), dataset),
      full_power_rate=mean_rate(lambda h, a: jnp.ones_like(a), dataset))


_batch_rates_jit = jax.jit(batch_rates)


def evaluate(params, dataset: data.Dataset, references: dict) -> Evaluation:
  """The model against the references on the same test networks."""
  model_rate = _chunked_mean(
      lambda h, a: _batch_rates_jit(params, h, a), dataset)
  return Evaluation(model_rate=model_rate, **references)


def _check_resumable(workdir: str, config: config_lib.TrainConfig) -> None:
  """Raises ValueError if workdir holds a run this config cannot continue."""
  path = os.path.join(workdir, CONFIG)
  if not os.path.exists(path):
    return
  with open(path) as f:
    saved = config_lib.TrainConfig.from_json(f.read())
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
                    workdir: Optional[str]) -> TrainState:
  """The last checkpoint in workdir if there is one, else a fresh state."""
  state = init_state(config)
  if workdir is None:
    return state
  _check_resumable(workdir, config)
  path = os.path.join(workdir, CHECKPOINT)
  if os.path.exists(path):
    state = params_io.restore_state(path, state)
  return state


def save_checkpoint(workdir: str, config: config_lib.TrainConfig,
                    state: TrainState) -> None:
  """Config JSON, then the state, each written atomically."""
  params_io.write_atomically(os.path.join(workdir, CONFIG),
                             config.to_json().encode())
  params_io.save_state(os.path.join(workdir, CHECKPOINT), state)


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
  root = jax.random.PRNGKey(config.seed)
  train_key, test_key, shuffle_key = (jax.random.fold_in(root, i)
                                      for i in (1, 2, 3))
  state = restore_or_init(config, workdir)
  test_set = data.make_dataset(test_key, config, config.test_size)
  references = reference_rates(test_set, models.num_layers(state.params),
                               config.wmmse_iters)
  if eval_only:
    if workdir is None or not os.path.exists(os.path.join(workdir, CHECKPOINT)):
      raise ValueError(f"--eval_only needs a checkpoint in --workdir; "
                       f"found none in {workdir}.")
    return state, evaluate(state.params, test_set, references)

  train_set = data.make_dataset(train_key, config, config.train_size)
  if config.model == "mlp":
    targets = data.wmmse_powers(train_set, config.wmmse_iters)
  else:
    targets = jnp.zeros_like(train_set.weights)
  train_epoch = make_train_epoch(config)
  first_epoch = int(state.step) // config.steps_per_epoch
  if first_epoch:
    log(f"Resuming {config.model} from epoch {first_epoch} "
        f"(step {int(state.step)}) in {workdir}.")
  for epoch in range(first_epoch, config.epochs):
    start = time.perf_counter()
    state, loss = train_epoch(state, train_set, targets,
                              jax.random.fold_in(shuffle_key, epoch))
    loss = float(loss)
    if not np.isfinite(loss):
      raise FloatingPointError(f"Training loss became {loss} at epoch {epoch}.")
    result = evaluate(state.params, test_set, references)
    seconds = time.perf_counter() - start
    log(f"epoch {epoch + 1:3d}/{config.epochs}  loss {loss:9.4f}  "
        f"test {result.model_rate:7.3f} bit/s/Hz = "
        f"{result.percent_of_wmmse:6.2f}% of WMMSE-{config.wmmse_iters}  "
        f"({seconds:.1f} s)")
    if workdir is not None:
      save_checkpoint(workdir, config, state)
      with open(os.path.join(workdir, HISTORY), "a") as f:
        f.write(json.dumps(dict(epoch=epoch + 1, loss=loss, seconds=seconds,
                                **result.row())) + "\n")
    if on_epoch is not None:
      on_epoch(epoch + 1, state, loss)
  return state, evaluate(state.params, test_set, references)
