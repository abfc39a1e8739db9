"""Pretrained parameters shipped inside the package.

Each `<name>.msgpack` was written by `python -m experiments.train ...
--export_params=...` (commands and measured results in BUILD_NOTES.md and
`<name>.json` beside each file).
"""

import json
import os
from typing import Optional
import weakref

from uwgnn_jax import models
from uwgnn_jax import params_io

_FOLDER = os.path.join(os.path.dirname(__file__), "pretrained")
# id(first leaf) -> (weak reference to it, served SNR range): the params
# `pretrained` handed out, so `allocate` knows what range they serve.
_HANDED_OUT = {}


def available() -> list:
  """Names `pretrained` accepts."""
  return sorted(f[:-len(".msgpack")] for f in os.listdir(_FOLDER)
                if f.endswith(".msgpack"))


def _check_name(name: str) -> None:
  names = available()
  if name not in names:
    raise ValueError(f"Unknown pretrained model {name!r}; available: {names}.")


def path(name: str) -> str:
  """The shipped model's parameter file (.msgpack)."""
  _check_name(name)
  return os.path.join(_FOLDER, name + ".msgpack")


def pretrained(name: str) -> models.Params:
  """Parameters of a shipped model, e.g. pretrained("uwgnn")."""
  params = params_io.load_params(path(name))
  served = pretrained_info(name).get("served_direct_snr_db")
  if served is not None:
    leaf = _weights_leaf(params)
    _HANDED_OUT[id(leaf)] = (weakref.ref(leaf), tuple(served))
    weakref.finalize(leaf, _HANDED_OUT.pop, id(leaf), None)
  return params


def served_snr_db(params) -> Optional[tuple]:
  """(low, high) dB: the per-network median direct-link SNR
  H_ii^2 p_max / sigma^2 of the networks these params were trained and
  verified on, if they are (unchanged) shipped params; else None."""
  leaf = _weights_leaf(params)
  entry = _HANDED_OUT.get(id(leaf)) if leaf is not None else None
  if entry is None or entry[0]() is not leaf:
    return None
  return entry[1]


def _weights_leaf(params):
  """The first weight of a tree (not the depth marker, so that shipped
  weights run at another depth, `models.with_depth`, are still known)."""
  leaves = models.weight_leaves(params)
  return leaves[0] if leaves else None


def pretrained_info(name: str) -> dict:
  """The training command and held-out results recorded for `name`."""
  _check_name(name)
  with open(os.path.join(_FOLDER, name + ".json")) as f:
    return json.load(f)
