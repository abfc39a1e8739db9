"""`allocate(params, H)`: the learned allocators' public entry point.

Validation runs in Python at the edge; the work is one module-level jitted
function (`_allocate_jit`), so an eager call costs what a user's own
`jax.jit` would, and calling `allocate` inside a user's jit still works.
"""

from typing import Optional

import jax
from jax.typing import ArrayLike

from uwgnn_jax import batching
from uwgnn_jax import models
from uwgnn_jax import units
from uwgnn_jax import validation


@jax.jit
def _allocate_jit(params, H, noise_var, p_max, weights):
  """Validated input -> p [..., K]; the model is read from params' structure."""
  H_c = units.to_canonical_channel(H, noise_var, p_max)
  p_c = batching.over_networks(
      lambda h, a: models.apply_canonical(params, h, a), (H_c, weights),
      (2, 1), models.bytes_per_network(params, H.shape[-1]))
  return units.from_canonical_power(p_c, p_max)


def allocate(params: models.Params, H: ArrayLike, *, noise_var: float = 1.0,
             p_max: float = 1.0,
             weights: Optional[ArrayLike] = None) -> jax.Array:
  """Transmit powers from a learned model.

  The model is the one `params` belong to (`{"uwgnn": ...}`, etc.). The
  channel is rescaled to canonical units (DESIGN.md s.1), so a model trained
  at one noise level and power budget serves any other exactly. jit-, vmap-
  and grad-friendly; input is validated here when it is concrete.

  Args:
    params: a model's parameter pytree, e.g. `pretrained("uwgnn")`.
    H: [..., K, K] amplitudes, H[..., i, j] from transmitter j to receiver i.
      Graph models take any K; the MLP only its trained K.
    noise_var: sigma^2 > 0.
    p_max: per-user power budget > 0.
    weights: alpha [..., K] or [K]; None means all ones.

  Returns:
    p [..., K] in [0, p_max], same unit as p_max.
  """
  H = validation.check_channel(H)
  noise_var = validation.check_positive_scalar(noise_var, "noise_var")
  p_max = validation.check_positive_scalar(p_max, "p_max")
  weights = validation.check_weights(weights, H, broadcast=False)
  models.check_num_users(params, H.shape[-1])
  return _allocate_jit(params, H, noise_var, p_max, weights)
