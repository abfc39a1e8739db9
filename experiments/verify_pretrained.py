r"""What a trained graph model serves: % of WMMSE-100 over SNRs and sizes.

    python -m experiments.verify_pretrained --model=uwgnn
    python -m experiments.verify_pretrained --params=workdirs/x/uwgnn.msgpack \
        --write_metadata
    python -m experiments.verify_pretrained --model=uwgnn --quick

For each SNR (p_max / sigma^2, dB) and K: the model's mean weighted sum
rate as % of WMMSE-100's on held-out networks drawn with the training run's
test key (or, with --seed, another seed's: networks no choice between
candidate files was made on), and how many networks the model switches
off entirely (every power <= 1e-6 p_max). The channel model and weighting are the ones the
params were trained on (their .json). Writes
results/verify_<name>/results.json and snr.png; with --write_metadata also
the "verified" block of the params' .json, which README's table of shipped
models quotes, and "served_direct_snr_db", the range of per-network median
direct-link SNRs of the training distribution, outside which (by 10 dB)
`allocate` warns.
"""

import dataclasses
import json
import os
import sys
import time
from typing import Callable, Optional

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
SERVED_RANGE_NETWORKS = 10_000  # The served-range sample's size.

_FLAGS = {}  # Filled by _define_flags when this module runs as a program.


@dataclasses.dataclass(frozen=True)
class Request:
  """What to verify: the command's flags (`_define_flags`), and the
  served-range sample's size (no flag: the tests make it small)."""
  model: str = "uwgnn"  # A pretrained name (ignored with `params`).
  params: Optional[str] = None  # A .msgpack with its .json beside it.
  snr_db: tuple = (0.0, 10.0, 20.0, 30.0, 40.0)
  users: tuple = (10, 20, 50, 100)
  test_size: int = 2000
  top_k: Optional[int] = None  # None: as trained; 0: fully connected.
  num_layers: Optional[int] = None
  seed: Optional[int] = None  # Draw with this seed's test key, not the run's.
  quick: bool = False
  write_metadata: bool = False
  out_dir: Optional[str] = None
  served_range_networks: int = SERVED_RANGE_NETWORKS

  @property
  def params_path(self) -> str:
    if self.params is None:
      return pretrained_params.path(self.model)
    return self.params

  @property
  def info_path(self) -> str:
    return os.path.splitext(self.params_path)[0] + ".json"

  @property
  def label(self) -> str:
    """The results folder's name: the model's, the depth if changed
    (`_unrolled<L>` where `_layers<L>` names a shipped file, e.g.
    "wcgcn_layers5"), and the seed if not the run's."""
    name = (self.model if self.params is None else
            os.path.splitext(os.path.basename(self.params))[0])
    if self.num_layers is not None:
      deeper = f"{name}_layers{self.num_layers}"
      name = (f"{name}_unrolled{self.num_layers}"
              if deeper in pretrained_params.available() else deeper)
    if self.seed is not None:
      name += f"_seed{self.seed}"
    return name


def load(request: Request) -> tuple:
  """(params, the .json info beside them)."""
  with open(request.info_path) as f:
    info = json.load(f)
  if request.params is None:
    return uwgnn_jax.pretrained(request.model), info
  return params_io.load_params(request.params), info


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
                         num_networks: int = SERVED_RANGE_NETWORKS) -> list:
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


