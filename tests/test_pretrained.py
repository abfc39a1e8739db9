"""Shipped parameters load, and beat Tr-WMMSE on fresh test channels."""

import jax
import numpy as np
import pytest

import uwgnn_jax
from uwgnn_jax import channels
from uwgnn_jax import models

rayleigh = lambda k: channels.rayleigh(k, 20)
SETTINGS = {  # name: (sampler, noise_var, weighted)
    "uwgnn": (rayleigh, channels.RAYLEIGH_NOISE_VAR, False),
    "wcgcn": (rayleigh, channels.RAYLEIGH_NOISE_VAR, False),
    "uwgnn_weighted": (rayleigh, channels.RAYLEIGH_NOISE_VAR, True),
    "wcgcn_weighted": (rayleigh, channels.RAYLEIGH_NOISE_VAR, True),
    "uwmmse": (lambda k: channels.geometric(k, 20),
               channels.GEOMETRIC_NOISE_VAR, False),
}


def test_shipped_models_are_listed():
  assert set(SETTINGS) <= set(uwgnn_jax.available_pretrained())


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_pretrained_beats_truncated_wmmse(name):
  params = uwgnn_jax.pretrained(name)
  sampler, noise_var, weighted = SETTINGS[name]
  assert models.model_name(params) == name.split("_")[0]
  # Seeds no training or test set of ours uses.
  H = jax.vmap(sampler)(jax.random.split(jax.random.PRNGKey(2026), 64))
  weights = (jax.random.uniform(jax.random.PRNGKey(2027), H.shape[:-1])
             if weighted else None)
  p = uwgnn_jax.allocate(params, H, noise_var=noise_var, weights=weights)
  truncated = uwgnn_jax.wmmse(H, noise_var=noise_var, weights=weights,
                              num_iters=models.num_layers(params))
  rate = lambda p: uwgnn_jax.sum_rate(H, p, noise_var=noise_var,
                                      weights=weights).mean()
  assert rate(p) > rate(truncated)
  info = uwgnn_jax.pretrained_info(name)
  assert info["config"]["weighted"] == weighted
  assert info["config"]["model"] == models.model_name(params)
  assert "percent_of_wmmse" in info["test"]


def test_unknown_pretrained_name():
  with pytest.raises(ValueError, match="Unknown pretrained model 'resnet'"):
    uwgnn_jax.pretrained("resnet")
