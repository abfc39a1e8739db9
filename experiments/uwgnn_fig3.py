r"""UWGNN paper, Fig. 3: UWGNN's message and intermediate widths.

    python -m experiments.uwgnn_fig3 [--quick] [--seeds=N]

UWGNN at K = 20 (Rayleigh, sigma^2 = 0.1) with the message width (the output
of f1 and f4) swept at intermediate width 4, and the intermediate width (the
output of f2 and f3) swept at message width 16; mean and standard deviation
over seeds (the paper used 20; the CPU default is 5, `--seeds` sets it). Every
run is scored on the same held-out set (seed 0's).
"""

from experiments import framework
from experiments import plots

MESSAGE_DIMS = (2, 4, 8, 16, 32)
INTERMEDIATE_DIMS = (1, 2, 4, 8, 16)
DEFAULT_MESSAGE, DEFAULT_INTERMEDIATE = 16, 4
# Quick: the default widths only (no extra compiles; tests/test_training.py
# checks that the widths reach the params).
QUICK_GRIDS = dict(message_dim=(16,), intermediate_dim=(4,))
SWEEPS = (("message_dim", MESSAGE_DIMS), ("intermediate_dim",
                                          INTERMEDIATE_DIMS))


def run(ctx: framework.Context) -> tuple:
  grids = {field: QUICK_GRIDS[field] if ctx.quick else values
           for field, values in SWEEPS}
  scored = framework.scored_set(ctx.config())
  progress = ctx.progress(sum(map(len, grids.values())) * ctx.seeds)
  sweeps = {}
  for field, values in grids.items():
    rows = []
    for value in values:
      # The default width stays None, so that point is the default model.
      default = dict(message_dim=DEFAULT_MESSAGE,
                     intermediate_dim=DEFAULT_INTERMEDIATE)[field]
      sizes = {field: None if value == default else value}
      percents = []
      for seed in range(ctx.seeds):
        params = ctx.train(ctx.config(model="uwgnn", seed=seed,
                                      **sizes)).params
        percents.append(framework.percent(params, scored))
        progress.step(f"{field} = {value}, seed {seed}: {percents[-1]:.2f}%")
      rows.append(dict(value=value, **framework.mean_and_std(percents)))
    sweeps[field] = rows
  return dict(base=ctx.config().to_json(), grids=grids), dict(
      sweeps=sweeps, **framework.references_percent(scored))


def plot(results: dict, out_dir: str) -> list:
  fig, axes = plots.panels(2)
  for ax, (field, _) in zip(axes, SWEEPS):
    rows = results["sweeps"][field]
    xs = [r["value"] for r in rows]
    # The median beside the mean: one seed stalled at full power moves the
    # mean by up to 16 points (BUILD_NOTES.md, "The full-power trap").
    plots.line_panel(ax, {"uwgnn mean +- std": (
        xs, [r["mean"] for r in rows], [r["std"] for r in rows]),
                          "uwgnn median": (xs, [r["median"] for r in rows])},
                     field.replace("_", " "),
                     f"Fig. 3: {field.split('_')[0]} width "
                     f"({rows[0]['n']} seeds)", log_x=True)
  return [plots.save(fig, out_dir, "fig3.png")]


EXPERIMENT = framework.Experiment("uwgnn_fig3", "UWGNN Fig. 3: message and "
                                  "intermediate widths", run, plot)

if __name__ == "__main__":
  framework.main(EXPERIMENT)
