"""Scoring at other network sizes and SNRs, and the seed sweep's loop."""

import dataclasses
import json

import jax
import numpy as np
import pytest

from experiments import sweep_runner

from uwgnn_jax.training import evaluation
from uwgnn_jax.training import train

from conftest import TINY
quiet = lambda line: None


def test_held_out_set_at_the_training_size_is_the_runs_test_set():
  untrained = dataclasses.replace(TINY, epochs=0)  # Scoring, not training.
  state, result = train.train_and_evaluate(untrained, log=quiet)
  sets = evaluation.held_out_sets(TINY, [3, 5], TINY.test_size,
                                  evaluation.num_layers_of(TINY))
  assert [dataset.H.shape for dataset, _ in sets.values()] == [
      (32, 3, 3), (32, 5, 5)]
  percents = evaluation.percent_of_wmmse(state.params, sets)
  assert percents[5] == pytest.approx(result.percent_of_wmmse, rel=1e-5)
  assert all(np.isfinite(p) and p > 0 for p in percents.values())


def test_validation_sets_differ_from_test_sets():
  held_out = evaluation.held_out_sets(TINY, [5], TINY.test_size, 3)[5][0]
  validation = evaluation.validation_sets(TINY, [5], TINY.test_size, 3)[5][0]
  assert not np.allclose(held_out.H, validation.H)


def test_held_out_sets_at_another_snr_are_the_same_networks_rescaled():
  at_10_db = evaluation.held_out_sets(TINY, [5], TINY.test_size, 3)[5][0]
  at_30_db = evaluation.held_out_sets(TINY, [5], TINY.test_size, 3,
                                      snr_db=30.0)[5][0]
  np.testing.assert_allclose(at_30_db.H, at_10_db.H * 10.0, rtol=1e-5)


def test_train_and_score_matches_train_and_evaluate():
  sets = evaluation.validation_sets(TINY, [3, 5], TINY.test_size,
                                    evaluation.num_layers_of(TINY))
  lines = []
  params = sweep_runner.train_and_score(TINY, sets, 1, lines.append)
  rows = [json.loads(line) for line in lines]
  assert [row["epoch"] for row in rows] == [1, 2]
  assert all(row["K3"] > 0 and row["K5"] > 0 for row in rows)
  straight, _ = train.train_and_evaluate(TINY, log=quiet)
  jax.tree.map(np.testing.assert_array_equal, params, straight.params)
  assert rows[-1]["K5"] == pytest.approx(
      evaluation.percent_of_wmmse(params, sets)[5], abs=1e-3)
