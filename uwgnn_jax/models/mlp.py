"""Supervised MLP of Sun et al. 2018, "Learning to optimize" (docs/DESIGN.md s.4).

Input the K x K canonical channel flattened, K^2 -> 200 -> 80 -> 80 -> K with
ReLU, output relu6(x) / 6 in [0, 1] (canonical power). Trained with MSE on
WMMSE-100 powers. Fixed K: 43,570 parameters at K = 10.
"""

from typing import Sequence

import flax.linen as nn
import jax

from uwgnn_jax.models import layers


class MLP(nn.Module):
  num_users: int
  hidden: Sequence[int] = (200, 80, 80)

  @nn.compact
  def __call__(self, H: jax.Array) -> jax.Array:
    """H [K, K] canonical amplitudes -> p [K] in [0, 1]."""
    x = H.reshape(-1)
    for i, width in enumerate(self.hidden):
      x = nn.relu(layers.dense(width, x.shape[-1], f"hidden_{i}")(x))
    x = layers.dense(self.num_users, x.shape[-1], "out")(x)
    return nn.relu6(x) / 6.0


def from_params(params) -> MLP:
  names = sorted(n for n in params if n.startswith("hidden_"))
  hidden = tuple(params[n]["kernel"].shape[1] for n in names)
  return MLP(num_users=params["out"]["kernel"].shape[1], hidden=hidden)
