"""Channel graphs: from H to message-passing structure (docs/DESIGN.md section 4).

Pair i is node i. A directed edge j -> i (sender j, receiver i) carries the
interference link from transmitter j into receiver i, with edge features
e_ij = [H_ij, H_ji] (the link into i, and the leakage from i into j). Node
features are x_i = [H_ii, alpha_i, p_i].

Two layouts serve the same model code:

* `DenseGraph`: a fully connected graph kept as receiver-major [K, K, F]
  arrays. It is what `allocate` uses: no index gathers, all work is dense
  array arithmetic, which is the fastest layout on CPU and accelerators.
* `EdgeListGraph`: jraph-style sender/receiver index lists, for sparse
  graphs (links below a threshold dropped, or the k strongest interferers)
  and for batches of networks of different sizes, padded with
  `jraph.pad_with_graphs` so that one compiled program serves them all.

Only jraph functions that still run on current JAX are used (`batch`,
`pad_with_graphs`, `get_node_padding_mask`, `segment_*`);
`get_fully_connected_graph(..., node_features=...)` and `zero_out_padding`
call removed JAX APIs (BUILD_NOTES.md).
"""

import functools
import math
from typing import NamedTuple, Optional, Sequence

import jax
import jax.numpy as jnp
import jraph
import numpy as np

from uwgnn_jax import validation


@functools.partial(jax.custom_jvp, nondiff_argnums=(2,))
def _max_over_senders(messages: jax.Array, mask: jax.Array,
                      may_be_empty: bool) -> jax.Array:
  """max_j messages[i, j] over mask[i, j]: [K, K, F], [K, K, 1] -> [K, F];
  with `may_be_empty` (static), 0 where a receiver has no sender."""
  best = jnp.max(jnp.where(mask, messages, -jnp.inf), axis=1)
  return jnp.where(jnp.any(mask, axis=1), best, 0.0) if may_be_empty else best


@_max_over_senders.defjvp
def _max_over_senders_jvp(may_be_empty, primals, tangents):
  """The tangent of the winning sender, chosen on the same values that give
  the primal. jnp.max's own rule compares a recomputed operand with the
  result and divides by the number of matches; where XLA fuses the two
  computations differently (backend optimisation level 0) nothing matched
  and the gradient was 0/0 = NaN."""
  (messages, mask), (tangent, _) = primals, tangents
  masked = jnp.where(mask, messages, -jnp.inf)
  winner = jnp.argmax(masked, axis=1)[:, None, :]
  pick = lambda x: jnp.take_along_axis(x, winner, axis=1)[:, 0]
  if not may_be_empty:
    return pick(masked), pick(tangent)
  any_sender = jnp.any(mask, axis=1)
  return (jnp.where(any_sender, pick(masked), 0.0),
          jnp.where(any_sender, pick(tangent), 0.0))


class DenseGraph(NamedTuple):
  """Fully connected directed graph of one K-user network (no self loops).

  Edge arrays are [K, K, F] with [i, j] the edge j -> i. `present` [K] bool
  (None: all) marks the users that exist; absent ones (the padding of a
  mixed-size batch) send nothing: no aggregation counts them.
  """
  num_nodes: int
  present: Optional[jax.Array] = None

  def from_senders(self, x: jax.Array) -> jax.Array:
    """Node features [K, F] -> sender features on edges, [1, K, F] (broadcasts
    against [K, K, F])."""
    return x[None, :, :]

  def from_receivers(self, x: jax.Array) -> jax.Array:
    """Node features [K, F] -> receiver features on edges, [K, 1, F]."""
    return x[:, None, :]

  def _mask(self) -> jax.Array:
    mask = ~jnp.eye(self.num_nodes, dtype=bool)
    if self.present is not None:
      mask = mask & self.present[None, :] & self.present[:, None]
    return mask[:, :, None]

  def max_at_receivers(self, messages: jax.Array) -> jax.Array:
    """MAX over incoming edges: [K, K, F] -> [K, F]; 0 for a lone node."""
    if self.num_nodes == 1:
      return jnp.zeros_like(messages[:, 0])
    return _max_over_senders(messages, self._mask(), self.present is not None)

  def has_senders(self) -> jax.Array:
    """[K, 1] bool: receivers with at least one incoming edge."""
    return jnp.any(self._mask(), axis=1)

  def sum_at_receivers(self, messages: jax.Array) -> jax.Array:
    """Sum over incoming edges: [K, K, F] -> [K, F]."""
    return jnp.sum(jnp.where(self._mask(), messages, 0.0), axis=1)

  def sum_at_senders(self, messages: jax.Array) -> jax.Array:
    """Sum over outgoing edges: [K, K, F] -> [K, F]."""
    return jnp.sum(jnp.where(self._mask(), messages, 0.0), axis=0)

  def mean_at_receivers(self, messages: jax.Array) -> jax.Array:
    """Mean over incoming edges: [K, K, F] -> [K, F]; 0 for a lone node."""
    if self.present is None:
      return self.sum_at_receivers(messages) / max(self.num_nodes - 1, 1)
    senders = jnp.sum(self._mask(), axis=1).astype(messages.dtype)
    return self.sum_at_receivers(messages) / jnp.maximum(senders, 1.0)


