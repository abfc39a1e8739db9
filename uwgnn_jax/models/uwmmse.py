"""UWMMSE: WMMSE unfolded with graph convolutions (Chowdhury et al.).

`num_layers` unrolled WMMSE iterations, each with its own parameters. In
layer k (canonical units, noise 1, power budget 1):

  u    = H_ii v / (1 + sum_j H_ij^2 v_j^2)                    (UWMMSE eq. 6)
  a, b = Psi(S; theta_a^k), Psi(S; theta_b^k)
  w    = a * (1 + SINR) + b              (eq. 7; 1 + SINR = 1 / (1 - u H_ii v))
  v    = clip(alpha u H_ii w / (sum_j alpha_j w_j u_j^2 H_ji^2 + mu_k), 0, 1)
                                                                  (eq. 8)

Psi is a two-layer graph convolution 1 -> 5 -> 1 on the node signal x = 1:
x' = (mean_{j != i} S_ij x_j) W1 + S_ii x_i W0 + b, ReLU between, sigmoid at
the end. mu_k (init 0) is the peer code's learnable denominator offset.

Every sum runs over incoming edges j -> i with edge features
e_ij = [H_ij, H_ji], so the layer is message passing on the channel graph
and runs on dense or edge-list layouts alike.

Feature scaling (our choice, BUILD_NOTES.md): the shift operator is
S_ij = log(1 + H_ij^2) / 10 in canonical units (the link's SNR in nats) and the
neighbour sum is a mean, so Psi sees O(1) inputs at any noise level and
network size; the peer code uses raw H.
"""

import flax.linen as nn
import jax
import jax.numpy as jnp

from uwgnn_jax import wmmse_algorithm

# log(1 + SNR) is 0-30 nats from weak Rayleigh links to the geometric
# model's strongest; dividing by 10 keeps Psi's inputs O(1).
SHIFT_SCALE = 10.0


def shift_operator(direct: jax.Array, edges: jax.Array) -> tuple:
  """S on the graph: (S_ij on incoming edges [..., 1], S_ii [N, 1]), with
  S_ij = log(1 + H_ij^2) / SHIFT_SCALE in canonical units. direct [N];
  edges [..., 2] = [H_ij, H_ji]."""
  return (jnp.log1p(jnp.square(edges[..., :1])) / SHIFT_SCALE,
          jnp.log1p(jnp.square(direct))[:, None] / SHIFT_SCALE)


class GraphConvolution(nn.Module):
  """x' = (mean_j S_ij x_j) W1 + S_ii x_i W0 + b; x [N, F] -> [N, out]."""
  features: int
  kernel_init: nn.initializers.Initializer = nn.initializers.lecun_normal()

  @nn.compact
  def __call__(self, graph, shift_edges, shift_self, x):
    neighbours = graph.mean_at_receivers(shift_edges * graph.from_senders(x))
    return (nn.Dense(self.features, use_bias=False, name="neighbours",
                     kernel_init=self.kernel_init)(neighbours) +
            nn.Dense(self.features, name="self",
                     kernel_init=self.kernel_init)(shift_self * x))


class Psi(nn.Module):
  """The 1 -> hidden -> 1 GCN producing a or b per node, in (0, 1). [N]."""
  hidden: int = 5

  @nn.compact
  def __call__(self, graph, shift_edges, shift_self):
    x = jnp.ones_like(shift_self)
    x = nn.relu(GraphConvolution(self.hidden, name="gc1")(
        graph, shift_edges, shift_self, x))
    # Zero-initialised output: a = b = 1/2 at the start, which is WMMSE up
    # to the small offset b (v is invariant to scaling every w alike).
    x = GraphConvolution(1, nn.initializers.zeros, name="gc2")(
        graph, shift_edges, shift_self, x)
    return nn.sigmoid(x)[:, 0]


def receiver_update(graph, direct, in_gains, v):
  """u and 1 + SINR by message passing (eqs. 6-7). direct, v [N].

  Works on amplitudes v: sqrt(p) would have an infinite derivative at p = 0.
  """
  p = jnp.square(v)
  interference = 1.0 + graph.sum_at_receivers(
      in_gains * graph.from_senders(p[:, None]))[:, 0]
  total = interference + jnp.square(direct) * p
  return direct * v / total, total / interference


def transmitter_update(graph, direct, in_gains, weights, u, w, mu):
  """v by message passing (eq. 8), clipped to [0, 1]. All [N].

  The leakage out of transmitter i, sum_j c_j H_ji^2, runs over i's own
  outgoing edges (i -> j carries H_ji as its in-gain): on a top-k graph
  those are not the reverses of i's incoming edges.
  """
  coefficient = weights * w * jnp.square(u)
  leakage = graph.sum_at_senders(
      in_gains * graph.from_receivers(coefficient[:, None]))[:, 0]
  denominator = coefficient * jnp.square(direct) + leakage + mu
  numerator = weights * w * u * direct
  fallback = jnp.where(numerator > 0, 1.0, 0.0)
  return jnp.clip(wmmse_algorithm.safe_ratio(numerator, denominator, fallback), 0.0, 1.0)


class UWMMSE(nn.Module):
  """Maps a channel graph to canonical powers p [N] in [0, 1]."""
  num_layers: int = 4
  hidden: int = 5

  @nn.compact
  def __call__(self, graph, nodes: jax.Array, edges: jax.Array) -> jax.Array:
    """nodes [N, 3] = [H_ii, alpha, p0]; edges [..., 2] = [H_ij, H_ji]."""
    direct, weights, v = nodes[:, 0], nodes[:, 1], jnp.sqrt(nodes[:, 2])
    in_gains = jnp.square(edges[..., :1])
    shift_edges, shift_self = shift_operator(direct, edges)
    # One mu per layer: its length records the layer count in the params.
    mu = self.param("mu", nn.initializers.zeros, (self.num_layers,))
    for k in range(self.num_layers):
      u, w_wmmse = receiver_update(graph, direct, in_gains, v)
      a = Psi(self.hidden, name=f"psi_a_{k}")(graph, shift_edges, shift_self)
      b = Psi(self.hidden, name=f"psi_b_{k}")(graph, shift_edges, shift_self)
      w = a * w_wmmse + b
      v = transmitter_update(graph, direct, in_gains, weights, u, w, mu[k])
    return jnp.square(v)


def from_params(params) -> UWMMSE:
  num_layers = params["mu"].shape[0]
  hidden = params["psi_a_0"]["gc1"]["self"]["kernel"].shape[1]
  return UWMMSE(num_layers=num_layers, hidden=hidden)
