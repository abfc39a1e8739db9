"""WMMSE power allocation (Shi, Razaviyayn, Luo, He 2011; docs/DESIGN.md section 2).

Block-coordinate descent on the weighted-MSE reformulation of the weighted
sum-rate problem, written as pure init/step functions on a `WmmseState`
NamedTuple (optax's GradientTransformation pattern) and a loop driver. The
core works on ONE network in canonical units (noise variance 1, power
budget 1); the public `wmmse*` functions validate in Python, then call a
module-level jitted function that rescales and batches.

With amplitudes v = sqrt(p), receiver gains u and MSE weights w:

  u_i = H_ii v_i / (sigma^2 + sum_j H_ij^2 v_j^2)                 (UWMMSE eq. 6)
  w_i = 1 / (1 - u_i H_ii v_i)                                     (UWMMSE eq. 7)
  v_i = clip(alpha_i w_i u_i H_ii / sum_j alpha_j w_j u_j^2 H_ji^2,
             0, sqrt(p_max))                                       (UWMMSE eq. 8)

w is evaluated as total / (interference + noise) = 1 + SINR_i, algebraically
equal to eq. 7 but free of the catastrophic cancellation 1 - u H v suffers
when a link's SNR is large (the geometric model reaches 1e13). For the same
reason the interference sum uses the off-diagonal gains only, never
"total minus signal".

Speed (BUILD_NOTES.md, Speed): the squared gains are formed once per network
(`channel_gains`), the loop carries only v, the sum rate is computed only
when a trace is asked for (`wmmse_trace`), and batches run chunk by chunk
so that a chunk's gains stay in cache for all iterations
(`batching.over_networks`).
"""

import functools
from typing import NamedTuple, Optional

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from uwgnn_jax import batching
from uwgnn_jax import graphs
from uwgnn_jax import units
from uwgnn_jax import validation


class ChannelGains(NamedTuple):
  """What every WMMSE iteration reads of one network, formed once."""
  direct: jax.Array  # [K] direct amplitudes H_ii.
  direct_gain: jax.Array  # [K] H_ii^2.
  cross_gain: jax.Array  # [K, K] H_ij^2 off the diagonal, 0 on it.

  def into_receivers(self, x: jax.Array) -> jax.Array:
    """sum_{j != i} H_ij^2 x_j for each receiver i: [K] -> [K]."""
    return self.cross_gain @ x

  def out_of_transmitters(self, c: jax.Array) -> jax.Array:
    """sum_{j != i} c_j H_ji^2 for each transmitter i: [K] -> [K]; `c @ G`
    contracts G's rows, no transpose."""
    return c @ self.cross_gain


class SparseChannelGains(NamedTuple):
  """ChannelGains on a top-k graph: only its kept links j -> i interfere."""
  direct: jax.Array  # [K]
  direct_gain: jax.Array  # [K]
  edge_gain: jax.Array  # [E, 1] H_ij^2 of edge j -> i.
  graph: graphs.EdgeListGraph

  def into_receivers(self, x: jax.Array) -> jax.Array:
    return self.graph.sum_at_receivers(
        self.edge_gain * self.graph.from_senders(x[:, None]))[:, 0]

  def out_of_transmitters(self, c: jax.Array) -> jax.Array:
    return self.graph.sum_at_senders(
        self.edge_gain * self.graph.from_receivers(c[:, None]))[:, 0]


def sparse_gains(network: graphs.SparseNetwork) -> SparseChannelGains:
  """The squared gains of a network's kept links (canonical amplitudes)."""
  return SparseChannelGains(network.direct, jnp.square(network.direct),
                            jnp.square(network.edges[:, :1]), network.graph)


def channel_gains(H: jax.Array, top_k: Optional[int] = None, scale=None):
  """Squared gains of one network, H [K, K] (receiver-first): every link
  (ChannelGains), or with `top_k` (static) only each receiver's top_k
  strongest interferers (SparseChannelGains on `graphs.top_k_graph`,
  O(K top_k) per iteration). `scale`: H is canonical once multiplied by it
  (top-k: only the kept gains are scaled, no [K, K] copy)."""
  if top_k is not None:
    return sparse_gains(graphs.top_k_network(H, top_k, scale))
  if scale is not None:
    H = H * scale
  direct = jnp.diagonal(H)
  off_diagonal = ~jnp.eye(H.shape[-1], dtype=bool)
  cross_gain = jnp.where(off_diagonal, jnp.square(H), 0.0)
  return ChannelGains(direct, jnp.square(direct), cross_gain)


