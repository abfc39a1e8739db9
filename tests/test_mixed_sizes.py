"""Mixed-size training: padded networks whose absent users (weight 0) the
models ignore, data drawn at mixed sizes, and resized fixed layouts."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from uwgnn_jax import channels
from uwgnn_jax import models
from uwgnn_jax.training import config as config_lib
from uwgnn_jax.training import data
from uwgnn_jax.training import train

SMALL, PADDED = 5, 8


def _padded(h):
  return jnp.zeros((PADDED, PADDED)).at[:SMALL, :SMALL].set(h)


# IGCNet aggregates by max and sum (UWGNN and WCGCN by max), UWMMSE by
# mean and sum (REGNN by mean): every DenseGraph aggregation is covered.
@pytest.mark.parametrize("name", ["igcnet", "uwmmse"])
def test_padding_changes_nothing_for_the_present_users(name):
  params = models.init(name, jax.random.PRNGKey(0), PADDED)
  h = channels.rayleigh(jax.random.PRNGKey(1), SMALL) * 3.0
  weights = jnp.linspace(0.3, 1.0, SMALL)
  # Jitted: one compile per program, not one per operation.
  apply = jax.jit(models.apply_canonical, static_argnames="mixed_sizes")
  alone = apply(params, h, weights)
  padded_weights = jnp.zeros(PADDED).at[:SMALL].set(weights)
  padded = apply(params, _padded(h), padded_weights, mixed_sizes=True)
  np.testing.assert_allclose(padded[:SMALL], alone, rtol=1e-5, atol=1e-6)
  np.testing.assert_array_equal(padded[SMALL:], 0.0)
  grads = jax.jit(jax.grad(lambda p: models.apply_canonical(
      p, _padded(h), padded_weights, mixed_sizes=True).sum()))(params)
  assert all(bool(jnp.all(jnp.isfinite(g))) for g in jax.tree.leaves(grads))


def test_mixed_size_data_and_a_training_step():
  config = config_lib.TrainConfig(num_users=PADDED, num_users_min=3,
                                  train_size=32, batch_size=16)
  dataset = data.make_dataset(jax.random.PRNGKey(0), config, 64)
  sizes = np.asarray((dataset.weights > 0).sum(axis=1))
  assert sizes.min() >= 3 and sizes.max() <= PADDED and len(set(sizes)) > 3
  for h, n in zip(np.asarray(dataset.H), sizes):
    assert np.all(h[n:] == 0) and np.all(h[:, n:] == 0) and np.all(h[:n, :n] > 0)
  state = train.init_state(config)
  state, loss = train.make_train_step(config)(
      state, dataset.H[:16], dataset.weights[:16], jnp.zeros(16))
  assert bool(jnp.isfinite(loss)) and float(loss) < 0


def test_resized_fixed_layout_keeps_its_first_pairs():
  base = config_lib.TrainConfig(model="uwmmse", num_users=20,
                                channel="geometric", fixed_layout=True)
  same = dataclasses.replace(base, layout_users=20)
  key = jax.random.PRNGKey(3)
  np.testing.assert_array_equal(data.make_dataset(key, base, 2).H,
                                data.make_dataset(key, same, 2).H)
  layout = channels.geometric_layout(jax.random.PRNGKey(0), 20)
  grown = channels.resize_layout(jax.random.PRNGKey(1), layout, 25)
  np.testing.assert_array_equal(grown.transmitters[:20], layout.transmitters)
  smaller = dataclasses.replace(base, num_users=10, layout_users=20)
  assert data.make_dataset(key, smaller, 2).H.shape == (2, 10, 10)


def test_mixed_size_settings_are_checked():
  with pytest.raises(ValueError, match="num_users_min"):
    config_lib.TrainConfig(num_users=8, num_users_min=9)
  with pytest.raises(ValueError, match="num_users_min"):
    config_lib.TrainConfig(model="mlp", num_users=8, num_users_min=4)
  with pytest.raises(ValueError, match="layout_users"):
    config_lib.TrainConfig(layout_users=20)
  with pytest.raises(ValueError, match="num_users_min"):
    config_lib.TrainConfig(num_users_min=0)
