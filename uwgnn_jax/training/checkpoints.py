"""Train-state checkpoints: orbax CheckpointManager steps, each verified by
a SHA-256 manifest before it is restored.

`<workdir>/checkpoints/<epoch>/` is one `orbax.checkpoint.CheckpointManager`
step holding the train state and the run's history rows. Orbax writes it
under a temporary name and renames it when complete (atomic), lets every
process of a `jax.distributed` run write its part (multi-host), and keeps
the last `KEEP`. Once orbax has committed a step, process 0 writes
`<step>/sha256.json`, every file's SHA-256. A step is restored only if all
its files match: a damaged checkpoint is an error naming it and saying how
to recover, never a silently wrong resume, whatever orbax's file layout. A
step without a manifest (its writer was killed in between) is incomplete:
opening the store for training moves it aside (`<step>.incomplete`,
nothing is deleted) and the previous step is restored, so that epoch
replays; opening it read-only (evaluation) leaves it, and restoring it is
an error. Old steps are pruned only after the new step's manifest is
written, so a kill never leaves fewer than KEEP - 1 verified steps.

Workdirs from before orbax hold `checkpoint.msgpack` (`params_io`); they
still resume, and their next save is an orbax step.
"""

import hashlib
import json
import logging
import os
import shutil
from typing import Any, List, Optional, Sequence, Tuple

import flax.serialization
import jax
from jax.experimental import multihost_utils
from jax.sharding import Sharding
import orbax.checkpoint as ocp

from uwgnn_jax import params_io
from uwgnn_jax.training import parallel

DIRECTORY = "checkpoints"
LEGACY_CHECKPOINT = "checkpoint.msgpack"
MANIFEST = "sha256.json"
KEEP = 3


def _not_orbax_info(record: logging.LogRecord) -> bool:
  return record.levelno > logging.INFO or (
      f"{os.sep}orbax{os.sep}" not in record.pathname)


# Orbax logs some 40 INFO lines per save through absl's logger; a run's
# own output should stay one line per epoch. Its warnings still show.
logging.getLogger("absl").addFilter(_not_orbax_info)


def _step_numbers(directory: str) -> List[int]:
  if not os.path.isdir(directory):
    return []
  return sorted(int(name) for name in os.listdir(directory)
                if name.isdigit()
                and os.path.isdir(os.path.join(directory, name)))


def has_checkpoint(workdir: str) -> bool:
  """Whether `workdir` holds a train state to resume (any format)."""
  return bool(_step_numbers(os.path.join(workdir, DIRECTORY))) or \
      os.path.exists(os.path.join(workdir, LEGACY_CHECKPOINT))


def file_sha256(path: str) -> str:
  """SHA-256 hex digest of a file's bytes."""
  digest = hashlib.sha256()
  with open(path, "rb") as f:
    for block in iter(lambda: f.read(1 << 20), b""):
      digest.update(block)
  return digest.hexdigest()


def file_digests(step_dir: str) -> dict:
  """{path relative to step_dir: SHA-256 hex} of every file but the
  manifest."""
  digests = {}
  for root, _, names in os.walk(step_dir):
    for name in names:
      path = os.path.join(root, name)
      relative = os.path.relpath(path, step_dir)
      if relative == MANIFEST or name.startswith(".tmp-"):
        continue
      digests[relative] = file_sha256(path)
  return dict(sorted(digests.items()))


def _corrupt(step_dir: str, why: str, previous: Optional[int]) -> ValueError:
  legacy = os.path.join(os.path.dirname(os.path.dirname(step_dir)),
                        LEGACY_CHECKPOINT)
  if previous is not None:
    fallback = f"resume from epoch {previous}, the previous checkpoint kept"
  elif os.path.exists(legacy):
    fallback = f"resume from the older {legacy}"
  else:
    fallback = "restart from epoch 0"
  return ValueError(
      f"Checkpoint {step_dir} is corrupt ({why}); nothing was resumed. "
      f"Delete {step_dir} to {fallback}, or put back a good copy.")


def verify(step_dir: str, previous: Optional[int] = None) -> None:
  """ValueError naming `step_dir` unless every file matches its manifest."""
  try:
    with open(os.path.join(step_dir, MANIFEST)) as f:
      expected = json.load(f)
    if not isinstance(expected, dict):
      raise ValueError(f"a {type(expected).__name__}, not a mapping")
  except (OSError, ValueError) as e:
    raise _corrupt(step_dir, f"its {MANIFEST} is unreadable: {e}",
                   previous) from e
  actual = file_digests(step_dir)
  differing = sorted(name for name in expected.keys() | actual.keys()
                     if expected.get(name) != actual.get(name))
  if differing:
    raise _corrupt(step_dir, f"{len(differing)} file(s) differ from its "
                   f"{MANIFEST}, e.g. {differing[:3]}", previous)


