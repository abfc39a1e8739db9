"""Scoring models against WMMSE on held-out networks, at any K and SNR.

`evaluate` is a model's mean weighted sum rate next to WMMSE-100's,
Tr-WMMSE's and full power's on the same canonical test networks (the % of
WMMSE-100 every table reports). Held-out sets at other sizes (UWGNN Fig. 6)
or SNRs reuse the training run's test key, so the training K and SNR
reproduce the run's own test number. Validation sets use keys no training or
test set uses, so settings chosen on them never look at a test set.
"""

import dataclasses
import functools
from typing import Iterable, NamedTuple, Optional

import jax
import jax.numpy as jnp
import numpy as np

from uwgnn_jax import models
from uwgnn_jax import rates
from uwgnn_jax import units
from uwgnn_jax import wmmse_algorithm
from uwgnn_jax.training import config as config_lib
from uwgnn_jax.training import data


def model_powers(params, H: jax.Array, weights: jax.Array,
                 mixed_sizes: bool = False,
                 top_k: Optional[int] = None) -> jax.Array:
  """A model's canonical powers [B, K] on canonical networks H [B, K, K]
  (`mixed_sizes`: users of weight 0 are padding; `top_k`: on each
  receiver's top_k strongest interferers; `models.apply_canonical`)."""
  return jax.vmap(lambda h, a: models.apply_canonical(
      params, h, a, top_k, mixed_sizes=mixed_sizes))(H, weights)


def batch_rates(params, H: jax.Array, weights: jax.Array,
                mixed_sizes: bool = False,
                top_k: Optional[int] = None) -> jax.Array:
  """Weighted sum rate [B] (bits) of a model on canonical networks, scored
  on the full H whatever graph the model ran on."""
  return canonical_rates(
      H, model_powers(params, H, weights, mixed_sizes, top_k), weights)



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


CHUNK = 500  # Networks per call when scoring a set.


def _chunks(fn, dataset: data.Dataset) -> list:
  """fn(H, weights) on each chunk of CHUNK networks of the set."""
  return [fn(dataset.H[s:s + CHUNK], dataset.weights[s:s + CHUNK])
          for s in range(0, dataset.H.shape[0], CHUNK)]


def _chunked_sum(fn, dataset: data.Dataset) -> float:
  """Sum of fn(H, weights) -> [n] (or a scalar) over the set, in chunks."""
  return sum(float(jnp.sum(out)) for out in _chunks(fn, dataset))


def _chunked_mean(rates_fn, dataset: data.Dataset) -> float:
  """Mean of rates_fn(H, weights) -> [n] over the set."""
  return _chunked_sum(rates_fn, dataset) / dataset.H.shape[0]


@jax.jit
def canonical_rates(H: jax.Array, p: jax.Array,
                    weights: jax.Array) -> jax.Array:
  """WSR [n] (bits) of canonical networks H [n, K, K] at powers p [n, K]."""
  return jax.vmap(lambda h, q, a: rates.sum_rate_single(h, q, 1.0, a))(
      H, p, weights)


def percent_of(dataset: data.Dataset, powers: jax.Array,
               reference_rate: float) -> float:
  """Mean WSR of `powers` [N, K] (canonical) on the set's networks, as % of
  `reference_rate` (a mean WSR in bit/s/Hz, e.g. WMMSE-100's)."""
  rates = canonical_rates(dataset.H, powers, dataset.weights)
  return 100.0 * float(np.mean(rates)) / reference_rate


def mean_rate(powers_fn, dataset: data.Dataset) -> float:
  """Mean WSR of the powers powers_fn(H, weights) -> p [n, K] over the set.

  powers_fn should itself be jitted (or a module-level jitted call): it
  runs once per chunk of 500 networks.
  """
  return _chunked_mean(lambda h, a: canonical_rates(h, powers_fn(h, a), a),
                       dataset)


def wmmse_rate(dataset: data.Dataset, iterations: int) -> float:
  """Mean WSR (bit/s/Hz) of WMMSE from full power, `iterations` steps."""
  return mean_rate(lambda h, a: wmmse_algorithm.canonical_powers(
      h, a, iterations), dataset)


def reference_rates(dataset: data.Dataset, num_layers: int,
                    wmmse_iters: int = 100) -> dict:
  """Mean WMMSE-`wmmse_iters`, Tr-WMMSE-`num_layers` and full-power rates."""
  return dict(
      wmmse_rate=wmmse_rate(dataset, wmmse_iters),
      truncated_wmmse_rate=wmmse_rate(dataset, num_layers),
      full_power_rate=mean_rate(lambda h, a: jnp.ones_like(a), dataset))


_batch_rates_jit = jax.jit(batch_rates, static_argnames=("mixed_sizes",
                                                         "top_k"))


def _model_rates_fn(params, top_k: Optional[int]):
  """(H, weights) -> the model's rates [n]: one jitted program per model,
  shape and top_k, shared by `evaluate` and `network_rates`."""
  return lambda h, a: _batch_rates_jit(params, h, a, top_k=top_k)


