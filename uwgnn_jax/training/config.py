"""The configuration of one training run (saved as JSON in its workdir)."""

import dataclasses
import json
import math
import os
from typing import NamedTuple, Optional

import jax

from uwgnn_jax import channels
from uwgnn_jax import models
from uwgnn_jax import pretrained_params

CHANNELS = ("rayleigh", "rician", "sparse", "mobility", "geometric",
            "spatial")
LR_SCHEDULES = ("constant", "cosine")
# The power head's output layer at the start: zeros (p = p_max / 2 for
# every user), or drawn at random (`models.with_random_power_head`).
HEAD_INITS = ("zero", "random")
# Adam's rate when none is given. The MLP's relu6 output dies at 3e-3
# (every power 0 after one epoch; BUILD_NOTES.md).
DEFAULT_LEARNING_RATES = {"mlp": 1e-3}
DEFAULT_LEARNING_RATE = 3e-3
# Training SNRs beyond +-150 dB would over- or underflow float32 gains.
SNR_DB_LIMIT = 150.0
# Models whose depth `--num_layers` sets (unrolled layers, shared or not).
LAYERED_MODELS = ("uwgnn", "wcgcn", "igcnet", "uwmmse")


class RunKeys(NamedTuple):
  """Every PRNG key of one run, all derived from its seed (`run_keys`)."""
  init: jax.Array  # Parameters.
  train: jax.Array  # Training channels and weights.
  test: jax.Array  # Held-out test channels (also other-K test sets).
  shuffle: jax.Array  # Epoch e's order: fold_in(shuffle, e).
  layout: jax.Array  # The geometric fixed layout, shared by train and test.


def run_keys(seed: int) -> RunKeys:
  """The keys of the run with this seed: fold_in(PRNGKey(seed), i)."""
  root = jax.random.PRNGKey(seed)
  return RunKeys(*(jax.random.fold_in(root, i) for i in (0, 1, 2, 3, 7)))


