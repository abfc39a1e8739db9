"""REGNN: random edge graph neural network (Eisen and Ribeiro, IEEE TSP 2020).

A stack of graph filters whose shift operator S is built from the channel:
layer l maps node signals x [N, F_in] to

  x' = sigma( sum_{k=0}^{taps-1} (S^k x) A_{l,k} + b_l )     [N, F_out]

with ReLU between layers and, after the last (F_out = 1), a sigmoid that
gives the canonical power p in (0, 1). The input signal is x_0 = [1, alpha]
per node: Eisen and Ribeiro's is constant (their problem is unweighted).

Where the papers leave it open or we depart (BUILD_NOTES.md, REGNN):
- Eisen and Ribeiro learn a Bernoulli on/off policy with REINFORCE; the
  UWMMSE paper used REGNN for continuous power, so the sigmoid output is the
  power itself and the loss is the sum rate, as for every model here.
- S is UWMMSE's operator (`uwmmse.shift_operator`: log(1 + H^2) / 10 in
  canonical units) and S x sums the node itself plus the mean over incoming
  edges, S_ii x_i + mean_{j != i} S_ij x_j. Eisen and Ribeiro divide S by
  its spectral norm, a per-network quantity; ours keeps every operation
  local, so the filter runs on edge lists of batched graphs and any K.
- Defaults: 3 layers of widths 8, 8, 1 with 4 taps (the authors' code uses
  4 taps; 10 layers of width 1), 369 parameters.
"""

from typing import Tuple

import flax.linen as nn
import jax
import jax.numpy as jnp

from uwgnn_jax.models import uwmmse

INPUT_DIM = 2  # [1, alpha].


def shift(graph, shift_edges, shift_self, z: jax.Array) -> jax.Array:
  """S z: S_ii z_i + mean_{j != i} S_ij z_j, [N, F] -> [N, F]."""
  return shift_self * z + graph.mean_at_receivers(
      shift_edges * graph.from_senders(z))


class GraphFilter(nn.Module):
  """x -> sum_k (S^k x) A_k + b as one dense layer on [x, Sx, S^2 x, ...]."""
  features: int
  taps: int
  kernel_init: nn.initializers.Initializer = nn.initializers.lecun_normal()

  @nn.compact
  def __call__(self, graph, shift_edges, shift_self, x):
    powers = [x]
    for _ in range(self.taps - 1):
      powers.append(shift(graph, shift_edges, shift_self, powers[-1]))
    return nn.Dense(self.features, kernel_init=self.kernel_init,
                    name="taps")(jnp.concatenate(powers, axis=-1))


class REGNN(nn.Module):
  """Maps a channel graph to canonical powers p [N] in (0, 1)."""
  features: Tuple[int, ...] = (8, 8, 1)
  taps: int = 4

  @nn.compact
  def __call__(self, graph, nodes: jax.Array, edges: jax.Array) -> jax.Array:
    """nodes [N, 3] = [H_ii, alpha, p0] (p0 unused); edges [..., 2]."""
    if not self.features or self.features[-1] != 1:
      raise ValueError("REGNN's `features` must end in width 1; got "
                       f"{self.features}.")
    if self.taps < 1:
      raise ValueError(f"REGNN's `taps` must be >= 1; got {self.taps}.")
    shift_edges, shift_self = uwmmse.shift_operator(nodes[:, 0], edges)
    x = jnp.stack([jnp.ones_like(nodes[:, 1]), nodes[:, 1]], axis=-1)
    last = len(self.features) - 1
    for l, width in enumerate(self.features):
      # The last layer starts at zero: p = 1/2 everywhere, as the others.
      init = nn.initializers.zeros if l == last else (
          nn.initializers.lecun_normal())
      x = GraphFilter(width, self.taps, init, name=f"filter_{l}")(
          graph, shift_edges, shift_self, x)
      if l < last:
        x = nn.relu(x)
    return nn.sigmoid(x[:, 0])

  @property
  def num_layers(self) -> int:
    return len(self.features)


def from_params(params) -> REGNN:
  """The module whose widths and taps match a parameter tree."""
  kernels = [params[f"filter_{l}"]["taps"]["kernel"]
             for l in range(len(params))]
  return REGNN(features=tuple(k.shape[1] for k in kernels),
               taps=kernels[0].shape[0] // INPUT_DIM)
