"""Training library: loss goes down, checkpoints resume exactly, errors."""

import dataclasses
import json
import os

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import uwgnn_jax
from uwgnn_jax import models
from uwgnn_jax import params_io
from uwgnn_jax.training import config as config_lib
from uwgnn_jax.training import data
from uwgnn_jax.training import evaluation
from uwgnn_jax.training import train

from conftest import TINY
quiet = lambda line: None


@pytest.mark.parametrize("model", ["uwgnn", "wcgcn", "uwmmse", "mlp", "regnn",
                                   "igcnet"])
def test_train_steps_lower_loss_on_fixed_batch(model):
  config = dataclasses.replace(TINY, model=model)
  dataset = data.make_dataset(jax.random.PRNGKey(0), config, 16)
  targets = data.wmmse_powers(dataset, 100)
  state = train.init_state(config)
  step = train.make_train_step(config)
  _, first = step(state, dataset.H, dataset.weights, targets)
  for _ in range(30):
    state, loss = step(state, dataset.H, dataset.weights, targets)
  assert float(loss) < float(first)  # So the gradients are finite, not 0.
  assert int(state.step) == 30
  assert all(np.all(np.isfinite(leaf)) for leaf in jax.tree.leaves(state))


def test_resume_equals_uninterrupted_run(tmp_path):
  straight, _ = train.train_and_evaluate(TINY, str(tmp_path / "a"), log=quiet)
  one_epoch = dataclasses.replace(TINY, epochs=1)
  train.train_and_evaluate(one_epoch, str(tmp_path / "b"), log=quiet)
  lines = []
  resumed, result = train.train_and_evaluate(TINY, str(tmp_path / "b"),
                                             log=lines.append)
  assert any("Resuming uwgnn from epoch 1" in line for line in lines)
  jax.tree.map(np.testing.assert_array_equal, straight.params, resumed.params)
  assert int(resumed.step) == 2 * TINY.steps_per_epoch
  assert np.isfinite(result.percent_of_wmmse)
  history = [json.loads(h) for h in
             (tmp_path / "b" / train.HISTORY).read_text().splitlines()]
  assert [h["epoch"] for h in history] == [1, 2]
  assert all(h["devices"] == jax.device_count() and h["processes"] == 1
             for h in history)
  assert not any("Warning" in line for line in lines)  # Same device count.


def test_resuming_on_another_device_count_warns():
  warning = train._device_count_warning(dict(epoch=3, devices=4), 1)
  assert "epoch 3 was trained on 4 device(s); this run trains on 1" in warning
  assert train._device_count_warning(dict(epoch=3, devices=1), 1) is None
  # Rows from before the count was recorded, and a fresh run: no claim.
  assert train._device_count_warning(dict(epoch=3), 1) is None
  assert train._device_count_warning(None, 1) is None


def test_a_collapse_to_zero_power_is_reported():
  collapsed = evaluation.Evaluation(0.0, 6.6, 4.0, 1.5)
  warning = train._collapse_warning(collapsed, 12, 3e-3)
  assert "after epoch 12" in warning and "lower --learning_rate than 0.003" \
      in warning
  # Full power and a trained model are not a collapse to zero.
  for rate in (1.5, 6.5):
    assert train._collapse_warning(evaluation.Evaluation(rate, 6.6, 4.0, 1.5),
                                   12, 3e-3) is None


def test_the_full_power_trap_is_reported():
  trapped = evaluation.Evaluation(1.5005, 6.6, 4.0, 1.5)
  warning = train._full_power_warning(trapped, 3)
  assert "after epoch 3 the model gives full power's rate (22.73%" in warning
  assert "--head_init=random" in warning
  # Off full power, or where full power is itself within 5% of WMMSE.
  for rates in ((1.6, 6.6, 1.5), (6.5, 6.6, 1.5), (6.4, 6.6, 6.4)):
    assert train._full_power_warning(evaluation.Evaluation(
        rates[0], rates[1], 4.0, rates[2]), 3) is None


