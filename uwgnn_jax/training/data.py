"""Data sets of channels for training and evaluation (canonical units)."""

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp

from uwgnn_jax import channels
from uwgnn_jax import units
from uwgnn_jax import wmmse_algorithm
from uwgnn_jax.training import config as config_lib


class Dataset(NamedTuple):
  """Networks in canonical units (noise 1, budget 1)."""
  H: jax.Array  # [N, K, K] canonical amplitudes.
  weights: jax.Array  # [N, K] rate weights alpha.


def _sampler(config: config_lib.TrainConfig, layout_key: jax.Array):
  """One network's raw amplitudes as a function of a key."""
  K = config.num_users
  if config.channel == "rayleigh":
    return lambda k: channels.rayleigh(k, K, variance=config.variance)
  if config.channel == "rician":
    return lambda k: channels.rician(k, K, mean=config.rician_mean,
                                     variance=config.variance)
  if config.channel == "sparse":
    return lambda k: channels.sparse_rayleigh(
        k, K, drop_prob=config.drop_prob, variance=config.variance)
  if config.channel == "spatial":
    return lambda k: channels.spatial(k, K)
  if config.channel == "mobility":
    return lambda k: channels.mobility(k, K, speed=config.speed,
                                       elapsed_time=config.elapsed_time)[1]
  if config.fixed_layout:  # Geometric, one topology (UWMMSE Table 1).
    drawn = config.layout_users or K
    layout = channels.geometric_layout(layout_key, drawn,
                                       density=config.density)
    if drawn != K:  # UWMMSE Fig. 2c: pairs removed or added.
      layout = channels.resize_layout(jax.random.fold_in(layout_key, 1),
                                      layout, K, density=config.density)
    return lambda k: channels.geometric_fading(k, layout)
  if config.density_max is not None:  # Ro-UWMMSE: d per network.
    def sample(k):
      layout_key, density_key = jax.random.split(k)
      density = jax.random.uniform(density_key, minval=config.density,
                                   maxval=config.density_max)
      return channels.geometric(layout_key, K, density=density)
    return sample
  return lambda k: channels.geometric(k, K, density=config.density)


@functools.lru_cache(maxsize=64)
def _batch_sampler(data_key: config_lib.TrainConfig):
  """keys [N] -> raw amplitudes [N, K, K], jitted once per data config."""
  return jax.jit(jax.vmap(_sampler(
      data_key, config_lib.run_keys(data_key.seed).layout)))


@functools.lru_cache(maxsize=8)
def _spatial_sampler_of_sizes(num_users: int):
  """(keys [N], sizes [N]) -> [N, K, K]: network n's first sizes[n] pairs
  are a spatial network of that size (`channels.spatial(area_pairs=)`)."""
  return jax.jit(jax.vmap(
      lambda k, n: channels.spatial(k, num_users, area_pairs=n)))


def draw_sizes(key: jax.Array, num_samples: int, num_users_min: int,
                num_users: int) -> jax.Array:
  """K_n [N], uniform in [num_users_min, num_users]."""
  return jax.random.randint(key, (num_samples,), num_users_min,
                            num_users + 1)


def pad_to_mixed_sizes(key: jax.Array, H: jax.Array, weights: jax.Array,
                       num_users_min: int) -> tuple:
  """Networks of K_n users, K_n uniform in [num_users_min, K] (`draw_sizes`
  with `key`), each the first K_n users of its K-user network: the other
  rows and columns of H [N, K, K] and entries of weights [N, K] set to 0
  (absent users)."""
  num_samples, num_users = weights.shape
  sizes = draw_sizes(key, num_samples, num_users_min, num_users)
  present = jnp.arange(num_users)[None, :] < sizes[:, None]
  return (H * (present[:, :, None] & present[:, None, :]),
          weights * present)


def make_dataset(key: jax.Array, config: config_lib.TrainConfig,
                 num_samples: int, over_snr_range: bool = False,
                 mixed_sizes: bool = False) -> Dataset:
  """`num_samples` networks drawn from `config`'s channel model.

  The geometric fixed layout is derived from the run's seed alone, so the
  training and test sets of a run share it. With `over_snr_range` (and the
  config's SNR range set) each network gets its own SNR p_max / sigma^2,
  log-uniform in [snr_db_min, snr_db_max]; otherwise config's noise_var.
  With `mixed_sizes` (and config.num_users_min set: the training set only)
  each network keeps K_n of its users (`pad_to_mixed_sizes`).
  """
  channel_key, weight_key = jax.random.split(key)
  channel_keys = jax.random.split(channel_key, num_samples)
  if (mixed_sizes and config.num_users_min is not None
      and config.channel == "spatial"):  # Each at its own size's density.
    H = _spatial_sampler_of_sizes(config.num_users)(
        channel_keys, draw_sizes(jax.random.fold_in(key, 13), num_samples,
                                 config.num_users_min, config.num_users))
  else:
    H = _batch_sampler(config.data_key)(channel_keys)
  if config.weighted:
    weights = jax.random.uniform(weight_key, (num_samples, config.num_users))
  else:
    weights = jnp.ones((num_samples, config.num_users))
  if mixed_sizes and config.num_users_min is not None:
    H, weights = pad_to_mixed_sizes(jax.random.fold_in(key, 13), H, weights,
                                    config.num_users_min)
  if over_snr_range and config.snr_db_min is not None:
    snr_db = jax.random.uniform(jax.random.fold_in(key, 11), (num_samples,),
                                minval=config.snr_db_min,
                                maxval=config.snr_db_max)
    return Dataset(H * (10.0 ** (snr_db / 20.0))[:, None, None], weights)
  H_c = units.to_canonical_channel(H, config.effective_noise_var, config.p_max)
  return Dataset(H_c, weights)


def wmmse_powers(dataset: Dataset, num_iters: int) -> jax.Array:
  """WMMSE powers [N, K] (canonical) from full power, `num_iters` iterations."""
  return wmmse_algorithm.canonical_powers(dataset.H, dataset.weights,
                                          num_iters)
