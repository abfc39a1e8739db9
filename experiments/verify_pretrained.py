r"""What a trained graph model serves: % of WMMSE-100 over SNRs and sizes.

    python -m experiments.verify_pretrained --model=uwgnn
    python -m experiments.verify_pretrained --params=workdirs/x/uwgnn.msgpack \
        --write_metadata
    python -m experiments.verify_pretrained --model=uwgnn --quick

For each SNR (p_max / sigma^2, dB) and K: the model's mean weighted sum
rate as % of WMMSE-100's on held-out networks drawn with the training run's
test key, and how many networks the model switches off entirely (every
power <= 1e-6 p_max). The channel model and weighting are the ones the
params were trained on (their .json). Writes
results/verify_<name>/results.json and snr.png; with --write_metadata also
the "verified" block of the params' .json, which README's table of shipped
models quotes, and "served_direct_snr_db", the range of per-network median
direct-link SNRs of the training distribution, outside which (by 10 dB)
`allocate` warns.
"""

import json
import os
import sys
import time

from absl import app
from absl import flags
import jax
import numpy as np

import uwgnn_jax
from uwgnn_jax import models
from uwgnn_jax import params_io
from uwgnn_jax import pretrained_params
from uwgnn_jax import units
from uwgnn_jax.training import checkpoints
from uwgnn_jax.training import config as config_lib
from uwgnn_jax.training import data
from uwgnn_jax.training import evaluation
from experiments import results_io

VERIFY_KEY = 4242  # The served-range sample's key.

_MODEL = flags.DEFINE_string("model", "uwgnn",
                             "A pretrained name (ignored with --params).")
_PARAMS = flags.DEFINE_string(
    "params", None, "A params .msgpack written by experiments.train "
    "--export_params; its .json beside it gives the training config.")
_SNR_DB = flags.DEFINE_list("snr_db", ["0", "10", "20", "30", "40"],
                            "SNRs p_max / sigma^2 (dB).")
_USERS = flags.DEFINE_list("users", ["10", "20", "50", "100"], "Values of K.")
_TEST_SIZE = flags.DEFINE_integer("test_size", 2000, "Networks per cell.")
_TOP_K = flags.DEFINE_integer(
    "top_k", None, "Run the model on each receiver's top_k strongest "
    "interferers (scored on the full H); default: the graph it was trained "
    "on (its config's top_k); 0: the fully connected graph.")
_NUM_LAYERS = flags.DEFINE_integer(
    "num_layers", None, "Run a shared-layer model (uwgnn, wcgcn, igcnet) "
    "unrolled this many times (default: the depth it was trained at); "
    "Tr-WMMSE runs as many iterations.")
_QUICK = flags.DEFINE_bool("quick", False, "Two cells of 16 networks.")
_WRITE_METADATA = flags.DEFINE_bool(
    "write_metadata", False, "Record the table in the params' .json.")
_OUT = flags.DEFINE_string("out_dir", None,
                           "Output folder; default results/verify_<name>.")


def _params_path() -> str:
  if _PARAMS.value is None:
    return pretrained_params.path(_MODEL.value)
  return _PARAMS.value


def _info_path() -> str:
  return os.path.splitext(_params_path())[0] + ".json"


def load() -> tuple:
  """(params, the .json info beside them)."""
  with open(_info_path()) as f:
    info = json.load(f)
  if _PARAMS.value is None:
    return uwgnn_jax.pretrained(_MODEL.value), info
  return params_io.load_params(_PARAMS.value), info


def verify(params, config: config_lib.TrainConfig, snrs_db, sizes,
           test_size: int, log=print, top_k=None) -> list:
  """Rows {snr_db, users, percent_of_wmmse, ..., all_zero_networks}; the
  model on top-k graphs if `top_k`."""
  rows = []
  for snr_db in snrs_db:
    sets = evaluation.held_out_sets(config, sizes, test_size,
                                    models.num_layers(params), snr_db=snr_db)
    for num_users, (dataset, references) in sets.items():
      row = evaluation.evaluate(params, dataset, references, top_k).row()
      rows.append(dict(snr_db=snr_db, users=num_users, top_k=top_k,
                       all_zero_networks=evaluation.all_zero_networks(
                           params, dataset, top_k), **row))
      log(f"{snr_db:>7g}{num_users:>6}{row['percent_of_wmmse']:>12.2f}"
          f"{row['truncated_wmmse_percent']:>12.2f}"
          f"{rows[-1]['all_zero_networks']:>10}")
  return rows


