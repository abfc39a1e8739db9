"""Plots of `experiments/benchmark.py` (matplotlib, headless Agg)."""

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top

FLOOR_PERCENT = 90.0  # Frontier panels show sum rates from here up.
_MARKERS = {"uwgnn": "*", "wcgcn": "D", "uwmmse": "s", "mlp": "^"}


def _frontier_axes(ax, num_users, frontier):
  points = frontier["points"]
  for starts, style, label in ((1, "o-", "WMMSE, 1 start, iterations"),
                               (None, "s--", "WMMSE-100, best of R starts")):
    chosen = [p for p in points if (p["num_starts"] == 1) == (starts == 1)]
    if starts is None:
      chosen = [p for p in points if p["num_iters"] == 100]
      chosen.sort(key=lambda p: p["num_starts"])
    else:
      chosen.sort(key=lambda p: p["num_iters"])
    if not chosen:
      continue
    xs = [1e6 * p["seconds_per_network"] for p in chosen]
    ax.plot(xs, [p["percent_of_wmmse"] for p in chosen], style, ms=4,
            label=label)
    for p, x in zip(chosen, xs):
      if starts is None and p["num_starts"] == 1:
        continue  # The 100-iteration point, labelled on the other curve.
      tag = (f"{p['num_iters']}" if starts == 1 else f"R={p['num_starts']}")
      ax.annotate(tag, (x, p["percent_of_wmmse"]), fontsize=6,
                  textcoords="offset points", xytext=(2, -8))
  for m in frontier["models"]:
    ax.plot(1e6 * m["model_seconds_per_network"], m["model_percent"],
            _MARKERS.get(m["model"], "o"), ms=9, label=m["model"])
  ax.set_xscale("log")
  ax.set_ylim(bottom=max(ax.get_ylim()[0], FLOOR_PERCENT))
  ax.set_title(f"K = {num_users} (Rayleigh, 10 dB)")
  ax.set_xlabel("time per network in a batch (microseconds)")
  ax.set_ylabel("sum rate (% of WMMSE-100)")
  ax.grid(alpha=0.3)


def write_plots(results: dict, out_dir: str) -> list:
  """frontier.png (one panel per K) and throughput.png; returns the paths."""
  os.makedirs(out_dir, exist_ok=True)
  sizes = list(results)
  columns = min(3, len(sizes))
  rows = -(-len(sizes) // columns)
  fig, axes = plt.subplots(rows, columns, figsize=(5 * columns, 4 * rows),
                           squeeze=False)
  for ax, num_users in zip(axes.flat, sizes):
    _frontier_axes(ax, num_users, results[num_users]["frontier"])
  for ax in list(axes.flat)[len(sizes):]:
    ax.axis("off")
  axes[0][0].legend(fontsize=7, loc="lower right")
  fig.suptitle("Equal-time frontier: WMMSE with fewer or more iterations, "
               f"or best of R starts, vs learned allocators (below "
               f"{FLOOR_PERCENT:.0f}% not shown)")
  fig.tight_layout()
  frontier_path = os.path.join(out_dir, "frontier.png")
  fig.savefig(frontier_path, dpi=120)
  plt.close(fig)

  fig, ax = plt.subplots(figsize=(6, 4))
  labels = sorted({(r["allocator"], r["channel"]) for k in sizes
                   for r in results[k]["rows"]})
  for allocator, channel in labels:
    pairs = [(k, r["networks_per_s"]) for k in sizes
             for r in results[k]["rows"]
             if (r["allocator"], r["channel"]) == (allocator, channel)]
    ax.plot([k for k, _ in pairs], [v for _, v in pairs], "o-", ms=4,
            label=f"{allocator} ({channel})")
  ax.set_xscale("log")
  ax.set_yscale("log")
  ax.set_xlabel("K (transmitter-receiver pairs)")
  ax.set_ylabel("batch throughput (networks / s)")
  ax.grid(alpha=0.3)
  ax.legend(fontsize=7)
  fig.tight_layout()
  throughput_path = os.path.join(out_dir, "throughput.png")
  fig.savefig(throughput_path, dpi=120)
  plt.close(fig)
  return [frontier_path, throughput_path]
