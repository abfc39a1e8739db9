"""Scoring at other network sizes and SNRs, and the seed sweep's loop."""

import dataclasses
import json

import jax
import numpy as np
import pytest

from experiments import sweep_runner

from uwgnn_jax.training import config as config_lib
from uwgnn_jax.training import evaluation
from uwgnn_jax.training import train

TINY = config_lib.TrainConfig(num_users=5, train_size=32, test_size=24,
                              batch_size=16, epochs=1)
quiet = lambda line: None


def test_held_out_set_at_the_training_size_is_the_runs_test_set():
  state, result = train.train_and_evaluate(TINY, log=quiet)
  sets = evaluation.held_out_sets(TINY, [3, 5, 8], TINY.test_size,
                             evaluation.num_layers_of(TINY))
  assert [dataset.H.shape for dataset, _ in sets.values()] == [
      (24, 3, 3), (24, 5, 5), (24, 8, 8)]
  percents = evaluation.percent_of_wmmse(state.params, sets)
  assert percents[5] == pytest.approx(result.percent_of_wmmse, rel=1e-5)
  assert all(np.isfinite(p) and p > 0 for p in percents.values())


def test_validation_sets_differ_from_test_sets():
  held_out = evaluation.held_out_sets(TINY, [5], 8, 3)[5][0]
  validation = evaluation.validation_sets(TINY, [5], 8, 3)[5][0]
  assert not np.allclose(held_out.H, validation.H)


def test_train_and_score_matches_train_and_evaluate():
  config = dataclasses.replace(TINY, epochs=3)
  sets = evaluation.validation_sets(config, [4, 6], 8, evaluation.num_layers_of(config))
  lines = []
  params = sweep_runner.train_and_score(config, sets, 2, lines.append)
  rows = [json.loads(line) for line in lines]
  assert [row["epoch"] for row in rows] == [2, 3]
  assert all(row["K4"] > 0 and row["K6"] > 0 for row in rows)
  straight, _ = train.train_and_evaluate(config, log=quiet)
  jax.tree.map(np.testing.assert_array_equal, params, straight.params)
  assert rows[-1]["K6"] == pytest.approx(
      evaluation.percent_of_wmmse(params, sets)[6], abs=1e-3)
