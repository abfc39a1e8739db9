"""UWGNN: WMMSE-unrolled GNN (UWGNN paper; reconstruction in docs/DESIGN.md s.4).

One layer = one WMMSE iteration, built from two cascaded GNN modules with
MAX aggregation; `num_layers` layers (default 3) share their parameters;
another depth is recorded by `layers.record_depth`. In layer k,
with node scalars x_i = [H_ii, alpha_i, p_i] and edge features
e_ij = [H_ij, H_ji]:

  module 1 (unrolls the u and w updates, WMMSE eqs. 6-7)
    m_ij = f1([e_ij, x_j]),  M_i = max_{j != i} m_ij
    u_i = f2([M_i, x_i]),    w_i = f3([u_i, x_i])
  module 2 (unrolls the v update, eq. 8)
    n_ij = f4([u_j, w_j, e_ij]),  N_i = max_{j != i} n_ij
    p_i = sigmoid(f5([N_i, u_i, w_i, x_i]))      (canonical units: p_max = 1)

Every f_n is in -> hidden -> out with ReLU on the hidden layer. Defaults
(hidden 8, message 16, intermediate 4) give 953 parameters.
"""

import flax.linen as nn
import jax

from uwgnn_jax.models import layers

NODE_DIM = 3
EDGE_DIM = 2
DEFAULT_LAYERS = 3


class UWGNN(nn.Module):
  """Maps a channel graph to canonical powers p [N] in (0, 1)."""
  hidden: int = 8
  message: int = 16
  intermediate: int = 4
  num_layers: int = DEFAULT_LAYERS

  @nn.compact
  def __call__(self, graph, nodes: jax.Array, edges: jax.Array) -> jax.Array:
    """graph: DenseGraph or EdgeListGraph; nodes [N, 3] = [H_ii, alpha, p0];
    edges [..., 2] = [H_ij, H_ji] in the graph's edge layout."""
    layers.record_depth(self, self.num_layers, DEFAULT_LAYERS)
    nodes, edges = layers.gain_features(nodes, edges)
    inter = self.intermediate
    f1 = layers.EdgeMessage(self.hidden, self.message, EDGE_DIM, NODE_DIM,
                            name="f1")
    f2 = layers.TwoLayerMLP(self.hidden, inter, name="f2")
    f3 = layers.TwoLayerMLP(self.hidden, inter, name="f3")
    f4 = layers.EdgeMessage(self.hidden, self.message, EDGE_DIM, 2 * inter,
                            name="f4")
    f5 = layers.TwoLayerMLP(self.hidden, 1, zero_output=True, name="f5")
    static = nodes[:, :2]
    p = nodes[:, 2:]
    for _ in range(self.num_layers):
      x = layers.concat(static, p)
      interference = f1.max_at_receivers(graph, edges, x)
      u = f2(layers.concat(interference, x))
      w = f3(layers.concat(u, x))
      u_w = layers.concat(u, w)
      leakage = f4.max_at_receivers(graph, edges, u_w)
      p = nn.sigmoid(f5(layers.concat(leakage, u_w, x)))
    return p[:, 0]


def from_params(params) -> UWGNN:
  """The module whose sizes match a UWGNN parameter tree."""
  return UWGNN(hidden=params["f1"]["node_in"]["kernel"].shape[1],
               message=params["f1"]["out"]["kernel"].shape[1],
               intermediate=params["f2"]["out"]["kernel"].shape[1],
               num_layers=layers.recorded_depth(params, DEFAULT_LAYERS))
