"""Shipped parameters load, and beat Tr-WMMSE on fresh test channels."""

import jax
import numpy as np
import pytest

import uwgnn_jax
from uwgnn_jax import channels
from uwgnn_jax import models

SETTINGS = {  # name: (sampler, noise_var)
    "uwgnn": (lambda k: channels.rayleigh(k, 20), channels.RAYLEIGH_NOISE_VAR),
    "wcgcn": (lambda k: channels.rayleigh(k, 20), channels.RAYLEIGH_NOISE_VAR),
    "uwmmse": (lambda k: channels.geometric(k, 20),
               channels.GEOMETRIC_NOISE_VAR),
}


def test_shipped_models_are_listed():
  assert set(SETTINGS) <= set(uwgnn_jax.available_pretrained())


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_pretrained_beats_truncated_wmmse(name):
  params = uwgnn_jax.pretrained(name)
  assert models.model_name(params) == name
  sampler, noise_var = SETTINGS[name]
  # A seed no training or test set of ours uses.
  H = jax.vmap(sampler)(jax.random.split(jax.random.PRNGKey(2026), 64))
  p = uwgnn_jax.allocate(params, H, noise_var=noise_var)
  truncated = uwgnn_jax.wmmse(H, noise_var=noise_var,
                              num_iters=models.num_layers(params))
  model_rate = uwgnn_jax.sum_rate(H, p, noise_var=noise_var).mean()
  truncated_rate = uwgnn_jax.sum_rate(H, truncated, noise_var=noise_var).mean()
  assert model_rate > truncated_rate
  info = uwgnn_jax.pretrained_info(name)
  assert info["config"]["model"] == name and "percent_of_wmmse" in info["test"]


def test_unknown_pretrained_name():
  with pytest.raises(ValueError, match="Unknown pretrained model 'resnet'"):
    uwgnn_jax.pretrained("resnet")
