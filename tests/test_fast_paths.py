"""The speed issue's guarantees, checked structurally (no timed asserts):
the fast WMMSE loop computes no rates, public calls compile once per shape,
and chunked batching equals plain vmap."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import uwgnn_jax
from uwgnn_jax import batching
from uwgnn_jax import channels
from uwgnn_jax import models
from uwgnn_jax import rates
from uwgnn_jax import wmmse_algorithm
from uwgnn_jax import allocation


def _loop_body(with_trace: bool) -> list:
  """(primitive name, output ranks) inside the WMMSE iteration loop of the
  jitted core, run on a batch of 3 networks of K = 4."""
  H = jnp.ones((3, 4, 4))
  jaxpr = jax.make_jaxpr(
      lambda h: wmmse_algorithm._wmmse_jit(
          h, 1.0, 1.0, jnp.ones(4), None, num_iters=7,
          with_trace=with_trace))(H)
  loops = []

  def visit(jaxpr):
    for eqn in jaxpr.eqns:
      if eqn.primitive.name in ("while", "scan") and any(
          "dot_general" in str(p) for p in eqn.params.values()):
        loops.append(eqn)
      for param in eqn.params.values():
        for sub in (param if isinstance(param, (list, tuple)) else [param]):
          inner = getattr(sub, "jaxpr", None)
          if inner is not None:
            visit(getattr(inner, "jaxpr", inner))

  visit(jaxpr.jaxpr)
  innermost = loops[-1]
  body = innermost.params.get("body_jaxpr") or innermost.params["jaxpr"]
  return [(e.primitive.name, [v.aval.ndim for v in e.outvars])
          for e in body.jaxpr.eqns]


def test_fast_wmmse_loop_has_two_products_and_no_rate():
  body = _loop_body(with_trace=False)
  names = [name for name, _ in body]
  assert names.count("dot_general") == 2  # Eqs. 6 and 8, nothing else.
  assert "log" not in names and "transpose" not in names
  # The gains are formed once, before the loop: nothing in the loop but
  # the two products reads or writes a [chunk, K, K] array.
  assert all(max(ranks, default=0) < 3 for name, ranks in body
             if name != "dot_general")


def test_trace_computes_the_rate_in_the_loop():
  names = [name for name, _ in _loop_body(with_trace=True)]
  assert "log" in names and names.count("dot_general") == 3


@pytest.mark.parametrize("public, core", [
    (lambda H: uwgnn_jax.wmmse(H, noise_var=0.1, num_iters=5),
     wmmse_algorithm._wmmse_jit),
    (lambda H: uwgnn_jax.sum_rate(H, jnp.ones(H.shape[:-1]), noise_var=0.1),
     rates._sum_rate_jit),
    (lambda H: uwgnn_jax.allocate(models.init("uwgnn", jax.random.PRNGKey(0),
                                              4), H, noise_var=0.1),
     allocation._allocate_jit),
])
def test_eager_calls_compile_once_per_shape(public, core):
  H = jnp.abs(jax.random.normal(jax.random.PRNGKey(1), (3, 4, 4)))
  first = public(H)
  size = core._cache_size()
  second = public(H * 2.0)  # Same shapes, other values: no new compile.
  assert core._cache_size() == size
  assert first.shape == second.shape


def test_chunked_batches_equal_vmap_with_remainder_and_broadcast():
  H = jax.vmap(lambda k: channels.rayleigh(k, 5))(
      jax.random.split(jax.random.PRNGKey(2), 14)).reshape(2, 7, 5, 5)
  weights = jnp.linspace(0.5, 1.5, 5)  # [K], broadcast over both batch axes.
  single = lambda h, a: wmmse_algorithm.wmmse_canonical(h, a, 20)
  # 100 bytes per network in 1 MiB chunks -> chunks of 8192: one vmap.
  # 2**18 bytes -> chunks of 4 networks: three chunks and a remainder of 2.
  for bytes_per_network in (100, 2**18):
    got = batching.over_networks(single, (H, weights), (2, 1),
                                 bytes_per_network)
    expected = jax.vmap(jax.vmap(single, (0, None)), (0, None))(H, weights)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)
  assert batching.chunk_size(2**18) == 4


def test_one_full_power_start_is_plain_wmmse():
  H = jax.vmap(lambda k: channels.rayleigh(k, 6))(
      jax.random.split(jax.random.PRNGKey(3), 9))
  best = uwgnn_jax.wmmse_best_of_random_starts(
      jax.random.PRNGKey(4), H, num_starts=1, noise_var=0.1,
      include_full_power=True)
  np.testing.assert_allclose(best, uwgnn_jax.wmmse(H, noise_var=0.1),
                             rtol=1e-5, atol=1e-7)
  more = uwgnn_jax.wmmse_best_of_random_starts(
      jax.random.PRNGKey(4), H, num_starts=4, noise_var=0.1,
      include_full_power=True)
  # Keeping the best start per network never loses to the full-power one.
  assert np.all(np.asarray(uwgnn_jax.sum_rate(H, more, noise_var=0.1)) >=
                np.asarray(uwgnn_jax.sum_rate(H, best, noise_var=0.1)) - 1e-5)
