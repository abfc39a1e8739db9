r"""Time and memory at scale: top-k graphs against dense WMMSE, one network.

    python -m experiments.benchmark_scale                 # K = 1,000 and 10,000
    python -m experiments.benchmark_scale --users=1000,10000,20000 --top_k=16
    python -m experiments.benchmark_scale --quick         # seconds (the tests)
    python -m experiments.benchmark_scale --users= --positions_users=100000

On one spatial network per K (`channels.spatial`: the UWMMSE layout grown
at fixed density, sigma = 2.6e-5, p_max = 1), each allocator jitted end to
end (canonical scaling and, for top-k, graph construction inside the
program): the learned models with `top_k` (and densely up to
--dense_model_limit), WMMSE-100 dense and with `top_k`. Median wall time of
interleaved calls, the compiled program's peak memory beyond its input H
(`memory_analysis`), and the sum rate on the full H as % of dense
WMMSE-100's.

Beyond the sizes whose H fits (--positions_users), networks are built from
positions on a cell grid (`cell_grid.top_k_network`, no [K, K] array):
graph construction and the model, or sparse WMMSE-100, jitted end to end
from the layout; scored by the kept links' sum rate (`network_sum_rate`)
as % of sparse WMMSE-100's on the same graph. --agreement_users: how many
of each receiver's top-k interferers of the dense H the cell grid finds.
Writes results/benchmark_scale/results.json and scale.png.
"""

import functools
import time

from absl import app
from absl import flags
import jax
import jax.numpy as jnp

import uwgnn_jax
from uwgnn_jax import benchmarking
from uwgnn_jax import cell_grid
from uwgnn_jax import channels
from uwgnn_jax import graphs
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
      positions_users=flags.DEFINE_list(
          "positions_users", [], "Values of K built from positions on a "
          "cell grid (no dense H), e.g. 100000."),
      agreement_users=flags.DEFINE_list(
          "agreement_users", ["1000", "2000"], "Values of K at which the "
          "cell grid's top-k graph is compared with the dense H's."),
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


def _rows(chosen: dict, x, input_bytes: int, rate, repeats: int,
          reference_name: str, log) -> dict:
  """{label: seconds, peak bytes beyond the input x, rate(p) and its % of
  the first allocator's (the reference WMMSE)} for chosen {label: (fn,
  params)}, fn(params, x) -> p, timed by interleaved calls."""
  seconds = benchmarking.interleaved_median_seconds(
      [(fn, (params, x)) for fn, params in chosen.values()], repeats)
  reference = None
  rows = {}
  for (label, (fn, params)), t in zip(chosen.items(), seconds):
    p = fn(params, x)
    cost = benchmarking.compiled_cost(fn, params, x)
    reference = rate(p) if reference is None else reference
    rows[label] = {
        "seconds": t,
        "peak_bytes_beyond_input": cost.peak_bytes - input_bytes,
        "sum_rate": rate(p),
        f"percent_of_{reference_name}": 100.0 * rate(p) / reference,
        "users_switched_off": int(jnp.sum(p <= 1e-6))}
    log(f"{label:<26} {1e3 * t:>10.1f} ms "
        f"{rows[label]['peak_bytes_beyond_input'] / 2**20:>9.1f} MiB "
        f"{rows[label][f'percent_of_{reference_name}']:>8.2f}%")
  return rows


def measure(num_users: int, top_k: int, model_names, dense_model_limit: int,
            repeats: int, log=print) -> dict:
  """One K's rows: seconds, peak bytes beyond H, % of dense WMMSE-100."""
  H = channels.spatial(jax.random.PRNGKey(SEED + num_users), num_users)
  input_bytes = H.size * H.dtype.itemsize
  chosen = allocators(num_users, top_k, model_names, dense_model_limit)
  rate = lambda p: float(uwgnn_jax.sum_rate(H, p, noise_var=NOISE_VAR))
  rows = _rows(chosen, H, input_bytes, rate, repeats, "dense_wmmse",
               lambda label: log(f"K = {num_users:>6} {label}"))
  return dict(input_bytes=input_bytes, rows=rows)


def _layout_and_key(num_users: int) -> tuple:
  root = jax.random.PRNGKey(SEED + num_users)
  return (channels.spatial_layout(jax.random.fold_in(root, 0), num_users),
          jax.random.fold_in(root, 1))


