r"""A trained graph model run unchanged at other network sizes K.

    python -m experiments.generalize_size --model=uwgnn --users=10,20,50,100
    python -m experiments.generalize_size --params=workdirs/export/uwgnn.msgpack

UWGNN paper Fig. 6 (trained at K = 20, tested at K = 10, 50, 100). The
channel model, noise and weighting are the ones the parameters were trained
on (their `<name>.json`); each K gets its own held-out test set, drawn with
the training run's test key, so K = 20 reproduces the training run's number.
"""

import json
import os

from absl import app
from absl import flags

import uwgnn_jax
from uwgnn_jax import models
from uwgnn_jax import params_io
from uwgnn_jax.training import config as config_lib
from uwgnn_jax.training import evaluation

_MODEL = flags.DEFINE_string("model", "uwgnn",
                             "A pretrained name (ignored with --params).")
_PARAMS = flags.DEFINE_string(
    "params", None, "A params .msgpack written by experiments.train "
    "--export_params; its .json beside it gives the training config.")
_USERS = flags.DEFINE_list("users", ["10", "20", "50", "100"], "Values of K.")
_TEST_SIZE = flags.DEFINE_integer("test_size", 2000, "Test networks per K.")


def load() -> tuple:
  """(params, training config) from --params or the pretrained --model."""
  if _PARAMS.value is None:
    info = uwgnn_jax.pretrained_info(_MODEL.value)
    return uwgnn_jax.pretrained(_MODEL.value), info["config"]
  with open(os.path.splitext(_PARAMS.value)[0] + ".json") as f:
    info = json.load(f)
  return params_io.load_params(_PARAMS.value), info["config"]


def main(argv):
  del argv  # Unused.
  params, saved = load()
  config = config_lib.TrainConfig(**saved)
  name = models.model_name(params)
  if not models.MODELS[name].is_graph_model:
    raise app.UsageError("The MLP serves only the K it was trained at.")
  print(f"{name} trained at K = {config.num_users} ({config.channel}, "
        f"{'weighted' if config.weighted else 'unweighted'}); "
        f"{_TEST_SIZE.value} test networks per K")
  print(f"{'K':>5}{'% of WMMSE':>12}{'Tr-WMMSE %':>12}{'WMMSE bit/s/Hz':>16}")
  for num_users in map(int, _USERS.value):
    (dataset, references), = evaluation.held_out_sets(
        config, [num_users], _TEST_SIZE.value,
        models.num_layers(params)).values()
    row = evaluation.evaluate(params, dataset, references).row()
    print(f"{num_users:>5}{row['percent_of_wmmse']:>12.2f}"
          f"{row['truncated_wmmse_percent']:>12.2f}"
          f"{row['wmmse_rate']:>16.3f}", flush=True)


if __name__ == "__main__":
  app.run(main)
