"""Parameter and checkpoint files: msgpack data (flax.serialization), never
pickles, written atomically (temp file in the same folder, then rename)."""

import os
import tempfile
from typing import Any

import flax.serialization
import jax
import jax.numpy as jnp
import numpy as np

from uwgnn_jax import models


def write_atomically(path: str, data: bytes) -> None:
  """Writes `data` so that `path` is either the old file or the new one."""
  folder = os.path.dirname(os.path.abspath(path))
  os.makedirs(folder, exist_ok=True)
  fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
  try:
    os.chmod(tmp, 0o644)  # mkstemp makes 0600; others may read results.
    with os.fdopen(fd, "wb") as f:
      f.write(data)
      f.flush()
      os.fsync(f.fileno())
    os.replace(tmp, path)
  except BaseException:
    if os.path.exists(tmp):
      os.remove(tmp)
    raise


def save_params(path: str, params: models.Params) -> None:
  """Saves a model's parameter pytree {model_name: ...}."""
  models.model_name(params)
  host = jax.tree.map(np.asarray, params)
  write_atomically(path, flax.serialization.msgpack_serialize(host))


def load_params(path: str, expected_model: str = None) -> models.Params:
  """Loads parameters saved by `save_params`; checks the model if asked."""
  with open(path, "rb") as f:
    state = flax.serialization.msgpack_restore(f.read())
  name = models.model_name(state)
  if expected_model is not None and name != expected_model:
    raise ValueError(
        f"{path} holds {name!r} parameters, not {expected_model!r}.")
  return jax.tree.map(jnp.asarray, state)


def save_state(path: str, state: Any) -> None:
  """Saves any pytree of arrays (a train state) atomically."""
  state_dict = flax.serialization.to_state_dict(jax.tree.map(np.asarray, state))
  write_atomically(path, flax.serialization.msgpack_serialize(state_dict))


def restore_state(path: str, template: Any) -> Any:
  """Restores a pytree saved by `save_state` into `template`'s structure."""
  with open(path, "rb") as f:
    state_dict = flax.serialization.msgpack_restore(f.read())
  try:
    return flax.serialization.from_state_dict(template, state_dict)
  except (ValueError, KeyError, TypeError) as e:
    raise ValueError(
        f"Checkpoint {path} does not match this model's state: {e}") from e
