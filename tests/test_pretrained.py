"""Shipped parameters: they load, match their recorded verification on fresh
channels, and record what they serve."""

import dataclasses
import json
import os
import shutil
import warnings

import jax
import numpy as np
import pytest

import uwgnn_jax
from uwgnn_jax import channels
from uwgnn_jax import models

rayleigh = lambda k: channels.rayleigh(k, 20)
SETTINGS = {  # name: (sampler, noise_var, weighted, lowest % of WMMSE-100)
    "uwgnn": (rayleigh, channels.RAYLEIGH_NOISE_VAR, False, 98.0),
    "wcgcn": (rayleigh, channels.RAYLEIGH_NOISE_VAR, False, 97.0),
    "wcgcn_layers5": (rayleigh, channels.RAYLEIGH_NOISE_VAR, False, 97.0),
    "uwgnn_weighted": (rayleigh, channels.RAYLEIGH_NOISE_VAR, True, 95.0),
    "wcgcn_weighted": (rayleigh, channels.RAYLEIGH_NOISE_VAR, True, 96.0),
    "uwmmse": (lambda k: channels.geometric(k, 20),
               channels.GEOMETRIC_NOISE_VAR, False, 94.0),
    "uwmmse_layers6": (lambda k: channels.geometric(k, 20),
                       channels.GEOMETRIC_NOISE_VAR, False, 94.0),
    "uwgnn_spatial": (lambda k: channels.spatial(k, 20),
                      channels.GEOMETRIC_NOISE_VAR, False, 98.0),
}


def test_shipped_models_are_listed():
  assert set(SETTINGS) <= set(uwgnn_jax.available_pretrained())


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_pretrained_holds_its_level_against_wmmse(name):
  """% of WMMSE-100 on 128 fresh networks at the training SNR, above a floor
  about 5 points under what `pretrained_info` records on 2,000 (128
  networks scatter by about 3 points; a model that lost its training or
  reads the wrong features falls to 20-40%)."""
  params = uwgnn_jax.pretrained(name)
  sampler, noise_var, weighted, floor = SETTINGS[name]
  assert models.model_name(params) == name.split("_")[0]
  # Seeds no training or test set of ours uses.
  H = jax.vmap(sampler)(jax.random.split(jax.random.PRNGKey(2026), 128))
  weights = (jax.random.uniform(jax.random.PRNGKey(2027), H.shape[:-1])
             if weighted else None)
  rate = lambda p: float(uwgnn_jax.sum_rate(H, p, noise_var=noise_var,
                                            weights=weights).mean())
  with warnings.catch_warnings():
    warnings.simplefilter("error")  # In the served range: no warning.
    p = uwgnn_jax.allocate(params, H, noise_var=noise_var, weights=weights)
  percent = 100.0 * rate(p) / rate(
      uwgnn_jax.wmmse(H, noise_var=noise_var, weights=weights))
  assert percent >= floor, percent
  assert np.all(np.asarray(p).max(axis=-1) > 1e-6)  # No network switched off.


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_metadata_records_training_and_verification(name):
  info = uwgnn_jax.pretrained_info(name)
  assert info["config"]["model"] == name.split("_")[0]
  assert info["config"]["weighted"] == SETTINGS[name][2]
  # The depth it was trained at is the depth the file holds.
  trained_depth = info["config"].get("num_layers")
  if trained_depth is not None:
    assert models.num_layers(uwgnn_jax.pretrained(name)) == trained_depth
  low, high = info["served_direct_snr_db"]
  assert low < high
  rows = info["verified"]["rows"]
  assert rows and all(row["all_zero_networks"] == 0 for row in rows)
  assert {"snr_db", "users", "percent_of_wmmse"} <= set(rows[0])


def test_unknown_pretrained_name():
  with pytest.raises(ValueError, match="Unknown pretrained model 'resnet'"):
    uwgnn_jax.pretrained("resnet")
  with pytest.raises(ValueError, match="Unknown pretrained model 'resnet'"):
    uwgnn_jax.pretrained_info("resnet")


