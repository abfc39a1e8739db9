"""The reproduction framework: every experiment's quick run writes its
results.json and plots, trained models are cached and resumed by config,
and bad flags stop before any work."""

import dataclasses
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(*flags):
  return subprocess.run([sys.executable, "-m", "experiments.reproduce",
                         *flags], cwd=ROOT, capture_output=True, text=True,
                        timeout=600)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
  """What `python -m experiments.reproduce --quick` runs, in process (so it
  shares this worker's compiled programs). The commands' own paths are
  test_rerun_uses_the_cache_and_bad_names_stop_first's: run_from_flags in
  process, an experiment's command (exit status 0) and the reproduce
  command's flag check in subprocesses."""
  from experiments import reproduce  # pylint: disable=g-import-not-at-top
  out = tmp_path_factory.mktemp("reproduce")
  lines = []
  reproduce.run([], True, str(out / "work"), str(out / "results"),
                log=lines.append)
  return out, "\n".join(lines)


EXPECTED_PLOTS = {
    "uwgnn_table1": ["table1.png"], "uwgnn_table2": ["table2.png"],
    "uwgnn_fig3": ["fig3.png"], "uwgnn_fig4": ["fig4.png"],
    "uwgnn_fig5": ["fig5.png"], "uwgnn_fig6": ["fig6.png"],
    "uwgnn_fig7": ["fig7.png"], "uwgnn_fig9": ["fig9.png"],
    "uwgnn_fig10": ["fig10.png"], "uwmmse_table1": ["table1.png", "fig2a.png"],
    "uwmmse_depth": ["depth.png"], "uwmmse_fig2b": ["fig2b.png"],
    "uwmmse_fig2c": ["fig2c.png"]}


def test_every_experiment_writes_results_and_plots(quick_run):
  out, _ = quick_run
  assert sorted(os.listdir(out / "results")) == sorted(EXPECTED_PLOTS)
  for name, pngs in EXPECTED_PLOTS.items():
    with open(out / "results" / name / "results.json") as f:
      payload = json.load(f)
    assert payload["config"]["quick"] is True, name
    for key in ("device", "wall_seconds", "git_commit", "package_version",
                "jax_version", "results"):
      assert key in payload, (name, key)
    for png in pngs:
      assert os.path.getsize(out / "results" / name / png) > 1000, (name, png)


def test_results_name_each_model_they_used_by_its_file_hash(quick_run):
  from uwgnn_jax.training import checkpoints  # pylint: disable=g-import-not-at-top
  out, _ = quick_run
  with open(out / "results" / "uwgnn_fig6" / "results.json") as f:
    used = json.load(f)["models"]
  assert sorted(d.split("-")[0] for d in used) == ["uwgnn", "wcgcn"]
  for name, provenance in used.items():
    assert provenance["sha256"] == checkpoints.file_sha256(
        str(out / "work" / "models" / name / "final.msgpack"))
    assert provenance["trained_on"]["platform"] == "cpu"
  with open(out / "results" / "uwgnn_table2" / "results.json") as f:
    assert "models" not in json.load(f)  # Counts: nothing trained.


