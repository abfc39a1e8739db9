"""Data-parallel training over several devices and processes (CPU).

The driver runs in subprocesses: 4 host-platform devices in one process
(resuming a run one device began, which it must say), and 2 processes on
localhost joined by jax.distributed. Both must export the parameters one
device trains, within float tolerance (the gradient's sum runs in another
order), and the 2-process run resumes from its checkpoint.
"""

import dataclasses
import os
import socket
import subprocess
import sys

import jax
import numpy as np
import pytest

from uwgnn_jax import params_io
from uwgnn_jax.training import parallel
from uwgnn_jax.training import train

from conftest import TINY

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The driver's flags for conftest.TINY.
TINY_FLAGS = ["--model=uwgnn", "--users=5", "--train_size=64",
              "--test_size=32", "--batch_size=16", "--learning_rate=3e-3",
              "--lr_schedule=constant"]


def driver(flags, devices=1, **popen):
  env = dict(os.environ, XLA_FLAGS=os.environ.get("XLA_FLAGS", "") +
             f" --xla_force_host_platform_device_count={devices}")
  return subprocess.Popen(
      [sys.executable, "-m", "experiments.train"] + TINY_FLAGS + flags,
      cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
      text=True, **popen)


def finished(process):
  out, _ = process.communicate(timeout=240)
  assert process.returncode == 0, out
  return out


@pytest.fixture(scope="module")
def one_device_params():
  state, _ = train.train_and_evaluate(TINY, None, log=lambda line: None)
  return state.params


def assert_close(params, path):
  exported = params_io.load_params(str(path))
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=2e-4,
                                                       atol=2e-6),
               jax.tree.map(np.asarray, params), exported)


def test_four_devices_train_what_one_does(one_device_params, tmp_path):
  # Epoch 1 on this process's one device, epoch 2 resumed on 4 devices.
  train.train_and_evaluate(dataclasses.replace(TINY, epochs=1),
                           str(tmp_path / "w"), log=lambda line: None)
  out = finished(driver(["--epochs=2", f"--workdir={tmp_path / 'w'}",
                         f"--export_params={tmp_path / 'p.msgpack'}"],
                        devices=4))
  assert "data parallel over 4 cpu devices (1 process)" in out
  assert "Resuming uwgnn from epoch 1" in out
  assert "epoch 1 was trained on 1 device(s); this run trains on 4" in out
  assert_close(one_device_params, tmp_path / "p.msgpack")


def test_two_processes_train_and_resume(one_device_params, tmp_path):
  with socket.socket() as s:
    s.bind(("localhost", 0))
    port = s.getsockname()[1]

  def run(epochs):
    processes = [driver([f"--epochs={epochs}", f"--workdir={tmp_path / 'w'}",
                         f"--export_params={tmp_path / 'p.msgpack'}",
                         f"--coordinator_address=localhost:{port}",
                         "--num_processes=2", f"--process_id={i}"])
                 for i in range(2)]
    return [finished(p) for p in processes]

  first, _ = run(epochs=1)
  assert "data parallel over 2 cpu devices (2 processes)" in first
  mismatched = [driver(["--epochs=2", f"--workdir={tmp_path / 'w'}",
                        f"--coordinator_address=localhost:{port}",
                        "--num_processes=2", f"--process_id={i}",
                        f"--seed={i}"]) for i in range(2)]
  for process in mismatched:
    out, _ = process.communicate(timeout=240)
    assert process.returncode != 0
    assert "The processes of this run differ in the flags" in out, out
  second, other = run(epochs=2)
  assert "Resuming uwgnn from epoch 1" in second
  assert "device(s); this run trains on" not in second  # 2 on 2 devices.
  assert "epoch" not in other  # Process 0 alone reports.
  assert_close(one_device_params, tmp_path / "p.msgpack")


def test_batch_must_split_evenly_and_flags_go_together():
  mesh = parallel.data_mesh(jax.devices()[:1])
  parallel.check_batch_size(3, mesh)
  with pytest.raises(ValueError, match="`batch_size` must be a multiple of "
                     "the 4 devices .* got 6"):
    parallel.check_batch_size(6, parallel.data_mesh(jax.devices()[:1] * 4))
  assert not parallel.check_distributed_flags(None, None, None)
  with pytest.raises(ValueError, match="go together"):
    parallel.check_distributed_flags("localhost:1234", 2, None)
  with pytest.raises(ValueError, match="host:port .* got 'localhost'"):
    parallel.check_distributed_flags("localhost", 2, 0)
  with pytest.raises(ValueError, match="port 1 to 65535"):
    parallel.check_distributed_flags("localhost:99999", 2, 0)
  assert parallel.check_distributed_flags("[::1]:1234", 2, 1)
  with pytest.raises(ValueError, match=r"--process_id must be in \[0, 2\); "
                     "got 2"):
    parallel.check_distributed_flags("localhost:1234", 2, 2)


def test_local_copies_are_plain_device_arrays():
  """Scoring a model fresh from training (to_local of mesh-placed params)
  runs the program that scoring it from its file (plain arrays) lowered
  and compiled."""
  from jax._src import dispatch  # pylint: disable=g-import-not-at-top
  mesh = parallel.data_mesh(jax.devices()[:1])
  placed = jax.device_put(np.arange(3.0, dtype=np.float32),
                          parallel.replicated(mesh))
  local = parallel.to_local({"w": placed})["w"]
  from_file = jax.numpy.asarray(np.arange(3.0, dtype=np.float32))
  lowered = []

  def count_lowerings(event, seconds, **unused):
    del seconds, unused
    if event == dispatch.JAXPR_TO_MLIR_MODULE_EVENT:
      lowered.append(event)

  jax.monitoring.register_event_duration_secs_listener(count_lowerings)
  try:
    double = jax.jit(lambda w: w * 2.5)
    np.testing.assert_array_equal(double(local), double(from_file))
  finally:
    jax.monitoring.unregister_event_duration_listener(count_lowerings)
  assert len(lowered) == 1  # One lowering (and compile) serves both.