def agreement(num_users: int, top_k: int) -> float:
  """Mean share of each receiver's top_k interferers (of the dense H that
  `cell_grid.link_gains` defines) that the cell grid keeps."""
  layout, key = _layout_and_key(num_users)
  return float(_agreement(key, layout, top_k,
                          channels.spatial_half_width(num_users)))


@functools.partial(jax.jit, static_argnums=(2, 3))
def _agreement(key, layout, top_k: int, half_width: float) -> jax.Array:
  """`agreement` as one compiled program (op by op it took seconds)."""
  network, _ = cell_grid.top_k_network(key, layout, top_k,
                                       half_width=half_width)
  dense = graphs.top_k_network(cell_grid.dense_channel(key, layout), top_k)
  shape = (layout.transmitters.shape[0], -1)
  ours = jnp.sort(network.graph.senders.reshape(shape), axis=1)
  exact = dense.graph.senders.reshape(shape)
  return jnp.mean(jax.vmap(lambda a, b: jnp.isin(b, a))(ours, exact))


def measure_positions(num_users: int, top_k: int, model_names, repeats: int,
                      log=print) -> dict:
  """One K built from positions: seconds and peak bytes beyond the layout
  of graph construction + model, and of sparse WMMSE-100; kept-links sum
  rate as % of sparse WMMSE-100's."""
  layout, key = _layout_and_key(num_users)
  half = channels.spatial_half_width(num_users)
  build = lambda lay: cell_grid.top_k_network(key, lay, top_k,
                                              half_width=half)
  chosen = {f"wmmse_cells_top{top_k}": (jax.jit(
      lambda _, lay: uwgnn_jax.wmmse_network(build(lay)[0],
                                             noise_var=NOISE_VAR)), None)}
  for name in model_names:
    chosen[f"{name}_cells_top{top_k}"] = (jax.jit(
        lambda params, lay: uwgnn_jax.allocate_network(
            params, build(lay)[0], noise_var=NOISE_VAR)),
                                          uwgnn_jax.pretrained(name))
  network, left_out = jax.jit(build)(layout)
  rate = lambda p: float(uwgnn_jax.network_sum_rate(network, p,
                                                    noise_var=NOISE_VAR))
  input_bytes = sum(x.size * x.dtype.itemsize for x in layout)
  rows = _rows(chosen, layout, input_bytes, rate, repeats, "sparse_wmmse",
               lambda label: log(f"K = {num_users:>7} {label}"))
  return dict(left_out_of_full_cells=int(left_out), rows=rows)


def plot(results: dict, out_dir: str) -> str:
  fig, axes = plots.panels(2)
  by_k = {**results["sizes"], **results.get("positions", {})}
  users = sorted(int(k) for k in by_k)
  labels = list(dict.fromkeys(label for k in users
                              for label in by_k[str(k)]["rows"]))
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
  positions_users = [200] if f["quick"] else [
      int(k) for k in f["positions_users"]]
  agreement_users = [60] if f["quick"] else [
      int(k) for k in f["agreement_users"]]
  top_k = 4 if f["quick"] else f["top_k"]
  for k in users + positions_users + agreement_users:
    if k < 2:
      raise app.UsageError(f"--users must be >= 2; got {k}.")
  if top_k < 1:
    raise app.UsageError(f"--top_k must be >= 1; got {top_k}.")
  repeats = 2 if f["quick"] else f["repeats"]
  sizes = {str(k): measure(k, top_k, f["models"], f["dense_model_limit"],
                           repeats) for k in users}
  positions = {str(k): measure_positions(k, top_k, f["models"], repeats)
               for k in positions_users}
  shares = {str(k): agreement(k, top_k) for k in agreement_users}
  for k, share in shares.items():
    print(f"K = {k}: the cell grid keeps {100 * share:.2f}% of the dense "
          f"top-{top_k} interferers")
  results = dict(top_k=top_k, sizes=sizes, positions=positions,
                 agreement=shares)
  path = results_io.write(
      f["out_dir"], dict(users=users, positions_users=positions_users,
                         agreement_users=agreement_users, top_k=top_k,
                         models=f["models"],
                         dense_model_limit=f["dense_model_limit"],
                         repeats=repeats, quick=f["quick"]),
      results, time.perf_counter() - start)
  print(f"wrote {path} and {plot(results, f['out_dir'])}")


if __name__ == "__main__":
  define_flags()
  app.run(main)