def test_scores_are_percentages_of_wmmse_on_shared_sets(quick_run):
  out, _ = quick_run
  with open(out / "results" / "uwgnn_table1" / "results.json") as f:
    rows = json.load(f)["results"]["rows"]
  for row in rows:
    # The best of 4 random starts is not far below WMMSE-100.
    assert row["best_of_100_starts"] > 90.0
    for name in ("uwgnn", "wcgcn", "uwmmse", "mlp", "mlp_rounded"):
      assert 0.0 < row[name] < 150.0
  with open(out / "results" / "uwgnn_table2" / "results.json") as f:
    table2 = json.load(f)["results"]["rows"]
  # K = 5 in quick: UWGNN's edges 20 x (5*8 + 8*16 + 10*8 + 8*16) + nodes
  # 5 x (19*8 + 8*4 + 7*8 + 8*4 + 27*8 + 8*1), times 3 layers.
  assert table2["uwgnn"]["macs_as_written"] == 3 * (20 * 376 + 5 * 496)
  assert table2["uwgnn"]["params"] == 953
  with open(out / "results" / "uwmmse_table1" / "results.json") as f:
    table1 = {r["method"]: r for r in json.load(f)["results"]["rows"]}
  assert set(table1) == {"wmmse", "truncated_wmmse", "mlp", "mlp_rounded",
                         "regnn", "igcnet", "uwmmse", "ro_uwmmse"}
  for row in table1.values():  # Rates and % of WMMSE-100 agree.
    assert row["sum_rate"] == pytest.approx(
        row["percent"] / 100 * table1["wmmse"]["sum_rate"], rel=1e-5)
    assert row["test_ms_per_network"] > 0
    box = row["box"]
    assert box["whisker_low"] <= box["q1"] <= box["median"] <= box["q3"]
    assert box["q3"] <= box["whisker_high"] <= box["max"]
  # WMMSE-100's box (powers recomputed) and the references agree.
  assert table1["wmmse"]["box"]["mean"] == pytest.approx(
      table1["wmmse"]["sum_rate"], rel=1e-4)
  assert table1["uwmmse"]["train_seconds"] > 0


def test_uwmmse_depth_at_the_papers_depth_is_table1s_model(quick_run):
  out, _ = quick_run
  results = {}
  for name in ("uwmmse_table1", "uwmmse_depth"):
    with open(out / "results" / name / "results.json") as f:
      results[name] = json.load(f)
  table1 = {r["method"]: r for r in results["uwmmse_table1"]["results"]["rows"]}
  (row,) = results["uwmmse_depth"]["results"]["rows"]  # Quick: one layout.
  assert row["uwmmse_4"] == pytest.approx(table1["uwmmse"]["percent"],
                                          rel=1e-6)
  assert row["truncated_wmmse_4"] == pytest.approx(
      table1["truncated_wmmse"]["percent"], rel=1e-5)
  # The static model is Table 1's cached file, not a retraining; the
  # random-layout one is its own, scored on other (unseen) layouts.
  used = results["uwmmse_depth"]["models"]
  assert len(used) == 2
  assert len(set(used) & set(results["uwmmse_table1"]["models"])) == 1
  config = results["uwmmse_depth"]["config"]
  assert json.loads(config["static"])["fixed_layout"]
  assert not json.loads(config["random"])["fixed_layout"]
  summary = results["uwmmse_depth"]["results"]["summary"]["uwmmse_4"]
  assert summary["mean"] == summary["min"] == row["uwmmse_4"]
  assert summary["at_least_100"] == int(row["uwmmse_4"] >= 100.0)


def test_uwmmse_depth_configs_and_tables():
  """Full-size configs (not trained here): the paper's depth is Table 1's
  cache entry, other depths are their own; two depths render."""
  from experiments import framework  # pylint: disable=g-import-not-at-top
  from experiments import results_markdown  # pylint: disable=g-import-not-at-top
  from experiments import uwmmse_depth  # pylint: disable=g-import-not-at-top
  from experiments import uwmmse_table1  # pylint: disable=g-import-not-at-top
  ctx = framework.Context("uwmmse_depth", False, "unused")
  table1 = ctx.config(model="uwmmse", **uwmmse_table1.LAYOUT)
  assert uwmmse_depth._config(ctx, 0, 4) == table1
  deeper = uwmmse_depth._config(ctx, 0, 6)
  assert deeper.num_layers == 6 and deeper.fixed_layout
  assert framework.config_hash(deeper) != framework.config_hash(table1)
  random = uwmmse_depth._config(ctx, 1, 4, uwmmse_depth.RANDOM_LAYOUTS)
  assert not random.fixed_layout and random.seed == 1
  rows = [dict(seed=0, uwmmse_4=98.0, truncated_wmmse_4=88.0,
               uwmmse_6=101.0, truncated_wmmse_6=91.0),
          dict(seed=1, uwmmse_4=97.0, truncated_wmmse_4=92.0,
               uwmmse_6=99.0, truncated_wmmse_6=94.0)]
  summary = uwmmse_depth._summary(rows, (4, 6))
  assert summary["uwmmse_6"]["mean"] == 100.0
  assert summary["uwmmse_6"]["at_least_100"] == 1
  assert (summary["truncated_wmmse_4"]["min"],
          summary["truncated_wmmse_4"]["max"]) == (88.0, 92.0)
  text = results_markdown.uwmmse_depth(dict(
      rows=rows, summary=summary, random_rows=rows, random_summary=summary,
      paper=uwmmse_depth.PAPER))
  assert "| 0 | 98.00 | 88.00 | 101.00 | 91.00 |" in text
  assert "| UWMMSE-6 | 100.00 | 1.41 | 99.00 | 101.00 | 1 |" in text


