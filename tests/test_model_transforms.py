"""The learned allocators under JAX transforms: jit == no-jit, vmap == loop,
finite gradients through `allocate` (also at XLA's optimisation level 0,
which the suite runs at: tests/conftest.py), no retrace."""

import functools
import os

import chex
import jax
import jax.numpy as jnp
import numpy as np

import uwgnn_jax
from uwgnn_jax import models

from test_models import GRAPH_MODELS, batch, params_of


@functools.lru_cache(maxsize=None)
def _module_run_eagerly(name):
  """(params, H [3, 6, 6], powers): the module itself, one network at a
  time, nothing jitted; shared by both variants below (eager dispatch of
  every op is slow)."""
  params, H = params_of(name), batch(3, 6)
  with jax.disable_jit():
    expected = [models.apply_canonical(params, h / jnp.sqrt(0.1), jnp.ones(6))
                for h in H]
  return params, H, jnp.stack(expected)


class TransformsTest(chex.TestCase):

  @chex.variants(with_jit=True, without_jit=True)
  def test_jit_equals_nojit(self):
    for name in GRAPH_MODELS + ("mlp",):
      params, H, expected = _module_run_eagerly(name)
      fn = self.variant(lambda p, h: uwgnn_jax.allocate(p, h, noise_var=0.1))
      # Powers in [0, 1]: atol 1e-6 is a few float32 ulps of p_max, what the
      # MLP's 43,570-weight sums reorder by when XLA fuses them.
      np.testing.assert_allclose(fn(params, H), expected,
                                 rtol=1e-5, atol=1e-6, err_msg=name)

  def test_vmap_equals_loop(self):
    """Gradients: every model's in test_training's step test (the loss
    falls), `allocate`'s in the last test below."""
    for name in GRAPH_MODELS + ("mlp",):
      params = params_of(name)
      H = batch(3, 6)
      vmapped = jax.vmap(lambda h: uwgnn_jax.allocate(params, h))(H)
      looped = jnp.stack([uwgnn_jax.allocate(params, h) for h in H])
      np.testing.assert_allclose(vmapped, looped, rtol=1e-5, atol=1e-7)


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
  leaves = [np.asarray(g) for g in jax.tree.leaves(grads)]
  assert all(np.all(np.isfinite(g)) for g in leaves)
  assert any(np.any(g != 0) for g in leaves)
