"""`allocate(params, H)`: the learned allocators' public entry point.

Validation runs in Python at the edge; the work is one module-level jitted
function (`_allocate_jit`), so an eager call costs what a user's own
`jax.jit` would, and calling `allocate` inside a user's jit still works.
"""

import functools
from typing import Optional
import warnings

import jax
import numpy as np
from jax.typing import ArrayLike

from uwgnn_jax import batching
from uwgnn_jax import graphs
from uwgnn_jax import models
from uwgnn_jax import pretrained_params
from uwgnn_jax import units
from uwgnn_jax import validation


@functools.partial(jax.jit, static_argnames=("top_k",))
def _allocate_jit(params, H, noise_var, p_max, weights, top_k=None):
  """Validated input -> p [..., K]; the model is read from params' structure."""
  if top_k is None:
    H, scale = units.to_canonical_channel(H, noise_var, p_max), None
  else:  # Only the kept gains get scaled: no [K, K] copy of H.
    scale = units.canonical_factor(noise_var, p_max)
  p_c = batching.over_networks(
      lambda h, a: models.apply_canonical(params, h, a, top_k, scale=scale),
      (H, weights), (2, 1), models.bytes_per_network(params, H.shape[-1],
                                                     top_k))
  return units.from_canonical_power(p_c, p_max)


def allocate(params: models.Params, H: ArrayLike, *, noise_var: float = 1.0,
             p_max: float = 1.0, weights: Optional[ArrayLike] = None,
             top_k: Optional[int] = None) -> jax.Array:
  """Transmit powers from a learned model.

  The model is the one `params` belong to (`{"uwgnn": ...}`, etc.). The
  channel is rescaled to canonical units (docs/DESIGN.md s.1), so a model trained
  at one noise level and power budget serves any other exactly. jit-, vmap-
  and grad-friendly; input is validated here when it is concrete.

  Args:
    params: a model's parameter pytree, e.g. `pretrained("uwgnn")`.
    H: [..., K, K] amplitudes, H[..., i, j] from transmitter j to receiver i.
      Graph models take any K; the MLP only its trained K.
    noise_var: sigma^2 > 0.
    p_max: per-user power budget > 0.
    weights: alpha [..., K] or [K]; None means all ones.
    top_k: graph models only. None runs the fully connected graph (dense
      [K, K] layout); an integer k >= 1 keeps, for each receiver, its k
      strongest interferers (largest H_ij), found on the device inside the
      jitted call, and runs the model on that edge list: O(K k) memory and
      work beyond reading H, one compiled program per (K, k). k >= K - 1
      keeps every link.

  Returns:
    p [..., K] in [0, p_max], same unit as p_max.
  """
  models.check_params(params)
  H = validation.check_channel(H)
  noise_var = validation.check_positive_scalar(noise_var, "noise_var")
  p_max = validation.check_positive_scalar(p_max, "p_max")
  weights = validation.check_weights(weights, H, broadcast=False)
  models.check_num_users(params, H.shape[-1])
  top_k = check_top_k(top_k, params, H.shape[-1])
  validation.check_canonical_scale(H, noise_var, p_max)
  warn_if_outside_served_snr(params, H, noise_var, p_max)
  return _allocate_jit(params, H, noise_var, p_max, weights, top_k=top_k)


@jax.jit
def _allocate_network_jit(params, senders, receivers, edges, direct,
                          noise_var, p_max, weights):
  network = graphs.scaled_network(senders, receivers, edges, direct,
                                 units.canonical_factor(noise_var, p_max))
  return units.from_canonical_power(
      models.apply_network(params, network, weights), p_max)


def allocate_network(params: models.Params, network: graphs.SparseNetwork,
                     *, noise_var: float = 1.0, p_max: float = 1.0,
                     weights: Optional[ArrayLike] = None) -> jax.Array:
  """Transmit powers [K] in [0, p_max] of a graph model on a network known
  on its kept links only: a graphs.SparseNetwork, from
  `graphs.top_k_network(H, k)` (what `allocate(..., top_k=k)` runs) or,
  where the [K, K] channel does not fit, from positions
  (`cell_grid.top_k_network`). jit-friendly (K = network.direct's length).
  """
  models.check_params(params)
  name = models.model_name(params)
  if not models.MODELS[name].is_graph_model:
    raise ValueError(f"`allocate_network` needs a graph model; got {name}.")
  network, weights = graphs.check_network(network, weights)
  noise_var = validation.check_positive_scalar(noise_var, "noise_var")
  p_max = validation.check_positive_scalar(p_max, "p_max")
  return _allocate_network_jit(params, network.graph.senders,
                               network.graph.receivers, network.edges,
                               network.direct, noise_var, p_max, weights)


def check_top_k(top_k, params: models.Params,
                num_users: int) -> Optional[int]:
  """None, or top_k for a graph model as an int in [1, max(K - 1, 1)] (a
  larger k keeps the same links: one compiled program); ValueError
  otherwise."""
  if top_k is None:
    return None
  top_k = validation.check_top_k(top_k, num_users)
  name = models.model_name(params)
  if not models.MODELS[name].is_graph_model:
    raise ValueError(f"`top_k` needs a graph model; got {top_k} for the "
                     f"{name} params, which run only the dense layout.")
  return top_k


# How far (dB) the input's median direct-link SNR may lie outside the range
# a model serves before `allocate` warns.
SNR_WARNING_MARGIN_DB = 10.0


def warn_if_outside_served_snr(params, H, noise_var, p_max) -> None:
  """Eager, shipped params only: a UserWarning if any network's median
  direct-link SNR H_ii^2 p_max / sigma^2 (dB) lies more than
  SNR_WARNING_MARGIN_DB outside the range the params were trained and
  verified on (`pretrained_info(name)["served_direct_snr_db"]`, the same
  per-network statistic over the training distribution)."""
  served = pretrained_params.served_snr_db(params)
  if served is None or not all(
      map(validation.is_concrete, (H, noise_var, p_max))):
    return
  low, high = served
  snr_db = units.median_direct_snr_db(H, float(noise_var), float(p_max))
  outside = ((snr_db < low - SNR_WARNING_MARGIN_DB) |
             (snr_db > high + SNR_WARNING_MARGIN_DB))
  if np.any(outside):
    worst = snr_db[outside].flat[0] if snr_db.ndim else float(snr_db)
    warnings.warn(
        f"allocate: {int(np.sum(outside))} of {outside.size} networks have a "
        f"median direct-link SNR H_ii^2 p_max / noise_var (e.g. "
        f"{worst:.0f} dB) far outside the {low:g} to {high:g} "
        f"dB the shipped {models.model_name(params)} weights were trained "
        "and verified on (pretrained_info); the powers may be poor. Check "
        "the units of H, noise_var and p_max.", stacklevel=3)
