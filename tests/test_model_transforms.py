"""The learned allocators under JAX transforms: jit == no-jit, vmap == loop,
finite gradients (also at XLA's optimisation level 0, which the suite runs
at: tests/conftest.py), no retrace."""

import os

import chex
import jax
import jax.numpy as jnp
import numpy as np

import uwgnn_jax
from uwgnn_jax import models

from test_models import GRAPH_MODELS, batch, params_of


class TransformsTest(chex.TestCase):

  @chex.variants(with_jit=True, without_jit=True)
  def test_jit_equals_nojit(self):
    for name in GRAPH_MODELS + ("mlp",):
      params = params_of(name)
      H = batch(3, 6)
      fn = self.variant(lambda p, h: uwgnn_jax.allocate(p, h, noise_var=0.1))
      # Reference: the module itself, one network at a time, nothing jitted.
      with jax.disable_jit():
        expected = [models.apply_canonical(params, h / jnp.sqrt(0.1),
                                           jnp.ones(6)) for h in H]
      np.testing.assert_allclose(fn(params, H), jnp.stack(expected),
                                 rtol=1e-5, atol=1e-7, err_msg=name)

  def test_vmap_equals_loop_and_grad_is_finite(self):
    for name in GRAPH_MODELS + ("mlp",):
      params = params_of(name)
      H = batch(3, 6)
      vmapped = jax.vmap(lambda h: uwgnn_jax.allocate(params, h))(H)
      looped = jnp.stack([uwgnn_jax.allocate(params, h) for h in H])
      np.testing.assert_allclose(vmapped, looped, rtol=1e-5, atol=1e-7)
      loss = lambda p: -jnp.mean(uwgnn_jax.sum_rate(
          H, uwgnn_jax.allocate(p, H)))
      grads = jax.grad(loss)(params)
      leaves = jax.tree.leaves(grads)
      assert all(np.all(np.isfinite(np.asarray(g))) for g in leaves), name
      assert any(np.any(np.asarray(g) != 0) for g in leaves), name


def test_no_retrace_on_second_call():
  params = params_of("uwgnn")
  traces = []
  @jax.jit
  def fn(p, h):
    traces.append(1)
    return uwgnn_jax.allocate(p, h)
  fn(params, batch(2, 6))
  fn(params, batch(2, 6, seed=9))
  assert len(traces) == 1


def test_gradients_stay_finite_when_xla_fuses_differently():
  """The fused message+MAX gave NaN gradients at XLA's backend optimisation
  level 0 (jnp.max's JVP found no operand equal to its recomputed result);
  the custom JVP of the MAX over senders picks the winner once. The suite
  runs at level 0 (tests/conftest.py), so this grad compiles there."""
  assert "--xla_backend_optimization_level=0" in os.environ["XLA_FLAGS"]
  params = models.init("uwgnn", jax.random.PRNGKey(0), 6)
  H = jnp.abs(jax.random.normal(jax.random.PRNGKey(3), (3, 6, 6)))
  grads = jax.grad(lambda q: -jnp.mean(uwgnn_jax.sum_rate(
      H, uwgnn_jax.allocate(q, H))))(params)
  assert all(np.all(np.isfinite(g)) for g in jax.tree.leaves(grads))
