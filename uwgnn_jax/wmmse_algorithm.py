"""WMMSE power allocation (Shi, Razaviyayn, Luo, He 2011; DESIGN.md section 2).

Block-coordinate descent on the weighted-MSE reformulation of the weighted
sum-rate problem, written as pure init/step functions on a `WmmseState`
NamedTuple (optax's GradientTransformation pattern) and a `lax.scan` driver.
The core works on ONE network in canonical units (noise variance 1, power
budget 1); the public `wmmse*` functions validate, rescale and batch.

With amplitudes v = sqrt(p), receiver gains u and MSE weights w:

  u_i = H_ii v_i / (sigma^2 + sum_j H_ij^2 v_j^2)                 (UWMMSE eq. 6)
  w_i = 1 / (1 - u_i H_ii v_i)                                     (UWMMSE eq. 7)
  v_i = clip(alpha_i w_i u_i H_ii / sum_j alpha_j w_j u_j^2 H_ji^2,
             0, sqrt(p_max))                                       (UWMMSE eq. 8)

w is evaluated as total / (interference + noise) = 1 + SINR_i, algebraically
equal to eq. 7 but free of the catastrophic cancellation 1 - u H v suffers
when a link's SNR is large (the geometric model reaches 1e13).
"""

from typing import NamedTuple, Optional

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from uwgnn_jax import batching
from uwgnn_jax import rates
from uwgnn_jax import units
from uwgnn_jax import validation


class WmmseState(NamedTuple):
  """WMMSE variables of one network, each [K], canonical units."""
  u: jax.Array  # receiver gains.
  w: jax.Array  # MSE weights (>= 1).
  v: jax.Array  # transmit amplitudes sqrt(p), in [0, 1].


def receiver_update(H: jax.Array, v: jax.Array, noise_var=1.0) -> tuple:
  """u and w from amplitudes v (eqs. 6-7). H [K, K], v [K] -> ([K], [K])."""
  signal, interference = rates.received_powers(H, jnp.square(v), noise_var)
  total = interference + signal
  u = jnp.diagonal(H) * v / total
  w = total / interference
  return u, w


def safe_ratio(numerator: jax.Array, denominator: jax.Array,
               if_zero_denominator: jax.Array) -> jax.Array:
  """numerator / denominator, with `if_zero_denominator` where it is <= 0."""
  positive = denominator > 0
  ratio = numerator / jnp.where(positive, denominator, 1.0)
  return jnp.where(positive, ratio, if_zero_denominator)


def transmitter_update(H: jax.Array, u: jax.Array, w: jax.Array,
                       weights: jax.Array, v_max=1.0,
                       denominator_offset=0.0) -> jax.Array:
  """Amplitudes v [K] from u, w (eq. 8), clipped to [0, v_max].

  `denominator_offset` is UWMMSE's learnable mu (0 for plain WMMSE). Where
  the denominator vanishes the limit of the ratio is taken: v_max if the
  numerator is positive (the ratio grows without bound), else 0.
  """
  weighted = weights * w
  numerator = weighted * u * jnp.diagonal(H)
  # sum_j alpha_j w_j u_j^2 H_ji^2, the leakage out of transmitter i.
  denominator = jnp.square(H).T @ (weighted * jnp.square(u))
  denominator = denominator + denominator_offset
  fallback = jnp.where(numerator > 0, v_max, 0.0)
  return jnp.clip(safe_ratio(numerator, denominator, fallback), 0.0, v_max)


def wmmse_init(H: jax.Array, v_init: jax.Array) -> WmmseState:
  """State from initial amplitudes v_init [K] (canonical units)."""
  u, w = receiver_update(H, v_init)
  return WmmseState(u=u, w=w, v=v_init)


def wmmse_step(state: WmmseState, H: jax.Array,
               weights: jax.Array) -> WmmseState:
  """One full WMMSE iteration: v (eq. 8), then u, w (eqs. 6-7)."""
  v = transmitter_update(H, state.u, state.w, weights)
  u, w = receiver_update(H, v)
  return WmmseState(u=u, w=w, v=v)


def wmmse_iterate(H: jax.Array, weights: jax.Array, v_init: jax.Array,
                  num_iters: int) -> tuple:
  """Runs `num_iters` iterations on one canonical network.

  Args:
    H: [K, K] canonical amplitudes.
    weights: [K] rate weights alpha.
    v_init: [K] initial amplitudes in [0, 1].
    num_iters: static number of iterations (0 returns v_init).

  Returns:
    (final WmmseState, trace [num_iters + 1]) where trace[t] is the weighted
    sum rate (bits) after t iterations; trace[0] is the starting point.
  """
  def body(state, _):
    state = wmmse_step(state, H, weights)
    return state, rates.sum_rate_single(H, jnp.square(state.v), 1.0, weights)

  state = wmmse_init(H, v_init)
  start = rates.sum_rate_single(H, jnp.square(v_init), 1.0, weights)
  state, trace = jax.lax.scan(body, state, None, length=num_iters)
  return state, jnp.concatenate([start[None], trace])


