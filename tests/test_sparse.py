"""Top-k graphs built inside jit (allocate and WMMSE with `top_k`) and
spatial networks of any size."""

import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import uwgnn_jax
from uwgnn_jax import channels
from uwgnn_jax import graphs
from uwgnn_jax import models
from uwgnn_jax.training import config as config_lib
from uwgnn_jax.training import data

H3 = jnp.array([[1.0, 0.2, 0.7],
                [0.5, 2.0, 0.1],
                [0.9, 0.3, 3.0]])
K = 6
# [3, 6, 6]: the batch shape test_models compiles `allocate` at.
H = jax.vmap(lambda k: channels.rayleigh(k, K))(
    jax.random.split(jax.random.PRNGKey(7), 3))


def test_blocked_row_top_indices_are_top_k_exactly(monkeypatch):
  """The column-block search (used from 2,048 columns on) gives
  lax.top_k's indices, ties to the lower column included: continuous
  gains, many ties, all-zero rows but one link, a last block cut short."""
  monkeypatch.setattr(graphs, "BLOCKED_TOP_MIN_COLUMNS", 0)
  rng = np.random.default_rng(0)
  # A tie across blocks chosen out of column order: 5 and 1 in block 20,
  # the lower-column 1 in block 3 (b = 8: 26 blocks, the last of 3).
  crossed = np.zeros((1, 203))
  crossed[0, [160, 161, 24]] = [5.0, 1.0, 1.0]
  x = np.concatenate([rng.random((2, 203)), rng.integers(0, 3, (2, 203)),
                      np.eye(2, 203), crossed]).astype(np.float32)
  assert graphs._top_block_width(203, 5) == 8
  top = jax.jit(graphs.row_top_indices, static_argnums=1)
  np.testing.assert_array_equal(top(x, 5), jax.lax.top_k(x, 5)[1])
  # The widths the default threshold gives (b = 16 at C = 4,100, n = 17):
  # random, tied and nearly empty rows; integer rows take lax.top_k.
  monkeypatch.undo()
  wide = np.concatenate([rng.random((1, 4100)), rng.integers(0, 3, (1, 4100)),
                         np.eye(1, 4100, 4099)]).astype(np.float32)
  assert graphs._top_block_width(4100, 17) == 16
  np.testing.assert_array_equal(top(wide, 17), jax.lax.top_k(wide, 17)[1])
  whole = (2**24 + np.arange(4100)[None]).astype(np.int32)  # Not float32.
  np.testing.assert_array_equal(top(whole, 2), [[4099, 4098]])


def test_top_k_graph_by_hand():
  graph, edges = jax.jit(graphs.top_k_graph, static_argnums=1)(H3, 1)
  # Strongest interferer of receiver 0: tx 2 (0.7); of 1: tx 0 (0.5); of 2:
  # tx 0 (0.9). Receiver-major, one edge each.
  np.testing.assert_array_equal(graph.receivers, [0, 1, 2])
  np.testing.assert_array_equal(graph.senders, [2, 0, 0])
  np.testing.assert_allclose(edges, [[0.7, 0.9], [0.5, 0.2], [0.9, 0.7]])
  assert graph.num_nodes == 3
  # top_k >= K - 1 keeps every link once; the host builder agrees.
  graph, edges = graphs.top_k_graph(H3, 5)
  assert edges.shape == (6, 2)
  host = graphs.channel_graph(H3, top_k=2)
  assert ({(int(s), int(r)) for s, r in zip(graph.senders, graph.receivers)}
          == {(int(s), int(r)) for s, r in zip(host.senders, host.receivers)})


@pytest.mark.parametrize("name", ["uwgnn", "uwmmse"])
def test_allocate_with_every_link_kept_is_the_dense_model(name):
  params = models.init(name, jax.random.PRNGKey(0), K)
  dense = uwgnn_jax.allocate(params, H, noise_var=0.1)
  np.testing.assert_allclose(
      uwgnn_jax.allocate(params, H, noise_var=0.1, top_k=K - 1), dense,
      rtol=1e-5, atol=1e-6)


def test_allocate_top_k_is_permutation_equivariant_and_jit_safe():
  params = models.init("wcgcn", jax.random.PRNGKey(1), K)
  perm = np.array([3, 0, 5, 1, 4, 2])
  p = uwgnn_jax.allocate(params, H, noise_var=0.1, top_k=2)
  p_perm = uwgnn_jax.allocate(params, H[:, perm][:, :, perm], noise_var=0.1,
                              top_k=2)
  np.testing.assert_allclose(p_perm, p[:, perm], rtol=1e-5, atol=1e-6)
  jitted = jax.jit(lambda h: uwgnn_jax.allocate(params, h, noise_var=0.1,
                                                top_k=2))
  np.testing.assert_allclose(jitted(H), p, rtol=1e-5, atol=1e-6)


def test_sparse_wmmse_is_dense_wmmse_on_the_kept_links():
  """WMMSE on the top-k graph equals dense WMMSE on H with every other
  interference link set to 0; its kept-links objective never falls."""
  top = 2
  senders = np.asarray(jax.vmap(graphs.strongest_interferers, (0, None))(
      H, top))  # [3, K, top]
  keep = np.repeat(np.eye(K, dtype=bool)[None], len(H), axis=0)
  np.put_along_axis(keep, senders, True, axis=-1)
  masked = np.where(keep, np.asarray(H), np.float32(0.0))
  np.testing.assert_allclose(
      uwgnn_jax.wmmse(H, noise_var=0.1, top_k=top, num_iters=20),
      uwgnn_jax.wmmse(masked, noise_var=0.1, num_iters=20),
      rtol=1e-4, atol=1e-6)
  _, trace = uwgnn_jax.wmmse_trace(H, noise_var=0.1, top_k=top, num_iters=20)
  assert np.all(np.diff(np.asarray(trace), axis=-1) > -1e-4)
  np.testing.assert_allclose(
      uwgnn_jax.wmmse(H, noise_var=0.1, top_k=K, num_iters=20),
      uwgnn_jax.wmmse(H, noise_var=0.1, num_iters=20), rtol=1e-5, atol=1e-6)


