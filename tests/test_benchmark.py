"""The benchmark's arithmetic by hand, and its quick mode end to end."""

import json
import os

import pytest

from uwgnn_jax import benchmarking
from experiments import benchmark


@pytest.mark.parametrize("model_seconds, expected", [
    (0.5, (50, 1)),     # Half WMMSE-100's time: 50 iterations.
    (0.001, (1, 1)),    # Never fewer than one iteration.
    (1.0, (100, 1)),    # WMMSE-100 itself.
    (1.67, (83, 2)),    # Two starts of 83 iterations.
    (3.7, (92, 4)),     # Four starts of 92 iterations.
])
def test_equal_time_setting(model_seconds, expected):
  assert benchmarking.equal_time_setting(model_seconds, 1.0) == expected


def test_best_frontier_percent_within_time():
  points = [benchmarking.FrontierPoint(10, 1, 1.0, 90.0),
            benchmarking.FrontierPoint(100, 1, 5.0, 100.0),
            benchmarking.FrontierPoint(100, 4, 20.0, 102.5)]
  assert benchmarking.best_frontier_percent(points, 6.0) == 100.0
  assert benchmarking.best_frontier_percent(points, 50.0) == 102.5
  assert benchmarking.best_frontier_percent(points, 0.5) != 90.0  # NaN.


def test_wmmse_flops_count_two_products_per_iteration():
  assert benchmarking.wmmse_flops(10, 100) == 100 * (400 + 120)
  assert benchmarking.wmmse_flops(10, 100, num_starts=3) == 3 * 100 * 520


def test_quick_run_writes_results_and_plots(tmp_path):
  config = benchmark.BenchmarkConfig(
      users=(5,), models=("uwgnn",), batch=6, frontier_batch=6, repeats=1,
      batch_repeats=1, iterations=(3, 100), restarts=(2,))
  benchmark.run(config, str(tmp_path), log=lambda _: None)
  with open(tmp_path / "results.json") as f:
    saved = json.load(f)
  rows = {r["allocator"]: r for r in saved["results"]["5"]["rows"]}
  assert set(rows) == {"WMMSE-100", "Tr-WMMSE-3", "uwgnn"}
  assert rows["WMMSE-100"]["percent_of_wmmse"] == pytest.approx(100.0)
  assert rows["Tr-WMMSE-3"]["flops_per_network"] == 3 * (4 * 25 + 60)
  assert rows["uwgnn"]["xla_flops_one_network"] > 0
  frontier = saved["results"]["5"]["frontier"]
  assert [(p["num_iters"], p["num_starts"]) for p in frontier["points"]] == [
      (3, 1), (100, 1), (100, 2)]
  (model,) = frontier["models"]
  assert model["model"] == "uwgnn" and "margin_points" in model
  assert saved["device"]["platform"] == "cpu" and saved["git_commit"]
  overhead = saved["results"]["eager_overhead"]
  assert overhead["num_users"] == 5 and overhead["allocate"]["ratio"] > 0
  for name in ("frontier.png", "throughput.png"):
    assert os.path.getsize(tmp_path / name) > 1000
