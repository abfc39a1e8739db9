r"""The supervised MLP scored as Sun et al. score it.

    python -m experiments.mlp_rounding --params=A.msgpack,B.msgpack

Sun et al.'s public code ("Learning to optimize", github.com/Haoran-S/
TSP-DNN) tests its MLP with the outputs rounded to 0 or p_max at p_max / 2
(`binary=1`), and its WMMSE reference stops once an iteration adds at
most 1e-3 bit/s/Hz to the sum rate (at most 100 iterations, from full
power). For each MLP parameter file (`experiments.train --export_params`,
its .json beside it gives K and the noise), on the run's own held-out test
networks: the MLP's mean sum rate with raw and with rounded powers, as %
of WMMSE-100 and as % of that early-stopped WMMSE. Writes
results/mlp_rounding/results.json.
"""

import json
import os
import time

from absl import app
from absl import flags
import numpy as np

from uwgnn_jax import params_io
from uwgnn_jax import wmmse_algorithm
from uwgnn_jax.training import config as config_lib
from uwgnn_jax.training import evaluation

from experiments import plots
from experiments import results_io

PAPER_K10 = 94.8  # UWGNN paper, Table I: the MLP at K = 10.

_PARAMS = flags.DEFINE_list("params", None, "MLP params .msgpack files.")
_TOLERANCE = flags.DEFINE_float(
    "tolerance", 1e-3, "Early-stopped WMMSE: stop once an iteration adds at "
    "most this to the sum rate (bit/s/Hz), as Sun et al.'s code does.")
_OUT_DIR = flags.DEFINE_string("out_dir", "results/mlp_rounding",
                               "Output folder.")


def score(path: str, tolerance: float) -> dict:
  params = params_io.load_params(path)
  with open(os.path.splitext(path)[0] + ".json") as f:
    config = config_lib.TrainConfig(**json.load(f)["config"])
  (dataset, references), = evaluation.held_out_sets(
      config, [config.num_users], config.test_size, 3).values()
  powers, trace = wmmse_algorithm.wmmse_trace(
      dataset.H, weights=dataset.weights, num_iters=config.wmmse_iters)
  powers = np.asarray(powers)
  mlp_powers = np.asarray(evaluation.model_powers(params, dataset.H,
                                                  dataset.weights))
  early = float(np.mean(evaluation.early_stopped_rates(
      np.asarray(trace), tolerance)))
  raw = float(np.mean(evaluation.network_rates(params, dataset)))
  rounded = float(np.mean(evaluation.rounded_network_rates(params, dataset)))
  wmmse = references["wmmse_rate"]
  return dict(params=path, num_users=config.num_users,
              noise_var=config.effective_noise_var, test_size=config.test_size,
              wmmse_rate=wmmse, early_stopped_wmmse_percent=100 * early / wmmse,
              raw_percent=100 * raw / wmmse,
              rounded_percent=100 * rounded / wmmse,
              raw_percent_of_early_stopped=100 * raw / early,
              rounded_percent_of_early_stopped=100 * rounded / early,
              # Shares of users: WMMSE-100 off (< 0.01 p_max) or at full
              # power (> 0.99 p_max); the MLP undecided (0.1 to 0.9 p_max).
              wmmse_off_share=float(np.mean(powers < 0.01)),
              wmmse_full_share=float(np.mean(powers > 0.99)),
              mlp_undecided_share=float(np.mean((mlp_powers > 0.1) &
                                                (mlp_powers < 0.9))))


def plot(rows: list, out_dir: str) -> str:
  fig, (ax,) = plots.panels(1, width=max(6.0, 1.6 * len(rows)))
  plots.grouped_bars(
      ax, [os.path.splitext(os.path.basename(r["params"]))[0] for r in rows],
      {"raw powers": [r["raw_percent"] for r in rows],
       "rounded to 0 or p_max": [r["rounded_percent"] for r in rows]},
      title="The MLP scored raw and as Sun et al. score it (rounded)")
  if all(r["num_users"] == 10 for r in rows):
    ax.axhline(PAPER_K10, ls="--", c="k", lw=1,
               label=f"UWGNN paper's MLP, K = 10: {PAPER_K10}%")
    ax.legend(fontsize=7)
  ax.tick_params(axis="x", labelsize=7)
  ax.set_ylim(70, 100)
  return plots.save(fig, out_dir, "mlp_rounding.png")


def main(argv):
  del argv  # Unused.
  if not _PARAMS.value:
    raise app.UsageError("--params: give at least one MLP params file.")
  start = time.perf_counter()
  rows = []
  for path in _PARAMS.value:
    rows.append(score(path, _TOLERANCE.value))
    print(json.dumps({k: round(v, 2) if isinstance(v, float) else v
                      for k, v in rows[-1].items()}), flush=True)
  print("wrote", results_io.write(
      _OUT_DIR.value, dict(params=_PARAMS.value, tolerance=_TOLERANCE.value),
      dict(rows=rows), time.perf_counter() - start),
        plot(rows, _OUT_DIR.value))


if __name__ == "__main__":
  app.run(main)
