"""Line and bar figures for the reproductions (matplotlib, headless Agg)."""

import os
from typing import Iterable, Optional

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top

PERCENT_LABEL = "sum rate (% of WMMSE-100)"
STYLES = {"uwgnn": "o-", "wcgcn": "s-", "uwmmse": "^-", "mlp": "v-",
          "truncated_wmmse": "x--", "full_power": ":", "uwgnn median": "d--"}


def line_panel(ax, curves: dict, x_label: str, title: str,
               y_label: str = PERCENT_LABEL, paper: Optional[dict] = None,
               log_x: bool = False, reference: Optional[float] = 100.0):
  """curves: {label: (xs, ys[, y_errors])}; paper: {label: (xs, ys)} drawn
  hollow and dashed beside ours."""
  for label, curve in curves.items():
    xs, ys = curve[0], curve[1]
    errors = curve[2] if len(curve) > 2 else None
    ax.errorbar(xs, ys, yerr=errors, fmt=STYLES.get(label, "o-"), ms=4,
                capsize=3, label=label)
  for label, (xs, ys) in (paper or {}).items():
    ax.plot(xs, ys, "o--", mfc="none", ms=6, alpha=0.7,
            label=f"{label} (paper)")
  if reference is not None:
    ax.axhline(reference, color="gray", lw=0.8, ls="--")
  if log_x:
    ax.set_xscale("log")
    ticks = sorted({x for curve in curves.values() for x in curve[0]})
    ax.set_xticks(ticks, [f"{x:g}" for x in ticks])
    ax.minorticks_off()
  ax.set_xlabel(x_label)
  ax.set_ylabel(y_label)
  ax.set_title(title, fontsize=10)
  ax.grid(alpha=0.3)
  ax.legend(fontsize=7)


def rows_panel(ax, rows: list, x_name: str, models: Iterable[str],
               x_label: str, title: str, log_x: bool = False):
  """`framework.shift_rows` rows as curves: each model and Tr-WMMSE."""
  xs = [r[x_name] for r in rows]

  def curve(name):
    ys = [r[name] for r in rows]
    if all(f"{name}_seeds" in r for r in rows):  # Error bars: +-1 std.
      return xs, ys, [r[f"{name}_seeds"]["std"] for r in rows]
    return xs, ys

  curves = {name: curve(name) for name in (*models, "truncated_wmmse")}
  line_panel(ax, curves, x_label, title, log_x=log_x)


def save(fig, out_dir: str, name: str) -> str:
  os.makedirs(out_dir, exist_ok=True)
  path = os.path.join(out_dir, name)
  fig.tight_layout()
  fig.savefig(path, dpi=120)
  plt.close(fig)
  return path


def panels(count: int, width: float = 4.5, height: float = 3.6):
  fig, axes = plt.subplots(1, count, figsize=(width * count, height),
                           squeeze=False)
  return fig, list(axes.flat)


def grouped_bars(ax, groups: list, series: dict, y_label: str = PERCENT_LABEL,
                 title: str = ""):
  """series: {label: [value per group]} as bars side by side per group."""
  width = 0.8 / max(len(series), 1)
  for i, (label, values) in enumerate(series.items()):
    xs = [g + (i - (len(series) - 1) / 2) * width for g in range(len(groups))]
    ax.bar(xs, values, width=width, label=label)
  ax.set_xticks(range(len(groups)))
  ax.set_xticklabels(groups)
  ax.set_ylabel(y_label)
  ax.set_title(title, fontsize=10)
  ax.grid(alpha=0.3, axis="y")
  ax.legend(fontsize=7)
