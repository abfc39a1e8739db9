"""Channel samplers (docs/DESIGN.md section 3).

Every sampler is a pure function of a PRNG key (first argument) returning ONE
network's amplitudes H[K, K] >= 0, receiver-first: H[i, j] is the amplitude
from transmitter j to receiver i. Sizes are static Python ints, so samplers
jit with `static_argnums` and batch with `jax.vmap` over keys:

    keys = jax.random.split(key, 1000)
    H = jax.vmap(lambda k: channels.rayleigh(k, 20))(keys)   # [1000, 20, 20]

Amplitudes are dimensionless; the noise variance and power budget that go
with each model are given next to it (e.g. GEOMETRIC_NOISE_VAR).
"""

import functools
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp

from uwgnn_jax import validation

# UWGNN / WCGCN Gaussian setting: sigma^2 = 0.1 (10 dB SNR), p_max = 1.
RAYLEIGH_NOISE_VAR = 0.1
# UWMMSE geometric ad hoc network: sigma = 2.6e-5, p_max = 1.
GEOMETRIC_NOISE_VAR = 2.6e-5 ** 2
GEOMETRIC_AREA_HALF_WIDTH = 20.0
GEOMETRIC_PATH_LOSS_EXPONENT = 2.2


@functools.partial(jax.jit, static_argnums=1)
def _complex_gaussian_amplitude(key, shape, variance, mean=0.0):
  """|h| [shape], h ~ CN(mean, variance): real and imaginary parts
  N(., variance / 2). Jitted, so that an eager call compiles one program
  per shape rather than one per operation (inlined under a caller's jit)."""
  re_key, im_key = jax.random.split(key)
  std = jnp.sqrt(variance / 2.0)
  real = mean + std * jax.random.normal(re_key, shape)
  imag = std * jax.random.normal(im_key, shape)
  return jnp.hypot(real, imag)


def rayleigh(key: jax.Array, num_users: int, *,
             variance: float = 1.0) -> jax.Array:
  """Rayleigh i.i.d. amplitudes |h|, h ~ CN(0, variance). Returns [K, K].

  E[H_ij^2] = variance. UWGNN, WCGCN and Sun et al. use variance 1 with
  sigma^2 = RAYLEIGH_NOISE_VAR and p_max = 1.
  """
  validation.check_positive_int(num_users, "num_users")
  validation.check_nonnegative(variance, "variance")
  return _complex_gaussian_amplitude(key, (num_users, num_users), variance)


def rician(key: jax.Array, num_users: int, *, mean: float = 1.0,
           variance: float = 1.0) -> jax.Array:
  """Rician amplitudes |h|, h ~ CN(mean, variance) (UWGNN Fig. 5b/5c).

  `mean` is the line-of-sight amplitude mu (real); the K-factor is
  mean^2 / variance. E[H_ij^2] = mean^2 + variance. Returns [K, K].
  """
  validation.check_positive_int(num_users, "num_users")
  validation.check_nonnegative(variance, "variance")
  return _complex_gaussian_amplitude(key, (num_users, num_users), variance,
                                    mean)


def drop_links(key: jax.Array, H: jax.Array, drop_prob: float) -> jax.Array:
  """Removes each interference link i != j with probability `drop_prob`.

  Direct links H_ii stay. This is the UWGNN paper's sparse topology (eqs.
  23-24): a link weight c_ij ~ N(0, 1) below a threshold theta, with
  drop_prob = Phi(theta). H [K, K] -> [K, K].
  """
  validation.check_probability(drop_prob, "drop_prob")
  num_users = H.shape[-1]
  keep = jax.random.uniform(key, H.shape) >= drop_prob
  keep = keep | jnp.eye(num_users, dtype=bool)
  return jnp.where(keep, H, 0.0)


def sparse_rayleigh(key: jax.Array, num_users: int, *, drop_prob: float,
                    variance: float = 1.0) -> jax.Array:
  """Rayleigh i.i.d. channel with interference links dropped (UWGNN Fig. 7)."""
  fading_key, topology_key = jax.random.split(key)
  return drop_links(topology_key, rayleigh(fading_key, num_users,
                                           variance=variance), drop_prob)


class MobilityLayout(NamedTuple):
  """Positions (metres) of a D2D layout: transmitters and receivers [K, 2]."""
  transmitters: jax.Array
  receivers: jax.Array


