r"""Which users a shipped model switches on, against WMMSE-100.

    python -m experiments.power_activity [--model=uwgnn] [--snr_db=0,10]

On the held-out Rayleigh networks the shipped models are verified on
(K = 20, unweighted, sigma^2 from each SNR, 2,000 networks): the model's
mean sum rate as % of WMMSE-100; how many users each switches on (power
at least p_max / 2, the threshold of `evaluation.rounded_network_rates`),
and, of the users WMMSE switches on, the share the model switches on too;
the model's powers rounded to 0 or p_max; and WMMSE run for n iterations
from the model's powers instead of from full power. A diagnosis of where a
model differs from WMMSE (BUILD_NOTES.md, "The 0 dB gap"), not a figure of
either paper. Writes results/power_activity/results.json and users_on.png.
"""

import time

from absl import app
from absl import flags
import numpy as np

import uwgnn_jax
from uwgnn_jax import models
from uwgnn_jax import pretrained_params
from uwgnn_jax import units
from uwgnn_jax import wmmse_algorithm
from uwgnn_jax.training import checkpoints
from uwgnn_jax.training import config as config_lib
from uwgnn_jax.training import evaluation

from experiments import framework
from experiments import plots
from experiments import results_io

# The shipped models of unweighted Rayleigh networks, the data scored here.
RAYLEIGH_MODELS = ("uwgnn", "wcgcn")

_MODEL = flags.DEFINE_enum("model", "uwgnn", RAYLEIGH_MODELS,
                           "A shipped model trained on Rayleigh networks.")
_SNR_DB = flags.DEFINE_list("snr_db", ["0", "10"], "SNRs p_max / sigma^2 "
                            "(dB).")
_USERS = flags.DEFINE_integer("users", 20, "K.")
_TEST_SIZE = flags.DEFINE_integer("test_size", 2000, "Networks per SNR.")
_POLISH = flags.DEFINE_list("polish_iterations", ["1", "3", "10", "100"],
                            "WMMSE iterations run from the model's powers.")
_OUT_DIR = flags.DEFINE_string("out_dir", "results/power_activity",
                               "Output folder.")


def activity_row(params, scored: tuple, polish_iterations) -> dict:
  """The model against WMMSE-100 on one held-out (dataset, references);
  the dataset is canonical (p_max = 1, noise 1): on means p >= p_max / 2
  (`evaluation.ON_THRESHOLD`)."""
  dataset, references = scored
  wmmse_rate = references["wmmse_rate"]
  model = evaluation.model_powers(params, dataset.H, dataset.weights)
  wmmse = wmmse_algorithm.canonical_powers(dataset.H, dataset.weights)
  model_on = np.asarray(model) >= evaluation.ON_THRESHOLD
  wmmse_on = np.asarray(wmmse) >= evaluation.ON_THRESHOLD
  from_model = lambda n: uwgnn_jax.wmmse(
      dataset.H, noise_var=1.0, p_max=1.0, weights=dataset.weights,
      p_init=model, num_iters=n)
  return dict(
      wmmse_rate=wmmse_rate,
      model_percent=evaluation.percent_of(dataset, model, wmmse_rate),
      model_users_on=float(model_on.sum(-1).mean()),
      wmmse_users_on=float(wmmse_on.sum(-1).mean()),
      wmmse_on_also_on=float((model_on & wmmse_on).sum() /
                             max(wmmse_on.sum(), 1)),
      rounded_percent=framework.rounded_percent(params, scored),
      wmmse_from_model_percent={
          n: evaluation.percent_of(dataset, from_model(n), wmmse_rate)
          for n in polish_iterations})


def main(argv):
  del argv  # Unused.
  start = time.perf_counter()
  params = uwgnn_jax.pretrained(_MODEL.value)
  config = config_lib.TrainConfig(num_users=_USERS.value)
  polish = [int(n) for n in _POLISH.value]
  rows = []
  for snr_db in map(float, _SNR_DB.value):
    scored, = evaluation.held_out_sets(
        config, [config.num_users], _TEST_SIZE.value,
        models.num_layers(params), snr_db=snr_db).values()
    row = dict(snr_db=snr_db, noise_var=units.snr_db_to_noise_var(snr_db),
               **activity_row(params, scored, polish))
    rows.append(row)
    print(f"{snr_db:.0f} dB: {row['model_percent']:.2f}% of WMMSE-100, "
          f"users on {row['model_users_on']:.2f} (WMMSE "
          f"{row['wmmse_users_on']:.2f}; of WMMSE's, "
          f"{100 * row['wmmse_on_also_on']:.1f}% on), rounded "
          f"{row['rounded_percent']:.2f}%, WMMSE from its powers "
          + ", ".join(f"{n}: {p:.2f}%" for n, p in
                      row["wmmse_from_model_percent"].items()), flush=True)
  fig, (ax,) = plots.panels(1)
  plots.grouped_bars(
      ax, [f"{row['snr_db']:.0f} dB" for row in rows],
      {_MODEL.value: [row["model_users_on"] for row in rows],
       "WMMSE-100": [row["wmmse_users_on"] for row in rows]},
      y_label="users on per network", title=f"K = {_USERS.value}, Rayleigh")
  plot = plots.save(fig, _OUT_DIR.value, "users_on.png")
  path = results_io.write(
      _OUT_DIR.value, dict(model=_MODEL.value, users=_USERS.value,
                           test_size=_TEST_SIZE.value, channel="rayleigh",
                           polish_iterations=polish,
                           params_sha256=checkpoints.file_sha256(
                               pretrained_params.path(_MODEL.value))),
      dict(rows=rows), time.perf_counter() - start)
  print(f"wrote {path} and {plot}")


if __name__ == "__main__":
  app.run(main)
