r"""UWGNN paper, Fig. 6: trained at K = 20, tested unchanged at other K.

    python -m experiments.uwgnn_fig6 [--quick]

UWGNN and WCGCN trained at K = 20 (Rayleigh, sigma^2 = 0.1), each test size
with its own held-out set and WMMSE-100, each model trained at `--seeds`
seeds (default 5; every point their mean, each seed's value in
results.json). (`experiments.generalize_size` does the same for any saved
parameter file.)
"""

import dataclasses

from experiments import framework
from experiments import plots

MODELS = ("uwgnn", "wcgcn")
TEST_USERS = (10, 20, 50, 100)
QUICK_TEST_USERS = (3, 5)


def run(ctx: framework.Context) -> tuple:
  trained = {name: framework.trained_seeds(ctx, ctx.config(model=name),
                                           ctx.seeds) for name in MODELS}
  base = ctx.config()
  users = QUICK_TEST_USERS if ctx.quick else TEST_USERS
  progress = ctx.progress(len(users))
  rows = framework.shift_rows(
      trained, users, lambda k: dataclasses.replace(base, num_users=k),
      "users", progress)
  return dict(base=base.to_json(), test_users=list(users)), dict(rows=rows)


def plot(results: dict, out_dir: str) -> list:
  fig, (ax,) = plots.panels(1, width=6)
  plots.rows_panel(ax, results["rows"], "users", MODELS,
                   "users K (trained at K = 20)", "Fig. 6: size "
                   "generalisation", log_x=True)
  return [plots.save(fig, out_dir, "fig6.png")]


EXPERIMENT = framework.Experiment("uwgnn_fig6", "UWGNN Fig. 6: size "
                                  "generalisation", run, plot)

if __name__ == "__main__":
  framework.main(EXPERIMENT)
