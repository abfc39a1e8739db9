"""Apply a single-network function over any number of leading batch axes."""

from typing import Callable

import jax


def over_leading_axes(fn: Callable, num_batch_axes: int) -> Callable:
  """Returns fn vmapped over `num_batch_axes` leading axes of every argument.

  `fn` is written for one network (STYLE.md: write for one instance, batch
  with vmap); all its positional arguments carry the same batch axes.
  """
  for _ in range(num_batch_axes):
    fn = jax.vmap(fn)
  return fn
