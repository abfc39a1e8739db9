r"""Speed of `allocate` against jit-compiled WMMSE-100, in one process.

    python -m experiments.benchmark                 # K = 10, 20, 50, 100
    python -m experiments.benchmark --models=uwgnn,wcgcn --batch=1024

Latency: one network, jit-compiled, median of --repeats calls. Throughput:
a batch of --batch networks (networks / s). Ratios are what to compare: the
machines this runs on are shared and noisy.
"""

import time

from absl import app
from absl import flags
import jax
import numpy as np

import uwgnn_jax
from uwgnn_jax import channels
from uwgnn_jax import models

_SIZES = flags.DEFINE_list("users", ["10", "20", "50", "100"], "Values of K.")
_MODELS = flags.DEFINE_list("models", ["uwgnn"], "Models to time.")
_BATCH = flags.DEFINE_integer("batch", 1024, "Networks per throughput batch.")
_REPEATS = flags.DEFINE_integer("repeats", 30, "Timed calls per measurement.")


def median_seconds(fn, *args, repeats: int) -> float:
  jax.block_until_ready(fn(*args))  # Compile.
  times = []
  for _ in range(repeats):
    start = time.perf_counter()
    jax.block_until_ready(fn(*args))
    times.append(time.perf_counter() - start)
  return float(np.median(times))


def main(argv):
  del argv  # Unused.
  noise = channels.RAYLEIGH_NOISE_VAR
  wmmse_fn = jax.jit(lambda h: uwgnn_jax.wmmse(h, noise_var=noise))
  print(f"device: {jax.devices()[0].device_kind} ({jax.default_backend()}); "
        f"batch {_BATCH.value}; median of {_REPEATS.value}")
  print(f"{'model':<8}{'K':>5}{'latency ms':>12}{'WMMSE ms':>10}"
        f"{'speed-up':>10}{'nets/s':>11}{'WMMSE n/s':>11}{'speed-up':>10}")
  for name in _MODELS.value:
    params = (uwgnn_jax.pretrained(name) if name in
              uwgnn_jax.available_pretrained() else
              models.init(name, jax.random.PRNGKey(0)))
    model_fn = jax.jit(lambda p, h: uwgnn_jax.allocate(p, h, noise_var=noise))
    for num_users in map(int, _SIZES.value):
      keys = jax.random.split(jax.random.PRNGKey(1), _BATCH.value)
      H = jax.vmap(lambda k: channels.rayleigh(k, num_users))(keys)
      repeats = _REPEATS.value
      model_one = median_seconds(model_fn, params, H[0], repeats=repeats)
      wmmse_one = median_seconds(wmmse_fn, H[0], repeats=repeats)
      model_batch = median_seconds(model_fn, params, H,
                                   repeats=max(3, repeats // 5))
      wmmse_batch = median_seconds(wmmse_fn, H, repeats=max(3, repeats // 5))
      print(f"{name:<8}{num_users:>5}{1e3 * model_one:>12.3f}"
            f"{1e3 * wmmse_one:>10.3f}{wmmse_one / model_one:>9.2f}x"
            f"{_BATCH.value / model_batch:>11.0f}"
            f"{_BATCH.value / wmmse_batch:>11.0f}"
            f"{wmmse_batch / model_batch:>9.2f}x", flush=True)


if __name__ == "__main__":
  app.run(main)