def _check_finite(config, name: str, lower: Optional[float] = None,
                  inclusive: bool = True) -> None:
  value = getattr(config, name)
  if isinstance(value, bool) or not isinstance(value, (int, float)):
    raise ValueError(f"`{name}` must be a number; got {value!r}.")
  below = lower is not None and (value < lower if inclusive else value <= lower)
  if not math.isfinite(value) or below:
    bound = "" if lower is None else f" {'>=' if inclusive else '>'} {lower:g} and"
    raise ValueError(f"`{name}` must be{bound} finite; got {value}.")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
  """Everything that determines a run; defaults are the UWGNN paper's
  Gaussian setting (K = 20, sigma^2 = 0.1, p_max = 1, 10,000 / 2,000).

  The optimiser defaults (Adam 3e-3, 1e-3 for the MLP, cosine decay) are
  ours: the paper's were lost; BUILD_NOTES.md gives the sweep behind them.
  """
  model: str = "uwgnn"
  num_users: int = 20
  channel: str = "rayleigh"
  noise_var: Optional[float] = None  # None: the channel model's default.
  p_max: float = 1.0
  weighted: bool = False
  train_size: int = 10_000
  test_size: int = 2_000
  epochs: int = 30
  batch_size: int = 64
  learning_rate: Optional[float] = None  # None: DEFAULT_LEARNING_RATE(S).
  lr_schedule: str = "cosine"  # Decays to 0 over `epochs`; or "constant".
  grad_clip_norm: float = 5.0
  seed: int = 0
  wmmse_iters: int = 100
  # Channel-model options (docs/DESIGN.md s.3).
  variance: float = 1.0  # Rayleigh / Rician s^2.
  rician_mean: float = 1.0  # Rician line-of-sight mean mu.
  drop_prob: float = 0.6  # Sparse topology: P(interference link removed).
  speed: float = 0.0  # Mobility: m/s.
  elapsed_time: float = 1.0  # Mobility: s.
  density: float = 1.0  # Geometric: density factor d.
  # Geometric, random layouts: each network's d uniform in [density,
  # density_max] (UWMMSE Fig. 2b's Ro-UWMMSE); None: every network at d.
  density_max: Optional[float] = None
  fixed_layout: bool = False  # Geometric: one layout for train and test.
  # Train over SNRs: each training network's p_max / sigma^2 drawn
  # log-uniformly in [snr_db_min, snr_db_max] dB (both or neither set);
  # the test set stays at noise_var.
  snr_db_min: Optional[float] = None
  snr_db_max: Optional[float] = None
  # Unsupervised loss relative to WMMSE-`wmmse_iters` on each training
  # network (-mean WSR / WSR_WMMSE), so that every SNR weighs alike.
  relative_loss: bool = False
  # UWGNN widths (UWGNN paper Fig. 3): None keeps the module's default
  # (message 16, intermediate 4).
  message_dim: Optional[int] = None
  intermediate_dim: Optional[int] = None
  # UWMMSE's unrolled depth (None: 4, its paper's; the UWGNN paper used 3).
  num_layers: Optional[int] = None
  # Mixed sizes: each training network has K drawn uniformly in
  # [num_users_min, num_users], zero-padded to num_users with weight 0 on
  # the absent users (models ignore them); held-out sets are whole networks
  # at num_users (or any K they are drawn at).
  num_users_min: Optional[int] = None
  # Geometric fixed layout drawn at this many pairs, then resized to
  # num_users: the first pairs kept, new ones added in the same area
  # (UWMMSE Fig. 2c). None: drawn at num_users.
  layout_users: Optional[int] = None
  # Graph models train and are scored on each receiver's top_k strongest
  # interferers (`graphs.top_k_graph`, what `allocate(..., top_k=)` runs);
  # None: the fully connected graph.
  top_k: Optional[int] = None
  # The power head's start (HEAD_INITS): "random" breaks the uniform start
  # that can stall training at full power (BUILD_NOTES.md, "The full-power
  # trap"); graph models with a power head only.
  head_init: str = "zero"
  # Start from trained weights instead of a fresh draw (fine-tuning): a
  # params .msgpack (`--export_params`) or a shipped name ("uwgnn"); the
  # model and its sizes must match, except that shared-layer weights are
  # unrolled to this run's num_layers (`models.with_depth`).
  init_params: Optional[str] = None

  def __post_init__(self):
    models.check_model_name(self.model)
    if self.learning_rate is None:  # Resolved here so config.json has it.
      object.__setattr__(self, "learning_rate", DEFAULT_LEARNING_RATES.get(
          self.model, DEFAULT_LEARNING_RATE))
    if self.channel not in CHANNELS:
      raise ValueError(
          f"`channel` must be one of {CHANNELS}; got {self.channel!r}.")
    if self.head_init not in HEAD_INITS:
      raise ValueError(f"`head_init` must be one of {HEAD_INITS}; got "
                       f"{self.head_init!r}.")
    if self.head_init == "random" and not models.MODELS[
        self.model].power_head:
      raise ValueError(f"`head_init`='random' needs a model with a power "
                       f"head; got {self.model!r}.")
    if self.init_params is not None:
      if not isinstance(self.init_params, str) or not (
          os.path.isfile(self.init_params) or self.init_params in
          pretrained_params.available()):
        raise ValueError("`init_params` must be a params file or a shipped "
                         f"model's name; got {self.init_params!r}.")
      if self.head_init != "zero":
        raise ValueError("`head_init` draws a fresh start; it cannot be "
                         f"combined with `init_params` ({self.init_params!r}).")
    if self.lr_schedule not in LR_SCHEDULES:
      raise ValueError(f"`lr_schedule` must be one of {LR_SCHEDULES}; "
                       f"got {self.lr_schedule!r}.")
    for field in dataclasses.fields(self):
      value = getattr(self, field.name)
      if field.type in (int, bool, str) and not (
          type(value) is field.type or (field.type is int and isinstance(
              value, int) and not isinstance(value, bool))):
        raise ValueError(f"`{field.name}` must be of type "
                         f"{field.type.__name__}; got {value!r}.")
    if not 0 <= self.seed < 2**32:
      raise ValueError(f"`seed` must lie in [0, 2^32); got {self.seed}.")
    for name in ("num_users", "train_size", "test_size", "batch_size"):
      if getattr(self, name) < 1:
        raise ValueError(f"`{name}` must be >= 1; got {getattr(self, name)}.")
    if self.epochs < 0:
      raise ValueError(f"`epochs` must be >= 0; got {self.epochs}.")
    if self.batch_size > self.train_size:
      raise ValueError(
          f"`batch_size` ({self.batch_size}) exceeds `train_size` "
          f"({self.train_size}).")
    if self.wmmse_iters < 1:
      raise ValueError(f"`wmmse_iters` must be >= 1; got {self.wmmse_iters}.")
    for name in ("p_max", "learning_rate", "grad_clip_norm", "variance",
                 "density"):
      _check_finite(self, name, lower=0.0, inclusive=False)
    for name in ("speed", "elapsed_time"):
      _check_finite(self, name, lower=0.0, inclusive=True)
    _check_finite(self, "rician_mean")
    if not 0.0 <= self.drop_prob < 1.0:
      raise ValueError(f"`drop_prob` must lie in [0, 1); got {self.drop_prob}.")
    if self.noise_var is not None:
      _check_finite(self, "noise_var", lower=0.0, inclusive=False)
      if not 1.2e-38 <= self.noise_var <= 3.4e38:
        raise ValueError("`noise_var` must lie in float32's normal range; "
                         f"got {self.noise_var}.")
    for name, sized in (("message_dim", ("uwgnn",)),
                        ("intermediate_dim", ("uwgnn",)),
                        ("num_layers", LAYERED_MODELS)):
      value = getattr(self, name)
      if value is None:
        continue
      if self.model not in sized:
        raise ValueError(f"`{name}` sizes {', '.join(sized)} only; got "
                         f"{value} for model {self.model!r}.")
      if type(value) is not int or value < 1:
        raise ValueError(f"`{name}` must be an int >= 1; got {value!r}.")
    for name in ("num_users_min", "layout_users", "top_k"):
      value = getattr(self, name)
      if value is not None and (type(value) is not int or value < 1):
        raise ValueError(f"`{name}` must be an int >= 1; got {value!r}.")
    if self.num_users_min is not None:
      if self.num_users_min > self.num_users:
        raise ValueError(f"`num_users_min` must be <= num_users "
                         f"({self.num_users}); got {self.num_users_min}.")
      if not models.MODELS[self.model].is_graph_model:
        raise ValueError(f"`num_users_min` (mixed sizes) needs a graph "
                         f"model; got {self.model!r}.")
    if self.top_k is not None:
      if not models.MODELS[self.model].is_graph_model:
        raise ValueError(f"`top_k` needs a graph model; got {self.model!r}.")
      if self.top_k >= (self.num_users_min or self.num_users):
        raise ValueError(
            "`top_k` must be below the smallest training K (num_users, or "
            "num_users_min with mixed sizes), so that a graph keeps only "
            f"present users and drops some; got {self.top_k}.")
    if self.channel == "spatial" and (self.density != 1.0 or self.fixed_layout
                                      or self.density_max is not None):
      raise ValueError("channel='spatial' has its own density (the UWMMSE "
                       "network's at any size) and random layouts; got "
                       f"density={self.density}, fixed_layout="
                       f"{self.fixed_layout}, density_max={self.density_max}.")
    if self.layout_users is not None and not (
        self.channel == "geometric" and self.fixed_layout):
      raise ValueError("`layout_users` resizes a fixed geometric layout: it "
                       "needs channel='geometric' and fixed_layout=True; got "
                       f"channel={self.channel!r}, "
                       f"fixed_layout={self.fixed_layout}.")
    if self.density_max is not None:
      _check_finite(self, "density_max", lower=self.density, inclusive=True)
      if self.channel != "geometric" or self.fixed_layout:
        raise ValueError(
            "`density_max` draws random geometric layouts: it needs "
            "channel='geometric' and fixed_layout=False; got channel="
            f"{self.channel!r}, fixed_layout={self.fixed_layout}.")
    if (self.snr_db_min is None) != (self.snr_db_max is None):
      raise ValueError("`snr_db_min` and `snr_db_max` go together; got "
                       f"{self.snr_db_min} and {self.snr_db_max}.")
    if self.snr_db_min is not None:
      _check_finite(self, "snr_db_min", lower=-SNR_DB_LIMIT)
      _check_finite(self, "snr_db_max", lower=self.snr_db_min, inclusive=True)
      if self.snr_db_max > SNR_DB_LIMIT:
        raise ValueError(f"`snr_db_max` must be <= {SNR_DB_LIMIT:g} dB (float32 "
                         f"gains); got {self.snr_db_max}.")

  @property
  def effective_noise_var(self) -> float:
    if self.noise_var is not None:
      return self.noise_var
    if self.channel in ("geometric", "spatial"):
      return channels.GEOMETRIC_NOISE_VAR
    return channels.RAYLEIGH_NOISE_VAR

  @property
  def program_key(self) -> "TrainConfig":
    """This config with the fields that only choose data (channel, noise,
    weights, seed, test size) or the start (head_init, init_params) at
    their defaults: two configs with one key train with the same compiled
    program (`train.make_train_epoch`). `epochs` enters the program only as the
    cosine schedule's length, so at a constant rate it is left out too
    (a run and its one-epoch start share their program)."""
    fields = DATA_FIELDS + INIT_FIELDS + (
        ("epochs",) if self.lr_schedule == "constant" else ())
    return dataclasses.replace(self, **{
        name: getattr(_DEFAULT_CONFIG, name) for name in fields})

  @property
  def data_key(self) -> "TrainConfig":
    """The default config with this one's K and data fields: configs with
    one key draw the same data (`data.make_dataset` compiles once per key)."""
    return dataclasses.replace(_DEFAULT_CONFIG, num_users=self.num_users, **{
        name: getattr(self, name) for name in DATA_FIELDS})

  @property
  def model_sizes(self) -> dict:
    """Keyword sizes for `models.init` (only those set)."""
    sizes = dict(message=self.message_dim, intermediate=self.intermediate_dim,
                 num_layers=self.num_layers)
    return {name: value for name, value in sizes.items() if value is not None}

  @property
  def steps_per_epoch(self) -> int:
    return self.train_size // self.batch_size

  def to_json(self) -> str:
    return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True)

  @classmethod
  def from_json(cls, text: str) -> "TrainConfig":
    return cls(**json.loads(text))


# Fields that choose the data a program trains on, not the program.
DATA_FIELDS = ("channel", "noise_var", "p_max", "weighted", "test_size",
               "seed", "wmmse_iters", "variance", "rician_mean", "drop_prob",
               "speed", "elapsed_time", "density", "density_max",
               "fixed_layout", "snr_db_min", "snr_db_max", "layout_users")
# Fields that only choose the starting parameters.
INIT_FIELDS = ("head_init", "init_params")
_DEFAULT_CONFIG = TrainConfig()
