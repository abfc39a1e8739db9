"""Networks known on their kept links: the cell grid's top-k graphs from
positions, and allocate / WMMSE / sum rate on a SparseNetwork."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import uwgnn_jax
from uwgnn_jax import cell_grid
from uwgnn_jax import channels
from uwgnn_jax import graphs

NOISE = channels.GEOMETRIC_NOISE_VAR


def spatial(num_pairs, seed=0):
  layout = channels.spatial_layout(jax.random.PRNGKey(seed), num_pairs)
  key = jax.random.PRNGKey(seed + 100)
  return key, layout, cell_grid.dense_channel(key, layout)


@functools.partial(jax.jit, static_argnames=("top_k", "half_width",
                                             "cell_width"))
def from_positions(key, layout, top_k, half_width, cell_width):
  return cell_grid.top_k_network(key, layout, top_k, half_width=half_width,
                                 cell_width=cell_width)


def test_one_cell_grid_is_the_dense_top_k_graph():
  key, layout, H = spatial(30)
  half = channels.spatial_half_width(30)
  network, left_out = from_positions(key, layout, 4, half, 4 * half)
  dense = graphs.top_k_network(H, 4)
  assert int(left_out) == 0
  np.testing.assert_array_equal(network.graph.senders, dense.graph.senders)
  np.testing.assert_array_equal(network.graph.receivers,
                                dense.graph.receivers)
  np.testing.assert_allclose(network.edges, dense.edges, rtol=1e-6)
  np.testing.assert_allclose(network.direct, jnp.diagonal(H), rtol=1e-6)


def test_cells_keep_nearly_every_strongest_interferer():
  key, layout, H = spatial(400, seed=1)
  half = channels.spatial_half_width(400)
  network, left_out = from_positions(key, layout, 8, half,
                                     cell_grid.DEFAULT_CELL_WIDTH)
  dense = graphs.top_k_network(H, 8)
  same = np.mean(np.sort(np.asarray(network.graph.senders).reshape(400, 8)) ==
                 np.sort(np.asarray(dense.graph.senders).reshape(400, 8)))
  assert int(left_out) == 0 and same > 0.95
  np.testing.assert_allclose(network.direct, jnp.diagonal(H), rtol=1e-6)


def test_network_functions_equal_the_top_k_paths():
  _, _, H = spatial(30, seed=2)
  network = graphs.top_k_network(H, 4)
  params = uwgnn_jax.pretrained("uwgnn_spatial")
  np.testing.assert_allclose(
      uwgnn_jax.allocate_network(params, network, noise_var=NOISE),
      uwgnn_jax.allocate(params, H, noise_var=NOISE, top_k=4), rtol=1e-5,
      atol=1e-7)
  p = uwgnn_jax.wmmse_network(network, noise_var=NOISE, num_iters=20)
  np.testing.assert_allclose(
      p, uwgnn_jax.wmmse(H, noise_var=NOISE, num_iters=20, top_k=4),
      rtol=1e-4, atol=1e-7)
  every_link = graphs.top_k_network(H, 29)
  np.testing.assert_allclose(
      uwgnn_jax.network_sum_rate(every_link, p, noise_var=NOISE),
      uwgnn_jax.sum_rate(H, p, noise_var=NOISE), rtol=1e-5)
  assert float(uwgnn_jax.network_sum_rate(network, p, noise_var=NOISE)) > \
      float(uwgnn_jax.sum_rate(H, p, noise_var=NOISE))


def test_bad_networks_are_clear_errors():
  _, _, H = spatial(6, seed=3)
  network = graphs.top_k_network(H, 2)
  with pytest.raises(ValueError, match="must be a graphs.SparseNetwork"):
    uwgnn_jax.wmmse_network(H)
  with pytest.raises(ValueError, match=r"`network.direct` must have shape"):
    uwgnn_jax.wmmse_network(network._replace(direct=network.direct[:5]))
  with pytest.raises(ValueError, match="`network.edges` must be finite"):
    uwgnn_jax.wmmse_network(network._replace(edges=-network.edges))
  bad = network.graph._replace(senders=network.graph.senders + 6)
  with pytest.raises(ValueError, match=r"senders` must lie in \[0, 6\)"):
    uwgnn_jax.network_sum_rate(network._replace(graph=bad), jnp.ones(6))
  with pytest.raises(ValueError, match="needs a graph model"):
    uwgnn_jax.allocate_network(uwgnn_jax.init_params(
        "mlp", jax.random.PRNGKey(0), 6), network)
