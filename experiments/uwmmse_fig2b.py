r"""UWMMSE paper, Fig. 2b: the static network made denser.

    python -m experiments.uwmmse_fig2b [--quick]

Table 1's static network (M = 20, sigma = 2.6e-5) with every transmitter
moved to t_i / d and its receiver dropped around it as before
(`channels.geometric_layout`), for density factors d = 1 ... 5. UWMMSE is
Table 1's model, trained on the static network (d = 1); Ro-UWMMSE is
trained on random layouts whose d is drawn uniformly in [0.5, 5] for each
network (`TrainConfig.density_max`). Mean sum rate of both, WMMSE-100 and
Tr-WMMSE-4 on 2,000 test channels per d.
"""

import dataclasses

from experiments import framework
from experiments import plots
from experiments import uwmmse_table1

DENSITIES = (1.0, 2.0, 3.0, 4.0, 5.0)
TRAIN_DENSITIES = (0.5, 5.0)  # Ro-UWMMSE's range, the paper's.
TEST_SIZE = 2_000


def run(ctx: framework.Context) -> tuple:
  """Trains (or loads) both models and scores them at every density."""
  static = ctx.config(model="uwmmse", **uwmmse_table1.LAYOUT)
  robust = ctx.config(model="uwmmse", num_users=20, channel="geometric",
                      density=TRAIN_DENSITIES[0],
                      density_max=TRAIN_DENSITIES[1])
  trained = {"uwmmse": ctx.train(static).params,
             "ro_uwmmse": ctx.train(robust).params}
  test = dataclasses.replace(static, test_size=min(TEST_SIZE,
                                                   static.test_size))
  grid = DENSITIES[::2] if ctx.quick else DENSITIES
  rows = with_rates(framework.shift_rows(
      trained, grid, lambda d: dataclasses.replace(test, density=d),
      "density", ctx.progress(len(grid)), num_layers=4))
  return dict(static=static.to_json(), robust=robust.to_json(),
              densities=list(grid), test_size=test.test_size), dict(rows=rows)


def with_rates(rows: list) -> list:
  """Adds each method's mean sum rate (the paper plots rates) to rows of
  % of WMMSE-100."""
  for row in rows:
    for name in ("uwmmse", "ro_uwmmse", "truncated_wmmse"):
      row[f"{name}_rate"] = row[name] / 100.0 * row["wmmse_rate"]
  return rows


def rate_and_percent_plot(rows: list, x_name: str, x_label: str, title: str,
                          out_dir: str, filename: str) -> str:
  """Mean sum rate against x (the paper's axes) and % of WMMSE-100."""
  xs = [r[x_name] for r in rows]
  fig, (rate_ax, percent_ax) = plots.panels(2, width=5)
  plots.line_panel(rate_ax, {
      "wmmse": (xs, [r["wmmse_rate"] for r in rows]),
      **{name: (xs, [r[f"{name}_rate"] for r in rows])
         for name in ("truncated_wmmse", "uwmmse", "ro_uwmmse")}},
      x_label, title, y_label="mean sum rate (bit/s/Hz)", reference=None)
  plots.rows_panel(percent_ax, rows, x_name, ("uwmmse", "ro_uwmmse"),
                   x_label, "as % of WMMSE-100")
  return plots.save(fig, out_dir, filename)


def plot(results: dict, out_dir: str) -> list:
  return [rate_and_percent_plot(results["rows"], "density",
                                "density factor d",
                                "Fig. 2b: denser static network", out_dir,
                                "fig2b.png")]


EXPERIMENT = framework.Experiment("uwmmse_fig2b", "UWMMSE Fig. 2b: density "
                                  "shift of the static network", run, plot)

if __name__ == "__main__":
  framework.main(EXPERIMENT)
