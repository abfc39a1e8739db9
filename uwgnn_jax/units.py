"""Canonical units (docs/DESIGN.md section 1).

The weighted sum rate is unchanged under

    (H, sigma^2, p_max, p) -> (H * sqrt(p_max / sigma^2), 1, 1, p / p_max),

so every algorithm here works internally with noise variance 1 and power
budget 1, and the public functions rescale at their edge.
"""

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike


def to_canonical_channel(H: ArrayLike, noise_var: ArrayLike,
                         p_max: ArrayLike) -> jax.Array:
  """H[..., K, K] amplitudes -> canonical amplitudes H * sqrt(p_max / sigma^2).

  The factor is sqrt(p_max) / sqrt(sigma^2), which stays finite in float32
  where p_max / sigma^2 would overflow.
  """
  return jnp.asarray(H) * canonical_factor(noise_var, p_max)


def canonical_factor(noise_var: ArrayLike, p_max: ArrayLike) -> jax.Array:
  """sqrt(p_max) / sqrt(sigma^2): canonical amplitudes are H times this."""
  return jnp.sqrt(jnp.asarray(p_max)) / jnp.sqrt(jnp.asarray(noise_var))


def to_canonical_power(p: ArrayLike, p_max: ArrayLike) -> jax.Array:
  """Powers [..., K] in watts (or any unit of p_max) -> fractions of p_max."""
  return jnp.asarray(p) / jnp.asarray(p_max)


def from_canonical_power(p: ArrayLike, p_max: ArrayLike) -> jax.Array:
  """Fractions of p_max [..., K] -> powers in the unit of p_max."""
  return jnp.asarray(p) * jnp.asarray(p_max)


def snr_db_to_noise_var(snr_db: float, p_max: float = 1.0) -> float:
  """Noise variance sigma^2 for SNR = p_max / sigma^2 given in dB."""
  return float(p_max) / (10.0 ** (float(snr_db) / 10.0))


def median_direct_snr_db(H, noise_var: float, p_max: float) -> np.ndarray:
  """Per network, the median direct-link SNR H_ii^2 p_max / sigma^2 in dB,
  computed on the host in float64. H [..., K, K] -> [...]."""
  direct = np.diagonal(np.asarray(H, np.float64), axis1=-2, axis2=-1)
  gains = np.median(np.square(direct), axis=-1) * p_max / noise_var
  return 10.0 * np.log10(np.maximum(gains, 1e-300))
