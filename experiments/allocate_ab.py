r"""Throughput and one-network latency of jitted `allocate`, for A/B runs of
two versions of the library (the speed issue's before/after numbers).

    git worktree add /tmp/old aecf82d && git worktree add /tmp/new 27faeed
    for i in 1 2 3; do
      PYTHONPATH=/tmp/old python experiments/allocate_ab.py old
      PYTHONPATH=/tmp/new python experiments/allocate_ab.py new
    done

Run as a script (not -m), so that PYTHONPATH picks the version. Prints one
JSON line per (model, K): networks/s on a batch of 1,024 (median of 15
calls) and one network's latency (median of 400), on the shipped weights of
that version, plus the mean power as a check that both compute the same.
Alternate the two versions a few times: this machine is shared and noisy.
"""

import json
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

import uwgnn_jax


def median_seconds(fn, *args, repeats: int) -> float:
  jax.block_until_ready(fn(*args))
  times = []
  for _ in range(repeats):
    start = time.perf_counter()
    jax.block_until_ready(fn(*args))
    times.append(time.perf_counter() - start)
  return float(np.median(times))


def main(tag: str) -> None:
  for name in ("uwgnn", "wcgcn"):
    params = uwgnn_jax.pretrained(name)
    fn = jax.jit(lambda h, params=params: uwgnn_jax.allocate(
        params, h, noise_var=0.1))
    for num_users in (20, 100):
      H = jnp.abs(jax.random.normal(jax.random.PRNGKey(1),
                                    (1024, num_users, num_users)))
      batch = median_seconds(fn, H, repeats=15)
      one = median_seconds(fn, H[0], repeats=400)
      print(json.dumps(dict(code=tag, model=name, K=num_users,
                            nets_per_s=1024 / batch, one_ms=one * 1e3,
                            mean_p=float(fn(H).mean()))), flush=True)


if __name__ == "__main__":
  main(sys.argv[1] if len(sys.argv) > 1 else "this")