def wmmse_canonical(H: jax.Array, weights: jax.Array, num_iters: int = 100,
                    p_init: Optional[jax.Array] = None) -> jax.Array:
  """WMMSE powers [K] in [0, 1] for one canonical network (full-power start)."""
  v_init = jnp.ones(H.shape[-1], H.dtype) if p_init is None else jnp.sqrt(p_init)
  state, _ = wmmse_iterate(H, weights, v_init, num_iters)
  return jnp.square(state.v)


def _prepare(H, noise_var, p_max, weights, num_iters):
  H = validation.check_channel(H)
  noise_var = validation.check_positive_scalar(noise_var, "noise_var")
  p_max = validation.check_positive_scalar(p_max, "p_max")
  weights = validation.check_weights(weights, H)
  validation.check_positive_int(num_iters, "num_iters", minimum=0)
  return units.to_canonical_channel(H, noise_var, p_max), p_max, weights


def wmmse_trace(H: ArrayLike, *, noise_var: float = 1.0, p_max: float = 1.0,
                weights: Optional[ArrayLike] = None, num_iters: int = 100,
                p_init: Optional[ArrayLike] = None) -> tuple:
  """Like `wmmse`, also returning the sum-rate trace [..., num_iters + 1]."""
  H_c, p_max, weights = _prepare(H, noise_var, p_max, weights, num_iters)
  if p_init is None:
    v_init = jnp.ones(H_c.shape[:-1], H_c.dtype)
  else:
    p_init = validation.check_power(p_init, H_c, "p_init")
    v_init = jnp.sqrt(jnp.clip(units.to_canonical_power(p_init, p_max), 0, 1))

  def single(h, a, v0):
    state, trace = wmmse_iterate(h, a, v0, num_iters)
    return jnp.square(state.v), trace

  p_c, trace = batching.over_leading_axes(single, H_c.ndim - 2)(
      H_c, weights, v_init)
  return units.from_canonical_power(p_c, p_max), trace


def wmmse(H: ArrayLike, *, noise_var: float = 1.0, p_max: float = 1.0,
          weights: Optional[ArrayLike] = None, num_iters: int = 100,
          p_init: Optional[ArrayLike] = None) -> jax.Array:
  """WMMSE transmit powers.

  Args:
    H: [..., K, K] amplitudes, H[..., i, j] from transmitter j to receiver i.
    noise_var: sigma^2 > 0.
    p_max: per-user power budget > 0.
    weights: alpha [..., K] or [K]; None means all ones.
    num_iters: iterations; 100 is the paper's "WMMSE", a model's layer count
      its "Tr-WMMSE".
    p_init: [..., K] starting powers; default full power p_max.

  Returns:
    p [..., K] in [0, p_max].
  """
  return wmmse_trace(H, noise_var=noise_var, p_max=p_max, weights=weights,
                     num_iters=num_iters, p_init=p_init)[0]


def wmmse_best_of_random_starts(key: jax.Array, H: ArrayLike, *,
                                num_starts: int, noise_var: float = 1.0,
                                p_max: float = 1.0,
                                weights: Optional[ArrayLike] = None,
                                num_iters: int = 100) -> jax.Array:
  """Best of `num_starts` WMMSE runs from random starts, per network.

  Each start draws v0 = sqrt(U(0, p_max)) independently per user (UWGNN
  paper, Table I "best of 100"); all starts run vectorized in one program
  and the start with the highest weighted sum rate is kept.

  Returns:
    p [..., K] in [0, p_max].
  """
  validation.check_positive_int(num_starts, "num_starts")
  H_c, p_max, weights = _prepare(H, noise_var, p_max, weights, num_iters)
  batch_shape = H_c.shape[:-2]
  num_users = H_c.shape[-1]
  v_starts = jnp.sqrt(jax.random.uniform(
      key, batch_shape + (num_starts, num_users), H_c.dtype))

  def single(h, a, v0s):
    def run(v0):
      state, trace = wmmse_iterate(h, a, v0, num_iters)
      return jnp.square(state.v), trace[-1]
    powers, final_rates = jax.vmap(run)(v0s)
    return powers[jnp.argmax(final_rates)]

  p_c = batching.over_leading_axes(single, len(batch_shape))(
      H_c, weights, v_starts)
  return units.from_canonical_power(p_c, p_max)
