"""The experiment framework's bookkeeping, without training: cache keys,
seed-averaged rows, Fig. 7c's choice among starts, and the markdown of the
committed results."""

import dataclasses
import json
import os

import pytest

from experiments import framework
from experiments import results_markdown
from experiments import uwgnn_fig7
from uwgnn_jax.training import config as config_lib

from conftest import TINY


def test_cache_key_of_existing_models_is_unchanged_by_new_fields():
  # The key TINY had before head_init existed: cached models keep theirs.
  assert framework.config_hash(TINY) == "fe411136192a"
  assert framework.config_hash(dataclasses.replace(
      TINY, head_init="random")) != "fe411136192a"
  old_json = TINY.to_json().replace('"head_init": "zero",', "")
  assert "head_init" not in old_json
  assert config_lib.TrainConfig.from_json(old_json) == TINY


def test_shift_rows_average_seeds_and_keep_each(monkeypatch):
  scores = {"a": 90.0, "b": 96.0, "c": 101.0}
  monkeypatch.setattr(framework, "scored_set", lambda config, layers: None)
  monkeypatch.setattr(framework, "references_percent",
                      lambda scored: dict(truncated_wmmse=60.0))
  monkeypatch.setattr(framework, "percent", lambda params, scored: scores[
      params])
  progress = framework.Progress("t", 1, log=lambda line: None)
  row, = framework.shift_rows({"uwgnn": ["a", "b"], "wcgcn": "c"}, [1],
                              lambda x: TINY, "x", progress)
  assert row["uwgnn"] == 93.0 and row["wcgcn"] == 101.0
  assert row["uwgnn_seeds"]["values"] == [90.0, 96.0]
  assert row["uwgnn_seeds"]["std"] == pytest.approx(18.0 ** 0.5)
  assert "wcgcn_seeds" not in row


class _Starts:
  """A Context stand-in: `train` hands back each config's seed as params."""
  seeds = 3

  def __init__(self):
    self.trained = []

  def train(self, config):
    self.trained.append(config)
    return framework.Trained(config.seed, [], {}, config)


def test_fig7c_keeps_the_start_best_on_validation_only(monkeypatch):
  validation = object()
  scored_on = []
  monkeypatch.setattr(framework, "validation_set", lambda config: validation)
  monkeypatch.setattr(framework, "scored_set", lambda *a: pytest.fail(
      "a test set was scored while choosing"))

  def percent(seed, scored):
    scored_on.append(scored)
    return {0: 41.0, 1: 99.5, 2: 97.0}[seed]

  monkeypatch.setattr(framework, "percent", percent)
  ctx = _Starts()
  config = dataclasses.replace(TINY, channel="sparse")
  params, starts = uwgnn_fig7._best_of_starts(ctx, config, 3)
  assert params == 1
  assert [s["chosen"] for s in starts] == [False, True, False]
  assert [s["validation_percent"] for s in starts] == [41.0, 99.5, 97.0]
  assert scored_on == [validation] * 3
  assert [(c.seed, c.head_init) for c in ctx.trained] == [
      (0, "random"), (1, "random"), (2, "random")]


def test_committed_and_older_results_render_as_markdown():
  root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  rendered = 0
  for name, render in results_markdown.RENDERERS.items():
    path = os.path.join(root, "results", name, "results.json")
    if os.path.exists(path):
      with open(path) as f:
        assert render(json.load(f)["results"]).startswith(("|", "**")), name
      rendered += 1
  assert rendered == len(results_markdown.RENDERERS)
  # Fig. 7 before panel (d) restarted: starts keyed by model alone.
  run = dict(seed=0, validation_percent=97.5, chosen=True)
  older = results_markdown.fig7(dict(panels={}, starts={"uwgnn": [run]}))
  assert "Starts of sparse_to_dense (" in older and "97.50*" in older


def test_seeds_come_from_the_flag_then_the_experiment_then_the_sizes():
  from experiments import uwgnn_table1  # pylint: disable=g-import-not-at-top
  def seeds(quick, flag, default):
    return framework.Context("t", quick, "unused", flag,
                             default_seeds=default).seeds
  assert seeds(False, None, None) == framework.FULL.seeds == 5
  assert seeds(False, None, 1) == 1 and seeds(False, 3, 1) == 3
  assert seeds(True, None, 1) == framework.QUICK.seeds == 1
  assert uwgnn_table1.EXPERIMENT.default_seeds == 1  # Hours at K = 50.


@pytest.mark.parametrize("trap", ["_collapse_warning", "_full_power_warning"])
def test_cached_training_passes_on_the_drivers_warnings(monkeypatch,
                                                         tmp_path, trap):
  """A run that collapses to zero power, or sits at full power, says so
  once in an experiment's log too (the driver's epoch lines stay out)."""
  from uwgnn_jax.training import train  # pylint: disable=g-import-not-at-top
  monkeypatch.setattr(train, trap, lambda result, epoch, *unused: (
      f"{train.WARNING}collapsed after epoch {epoch}"))
  lines = []
  framework.trained(TINY, str(tmp_path), log=lines.append)
  warnings = [line for line in lines if train.WARNING in line]
  assert warnings == ["  uwgnn K=5: Warning: collapsed after epoch 1"]
  assert not any("loss" in line for line in lines)
