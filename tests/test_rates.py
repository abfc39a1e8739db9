"""Sum rate and SINR: closed forms and canonical-unit invariance."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import uwgnn_jax
from uwgnn_jax import units


def test_two_user_closed_form():
  H = jnp.array([[2.0, 0.5], [1.0, 3.0]])
  p = jnp.array([0.5, 0.25])
  noise = 0.1
  sinr0 = 4.0 * 0.5 / (noise + 0.25 * 0.25)   # H00^2 p0 / (s2 + H01^2 p1)
  sinr1 = 9.0 * 0.25 / (noise + 1.0 * 0.5)    # H11^2 p1 / (s2 + H10^2 p0)
  np.testing.assert_allclose(uwgnn_jax.sinr(H, p, noise_var=noise),
                             [sinr0, sinr1], rtol=1e-6)
  weights = jnp.array([0.3, 2.0])
  expected = 0.3 * np.log2(1 + sinr0) + 2.0 * np.log2(1 + sinr1)
  np.testing.assert_allclose(
      uwgnn_jax.sum_rate(H, p, noise_var=noise, weights=weights), expected,
      rtol=1e-6)


def test_diagonal_channel_is_interference_free():
  H = jnp.diag(jnp.array([1.0, 2.0, 3.0]))
  rate = uwgnn_jax.sum_rate(H, jnp.ones(3), noise_var=1.0)
  np.testing.assert_allclose(rate, np.log2(2) + np.log2(5) + np.log2(10),
                             rtol=1e-6)


def test_batch_axes_and_broadcast_weights():
  H = jax.random.uniform(jax.random.PRNGKey(0), (2, 3, 4, 4))
  p = jax.random.uniform(jax.random.PRNGKey(1), (2, 3, 4))
  batched = uwgnn_jax.sum_rate(H, p, noise_var=0.5, weights=jnp.arange(4.0))
  assert batched.shape == (2, 3)
  single = uwgnn_jax.sum_rate(H[1, 2], p[1, 2], noise_var=0.5,
                              weights=jnp.arange(4.0))
  np.testing.assert_allclose(batched[1, 2], single, rtol=1e-6)


def test_canonical_units_leave_rate_unchanged():
  H = jax.random.uniform(jax.random.PRNGKey(2), (5, 5)) * 1e-3
  p = jax.random.uniform(jax.random.PRNGKey(3), (5,)) * 4.0
  noise, p_max = 1e-7, 4.0
  raw = uwgnn_jax.sum_rate(H, p, noise_var=noise)
  canonical = uwgnn_jax.sum_rate(units.to_canonical_channel(H, noise, p_max),
                                 units.to_canonical_power(p, p_max))
  np.testing.assert_allclose(raw, canonical, rtol=1e-5)


def test_snr_db_to_noise_var():
  assert units.snr_db_to_noise_var(10.0) == pytest.approx(0.1)
  assert units.snr_db_to_noise_var(0.0, p_max=2.0) == pytest.approx(2.0)
