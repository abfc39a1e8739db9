"""The UWMMSE paper's GNN baselines, REGNN and IGCNet: sizes by hand, the
graph filter against its matrix polynomial, and the graph-model contract
(shapes, power bounds, permutation equivariance, any K, both layouts)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import uwgnn_jax
from uwgnn_jax import graphs
from uwgnn_jax import models
from uwgnn_jax import units
from uwgnn_jax.models import regnn
from uwgnn_jax.models import uwmmse

from test_models import assert_layouts_agree, batch, params_of

BASELINES = ("regnn", "igcnet")


def test_parameter_counts_by_hand():
  # REGNN: 4 taps x [2 -> 8, 8 -> 8, 8 -> 1] kernels plus biases.
  assert uwgnn_jax.num_params(params_of("regnn")) == (
      4 * 2 * 8 + 8 + 4 * 8 * 8 + 8 + 4 * 8 * 1 + 1)  # 369
  # IGCNet: WCGCN's message MLP 5 -> 16 -> 32 (640), update on
  # [max, sum, x] = 67 -> 16 -> 1.
  assert uwgnn_jax.num_params(params_of("igcnet")) == (
      640 + 67 * 16 + 16 + 16 + 1)  # 1,745
  assert models.num_layers(params_of("regnn")) == 3


@pytest.mark.parametrize("name, sizes, match", [
    ("regnn", dict(features=(8, 2)), "must end in width 1"),
    ("regnn", dict(features=()), "must end in width 1"),
    ("regnn", dict(taps=0), "must be >= 1"),
    ("igcnet", dict(aggregation="max"), "not a size"),
    ("wcgcn", dict(aggregation="max_sum"), "not a size"),
])
def test_bad_sizes_are_clear_errors(name, sizes, match):
  with pytest.raises(ValueError, match=match):
    models.init(name, jax.random.PRNGKey(0), 4, **sizes)
  # Lists are sizes too (they become static arguments of the jit).
  assert models.num_layers(models.init("regnn", jax.random.PRNGKey(0), 4,
                                       features=[4, 1])) == 2


def test_graph_filter_is_the_matrix_polynomial():
  """sum_k (S^k x) A_k + b with S = diag(S_ii) + S_offdiag / (K - 1)."""
  K, taps = 4, 3
  H = batch(1, K, seed=5)[0] * 3.0
  edges = graphs.dense_edge_features(H)
  shift_edges, shift_self = uwmmse.shift_operator(jnp.diagonal(H), edges)
  x = jax.random.normal(jax.random.PRNGKey(7), (K, 2))
  layer = regnn.GraphFilter(5, taps)
  variables = layer.init(jax.random.PRNGKey(8), graphs.DenseGraph(K),
                         shift_edges, shift_self, x)
  got = layer.apply(variables, graphs.DenseGraph(K), shift_edges,
                    shift_self, x)
  s = np.log1p(np.square(np.asarray(H))) / uwmmse.SHIFT_SCALE
  S = np.diag(np.diag(s)) + (s - np.diag(np.diag(s))) / (K - 1)
  kernel = np.asarray(variables["params"]["taps"]["kernel"]).reshape(
      taps, 2, 5)
  expected = sum(np.linalg.matrix_power(S, k) @ np.asarray(x) @ kernel[k]
                 for k in range(taps)) + np.asarray(
                     variables["params"]["taps"]["bias"])[None]
  np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", BASELINES)
def test_graph_model_contract(name):
  params = params_of(name)
  H = batch(3, 6)  # The shapes test_models compiles.
  p = uwgnn_jax.allocate(params, H * 7.0, noise_var=0.3, p_max=2.5)
  assert p.shape == (3, 6)
  assert np.all(np.asarray(p) >= 0) and np.all(np.asarray(p) <= 2.5)
  # Canonical units, and vmap == a loop over networks.
  canonical = uwgnn_jax.allocate(params, units.to_canonical_channel(
      H * 7.0, 0.3, 2.5))
  np.testing.assert_allclose(p / 2.5, canonical, rtol=1e-4, atol=1e-6)
  looped = jnp.stack([uwgnn_jax.allocate(params, h) for h in H])
  np.testing.assert_allclose(
      jax.vmap(lambda h: uwgnn_jax.allocate(params, h))(H), looped,
      rtol=1e-5, atol=1e-7)
  # Finite, non-zero gradients through `allocate`.
  grads = jax.tree.leaves(jax.grad(lambda q: -jnp.mean(uwgnn_jax.sum_rate(
      H, uwgnn_jax.allocate(q, H))))(params))
  assert all(np.all(np.isfinite(g)) for g in grads)
  assert any(np.any(g != 0) for g in grads)
  # Permutation equivariance, with weights.
  alpha = jax.random.uniform(jax.random.PRNGKey(2), (6,))
  perm = jnp.array([5, 2, 0, 4, 1, 3])
  single = uwgnn_jax.allocate(params, H[0], noise_var=0.1, weights=alpha)
  permuted = uwgnn_jax.allocate(params, H[0][perm][:, perm], noise_var=0.1,
                                weights=alpha[perm])
  np.testing.assert_allclose(permuted, single[perm], rtol=1e-5, atol=1e-6)
  # Any K, on both layouts alike.
  assert_layouts_agree(params, [batch(1, 1, seed=3)[0],
                                 batch(1, 11, seed=4)[0]])