def test_a_run_can_start_from_trained_weights(tmp_path):
  """init_params: a file or a shipped name, the same model and sizes
  (shared layers unrolled to the run's depth), checked before training."""
  shipped = uwgnn_jax.pretrained("uwgnn")
  path = str(tmp_path / "start.msgpack")
  params_io.save_params(path, shipped)
  for source in (path, "uwgnn"):
    start = train.init_state(dataclasses.replace(
        TINY, init_params=source)).params
    chex.assert_trees_all_equal(start, shipped)
  deeper = train.init_state(dataclasses.replace(
      TINY, init_params=path, num_layers=5)).params
  chex.assert_trees_all_equal(deeper, models.with_depth(shipped, 5))
  for bad, match in ((dict(init_params="uwgnn", model="wcgcn"),
                      "holds uwgnn params; this run trains wcgcn"),
                     # K = 20: the init program the sizes test compiles.
                     (dict(init_params=path, message_dim=6, num_users=20),
                      "other sizes")):
    with pytest.raises(ValueError, match=match):
      train.init_state(dataclasses.replace(TINY, **bad))
  for bad, match in ((dict(init_params=str(tmp_path / "none.msgpack")),
                      "a params file or a shipped model's name"),
                     (dict(init_params=path, head_init="random"),
                      "cannot be combined")):
    with pytest.raises(ValueError, match=match):
      dataclasses.replace(TINY, **bad)
  assert dataclasses.replace(TINY, init_params=path).program_key == \
      TINY.program_key


def test_eval_only_restores_checkpoint(tmp_path):
  state, result = train.train_and_evaluate(TINY, str(tmp_path), log=quiet)
  restored, again = train.train_and_evaluate(TINY, str(tmp_path), log=quiet,
                                             eval_only=True)
  jax.tree.map(np.testing.assert_array_equal, state.params, restored.params)
  assert again.model_rate == pytest.approx(result.model_rate, rel=1e-6)
  with pytest.raises(ValueError, match="--eval_only needs a checkpoint"):
    train.train_and_evaluate(TINY, str(tmp_path / "empty"), log=quiet,
                             eval_only=True)


def test_other_models_checkpoint_is_a_clear_error(tmp_path):
  train.train_and_evaluate(dataclasses.replace(TINY, epochs=1), str(tmp_path),
                           log=quiet)
  with pytest.raises(ValueError, match="holds a 'uwgnn' checkpoint"):
    train.train_and_evaluate(dataclasses.replace(TINY, model="wcgcn"),
                             str(tmp_path), log=quiet)
  with pytest.raises(ValueError, match=r"other settings \(\['seed'\]\)"):
    train.train_and_evaluate(dataclasses.replace(TINY, seed=5),
                             str(tmp_path), log=quiet)


def test_default_learning_rate_depends_on_the_model():
  assert config_lib.TrainConfig().learning_rate == 3e-3
  assert config_lib.TrainConfig(model="mlp").learning_rate == 1e-3
  assert config_lib.TrainConfig(model="mlp",
                                learning_rate=0.5).learning_rate == 0.5
  saved = config_lib.TrainConfig(model="mlp").to_json()
  assert config_lib.TrainConfig.from_json(saved).learning_rate == 1e-3


