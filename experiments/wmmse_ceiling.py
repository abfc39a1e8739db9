r"""How far WMMSE-100 is from the best WMMSE solution we can find.

    python -m experiments.wmmse_ceiling [--snr_db=0,10,20,30,40] [--users=20]

On the held-out Rayleigh networks the shipped models are verified on
(sigma^2 from each SNR, 2,000 networks), the mean sum rate of WMMSE-1000
(from full power) and of the best of R WMMSE-100 runs (the full-power start
and R - 1 random ones), as % of WMMSE-100. A learned model's % of WMMSE-100
can exceed 100 by at most about the best-of-R margin; where that margin is
small, a target of 100% asks the model to match WMMSE's own optimum.
Writes results/wmmse_ceiling/results.json.
"""

import time

from absl import app
from absl import flags
import jax

from uwgnn_jax import units
from uwgnn_jax import wmmse_algorithm
from uwgnn_jax.training import config as config_lib
from uwgnn_jax.training import evaluation

from experiments import results_io

_SNR_DB = flags.DEFINE_list("snr_db", ["0", "10", "20", "30", "40"],
                            "SNRs p_max / sigma^2 (dB).")
_USERS = flags.DEFINE_integer("users", 20, "K.")
_STARTS = flags.DEFINE_integer("starts", 64, "R: WMMSE-100 runs per network.")
_TEST_SIZE = flags.DEFINE_integer("test_size", 2000, "Networks per SNR.")
_OUT_DIR = flags.DEFINE_string("out_dir", "results/wmmse_ceiling",
                               "Output folder.")


def main(argv):
  del argv  # Unused.
  start = time.perf_counter()
  config = config_lib.TrainConfig(num_users=_USERS.value)
  rows = []
  print(f"{'SNR dB':>7}{'WMMSE-1000 %':>14}{'best of ' + str(_STARTS.value) + ' %':>16}")
  for snr_db in map(float, _SNR_DB.value):
    (dataset, references), = evaluation.held_out_sets(
        config, [config.num_users], _TEST_SIZE.value, 3,
        snr_db=snr_db).values()
    wmmse_rate = references["wmmse_rate"]
    best = wmmse_algorithm.wmmse_best_of_random_starts(
        jax.random.PRNGKey(1), dataset.H, num_starts=_STARTS.value,
        weights=dataset.weights, include_full_power=True)
    long_run = wmmse_algorithm.canonical_powers(dataset.H, dataset.weights,
                                                1000)
    row = dict(snr_db=snr_db, noise_var=units.snr_db_to_noise_var(snr_db),
               wmmse_rate=wmmse_rate,
               wmmse_1000_percent=evaluation.percent_of(dataset, long_run,
                                                      wmmse_rate),
               best_of_starts_percent=evaluation.percent_of(dataset, best,
                                                          wmmse_rate))
    rows.append(row)
    print(f"{snr_db:>7.0f}{row['wmmse_1000_percent']:>14.2f}"
          f"{row['best_of_starts_percent']:>16.2f}", flush=True)
  path = results_io.write(
      _OUT_DIR.value, dict(users=_USERS.value, starts=_STARTS.value,
                           test_size=_TEST_SIZE.value, channel="rayleigh"),
      dict(rows=rows), time.perf_counter() - start)
  print(f"wrote {path}")


if __name__ == "__main__":
  app.run(main)