def test_bad_top_k_is_a_clear_error():
  params = models.init("uwgnn", jax.random.PRNGKey(0), K)
  for bad in (0, 2.5, "3", True):
    with pytest.raises(ValueError, match="top_k"):
      uwgnn_jax.allocate(params, H, noise_var=0.1, top_k=bad)
    with pytest.raises(ValueError, match="top_k"):
      uwgnn_jax.wmmse(H, noise_var=0.1, top_k=bad)
  mlp = models.init("mlp", jax.random.PRNGKey(0), K)
  with pytest.raises(ValueError, match="top_k.*graph model"):
    uwgnn_jax.allocate(mlp, H, noise_var=0.1, top_k=2)


def test_spatial_networks_keep_their_density_at_any_size():
  for n in (20, 80):
    layout = jax.jit(channels.spatial_layout, static_argnums=1)(
        jax.random.PRNGKey(n), n)
    half = 20.0 * np.sqrt(n / 20)
    assert layout.transmitters.shape == (n, 2)
    assert float(jnp.abs(layout.transmitters).max()) <= half
    assert float(jnp.abs(layout.receivers - layout.transmitters).max()) <= 5.0
  # 4x the pairs on 4x the area: pairs per unit area unchanged.
  spread = jnp.ptp(layout.transmitters, axis=0)
  assert float(spread.min()) > 0.8 * 2 * 20.0 * 2
  H_batch = jax.vmap(lambda k: channels.spatial(k, 8))(
      jax.random.split(jax.random.PRNGKey(0), 3))
  assert H_batch.shape == (3, 8, 8) and bool(jnp.all(H_batch > 0))
  config = config_lib.TrainConfig(channel="spatial", num_users=8)
  assert config.effective_noise_var == channels.GEOMETRIC_NOISE_VAR
  dataset = data.make_dataset(jax.random.PRNGKey(0), config, 4)
  assert dataset.H.shape == (4, 8, 8)


def test_scale_benchmark_rows(tmp_path):
  from experiments import benchmark_scale  # pylint: disable=g-import-not-at-top
  sizes = {"6": benchmark_scale.measure(6, 2, ["uwgnn"], 6, 1,
                                        log=lambda line: None)}
  rows = sizes["6"]["rows"]
  assert set(rows) == {"wmmse_dense", "wmmse_top2", "uwgnn_top2",
                       "uwgnn_dense"}
  assert rows["wmmse_dense"]["percent_of_dense_wmmse"] == 100.0
  for row in rows.values():
    assert row["seconds"] > 0 and 0 < row["percent_of_dense_wmmse"] < 150
  # WMMSE alone: allocate_network itself is tested in test_cell_grid.py.
  positions = {"30": benchmark_scale.measure_positions(
      30, 2, [], 1, log=lambda line: None)}
  cells = positions["30"]["rows"]
  assert set(cells) == {"wmmse_cells_top2"}
  assert cells["wmmse_cells_top2"]["percent_of_sparse_wmmse"] == 100.0
  assert cells["wmmse_cells_top2"]["seconds"] > 0
  assert positions["30"]["left_out_of_full_cells"] == 0
  assert benchmark_scale.agreement(30, 2) == 1.0  # One cell: exact.
  assert os.path.getsize(benchmark_scale.plot(
      dict(top_k=2, sizes=sizes, positions=positions), str(tmp_path))) > 1000


def test_uwmmse_layers_on_a_top_k_graph_are_sparse_wmmse():
  """With a = 1, b = 0, mu = 0, UWMMSE's layers on a top-k graph are sparse
  WMMSE iterations: each transmitter's leakage runs over its own kept
  outgoing links, not the reverses of its incoming ones."""
  from uwgnn_jax import wmmse_algorithm  # pylint: disable=g-import-not-at-top
  from uwgnn_jax.models import uwmmse  # pylint: disable=g-import-not-at-top
  h = jnp.array([[1.0, 0.01, 0.5], [2.0, 1.0, 0.1], [0.3, 0.2, 1.0]]) * 3.0
  alpha = jnp.array([1.0, 0.5, 0.8])
  graph, edges = graphs.top_k_graph(h, 1)  # Kept: 2->0, 0->1, 0->2.
  in_gains, direct, v = jnp.square(edges[..., :1]), jnp.diagonal(h), jnp.ones(3)
  for _ in range(3):
    u, w = uwmmse.receiver_update(graph, direct, in_gains, v)
    v = uwmmse.transmitter_update(graph, direct, in_gains, alpha, u, w, 0.0)
  expected = wmmse_algorithm.wmmse_amplitudes(h, alpha, jnp.ones(3), 3, 1)
  np.testing.assert_allclose(v, expected, rtol=1e-5)


def test_spatial_channel_rejects_settings_it_ignores():
  for bad in (dict(density=4.0), dict(fixed_layout=True)):
    with pytest.raises(ValueError, match="spatial"):
      config_lib.TrainConfig(channel="spatial", **bad)