def test_verification_scores_writes_and_records_its_table(tmp_path):
  """experiments.verify_pretrained on a copy of the shipped "uwgnn", one
  cell (K = 5, 10 dB, 16 networks): its row is what the public API scores
  on the same networks, results.json names the file's hash, and the
  metadata block lands in the copy's .json beside the rest, unchanged.
  Then --seed with --quick and --top_k=0 (the dense graph)."""
  from uwgnn_jax import pretrained_params  # pylint: disable=g-import-not-at-top
  from uwgnn_jax.training import checkpoints  # pylint: disable=g-import-not-at-top
  from uwgnn_jax.training import config as config_lib  # pylint: disable=g-import-not-at-top
  from uwgnn_jax.training import evaluation  # pylint: disable=g-import-not-at-top
  from experiments import verify_pretrained  # pylint: disable=g-import-not-at-top
  copy = tmp_path / "copy.msgpack"
  shutil.copy(pretrained_params.path("uwgnn"), copy)
  request = verify_pretrained.Request(
      params=str(copy), snr_db=(10.0,), users=(5,), test_size=16,
      write_metadata=True, out_dir=str(tmp_path / "out"),
      served_range_networks=64)
  shutil.copy(verify_pretrained.Request().info_path, request.info_path)
  with open(request.info_path) as f:
    before = json.load(f)
  lines = []
  (row,) = verify_pretrained.run(request, "the command", log=lines.append)
  assert (row["snr_db"], row["users"], row["top_k"],
          row["all_zero_networks"]) == (10.0, 5, None, 0)
  # The same 16 networks (canonical units: noise 1), scored through
  # uwgnn_jax.allocate / wmmse / sum_rate rather than the evaluation code.
  params = uwgnn_jax.pretrained("uwgnn")
  ((dataset, _),) = evaluation.held_out_sets(
      config_lib.TrainConfig(**before["config"]), [5], 16,
      models.num_layers(params), snr_db=10.0).values()
  rate = lambda H, p: float(uwgnn_jax.sum_rate(H, p, noise_var=1.0).mean())
  percent = lambda H: 100.0 * rate(H, uwgnn_jax.allocate(
      params, H, noise_var=1.0)) / rate(H, uwgnn_jax.wmmse(H, noise_var=1.0))
  assert row["percent_of_wmmse"] == pytest.approx(percent(dataset.H),
                                                  rel=1e-4)
  assert 80.0 < row["percent_of_wmmse"] < 130.0
  assert "copy: trained at K = 100" in lines[0]
  assert "(seed 0)" in lines[0]
  with open(tmp_path / "out" / "results.json") as f:
    written = json.load(f)
  assert written["config"] == dict(
      name="copy", snr_db=[10.0], users=[5], test_size=16, seed=0,
      top_k=None, command="the command",
      params_sha256=checkpoints.file_sha256(str(copy)))
  # --seed: networks drawn with another seed's test key; --quick: the
  # first two SNRs and the first K, 16 networks; --top_k=0: dense.
  quick = dataclasses.replace(
      request, seed=7, quick=True, top_k=0, snr_db=(10.0, 0.0, 20.0),
      users=(5, 10), test_size=2000, write_metadata=False,
      out_dir=str(tmp_path / "s7"))
  other, at_0db = verify_pretrained.run(quick, "", log=lambda line: None)
  assert [(r["snr_db"], r["users"], r["top_k"]) for r in (other, at_0db)] == [
      (10.0, 5, None), (0.0, 5, None)]
  with open(tmp_path / "s7" / "results.json") as f:
    config = json.load(f)["config"]
  assert (config["snr_db"], config["users"], config["test_size"],
          config["seed"], config["top_k"]) == ([10.0, 0.0], [5], 16, 7, None)
  ((fresh, _),) = evaluation.held_out_sets(
      config_lib.TrainConfig(**dict(before["config"], seed=7)), [5], 16,
      models.num_layers(params), snr_db=10.0).values()
  assert not np.array_equal(np.asarray(fresh.H), np.asarray(dataset.H))
  assert other["percent_of_wmmse"] == pytest.approx(percent(fresh.H),
                                                    rel=1e-4)
  assert written["results"]["rows"] == [row]
  assert os.path.getsize(tmp_path / "out" / "snr.png") > 1000
  with open(request.info_path) as f:
    after = json.load(f)
  assert after.pop("verified") == dict(
      command="the command", test_size=16, channel="rayleigh",
      weighted=False, top_k=None,
      rows=[{k: (round(v, 3) if isinstance(v, float) else v)
             for k, v in row.items()}])
  # Median direct-link SNRs (dB) of networks drawn at -5 to 45 dB.
  low, high = after.pop("served_direct_snr_db")
  assert -20.0 < low < 0.0 and 40.0 < high < 60.0
  del before["verified"], before["served_direct_snr_db"]
  assert after == before


def test_verification_refuses_settings_before_any_work(tmp_path):
  """Flag combinations that cannot verify are refused before the params
  are even read (the file named here does not exist)."""
  from absl import app  # pylint: disable=g-import-not-at-top
  from uwgnn_jax import params_io  # pylint: disable=g-import-not-at-top
  from experiments import verify_pretrained  # pylint: disable=g-import-not-at-top
  out = str(tmp_path / "out")
  request = lambda **kw: verify_pretrained.Request(out_dir=out, **kw)
  missing = str(tmp_path / "missing.msgpack")
  for settings, message in (
      (dict(quick=True, write_metadata=True), "--quick results are not"),
      (dict(num_layers=5, write_metadata=True), "--num_layers verifies"),
      (dict(seed=3, write_metadata=True), "--seed draws other networks"),
      (dict(top_k=-1), r"--top_k must be >= 0; got -1")):
    with pytest.raises(app.UsageError, match=message):
      verify_pretrained.run(request(params=missing, **settings), "")
  with pytest.raises(app.UsageError, match="--num_layers: "):
    verify_pretrained.run(request(num_layers=0), "")
  mlp = tmp_path / "mlp.msgpack"
  params_io.save_params(str(mlp), models.init("mlp", jax.random.PRNGKey(0),
                                              3))
  (tmp_path / "mlp.json").write_text("{}")
  with pytest.raises(app.UsageError, match="MLP serves only the K"):
    verify_pretrained.run(request(params=str(mlp)), "")
  # A fixed-layout model's layout comes from its seed: --seed is refused.
  fixed = tmp_path / "fixed.msgpack"
  shutil.copy(verify_pretrained.Request(model="uwmmse").params_path, fixed)
  info = uwgnn_jax.pretrained_info("uwmmse")
  (tmp_path / "fixed.json").write_text(json.dumps(
      dict(info, config=dict(info["config"], fixed_layout=True))))
  with pytest.raises(app.UsageError, match="drop --seed"):
    verify_pretrained.run(request(params=str(fixed), seed=3), "")
  assert not os.path.exists(out)
  # Output folders: unrolled weights never take a shipped file's name.
  assert request(num_layers=5).label == "uwgnn_layers5"
  assert request(model="wcgcn", num_layers=5).label == "wcgcn_unrolled5"
  assert request(seed=3).label == "uwgnn_seed3"
  assert request(params=str(mlp)).label == "mlp"
