r"""UWGNN paper, Fig. 9: user mobility.

    python -m experiments.uwgnn_fig9 [--quick]

UWGNN and WCGCN trained at K = 20 on the mobility channel at speed 0 (the
layout's path loss on Rayleigh fading, docs/DESIGN.md s.3d), tested after
the receivers moved for 1 s at rising speed. Our mobility model's constants
are ours (the paper's were lost; BUILD_NOTES.md). Each model is trained
at `--seeds` seeds (default 5): each point is their mean, every seed's value
in results.json.
"""

import dataclasses

from experiments import framework
from experiments import plots

MODELS = ("uwgnn", "wcgcn")
SPEEDS = (0.0, 1.0, 2.0, 5.0, 10.0, 20.0)  # m/s, for 1 s.


def run(ctx: framework.Context) -> tuple:
  base = ctx.config(channel="mobility", speed=0.0)
  trained = {name: framework.trained_seeds(
      ctx, dataclasses.replace(base, model=name), ctx.seeds)
             for name in MODELS}
  speeds = SPEEDS[::2] if ctx.quick else SPEEDS
  progress = ctx.progress(len(speeds))
  rows = framework.shift_rows(
      trained, speeds, lambda v: dataclasses.replace(base, speed=v), "speed",
      progress)
  return dict(base=base.to_json(), speeds=list(speeds)), dict(rows=rows)


def plot(results: dict, out_dir: str) -> list:
  fig, (ax,) = plots.panels(1, width=6)
  plots.rows_panel(ax, results["rows"], "speed", MODELS,
                   "receiver speed (m/s, moving for 1 s)",
                   "Fig. 9: user mobility (trained at speed 0)")
  return [plots.save(fig, out_dir, "fig9.png")]


EXPERIMENT = framework.Experiment("uwgnn_fig9", "UWGNN Fig. 9: user "
                                  "mobility", run, plot)

if __name__ == "__main__":
  framework.main(EXPERIMENT)
