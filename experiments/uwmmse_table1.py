r"""UWMMSE paper, Table 1 and Fig. 2a: every method on one fixed layout.

    python -m experiments.uwmmse_table1 [--quick]

M = 20 pairs in the paper's geometric model (docs/DESIGN.md s.3) on one
layout drawn from the run's seed, sigma = 2.6e-5 (the geometric default),
unweighted. MLP (supervised on WMMSE-100 powers, ten times the data as in
the UWGNN reproduction), REGNN, IGCNet and UWMMSE (4 layers, its paper's)
are trained on fading draws of that layout; Ro-UWMMSE is the shipped
"uwmmse", trained on random layouts, scored unchanged. Every method's mean
sum rate (bit/s/Hz) and % of WMMSE-100 on the same 6,400 test channels,
its training time (the epochs' wall time, each epoch's scoring of the
test set included; data and WMMSE labels not), and its time per network
(one network, jitted with the parameters as an argument, median of
repeated calls on this device; Tr-WMMSE runs 4 iterations). Fig. 2a:
the spread of each method's sum rate over the test channels (box plot:
quartiles, 1.5 IQR whiskers, and the mean).
"""

import jax
import numpy as np

import uwgnn_jax
from uwgnn_jax import benchmarking
from uwgnn_jax.training import evaluation

from experiments import framework
from experiments import plots

# UWMMSE paper, Table 1: mean sum rate, train time (min), test time (ms).
PAPER = {
    "wmmse": (82.94, None, 16.0), "truncated_wmmse": (76.49, None, 1.0),
    "mlp": (78.17, 0.5, 3.2), "regnn": (57.92, 15.0, 2.5),
    "igcnet": (55.30, 5.0, 3.0), "uwmmse": (83.21, 15.0, 2.0)}
MODELS = ("mlp", "regnn", "igcnet", "uwmmse")
ROUNDED_MLP = "mlp_rounded"  # The MLP's powers rounded to 0 or p_max.
TEST_SIZE = 6_400
MLP_DATA_FACTOR = 10
TIMING_REPEATS = 50


def _seconds_per_network(fn, *args) -> float:
  """Median seconds of jitted fn(*args) on one network (validation is
  skipped under jit, as in a user's own jitted code)."""
  return benchmarking.median_seconds(jax.jit(fn), *args,
                                     repeats=TIMING_REPEATS)


def _box_stats(rates) -> dict:
  """What a box plot draws of per-network sum rates [n] (bit/s/Hz)."""
  rates = np.asarray(rates)
  q1, median, q3 = np.percentile(rates, [25, 50, 75])
  inside = rates[(rates >= q1 - 1.5 * (q3 - q1)) &
                 (rates <= q3 + 1.5 * (q3 - q1))]
  return dict(q1=float(q1), median=float(median), q3=float(q3),
              whisker_low=float(inside.min()),
              whisker_high=float(inside.max()), mean=float(rates.mean()),
              min=float(rates.min()), max=float(rates.max()))


def _network_rates(dataset, powers) -> np.ndarray:
  """Sum rates [n] (bit/s/Hz) of canonical powers [n, K] on the dataset."""
  return np.asarray(evaluation.canonical_rates(dataset.H, powers,
                                               dataset.weights))


# The static network every UWMMSE experiment trains on (Figs. 2b, 2c too).
LAYOUT = dict(num_users=20, channel="geometric", fixed_layout=True,
              test_size=TEST_SIZE)


