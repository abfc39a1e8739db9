r"""UWGNN paper, Fig. 4: training curves of UWGNN, WCGCN and UWMMSE.

    python -m experiments.uwgnn_fig4 [--quick]

The three models trained on the same data (K = 20, Rayleigh, sigma^2 =
0.1, the same seed), scored on the same held-out set after every epoch.
"""

from experiments import framework
from experiments import plots

MODELS = ("uwgnn", "wcgcn", "uwmmse")


def run(ctx: framework.Context) -> tuple:
  progress = ctx.progress(len(MODELS))
  curves = {}
  for name in MODELS:
    trained = ctx.train(ctx.config(model=name))
    curves[name] = dict(
        epoch=[row["epoch"] for row in trained.history],
        percent_of_wmmse=[row["percent_of_wmmse"] for row in trained.history],
        seconds=[row["seconds"] for row in trained.history])
    progress.step(f"{name}: {curves[name]['percent_of_wmmse'][-1]:.2f}% "
                  "after the last epoch")
  return dict(base=ctx.config().to_json()), dict(curves=curves)


def plot(results: dict, out_dir: str) -> list:
  fig, (ax,) = plots.panels(1, width=6)
  plots.line_panel(ax, {name: (c["epoch"], c["percent_of_wmmse"])
                        for name, c in results["curves"].items()},
                   "epoch", "Fig. 4: convergence (K = 20, Rayleigh, 10 dB)")
  return [plots.save(fig, out_dir, "fig4.png")]


EXPERIMENT = framework.Experiment("uwgnn_fig4", "UWGNN Fig. 4: training "
                                  "curves", run, plot)

if __name__ == "__main__":
  framework.main(EXPERIMENT)
