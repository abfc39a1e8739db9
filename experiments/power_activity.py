r"""Which users a shipped model switches on, against WMMSE-100.

    python -m experiments.power_activity [--model=uwgnn] [--snr_db=0,10]

On the held-out Rayleigh networks the shipped models are verified on
(K = 20, sigma^2 from each SNR, 2,000 networks): the model's mean sum rate
as % of WMMSE-100; how many users each switches on (power above p_max / 2)
and how often the two agree on a user; the model's powers rounded to 0 or
p_max; and WMMSE run for n iterations from the model's powers instead of
from full power. A diagnosis of where a model loses to WMMSE (BUILD_NOTES.md,
"The 0 dB gap"), not a figure of either paper. Writes
results/power_activity/results.json and users_on.png.
"""

import time

from absl import app
from absl import flags
import jax.numpy as jnp
import numpy as np

import uwgnn_jax
from uwgnn_jax.training import config as config_lib
from uwgnn_jax.training import evaluation

from experiments import plots
from experiments import results_io

_MODEL = flags.DEFINE_string("model", "uwgnn", "A shipped model's name.")
_SNR_DB = flags.DEFINE_list("snr_db", ["0", "10"], "SNRs p_max / sigma^2 "
                            "(dB).")
_USERS = flags.DEFINE_integer("users", 20, "K.")
_TEST_SIZE = flags.DEFINE_integer("test_size", 2000, "Networks per SNR.")
_POLISH = flags.DEFINE_list("polish_iterations", ["1", "3", "10", "100"],
                            "WMMSE iterations run from the model's powers.")
_OUT_DIR = flags.DEFINE_string("out_dir", "results/power_activity",
                               "Output folder.")


def activity_row(params, dataset, wmmse_rate: float,
                 polish_iterations) -> dict:
  """The model against WMMSE-100 on one canonical held-out set."""
  percent = lambda powers: 100.0 * float(np.mean(evaluation.canonical_rates(
      dataset.H, powers, dataset.weights))) / wmmse_rate
  model = evaluation.model_powers(params, dataset.H, dataset.weights)
  wmmse = uwgnn_jax.wmmse(dataset.H, weights=dataset.weights)
  model_on, wmmse_on = np.asarray(model) > 0.5, np.asarray(wmmse) > 0.5
  return dict(
      model_percent=percent(model),
      model_users_on=float(model_on.sum(-1).mean()),
      wmmse_users_on=float(wmmse_on.sum(-1).mean()),
      on_off_agreement=float(np.mean(model_on == wmmse_on)),
      rounded_percent=percent(jnp.asarray(model_on, jnp.float32)),
      wmmse_from_model_percent={n: percent(uwgnn_jax.wmmse(
          dataset.H, weights=dataset.weights, p_init=model, num_iters=n))
                                for n in polish_iterations})


def main(argv):
  del argv  # Unused.
  start = time.perf_counter()
  params = uwgnn_jax.pretrained(_MODEL.value)
  config = config_lib.TrainConfig(num_users=_USERS.value)
  polish = [int(n) for n in _POLISH.value]
  rows = []
  for snr_db in map(float, _SNR_DB.value):
    (dataset, references), = evaluation.held_out_sets(
        config, [config.num_users], _TEST_SIZE.value, 3,
        snr_db=snr_db).values()
    row = dict(snr_db=snr_db, **activity_row(
        params, dataset, references["wmmse_rate"], polish))
    rows.append(row)
    print(f"{snr_db:.0f} dB: {row['model_percent']:.2f}% of WMMSE-100, "
          f"users on {row['model_users_on']:.2f} (WMMSE "
          f"{row['wmmse_users_on']:.2f}), agreement "
          f"{row['on_off_agreement']:.3f}, rounded "
          f"{row['rounded_percent']:.2f}%, WMMSE from its powers "
          + ", ".join(f"{n}: {p:.2f}%" for n, p in
                      row["wmmse_from_model_percent"].items()), flush=True)
  fig, (ax,) = plots.panels(1)
  plots.grouped_bars(
      ax, [f"{row['snr_db']:.0f} dB" for row in rows],
      {_MODEL.value: [row["model_users_on"] for row in rows],
       "WMMSE-100": [row["wmmse_users_on"] for row in rows]},
      y_label="users switched on (p > p_max / 2), mean per network",
      title=f"K = {_USERS.value}, Rayleigh")
  plot = plots.save(fig, _OUT_DIR.value, "users_on.png")
  path = results_io.write(
      _OUT_DIR.value, dict(model=_MODEL.value, users=_USERS.value,
                           test_size=_TEST_SIZE.value, channel="rayleigh",
                           polish_iterations=polish),
      dict(rows=rows), time.perf_counter() - start)
  print(f"wrote {path} and {plot}")


if __name__ == "__main__":
  app.run(main)
