"""SINR and weighted sum rate (docs/DESIGN.md section 1), in bit/s/Hz.

    SINR_i = H_ii^2 p_i / (sigma^2 + sum_{j != i} H_ij^2 p_j)
    WSR    = sum_i alpha_i log2(1 + SINR_i)

`H[i, j]` is the amplitude from transmitter j to receiver i. The `*_single`
functions take one network; the public ones validate in Python, then call a
module-level jitted core that accepts leading batch axes.
"""

from typing import Optional

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from uwgnn_jax import batching
from uwgnn_jax import units
from uwgnn_jax import validation


def received_powers(H: jax.Array, p: jax.Array, noise_var) -> tuple:
  """Signal and interference-plus-noise at each receiver of one network.

  Args:
    H: [K, K] amplitudes, receiver-first.
    p: [K] transmit powers.
    noise_var: scalar sigma^2.

  Returns:
    (signal [K], interference_plus_noise [K]); the interference sum skips the
    diagonal term explicitly (no cancellation when the signal dominates).
  """
  off_diagonal = ~jnp.eye(H.shape[-1], dtype=bool)
  cross_gain = jnp.where(off_diagonal, jnp.square(H), 0.0)
  signal = jnp.square(jnp.diagonal(H)) * p
  return signal, noise_var + cross_gain @ p


def sinr_single(H: jax.Array, p: jax.Array, noise_var) -> jax.Array:
  """SINR [K] of one network (linear, not dB)."""
  signal, interference = received_powers(H, p, noise_var)
  return signal / interference


def sum_rate_single(H: jax.Array, p: jax.Array, noise_var,
                    weights: jax.Array) -> jax.Array:
  """Weighted sum rate (bit/s/Hz, scalar) of one network."""
  return jnp.sum(weights * jnp.log2(1.0 + sinr_single(H, p, noise_var)))


def _bytes_per_network(H):
  return 4 * H.shape[-1] * H.shape[-1]


# The jitted cores work on H / sigma with noise 1 (canonical units with the
# powers as given): no product H^2 p there can overflow once
# `validation.check_canonical_scale` has passed, however large sigma^2 is.


@jax.jit
def _sinr_jit(H, p, noise_var):
  H_c = units.to_canonical_channel(H, noise_var, 1.0)
  return batching.over_networks(lambda h, q: sinr_single(h, q, 1.0),
                                (H_c, p), (2, 1), _bytes_per_network(H))


@jax.jit
def _sum_rate_jit(H, p, noise_var, weights):
  H_c = units.to_canonical_channel(H, noise_var, 1.0)
  return batching.over_networks(
      lambda h, q, a: sum_rate_single(h, q, 1.0, a), (H_c, p, weights),
      (2, 1, 1), _bytes_per_network(H))


def sinr(H: ArrayLike, p: ArrayLike, *, noise_var: float = 1.0) -> jax.Array:
  """SINR of every user, H[..., K, K], p[..., K] -> [..., K]."""
  H = validation.check_channel(H)
  p = validation.check_power(p, H)
  noise_var = validation.check_positive_scalar(noise_var, "noise_var")
  validation.check_canonical_scale(H, noise_var, jnp.maximum(p, 1.0))
  return _sinr_jit(H, p, noise_var)


def sum_rate(H: ArrayLike, p: ArrayLike, *, noise_var: float = 1.0,
             weights: Optional[ArrayLike] = None) -> jax.Array:
  """Weighted sum rate in bit/s/Hz.

  Args:
    H: [..., K, K] channel amplitudes, H[..., i, j] from transmitter j to
      receiver i.
    p: [..., K] transmit powers, same unit as noise_var.
    noise_var: sigma^2 > 0.
    weights: alpha [..., K] or [K]; None means all ones.

  Returns:
    [...] weighted sum rate per network.
  """
  H = validation.check_channel(H)
  p = validation.check_power(p, H)
  noise_var = validation.check_positive_scalar(noise_var, "noise_var")
  weights = validation.check_weights(weights, H, broadcast=False)
  validation.check_canonical_scale(H, noise_var, jnp.maximum(p, 1.0))
  return _sum_rate_jit(H, p, noise_var, weights)