def served_direct_snr_db(config: config_lib.TrainConfig,
                         num_networks: int = 10_000) -> list:
  """[least, greatest] per-network median direct-link SNR H_ii^2 (canonical,
  dB) over networks drawn like the training set (its SNR range included),
  from a key no training or test set uses."""
  dataset = data.make_dataset(jax.random.PRNGKey(VERIFY_KEY), config,
                              num_networks, over_snr_range=True)
  medians = units.median_direct_snr_db(np.asarray(dataset.H), 1.0, 1.0)
  return [round(float(medians.min()), 1), round(float(medians.max()), 1)]


def plot(rows: list, name: str, path: str) -> None:
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  fig, ax = plt.subplots(figsize=(5.5, 3.8))
  for num_users in sorted({r["users"] for r in rows}):
    mine = [r for r in rows if r["users"] == num_users]
    ax.plot([r["snr_db"] for r in mine],
            [r["percent_of_wmmse"] for r in mine], "o-", label=f"K = {num_users}")
  ax.axhline(100.0, color="gray", lw=0.8, ls="--", label="WMMSE-100")
  ax.set_xlabel("SNR p_max / sigma^2 (dB)")
  ax.set_ylabel("sum rate, % of WMMSE-100")
  ax.set_title(f"{name} across SNRs and sizes")
  ax.legend(fontsize=8)
  fig.tight_layout()
  fig.savefig(path, dpi=120)
  plt.close(fig)


def main(argv):
  del argv  # Unused.
  start = time.perf_counter()
  params, info = load()
  name = models.model_name(params)
  if not models.MODELS[name].is_graph_model:
    raise app.UsageError("The MLP serves only the K it was trained at.")
  config = config_lib.TrainConfig(**info["config"])
  top_k = config.top_k if _TOP_K.value is None else (_TOP_K.value or None)
  if top_k is not None and top_k < 0:
    raise app.UsageError(f"--top_k must be >= 0; got {top_k}.")
  snrs = [float(s) for s in _SNR_DB.value]
  sizes = [int(k) for k in _USERS.value]
  test_size = _TEST_SIZE.value
  if _QUICK.value:
    if _WRITE_METADATA.value:
      raise app.UsageError("--quick results are not a verification; drop "
                           "--write_metadata.")
    snrs, sizes, test_size = snrs[:2], sizes[:1], 16
  label = (_MODEL.value if _PARAMS.value is None else
           os.path.splitext(os.path.basename(_PARAMS.value))[0])
  if _NUM_LAYERS.value is not None:
    if _WRITE_METADATA.value:
      raise app.UsageError("--num_layers verifies weights at a depth they "
                           "do not record; drop --write_metadata.")
    try:
      params = models.with_depth(params, _NUM_LAYERS.value)
    except ValueError as e:
      raise app.UsageError(f"--num_layers: {e}") from e
    label += f"_layers{_NUM_LAYERS.value}"
  print(f"{label}: trained at K = {config.num_users}, {config.channel}, SNR "
        f"{config.snr_db_min} to {config.snr_db_max} dB; {test_size} "
        f"networks per cell; "
        f"{'dense' if top_k is None else f'top-{top_k}'} graphs")
  print(f"{'SNR dB':>7}{'K':>6}{'% of WMMSE':>12}{'Tr-WMMSE %':>12}"
        f"{'all-zero':>10}", flush=True)
  rows = verify(params, config, snrs, sizes, test_size,
                log=lambda line: print(line, flush=True), top_k=top_k)
  out_dir = _OUT.value or os.path.join("results", f"verify_{label}")
  command = "python -m experiments.verify_pretrained " + " ".join(
      sys.argv[1:])
  results_io.write(out_dir, dict(name=label, snr_db=snrs, users=sizes,
                                 test_size=test_size, top_k=top_k,
                                 command=command,
                                 params_sha256=checkpoints.file_sha256(
                                     _params_path())),
                   dict(rows=rows), time.perf_counter() - start)
  plot(rows, label, os.path.join(out_dir, "snr.png"))
  if _WRITE_METADATA.value:
    info["served_direct_snr_db"] = served_direct_snr_db(config)
    info["verified"] = dict(
        command=command, test_size=test_size, channel=config.channel,
        weighted=config.weighted, top_k=top_k,
        rows=[{k: (round(v, 3) if isinstance(v, float) else v)
               for k, v in r.items()} for r in rows])
    params_io.write_atomically(
        _info_path(), (json.dumps(info, indent=2, sort_keys=True) +
                       "\n").encode())
    print(f"recorded in {_info_path()}")


if __name__ == "__main__":
  app.run(main)
