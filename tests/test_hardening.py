"""Workdirs that cannot mix runs, verified checkpoints, bad input, no NaN."""

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import uwgnn_jax
from uwgnn_jax import models
from uwgnn_jax import params_io
from uwgnn_jax.training import checkpoints
from uwgnn_jax.training import config as config_lib
from uwgnn_jax.training import train
from uwgnn_jax.training import workdir as workdir_lib

from conftest import TINY as TWO_EPOCHS

TINY = dataclasses.replace(TWO_EPOCHS, epochs=1)
quiet = lambda line: None


@pytest.fixture(scope="module")
def trained_workdir(tmp_path_factory):
  """A workdir holding TINY's one-epoch checkpoint; tests copy it."""
  path = tmp_path_factory.mktemp("run")
  train.train_and_evaluate(TINY, str(path), log=quiet)
  return path


def copy_of(source, tmp_path):
  target = tmp_path / "run"
  shutil.copytree(source, target, ignore=shutil.ignore_patterns(".lock"))
  return target


def step_dir(run, epoch):
  return run / checkpoints.DIRECTORY / str(epoch)


def test_second_run_on_a_held_workdir_is_refused(tmp_path):
  with workdir_lib.hold(str(tmp_path)):
    with pytest.raises(ValueError, match=rf"in use by another run \(pid "
                       rf"{os.getpid()}\)"):
      train.train_and_evaluate(TINY, str(tmp_path), log=quiet)
  with workdir_lib.hold(str(tmp_path)):  # Released when the first ended.
    pass


def test_checkpoint_without_config_is_refused(trained_workdir, tmp_path):
  run = copy_of(trained_workdir, tmp_path)
  (run / train.CONFIG).unlink()
  with pytest.raises(ValueError, match="no config.json"):
    train.train_and_evaluate(dataclasses.replace(TINY, num_users=8, seed=5),
                             str(run), log=quiet)
  (run / train.CONFIG).write_text("{not json")
  with pytest.raises(ValueError, match="config.json is unreadable"):
    train.train_and_evaluate(TINY, str(run), log=quiet)


def test_what_a_kill_leaves_is_rebuilt_or_replayed(trained_workdir,
                                                   tmp_path):
  run = copy_of(trained_workdir, tmp_path)
  (run / train.HISTORY).write_text("")  # Killed before the history line.
  (run / ".tmp-abc123").write_bytes(b"half a checkpoint")
  train.train_and_evaluate(TWO_EPOCHS, str(run),
                           log=quiet)
  rows = [json.loads(line) for line in
          (run / train.HISTORY).read_text().splitlines()]
  assert [row["epoch"] for row in rows] == [1, 2]
  assert not [f for f in os.listdir(run) if f.startswith(".tmp-")]
  (run / train.HISTORY).write_text("")  # Nothing left to train: rebuilt at
  train.train_and_evaluate(TWO_EPOCHS, str(run), log=quiet)  # resume alone.
  assert len((run / train.HISTORY).read_text().splitlines()) == 2
  # Killed after orbax committed epoch 2 but before its checksums:
  # evaluating it is refused (nothing moved); training sets it aside and
  # replays epoch 2 from epoch 1, to the same parameters.
  trained, _ = checkpoints.CheckpointStore(str(run)).restore(
      train.init_state(TWO_EPOCHS))
  (step_dir(run, 2) / checkpoints.MANIFEST).unlink()
  with pytest.raises(ValueError, match="sha256.json is unreadable"):
    train.train_and_evaluate(TWO_EPOCHS, str(run), log=quiet, eval_only=True)
  assert step_dir(run, 2).is_dir()
  lines = []
  replayed, _ = train.train_and_evaluate(TWO_EPOCHS, str(run),
                                         log=lines.append)
  assert any("Set aside the checkpoint of epoch 2" in line for line in lines)
  assert any("Resuming uwgnn from epoch 1" in line for line in lines)
  assert (run / checkpoints.DIRECTORY / "2.incomplete").is_dir()
  jax.tree.map(np.testing.assert_array_equal, trained, replayed)


@pytest.mark.parametrize("damage", ["flip", "truncate", "random",
                                    "manifest", "extra file"])
