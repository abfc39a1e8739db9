"""Data-parallel training over several devices and processes (CPU).

The driver runs in subprocesses: one process with 4 host-platform devices
starts a run; two processes on localhost, joined by jax.distributed, with
2 devices each, resume it, and must export the parameters one device
trains, within float tolerance (the gradient's sum runs in another order);
a pair started with mismatched flags is refused; then the checkpoint the
two processes wrote is restored and trained on in this process, on one
device. Five interpreter starts where the tests before them took seven
(BUILD_NOTES.md, "The test suite's time"). Not run end to end any more:
two processes starting in an empty workdir, and two processes resuming a
checkpoint two processes wrote (each half is: two processes resume, and
two processes write).
"""

import dataclasses
import json
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


def assert_close(params, exported):
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=2e-4,
                                                       atol=2e-6),
               jax.tree.map(np.asarray, params),
               jax.tree.map(np.asarray, exported))


def test_four_devices_then_two_processes_train_what_one_device_does(
    one_device_params, tmp_path):
  workdir = tmp_path / "w"
  with socket.socket() as s:
    s.bind(("localhost", 0))
    port = s.getsockname()[1]

  def processes(flags):
    return [driver([f"--workdir={workdir}",
                    f"--coordinator_address=localhost:{port}",
                    "--num_processes=2", f"--process_id={i}"] + flags(i),
                   devices=2) for i in range(2)]

  # Epoch 1 in one process over 4 devices; epoch 2 in 2 processes x 2.
  started = finished(driver(["--epochs=1", f"--workdir={workdir}"],
                            devices=4))
  assert "data parallel over 4 cpu devices (1 process)" in started
  first, other = map(finished, processes(lambda i: [
      "--epochs=2", f"--export_params={tmp_path / 'p.msgpack'}"]))
  assert "data parallel over 4 cpu devices (2 processes)" in first
  assert "Resuming uwgnn from epoch 1" in first
  assert "device(s); this run trains on" not in first  # 4 on 4 devices.
  assert "epoch" not in other  # Process 0 alone reports.
  assert_close(one_device_params,
               params_io.load_params(str(tmp_path / "p.msgpack")))

  for process in processes(lambda i: ["--epochs=3", f"--seed={i}"]):
    out, _ = process.communicate(timeout=240)
    assert process.returncode != 0
    assert "The processes of this run differ in the flags" in out, out

  # The checkpoint the two processes wrote, restored on one device, then
  # trained on: a resume on another device count says so.
  state, _ = train.train_and_evaluate(TINY, str(workdir), eval_only=True,
                                      log=lambda line: None)
  assert_close(one_device_params, state.params)
  lines = []
  state, _ = train.train_and_evaluate(dataclasses.replace(TINY, epochs=3),
                                      str(workdir), log=lines.append)
  assert any("Resuming uwgnn from epoch 2" in line for line in lines)
  assert any("epoch 2 was trained on 4 device(s); this run trains on 1"
             in line for line in lines)
  with open(workdir / train.HISTORY) as f:
    rows = [json.loads(line) for line in f]
  assert [(r["devices"], r["processes"]) for r in rows] == [
      (4, 1), (4, 2), (1, 1)]


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
