r"""How the gain-feature floor was chosen (`models.layers.GAIN_FLOOR`).

    python -m experiments.gain_floor_sweep --dense_params=UWGNN,WCGCN

UWGNN and WCGCN read a gain as log(max(H^2, floor)) / 10 in canonical units
(H^2 is the link's SNR at full power). This scores already-trained models,
unchanged, with each candidate floor, on networks drawn with seed 1's test
key (none of these models was trained or verified on them):
- the shipped "uwgnn" and "wcgcn" (trained over -5 to 45 dB) at K = 20 and
  0 to 40 dB: what a floor costs where weak links carry information;
- the Fig. 7a models (trained fully connected at K = 10, 10 dB), given as
  `--dense_params` (the committed run used those that
  `python -m experiments.uwgnn_fig7` trained at commit f110d67, before the
  floor: `workdirs/reproduce/models/uwgnn-K10-2e8e43f1e90e/final.msgpack`
  and `wcgcn-K10-b501935387dc`), on networks whose links are dropped with
  probability rho: what the floor does for links of exactly zero gain.
Writes results/gain_floor_sweep/results.json.
"""

import dataclasses
import time

from absl import app
from absl import flags
import jax

import uwgnn_jax
from uwgnn_jax import models
from uwgnn_jax import params_io
from uwgnn_jax.models import layers
from uwgnn_jax.training import config as config_lib
from uwgnn_jax.training import evaluation

from experiments import results_io

_FLOORS = flags.DEFINE_list(
    "floors", ["1e-12", "0.01", "0.03", "0.1", "0.3", "1"],
    "Candidate floors (canonical H^2).")
_DENSE_PARAMS = flags.DEFINE_list(
    "dense_params", None,
    "Params of models trained fully connected at K = 10 (UWGNN Fig. 7a).",
    required=True)
_SNR_DB = flags.DEFINE_list("snr_db", ["0", "10", "20", "30", "40"],
                            "SNRs for the shipped models.")
_DROP_PROBS = flags.DEFINE_list("drop_probs", ["0.2", "0.4", "0.6"],
                                "Drop probabilities for the dense models.")
_TEST_SIZE = flags.DEFINE_integer("test_size", 1000, "Networks per cell.")
_SEED = flags.DEFINE_integer("seed", 1, "Seed of the validation networks.")
_OUT_DIR = flags.DEFINE_string("out_dir", "results/gain_floor_sweep",
                               "Output folder.")


def _cells() -> list:
  """[(label, params, dataset, references)]; the references are WMMSE-100's,
  computed once and shared by every floor."""
  cells = []
  size, seed = _TEST_SIZE.value, _SEED.value
  for name in ("uwgnn", "wcgcn"):
    params = uwgnn_jax.pretrained(name)
    config = config_lib.TrainConfig(num_users=20, seed=seed)
    for snr_db in map(float, _SNR_DB.value):
      (dataset, refs), = evaluation.held_out_sets(
          config, [20], size, models.num_layers(params), snr_db).values()
      cells.append((f"{name} K=20 {snr_db:g} dB", params, dataset, refs))
  for path in _DENSE_PARAMS.value:
    params = params_io.load_params(path)
    name = models.model_name(params)
    base = config_lib.TrainConfig(num_users=10, channel="sparse", seed=seed)
    for rho in map(float, _DROP_PROBS.value):
      (dataset, refs), = evaluation.held_out_sets(
          dataclasses.replace(base, drop_prob=rho), [10], size,
          models.num_layers(params)).values()
      cells.append((f"{name} dense K=10 rho={rho:g}", params, dataset, refs))
  return cells


def main(argv):
  del argv  # Unused.
  start = time.perf_counter()
  cells = _cells()
  table = {}
  for floor in map(float, _FLOORS.value):
    layers.GAIN_FLOOR = floor
    jax.clear_caches()  # The floor is read when a model is traced.
    table[f"{floor:g}"] = row = {
        label: evaluation.evaluate(params, dataset, refs).percent_of_wmmse
        for label, params, dataset, refs in cells}
    print(f"floor {floor:g}: " + ", ".join(
        f"{label} {value:.2f}" for label, value in row.items()), flush=True)
  path = results_io.write(
      _OUT_DIR.value, dict(floors=_FLOORS.value, seed=_SEED.value,
                           test_size=_TEST_SIZE.value,
                           dense_params=_DENSE_PARAMS.value),
      dict(percent_of_wmmse=table), time.perf_counter() - start)
  print(f"wrote {path}")


if __name__ == "__main__":
  app.run(main)