def d2d_layout(key: jax.Array, num_users: int, *, area_side: float = 50.0,
               min_distance: float = 2.0,
               max_distance: float = 10.0) -> MobilityLayout:
  """Transmitters uniform in a square; receiver i at U[d_min, d_max] metres
  from transmitter i at a uniform angle (UWGNN Fig. 9)."""
  tx_key, d_key, angle_key = jax.random.split(key, 3)
  transmitters = jax.random.uniform(tx_key, (num_users, 2)) * area_side
  distance = jax.random.uniform(d_key, (num_users,), minval=min_distance,
                                maxval=max_distance)
  angle = jax.random.uniform(angle_key, (num_users,)) * 2.0 * jnp.pi
  offset = jnp.stack([jnp.cos(angle), jnp.sin(angle)], axis=-1)
  return MobilityLayout(transmitters, transmitters + distance[:, None] * offset)


def pair_distances(layout: MobilityLayout) -> jax.Array:
  """d[i, j] = ||transmitter j - receiver i|| in metres. Returns [K, K]."""
  diff = layout.receivers[:, None, :] - layout.transmitters[None, :, :]
  return jnp.sqrt(jnp.sum(jnp.square(diff), axis=-1))


def mobility(key: jax.Array, num_users: int, *, speed: float,
             elapsed_time: float = 1.0, area_side: float = 50.0,
             min_distance: float = 2.0, max_distance: float = 10.0,
             path_loss_exponent: float = 3.0,
             coverage_radius: float = 40.0) -> tuple:
  """A channel before and after its receivers move (UWGNN Fig. 9).

  At time 0 the amplitudes are Rayleigh CN(0, 1), the training distribution.
  After `elapsed_time` seconds each receiver is displaced by
  N(0, (speed * elapsed_time)^2 I) metres and every amplitude scales with its
  link distance, H_ij(t) = H_ij(0) (d_ij(0) / d_ij(t))^(gamma / 2), with
  gamma = `path_loss_exponent` (power decays as d^-gamma). Links longer than
  `coverage_radius` at time t are cut (H_ij(t) = 0). The defaults (50 m
  square, 2-10 m pairs, gamma = 3, 40 m coverage) are ours: the paper's
  numbers were lost in extraction (BUILD_NOTES.md).

  Returns:
    (H_initial [K, K], H_moved [K, K]).
  """
  validation.check_nonnegative(speed, "speed")
  validation.check_nonnegative(elapsed_time, "elapsed_time")
  layout_key, fading_key, move_key = jax.random.split(key, 3)
  layout = d2d_layout(layout_key, num_users, area_side=area_side,
                      min_distance=min_distance, max_distance=max_distance)
  H_initial = rayleigh(fading_key, num_users)
  displacement = (speed * elapsed_time) * jax.random.normal(
      move_key, (num_users, 2))
  moved = layout._replace(receivers=layout.receivers + displacement)
  d_before = pair_distances(layout)
  d_after = jnp.maximum(pair_distances(moved), 1e-3)
  H_moved = H_initial * (d_before / d_after) ** (path_loss_exponent / 2.0)
  H_moved = jnp.where(d_after <= coverage_radius, H_moved, 0.0)
  H_initial = jnp.where(d_before <= coverage_radius, H_initial, 0.0)
  return H_initial, H_moved


class GeometricLayout(NamedTuple):
  """Positions of the UWMMSE ad hoc network: [N, 2] each (unitless)."""
  transmitters: jax.Array
  receivers: jax.Array


def geometric_layout(key: jax.Array, num_pairs: int = 20, *,
                     area_half_width: float = GEOMETRIC_AREA_HALF_WIDTH,
                     density: float = 1.0) -> GeometricLayout:
  """UWMMSE layout: t_i ~ U[-A, A]^2 / density, r_i ~ t_i + U[-A/4, A/4]^2.

  A = `area_half_width` (20 = the paper's M). `density` d > 1 packs the
  transmitters into a smaller square (UWMMSE Fig. 2b); receivers are still
  drawn around the moved transmitters. A traced `density` (one per network
  under vmap, Ro-UWMMSE's training) is not checked.
  """
  validation.check_positive_int(num_pairs, "num_pairs")
  if validation.is_concrete(density) and not density > 0:
    raise ValueError(f"`density` must be > 0; got {density}.")
  tx_key, rx_key = jax.random.split(key)
  a = area_half_width
  transmitters = jax.random.uniform(tx_key, (num_pairs, 2), minval=-a,
                                    maxval=a) / density
  receivers = transmitters + jax.random.uniform(
      rx_key, (num_pairs, 2), minval=-a / 4, maxval=a / 4)
  return GeometricLayout(transmitters, receivers)


def resize_layout(key: jax.Array, layout: GeometricLayout, num_pairs: int, *,
                  area_half_width: float = GEOMETRIC_AREA_HALF_WIDTH,
                  density: float = 1.0) -> GeometricLayout:
  """Keeps the first min(N_old, num_pairs) pairs, adds new ones in the same
  area (UWMMSE Fig. 2c, N in 10..30)."""
  validation.check_positive_int(num_pairs, "num_pairs")
  kept = min(num_pairs, layout.transmitters.shape[0])
  extra = geometric_layout(key, max(num_pairs - kept, 1),
                           area_half_width=area_half_width, density=density)
  pieces = [(layout.transmitters[:kept], layout.receivers[:kept])]
  if num_pairs > kept:
    pieces.append((extra.transmitters, extra.receivers))
  return GeometricLayout(
      jnp.concatenate([tx for tx, _ in pieces]),
      jnp.concatenate([rx for _, rx in pieces]))


