"""The configuration of one training run (saved as JSON in its workdir)."""

import dataclasses
import json
from typing import Optional

from uwgnn_jax import channels
from uwgnn_jax import models

CHANNELS = ("rayleigh", "rician", "sparse", "mobility", "geometric")
LR_SCHEDULES = ("constant", "cosine")
# Adam's rate when none is given. The MLP's relu6 output dies at 3e-3
# (every power 0 after one epoch; BUILD_NOTES.md).
DEFAULT_LEARNING_RATES = {"mlp": 1e-3}
DEFAULT_LEARNING_RATE = 3e-3


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
  # Channel-model options (DESIGN.md s.3).
  variance: float = 1.0  # Rayleigh / Rician s^2.
  rician_mean: float = 1.0  # Rician line-of-sight mean mu.
  drop_prob: float = 0.6  # Sparse topology: P(interference link removed).
  speed: float = 0.0  # Mobility: m/s.
  elapsed_time: float = 1.0  # Mobility: s.
  density: float = 1.0  # Geometric: density factor d.
  fixed_layout: bool = False  # Geometric: one layout for train and test.

  def __post_init__(self):
    models.check_model_name(self.model)
    if self.learning_rate is None:  # Resolved here so config.json has it.
      object.__setattr__(self, "learning_rate", DEFAULT_LEARNING_RATES.get(
          self.model, DEFAULT_LEARNING_RATE))
    if self.channel not in CHANNELS:
      raise ValueError(
          f"`channel` must be one of {CHANNELS}; got {self.channel!r}.")
    if self.lr_schedule not in LR_SCHEDULES:
      raise ValueError(f"`lr_schedule` must be one of {LR_SCHEDULES}; "
                       f"got {self.lr_schedule!r}.")
    for name in ("num_users", "train_size", "test_size", "batch_size"):
      if getattr(self, name) < 1:
        raise ValueError(f"`{name}` must be >= 1; got {getattr(self, name)}.")
    if self.epochs < 0:
      raise ValueError(f"`epochs` must be >= 0; got {self.epochs}.")
    if self.batch_size > self.train_size:
      raise ValueError(
          f"`batch_size` ({self.batch_size}) exceeds `train_size` "
          f"({self.train_size}).")
    for name in ("p_max", "learning_rate"):
      if not getattr(self, name) > 0:
        raise ValueError(f"`{name}` must be > 0; got {getattr(self, name)}.")
    if self.noise_var is not None and not self.noise_var > 0:
      raise ValueError(f"`noise_var` must be > 0; got {self.noise_var}.")

  @property
  def effective_noise_var(self) -> float:
    if self.noise_var is not None:
      return self.noise_var
    if self.channel == "geometric":
      return channels.GEOMETRIC_NOISE_VAR
    return channels.RAYLEIGH_NOISE_VAR

  @property
  def steps_per_epoch(self) -> int:
    return self.train_size // self.batch_size

  def to_json(self) -> str:
    return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True)

  @classmethod
  def from_json(cls, text: str) -> "TrainConfig":
    return cls(**json.loads(text))
