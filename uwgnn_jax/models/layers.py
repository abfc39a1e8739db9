"""Building blocks shared by the learned models (Flax Linen)."""

import math

import flax.linen as nn
import jax
import jax.numpy as jnp

from uwgnn_jax import graphs


# Gain features: a link's canonical SNR H^2 (p_max / sigma^2 folded in) in
# nats, divided by this, so that -20 to 60 dB map to about -0.5 to 1.4.
GAIN_FEATURE_SCALE = 10.0
# Gains below this read as this: a link 10 dB under the noise at full power
# is a weak link whatever its exact gain, and a dropped link (H = 0) or
# padding then reads as a weak link, not as -120 dB, far outside anything a
# model trained on full networks has seen (experiments/gain_floor_sweep.py,
# RESULTS.md, UWGNN Fig. 7).
GAIN_FLOOR = 0.1


def gain_features(nodes: jax.Array, edges: jax.Array) -> tuple:
  """(nodes [N, F], edges [..., 2]) with amplitudes H replaced by
  log(max(H^2, GAIN_FLOOR)) / GAIN_FEATURE_SCALE: the direct gain
  nodes[:, 0] and both edge gains. Raw canonical amplitudes grow 100x from
  0 to 40 dB; on this scale the SNR shifts every feature alike and ratios of
  gains (what SINR depends on) are differences, which lets one model serve
  a range of SNRs (BUILD_NOTES.md)."""
  scale = lambda h: jnp.log(jnp.maximum(jnp.square(h), GAIN_FLOOR)) / (
      GAIN_FEATURE_SCALE)
  return (jnp.concatenate([scale(nodes[:, :1]), nodes[:, 1:]], axis=-1),
          scale(edges))


def he_normal(fan_in: int) -> nn.initializers.Initializer:
  """He initialisation for a layer whose full input width is `fan_in`.

  A first layer split into an edge part and a node part (the hot-path
  factorisation below) is initialised as the unsplit layer would be.
  """
  return nn.initializers.normal(stddev=math.sqrt(2.0 / fan_in))


def dense(features: int, fan_in: int, name: str, use_bias: bool = True):
  return nn.Dense(features, use_bias=use_bias, kernel_init=he_normal(fan_in),
                  name=name)


class TwoLayerMLP(nn.Module):
  """in -> hidden (ReLU) -> out, linear output (UWGNN's f_n, docs/DESIGN.md s.4).

  `zero_output` initialises the output layer to zero: a power head then
  starts at sigmoid(0) = p_max / 2, away from the flat ends of the sigmoid
  where a He-initialised head starts (p near 0 or p_max, gradient ~0).
  """
  hidden: int
  out: int
  zero_output: bool = False

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    x = nn.relu(dense(self.hidden, x.shape[-1], "hidden")(x))
    if self.zero_output:
      return nn.Dense(self.out, kernel_init=nn.initializers.zeros,
                      name="out")(x)
    return dense(self.out, self.hidden, "out")(x)


def as_row(v: jax.Array, ndim: int) -> jax.Array:
  """v [m] reshaped to [1, ..., 1, m] of rank ndim (explicit rank promotion)."""
  return v.reshape((1,) * (ndim - 1) + v.shape)


class Affine(nn.Module):
  """A dense layer's kernel [in, out] and bias [out], usable unapplied.

  Same parameter tree and initialisation as `nn.Dense`, but the fused
  message-and-MAX path below reads the arrays themselves.
  """
  in_features: int
  features: int
  fan_in: int
  use_bias: bool = True

  def setup(self):
    self.kernel = self.param("kernel", he_normal(self.fan_in),
                             (self.in_features, self.features))
    self.bias = (self.param("bias", nn.initializers.zeros, (self.features,))
                 if self.use_bias else None)

  def __call__(self, x: jax.Array) -> jax.Array:
    """x [..., in] -> [..., out]."""
    y = x @ self.kernel
    return y + as_row(self.bias, y.ndim) if self.use_bias else y