def geometric_fading(key: jax.Array, layout: GeometricLayout, *,
                     path_loss_exponent: float = GEOMETRIC_PATH_LOSS_EXPONENT
                     ) -> jax.Array:
  """H_ij = ||t_j - r_i||^(-2.2) f_ij, f_ij ~ Rayleigh(scale 1). [N, N].

  The exponent applies to the amplitude (power decays as d^-4.4), as in the
  UWMMSE peer code. Use with sigma^2 = GEOMETRIC_NOISE_VAR, p_max = 1.
  """
  diff = layout.receivers[:, None, :] - layout.transmitters[None, :, :]
  distance = jnp.maximum(jnp.sqrt(jnp.sum(jnp.square(diff), axis=-1)), 1e-6)
  num_pairs = layout.transmitters.shape[0]
  # Rayleigh(scale 1) = |CN(0, 2)|.
  return distance ** (-path_loss_exponent) * _complex_gaussian_amplitude(
      key, (num_pairs, num_pairs), 2.0)


def geometric(key: jax.Array, num_pairs: int = 20, *,
              area_half_width: float = GEOMETRIC_AREA_HALF_WIDTH,
              density: float = 1.0) -> jax.Array:
  """A geometric network on a freshly drawn layout (robust training). [N, N]."""
  layout_key, fading_key = jax.random.split(key)
  layout = geometric_layout(layout_key, num_pairs,
                            area_half_width=area_half_width, density=density)
  return geometric_fading(fading_key, layout)


# The UWMMSE network's pairs per unit area: 20 pairs in a 40 x 40 square.
SPATIAL_REFERENCE_PAIRS = 20


def spatial_half_width(num_pairs, area_half_width: float =
                       GEOMETRIC_AREA_HALF_WIDTH):
  """Half-width of a spatial network's square: A sqrt(N / 20) (a traced N
  gives a traced width)."""
  if isinstance(num_pairs, (int, float)):
    return area_half_width * math.sqrt(num_pairs / SPATIAL_REFERENCE_PAIRS)
  return area_half_width * jnp.sqrt(num_pairs / SPATIAL_REFERENCE_PAIRS)


def spatial_layout(key: jax.Array, num_pairs: int, *,
                   area_half_width: float = GEOMETRIC_AREA_HALF_WIDTH,
                   area_pairs=None) -> GeometricLayout:
  """The UWMMSE layout at any size and the same density: the square's
  half-width grows as A sqrt(N / 20) (A = `area_half_width`, 20 = the
  paper's), the receivers stay within +-A/4 of their transmitter, so each
  receiver keeps a like number of strong interferers whatever N. Pure;
  jit- and vmap-able (num_pairs static). [N, 2] positions each.
  `area_pairs` (may be traced): size the square for this many pairs
  instead of N, so that the first area_pairs pairs are a spatial network
  of that size (mixed-size training pads the rest away)."""
  validation.check_positive_int(num_pairs, "num_pairs")
  tx_key, rx_key = jax.random.split(key)
  half = spatial_half_width(num_pairs if area_pairs is None else area_pairs,
                            area_half_width)
  offset = area_half_width / 4
  transmitters = jax.random.uniform(tx_key, (num_pairs, 2), minval=-half,
                                    maxval=half)
  receivers = transmitters + jax.random.uniform(
      rx_key, (num_pairs, 2), minval=-offset, maxval=offset)
  return GeometricLayout(transmitters, receivers)


def spatial(key: jax.Array, num_pairs: int, *,
            area_half_width: float = GEOMETRIC_AREA_HALF_WIDTH,
            area_pairs=None) -> jax.Array:
  """A spatial network: `spatial_layout` with the geometric model's path
  loss and Rayleigh fading (`geometric_fading`; noise GEOMETRIC_NOISE_VAR,
  p_max = 1). [N, N]; memory N^2 (dense H)."""
  layout_key, fading_key = jax.random.split(key)
  return geometric_fading(fading_key, spatial_layout(
      layout_key, num_pairs, area_half_width=area_half_width,
      area_pairs=area_pairs))


def uniform_weights(key: jax.Array, num_users: int) -> jax.Array:
  """Rate weights alpha ~ U(0, 1) for the weighted scenario. Returns [K]."""
  validation.check_positive_int(num_users, "num_users")
  return jax.random.uniform(key, (num_users,))