class EdgeListGraph(NamedTuple):
  """Directed graph as index lists; edge arrays are [E, F]."""
  senders: jax.Array  # [E] int
  receivers: jax.Array  # [E] int
  num_nodes: int

  def from_senders(self, x: jax.Array) -> jax.Array:
    return x[self.senders]

  def from_receivers(self, x: jax.Array) -> jax.Array:
    return x[self.receivers]

  def max_at_receivers(self, messages: jax.Array) -> jax.Array:
    return jraph.segment_max_or_constant(
        messages, self.receivers, self.num_nodes, constant=0.0)

  def sum_at_receivers(self, messages: jax.Array) -> jax.Array:
    return jraph.segment_sum(messages, self.receivers, self.num_nodes)

  def sum_at_senders(self, messages: jax.Array) -> jax.Array:
    return jraph.segment_sum(messages, self.senders, self.num_nodes)

  def mean_at_receivers(self, messages: jax.Array) -> jax.Array:
    total = self.sum_at_receivers(messages)
    degree = jraph.segment_sum(jnp.ones_like(self.receivers, messages.dtype),
                               self.receivers, self.num_nodes)
    return total / jnp.maximum(degree, 1.0)[:, None]


def dense_edge_features(H: jax.Array) -> jax.Array:
  """e_ij = [H_ij, H_ji] for every ordered pair: [K, K] -> [K, K, 2]."""
  return jnp.stack([H, H.T], axis=-1)


def node_features(H: jax.Array, weights: jax.Array,
                  p: jax.Array) -> jax.Array:
  """x_i = [H_ii, alpha_i, p_i]: [K, K], [K], [K] -> [K, 3]."""
  return direct_node_features(jnp.diagonal(H), weights, p)


def direct_node_features(direct: jax.Array, weights: jax.Array,
                         p: jax.Array) -> jax.Array:
  """x_i = [H_ii, alpha_i, p_i] from the direct gains: [K] x 3 -> [K, 3]."""
  return jnp.stack([direct, weights, p], axis=-1)


def fully_connected_edges(num_nodes: int) -> tuple:
  """(senders, receivers) of all j -> i with i != j, receiver-major. [K(K-1)]."""
  receivers, senders = np.nonzero(~np.eye(num_nodes, dtype=bool))
  return senders.astype(np.int32), receivers.astype(np.int32)


# Rows at least this long find their top n through column blocks (below;
# `python -m experiments.top_k_speed --threshold=256`: 1.12x at 2,000
# columns, none at 1,000).
BLOCKED_TOP_MIN_COLUMNS = 2048


_MAX_TOP_BLOCK_WIDTH = 32  # Keeps the search's buffers O(R n).


def _top_block_width(num_cols: int, n: int) -> int:
  """Columns per block: a power of two near sqrt(C / n), which balances the
  two top_k calls of `row_top_indices` (over C / b block maxima, and over
  n b entries), and at most 32, so that the n b candidates per row stay
  O(n) memory."""
  return min(_MAX_TOP_BLOCK_WIDTH,
             1 << max(0, round(math.log2(math.sqrt(num_cols / n)))))


