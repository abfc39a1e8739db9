r"""UWGNN paper, Fig. 7: topology density shift.

    python -m experiments.uwgnn_fig7 [--quick]

K = 10, Rayleigh, sigma^2 = 0.1. Each interference link is dropped with
probability rho (docs/DESIGN.md s.3c). (a, b) dense -> sparse: trained fully
connected (rho = 0), tested with rho rising; (c, d) sparse -> dense: trained
at rho = 0.6, tested with rho falling; (a, c) unweighted, (b, d) weighted
(alpha ~ U(0, 1)). Every test point has its own held-out set and WMMSE-100.

Panels (a) and (b) train each model at `--seeds` seeds (default 5): each
point is their mean, every seed's value in results.json. Training on
sparse networks, (c) and (d), often stalls at full power from the models'
default start (BUILD_NOTES.md, "The full-power trap"), so their models
start from a random power head (`head_init="random"`) at `--seeds` seeds
each, and each model is the seed with the best score on a validation set
of the training distribution (keys no training or test set uses), as
WMMSE's best of random starts. Every seed's validation score is in
results.json.
"""

import dataclasses

from experiments import framework
from experiments import plots

MODELS = ("uwgnn", "wcgcn")
DROP_PROBS = (0.0, 0.2, 0.4, 0.6, 0.8)
PANELS = (  # (key, title, training drop probability or None, weighted).
    ("dense_to_sparse", "(a) dense -> sparse, unweighted", None, False),
    ("dense_to_sparse_weighted", "(b) dense -> sparse, weighted", None, True),
    ("sparse_to_dense", "(c) sparse (0.6) -> dense, unweighted\n(best of "
     "random-head starts)", 0.6, False),
    ("sparse_to_dense_weighted", "(d) sparse (0.6) -> dense, weighted\n"
     "(best of random-head starts)", 0.6, True),
)


def _training_config(ctx, name, drop_prob, weighted):
  if drop_prob is None:
    return ctx.config(model=name, num_users=10, weighted=weighted)
  return ctx.config(model=name, num_users=10, weighted=weighted,
                    channel="sparse", drop_prob=drop_prob)


# The panels whose training stalls from the default start (see above).
RESTARTED_PANELS = ("sparse_to_dense", "sparse_to_dense_weighted")


def _best_of_starts(ctx, config, seeds: int) -> tuple:
  """(params of the best of `seeds` random-head starts of config by
  validation score, [{seed, validation_percent}] of every start)."""
  validation = framework.validation_set(config)
  trained = framework.trained_seeds(
      ctx, dataclasses.replace(config, head_init="random"), seeds)
  percents = [framework.percent(params, validation) for params in trained]
  best = percents.index(max(percents))
  return trained[best], [dict(seed=seed, validation_percent=percent,
                              chosen=seed == best)
                         for seed, percent in enumerate(percents)]


def run(ctx: framework.Context) -> tuple:
  grid = DROP_PROBS[::2] if ctx.quick else DROP_PROBS
  progress = ctx.progress(len(PANELS) * len(grid))
  panels, starts = {}, {}
  for key, _, train_drop, weighted in PANELS:
    configs = {name: _training_config(ctx, name, train_drop, weighted)
               for name in MODELS}
    if key in RESTARTED_PANELS:
      trained, starts[key] = {}, {}
      for name in MODELS:
        trained[name], starts[key][name] = _best_of_starts(
            ctx, configs[name], ctx.seeds)
    else:
      trained = {name: framework.trained_seeds(ctx, configs[name], ctx.seeds)
                 for name in MODELS}
    test_base = ctx.config(num_users=10, weighted=weighted, channel="sparse")
    rows = framework.shift_rows(
        trained, grid, lambda rho, b=test_base: dataclasses.replace(
            b, drop_prob=rho), "drop_prob", progress)
    panels[key] = rows
  return dict(num_users=ctx.sizes.num_users(10), drop_probs=list(grid),
              restarted_panels=list(RESTARTED_PANELS)), dict(panels=panels,
                                                     starts=starts)


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