class WmmseState(NamedTuple):
  """WMMSE variables of one network, each [K], canonical units."""
  u: jax.Array  # receiver gains.
  w: jax.Array  # MSE weights (>= 1).
  v: jax.Array  # transmit amplitudes sqrt(p), in [0, 1].


def safe_ratio(numerator: jax.Array, denominator: jax.Array,
               if_zero_denominator: jax.Array) -> jax.Array:
  """numerator / denominator, with `if_zero_denominator` where it is <= 0."""
  positive = denominator > 0
  ratio = numerator / jnp.where(positive, denominator, 1.0)
  return jnp.where(positive, ratio, if_zero_denominator)


def receiver_update(gains: ChannelGains, v: jax.Array) -> tuple:
  """u and w [K] from amplitudes v [K] (eqs. 6-7), noise variance 1."""
  p = jnp.square(v)
  interference = 1.0 + gains.into_receivers(p)
  total = interference + gains.direct_gain * p
  return gains.direct * v / total, total / interference


def transmitter_update(gains: ChannelGains, u: jax.Array, w: jax.Array,
                       weights: jax.Array, v_max=1.0) -> jax.Array:
  """Amplitudes v [K] from u, w (eq. 8), clipped to [0, v_max].

  Where the denominator vanishes the limit of the ratio is taken: v_max if
  the numerator is positive (the ratio grows without bound), else 0.
  """
  weighted = weights * w
  coefficient = weighted * jnp.square(u)
  numerator = weighted * u * gains.direct
  # sum_j alpha_j w_j u_j^2 H_ji^2, the leakage out of transmitter i, its
  # own term j = i included.
  denominator = (gains.out_of_transmitters(coefficient) +
                 coefficient * gains.direct_gain)
  fallback = jnp.where(numerator > 0, v_max, 0.0)
  return jnp.clip(safe_ratio(numerator, denominator, fallback), 0.0, v_max)


def wmmse_init(gains: ChannelGains, v_init: jax.Array) -> WmmseState:
  """State from initial amplitudes v_init [K] (canonical units)."""
  u, w = receiver_update(gains, v_init)
  return WmmseState(u=u, w=w, v=v_init)


def wmmse_step(state: WmmseState, gains: ChannelGains,
               weights: jax.Array) -> WmmseState:
  """One full WMMSE iteration: v (eq. 8), then u, w (eqs. 6-7)."""
  v = transmitter_update(gains, state.u, state.w, weights)
  u, w = receiver_update(gains, v)
  return WmmseState(u=u, w=w, v=v)


def _next_amplitudes(gains, weights, v):
  """v after one iteration, from v alone: eqs. 6-7 then eq. 8."""
  u, w = receiver_update(gains, v)
  return transmitter_update(gains, u, w, weights)


def rate_of_amplitudes(gains: ChannelGains, weights: jax.Array,
                       v: jax.Array) -> jax.Array:
  """Weighted sum rate (bits, scalar) of one canonical network at p = v^2."""
  p = jnp.square(v)
  sinr = gains.direct_gain * p / (1.0 + gains.into_receivers(p))
  return jnp.sum(weights * jnp.log2(1.0 + sinr))


def wmmse_amplitudes(H: jax.Array, weights: jax.Array, v_init: jax.Array,
                     num_iters: int, top_k: Optional[int] = None,
                     scale=None) -> jax.Array:
  """Final amplitudes v [K] of one canonical network, no rates computed.

  H [K, K] canonical amplitudes (or raw ones and their `scale`), weights
  [K], v_init [K] in [0, 1]; num_iters static (0 returns v_init); top_k
  static (`channel_gains`).
  """
  gains = channel_gains(H, top_k, scale)
  return jax.lax.fori_loop(
      0, num_iters, lambda _, v: _next_amplitudes(gains, weights, v), v_init)


