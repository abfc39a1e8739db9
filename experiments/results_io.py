"""results/<experiment>/results.json: every number with what produced it.

Each experiment writes its numbers together with its config, the device,
the wall time, the package and JAX versions and the git commit, so a
figure in RESULTS.md can be traced to the run behind it.
"""

import datetime
import importlib.metadata
import json
import os
import platform
import subprocess
from typing import Optional

import jax


def _git_commit() -> str:
  try:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], capture_output=True, text=True,
        check=True, cwd=os.path.dirname(os.path.abspath(__file__))
    ).stdout.strip()
  except (OSError, subprocess.CalledProcessError):
    return "unknown"


def _git_dirty() -> bool:
  """True if tracked files other than results/ (other runs' outputs)
  differ from the commit: the code that ran is not the commit's."""
  try:
    return bool(subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no", "--", ":/",
         ":(top,exclude)results"],
        capture_output=True, text=True, check=True,
        cwd=os.path.dirname(os.path.abspath(__file__))).stdout.strip())
  except (OSError, subprocess.CalledProcessError):
    return True


def _cpu_model() -> str:
  try:
    with open("/proc/cpuinfo") as f:
      for line in f:
        if line.startswith("model name"):
          return line.split(":", 1)[1].strip()
  except OSError:
    pass
  return platform.processor() or "unknown"


def device_description() -> dict:
  """The JAX backend and device this process computes on."""
  device = jax.devices()[0]
  return dict(platform=jax.default_backend(), device_kind=device.device_kind,
              device_count=jax.device_count(), cpu=_cpu_model(),
              cpu_count=os.cpu_count())


def code_version() -> dict:
  """The git commit of the code and whether it differed from it: read when
  a run starts, since commits may land while it runs."""
  return dict(git_commit=_git_commit(), git_dirty=_git_dirty())


def metadata(wall_seconds: float, code: Optional[dict] = None) -> dict:
  return dict(
      device=device_description(), wall_seconds=round(wall_seconds, 1),
      package_version=importlib.metadata.version("uwgnn-jax"),
      jax_version=jax.__version__, **(code or code_version()),
      date=datetime.datetime.now(datetime.timezone.utc).isoformat(
          timespec="seconds"))


def write(out_dir: str, config: dict, results: dict, wall_seconds: float,
          code: Optional[dict] = None, models: Optional[dict] = None) -> str:
  """Writes out_dir/results.json atomically; returns its path. `code`: the
  `code_version()` read when the run started (default: now); `models`:
  {cache directory: provenance} of the trained models the results used."""
  os.makedirs(out_dir, exist_ok=True)
  path = os.path.join(out_dir, "results.json")
  payload = dict(config=config, results=results,
                 **metadata(wall_seconds, code))
  if models:
    payload["models"] = models
  tmp = path + ".tmp"
  with open(tmp, "w") as f:
    json.dump(payload, f, indent=1, sort_keys=True)
    f.write("\n")
  os.replace(tmp, path)
  return path
