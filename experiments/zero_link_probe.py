r"""Why dense-trained models fail on sparse topologies (UWGNN Fig. 7a/b).

    python -m experiments.zero_link_probe --params=workdirs/reproduce/models/<dir>/final.msgpack

UWGNN and WCGCN read every gain as log(max(H^2, 1e-12)) / 10
(`models.layers.gain_features`), so a dropped link (H_ij = 0) reads as
-120 dB, far below anything a model trained on full Rayleigh networks has
seen. This scores the model on sparse test sets twice: as is, and with the
zero links shown to the model (only to the model: rates use the true H) as
weak links of canonical amplitude `floor` (floor^2 of the noise power). If
the second recovers, the failure is the feature, not the topology.
Writes results/zero_link_probe/results.json.
"""

import dataclasses
import time

from absl import app
from absl import flags
import jax.numpy as jnp

from uwgnn_jax import params_io
from uwgnn_jax.training import config as config_lib
from uwgnn_jax.training import evaluation

from experiments import results_io

_PARAMS = flags.DEFINE_string("params", None, "A params .msgpack.",
                              required=True)
_USERS = flags.DEFINE_integer("users", 10, "K.")
_DROP_PROBS = flags.DEFINE_list("drop_probs", ["0", "0.2", "0.4", "0.6"],
                                "Test drop probabilities rho.")
_FLOORS = flags.DEFINE_list("floors", ["0.1", "0.3"],
                            "Canonical amplitudes the zero links are shown as.")
_TEST_SIZE = flags.DEFINE_integer("test_size", 2000, "Networks per rho.")
_OUT_DIR = flags.DEFINE_string("out_dir", "results/zero_link_probe",
                               "Output folder.")


def main(argv):
  del argv  # Unused.
  start = time.perf_counter()
  params = params_io.load_params(_PARAMS.value)
  base = config_lib.TrainConfig(num_users=_USERS.value, channel="sparse",
                                test_size=_TEST_SIZE.value)
  floors = [float(f) for f in _FLOORS.value]
  rows = []
  for rho in map(float, _DROP_PROBS.value):
    (dataset, references), = evaluation.held_out_sets(
        dataclasses.replace(base, drop_prob=rho), [_USERS.value],
        _TEST_SIZE.value, 3).values()
    row = dict(drop_prob=rho, as_is=evaluation.evaluate(
        params, dataset, references).percent_of_wmmse)
    for floor in floors:
      shown = jnp.where(dataset.H == 0, floor, dataset.H)
      powers = evaluation.model_powers(params, shown, dataset.weights)
      rate = jnp.mean(evaluation.canonical_rates(dataset.H, powers,
                                                 dataset.weights))
      row[f"zero_links_as_{floor:g}"] = (
          100.0 * float(rate) / references["wmmse_rate"])
    rows.append(row)
    print(", ".join(f"{k} {v:.2f}" for k, v in row.items()), flush=True)
  path = results_io.write(
      _OUT_DIR.value, dict(params=_PARAMS.value, users=_USERS.value,
                           floors=floors, test_size=_TEST_SIZE.value),
      dict(rows=rows), time.perf_counter() - start)
  print(f"wrote {path}")


if __name__ == "__main__":
  app.run(main)