def wmmse_iterate(H: jax.Array, weights: jax.Array, v_init: jax.Array,
                  num_iters: int, top_k: Optional[int] = None,
                  scale=None) -> tuple:
  """Like `wmmse_amplitudes`, also returning the rate trace.

  Returns:
    (v [K], trace [num_iters + 1]) where trace[t] is the weighted sum rate
    (bits) after t iterations (with top_k: of the kept links only, the
    objective WMMSE climbs there); trace[0] is the starting point.
  """
  gains = channel_gains(H, top_k, scale)

  def body(v, _):
    v = _next_amplitudes(gains, weights, v)
    return v, rate_of_amplitudes(gains, weights, v)

  start = rate_of_amplitudes(gains, weights, v_init)
  v, trace = jax.lax.scan(body, v_init, None, length=num_iters)
  return v, jnp.concatenate([start[None], trace])


def wmmse_canonical(H: jax.Array, weights: jax.Array, num_iters: int = 100,
                    p_init: Optional[jax.Array] = None) -> jax.Array:
  """WMMSE powers [K] in [0, 1] for one canonical network (full-power start)."""
  v_init = jnp.ones(H.shape[-1], H.dtype) if p_init is None else jnp.sqrt(p_init)
  return jnp.square(wmmse_amplitudes(H, weights, v_init, num_iters))


def _bytes_per_network(num_users: int, num_starts: int = 1,
                       top_k: Optional[int] = None) -> int:
  """float32 working set of one network: its gains (with top_k: H and the
  kept links) and R starts' vectors."""
  gains = num_users * num_users
  if top_k is not None:  # Edge gains, senders and receivers beside H.
    gains += 3 * num_users * min(top_k, num_users - 1)
  return 4 * (gains + 8 * num_users * num_starts)


def _start_amplitudes(H_c, p_init, p_max):
  """v0 [..., K]: full power, or sqrt(p_init / p_max) clipped to [0, 1]."""
  if p_init is None:
    return jnp.ones((1,) * (H_c.ndim - 2) + H_c.shape[-1:], H_c.dtype)
  return jnp.sqrt(jnp.clip(units.to_canonical_power(p_init, p_max), 0, 1))


@functools.partial(jax.jit,
                   static_argnames=("num_iters", "with_trace", "top_k"))
def _wmmse_jit(H, noise_var, p_max, weights, p_init, num_iters: int,
               with_trace: bool, top_k: Optional[int] = None):
  """Validated input -> (p [..., K], trace [..., T + 1] or None)."""
  if top_k is None:
    H_c, scale = units.to_canonical_channel(H, noise_var, p_max), None
  else:  # Only the kept gains get scaled: no [K, K] copy of H.
    H_c, scale = H, units.canonical_factor(noise_var, p_max)
  v_init = _start_amplitudes(H_c, p_init, p_max)
  if with_trace:
    single = lambda h, a, v0: wmmse_iterate(h, a, v0, num_iters, top_k, scale)
  else:
    single = lambda h, a, v0: (
        wmmse_amplitudes(h, a, v0, num_iters, top_k, scale), None)
  v, trace = batching.over_networks(
      single, (H_c, weights, v_init), (2, 1, 1),
      _bytes_per_network(H.shape[-1], top_k=top_k))
  return units.from_canonical_power(jnp.square(v), p_max), trace


def canonical_powers(H: jax.Array, weights: jax.Array,
                     num_iters: int = 100) -> jax.Array:
  """WMMSE powers [..., K] of canonical networks H [..., K, K], unvalidated.

  For library code that already holds canonical data (training sets); a
  jitted module-level call, so repeated calls compile once per shape.
  """
  return _wmmse_jit(H, 1.0, 1.0, weights, None, num_iters=num_iters,
                    with_trace=False)[0]


def _validated(H, noise_var, p_max, weights, num_iters, top_k=None):
  H = validation.check_channel(H)
  noise_var = validation.check_positive_scalar(noise_var, "noise_var")
  p_max = validation.check_positive_scalar(p_max, "p_max")
  weights = validation.check_weights(weights, H, broadcast=False)
  validation.check_positive_int(num_iters, "num_iters", minimum=0)
  if top_k is not None:
    top_k = validation.check_top_k(top_k, H.shape[-1])
  validation.check_canonical_scale(H, noise_var, p_max)
  return H, noise_var, p_max, weights, top_k


