"""WCGCN (Shen et al., JSAC 2021; docs/DESIGN.md s.4).

One graph convolution applied `num_layers` times (default 3) with shared
weights; another depth is recorded by `layers.record_depth`. Node
features x_i = [H_ii, alpha_i, p_i] (p starts at p_max), edge features
e_ij = [H_ij, H_ji]:

  m_ij = MLP1([x_j, e_ij])   5 -> 16 -> 32, ReLU after each layer
  M_i  = max_{j != i} m_ij
  p_i  = sigmoid(MLP2([M_i, x_i]))   35 -> 16 -> 1

1,233 parameters.

IGCNet (Shen, Shi, Zhang, Letaief, Globecom 2019), WCGCN's predecessor, is
this module with `aggregation="max_sum"`: M_i = [max_j m_ij, sum_j m_ij],
so MLP2 is 67 -> 16 -> 1 and the model has 1,745 parameters. What we could
and could not verify of IGCNet is in BUILD_NOTES.md (IGCNet).
"""

import flax.linen as nn
import jax

from uwgnn_jax.models import layers

NODE_DIM = 3
EDGE_DIM = 2
DEFAULT_LAYERS = 3


class WCGCN(nn.Module):
  """Maps a channel graph to canonical powers p [N] in (0, 1)."""
  hidden: int = 16
  message: int = 32
  num_layers: int = DEFAULT_LAYERS
  aggregation: str = "max"  # Or "max_sum": IGCNet.

  @nn.compact
  def __call__(self, graph, nodes: jax.Array, edges: jax.Array) -> jax.Array:
    layers.record_depth(self, self.num_layers, DEFAULT_LAYERS)
    nodes, edges = layers.gain_features(nodes, edges)
    message = layers.EdgeMessage(self.hidden, self.message, EDGE_DIM,
                                 NODE_DIM, relu_output=True, name="message")
    update = layers.TwoLayerMLP(self.hidden, 1, zero_output=True,
                                name="update")
    static = nodes[:, :2]
    p = nodes[:, 2:]
    for _ in range(self.num_layers):
      x = layers.concat(static, p)
      if self.aggregation == "max":
        aggregated = message.max_at_receivers(graph, edges, x)
      elif self.aggregation == "max_sum":
        messages = message.messages(graph, edges, x)
        aggregated = layers.concat(graph.max_at_receivers(messages),
                                   graph.sum_at_receivers(messages))
      else:
        raise ValueError("`aggregation` must be 'max' or 'max_sum'; got "
                         f"{self.aggregation!r}.")
      p = nn.sigmoid(update(layers.concat(aggregated, x)))
    return p[:, 0]


def from_params(params, aggregation: str = "max") -> WCGCN:
  return WCGCN(hidden=params["message"]["node_in"]["kernel"].shape[1],
               message=params["message"]["out"]["kernel"].shape[1],
               num_layers=layers.recorded_depth(params, DEFAULT_LAYERS),
               aggregation=aggregation)


def _module(aggregation: str, sizes: dict) -> WCGCN:
  if "aggregation" in sizes:
    raise ValueError("`aggregation` is the model's name (wcgcn: 'max', "
                     f"igcnet: 'max_sum'), not a size; got {sizes}.")
  return WCGCN(aggregation=aggregation, **sizes)


def wcgcn(**sizes) -> WCGCN:
  """The registry's "wcgcn": MAX aggregation."""
  return _module("max", sizes)


def igcnet(**sizes) -> WCGCN:
  """The registry's "igcnet": MAX and SUM aggregation, concatenated."""
  return _module("max_sum", sizes)


def igcnet_from_params(params) -> WCGCN:
  """The IGCNet module whose widths match a parameter tree."""
  return from_params(params, aggregation="max_sum")