def _weighted_channels(x: jax.Array, kernel: jax.Array) -> jax.Array:
  """x @ kernel as a sum of broadcasts, [..., n] x [n, m] -> [..., m].

  Unrolled over the (small) inner width n, so XLA fuses it with what
  consumes it (a MAX over senders) and the [K, K, m] product is never
  written to memory (BUILD_NOTES.md, Speed).
  """
  return sum(x[..., k:k + 1] * as_row(kernel[k], x.ndim)
             for k in range(kernel.shape[0]))


class EdgeMessage(nn.Module):
  """m_ij = MLP([e_ij, s_j]) for every edge j -> i, and its MAX at receivers.

  The first layer is factorised, W [e; s] + b = W_e e_ij + (W_s s_j + b):
  the node part is computed once per node (K rows, not K^2). Parameter count
  equals the unsplit MLP's.

  On the dense layout `max_at_receivers` is one fused pass per receiver:
  edge part, ReLU, output layer and MAX over senders, with the output bias
  added after the MAX (max_j(x_j + b) = max_j(x_j) + b, and ReLU after it
  commutes with the MAX). On the edge-list layout the messages are formed
  and reduced with `segment_max`.
  """
  hidden: int
  out: int
  edge_dim: int
  node_dim: int
  relu_output: bool = False

  def setup(self):
    fan_in = self.edge_dim + self.node_dim
    self.edge_in = Affine(self.edge_dim, self.hidden, fan_in, use_bias=False,
                          name="edge_in")
    self.node_in = Affine(self.node_dim, self.hidden, fan_in, name="node_in")
    self.output = Affine(self.hidden, self.out, self.hidden, name="out")

  def messages(self, graph, edges: jax.Array, senders: jax.Array) -> jax.Array:
    """m_ij on every edge, [..., out] in the graph's edge layout."""
    hidden = nn.relu(self.edge_in(edges) +
                     graph.from_senders(self.node_in(senders)))
    out = self.output(hidden)
    return nn.relu(out) if self.relu_output else out

  def max_at_receivers(self, graph, edges: jax.Array,
                       senders: jax.Array) -> jax.Array:
    """M_i = max_{j != i} m_ij, [N, out]; 0 for a node with no in-edges.

    edges [..., edge_dim] in the graph's edge layout; senders [N, node_dim].
    """
    if not isinstance(graph, graphs.DenseGraph) or graph.num_nodes == 1:
      return graph.max_at_receivers(self.messages(graph, edges, senders))
    pre = (graph.from_senders(self.node_in(senders)) +
           _weighted_channels(edges, self.edge_in.kernel))
    out = _weighted_channels(nn.relu(pre), self.output.kernel)
    aggregated = graph.max_at_receivers(out)
    aggregated = aggregated + as_row(self.output.bias, aggregated.ndim)
    aggregated = nn.relu(aggregated) if self.relu_output else aggregated
    if graph.present is not None:  # No sender present: 0, as on K = 1.
      aggregated = jnp.where(graph.has_senders(), aggregated, 0.0)
    return aggregated


def concat(*arrays: jax.Array) -> jax.Array:
  return jnp.concatenate(arrays, axis=-1)


# The depth marker of models whose layers share one parameter set: those
# params hold nothing per layer, so a depth other than the default is
# recorded in the shape of an unused zeros [num_layers] leaf (`from_params`
# reads sizes back from shapes; orbax refuses zero-size arrays). Its
# gradient is 0, so training leaves it at zeros.
DEPTH_MARKER = "depth"


def record_depth(module: nn.Module, num_layers: int, default: int) -> None:
  """Declares the marker in `module` when num_layers != default (so trees of
  the default depth, and every file written before the marker, are
  unchanged). Call inside a compact __call__."""
  if num_layers != default:
    module.param(DEPTH_MARKER, nn.initializers.zeros, (num_layers,))


def recorded_depth(params, default: int) -> int:
  """The depth `record_depth` wrote into `params` (default if unmarked)."""
  marker = params.get(DEPTH_MARKER)
  return default if marker is None else marker.shape[0]