def wmmse_trace(H: ArrayLike, *, noise_var: float = 1.0, p_max: float = 1.0,
                weights: Optional[ArrayLike] = None, num_iters: int = 100,
                p_init: Optional[ArrayLike] = None,
                top_k: Optional[int] = None) -> tuple:
  """Like `wmmse`, also returning the sum-rate trace [..., num_iters + 1].

  trace[..., t] is the weighted sum rate (bit/s/Hz) after t iterations (with
  `top_k`, of the kept links only: the objective WMMSE climbs there). It
  costs one more matrix-vector product and K logarithms per iteration;
  `wmmse` computes none of it.
  """
  H, noise_var, p_max, weights, top_k = _validated(
      H, noise_var, p_max, weights, num_iters, top_k)
  if p_init is not None:
    p_init = validation.check_power(p_init, H, "p_init")
  return _wmmse_jit(H, noise_var, p_max, weights, p_init, num_iters=num_iters,
                    with_trace=True, top_k=top_k)


def wmmse(H: ArrayLike, *, noise_var: float = 1.0, p_max: float = 1.0,
          weights: Optional[ArrayLike] = None, num_iters: int = 100,
          p_init: Optional[ArrayLike] = None,
          top_k: Optional[int] = None) -> jax.Array:
  """WMMSE transmit powers.

  Args:
    H: [..., K, K] amplitudes, H[..., i, j] from transmitter j to receiver i.
    noise_var: sigma^2 > 0.
    p_max: per-user power budget > 0.
    weights: alpha [..., K] or [K]; None means all ones.
    num_iters: iterations; 100 is the paper's "WMMSE", a model's layer count
      its "Tr-WMMSE".
    p_init: [..., K] starting powers; default full power p_max.
    top_k: None runs on every link. An integer k >= 1 keeps, for each
      receiver, only its k strongest interferers (found on the device inside
      the jitted call) and iterates with segment sums over those K k links:
      O(K k) work per iteration. The powers optimise the kept-links problem;
      score them on the full H with `sum_rate`. k >= K - 1 keeps every link.

  Returns:
    p [..., K] in [0, p_max].
  """
  H, noise_var, p_max, weights, top_k = _validated(
      H, noise_var, p_max, weights, num_iters, top_k)
  if p_init is not None:
    p_init = validation.check_power(p_init, H, "p_init")
  return _wmmse_jit(H, noise_var, p_max, weights, p_init, num_iters=num_iters,
                    with_trace=False, top_k=top_k)[0]


@functools.partial(jax.jit, static_argnames=("num_iters",))
def _wmmse_network_jit(senders, receivers, edges, direct, noise_var, p_max,
                       weights, num_iters: int):
  gains = sparse_gains(graphs.scaled_network(
      senders, receivers, edges, direct,
      units.canonical_factor(noise_var, p_max)))
  v = jax.lax.fori_loop(0, num_iters,
                        lambda _, v: _next_amplitudes(gains, weights, v),
                        jnp.ones_like(direct))
  return units.from_canonical_power(jnp.square(v), p_max)


def wmmse_network(network: graphs.SparseNetwork, *, noise_var: float = 1.0,
                  p_max: float = 1.0, weights: Optional[ArrayLike] = None,
                  num_iters: int = 100) -> jax.Array:
  """WMMSE powers [K] on a network known on its kept links only (eqs. 6-8
  with the edge list's segment sums, O(E) per iteration), from full power.

  `network`: a graphs.SparseNetwork, from `graphs.top_k_network(H, k)` or,
  for networks whose [K, K] channel does not fit, from positions
  (`cell_grid.top_k_network`). It climbs the kept links' sum rate
  (`network_sum_rate`).
  """
  network, weights = graphs.check_network(network, weights)
  noise_var = validation.check_positive_scalar(noise_var, "noise_var")
  p_max = validation.check_positive_scalar(p_max, "p_max")
  num_iters = validation.check_positive_int(num_iters, "num_iters",
                                            minimum=0)
  return _wmmse_network_jit(network.graph.senders, network.graph.receivers,
                            network.edges, network.direct, noise_var, p_max,
                            weights, num_iters=num_iters)


