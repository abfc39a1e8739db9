"""Graph construction and the two message-passing layouts."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from uwgnn_jax import graphs

H = jnp.array([[1.0, 0.2, 0.7],
               [0.5, 2.0, 0.1],
               [0.9, 0.3, 3.0]])


def test_fully_connected_graph_features():
  g = graphs.channel_graph(H, weights=np.array([1.0, 0.5, 0.2]))
  assert g.nodes.shape == (3, 3) and g.edges.shape == (6, 2)
  np.testing.assert_allclose(g.nodes[:, 0], [1.0, 2.0, 3.0])
  np.testing.assert_allclose(g.nodes[:, 1], [1.0, 0.5, 0.2])
  for (s, r), e in zip(zip(g.senders, g.receivers), g.edges):
    assert s != r
    np.testing.assert_allclose(e, [H[r, s], H[s, r]])


def test_threshold_and_top_k():
  g = graphs.channel_graph(H, threshold=0.4)
  kept = {(int(r), int(s)) for s, r in zip(g.senders, g.receivers)}
  assert kept == {(0, 2), (1, 0), (2, 0)}  # H[0,2]=.7, H[1,0]=.5, H[2,0]=.9
  g = graphs.channel_graph(H, top_k=1)
  kept = {(int(r), int(s)) for s, r in zip(g.senders, g.receivers)}
  assert kept == {(0, 2), (1, 0), (2, 0)}
  with pytest.raises(ValueError, match="at most one"):
    graphs.channel_graph(H, threshold=0.1, top_k=1)


def test_batch_with_padding_of_different_sizes():
  small = graphs.channel_graph(H[:2, :2])
  big = graphs.channel_graph(H)
  batch = graphs.batch_graphs([small, big])
  assert batch.nodes.shape[0] == 64 and batch.edges.shape[0] == 64
  mask = np.asarray(graphs.node_padding_mask(batch))
  assert mask.sum() == 5
  with pytest.raises(ValueError, match="Padding too small"):
    graphs.batch_graphs([small, big], pad_nodes_to=4)


def test_dense_and_edge_list_aggregations_agree():
  x = jax.random.normal(jax.random.PRNGKey(0), (3, 4))
  g = graphs.channel_graph(H)
  sparse = graphs.edge_list_graph(g)
  dense = graphs.DenseGraph(3)
  edge_messages_dense = dense.from_senders(x) * H[:, :, None]
  edge_messages_sparse = sparse.from_senders(x) * jnp.asarray(g.edges[:, :1])
  for agg in ("max_at_receivers", "sum_at_receivers", "mean_at_receivers"):
    np.testing.assert_allclose(
        getattr(dense, agg)(jnp.broadcast_to(edge_messages_dense, (3, 3, 4))),
        getattr(sparse, agg)(edge_messages_sparse), rtol=1e-6, err_msg=agg)
  # Hand check: receiver 0 sees senders 1, 2 with H[0,1]=.2, H[0,2]=.7.
  np.testing.assert_allclose(
      dense.sum_at_receivers(jnp.broadcast_to(edge_messages_dense,
                                              (3, 3, 4)))[0],
      0.2 * x[1] + 0.7 * x[2], rtol=1e-6)


def test_lone_node_aggregates_to_zero():
  dense = graphs.DenseGraph(1)
  assert float(dense.max_at_receivers(jnp.ones((1, 1, 2))).sum()) == 0.0
  g = graphs.edge_list_graph(graphs.channel_graph(jnp.ones((1, 1))))
  assert float(g.max_at_receivers(jnp.ones((0, 2))).sum()) == 0.0


def test_bad_graph_input():
  with pytest.raises(ValueError, match=r"`weights` must have shape \(3,\)"):
    graphs.channel_graph(H, weights=np.ones(2))
  with pytest.raises(ValueError, match="one network"):
    graphs.channel_graph(jnp.ones((2, 3, 3)))