def test_fig7_sparse_panels_keep_the_best_random_head_start(quick_run):
  out, _ = quick_run
  with open(out / "results" / "uwgnn_fig7" / "results.json") as f:
    starts = json.load(f)["results"]["starts"]
  assert set(starts) == {"sparse_to_dense", "sparse_to_dense_weighted"}
  for panel in starts.values():
    assert set(panel) == {"uwgnn", "wcgcn"}
    for runs in panel.values():
      assert [run["seed"] for run in runs] == [0]  # Quick: one seed.
      best = max(runs, key=lambda run: run["validation_percent"])
      assert [run for run in runs if run["chosen"]] == [best]
  trained = os.listdir(out / "work" / "models")
  heads = []
  for d in trained:
    with open(out / "work" / "models" / d / "config.json") as f:
      heads.append(json.load(f).get("head_init", "zero"))
  assert heads.count("random") == 4  # One start per model and panel.


def test_every_results_json_renders_as_markdown(quick_run):
  from experiments import results_markdown  # pylint: disable=g-import-not-at-top
  out, _ = quick_run
  assert set(results_markdown.RENDERERS) == set(EXPECTED_PLOTS)
  rendered = {}
  for name, render in results_markdown.RENDERERS.items():
    with open(out / "results" / name / "results.json") as f:
      rendered[name] = render(json.load(f)["results"])
    assert rendered[name].startswith(("|", "**")), name
  for panel in ("sparse_to_dense", "sparse_to_dense_weighted"):
    assert f"Starts of {panel} (" in rendered["uwgnn_fig7"]


def test_seed_averaged_figures_keep_every_seeds_value(quick_run):
  out, _ = quick_run
  for name, rows_of in (("uwgnn_fig5", lambda r: r["panels"]["los_strength"]),
                        ("uwgnn_fig6", lambda r: r["rows"]),
                        ("uwgnn_fig9", lambda r: r["rows"]),
                        ("uwgnn_table1", lambda r: r["rows"])):
    with open(out / "results" / name / "results.json") as f:
      payload = json.load(f)
    assert payload["config"]["seeds"] == 1
    for row in rows_of(payload["results"]):
      for model in ("uwgnn", "wcgcn"):
        seeds = row[f"{model}_seeds"]
        assert seeds["n"] == 1 and seeds["values"] == [row[model]]


def test_models_shared_between_experiments_train_once(quick_run):
  out, log = quick_run
  trained = os.listdir(out / "work" / "models")
  assert all(os.path.exists(out / "work" / "models" / d / "final.json")
             for d in trained)
  # Each cached config trained once: one last-epoch line per uwgnn dir.
  uwgnn_dirs = [d for d in trained if d.startswith("uwgnn-")]
  assert len(uwgnn_dirs) >= 4
  assert log.count("uwgnn K=5 epoch 2/2") == len(uwgnn_dirs)
  # Fig. 6 uses the models Fig. 5 trained.
  fig6 = log[log.index("[uwgnn_fig6]"):log.index("[uwgnn_fig9]")]
  assert " epoch " not in fig6


