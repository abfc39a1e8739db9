"""Apply a single-network function over any number of leading batch axes.

Write for one instance, batch with vmap. `over_networks` does
that cache-consciously: it flattens the leading axes into one, then runs
`jax.lax.map` over chunks of networks, vmapped within a chunk. An unrolled
algorithm (WMMSE's 100 iterations, a model's layers) then iterates over one
chunk while that chunk's arrays sit in the core's L2 cache, instead of
streaming the whole batch from memory once per iteration. On the 2-core dev
CPU this made batched WMMSE-100 3x faster at K = 100 (BUILD_NOTES.md, Speed).
"""

from typing import Callable, Sequence

import jax
import jax.numpy as jnp

# Bytes of per-network working set a chunk may hold: inside a core's L2
# (2 MiB on the dev machine, 1-2 MiB on most x86 and Arm server cores).
# At 512 KiB a K = 10 batch of 1,024 was split in two, which cost a 3-
# iteration WMMSE 40% against one vmap (BUILD_NOTES.md, Speed).
CHUNK_BYTES = 1024 * 1024


def chunk_size(bytes_per_network: int, chunk_bytes: int = CHUNK_BYTES) -> int:
  """Networks per chunk: a power of two whose working set fits chunk_bytes."""
  fit = max(1, chunk_bytes // max(1, int(bytes_per_network)))
  return 1 << (fit.bit_length() - 1)


def over_networks(fn: Callable, args: Sequence[jax.Array],
                  core_ranks: Sequence[int], bytes_per_network: int):
  """fn(*one_network_args) applied to every network of a batch.

  Args:
    fn: written for one network; returns a pytree of arrays.
    args: arrays whose trailing `core_ranks[i]` axes belong to one network;
      their leading (batch) axes broadcast against each other (so [K]
      weights serve a [..., K, K] batch).
    core_ranks: per argument, how many trailing axes one network has.
    bytes_per_network: the working set of one call of fn, to size chunks.

  Returns:
    fn's outputs with the broadcast batch axes in front.
  """
  batch_shape = jnp.broadcast_shapes(
      *(x.shape[:x.ndim - r] for x, r in zip(args, core_ranks)))
  flat = tuple(
      jnp.broadcast_to(x, batch_shape + x.shape[x.ndim - r:]).reshape(
          (-1,) + x.shape[x.ndim - r:])
      for x, r in zip(args, core_ranks))
  if not batch_shape:
    return fn(*(x[0] for x in flat))
  out = jax.lax.map(lambda xs: fn(*xs), flat,
                    batch_size=chunk_size(bytes_per_network))
  return jax.tree.map(lambda y: y.reshape(batch_shape + y.shape[1:]), out)