@jax.jit
def _network_sum_rate_jit(senders, receivers, edges, direct, p, noise_var,
                          weights):
  gains = sparse_gains(graphs.scaled_network(
      senders, receivers, edges, direct, 1.0 / jnp.sqrt(noise_var)))
  return rate_of_amplitudes(gains, weights, jnp.sqrt(p))


def network_sum_rate(network: graphs.SparseNetwork, p: ArrayLike, *,
                     noise_var: float = 1.0,
                     weights: Optional[ArrayLike] = None) -> jax.Array:
  """Weighted sum rate (bit/s/Hz) of powers p [K] counting the kept links'
  interference only: sum_i alpha_i log2(1 + H_ii^2 p_i / (sigma^2 +
  sum_{j -> i kept} H_ij^2 p_j)). Above the full network's rate by the
  interference of the links left out."""
  network, weights = graphs.check_network(network, weights)
  noise_var = validation.check_positive_scalar(noise_var, "noise_var")
  p = jnp.asarray(p, jnp.float32)
  if p.shape != network.direct.shape:
    raise ValueError(f"`p` must have shape {network.direct.shape}; got "
                     f"{p.shape}.")
  return _network_sum_rate_jit(network.graph.senders, network.graph.receivers,
                               network.edges, network.direct, p, noise_var,
                               weights)


def best_of_starts(H: jax.Array, weights: jax.Array, v_starts: jax.Array,
                   num_iters: int) -> jax.Array:
  """Powers [K] of the best of several WMMSE runs on one canonical network.

  v_starts [R, K] are the starting amplitudes; all R runs share the gains,
  so each iteration is one [R, K] x [K, K] product.
  """
  gains = channel_gains(H)
  run = lambda v0: jax.lax.fori_loop(
      0, num_iters, lambda _, v: _next_amplitudes(gains, weights, v), v0)
  v = jax.vmap(run)(v_starts)
  final_rates = jax.vmap(lambda x: rate_of_amplitudes(gains, weights, x))(v)
  return jnp.square(v[jnp.argmax(final_rates)])


@functools.partial(jax.jit, static_argnames=("num_starts", "num_iters",
                                             "include_full_power"))
def _best_of_starts_jit(key, H, noise_var, p_max, weights, num_starts: int,
                        num_iters: int, include_full_power: bool):
  H_c = units.to_canonical_channel(H, noise_var, p_max)
  batch_shape = H_c.shape[:-2]
  num_users = H_c.shape[-1]
  v_starts = jnp.sqrt(jax.random.uniform(
      key, batch_shape + (num_starts, num_users), H_c.dtype))
  if include_full_power:
    v_starts = v_starts.at[..., 0, :].set(1.0)
  p_c = batching.over_networks(
      lambda h, a, v0s: best_of_starts(h, a, v0s, num_iters),
      (H_c, weights, v_starts), (2, 1, 2),
      _bytes_per_network(num_users, num_starts))
  return units.from_canonical_power(p_c, p_max)


def wmmse_best_of_random_starts(key: jax.Array, H: ArrayLike, *,
                                num_starts: int, noise_var: float = 1.0,
                                p_max: float = 1.0,
                                weights: Optional[ArrayLike] = None,
                                num_iters: int = 100,
                                include_full_power: bool = False) -> jax.Array:
  """Best of `num_starts` WMMSE runs from random starts, per network.

  Each start draws v0 = sqrt(U(0, p_max)) independently per user (UWGNN
  paper, Table I "best of 100"); all starts run vectorized in one program
  and the start with the highest weighted sum rate is kept. With
  `include_full_power`, start 0 is WMMSE's usual full-power start, so one
  start is plain WMMSE and more can only do better (the equal-time
  frontier of `experiments/benchmark.py`).

  Returns:
    p [..., K] in [0, p_max].
  """
  validation.check_positive_int(num_starts, "num_starts")
  H, noise_var, p_max, weights, _ = _validated(H, noise_var, p_max, weights,
                                               num_iters)
  return _best_of_starts_jit(key, H, noise_var, p_max, weights,
                             num_starts=num_starts, num_iters=num_iters,
                             include_full_power=bool(include_full_power))
