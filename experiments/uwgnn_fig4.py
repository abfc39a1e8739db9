r"""UWGNN paper, Fig. 4: training curves of UWGNN, WCGCN and UWMMSE.

    python -m experiments.uwgnn_fig4 [--quick]

The three models trained on the same data (K = 20, Rayleigh, sigma^2 =
0.1) with a constant Adam rate (as the paper; our default cosine decay
would flatten every curve by construction), all three layers deep (the
paper's setting; UWMMSE's own paper uses 4), scored on the same held-out
set at initialisation (epoch 0) and after every epoch. Each model is
trained at `--seeds` seeds (default 5; seed s draws its data and start
from s): each curve is their mean, with every seed's curve in
results.json.
"""

import dataclasses

from experiments import framework
from experiments import plots

MODELS = ("uwgnn", "wcgcn", "uwmmse")


def training_config(ctx: framework.Context, name: str):
  """Constant rate; UWMMSE at the paper's 3 layers."""
  layers = dict(num_layers=3) if name == "uwmmse" else {}
  return ctx.config(model=name, lr_schedule="constant", **layers)


def run(ctx: framework.Context) -> tuple:
  progress = ctx.progress(len(MODELS))
  scored = framework.scored_set(ctx.config())
  curves = {}
  for name in MODELS:
    per_seed = []
    for seed in range(ctx.seeds):
      config = dataclasses.replace(training_config(ctx, name), seed=seed)
      trained = ctx.train(config)
      start = framework.percent(framework.initial_params(config), scored)
      per_seed.append(dict(
          seed=seed, epoch=[0] + [row["epoch"] for row in trained.history],
          percent_of_wmmse=[start] + [row["percent_of_wmmse"]
                                      for row in trained.history],
          seconds=[0.0] + [row["seconds"] for row in trained.history]))
    at_epoch = [framework.mean_and_std(list(values)) for values in zip(
        *(run["percent_of_wmmse"] for run in per_seed))]
    curves[name] = dict(epoch=per_seed[0]["epoch"],
                        percent_of_wmmse=[s["mean"] for s in at_epoch],
                        std=[s["std"] for s in at_epoch], seeds=per_seed)
    progress.step(f"{name}: {curves[name]['percent_of_wmmse'][-1]:.2f}% "
                  f"after the last epoch (mean of {ctx.seeds} seeds)")
  return dict(configs={n: training_config(ctx, n).to_json() for n in MODELS}
              ), dict(curves=curves)


def plot(results: dict, out_dir: str) -> list:
  fig, (ax,) = plots.panels(1, width=6)
  plots.line_panel(ax, {name: (c["epoch"], c["percent_of_wmmse"],
                               c.get("std"))
                        for name, c in results["curves"].items()},
                   "epoch", "Fig. 4: convergence (K = 20, Rayleigh, 10 dB)")
  return [plots.save(fig, out_dir, "fig4.png")]


EXPERIMENT = framework.Experiment("uwgnn_fig4", "UWGNN Fig. 4: training "
                                  "curves", run, plot)

if __name__ == "__main__":
  framework.main(EXPERIMENT)
