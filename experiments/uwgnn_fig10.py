r"""UWGNN paper, Fig. 10: sample complexity.

    python -m experiments.uwgnn_fig10 [--quick]

UWGNN and WCGCN trained on training sets of rising size at several K
(Rayleigh, sigma^2 = 0.1), each for the optimiser steps of 30 epochs of
10,000 networks (4,680 at batch 64; 3 steps per epoch at 200 networks, so
1,560 epochs there), and scored on the same 2,000 held-out networks per K.
Below 10,000 networks the per-epoch score uses 200 test networks (it is not
reported); at 10,000 the run is the default one other figures share.
"""

import math

from experiments import framework
from experiments import plots

MODELS = ("uwgnn", "wcgcn")
USERS = (10, 20, 30)
TRAIN_SIZES = (200, 500, 1000, 2000, 5000, 10000)
REFERENCE_STEPS = 30 * (10_000 // 64)  # Steps of a full default run.
TRAINING_TEST_SIZE = 200  # The per-epoch score while training (not reported).


def run(ctx: framework.Context) -> tuple:
  sizes = (64,) if ctx.quick else TRAIN_SIZES
  users = USERS[:1] if ctx.quick else ctx.paper_users(USERS)
  progress = ctx.progress(len(users) * len(sizes) * len(MODELS))
  panels = {}
  for paper_k in users:
    scored = framework.scored_set(ctx.config(num_users=paper_k))
    rows = []
    for size in sizes:
      epochs = math.ceil(REFERENCE_STEPS / (size // ctx.sizes.batch_size))
      row = dict(train_size=size, epochs=epochs)
      small = dict(test_size=TRAINING_TEST_SIZE) if size < 10_000 else {}
      for name in MODELS:
        config = ctx.config(model=name, num_users=paper_k, train_size=size,
                            epochs=epochs, **small)
        row[name] = framework.percent(ctx.train(config).params, scored)
        progress.step(f"K = {paper_k}, {size} networks, {name}: "
                      f"{row[name]:.2f}%")
      rows.append(row)
    panels[str(ctx.sizes.num_users(paper_k))] = rows
  return dict(users=list(users), train_sizes=list(sizes)), dict(panels=panels)


def plot(results: dict, out_dir: str) -> list:
  panels = results["panels"]
  fig, axes = plots.panels(len(panels))
  for ax, (k, rows) in zip(axes, panels.items()):
    xs = [r["train_size"] for r in rows]
    plots.line_panel(ax, {n: (xs, [r[n] for r in rows]) for n in MODELS},
                     "training networks", f"Fig. 10: K = {k}", log_x=True)
  return [plots.save(fig, out_dir, "fig10.png")]


EXPERIMENT = framework.Experiment("uwgnn_fig10", "UWGNN Fig. 10: sample "
                                  "complexity", run, plot)

if __name__ == "__main__":
  framework.main(EXPERIMENT)
