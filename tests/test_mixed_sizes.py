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


# UWGNN: the fused dense MAX (bias after the max); IGCNet: the plain MAX and
# the sum; UWMMSE: the mean, and sums at receivers and at senders.
@pytest.mark.parametrize("name", ["uwgnn", "igcnet", "uwmmse"])
def test_padding_changes_nothing_for_the_present_users(name):
  params = models.init(name, jax.random.PRNGKey(0), PADDED)
  # Non-zero output biases too: a lone user (K_n = 1) must not see them.
  # (NumPy's generator: drawn eagerly, jax.random compiles per leaf shape.)
  rng = np.random.default_rng(5)
  params = jax.tree.map(lambda x: x + np.float32(0.3) * rng.standard_normal(
      x.shape, np.float32), params)
  # Jitted: one compile per program, not one per operation.
  apply = jax.jit(models.apply_canonical, static_argnames="mixed_sizes")
  for present in (SMALL, 1):
    h = channels.rayleigh(jax.random.PRNGKey(1), present) * 3.0
    weights = jnp.linspace(0.3, 1.0, present)
    alone = apply(params, h, weights)
    padded_h = jnp.zeros((PADDED, PADDED)).at[:present, :present].set(h)
    padded_weights = jnp.zeros(PADDED).at[:present].set(weights)
    padded = apply(params, padded_h, padded_weights, mixed_sizes=True)
    np.testing.assert_allclose(padded[:present], alone, rtol=1e-5,
                               atol=1e-6, err_msg=f"K_n = {present}")
    np.testing.assert_array_equal(padded[present:], 0.0)
  grads = jax.jit(jax.grad(lambda p: models.apply_canonical(
      p, padded_h, padded_weights, mixed_sizes=True).sum()))(params)
  assert all(np.isfinite(np.asarray(g)).all() for g in jax.tree.leaves(grads))


def test_mixed_size_data_and_a_training_step():
  config = config_lib.TrainConfig(num_users=PADDED, num_users_min=3,
                                  train_size=32, batch_size=16)
  dataset = data.make_dataset(jax.random.PRNGKey(0), config, 64,
                              mixed_sizes=True)
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
  with pytest.raises(ValueError, match="`top_k` must be below the smallest"):
    config_lib.TrainConfig(num_users=8, num_users_min=4, top_k=4)
  with pytest.raises(ValueError, match="`top_k` needs a graph model"):
    config_lib.TrainConfig(model="mlp", num_users=8, top_k=2)


def test_spatial_networks_of_mixed_sizes_keep_their_density():
  """Network n's first K_n pairs lie in the square a spatial(K_n) network
  fills (half-width 20 sqrt(K_n / 20)), not in the K-pair network's."""
  config = config_lib.TrainConfig(channel="spatial", num_users=80,
                                  num_users_min=20, train_size=16,
                                  batch_size=16)
  layout = channels.spatial_layout(jax.random.PRNGKey(0), 80, area_pairs=20)
  assert float(jnp.max(jnp.abs(layout.transmitters))) <= 20.0
  assert float(jnp.max(jnp.abs(layout.transmitters))) > 15.0
  dataset = data.make_dataset(jax.random.PRNGKey(1), config, 16,
                              mixed_sizes=True)
  sizes = np.asarray((dataset.weights > 0).sum(axis=1))
  assert sizes.min() >= 20 and len(set(sizes)) > 3
  for h, n in zip(np.asarray(dataset.H), sizes):
    assert np.all(h[n:] == 0) and np.all(h[:n, :n] > 0)


def test_top_k_training_with_padding_keeps_absent_users_out():
  params = models.init("uwgnn", jax.random.PRNGKey(0), PADDED)
  h = channels.rayleigh(jax.random.PRNGKey(1), SMALL) * 3.0
  weights = jnp.linspace(0.3, 1.0, SMALL)
  apply = jax.jit(models.apply_canonical,
                  static_argnames=("top_k", "mixed_sizes"))
  alone = apply(params, h, weights, 2)
  padded = apply(params, jnp.zeros((PADDED, PADDED)).at[:SMALL, :SMALL].set(h),
                 jnp.zeros(PADDED).at[:SMALL].set(weights), 2,
                 mixed_sizes=True)
  np.testing.assert_allclose(padded[:SMALL], alone, rtol=1e-5, atol=1e-6)
  np.testing.assert_array_equal(padded[SMALL:], 0.0)
  config = config_lib.TrainConfig(num_users=PADDED, num_users_min=4, top_k=2,
                                  train_size=16, batch_size=16)
  dataset = data.make_dataset(jax.random.PRNGKey(0), config, 16,
                              mixed_sizes=True)
  step = train.make_train_step(config)
  state, first = step(train.init_state(config), dataset.H, dataset.weights,
                      jnp.zeros(16))
  for _ in range(5):
    state, loss = step(state, dataset.H, dataset.weights, jnp.zeros(16))
  assert float(loss) < float(first) < 0


def test_held_out_sets_of_a_mixed_size_run_are_whole_networks():
  from uwgnn_jax.training import evaluation  # pylint: disable=g-import-not-at-top
  config = config_lib.TrainConfig(num_users=PADDED, num_users_min=4)
  sets = evaluation.held_out_sets(config, [2, PADDED], 3, 3)
  for k, (dataset, _) in sets.items():
    assert dataset.H.shape == (3, k, k) and bool(jnp.all(dataset.H > 0))
