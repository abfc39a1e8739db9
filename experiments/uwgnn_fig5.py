r"""UWGNN paper, Fig. 5: trained on Rayleigh CN(0, 1), tested on shifted
channel distributions.

    python -m experiments.uwgnn_fig5 [--quick]

(a) Rayleigh with variance s^2 swept; (b) Rician with mean 1 and variance
swept; (c) Rician with the line-of-sight mean swept at variance 1. UWGNN and
WCGCN trained at K = 20, sigma^2 = 0.1, unchanged; each test distribution
gets its own held-out set and its own WMMSE-100. The paper's swept values
were lost in extraction: these grids are ours. Each model is trained at
`--seeds` seeds (default 5); every point is their mean, with each seed's
value and the spread in results.json.
"""

import dataclasses

from experiments import framework
from experiments import plots

MODELS = ("uwgnn", "wcgcn")
VARIANCES = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 10.0)
LOS_MEANS = (0.0, 0.5, 1.0, 2.0, 3.0, 5.0)
PANELS = (  # (key, title, x label, x values, test-config overrides of x).
    ("rayleigh_variance", "(a) Rayleigh, variance shift", "variance s^2",
     VARIANCES, lambda v: dict(channel="rayleigh", variance=v)),
    ("rician_variance", "(b) Rician (mean 1), variance shift", "variance s^2",
     VARIANCES, lambda v: dict(channel="rician", variance=v, rician_mean=1.0)),
    ("los_strength", "(c) Rician, LOS mean shift (variance 1)",
     "LOS mean mu", LOS_MEANS,
     lambda m: dict(channel="rician", variance=1.0, rician_mean=m)),
)


def run(ctx: framework.Context) -> tuple:
  trained = {name: framework.trained_seeds(ctx, ctx.config(model=name),
                                           ctx.seeds) for name in MODELS}
  base = ctx.config()
  grids = {key: values[:3] if ctx.quick else values
           for key, _, _, values, _ in PANELS}
  progress = ctx.progress(sum(map(len, grids.values())))
  panels = {key: framework.shift_rows(
      trained, grids[key],
      lambda x, o=overrides: dataclasses.replace(base, **o(x)), "x", progress)
            for key, _, _, _, overrides in PANELS}
  return dict(base=base.to_json(), grids=grids), dict(panels=panels)


def plot(results: dict, out_dir: str) -> list:
  fig, axes = plots.panels(len(PANELS))
  for ax, (key, title, x_label, _, _) in zip(axes, PANELS):
    plots.rows_panel(ax, results["panels"][key], "x", MODELS, x_label, title,
                     log_x=key != "los_strength")
  return [plots.save(fig, out_dir, "fig5.png")]


EXPERIMENT = framework.Experiment("uwgnn_fig5", "UWGNN Fig. 5: channel "
                                  "distribution shift", run, plot)

if __name__ == "__main__":
  framework.main(EXPERIMENT)
