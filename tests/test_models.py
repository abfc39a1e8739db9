"""The learned allocators through `allocate`: counts, bounds, equivariance,
any K, jit/vmap/grad, canonical units, both graph layouts."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import uwgnn_jax
from uwgnn_jax import channels
from uwgnn_jax import graphs
from uwgnn_jax import models
from uwgnn_jax import units

GRAPH_MODELS = ("uwgnn", "wcgcn", "uwmmse")
KEY = jax.random.PRNGKey(0)


def params_of(name, num_users=6):
  return models.init(name, KEY, num_users)


def batch(n, K, seed=1):
  return jax.vmap(lambda k: channels.rayleigh(k, K))(
      jax.random.split(jax.random.PRNGKey(seed), n))


@pytest.mark.parametrize("name, num_users, expected", [
    ("uwgnn", 20, 953),     # docs/DESIGN.md s.4; paper's 1.906K = 2 x 953.
    ("wcgcn", 20, 1233),    # paper's 2.466K = 2 x 1,233.
    ("uwmmse", 20, 212),    # 4 x 2 x 26 + 4 mu (BUILD_NOTES.md).
    ("mlp", 10, 43570),     # Sun et al. at K = 10.
])
def test_parameter_counts(name, num_users, expected):
  shapes = jax.eval_shape(lambda: models.init(name, KEY, num_users))
  assert uwgnn_jax.num_params(shapes) == expected


@pytest.mark.parametrize("name", [n for n, spec in models.MODELS.items()
                                  if spec.is_graph_model])
def test_graph_model_params_do_not_depend_on_the_example_size(name):
  """`init` draws a graph model's parameters on a 2-user example whatever
  K it is asked for (one compiled init serves every K); the module's own
  init at K = 7 has the same leaves, so the same values (flax draws each
  from its path and shape)."""
  at_seven = jax.eval_shape(lambda: models.MODELS[name].default_module(
      7).init(KEY, *models.example_inputs(name, 7))["params"])
  assert jax.tree.map(np.shape, at_seven) == jax.tree.map(
      np.shape, models.init(name, KEY, 7)[name])
  if name == "uwgnn":  # And the values, for one model (one more compile).
    jax.tree.map(np.testing.assert_array_equal,
                 models._init_params(name, KEY, 7, ()),
                 models.init(name, KEY, 7)[name])
  for bad in (0, 2.5, None):
    with pytest.raises(ValueError, match="`num_users` must be"):
      models.init(name, KEY, bad)


def test_sizes_are_read_back_from_params():
  params = models.init("uwgnn", KEY, 5, hidden=4, message=6, intermediate=2)
  module = models.module_for(params)
  assert (module.hidden, module.message, module.intermediate) == (4, 6, 2)
  p = uwgnn_jax.allocate(params, batch(3, 5))
  assert p.shape == (3, 5)


@pytest.mark.parametrize("name", GRAPH_MODELS + ("mlp",))
def test_shapes_and_power_bounds(name):
  H = batch(3, 6)  # The shapes test_model_transforms compiles.
  p = uwgnn_jax.allocate(params_of(name), H * 7.0, noise_var=0.3, p_max=2.5)
  assert p.shape == (3, 6)
  assert np.all(np.asarray(p) >= 0) and np.all(np.asarray(p) <= 2.5)
  single = uwgnn_jax.allocate(params_of(name), H[0] * 7.0, noise_var=0.3,
                              p_max=2.5)
  np.testing.assert_allclose(single, p[0], rtol=1e-5)


@pytest.mark.parametrize("name", GRAPH_MODELS)
def test_permutation_equivariance(name):
  H = batch(1, 6)[0]
  alpha = jax.random.uniform(jax.random.PRNGKey(2), (6,))
  perm = jnp.array([5, 2, 0, 4, 1, 3])
  params = params_of(name)
  p = uwgnn_jax.allocate(params, H, noise_var=0.1, weights=alpha)
  p_perm = uwgnn_jax.allocate(params, H[perm][:, perm], noise_var=0.1,
                              weights=alpha[perm])
  np.testing.assert_allclose(p_perm, p[perm], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", GRAPH_MODELS)
@pytest.mark.parametrize("num_users", [1, 2, 11])
def test_graph_models_take_any_size(name, num_users):
  p = uwgnn_jax.allocate(params_of(name), batch(2, num_users))
  assert p.shape == (2, num_users)
  assert np.all(np.isfinite(np.asarray(p)))


def test_mlp_rejects_other_sizes():
  with pytest.raises(ValueError, match=r"K = 7 users.*built for K = 6"):
    uwgnn_jax.allocate(params_of("mlp"), batch(2, 7))


@pytest.mark.parametrize("name", GRAPH_MODELS + ("mlp",))
def test_canonical_unit_invariance(name):
  H = batch(3, 6)
  params = params_of(name)
  raw = uwgnn_jax.allocate(params, H * 1e-3, noise_var=1e-7, p_max=4.0)
  canonical = uwgnn_jax.allocate(params, units.to_canonical_channel(
      H * 1e-3, 1e-7, 4.0))
  np.testing.assert_allclose(raw / 4.0, canonical, rtol=1e-4, atol=1e-6)


def assert_layouts_agree(params, Hs):
  """One padded jraph batch of the networks Hs gives each network's dense
  `allocate` powers."""
  p_graph = models.apply_graph(params, graphs.batch_graphs(
      [graphs.channel_graph(h) for h in Hs]))
  start = 0
  for h in Hs:
    np.testing.assert_allclose(p_graph[start:start + h.shape[0]],
                               uwgnn_jax.allocate(params, h),
                               rtol=1e-5, atol=1e-6)
    start += h.shape[0]
  assert np.all(np.isfinite(np.asarray(p_graph)))


@pytest.mark.parametrize("name", GRAPH_MODELS)
def test_dense_layout_equals_jraph_layout(name):
  assert_layouts_agree(params_of(name),
                       [batch(1, 6, seed=3)[0], batch(1, 3, seed=4)[0]])


@pytest.mark.parametrize("bad, match", [
    ({"resnet": {}}, "unknown model 'resnet'"),
    ({"uwgnn": {}, "wcgcn": {}}, "must be a model's parameter pytree"),
    ([1, 2], "must be a model's parameter pytree"),
])
def test_bad_params(bad, match):
  with pytest.raises(ValueError, match=match):
    uwgnn_jax.allocate(bad, jnp.ones((3, 3)))


def test_unknown_model_name():
  with pytest.raises(ValueError, match="Unknown model 'gnn'"):
    models.init("gnn", KEY)


def test_extreme_channels_give_finite_powers():
  for name in GRAPH_MODELS:
    H = jnp.array([[1e3, 0.0, 1e-9], [0.0, 0.0, 0.0], [1e2, 1e-9, 1e-3]])
    p = uwgnn_jax.allocate(params_of(name), H, noise_var=1e-10)
    assert np.all(np.isfinite(np.asarray(p))), name


def test_uwmmse_layers_reduce_to_wmmse():
  """With a = 1, b = 0, mu = 0 each UWMMSE layer is one WMMSE iteration."""
  from uwgnn_jax import wmmse_algorithm
  from uwgnn_jax.models import uwmmse
  H = channels.geometric(KEY, 8) * np.sqrt(1 / channels.GEOMETRIC_NOISE_VAR)
  alpha = jax.random.uniform(jax.random.PRNGKey(3), (8,))
  graph = graphs.DenseGraph(8)
  edges = graphs.dense_edge_features(H)
  direct = jnp.diagonal(H)
  v = jnp.ones(8)
  for _ in range(4):
    u, w = uwmmse.receiver_update(graph, direct, jnp.square(edges[..., :1]), v)
    v = uwmmse.transmitter_update(graph, direct, jnp.square(edges[..., :1]),
                                  alpha, u, w, 0.0)
  expected = wmmse_algorithm.wmmse_canonical(H, alpha, num_iters=4)
  np.testing.assert_allclose(jnp.square(v), expected, rtol=1e-4, atol=1e-7)


def test_gain_features_floor_weak_and_zero_links_alike():
  """log(max(H^2, 0.1)) / 10 on the direct gain and both edge gains: a
  dropped link (H = 0) reads as a link 10 dB under the noise."""
  from uwgnn_jax.models import layers
  nodes = jnp.array([[0.0, 7.0], [1.0, 7.0], [10.0, 7.0]])
  edges = jnp.array([[0.0, 0.1], [np.sqrt(0.1), 1.0]])
  new_nodes, new_edges = layers.gain_features(nodes, edges)
  floor = np.log(0.1) / 10  # -0.2303
  np.testing.assert_allclose(new_nodes, [[floor, 7.0], [0.0, 7.0],
                                         [np.log(100.0) / 10, 7.0]], rtol=1e-6)
  np.testing.assert_allclose(new_edges, [[floor, floor], [floor, 0.0]],
                             rtol=1e-5, atol=1e-7)


def test_graph_models_see_zero_links_as_weak_links():
  H = batch(1, 6, seed=4)[0]
  zeroed, weak = H.at[0, 1].set(0.0), H.at[0, 1].set(0.05)
  for name in ("uwgnn", "wcgcn", "igcnet"):
    np.testing.assert_array_equal(
        uwgnn_jax.allocate(params_of(name), zeroed, noise_var=1.0),
        uwgnn_jax.allocate(params_of(name), weak, noise_var=1.0))
