"""Every bad input named in docs/DESIGN.md section 5 raises a clear ValueError."""

import jax.numpy as jnp
import numpy as np
import pytest

import uwgnn_jax

GOOD = jnp.ones((3, 3))
FUNCTIONS = {
    "sum_rate": lambda H, **kw: uwgnn_jax.sum_rate(H, jnp.ones(H.shape[:-1]),
                                                  **kw),
    "wmmse": uwgnn_jax.wmmse,
}


@pytest.mark.parametrize("fn", FUNCTIONS.values(), ids=FUNCTIONS.keys())
@pytest.mark.parametrize("H, match", [
    (jnp.ones((3, 4)), r"`H` must have shape \[..., K, K\].*\(3, 4\)"),
    (jnp.ones((3,)), r"`H` must have shape"),
    (-GOOD, "`H` must be non-negative"),
    (GOOD.at[0, 1].set(jnp.nan), "`H` has non-finite"),
    (GOOD.at[0, 1].set(jnp.inf), "`H` has non-finite"),
    (GOOD.astype(jnp.complex64), "complex"),
])
def test_bad_channel(fn, H, match):
  with pytest.raises(ValueError, match=match):
    fn(H)


@pytest.mark.parametrize("fn", FUNCTIONS.values(), ids=FUNCTIONS.keys())
@pytest.mark.parametrize("kwargs, match", [
    (dict(noise_var=0.0), "`noise_var` must be a finite number > 0; got 0.0"),
    (dict(noise_var=-1.0), "`noise_var`"),
    (dict(noise_var=float("nan")), "`noise_var`"),
    (dict(noise_var=jnp.ones(3)), r"`noise_var` must be a scalar; got shape"),
    (dict(weights=jnp.ones(4)), r"`weights` must have shape \(3,\).*\(4,\)"),
    (dict(weights=-jnp.ones(3)), "`weights` must be finite and non-negative"),
])
def test_bad_scalars_and_weights(fn, kwargs, match):
  with pytest.raises(ValueError, match=match):
    fn(GOOD, **kwargs)


def test_bad_p_max_and_iterations():
  with pytest.raises(ValueError, match="`p_max`"):
    uwgnn_jax.wmmse(GOOD, p_max=0.0)
  with pytest.raises(ValueError, match="`num_iters` must be >= 0"):
    uwgnn_jax.wmmse(GOOD, num_iters=-1)
  with pytest.raises(ValueError, match=r"`p_init` must have shape \(3,\)"):
    uwgnn_jax.wmmse(GOOD, p_init=np.ones(2))


def test_bad_power_in_sum_rate():
  with pytest.raises(ValueError, match=r"`p` must have shape \(3,\)"):
    uwgnn_jax.sum_rate(GOOD, jnp.ones(2))


def test_bad_power_values():
  with pytest.raises(ValueError, match="`p` must be finite and non-negative"):
    uwgnn_jax.sum_rate(GOOD, -jnp.ones(3))
