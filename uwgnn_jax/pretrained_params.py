"""Pretrained parameters shipped inside the package.

Each `<name>.msgpack` was written by `python -m experiments.train ...
--export_params=...` (commands and measured results in BUILD_NOTES.md and
`<name>.json` beside each file).
"""

import json
import os

from uwgnn_jax import models
from uwgnn_jax import params_io

_FOLDER = os.path.join(os.path.dirname(__file__), "pretrained")


def available() -> list:
  """Names `pretrained` accepts."""
  return sorted(f[:-len(".msgpack")] for f in os.listdir(_FOLDER)
                if f.endswith(".msgpack"))


def pretrained(name: str) -> models.Params:
  """Parameters of a shipped model, e.g. pretrained("uwgnn")."""
  names = available()
  if name not in names:
    raise ValueError(f"Unknown pretrained model {name!r}; available: {names}.")
  return params_io.load_params(os.path.join(_FOLDER, name + ".msgpack"))


def pretrained_info(name: str) -> dict:
  """The training command and held-out results recorded for `name`."""
  pretrained(name)  # Validates the name.
  with open(os.path.join(_FOLDER, name + ".json")) as f:
    return json.load(f)