def evaluate(params, dataset: data.Dataset, references: dict,
             top_k: Optional[int] = None) -> Evaluation:
  """The model (on top-k graphs if `top_k`) against the references on the
  same test networks."""
  model_rate = _chunked_mean(_model_rates_fn(params, top_k), dataset)
  return Evaluation(model_rate=model_rate, **references)


def _per_network(rates_fn, dataset: data.Dataset) -> np.ndarray:
  """rates_fn(H, weights) -> [n] over the set, chunk by chunk: [N]."""
  return np.concatenate([np.asarray(r) for r in _chunks(rates_fn, dataset)])


def network_rates(params, dataset: data.Dataset,
                  top_k: Optional[int] = None) -> np.ndarray:
  """Each network's weighted sum rate [N] (bits) under the model: the
  programs `evaluate` runs, so scoring a model both ways compiles once."""
  return _per_network(_model_rates_fn(params, top_k), dataset)


# A canonical power (p_max = 1) at or above this counts as on: rounded to
# p_max by `rounded_network_rates`, else to 0.
ON_THRESHOLD = 0.5


@jax.jit
def _rounded_rates(params, H: jax.Array, weights: jax.Array) -> jax.Array:
  powers = model_powers(params, H, weights)
  return canonical_rates(H, jnp.where(powers >= ON_THRESHOLD, 1.0, 0.0),
                         weights)


def rounded_network_rates(params, dataset: data.Dataset) -> np.ndarray:
  """Like `network_rates` (on the dense graph: no `top_k`), with every
  power rounded to 0 or p_max (at p_max / 2): how Sun et al. test their
  supervised MLP (their public code scores its outputs with `binary=1`).
  MSE regression to WMMSE's mostly on-off powers leaves undecided users
  near p_max / 2, which cost rate; BUILD_NOTES.md, "The MLP's outputs
  rounded"."""
  return _per_network(lambda h, a: _rounded_rates(params, h, a), dataset)


def early_stopped_rates(trace: np.ndarray, tolerance: float) -> np.ndarray:
  """Sum rates [n] of WMMSE stopped at the first iteration t whose gain
  trace[t] - trace[t - 1] is at most `tolerance` (the last if none), as
  Sun et al.'s reference WMMSE stops; trace [n, T + 1] from `wmmse_trace`."""
  small = np.diff(trace, axis=1) <= tolerance
  stop = np.where(small.any(axis=1), np.argmax(small, axis=1) + 1,
                  trace.shape[1] - 1)
  return trace[np.arange(trace.shape[0]), stop]


VALIDATION_KEY = 5000  # Validation set at K: PRNGKey(VALIDATION_KEY + K).


def _scored_set(config: config_lib.TrainConfig, key: jax.Array,
                num_users: int, size: int, num_layers: int,
                snr_db: Optional[float] = None) -> tuple:
  noise_var = config.noise_var
  if snr_db is not None:
    noise_var = units.snr_db_to_noise_var(snr_db, config.p_max)
  # Held-out networks are whole (a mixed-size run pads only its training
  # set), at any K.
  sized = dataclasses.replace(config, num_users=num_users, test_size=size,
                              noise_var=noise_var, num_users_min=None)
  dataset = data.make_dataset(key, sized, size)
  return dataset, reference_rates(dataset, num_layers, config.wmmse_iters)


def held_out_sets(config: config_lib.TrainConfig, sizes: Iterable[int],
                  size: int, num_layers: int,
                  snr_db: Optional[float] = None) -> dict:
  """{K: (dataset, references)} drawn with the run's own test key, at the
  config's noise level or at `snr_db` (p_max / sigma^2 in dB)."""
  key = config_lib.run_keys(config.seed).test
  return {k: _scored_set(config, key, k, size, num_layers, snr_db)
          for k in sizes}


def validation_sets(config: config_lib.TrainConfig, sizes: Iterable[int],
                    size: int, num_layers: int) -> dict:
  """{K: (dataset, references)} on keys no training or test set uses."""
  return {k: _scored_set(config, jax.random.PRNGKey(VALIDATION_KEY + k), k,
                         size, num_layers) for k in sizes}


def percent_of_wmmse(params, sets: dict) -> dict:
  """{K: % of WMMSE} of params on each set."""
  return {k: evaluate(params, dataset, references).percent_of_wmmse
          for k, (dataset, references) in sets.items()}


@functools.partial(jax.jit, static_argnames=("top_k",))
def _all_zero_count(params, H: jax.Array, weights: jax.Array,
                    top_k: Optional[int] = None) -> jax.Array:
  powers = model_powers(params, H, weights, top_k=top_k)
  return jnp.sum(jnp.all(powers <= ZERO_POWER, axis=-1))


# A network whose every user gets at most this fraction of p_max is "off".
ZERO_POWER = 1e-6


def all_zero_networks(params, dataset: data.Dataset,
                      top_k: Optional[int] = None) -> int:
  """How many networks of the set the model (on top-k graphs if `top_k`)
  switches off entirely."""
  return int(_chunked_sum(
      lambda h, a: _all_zero_count(params, h, a, top_k=top_k), dataset))


def num_layers_of(config: config_lib.TrainConfig) -> int:
  """Unrolled layers of the model a config trains."""
  return models.num_layers(
      models.init(config.model, jax.random.PRNGKey(0), config.num_users,
                  **config.model_sizes))
