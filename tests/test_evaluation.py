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


def test_rounded_rates_put_every_power_at_zero_or_p_max():
  dataset, _ = evaluation.held_out_sets(TINY, [5], 8, 3)[5]
  full_power = evaluation.canonical_rates(
      dataset.H, np.ones((8, 5), np.float32), dataset.weights)
  # A fresh UWGNN's zero power head gives every user exactly p_max / 2,
  # which rounds up: full power.
  start = train.init_state(TINY).params
  np.testing.assert_allclose(evaluation.rounded_network_rates(start, dataset),
                             full_power, rtol=1e-6)
  # Powers on both sides of p_max / 2, rounded here by hand.
  params = train.init_state(dataclasses.replace(
      TINY, head_init="random")).params
  powers = np.asarray(evaluation.model_powers(params, dataset.H,
                                              dataset.weights))
  assert (powers < 0.5).any() and (powers > 0.5).any()
  by_hand = evaluation.canonical_rates(dataset.H, (powers >= 0.5) * 1.0,
                                       dataset.weights)
  np.testing.assert_allclose(evaluation.rounded_network_rates(params, dataset),
                             by_hand, rtol=1e-6)


def test_early_stopped_wmmse_stops_at_the_first_small_gain():
  trace = np.array([[0.0, 1.0, 1.5, 1.5005, 1.6],   # Gain 0.0005 at t = 3.
                    [0.0, 1.0, 2.0, 3.0, 4.0]])      # Never: the last.
  np.testing.assert_array_equal(
      evaluation.early_stopped_rates(trace, 1e-3), [1.5005, 4.0])
  # A gain equal to the tolerance stops too (Sun et al.: vnew - vold <= tol).
  np.testing.assert_array_equal(
      evaluation.early_stopped_rates(np.array([[0.0, 1.0, 1.5, 3.0]]), 0.5),
      [1.5])
