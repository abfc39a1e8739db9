r"""Top-k `allocate` with XLA's whole-row top_k against the column-block
search (`graphs.row_top_indices`), A/B in one process.

    python -m experiments.top_k_speed --users=1000,10000,20000

One spatial network per K; the shipped "uwgnn_spatial" with top_k = 16,
jitted end to end; each arm compiled once (the arms differ only in
`graphs.BLOCKED_TOP_MIN_COLUMNS`), then called alternately; median times.
Writes results/top_k_speed/results.json and speed.png.
"""

import time

from absl import app
from absl import flags
import jax
import numpy as np

import uwgnn_jax
from uwgnn_jax import benchmarking
from uwgnn_jax import channels
from uwgnn_jax import graphs
from experiments import plots
from experiments import results_io

_USERS = flags.DEFINE_list("users", ["1000", "10000", "20000"], "Values of K.")
_REPEATS = flags.DEFINE_integer("repeats", 7, "Calls per arm and K.")
_TOP_K = flags.DEFINE_integer("top_k", 16, "Interferers kept per receiver.")
_OUT = flags.DEFINE_string("out_dir", "results/top_k_speed", "Output folder.")
_THRESHOLD = flags.DEFINE_integer(
    "threshold", None, "The column-block arm's BLOCKED_TOP_MIN_COLUMNS "
    "(default: the library's), to try the search on shorter rows.")

WHOLE_ROWS = 1 << 60  # A threshold no row reaches: lax.top_k throughout.


def measure(num_users: int, top_k: int, repeats: int,
            threshold: int) -> dict:
  """Median ms of each arm (whole rows; column blocks from `threshold`
  columns on), the speed-up, and whether the two arms' powers are equal."""
  params = uwgnn_jax.pretrained("uwgnn_spatial")
  H = jax.jit(lambda k: channels.spatial(k, num_users))(jax.random.PRNGKey(0))
  default_threshold = graphs.BLOCKED_TOP_MIN_COLUMNS
  arms = {"whole_rows": WHOLE_ROWS, "column_blocks": threshold}
  compiled = {}
  for arm, arm_threshold in arms.items():
    graphs.BLOCKED_TOP_MIN_COLUMNS = arm_threshold
    jax.clear_caches()  # So that each arm traces with its own threshold.
    compiled[arm] = jax.jit(lambda p, h: uwgnn_jax.allocate(
        p, h, noise_var=channels.GEOMETRIC_NOISE_VAR, top_k=top_k)).lower(
            params, H).compile()
  graphs.BLOCKED_TOP_MIN_COLUMNS = default_threshold
  powers = [np.asarray(fn(params, H)) for fn in compiled.values()]
  seconds = benchmarking.interleaved_median_seconds(
      [(fn, (params, H)) for fn in compiled.values()], repeats)
  row = {f"{arm}_ms": 1000 * s for arm, s in zip(compiled, seconds)}
  row["speedup"] = row["whole_rows_ms"] / row["column_blocks_ms"]
  row["same_powers"] = bool(np.array_equal(*powers))
  return row


def main(argv):
  del argv  # Unused.
  start = time.perf_counter()
  threshold = (graphs.BLOCKED_TOP_MIN_COLUMNS if _THRESHOLD.value is None
               else _THRESHOLD.value)
  sizes = [int(k) for k in _USERS.value]
  rows = {}
  for num_users in sizes:
    rows[str(num_users)] = row = measure(num_users, _TOP_K.value,
                                         _REPEATS.value, threshold)
    print(f"K = {num_users}: whole rows {row['whole_rows_ms']:.1f} ms, "
          f"column blocks {row['column_blocks_ms']:.1f} ms "
          f"({row['speedup']:.2f}x); same powers: {row['same_powers']}",
          flush=True)
  results_io.write(_OUT.value, dict(users=sizes, top_k=_TOP_K.value,
                                    repeats=_REPEATS.value,
                                    threshold=threshold),
                   dict(rows=rows),
                   time.perf_counter() - start)
  fig, (ax,) = plots.panels(1)
  for arm in ("whole_rows", "column_blocks"):
    ax.plot(sizes, [rows[str(k)][f"{arm}_ms"] for k in sizes], "o-",
            label=arm.replace("_", " "))
  ax.set_xscale("log")
  ax.set_yscale("log")
  ax.set_xlabel("K (users)")
  ax.set_ylabel(f"top-{_TOP_K.value} allocate, ms")
  ax.set_title("uwgnn_spatial, one spatial network per K", fontsize=10)
  ax.grid(alpha=0.3)
  ax.legend(fontsize=7)
  plots.save(fig, _OUT.value, "speed.png")


if __name__ == "__main__":
  app.run(main)
