"""Input checks at the public edge: clear `ValueError`s, never inside jit.

Shape checks always run (shapes are static under jit). Value checks (sign,
finiteness) run only on concrete arrays: a caller who jits or differentiates
our public functions skips them, as they should be done once at the edge.
"""

from typing import Optional

import jax
import jax.numpy as jnp
import numpy as np


def _is_concrete(x) -> bool:
  return not isinstance(x, jax.core.Tracer)


def check_channel(H, name: str = "H") -> jax.Array:
  """Checks a channel-amplitude array H[..., K, K] (receiver-first)."""
  H = jnp.asarray(H)
  if H.ndim < 2 or H.shape[-1] != H.shape[-2] or H.shape[-1] < 1:
    raise ValueError(
        f"`{name}` must have shape [..., K, K] with K >= 1 (receiver-first "
        f"channel amplitudes); got shape {H.shape}.")
  if not jnp.issubdtype(H.dtype, jnp.floating):
    if jnp.issubdtype(H.dtype, jnp.complexfloating):
      raise ValueError(
          f"`{name}` must hold real amplitudes |h|, got complex dtype "
          f"{H.dtype}; pass jnp.abs(h).")
    H = H.astype(jnp.float32)
  if _is_concrete(H):
    values = np.asarray(H)
    if not np.all(np.isfinite(values)):
      raise ValueError(f"`{name}` has non-finite entries (NaN or inf).")
    if np.any(values < 0):
      raise ValueError(
          f"`{name}` must be non-negative amplitudes; its minimum is "
          f"{values.min()}.")
  return H


def check_positive_scalar(value, name: str) -> jax.Array:
  """Checks noise_var / p_max: a positive finite scalar."""
  arr = jnp.asarray(value)
  if arr.ndim != 0:
    raise ValueError(f"`{name}` must be a scalar; got shape {arr.shape}.")
  if _is_concrete(arr):
    scalar = float(arr)
    if not np.isfinite(scalar) or scalar <= 0:
      raise ValueError(f"`{name}` must be a finite number > 0; got {scalar}.")
  return arr.astype(jnp.result_type(float))


def _check_finite_nonnegative(x: jax.Array, name: str) -> None:
  if _is_concrete(x):
    values = np.asarray(x)
    if not np.all(np.isfinite(values)) or np.any(values < 0):
      raise ValueError(
          f"`{name}` must be finite and non-negative; got min {values.min()}.")


def check_weights(weights, H: jax.Array, name: str = "weights",
                  broadcast: bool = True) -> jax.Array:
  """Checks alpha [..., K] or [K] against H; None means all ones.

  With `broadcast` the result has shape H.shape[:-1]; without, it keeps its
  own ([K] for None), for jitted cores that broadcast inside.
  """
  target = H.shape[:-1]
  if weights is None:
    return jnp.ones(target if broadcast else target[-1:], H.dtype)
  weights = jnp.asarray(weights, H.dtype)
  if weights.shape not in (target, target[-1:]):
    raise ValueError(
        f"`{name}` must have shape {target} or ({target[-1]},) to match H of "
        f"shape {H.shape}; got shape {weights.shape}.")
  _check_finite_nonnegative(weights, name)
  return jnp.broadcast_to(weights, target) if broadcast else weights


def check_power(p, H: jax.Array, name: str = "p") -> jax.Array:
  """Checks a power vector p[..., K] matching H[..., K, K]."""
  p = jnp.asarray(p, H.dtype)
  if p.shape != H.shape[:-1]:
    raise ValueError(
        f"`{name}` must have shape {H.shape[:-1]} to match H of shape "
        f"{H.shape}; got shape {p.shape}.")
  _check_finite_nonnegative(p, name)
  return p


def check_positive_int(value, name: str, minimum: int = 1) -> int:
  if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
    raise ValueError(f"`{name}` must be an integer; got {value!r}.")
  if value < minimum:
    raise ValueError(f"`{name}` must be >= {minimum}; got {value}.")
  return int(value)


def check_probability(value, name: str,
                      upper_inclusive: Optional[bool] = True) -> float:
  value = float(value)
  ok = 0.0 <= value <= 1.0 if upper_inclusive else 0.0 <= value < 1.0
  if not ok:
    raise ValueError(f"`{name}` must lie in [0, 1]; got {value}.")
  return value


def check_nonnegative(value, name: str) -> float:
  value = float(value)
  if not np.isfinite(value) or value < 0:
    raise ValueError(f"`{name}` must be finite and >= 0; got {value}.")
  return value
