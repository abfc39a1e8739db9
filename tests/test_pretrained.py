"""Shipped parameters: they load, match their recorded verification on fresh
channels, and record what they serve."""

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
