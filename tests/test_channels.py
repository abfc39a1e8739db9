"""Channel samplers: statistics, reproducibility, shapes, vmap/jit."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from uwgnn_jax import channels

KEY = jax.random.PRNGKey(0)


def many(sampler, n=2000, key=KEY):
  return jax.vmap(sampler)(jax.random.split(key, n))


@pytest.mark.parametrize("variance", [1.0, 0.25, 4.0])
def test_rayleigh_power_equals_variance(variance):
  H = many(lambda k: channels.rayleigh(k, 10, variance=variance))
  assert H.shape == (2000, 10, 10)
  # E|h|^2 = s^2; 200,000 exponential samples: relative std 0.2%.
  np.testing.assert_allclose(jnp.mean(H ** 2), variance, rtol=0.01)
  assert float(H.min()) >= 0


def test_rician_power_and_k_factor():
  H = many(lambda k: channels.rician(k, 10, mean=2.0, variance=0.5))
  np.testing.assert_allclose(jnp.mean(H ** 2), 4.0 + 0.5, rtol=0.01)
  no_scatter = channels.rician(KEY, 4, mean=1.5, variance=0.0)
  np.testing.assert_allclose(no_scatter, 1.5 * np.ones((4, 4)), rtol=1e-6)


@pytest.mark.parametrize("drop_prob", [0.0, 0.3, 0.6, 1.0])
def test_sparse_drop_rate_and_direct_links_kept(drop_prob):
  H = many(lambda k: channels.sparse_rayleigh(k, 10, drop_prob=drop_prob))
  off = ~np.eye(10, dtype=bool)
  dropped = np.mean(np.asarray(H)[:, off] == 0)
  np.testing.assert_allclose(dropped, drop_prob, atol=0.01)
  assert np.all(np.asarray(H)[:, ~off] > 0)


def test_reproducible_for_fixed_key_and_different_otherwise():
  a = channels.rayleigh(KEY, 5)
  np.testing.assert_array_equal(a, channels.rayleigh(KEY, 5))
  assert not np.allclose(a, channels.rayleigh(jax.random.PRNGKey(1), 5))


def test_jit_with_static_size():
  sample = jax.jit(channels.geometric, static_argnums=1)
  np.testing.assert_allclose(sample(KEY, 6), channels.geometric(KEY, 6),
                             rtol=1e-6)


def test_mobility_zero_speed_is_unchanged_and_motion_changes_gains():
  H0, Ht = channels.mobility(KEY, 8, speed=0.0)
  np.testing.assert_allclose(H0, Ht, rtol=1e-6)
  pairs = many(lambda k: channels.mobility(k, 8, speed=5.0, elapsed_time=2.0),
               n=200)
  change = jnp.mean(jnp.abs(pairs[1] - pairs[0]))
  assert float(change) > 0.05
  assert np.all(np.isfinite(np.asarray(pairs[1])))


def test_mobility_coverage_cuts_long_links():
  H0, _ = channels.mobility(KEY, 30, speed=0.0, area_side=500.0,
                            coverage_radius=20.0)
  off = ~np.eye(30, dtype=bool)
  assert np.mean(np.asarray(H0)[off] == 0) > 0.5


def test_geometric_layout_geometry_and_density():
  layout = channels.geometric_layout(KEY, 20)
  tx, rx = np.asarray(layout.transmitters), np.asarray(layout.receivers)
  assert tx.shape == (20, 2) and np.all(np.abs(tx) <= 20.0)
  assert np.all(np.abs(rx - tx) <= 5.0)
  dense = channels.geometric_layout(KEY, 20, density=4.0)
  np.testing.assert_allclose(dense.transmitters, tx / 4.0, rtol=1e-6)
  with pytest.raises(ValueError, match="`density`"):
    channels.geometric_layout(KEY, 20, density=0.0)


def test_geometric_fading_path_loss():
  layout = channels.GeometricLayout(jnp.array([[0.0, 0.0], [10.0, 0.0]]),
                                    jnp.array([[1.0, 0.0], [12.0, 0.0]]))
  H = jax.vmap(lambda k: channels.geometric_fading(k, layout))(
      jax.random.split(KEY, 4000))
  # E[f^2] = 2 for Rayleigh(scale 1); distances: d(tx1 -> rx0) = 9.
  np.testing.assert_allclose(jnp.mean(H[:, 0, 1] ** 2), 2 * 9.0 ** -4.4,
                             rtol=0.05)
  np.testing.assert_allclose(jnp.mean(H[:, 1, 1] ** 2), 2 * 2.0 ** -4.4,
                             rtol=0.05)


def test_resize_layout_keeps_existing_pairs():
  layout = channels.geometric_layout(KEY, 10)
  bigger = channels.resize_layout(jax.random.PRNGKey(1), layout, 15)
  smaller = channels.resize_layout(jax.random.PRNGKey(1), layout, 6)
  assert bigger.transmitters.shape == (15, 2)
  np.testing.assert_array_equal(bigger.transmitters[:10], layout.transmitters)
  np.testing.assert_array_equal(smaller.receivers, layout.receivers[:6])


def test_uniform_weights_range():
  w = channels.uniform_weights(KEY, 1000)
  assert float(w.min()) >= 0 and float(w.max()) <= 1
  np.testing.assert_allclose(jnp.mean(w), 0.5, atol=0.05)


@pytest.mark.parametrize("call, match", [
    (lambda: channels.rayleigh(KEY, 0), "`num_users` must be >= 1"),
    (lambda: channels.rayleigh(KEY, 3, variance=-1.0), "`variance`"),
    (lambda: channels.sparse_rayleigh(KEY, 3, drop_prob=1.5), "`drop_prob`"),
    (lambda: channels.mobility(KEY, 3, speed=-2.0), "`speed`"),
])
def test_bad_sampler_arguments(call, match):
  with pytest.raises(ValueError, match=match):
    call()