def test_rerun_uses_the_cache_and_bad_names_stop_first(quick_run, tmp_path,
                                                     capsys):
  from experiments import framework  # pylint: disable=g-import-not-at-top
  from experiments import uwgnn_fig6  # pylint: disable=g-import-not-at-top
  out, _ = quick_run
  # What the commands run from their flags, in process (compiled already).
  values = dict(replot=False, quick=True, workdir=str(out / "work"),
                results_dir=str(tmp_path), seeds=None, users=None)
  framework.run_from_flags(uwgnn_fig6.EXPERIMENT, values)
  printed = capsys.readouterr().out
  assert "[uwgnn_fig6] wrote" in printed
  assert " epoch " not in printed  # Nothing trained again.
  assert os.listdir(tmp_path) == ["uwgnn_fig6"]
  # An experiment's own command exits 0 (it used to exit 1 on success).
  replot = subprocess.run([sys.executable, "-m", "experiments.uwgnn_fig6",
                           "--replot", f"--results_dir={tmp_path}",
                           f"--workdir={out / 'work'}"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
  assert replot.returncode == 0, replot.stderr[-3000:]
  bad = _run("--quick", f"--workdir={tmp_path / 'w'}",
             f"--results_dir={tmp_path / 'r'}", "--only=uwgnn_fig99")
  assert bad.returncode != 0 and "uwgnn_fig99" in bad.stderr
  assert not os.path.exists(tmp_path / "w")


def test_quick_runs_train_the_suites_tiny_program():
  from conftest import TINY  # pylint: disable=g-import-not-at-top
  from experiments import framework  # pylint: disable=g-import-not-at-top
  ctx = framework.Context("test", quick=True, workdir="unused")
  for model in ("uwgnn", "wcgcn", "uwmmse"):
    assert (ctx.config(model=model, channel="sparse").program_key ==
            dataclasses.replace(TINY, model=model).program_key)


def test_replot_redraws_from_results_json(quick_run, tmp_path):
  import shutil  # pylint: disable=g-import-not-at-top
  from experiments import framework  # pylint: disable=g-import-not-at-top
  from experiments import uwgnn_fig6  # pylint: disable=g-import-not-at-top
  out, _ = quick_run
  shutil.copytree(out / "results" / "uwgnn_fig6", tmp_path / "uwgnn_fig6")
  os.remove(tmp_path / "uwgnn_fig6" / "fig6.png")
  paths = framework.replot(uwgnn_fig6.EXPERIMENT, str(tmp_path),
                           log=lambda line: None)
  assert paths == [str(tmp_path / "uwgnn_fig6" / "fig6.png")]
  assert os.path.getsize(paths[0]) > 1000


def test_pretrain_plans_what_the_experiments_train(quick_run):
  from experiments import framework  # pylint: disable=g-import-not-at-top
  from experiments import pretrain  # pylint: disable=g-import-not-at-top
  from experiments import reproduce  # pylint: disable=g-import-not-at-top
  out, _ = quick_run
  cache = out / "work" / "models"
  chosen = [reproduce.EXPERIMENTS[n] for n in ("uwgnn_fig10", "uwgnn_table1")]
  planned = pretrain.plan(chosen, True, str(out / "work"))
  # Table I trains 4 models at each K (quick: all K = 5, fig10's 2 shared).
  assert len(planned) == 4 and len(set(planned)) == 4
  for config in planned:  # The quick run trained (and cached) each of them.
    assert os.path.exists(os.path.join(framework.model_dir(config, cache),
                                       "final.json")), config
  # A model another worker holds is skipped, not trained twice.
  target = framework.model_dir(planned[0], str(out / "held"))
  os.makedirs(os.path.dirname(target))
  with pretrain._claim(target + ".claim") as mine:
    assert mine
    with pretrain._claim(target + ".claim") as other:
      assert not other
    assert pretrain.train_all(planned[:1], str(out / "held"),
                              log=lambda line: None) == 0
  assert not os.path.exists(os.path.join(target, "final.json"))
