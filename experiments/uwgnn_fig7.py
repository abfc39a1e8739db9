r"""UWGNN paper, Fig. 7: topology density shift.

    python -m experiments.uwgnn_fig7 [--quick]

K = 10, Rayleigh, sigma^2 = 0.1. Each interference link is dropped with
probability rho (docs/DESIGN.md s.3c). (a, b) dense -> sparse: trained fully
connected (rho = 0), tested with rho rising; (c, d) sparse -> dense: trained
at rho = 0.6, tested with rho falling; (a, c) unweighted, (b, d) weighted
(alpha ~ U(0, 1)). Every test point has its own held-out set and WMMSE-100.
"""

import dataclasses

from experiments import framework
from experiments import plots

MODELS = ("uwgnn", "wcgcn")
DROP_PROBS = (0.0, 0.2, 0.4, 0.6, 0.8)
PANELS = (  # (key, title, training drop probability or None, weighted).
    ("dense_to_sparse", "(a) dense -> sparse, unweighted", None, False),
    ("dense_to_sparse_weighted", "(b) dense -> sparse, weighted", None, True),
    ("sparse_to_dense", "(c) sparse (0.6) -> dense, unweighted", 0.6, False),
    ("sparse_to_dense_weighted", "(d) sparse (0.6) -> dense, weighted", 0.6,
     True),
)


def _training_config(ctx, name, drop_prob, weighted):
  if drop_prob is None:
    return ctx.config(model=name, num_users=10, weighted=weighted)
  return ctx.config(model=name, num_users=10, weighted=weighted,
                    channel="sparse", drop_prob=drop_prob)


def run(ctx: framework.Context) -> tuple:
  grid = DROP_PROBS[::2] if ctx.quick else DROP_PROBS
  progress = ctx.progress(len(PANELS) * len(grid))
  panels = {}
  for key, _, train_drop, weighted in PANELS:
    trained = {name: ctx.train(_training_config(ctx, name, train_drop,
                                                weighted)).params
               for name in MODELS}
    test_base = ctx.config(num_users=10, weighted=weighted, channel="sparse")
    rows = framework.shift_rows(
        trained, grid, lambda rho, b=test_base: dataclasses.replace(
            b, drop_prob=rho), "drop_prob", progress)
    panels[key] = rows
  return dict(num_users=ctx.sizes.num_users(10), drop_probs=list(grid)), dict(
      panels=panels)


def plot(results: dict, out_dir: str) -> list:
  fig, axes = plots.panels(len(PANELS), width=4)
  for ax, (key, title, _, _) in zip(axes, PANELS):
    plots.rows_panel(ax, results["panels"][key], "drop_prob", MODELS,
                     "drop probability rho", title)
  return [plots.save(fig, out_dir, "fig7.png")]


EXPERIMENT = framework.Experiment("uwgnn_fig7", "UWGNN Fig. 7: topology "
                                  "density shift", run, plot)

if __name__ == "__main__":
  framework.main(EXPERIMENT)
