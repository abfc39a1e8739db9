"""WMMSE: against a plain NumPy loop, and its properties."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import uwgnn_jax
from uwgnn_jax import channels
from uwgnn_jax import wmmse_algorithm


def numpy_wmmse(H, noise, p_max, alpha, iters):
  """Shi et al. 2011 as a textbook loop (eq. 7 in its 1 / (1 - u H v) form)."""
  H = np.asarray(H, np.float64)
  K = H.shape[0]
  v = np.full(K, np.sqrt(p_max))

  def u_w(v):
    u = np.array([H[i, i] * v[i] /
                  (noise + sum(H[i, j] ** 2 * v[j] ** 2 for j in range(K)))
                  for i in range(K)])
    return u, 1.0 / (1.0 - u * np.diag(H) * v)

  u, w = u_w(v)
  for _ in range(iters):
    v = np.array([alpha[i] * w[i] * u[i] * H[i, i] /
                  sum(alpha[j] * w[j] * u[j] ** 2 * H[j, i] ** 2
                      for j in range(K)) for i in range(K)])
    v = np.clip(v, 0, np.sqrt(p_max))
    u, w = u_w(v)
  return v ** 2


def rayleigh_batch(seed, n, K):
  keys = jax.random.split(jax.random.PRNGKey(seed), n)
  return jax.vmap(lambda k: channels.rayleigh(k, K))(keys)


@pytest.mark.parametrize("weighted", [False, True])
def test_matches_numpy_loop(weighted):
  H = channels.rayleigh(jax.random.PRNGKey(0), 5)
  alpha = (np.asarray(jax.random.uniform(jax.random.PRNGKey(1), (5,)))
           if weighted else np.ones(5))
  expected = numpy_wmmse(H, 0.3, 2.0, alpha, 20)
  got = uwgnn_jax.wmmse(H, noise_var=0.3, p_max=2.0, weights=alpha,
                        num_iters=20)
  np.testing.assert_allclose(got, expected, rtol=2e-4, atol=1e-5)


def test_objective_never_decreases_and_power_within_budget():
  H = rayleigh_batch(2, 64, 8)
  alpha = jax.random.uniform(jax.random.PRNGKey(3), (64, 8))
  p, trace = uwgnn_jax.wmmse_trace(H, noise_var=0.1, p_max=3.0,
                                   weights=alpha, num_iters=50)
  steps = np.diff(np.asarray(trace), axis=-1)
  assert steps.min() >= -1e-4 * np.abs(np.asarray(trace)).max()
  assert trace.shape == (64, 51)
  assert np.all(np.asarray(p) >= 0) and np.all(np.asarray(p) <= 3.0 + 1e-6)
  np.testing.assert_allclose(
      trace[:, -1], uwgnn_jax.sum_rate(H, p, noise_var=0.1, weights=alpha),
      rtol=1e-5)


def test_improves_on_full_power_and_zero_iterations_is_start():
  H = rayleigh_batch(4, 100, 10)
  p0 = uwgnn_jax.wmmse(H, noise_var=0.1, num_iters=0)
  np.testing.assert_allclose(p0, np.ones((100, 10)))
  p = uwgnn_jax.wmmse(H, noise_var=0.1)
  assert (uwgnn_jax.sum_rate(H, p, noise_var=0.1).mean() >
          2 * uwgnn_jax.sum_rate(H, p0, noise_var=0.1).mean())


def test_permutation_equivariance():
  H = channels.rayleigh(jax.random.PRNGKey(5), 7)
  alpha = jax.random.uniform(jax.random.PRNGKey(6), (7,))
  perm = jnp.array([3, 0, 6, 1, 5, 2, 4])
  p = uwgnn_jax.wmmse(H, noise_var=0.1, weights=alpha)
  p_perm = uwgnn_jax.wmmse(H[perm][:, perm], noise_var=0.1, weights=alpha[perm])
  np.testing.assert_allclose(p_perm, p[perm], rtol=1e-4, atol=1e-6)


def test_canonical_unit_invariance():
  H = channels.rayleigh(jax.random.PRNGKey(7), 6)
  p_raw = uwgnn_jax.wmmse(H * 1e-4, noise_var=1e-9, p_max=5.0)
  p_canonical = uwgnn_jax.wmmse(H * 1e-4 * np.sqrt(5.0 / 1e-9))
  np.testing.assert_allclose(p_raw / 5.0, p_canonical, rtol=1e-4, atol=1e-6)


class VariantsTest(chex.TestCase):

  @chex.variants(with_jit=True, without_jit=True)
  def test_jit_equals_nojit(self):
    H = channels.rayleigh(jax.random.PRNGKey(8), 5)
    fn = self.variant(lambda h: wmmse_algorithm.wmmse_canonical(
        h, jnp.ones(5), 30))
    np.testing.assert_allclose(fn(H), uwgnn_jax.wmmse(H, num_iters=30),
                               rtol=1e-5, atol=1e-7)

  def test_vmap_equals_loop(self):
    H = rayleigh_batch(9, 6, 4)
    batched = uwgnn_jax.wmmse(H, noise_var=0.2)
    looped = jnp.stack([uwgnn_jax.wmmse(h, noise_var=0.2) for h in H])
    np.testing.assert_allclose(batched, looped, rtol=1e-5, atol=1e-7)


def test_p_init_is_used():
  H = channels.rayleigh(jax.random.PRNGKey(10), 4)
  start = jnp.array([0.0, 1.0, 0.0, 1.0])
  p = uwgnn_jax.wmmse(H, p_init=start, num_iters=5)
  # A user switched off stays off in WMMSE (u = 0 => v = 0).
  np.testing.assert_allclose(p[jnp.array([0, 2])], 0.0)
  assert np.all(np.asarray(p[jnp.array([1, 3])]) > 0)


@pytest.mark.parametrize("H, noise", [
    (jnp.zeros((4, 4)), 0.1),                                  # no channel
    (jnp.diag(jnp.array([1.0, 0.0, 2.0])), 0.1),               # a dead link
    (jnp.eye(3) * 1e-3, channels.GEOMETRIC_NOISE_VAR),         # tiny noise
    (jnp.array([[1e3, 1e-8], [1e-8, 1e-6]]), 1e-12),           # huge range
])
def test_no_nan_on_degenerate_channels(H, noise):
  p, trace = uwgnn_jax.wmmse_trace(H, noise_var=noise)
  assert np.all(np.isfinite(np.asarray(p))) and np.all(
      np.isfinite(np.asarray(trace)))
  assert np.all(np.asarray(p) >= 0) and np.all(np.asarray(p) <= 1.0)


def test_geometric_network_no_nan_and_better_than_truncated():
  keys = jax.random.split(jax.random.PRNGKey(11), 32)
  H = jax.vmap(lambda k: channels.geometric(k, 20))(keys)
  noise = channels.GEOMETRIC_NOISE_VAR
  p_full = uwgnn_jax.wmmse(H, noise_var=noise)
  p_trunc = uwgnn_jax.wmmse(H, noise_var=noise, num_iters=4)
  assert np.all(np.isfinite(np.asarray(p_full)))
  assert (uwgnn_jax.sum_rate(H, p_full, noise_var=noise).mean() >
          uwgnn_jax.sum_rate(H, p_trunc, noise_var=noise).mean())


def test_best_of_random_starts_beats_single_run():
  H = rayleigh_batch(12, 50, 10)
  single = uwgnn_jax.sum_rate(H, uwgnn_jax.wmmse(H, noise_var=0.1),
                              noise_var=0.1).mean()
  best = uwgnn_jax.wmmse_best_of_random_starts(
      jax.random.PRNGKey(13), H, num_starts=16, noise_var=0.1)
  assert best.shape == (50, 10)
  best_rate = uwgnn_jax.sum_rate(H, best, noise_var=0.1).mean()
  assert best_rate > 1.01 * single  # ~104% at 16 starts (docs/DESIGN.md s.2).
  one = uwgnn_jax.wmmse_best_of_random_starts(
      jax.random.PRNGKey(13), H[0], num_starts=1, noise_var=0.1)
  assert one.shape == (10,)