def test_corrupt_checkpoint_is_a_clear_error(trained_workdir, tmp_path,
                                             damage):
  run = copy_of(trained_workdir, tmp_path)
  step = step_dir(run, 1)
  files = [p for p in step.rglob("*") if p.is_file()
           and p.name != checkpoints.MANIFEST]
  path = max(files, key=lambda p: p.stat().st_size)  # The array data.
  data = bytearray(path.read_bytes())
  if damage == "flip":
    data[-40:-32] = bytes(b ^ 0xFF for b in data[-40:-32])
  elif damage == "truncate":
    data = data[:len(data) // 2]
  elif damage == "random":
    data = bytearray(np.random.default_rng(0).bytes(len(data)))
  elif damage == "manifest":
    path = step / checkpoints.MANIFEST
    data = bytearray(b"[not a manifest")
  else:
    path = path.parent / "planted"
  path.write_bytes(bytes(data))
  with pytest.raises(ValueError, match=rf"Checkpoint {step} is corrupt .*"
                     rf"Delete {step} to restart from epoch 0"):
    train.train_and_evaluate(TINY, str(run), log=quiet)


def test_store_keeps_state_history_and_the_last_steps(tmp_path):
  state = train.init_state(TINY)
  with checkpoints.CheckpointStore(str(tmp_path), keep=2) as store:
    for epoch in (1, 2, 3):
      store.save(epoch, state, [{"epoch": epoch, "loss": -1.5}])
    restored, history = store.restore(train.init_state(TINY))
  assert checkpoints._step_numbers(str(tmp_path / "checkpoints")) == [2, 3]
  jax.tree.map(np.testing.assert_array_equal, state, restored)
  assert history == [{"epoch": 3, "loss": -1.5}]
  shutil.rmtree(tmp_path / "checkpoints" / "3" / "state")
  with pytest.raises(ValueError, match="to resume from epoch 2, the "
                     "previous checkpoint kept"):
    checkpoints.CheckpointStore(str(tmp_path)).restore(state)


def test_a_checkpoint_from_before_orbax_resumes(tmp_path):
  """Workdirs written before the move hold checkpoint.msgpack."""
  one_epoch, _ = train.train_and_evaluate(TINY, None, log=quiet)
  params_io.save_state(str(tmp_path / checkpoints.LEGACY_CHECKPOINT),
                       one_epoch, [{"epoch": 1}])
  (tmp_path / train.CONFIG).write_text(TWO_EPOCHS.to_json())
  lines = []
  train.train_and_evaluate(TWO_EPOCHS, str(tmp_path), log=lines.append)
  assert any("Resuming uwgnn from epoch 1" in line for line in lines)
  assert checkpoints._step_numbers(str(tmp_path / "checkpoints")) == [2]


def test_unwritable_workdir_fails_before_any_work(tmp_path):
  blocker = tmp_path / "file"
  blocker.write_text("")
  with pytest.raises(ValueError, match="--workdir .* cannot be created"):
    train.train_and_evaluate(TINY, str(blocker / "run"), log=quiet)
  with pytest.raises(ValueError, match="--export_params .* not writable"):
    workdir_lib.check_writable_file(str(blocker / "p.msgpack"),
                                    "--export_params")


@pytest.mark.parametrize("kwargs, match", [
    (dict(variance=0.0), "`variance` must be > 0"),
    (dict(drop_prob=1.5), "`drop_prob` must lie in"),
    (dict(density=-1.0), "`density` must be > 0"),
    (dict(speed=-2.0), "`speed` must be >= 0"),
    (dict(learning_rate=float("inf")), "`learning_rate` must be > 0 and "
     "finite"),
    (dict(rician_mean=float("nan")), "`rician_mean` must be finite"),
    (dict(snr_db_min=0.0), "go together"),
    (dict(snr_db_min=40.0, snr_db_max=0.0), "`snr_db_max` must be >= 40"),
])
def test_every_setting_is_checked_up_front(kwargs, match):
  with pytest.raises(ValueError, match=match):
    dataclasses.replace(TINY, **kwargs)


H4 = jnp.abs(jax.random.normal(jax.random.PRNGKey(0), (3, 4, 4)))
UWGNN = models.init("uwgnn", jax.random.PRNGKey(1), 4)


@pytest.mark.parametrize("kwargs, match", [
    (dict(noise_var=1e-45), "float32's normal range"),
    (dict(noise_var=0.0), "`noise_var` must be a finite number > 0"),
    (dict(noise_var=1e-39), "float32's normal range"),
    (dict(p_max=1e38), "overflow float32"),
    (dict(noise_var="loud"), "`noise_var` must be a .*number"),
])
def test_out_of_range_scales_are_errors_not_nan(kwargs, match):
  for call in (lambda: uwgnn_jax.allocate(UWGNN, H4, **kwargs),
               lambda: uwgnn_jax.wmmse(H4, **kwargs)):
    with pytest.raises(ValueError, match=match):
      call()
  noise_kwargs = {k: v for k, v in kwargs.items() if k == "noise_var"}
  if noise_kwargs:
    with pytest.raises(ValueError, match=match):
      uwgnn_jax.sum_rate(H4, jnp.ones((3, 4)), **noise_kwargs)


def test_extreme_but_legal_scales_stay_finite():
  # Link SNRs around 10 dB from amplitudes of 1e-10 and of 1e19 (H^2 near
  # float32's limit: H^2 p overflowed in sum_rate before it divided by
  # sigma^2).
  for scale, noise_var in ((1e-10, 1e-21), (1e19, 1e37)):
    H = H4 * scale
    p = uwgnn_jax.allocate(UWGNN, H, noise_var=noise_var)
    p_w = uwgnn_jax.wmmse(H, noise_var=noise_var, num_iters=5)
    rate = uwgnn_jax.sum_rate(H, p_w, noise_var=noise_var)
    for x in (p, p_w, rate):
      assert np.all(np.isfinite(np.asarray(x))), (scale, noise_var)
    np.testing.assert_allclose(
        rate, uwgnn_jax.sum_rate(H4, p_w, noise_var=noise_var / scale**2),
        rtol=1e-4)


def test_incomplete_parameter_trees_name_what_is_wrong():
  H = H4[0]
  with pytest.raises(ValueError, match="not a complete uwgnn parameter tree"):
    uwgnn_jax.allocate({"uwgnn": {}}, H)
  uwmmse = models.init("uwmmse", jax.random.PRNGKey(0), 4)
  cut = {"uwmmse": {k: v for k, v in uwmmse["uwmmse"].items()
                    if not k.endswith("_3")}}
  with pytest.raises(ValueError, match=r"missing \['psi_a_3'\]"):
    uwgnn_jax.allocate(cut, H)
  wrong = jax.tree.map(lambda x: x, UWGNN)
  wrong["uwgnn"]["f2"]["out"]["bias"] = jnp.zeros(7)
  with pytest.raises(ValueError, match=r"\['f2'\]\['out'\]\['bias'\] has "
                     r"shape \(7,\) and dtype float32, expected \(4,\)"):
    uwgnn_jax.allocate(wrong, H)
  extra = {"uwgnn": dict(UWGNN["uwgnn"], f9={"w": jnp.ones(2)})}
  with pytest.raises(ValueError, match=r"unexpected \['f9'\]"):
    uwgnn_jax.allocate(extra, H)


def test_layer_count_travels_with_the_params():
  """Shared-layer models record a non-default depth in a zeros [L] leaf;
  the default depth adds nothing (953 parameters, files written before)."""
  deep = models.init("uwgnn", jax.random.PRNGKey(0), 4, num_layers=5)
  assert models.num_layers(deep) == 5 and models.num_params(deep) == 953
  assert models.num_layers(UWGNN) == 3 and "depth" not in UWGNN["uwgnn"]
  np.testing.assert_array_equal(deep["uwgnn"]["depth"], np.zeros(5))
  assert models.num_layers(models.init("igcnet", jax.random.PRNGKey(0), 4,
                                       num_layers=4)) == 4
  assert models.num_layers(models.init("uwmmse", jax.random.PRNGKey(0), 4,
                                       num_layers=2)) == 2
  # The shipped weights run two layers deeper: another (finite) allocation.
  shipped = uwgnn_jax.pretrained("uwgnn")
  deeper = models.with_depth(shipped, 5)
  assert models.num_layers(deeper) == 5
  assert jax.tree.structure(models.with_depth(deeper, 3)) == \
      jax.tree.structure(shipped)
  p5, p3 = (np.asarray(uwgnn_jax.allocate(t, H4, noise_var=0.1))
            for t in (deeper, shipped))
  assert np.all(np.isfinite(p5)) and not np.array_equal(p5, p3)
  # Still the shipped weights: the served-SNR warning holds at any depth;
  # the marker is no layer width (chunk sizes) and a numpy int is a depth.
  with pytest.warns(UserWarning, match="far outside"):
    uwgnn_jax.allocate(models.with_depth(shipped, 5), H4 * 1e4,
                       noise_var=0.1)
  assert models.bytes_per_network(models.with_depth(shipped, 200), 100) == \
      models.bytes_per_network(shipped, 100)
  assert models.num_layers(models.with_depth(shipped, np.int64(4))) == 4
  with pytest.raises(ValueError, match="uwmmse do not share"):
    models.with_depth(models.init("uwmmse", jax.random.PRNGKey(0), 4), 5)
  with pytest.raises(ValueError, match="`num_layers` must be an int >= 1"):
    models.with_depth(shipped, 0)


def test_input_far_outside_the_served_snrs_warns():
  params = uwgnn_jax.pretrained("uwgnn")
  H = H4 * 1e4  # 80 dB above the 10 dB test SNR: far past its -5 to 45.
  with pytest.warns(UserWarning, match="far outside"):
    p = uwgnn_jax.allocate(params, H, noise_var=0.1)
  assert np.all(np.isfinite(np.asarray(p)))
  with warnings.catch_warnings():
    warnings.simplefilter("error")
    uwgnn_jax.allocate(params, H4, noise_var=0.1)  # 10 dB: no warning.


def test_checked_mode_reports_bad_values_under_jit():
  safe = jax.jit(uwgnn_jax.checked(
      lambda h, s: uwgnn_jax.allocate(UWGNN, h, noise_var=s)))
  error, p = safe(H4, 0.1)
  error.throw()  # Nothing wrong.
  assert p.shape == (3, 4)
  error, _ = safe(H4.at[0, 1, 2].set(jnp.nan), 0.1)
  with pytest.raises(Exception, match="`H` has non-finite entries"):
    error.throw()
  error, _ = safe(H4, -1.0)
  with pytest.raises(Exception, match="`noise_var` must be a finite number"):
    error.throw()
  error, _ = safe(H4 * 1e19, 1e-30)  # A link SNR of 10^68.
  with pytest.raises(Exception, match="overflows float32"):
    error.throw()
  # A function the user jitted before is checked inside `checked` too, and
  # still runs plain afterwards (the checks are not baked into its trace).
  plain = jax.jit(lambda h: uwgnn_jax.allocate(UWGNN, h, noise_var=0.1))
  plain(H4)
  error, _ = jax.jit(uwgnn_jax.checked(plain))(H4.at[0, 0, 0].set(jnp.nan))
  with pytest.raises(Exception, match="`H` has non-finite entries"):
    error.throw()
  assert np.all(np.isfinite(np.asarray(plain(H4))))


def test_driver_has_a_flag_per_setting_and_checks_them_first(tmp_path):
  """One subprocess: --helpfull lists a flag for every TrainConfig field;
  a bad value and an unwritable export path stop the driver before any
  data is drawn (no workdir is created)."""
  root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  run = lambda *flags: subprocess.run(
      [sys.executable, "-m", "experiments.train", *flags], cwd=root,
      capture_output=True, text=True, timeout=120)
  helpfull = run("--helpfull").stdout
  renamed = {"num_users": "users", "num_users_min": "users_min"}
  for field in dataclasses.fields(config_lib.TrainConfig):
    flag = renamed.get(field.name, field.name)
    assert f"--{flag}" in helpfull or f"--[no]{flag}" in helpfull, flag
  blocker = tmp_path / "file"
  blocker.write_text("")
  bad = run("--variance=0", f"--workdir={tmp_path / 'w1'}")
  assert bad.returncode != 0 and "`variance` must be > 0" in bad.stderr
  unwritable = run(f"--export_params={blocker / 'p.msgpack'}",
                   f"--workdir={tmp_path / 'w2'}")
  assert unwritable.returncode != 0 and "not writable" in unwritable.stderr
  assert not (tmp_path / "w1").exists() and not (tmp_path / "w2").exists()
