"""Building blocks shared by the learned models (Flax Linen)."""

import math

import flax.linen as nn
import jax
import jax.numpy as jnp


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
  """in -> hidden (ReLU) -> out, linear output (UWGNN's f_n, DESIGN.md s.4).

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


class EdgeMessage(nn.Module):
  """m_ij = MLP([e_ij, s_j]) for every edge j -> i, first layer factorised.

  The first layer W [e; s] + b = W_e e_ij + (W_s s_j + b): the node part is
  computed once per node (K rows, not K^2), and the edge part once per
  forward pass (`edge_embedding`), since edge features do not change between
  unrolled layers. Parameter count equals the unsplit MLP's.
  """
  hidden: int
  out: int
  edge_dim: int
  node_dim: int
  relu_output: bool = False

  def setup(self):
    fan_in = self.edge_dim + self.node_dim
    self.edge_in = dense(self.hidden, fan_in, "edge_in", use_bias=False)
    self.node_in = dense(self.hidden, fan_in, "node_in")
    self.output = dense(self.out, self.hidden, "out")

  def edge_embedding(self, edges: jax.Array) -> jax.Array:
    """[..., edge_dim] -> [..., hidden]; compute once, reuse every layer."""
    return self.edge_in(edges)

  def __call__(self, graph, edge_embedding: jax.Array,
               senders: jax.Array) -> jax.Array:
    hidden = nn.relu(edge_embedding + graph.from_senders(self.node_in(senders)))
    out = self.output(hidden)
    return nn.relu(out) if self.relu_output else out


def concat(*arrays: jax.Array) -> jax.Array:
  return jnp.concatenate(arrays, axis=-1)
