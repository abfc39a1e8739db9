r"""Time and memory at scale: top-k graphs against dense WMMSE, one network.

    python -m experiments.benchmark_scale                 # K = 1,000 and 10,000
    python -m experiments.benchmark_scale --users=1000,10000,20000 --top_k=16
    python -m experiments.benchmark_scale --quick         # seconds (the tests)

On one spatial network per K (`channels.spatial`: the UWMMSE layout grown
at fixed density, sigma = 2.6e-5, p_max = 1), each allocator jitted end to
end (canonical scaling and, for top-k, graph construction inside the
program): the learned models with `top_k` (and densely up to
--dense_model_limit), WMMSE-100 dense and with `top_k`. Median wall time of
interleaved calls, the compiled program's peak memory beyond its input H
(`memory_analysis`), and the sum rate on the full H as % of dense
WMMSE-100's. Writes results/benchmark_scale/results.json and scale.png.
"""

import time

from absl import app
from absl import flags
import jax
import jax.numpy as jnp

import uwgnn_jax
from uwgnn_jax import benchmarking
from uwgnn_jax import channels
from experiments import plots
from experiments import results_io

_FLAGS = {}


def define_flags() -> dict:
  """The driver's flags, defined when it runs (importing this module, as
  the tests do beside experiments.benchmark, defines none)."""
  _FLAGS.update(
      users=flags.DEFINE_list("users", ["1000", "10000"], "Values of K."),
      top_k=flags.DEFINE_integer("top_k", 16, "Interferers kept per "
                                 "receiver."),
      models=flags.DEFINE_list("models", ["uwgnn_spatial", "uwgnn",
                                          "uwmmse"],
                               "Shipped models to time (any trained K)."),
      dense_model_limit=flags.DEFINE_integer(
          "dense_model_limit", 2000, "Largest K at which the learned models "
          "also run densely (their [K, K, 16] edge tensors: 6.4 GB at "
          "K = 10,000)."),
      repeats=flags.DEFINE_integer("repeats", 5, "Timed calls per "
                                   "allocator."),
      quick=flags.DEFINE_bool("quick", False, "K = 40 and 60, top_k = 4."),
      out_dir=flags.DEFINE_string("out_dir", "results/benchmark_scale",
                                  "Output folder."))
  return _FLAGS


NOISE_VAR = channels.GEOMETRIC_NOISE_VAR
SEED = 2026  # A key no training or test set uses.


def allocators(num_users: int, top_k: int, model_names, dense_model_limit):
  """{label: (fn(params, H) -> p, params)}; fns are jitted end to end."""
  def wmmse(k):
    return jax.jit(lambda _, h: uwgnn_jax.wmmse(h, noise_var=NOISE_VAR,
                                                top_k=k))

  def model(k):
    return jax.jit(lambda params, h: uwgnn_jax.allocate(
        params, h, noise_var=NOISE_VAR, top_k=k))

  chosen = {"wmmse_dense": (wmmse(None), None),
            f"wmmse_top{top_k}": (wmmse(top_k), None)}
  for name in model_names:
    params = uwgnn_jax.pretrained(name)
    chosen[f"{name}_top{top_k}"] = (model(top_k), params)
    if num_users <= dense_model_limit:
      chosen[f"{name}_dense"] = (model(None), params)
  return chosen


def measure(num_users: int, top_k: int, model_names, dense_model_limit: int,
            repeats: int, log=print) -> dict:
  """One K's rows: seconds, peak bytes beyond H, % of dense WMMSE-100."""
  H = channels.spatial(jax.random.PRNGKey(SEED + num_users), num_users)
  input_bytes = H.size * H.dtype.itemsize
  chosen = allocators(num_users, top_k, model_names, dense_model_limit)
  seconds = benchmarking.interleaved_median_seconds(
      [(fn, (params, H)) for fn, params in chosen.values()], repeats)
  rate = lambda p: float(uwgnn_jax.sum_rate(H, p, noise_var=NOISE_VAR))
  reference = None
  rows = {}
  for (label, (fn, params)), t in zip(chosen.items(), seconds):
    p = fn(params, H)
    cost = benchmarking.compiled_cost(fn, params, H)
    reference = rate(p) if reference is None else reference
    rows[label] = dict(
        seconds=t, peak_bytes_beyond_input=cost.peak_bytes - input_bytes,
        sum_rate=rate(p), percent_of_dense_wmmse=100.0 * rate(p) / reference,
        users_switched_off=int(jnp.sum(p <= 1e-6)))
    log(f"K = {num_users:>6} {label:<18} {1e3 * t:>10.1f} ms "
        f"{rows[label]['peak_bytes_beyond_input'] / 2**20:>9.1f} MiB "
        f"{rows[label]['percent_of_dense_wmmse']:>8.2f}%")
  return dict(input_bytes=input_bytes, rows=rows)


def plot(results: dict, out_dir: str) -> str:
  fig, axes = plots.panels(2)
  by_k = results["sizes"]
  users = sorted(int(k) for k in by_k)
  labels = list(by_k[str(users[0])]["rows"])
  for label in labels:
    ks = [k for k in users if label in by_k[str(k)]["rows"]]
    rows = [by_k[str(k)]["rows"][label] for k in ks]
    axes[0].plot(ks, [1e3 * r["seconds"] for r in rows], "o-", label=label)
    axes[1].plot(ks, [r["peak_bytes_beyond_input"] / 2**20 for r in rows],
                 "o-", label=label)
  for ax, y_label in zip(axes, ("wall time per network (ms)",
                                "peak memory beyond H (MiB)")):
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("K (pairs)")
    ax.set_ylabel(y_label)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
  axes[0].set_title(f"one spatial network, top_k = {results['top_k']}",
                    fontsize=10)
  return plots.save(fig, out_dir, "scale.png")


def main(argv):
  del argv  # Unused.
  start = time.perf_counter()
  f = {name: holder.value for name, holder in _FLAGS.items()}
  users = [40, 60] if f["quick"] else [int(k) for k in f["users"]]
  top_k = 4 if f["quick"] else f["top_k"]
  for k in users:
    if k < 2:
      raise app.UsageError(f"--users must be >= 2; got {k}.")
  if top_k < 1:
    raise app.UsageError(f"--top_k must be >= 1; got {top_k}.")
  repeats = 2 if f["quick"] else f["repeats"]
  sizes = {str(k): measure(k, top_k, f["models"], f["dense_model_limit"],
                           repeats) for k in users}
  results = dict(top_k=top_k, sizes=sizes)
  path = results_io.write(
      f["out_dir"], dict(users=users, top_k=top_k, models=f["models"],
                         dense_model_limit=f["dense_model_limit"],
                         repeats=repeats, quick=f["quick"]),
      results, time.perf_counter() - start)
  print(f"wrote {path} and {plot(results, f['out_dir'])}")


if __name__ == "__main__":
  define_flags()
  app.run(main)