def run(request: Request, command: str,
        log: Callable[[str], None] = print) -> list:
  """Verifies `request`'s model; writes results.json and snr.png in its
  out_dir (and, with write_metadata, the "verified" block and the served
  range in the params' .json). Returns the rows. Settings that do not go
  together raise app.UsageError before any network is drawn."""
  start = time.perf_counter()
  if request.quick and request.write_metadata:
    raise app.UsageError("--quick results are not a verification; drop "
                         "--write_metadata.")
  if request.num_layers is not None and request.write_metadata:
    raise app.UsageError("--num_layers verifies weights at a depth they do "
                         "not record; drop --write_metadata.")
  if request.seed is not None and request.write_metadata:
    raise app.UsageError("--seed draws other networks than the run's own "
                         "held-out ones; drop --write_metadata.")
  if request.top_k is not None and request.top_k < 0:
    raise app.UsageError(f"--top_k must be >= 0; got {request.top_k}.")
  params, info = load(request)
  if not models.MODELS[models.model_name(params)].is_graph_model:
    raise app.UsageError("The MLP serves only the K it was trained at.")
  config = config_lib.TrainConfig(**info["config"])
  if request.seed is not None:
    if config.fixed_layout:
      raise app.UsageError("--seed would draw another layout than the one "
                           "this fixed-layout model was trained on; drop "
                           "--seed.")
    config = dataclasses.replace(config, seed=request.seed)
  top_k = config.top_k if request.top_k is None else (request.top_k or None)
  snrs, sizes = list(request.snr_db), list(request.users)
  test_size = request.test_size
  if request.quick:
    snrs, sizes, test_size = snrs[:2], sizes[:1], 16
  if request.num_layers is not None:
    try:
      params = models.with_depth(params, request.num_layers)
    except ValueError as e:
      raise app.UsageError(f"--num_layers: {e}") from e
  log(f"{request.label}: trained at K = {config.num_users}, "
      f"{config.channel}, SNR {config.snr_db_min} to {config.snr_db_max} "
      f"dB; {test_size} networks per cell (seed {config.seed}); "
      f"{'dense' if top_k is None else f'top-{top_k}'} graphs")
  log(f"{'SNR dB':>7}{'K':>6}{'% of WMMSE':>12}{'Tr-WMMSE %':>12}"
      f"{'all-zero':>10}")
  rows = verify(params, config, snrs, sizes, test_size, log=log, top_k=top_k)
  out_dir = request.out_dir or os.path.join("results",
                                            f"verify_{request.label}")
  results_io.write(out_dir, dict(name=request.label, snr_db=snrs,
                                 users=sizes, test_size=test_size,
                                 seed=config.seed, top_k=top_k,
                                 command=command,
                                 params_sha256=checkpoints.file_sha256(
                                     request.params_path)),
                   dict(rows=rows), time.perf_counter() - start)
  plot(rows, request.label, os.path.join(out_dir, "snr.png"))
  if request.write_metadata:
    info["served_direct_snr_db"] = served_direct_snr_db(
        config, request.served_range_networks)
    info["verified"] = dict(
        command=command, test_size=test_size, channel=config.channel,
        weighted=config.weighted, top_k=top_k,
        rows=[{k: (round(v, 3) if isinstance(v, float) else v)
               for k, v in r.items()} for r in rows])
    params_io.write_atomically(
        request.info_path, (json.dumps(info, indent=2, sort_keys=True) +
                            "\n").encode())
    log(f"recorded in {request.info_path}")
  return rows


def _define_flags() -> None:
  """The command's flags (in _FLAGS), defined only when this module runs as
  a program, so that it imports beside other absl programs (the tests)."""
  defaults = Request()
  _FLAGS.update(
      model=flags.DEFINE_string("model", defaults.model, "A pretrained "
                                "name (ignored with --params)."),
      params=flags.DEFINE_string(
          "params", None, "A params .msgpack written by experiments.train "
          "--export_params; its .json beside it gives the training config."),
      snr_db=flags.DEFINE_list("snr_db", [f"{s:g}" for s in defaults.snr_db],
                               "SNRs p_max / sigma^2 (dB)."),
      users=flags.DEFINE_list("users", [str(k) for k in defaults.users],
                              "Values of K."),
      test_size=flags.DEFINE_integer("test_size", defaults.test_size,
                                     "Networks per cell."),
      top_k=flags.DEFINE_integer(
          "top_k", None, "Run the model on each receiver's top_k strongest "
          "interferers (scored on the full H); default: the graph it was "
          "trained on (its config's top_k); 0: the fully connected graph."),
      num_layers=flags.DEFINE_integer(
          "num_layers", None, "Run a shared-layer model (uwgnn, wcgcn, "
          "igcnet) unrolled this many times (default: the depth it was "
          "trained at); Tr-WMMSE runs as many iterations."),
      seed=flags.DEFINE_integer(
          "seed", None, "Draw the networks with this seed's test key "
          "(default: the training run's): a check on networks that no "
          "choice between candidate files was made on."),
      quick=flags.DEFINE_bool("quick", False, "Two cells of 16 networks."),
      write_metadata=flags.DEFINE_bool(
          "write_metadata", False, "Record the table in the params' .json."),
      out_dir=flags.DEFINE_string(
          "out_dir", None, "Output folder; default results/verify_<name>."))


def main(argv):
  del argv  # Unused.
  values = {name: flag.value for name, flag in _FLAGS.items()}
  values["snr_db"] = tuple(float(s) for s in values["snr_db"])
  values["users"] = tuple(int(k) for k in values["users"])
  run(Request(**values),
      "python -m experiments.verify_pretrained " + " ".join(sys.argv[1:]),
      log=lambda line: print(line, flush=True))


if __name__ == "__main__":
  _define_flags()
  app.run(main)
