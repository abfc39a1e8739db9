"""Parameter and checkpoint files: msgpack data (flax.serialization), never
pickles, written atomically (temp file in the same folder, then rename).

Train-state checkpoints are checksummed: the file is a magic header, the
SHA-256 of the payload, then the payload, and `restore_state` refuses a file
whose digest does not match (bit flips, truncation, another file).
"""

import hashlib
import json
import os
import tempfile
from typing import Any, Sequence, Tuple

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


def export_params(path: str, params: models.Params, info: dict) -> None:
  """A shippable model: params at `path` (.msgpack) and `info` (its training
  config, results, what it was verified on) as JSON beside it (.json)."""
  save_params(path, params)
  write_atomically(os.path.splitext(path)[0] + ".json",
                   (json.dumps(info, indent=2, sort_keys=True) + "\n").encode())


CHECKPOINT_MAGIC = b"uwgnn-jax checkpoint v1\n"
_DIGEST_BYTES = 32


def _corrupt(path: str, why: str) -> ValueError:
  return ValueError(
      f"Checkpoint {path} is corrupt ({why}). Delete it (and the run "
      "restarts from epoch 0) or put back a good copy; nothing was resumed.")


def write_checksummed(path: str, payload: bytes) -> None:
  """Atomically writes magic + SHA-256(payload) + payload."""
  write_atomically(path,
                   CHECKPOINT_MAGIC + hashlib.sha256(payload).digest() + payload)


def read_checksummed(path: str) -> bytes:
  """The payload of a `write_checksummed` file; ValueError naming the path
  if the header or the digest is wrong."""
  with open(path, "rb") as f:
    data = f.read()
  header = len(CHECKPOINT_MAGIC) + _DIGEST_BYTES
  if not data.startswith(CHECKPOINT_MAGIC) or len(data) < header:
    raise _corrupt(path, "no checksummed uwgnn-jax header: damaged, cut "
                   "short, or written before checkpoints were checksummed")
  digest, payload = data[len(CHECKPOINT_MAGIC):header], data[header:]
  if hashlib.sha256(payload).digest() != digest:
    raise _corrupt(path, "its SHA-256 does not match its contents")
  return payload


def save_state(path: str, state: Any, history: Sequence[dict] = ()) -> None:
  """Saves a pytree of arrays (a train state) and the run's history rows,
  checksummed and atomically."""
  state_dict = flax.serialization.to_state_dict(jax.tree.map(np.asarray, state))
  payload = flax.serialization.msgpack_serialize(
      {"state": state_dict, "history": json.dumps(list(history))})
  write_checksummed(path, payload)


def restore_state(path: str, template: Any) -> Tuple[Any, list]:
  """(state in `template`'s structure, history rows) from `save_state`."""
  payload = read_checksummed(path)
  try:
    saved = flax.serialization.msgpack_restore(payload)
    state_dict, history = saved["state"], json.loads(saved["history"])
  except Exception as e:  # Digest matched: a writer of another format.
    raise _corrupt(path, f"unreadable payload: {e}") from e
  try:
    return flax.serialization.from_state_dict(template, state_dict), history
  except (ValueError, KeyError, TypeError) as e:
    raise ValueError(
        f"Checkpoint {path} does not match this model's state: {e}") from e