def test_cosine_schedule_decays_to_zero_over_the_run():
  config = dataclasses.replace(TINY, lr_schedule="cosine")
  total = config.epochs * config.steps_per_epoch
  params = {"w": jnp.ones(())}
  grads = {"w": jnp.ones(())}
  optimizer = train.make_optimizer(config)
  opt_state = optimizer.init(params)
  sizes = []
  for _ in range(total + 1):
    updates, opt_state = optimizer.update(grads, opt_state, params)
    sizes.append(abs(float(updates["w"])))
  # Adam's step on a constant gradient is the learning rate itself.
  np.testing.assert_allclose(sizes[0], config.learning_rate, rtol=1e-3)
  np.testing.assert_allclose(sizes[total // 2], config.learning_rate / 2,
                             rtol=1e-3)
  assert sizes[total] == 0.0


def test_cosine_run_cannot_resume_with_other_epochs(tmp_path):
  # What a cosine run's workdir says of it (the check runs before any work).
  config = dataclasses.replace(TINY, epochs=1, lr_schedule="cosine")
  (tmp_path / train.CONFIG).write_text(config.to_json())
  with pytest.raises(ValueError, match=r"other settings \(\['epochs'\]\)"):
    train.train_and_evaluate(dataclasses.replace(config, epochs=2),
                             str(tmp_path), log=quiet)


def test_params_file_roundtrip_and_model_check(tmp_path):
  params = models.init("wcgcn", jax.random.PRNGKey(0), 4)
  path = str(tmp_path / "p.msgpack")
  params_io.save_params(path, params)
  loaded = params_io.load_params(path, expected_model="wcgcn")
  jax.tree.map(np.testing.assert_array_equal, params, loaded)
  with pytest.raises(ValueError, match="holds 'wcgcn' parameters, not 'uwgnn'"):
    params_io.load_params(path, expected_model="uwgnn")
  with pytest.raises(ValueError, match="is corrupt"):  # Not a checkpoint.
    params_io.restore_state(path, params)
  params_io.save_state(path, params)
  with pytest.raises(ValueError, match="does not match"):
    params_io.restore_state(path, {"uwgnn": {"w": jnp.zeros(3)}})


def test_atomic_write_leaves_old_file_on_failure(tmp_path, monkeypatch):
  path = str(tmp_path / "ckpt")
  params_io.write_atomically(path, b"old")
  assert os.stat(path).st_mode & 0o777 == 0o644
  def broken_replace(src, dst):
    raise OSError("disk full")
  monkeypatch.setattr(os, "replace", broken_replace)
  with pytest.raises(OSError):
    params_io.write_atomically(path, b"new")
  with open(path, "rb") as f:
    assert f.read() == b"old"
  assert os.listdir(tmp_path) == ["ckpt"]  # No temp file left behind.


@pytest.mark.parametrize("kwargs, match", [
    (dict(model="gnn"), "Unknown model 'gnn'"),
    (dict(channel="awgn"), "`channel` must be one of"),
    (dict(batch_size=128), "exceeds `train_size`"),
    (dict(noise_var=-1.0), "`noise_var` must be > 0"),
    (dict(learning_rate=0.0), "`learning_rate` must be > 0"),
    (dict(lr_schedule="step"), "`lr_schedule` must be one of"),
    (dict(channel="geometric", density=2.0, density_max=1.0),
     "`density_max` must be >= 2"),
    (dict(channel="geometric", fixed_layout=True, density_max=5.0),
     "fixed_layout=False"),
    (dict(head_init="he"), "`head_init` must be one of"),
    (dict(model="uwmmse", head_init="random"), "power head; got 'uwmmse'"),
    (dict(model="mlp", head_init="random"), "power head; got 'mlp'"),
])
def test_bad_config(kwargs, match):
  with pytest.raises(ValueError, match=match):
    dataclasses.replace(TINY, **kwargs)


@pytest.mark.parametrize("channel", config_lib.CHANNELS)
def test_every_channel_makes_a_dataset(channel):
  config = dataclasses.replace(TINY, channel=channel, speed=1.0,
                               fixed_layout=channel == "geometric")
  dataset = data.make_dataset(jax.random.PRNGKey(1), config, 8)
  assert dataset.H.shape == (8, 5, 5)
  assert np.all(np.isfinite(np.asarray(dataset.H)))


def test_density_range_draws_a_density_per_network():
  """Direct links span ~A/4 whatever d; cross links shrink as 1/d, so their
  gains (path loss d^-2.2) grow with d: a range gives a spread of them."""
  def median_cross_gain(**kwargs):
    config = dataclasses.replace(TINY, model="uwmmse", channel="geometric",
                                 num_users=5, **kwargs)
    H = np.asarray(data.make_dataset(jax.random.PRNGKey(1), config, 256).H)
    off = ~np.eye(5, dtype=bool)
    return np.median(H[:, off] ** 2, axis=1)  # [networks]
  sparse, dense = median_cross_gain(density=0.5), median_cross_gain(density=5)
  mixed = median_cross_gain(density=0.5, density_max=5.0)
  assert np.median(dense) > 10 * np.median(sparse)
  assert np.median(sparse) < np.median(mixed) < np.median(dense)


def test_model_sizes_reach_the_initial_params_and_are_checked():
  uwmmse3 = train.init_state(config_lib.TrainConfig(model="uwmmse",
                                                    num_layers=3)).params
  assert models.num_layers(uwmmse3) == 3
  narrow = train.init_state(config_lib.TrainConfig(message_dim=6)).params
  assert narrow["uwgnn"]["f1"]["out"]["kernel"].shape == (8, 6)
  deep = train.init_state(config_lib.TrainConfig(model="wcgcn",
                                                  num_layers=5)).params
  assert models.num_layers(deep) == 5
  assert evaluation.num_layers_of(config_lib.TrainConfig(
      model="wcgcn", num_layers=5)) == 5
  for bad, match in ((dict(model="regnn", num_layers=3),
                      "uwgnn, wcgcn, igcnet, uwmmse only"),
                     (dict(model="uwmmse", message_dim=8), "uwgnn only"),
                     (dict(intermediate_dim=0), "int >= 1")):
    with pytest.raises(ValueError, match=match):
      config_lib.TrainConfig(**bad)


def test_configs_that_differ_only_in_data_share_one_compiled_epoch():
  data_only = dataclasses.replace(TINY, channel="rician", seed=7,
                                  weighted=True, noise_var=0.5,
                                  head_init="random")
  assert train.make_train_epoch(data_only) is train.make_train_epoch(TINY)
  other_rate = dataclasses.replace(TINY, learning_rate=1e-2)
  assert train.make_train_epoch(other_rate) is not train.make_train_epoch(TINY)
  # Epochs set the cosine schedule's length, and nothing at a constant rate.
  one_epoch = dataclasses.replace(TINY, epochs=1)
  assert train.make_train_epoch(one_epoch) is train.make_train_epoch(TINY)
  cosine = dataclasses.replace(TINY, lr_schedule="cosine")
  assert (train.make_train_epoch(dataclasses.replace(cosine, epochs=1))
          is not train.make_train_epoch(cosine))


@pytest.mark.parametrize("model", ["uwgnn", "wcgcn", "igcnet"])
def test_random_head_changes_only_the_power_heads_output_kernel(model):
  """head_init="random": the same start but the power head's output kernel,
  so users no longer all start at p_max / 2 (the full-power trap)."""
  zero = dataclasses.replace(TINY, model=model)
  start = train.init_state(zero).params
  random = train.init_state(dataclasses.replace(zero,
                                                head_init="random")).params
  head = models.MODELS[model].power_head
  changed = [jax.tree_util.keystr(path) for (path, a), b in zip(
      jax.tree_util.tree_flatten_with_path(start)[0], jax.tree.leaves(random))
             if not np.array_equal(a, b)]
  assert changed == [f"['{model}']['{head}']['out']['kernel']"]
  kernel = random[model][head]["out"]["kernel"]
  assert kernel.shape == start[model][head]["out"]["kernel"].shape
  assert 0.2 < float(jnp.std(kernel)) * np.sqrt(kernel.shape[0]) < 3.0
  H = jnp.abs(jax.random.normal(jax.random.PRNGKey(2), (5, 5))) + jnp.eye(5)
  p_zero, p_random = (models.apply_canonical(params, H, jnp.ones(5))
                      for params in (start, random))
  np.testing.assert_allclose(p_zero, 0.5)  # Every user alike.
  assert float(jnp.ptp(p_random)) > 1e-3