def _sync(name: str) -> None:
  if jax.process_count() > 1:
    multihost_utils.sync_global_devices(name)


class CheckpointStore:
  """The orbax checkpoints of one workdir; `with CheckpointStore(w) as s:`.

  Construct it in every process of a run (orbax needs them all); only
  process 0 writes manifests and removes incomplete steps.
  """

  def __init__(self, workdir: str, keep: int = KEEP,
               read_only: bool = False):
    self.workdir = workdir
    self.directory = os.path.abspath(os.path.join(workdir, DIRECTORY))
    self.keep = keep
    self.set_aside: List[int] = []  # Incomplete steps moved aside on opening.
    if jax.process_index() == 0 and not read_only:
      for step in _step_numbers(self.directory):
        step_dir = self._step_dir(step)
        if not os.path.exists(os.path.join(step_dir, MANIFEST)):
          aside = f"{step_dir}.incomplete"
          if os.path.exists(aside):
            shutil.rmtree(aside)
          os.rename(step_dir, aside)
          self.set_aside.append(step)
    _sync("uwgnn_jax checkpoints opened")
    # Pruning is ours (`save`), after the new step's manifest.
    self._manager = None if read_only and not os.path.isdir(
        self.directory) else ocp.CheckpointManager(
        self.directory,
        options=ocp.CheckpointManagerOptions(
            max_to_keep=None, enable_async_checkpointing=False,
            cleanup_tmp_directories=not read_only, read_only=read_only,
            create=not read_only),
        item_names=("state", "history"))

  def _step_dir(self, step: int) -> str:
    return os.path.join(self.directory, str(step))

  def __enter__(self) -> "CheckpointStore":
    return self

  def __exit__(self, *exc) -> None:
    if self._manager is not None:
      self._manager.close()

  def latest_step(self) -> Optional[int]:
    return None if self._manager is None else self._manager.latest_step()

  def save(self, step: int, state: Any, history: Sequence[dict]) -> None:
    """Writes step `step` (the epoch) and, on process 0, its manifest."""
    self._manager.save(step, args=ocp.args.Composite(
        state=ocp.args.StandardSave(flax.serialization.to_state_dict(state)),
        history=ocp.args.JsonSave(list(history))))
    self._manager.wait_until_finished()
    if jax.process_index() == 0:
      step_dir = self._step_dir(step)
      params_io.write_atomically(
          os.path.join(step_dir, MANIFEST),
          json.dumps(file_digests(step_dir), indent=1).encode())
    _sync(f"uwgnn_jax checkpoint {step} verified")
    for old in sorted(self._manager.all_steps())[:-self.keep]:
      self._manager.delete(old)

  def restore(self, template: Any,
              sharding: Optional[Sharding] = None) -> Tuple[Any, list]:
    """(the latest step's state in `template`'s structure, placed by
    `sharding`; its history rows), after `verify`; a legacy
    checkpoint.msgpack if no step exists. ValueError if there is neither,
    or the files are damaged or of another model."""
    step = self.latest_step()
    if step is None:
      legacy = os.path.join(self.workdir, LEGACY_CHECKPOINT)
      if not os.path.exists(legacy):
        raise ValueError(f"{self.workdir} holds no checkpoint.")
      state, history = params_io.restore_state(legacy, template)
      return (state if sharding is None else
              parallel.to_global(state, sharding)), history
    steps = sorted(self._manager.all_steps())
    step_dir = self._step_dir(step)
    verify(step_dir, steps[-2] if len(steps) > 1 else None)
    abstract = jax.tree.map(
        lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=sharding),
        flax.serialization.to_state_dict(template))
    try:
      restored = self._manager.restore(step, args=ocp.args.Composite(
          state=ocp.args.StandardRestore(abstract),
          history=ocp.args.JsonRestore()))
      state = flax.serialization.from_state_dict(template, restored["state"])
    except (ValueError, KeyError, TypeError) as e:
      raise ValueError(f"Checkpoint {step_dir} does not match this model's "
                       f"state: {e}") from e
    return state, list(restored["history"])
