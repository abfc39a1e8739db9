r"""Our WMMSE against the plain loop a new user would write, in one process.

    python -m experiments.wmmse_speed

The plain loop is the speed issue's reference: the three updates (eqs. 6-8)
in a `jax.lax.fori_loop` carrying v, squared gains formed once before the
loop, no sum rate inside it, jitted and vmapped. Both run WMMSE-100,
Tr-WMMSE-3 and best of 8 starts at each K, for a batch and for one
network; the table gives networks/s, one-network ms and the ratio
plain / ours (> 1: ours is faster). The two are timed call by call in turn
(medians), so machine drift hits both alike. Writes
results/wmmse_speed/results.json.
"""

import time

from absl import app
from absl import flags
import jax
import jax.numpy as jnp

import uwgnn_jax
from uwgnn_jax import benchmarking
from uwgnn_jax import channels
from experiments import results_io

_USERS = flags.DEFINE_list("users", ["10", "20", "50", "100"], "Values of K.")
_BATCH = flags.DEFINE_integer("batch", 1024, "Networks per batch.")
_REPEATS = flags.DEFINE_integer("repeats", 100, "Timed one-network calls.")
_BATCH_REPEATS = flags.DEFINE_integer("batch_repeats", 7, "Timed batch calls.")
_OUT = flags.DEFINE_string("out_dir", "results/wmmse_speed", "Output folder.")

NOISE = channels.RAYLEIGH_NOISE_VAR
NUM_STARTS = 8


def plain_wmmse(H, v0, num_iters):
  """The reference loop, one network: H [K, K], v0 [K] -> p [K]."""
  gains = jnp.square(H)
  direct = jnp.diagonal(H)
  cross = gains * (1.0 - jnp.eye(H.shape[-1]))

  def body(_, v):
    p = v * v
    interference = NOISE + cross @ p
    total = interference + direct * direct * p
    u = direct * v / total
    w = total / interference
    return jnp.clip(w * u * direct / ((w * u * u) @ gains), 0.0, 1.0)

  return jnp.square(jax.lax.fori_loop(0, num_iters, body, v0))


def plain_best_of_starts(H, v_starts, num_iters):
  """The reference best-of-R: vmap the plain loop over starts, keep the
  start with the highest sum rate. H [K, K], v_starts [R, K]."""
  powers = jax.vmap(lambda v0: plain_wmmse(H, v0, num_iters))(v_starts)
  rates = jax.vmap(lambda p: uwgnn_jax.rates.sum_rate_single(
      H, p, NOISE, jnp.ones_like(p)))(powers)
  return powers[jnp.argmax(rates)]


def variants(num_users: int):
  """{name: (ours, plain)} jitted functions of a batch or one network."""
  key = jax.random.PRNGKey(0)
  ones = jnp.ones(num_users)

  def batched(fn):
    return lambda h: (jax.vmap(fn)(h) if h.ndim == 3 else fn(h))

  def starts(h):
    shape = h.shape[:-1][:-1] + (NUM_STARTS, num_users)
    return jnp.sqrt(jax.random.uniform(key, shape)).at[..., 0, :].set(1.0)

  out = {}
  for iters in (100, 3):
    name = "WMMSE-100" if iters == 100 else "Tr-WMMSE-3"
    out[name] = (
        jax.jit(lambda h, n=iters: uwgnn_jax.wmmse(h, noise_var=NOISE,
                                                   num_iters=n)),
        jax.jit(batched(lambda h, n=iters: plain_wmmse(h, ones, n))))
  out[f"best of {NUM_STARTS}"] = (
      jax.jit(lambda h: uwgnn_jax.wmmse_best_of_random_starts(
          key, h, num_starts=NUM_STARTS, noise_var=NOISE,
          include_full_power=True)),
      jax.jit(lambda h: (jax.vmap(plain_best_of_starts, (0, 0, None))(
          h, starts(h), 100) if h.ndim == 3 else
                         plain_best_of_starts(h, starts(h), 100))))
  return out


def main(argv):
  del argv  # Unused.
  start = time.perf_counter()
  rows = []
  print(f"device: {results_io.device_description()}")
  print(f"{'K':>4} {'variant':<12}{'ours n/s':>10}{'plain n/s':>10}"
        f"{'ratio':>7}{'ours 1 ms':>10}{'plain 1 ms':>11}{'ratio':>7}"
        f"{'max |dp|':>10}")
  for num_users in map(int, _USERS.value):
    keys = jax.random.split(jax.random.PRNGKey(1), _BATCH.value)
    H = jax.vmap(lambda k: channels.rayleigh(k, num_users))(keys)
    for name, (ours, plain) in variants(num_users).items():
      batch_s = benchmarking.interleaved_median_seconds(
          [(ours, (H,)), (plain, (H,))], _BATCH_REPEATS.value)
      one_s = benchmarking.interleaved_median_seconds(
          [(ours, (H[0],)), (plain, (H[0],))], _REPEATS.value)
      timing = {label: (_BATCH.value / b, 1e3 * o) for label, b, o in
                zip(("ours", "plain"), batch_s, one_s)}
      difference = float(jnp.max(jnp.abs(ours(H) - plain(H))))
      row = dict(num_users=num_users, variant=name,
                 ours_networks_per_s=timing["ours"][0],
                 plain_networks_per_s=timing["plain"][0],
                 ours_one_ms=timing["ours"][1],
                 plain_one_ms=timing["plain"][1],
                 max_abs_power_difference=difference)
      rows.append(row)
      print(f"{num_users:>4} {name:<12}{row['ours_networks_per_s']:10.0f}"
            f"{row['plain_networks_per_s']:10.0f}"
            f"{row['ours_networks_per_s'] / row['plain_networks_per_s']:6.2f}x"
            f"{row['ours_one_ms']:10.3f}{row['plain_one_ms']:11.3f}"
            f"{row['plain_one_ms'] / row['ours_one_ms']:6.2f}x"
            f"{difference:10.1e}", flush=True)
  config = dict(users=_USERS.value, batch=_BATCH.value,
                repeats=_REPEATS.value, batch_repeats=_BATCH_REPEATS.value,
                num_starts=NUM_STARTS, noise_var=NOISE)
  path = results_io.write(_OUT.value, config, dict(rows=rows),
                          time.perf_counter() - start)
  print(f"wrote {path}")


if __name__ == "__main__":
  app.run(main)