def run(ctx: framework.Context) -> tuple:
  """Trains (or loads) every model; scores and times every method."""
  base = ctx.config(model="uwmmse", **LAYOUT)
  dataset, references = scored = framework.scored_set(base, num_layers=4)
  wmmse_rate = references["wmmse_rate"]
  one = dataset.H[0]
  timing = {
      "wmmse": _seconds_per_network(lambda h: uwgnn_jax.wmmse(h), one),
      "truncated_wmmse": _seconds_per_network(
          lambda h: uwgnn_jax.wmmse(h, num_iters=4), one)}
  boxes = {"wmmse": _box_stats(_network_rates(
                dataset, uwgnn_jax.wmmse(dataset.H))),
           "truncated_wmmse": _box_stats(_network_rates(
               dataset, uwgnn_jax.wmmse(dataset.H, num_iters=4)))}
  rows = [dict(method="wmmse", sum_rate=wmmse_rate, percent=100.0),
          dict(method="truncated_wmmse",
               sum_rate=references["truncated_wmmse_rate"],
               percent=framework.references_percent(scored)[
                   "truncated_wmmse"])]
  progress = ctx.progress(len(MODELS) + 1)
  trained = {}
  for name in MODELS:
    train_size = base.train_size * (
        MLP_DATA_FACTOR if name == "mlp" and not ctx.quick else 1)
    result = ctx.train(ctx.config(model=name, train_size=train_size,
                                  **LAYOUT))
    trained[name] = (result.params,
                     sum(epoch["seconds"] for epoch in result.history))
    progress.step(f"{name} trained")
  trained["ro_uwmmse"] = (uwgnn_jax.pretrained("uwmmse"), None)

  def add_row(name, rates, train_seconds, **extra):
    boxes[name] = _box_stats(rates)
    percent = 100.0 * float(rates.mean()) / wmmse_rate
    rows.append(dict(method=name, sum_rate=percent / 100.0 * wmmse_rate,
                     percent=percent, train_seconds=train_seconds, **extra))

  for name, (params, train_seconds) in trained.items():
    add_row(name, evaluation.network_rates(params, dataset), train_seconds)
    timing[name] = _seconds_per_network(uwgnn_jax.allocate, params, one)
  # The MLP also as Sun et al. test it: powers rounded to 0 or p_max; the
  # same model, so its times are the MLP's.
  mlp_params, mlp_seconds = trained["mlp"]
  add_row(ROUNDED_MLP, evaluation.rounded_network_rates(mlp_params, dataset),
          mlp_seconds, timed_as="mlp")
  timing[ROUNDED_MLP] = timing["mlp"]
  progress.step("scored and timed")
  for row in rows:
    row["test_ms_per_network"] = 1e3 * timing[row["method"]]
    row["box"] = boxes[row["method"]]
  config = dict(base=base.to_json(), models=list(MODELS),
                mlp_train_size=base.train_size * (
                    1 if ctx.quick else MLP_DATA_FACTOR),
                timing_repeats=TIMING_REPEATS)
  return config, dict(rows=rows, paper={
      k: dict(sum_rate=v[0], train_minutes=v[1], test_ms=v[2])
      for k, v in PAPER.items()})


def plot(results: dict, out_dir: str) -> list:
  """table1.png (% of WMMSE-100, ours and the paper's) and fig2a.png."""
  fig, (ax,) = plots.panels(1, width=7)
  rows = results["rows"]
  names = [r["method"] for r in rows]
  paper = results["paper"]
  paper_wmmse = paper["wmmse"]["sum_rate"]
  series = {"ours": [r["percent"] for r in rows],
            "paper": [100.0 * paper[n]["sum_rate"] / paper_wmmse
                      if n in paper else np.nan for n in names]}
  plots.grouped_bars(ax, names, series,
                     title="UWMMSE Table 1: % of WMMSE-100, one layout")
  ax.legend(fontsize=8)
  paths = [plots.save(fig, out_dir, "table1.png")]
  fig, (ax,) = plots.panels(1, width=7)
  ax.bxp([dict(label=r["method"], med=r["box"]["median"], q1=r["box"]["q1"],
               q3=r["box"]["q3"], whislo=r["box"]["whisker_low"],
               whishi=r["box"]["whisker_high"], mean=r["box"]["mean"],
               fliers=[]) for r in rows], showmeans=True)
  ax.set_ylabel("sum rate (bit/s/Hz)")
  ax.set_title("Fig. 2a: sum rate over the test channels", fontsize=10)
  ax.tick_params(axis="x", labelsize=7)
  ax.grid(alpha=0.3, axis="y")
  return paths + [plots.save(fig, out_dir, "fig2a.png")]


EXPERIMENT = framework.Experiment("uwmmse_table1", "UWMMSE Table 1: one "
                                  "fixed geometric layout, every method",
                                  run, plot)

if __name__ == "__main__":
  framework.main(EXPERIMENT)
