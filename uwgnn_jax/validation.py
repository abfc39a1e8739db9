"""Input checks at the public edge: clear `ValueError`s, never inside jit.

Shape checks always run (shapes are static under jit). Value checks (sign,
finiteness, float32 range) run on concrete arrays. Inside a caller's jit,
vmap or grad the values are tracers and are not checked, unless the call is
wrapped in `checked`, which turns the same checks into `checkify` checks:

    safe = jax.jit(checked(lambda h: allocate(params, h, noise_var=0.1)))
    error, p = safe(H)
    error.throw()   # ValueError-like JaxRuntimeError naming the argument
"""

from typing import Callable, Optional

import jax
from jax.experimental import checkify
import jax.numpy as jnp
import numpy as np

def is_concrete(x) -> bool:
  return not isinstance(x, jax.core.Tracer)


def checked(fn: Callable) -> Callable:
  """`fn` with our input checks as checkify checks, for use under jit.

  Returns a function giving (checkify.Error, fn's output); `.throw()` on the
  error raises with the message the eager call's ValueError would give.
  The checks of traced values are `checkify.debug_check`s, emitted whenever
  our functions are traced: inside `checked` they report, anywhere else
  (a plain jit, or a trace jit cached before) they are no-ops, so no trace
  cache can turn them on or off. Concrete values still raise ValueError.
  """
  return checkify.checkify(fn, errors=checkify.user_checks)


def _traced_check(predicate: jax.Array, message: str, **values) -> None:
  """A check of traced values that reports only under `checked`."""
  checkify.debug_check(predicate, message, **values)


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
  if not is_concrete(H):
    _traced_check(jnp.all(jnp.isfinite(H)),
                  f"`{name}` has non-finite entries (NaN or inf).")
    _traced_check(jnp.all(H >= 0), f"`{name}` must be non-negative "
                  "amplitudes; its minimum is {m}.", m=jnp.min(H))
    return H
  values = np.asarray(H)
  if not np.all(np.isfinite(values)):
    raise ValueError(f"`{name}` has non-finite entries (NaN or inf).")
  if np.any(values < 0):
    raise ValueError(
        f"`{name}` must be non-negative amplitudes; its minimum is "
        f"{values.min()}.")
  return H


# float32's normal range: smaller values lose precision (subnormals) and
# their reciprocals overflow; larger ones are inf.
FLOAT32_TINY = float(np.finfo(np.float32).tiny)  # 1.18e-38
FLOAT32_MAX = float(np.finfo(np.float32).max)  # 3.40e38
# Largest canonical sum of K link gains allowed: room left for the products
# WMMSE forms from them (w = 1 + SINR times a gain, and their sums).
CANONICAL_GAIN_LIMIT = FLOAT32_MAX / 1e4


def check_positive_scalar(value, name: str) -> jax.Array:
  """Checks noise_var / p_max: a scalar in float32's normal range (> 0)."""
  try:
    arr = jnp.asarray(value)
  except (TypeError, OverflowError) as e:
    raise ValueError(f"`{name}` must be a number; got {value!r}.") from e
  if arr.ndim != 0:
    raise ValueError(f"`{name}` must be a scalar; got shape {arr.shape}.")
  if not (jnp.issubdtype(arr.dtype, jnp.floating) or
          jnp.issubdtype(arr.dtype, jnp.integer)):
    raise ValueError(f"`{name}` must be a real number; got {value!r}.")
  if not is_concrete(arr):
    _traced_check((arr >= FLOAT32_TINY) & (arr <= FLOAT32_MAX),
                  f"`{name}` must be a finite number > 0 in float32's normal "
                  "range; got {v}.", v=arr)
  else:
    scalar = float(arr)
    if not np.isfinite(scalar) or scalar <= 0:
      raise ValueError(f"`{name}` must be a finite number > 0; got {scalar}.")
    if not FLOAT32_TINY <= scalar <= FLOAT32_MAX:
      raise ValueError(
          f"`{name}` must lie in float32's normal range [{FLOAT32_TINY:.3g}, "
          f"{FLOAT32_MAX:.3g}]; got {scalar:.3g}.")
  return arr.astype(jnp.result_type(float))


def check_canonical_scale(H: jax.Array, noise_var, power) -> None:
  """ValueError if the canonical gains max(H)^2 power / noise_var of K links
  add up past float32's range. power: p_max where the core works on
  H sqrt(p_max / sigma^2) (allocate, wmmse); max(p, 1) where it works on
  H / sigma at powers p (sum_rate, sinr).

  Only on concrete input; the error names all three arguments, since any of
  them can be rescaled to fix it.
  """
  if H.size == 0:
    return
  if not all(map(is_concrete, (H, noise_var, power))):
    gain = jnp.max(H) ** 2 * jnp.max(power) / jnp.asarray(noise_var)
    _traced_check(gain * H.shape[-1] <= CANONICAL_GAIN_LIMIT,
                  "`H`, `noise_var` and the power budget give a link SNR "
                  "max(H)^2 p / noise_var = {g} that overflows float32 when "
                  "K of them add up. Rescale H or noise_var.", g=gain)
    return
  gain = (float(np.max(np.asarray(H))) ** 2 * float(np.max(power)) /
          float(noise_var))
  if gain * H.shape[-1] > CANONICAL_GAIN_LIMIT:
    raise ValueError(
        f"`H`, `noise_var` and the power budget give a link SNR "
        f"max(H)^2 p / noise_var = {gain:.3g} ({10 * np.log10(gain):.0f} dB); "
        f"K = {H.shape[-1]} of them overflow float32 (limit "
        f"{CANONICAL_GAIN_LIMIT / H.shape[-1]:.3g}). Rescale H or noise_var.")


def check_finite_nonnegative(x: jax.Array, name: str) -> None:
  if not is_concrete(x):
    _traced_check(jnp.all(jnp.isfinite(x) & (x >= 0)),
                  f"`{name}` must be finite and non-negative.")
  else:
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
  check_finite_nonnegative(weights, name)
  return jnp.broadcast_to(weights, target) if broadcast else weights


def check_power(p, H: jax.Array, name: str = "p") -> jax.Array:
  """Checks a power vector p[..., K] matching H[..., K, K]."""
  p = jnp.asarray(p, H.dtype)
  if p.shape != H.shape[:-1]:
    raise ValueError(
        f"`{name}` must have shape {H.shape[:-1]} to match H of shape "
        f"{H.shape}; got shape {p.shape}.")
  check_finite_nonnegative(p, name)
  return p


def check_positive_int(value, name: str, minimum: int = 1) -> int:
  if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
    raise ValueError(f"`{name}` must be an integer; got {value!r}.")
  if value < minimum:
    raise ValueError(f"`{name}` must be >= {minimum}; got {value}.")
  return int(value)


def check_top_k(top_k, num_users: int) -> int:
  """An int >= 1, clamped to max(K - 1, 1): every larger k keeps every
  link, and one static value then serves them all under jit."""
  return min(check_positive_int(top_k, "top_k"), max(num_users - 1, 1))


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