def row_top_indices(x: jax.Array, n: int) -> jax.Array:
  """Indices [R, n] of each row's n largest entries of x [R, C], largest
  first, ties to the lower index: `jax.lax.top_k(x, n)[1]`, exactly so for
  rows without NaN (unspecified there) or -0.0 (which may tie with +0.0).

  XLA's CPU top_k reads every entry of every row at a cost per entry that
  a vectorised pass does not have (270 ms for a 10,000 x 10,000 H on the
  2-core dev CPU against 27 ms for the rows' maxima; most of top-16
  `allocate`'s time). For float32 rows of at least
  BLOCKED_TOP_MIN_COLUMNS the columns go in blocks of b: every block's
  maximum (`reduce_window`, one vectorised pass; the last block padded
  with -inf), the n blocks with the largest maxima (ties to the lower
  block), and top_k over those blocks' n b entries only, kept in column
  order. Exact: an entry among the row's top n lies in one of those
  blocks, else n blocks would each hold an entry that ranks before it
  (larger, or equal at a lower column). XLA's max, unlike top_k, does not
  order -0.0 below +0.0 nor place NaN, hence the exceptions above.
  """
  if (x.ndim != 2 or x.dtype != jnp.float32 or not isinstance(n, int)
      or n < 1 or x.shape[1] < BLOCKED_TOP_MIN_COLUMNS):
    return jax.lax.top_k(x, n)[1]
  num_rows, num_cols = x.shape
  block = _top_block_width(num_cols, n)
  num_blocks = -(-num_cols // block)
  if block < 2 or num_blocks <= n:
    return jax.lax.top_k(x, n)[1]
  # No padded copy of x: reduce_window pads the last window itself.
  block_max = jax.lax.reduce_window(
      x, -jnp.inf, jax.lax.max, (1, block), (1, block),
      ((0, 0), (0, num_blocks * block - num_cols)))
  chosen = jnp.sort(jax.lax.top_k(block_max, n)[1], axis=1)
  columns = (chosen[:, :, None] * block
             + jnp.arange(block, dtype=jnp.int32)[None, None, :]
             ).reshape(num_rows, n * block)
  # A padding column (>= C) reads -inf and is never chosen: the chosen
  # blocks hold at least n real columns, and ties go to the lower column.
  entries = jnp.where(
      columns < num_cols,
      jnp.take_along_axis(x, jnp.minimum(columns, num_cols - 1), axis=1),
      -jnp.inf)
  return jnp.take_along_axis(columns, jax.lax.top_k(entries, n)[1], axis=1)


def strongest_interferers(H: jax.Array, top_k: int) -> jax.Array:
  """senders [K, k]: for each receiver i, the k transmitters j != i with the
  largest H_ij (ties to the lower index), k = min(top_k, K - 1); jit-able,
  top_k static. H [K, K] amplitudes >= 0, in any units (the order is
  scale-free). No [K, K] temporary: the top k + 1 of each row are found
  and receiver i's own entry, if among them, is dropped."""
  num_nodes = H.shape[-1]
  k = min(top_k, num_nodes - 1)
  candidates = row_top_indices(H, min(k + 1, num_nodes))
  is_self = candidates == jnp.arange(num_nodes)[:, None]
  # Stable: the others keep their order, the receiver itself goes last.
  order = jnp.argsort(is_self, axis=1, stable=True)[:, :k]
  return jnp.take_along_axis(candidates, order, axis=1).astype(jnp.int32)


class SparseNetwork(NamedTuple):
  """A network known on its kept links only: the graph of edges j -> i,
  edges [E, 2] = [H_ij, H_ji] and direct [K] = H_ii (amplitudes). Built
  from H (`top_k_network`) or from positions (`cell_grid.top_k_network`);
  `allocate_network`, `wmmse_network` and `network_sum_rate` take it."""
  graph: EdgeListGraph
  edges: jax.Array
  direct: jax.Array


def check_network(network, weights=None) -> tuple:
  """(network with float arrays, weights [K]) for the public functions on
  a SparseNetwork; ValueError naming what is wrong. Values are checked when
  concrete (finite, non-negative gains; indices in [0, K))."""
  if not isinstance(network, SparseNetwork):
    raise ValueError("`network` must be a graphs.SparseNetwork (from "
                     "graphs.top_k_network or cell_grid.top_k_network); got "
                     f"{type(network).__name__}.")
  direct = jnp.asarray(network.direct, jnp.float32)
  edges = jnp.asarray(network.edges, jnp.float32)
  senders = jnp.asarray(network.graph.senders)
  receivers = jnp.asarray(network.graph.receivers)
  num_nodes = direct.shape[0] if direct.ndim == 1 else -1
  if num_nodes < 1 or network.graph.num_nodes != num_nodes:
    raise ValueError(
        "`network.direct` must have shape [K], K >= 1, with K = "
        f"graph.num_nodes ({network.graph.num_nodes}); got shape "
        f"{direct.shape}.")
  num_edges = senders.shape[0] if senders.ndim == 1 else -1
  if (edges.shape != (num_edges, 2) or receivers.shape != (num_edges,)
      or not jnp.issubdtype(senders.dtype, jnp.integer)
      or not jnp.issubdtype(receivers.dtype, jnp.integer)):
    raise ValueError(
        "`network` must hold integer senders and receivers [E] and edges "
        f"[E, 2]; got {senders.shape} {senders.dtype}, {receivers.shape} "
        f"{receivers.dtype}, {edges.shape}.")
  validation.check_finite_nonnegative(direct, "network.direct")
  validation.check_finite_nonnegative(edges, "network.edges")
  for index, name in ((senders, "senders"), (receivers, "receivers")):
    if validation.is_concrete(index) and num_edges and not (
        0 <= int(np.min(index)) and int(np.max(index)) < num_nodes):
      raise ValueError(f"`network.graph.{name}` must lie in [0, {num_nodes}); "
                       f"got [{int(np.min(index))}, {int(np.max(index))}].")
  network = SparseNetwork(EdgeListGraph(senders, receivers, num_nodes),
                          edges, direct)
  square = jax.ShapeDtypeStruct((num_nodes, num_nodes), jnp.float32)
  return network, validation.check_weights(weights, square, broadcast=False)


def scaled_network(senders: jax.Array, receivers: jax.Array,
                   edges: jax.Array, direct: jax.Array,
                   scale) -> SparseNetwork:
  """A SparseNetwork from its arrays (inside jit: K static from direct's
  shape), every gain times `scale` (e.g. to canonical units)."""
  graph = EdgeListGraph(senders, receivers, direct.shape[0])
  return SparseNetwork(graph, edges * scale, direct * scale)


def top_k_network(H: jax.Array, top_k: int, scale=None) -> SparseNetwork:
  """`top_k_graph` with the direct gains: H [K, K] -> SparseNetwork, every
  gain times `scale` if given."""
  graph, edges = top_k_graph(H, top_k, scale)
  direct = jnp.diagonal(H)
  return SparseNetwork(graph, edges,
                       direct if scale is None else direct * scale)


def top_k_graph(H: jax.Array, top_k: int, scale=None) -> tuple:
  """The graph of each receiver's `top_k` strongest interferers, built on the
  device (inside jit; `top_k` static, so one program serves every network
  of a size): (EdgeListGraph with K k' edges, receiver-major, edges
  [K k', 2] = [H_ij, H_ji] times `scale` if given), k' = min(top_k, K - 1).
  Memory O(K k) beyond H.
  """
  num_nodes = H.shape[-1]
  senders = strongest_interferers(H, top_k)
  receivers = jnp.broadcast_to(
      jnp.arange(num_nodes, dtype=jnp.int32)[:, None], senders.shape)
  senders, receivers = senders.reshape(-1), receivers.reshape(-1)
  edges = jnp.stack([H[receivers, senders], H[senders, receivers]], axis=-1)
  if scale is not None:
    edges = edges * scale
  return EdgeListGraph(senders, receivers, num_nodes), edges


def channel_graph(H, *, weights=None, p=None, threshold: Optional[float] = None,
                  top_k: Optional[int] = None) -> jraph.GraphsTuple:
  """A jraph graph of one network (host-side: edge counts depend on data).

  Args:
    H: [K, K] amplitudes (any units; learned models expect canonical ones).
    weights: alpha [K]; default ones.
    p: initial powers [K]; default ones (full power in canonical units).
    threshold: keep only interference links with H_ij >= threshold.
    top_k: keep only the k strongest interferers j of each receiver i.
      With neither, the graph is fully connected.

  Returns:
    GraphsTuple with nodes [K, 3] = [H_ii, alpha_i, p_i] and edges [E, 2] =
    [H_ij, H_ji] for each kept edge j -> i.
  """
  H = np.asarray(validation.check_channel(H))
  if H.ndim != 2:
    raise ValueError(f"`H` must be one network [K, K]; got shape {H.shape}.")
  if threshold is not None and top_k is not None:
    raise ValueError("Pass at most one of `threshold` and `top_k`.")
  num_nodes = H.shape[0]
  alpha = np.ones(num_nodes) if weights is None else np.asarray(weights)
  power = np.ones(num_nodes) if p is None else np.asarray(p)
  for name, value in (("weights", alpha), ("p", power)):
    if value.shape != (num_nodes,):
      raise ValueError(
          f"`{name}` must have shape ({num_nodes},); got {value.shape}.")
  keep = ~np.eye(num_nodes, dtype=bool)
  if threshold is not None:
    keep &= H >= threshold
  if top_k is not None:
    validation.check_positive_int(top_k, "top_k", minimum=0)
    strength = np.where(keep, H, -np.inf)
    order = np.argsort(-strength, axis=1, kind="stable")[:, :top_k]
    top = np.zeros_like(keep)
    np.put_along_axis(top, order, True, axis=1)
    keep &= top
  receivers, senders = np.nonzero(keep)
  dtype = np.float32
  return jraph.GraphsTuple(
      nodes=np.stack([np.diagonal(H), alpha, power], axis=-1).astype(dtype),
      edges=np.stack([H[receivers, senders], H[senders, receivers]],
                     axis=-1).astype(dtype),
      senders=senders.astype(np.int32),
      receivers=receivers.astype(np.int32),
      n_node=np.array([num_nodes], np.int32),
      n_edge=np.array([len(senders)], np.int32),
      globals=None)


def batch_graphs(graphs: Sequence[jraph.GraphsTuple], *,
                 pad_nodes_to: Optional[int] = None,
                 pad_edges_to: Optional[int] = None) -> jraph.GraphsTuple:
  """Batches graphs of any sizes into one, padded to fixed sizes.

  Padding (one extra graph, `jraph.pad_with_graphs`) keeps the shapes fixed
  so one compiled program serves every batch; pad sizes default to the next
  multiple of 64 above what the batch needs (padding needs >= 1 node).
  """
  if not graphs:
    raise ValueError("`graphs` must contain at least one graph.")
  batched = jraph.batch_np(list(graphs))
  needed_nodes = int(batched.n_node.sum()) + 1
  needed_edges = int(batched.n_edge.sum())
  round_up = lambda n: 64 * (n // 64 + 1)
  pad_nodes_to = round_up(needed_nodes) if pad_nodes_to is None else pad_nodes_to
  pad_edges_to = round_up(needed_edges) if pad_edges_to is None else pad_edges_to
  if pad_nodes_to < needed_nodes or pad_edges_to < needed_edges:
    raise ValueError(
        f"Padding too small: need >= {needed_nodes} nodes and "
        f">= {needed_edges} edges; got pad_nodes_to={pad_nodes_to}, "
        f"pad_edges_to={pad_edges_to}.")
  return jraph.pad_with_graphs(batched, pad_nodes_to, pad_edges_to,
                               n_graph=len(graphs) + 1)


def edge_list_graph(graph: jraph.GraphsTuple) -> EdgeListGraph:
  """The index layout of a (batched, padded) GraphsTuple."""
  return EdgeListGraph(jnp.asarray(graph.senders), jnp.asarray(graph.receivers),
                       int(np.shape(graph.nodes)[0]))


def node_padding_mask(graph: jraph.GraphsTuple) -> jax.Array:
  """True for real nodes of a padded batch, [N]."""
  return jraph.get_node_padding_mask(graph)
