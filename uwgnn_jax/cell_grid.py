"""Top-k graphs of spatial networks built from positions on a cell grid,
never forming the [K, K] channel: for networks whose dense H does not fit.

Link j -> i has the amplitude of `channels.geometric_fading`,
H_ij = ||t_j - r_i||^(-2.2) f_ij with f_ij ~ Rayleigh(scale 1), but f_ij
comes from a counter-based key, fold_in(fold_in(key, i), j), so that any
one link's gain is computed on its own (`link_gains`). `top_k_network`
bins the transmitters into square cells and gives each receiver its top_k
strongest interferers among the transmitters of the 3 x 3 cells around its
own: O(K (9 C + k)) work and O(K k + 9 C B) memory, C = the cells'
capacity, B = RECEIVER_BLOCK receivers scored at once; inside jit (K, k,
the grid and C static). A stronger interferer outside those cells
is missed; `experiments/benchmark_scale.py` measures how often that
changes the graph and the rate.
"""

import math

import jax
import jax.numpy as jnp

from uwgnn_jax import channels
from uwgnn_jax import graphs

# Cells 1.5 times the UWMMSE square's half-width (30): about 11
# transmitters per cell, 100 per 3 x 3 block, at the spatial networks'
# density; the block then holds 99.8% of the top-16 interferers at
# K = 1,000 (width 20: 96.2%; `python -m experiments.benchmark_scale`). A cell of 48 is
# Poisson(11) beyond 10 standard deviations.
DEFAULT_CELL_WIDTH = 1.5 * channels.GEOMETRIC_AREA_HALF_WIDTH
DEFAULT_CELL_CAPACITY = 48
# Receivers whose candidates are scored at once (bounds the peak memory).
RECEIVER_BLOCK = 4096


def link_gains(key: jax.Array, layout: channels.GeometricLayout,
               receivers: jax.Array, senders: jax.Array, *,
               path_loss_exponent: float =
               channels.GEOMETRIC_PATH_LOSS_EXPONENT) -> jax.Array:
  """H_ij for index arrays i = `receivers`, j = `senders` (one shape):
  path loss times that link's own Rayleigh fading |CN(0, 2)|."""
  diff = layout.receivers[receivers] - layout.transmitters[senders]
  distance = jnp.maximum(jnp.sqrt(jnp.sum(jnp.square(diff), axis=-1)), 1e-6)

  def fading(i, j):
    real_imag = jax.random.normal(
        jax.random.fold_in(jax.random.fold_in(key, i), j), (2,))
    return jnp.hypot(real_imag[0], real_imag[1])

  flat = jax.vmap(fading)(receivers.reshape(-1), senders.reshape(-1))
  return distance ** (-path_loss_exponent) * flat.reshape(receivers.shape)


def dense_channel(key: jax.Array,
                  layout: channels.GeometricLayout) -> jax.Array:
  """The [K, K] channel `link_gains` defines (small K: tests, references)."""
  num_pairs = layout.transmitters.shape[0]
  receivers, senders = jnp.meshgrid(jnp.arange(num_pairs),
                                    jnp.arange(num_pairs), indexing="ij")
  return link_gains(key, layout, receivers, senders)


def _cells(points: jax.Array, half_width: float, cell_width: float,
           cells_per_side: int) -> jax.Array:
  """Cell coordinates [N, 2] (int32) of points [N, 2]; outside points go to
  the border cells."""
  xy = jnp.floor((points + half_width) / cell_width).astype(jnp.int32)
  return jnp.clip(xy, 0, cells_per_side - 1)


def cell_table(transmitters: jax.Array, half_width: float, cell_width: float,
               capacity: int) -> tuple:
  """(table [G^2, capacity] of transmitter indices, -1 where empty; the
  number of transmitters left out of full cells), G cells per side."""
  side = max(1, math.ceil(2 * half_width / cell_width))
  xy = _cells(transmitters, half_width, cell_width, side)
  cell = xy[:, 0] * side + xy[:, 1]
  order = jnp.argsort(cell, stable=True)
  sorted_cells = cell[order]
  counts = jnp.zeros(side * side, jnp.int32).at[cell].add(1)
  starts = jnp.cumsum(counts) - counts
  slot = jnp.arange(cell.shape[0]) - starts[sorted_cells]
  table = jnp.full((side * side, capacity), -1, jnp.int32).at[
      sorted_cells, slot].set(order.astype(jnp.int32), mode="drop")
  return table, jnp.sum(jnp.maximum(counts - capacity, 0))


def top_k_network(key: jax.Array, layout: channels.GeometricLayout,
                  top_k: int, *, half_width: float,
                  cell_width: float = DEFAULT_CELL_WIDTH,
                  capacity: int = DEFAULT_CELL_CAPACITY) -> tuple:
  """(graphs.SparseNetwork of each receiver's top_k strongest interferers among
  the transmitters in the 3 x 3 cells around it, receiver-major with K k
  edges; transmitters left out of full cells, 0 unless a cell holds more
  than `capacity`).

  `half_width`: the layout's square is [-half_width, half_width]^2 (for
  `channels.spatial_layout(K)`, `channels.spatial_half_width(K)`); static,
  as are top_k, `cell_width` and `capacity`.
  Receivers with fewer than k candidates get the rest as links of gain 0
  from the next user, (i + 1) mod K: a dropped link, as `top_k_graph`
  keeps one where a row of H has fewer than k non-zero gains.
  """
  num_pairs = layout.transmitters.shape[0]
  side = max(1, math.ceil(2 * half_width / cell_width))
  table, left_out = cell_table(layout.transmitters, half_width, cell_width,
                               capacity)
  own = _cells(layout.receivers, half_width, cell_width, side)  # [K, 2]
  steps = jnp.array([(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)])

  def links_of(i):
    """Receiver i's top_k senders [k] and their [H_ij], [H_ji]."""
    around = own[i][None, :] + steps  # [9, 2]
    inside = jnp.all((around >= 0) & (around < side), axis=-1)
    clipped = jnp.clip(around, 0, side - 1)
    candidates = jnp.where(inside[:, None],
                           table[clipped[:, 0] * side + clipped[:, 1]],
                           -1).reshape(-1)  # [9 C]
    valid = (candidates >= 0) & (candidates != i)
    safe = jnp.where(valid, candidates, 0)
    gains = link_gains(key, layout, jnp.full_like(safe, i), safe)
    best, where = jax.lax.top_k(jnp.where(valid, gains, -1.0), top_k)
    kept = best >= 0
    senders = jnp.where(kept, safe[where], (i + 1) % num_pairs)
    reverse = link_gains(key, layout, senders, jnp.full_like(senders, i))
    return senders, jnp.where(kept, best, 0.0), jnp.where(kept, reverse, 0.0)

  # Blocks of receivers at a time: peak memory O(block 9 C), not O(K 9 C).
  users = jnp.arange(num_pairs, dtype=jnp.int32)
  senders, gains_in, gains_out = jax.lax.map(
      links_of, users, batch_size=min(num_pairs, RECEIVER_BLOCK))
  receivers = jnp.broadcast_to(users[:, None], senders.shape)
  edges = jnp.stack([gains_in, gains_out], axis=-1)
  direct = link_gains(key, layout, users, users)
  graph = graphs.EdgeListGraph(senders.reshape(-1), receivers.reshape(-1),
                               num_pairs)
  return graphs.SparseNetwork(graph, edges.reshape(-1, 2), direct), left_out
