"""Speed, memory and FLOPs of allocators, and WMMSE's equal-time frontier.

`experiments/benchmark.py` is the driver; the measuring lives here so the
tests reach it. Wall times are medians of repeated calls of a jitted
function after one compiling call; they are only comparable within one
process on one machine (ratios). FLOPs and peak memory come from XLA's
compiled program (`cost_analysis`, `memory_analysis`).
"""

import math
import time
from typing import Callable, NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np


def median_seconds(fn: Callable, *args, repeats: int) -> float:
  """Median wall time (s) of fn(*args) over `repeats` calls, compile excluded."""
  jax.block_until_ready(fn(*args))
  times = []
  for _ in range(max(1, repeats)):
    start = time.perf_counter()
    jax.block_until_ready(fn(*args))
    times.append(time.perf_counter() - start)
  return float(np.median(times))


def interleaved_median_seconds(calls: Sequence[tuple], repeats: int) -> list:
  """Median wall times of several (fn, args) calls timed in turn, call by
  call, so that drift on a shared machine hits them alike."""
  for fn, args in calls:
    jax.block_until_ready(fn(*args))
  times = [[] for _ in calls]
  for _ in range(max(1, repeats)):
    for (fn, args), samples in zip(calls, times):
      start = time.perf_counter()
      jax.block_until_ready(fn(*args))
      samples.append(time.perf_counter() - start)
  return [float(np.median(samples)) for samples in times]


class CompiledCost(NamedTuple):
  flops: float  # XLA's count for one call (a while loop's body counted once).
  peak_bytes: int  # Arguments + outputs + temporaries of the compiled program.


def compiled_cost(fn: Callable, *args) -> CompiledCost:
  """FLOPs and peak memory of jax.jit(fn)(*args) from the compiled program."""
  compiled = jax.jit(fn).lower(*args).compile()
  analysis = compiled.cost_analysis()
  if isinstance(analysis, (list, tuple)):  # Older jax: one dict per device.
    analysis = analysis[0]
  memory = compiled.memory_analysis()
  peak = (memory.argument_size_in_bytes + memory.output_size_in_bytes +
          memory.temp_size_in_bytes)
  return CompiledCost(float(analysis.get("flops", 0.0)), int(peak))


def matmul_gflops(size: int = 2048, repeats: int = 5) -> float:
  """GFLOP/s of a large float32 jnp.dot on this device: what it can do."""
  a = jax.random.normal(jax.random.PRNGKey(0), (size, size), jnp.float32)
  seconds = median_seconds(jax.jit(jnp.dot), a, a, repeats=repeats)
  return 2.0 * size**3 / seconds / 1e9


def wmmse_flops(num_users: int, num_iters: int, num_starts: int = 1) -> float:
  """Analytic FLOPs of WMMSE on one network: per iteration two K x K
  matrix-vector products (eqs. 6 and 8, 2 K^2 each) and ~12 K elementwise."""
  return float(num_starts * num_iters * (4 * num_users**2 + 12 * num_users))


class FrontierPoint(NamedTuple):
  """One WMMSE setting on the equal-time frontier."""
  num_iters: int
  num_starts: int  # Best of R starts, the full-power start among them.
  seconds_per_network: float  # Batch wall time / batch size.
  percent_of_wmmse: float  # Mean sum rate as % of WMMSE-100 on the batch.


def frontier_settings(iterations: Sequence[int], restarts: Sequence[int],
                      restart_iters: int = 100) -> list:
  """(num_iters, num_starts) pairs: one start at each iteration count, then
  `restarts` starts of `restart_iters` iterations."""
  settings = [(int(n), 1) for n in iterations]
  settings += [(restart_iters, int(r)) for r in restarts if int(r) > 1]
  return settings


def equal_time_setting(model_seconds: float, wmmse100_seconds: float,
                       restart_iters: int = 100) -> tuple:
  """(num_iters, num_starts) of WMMSE that costs about `model_seconds`.

  WMMSE's time is linear in iterations x starts, so the model's time buys
  `ratio` = model / WMMSE-100 units of 100 iterations. Spend all of it:
  ceil(ratio) starts of floor(100 ratio / starts) iterations each (one
  start of fewer iterations when the model is faster than WMMSE-100).
  """
  ratio = model_seconds / wmmse100_seconds
  num_starts = max(1, math.ceil(ratio - 1e-9))
  return max(1, int(restart_iters * ratio / num_starts)), num_starts


def best_frontier_percent(points: Sequence[FrontierPoint],
                          seconds_per_network: float) -> float:
  """Best % of WMMSE-100 any frontier point reaches within the given time;
  NaN if none is that fast."""
  within = [p.percent_of_wmmse for p in points
            if p.seconds_per_network <= seconds_per_network]
  return max(within) if within else float("nan")
