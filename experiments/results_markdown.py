r"""Markdown tables of the reproductions' results.json, for RESULTS.md.

    python -m experiments.results_markdown [--results_dir=results]

Prints one section per experiment found: the numbers as the run wrote them
(rounded to 0.01), the paper's beside them where the paper gives numbers,
the device and the wall time. Copying from this output, not by hand, keeps
RESULTS.md equal to the runs.
"""

import json
import os

from absl import app
from absl import flags

from experiments import uwgnn_table1

_RESULTS_DIR = flags.DEFINE_string("results_dir", "results", "Where the "
                                   "experiments wrote results/<name>/.")

MODELS = ("uwgnn", "wcgcn", "uwmmse", "mlp")


def _fmt(value) -> str:
  if isinstance(value, float):
    return f"{value:.2f}"
  return str(value)


def table(header: list, rows: list) -> str:
  lines = ["| " + " | ".join(header) + " |",
           "|" + "---|" * len(header)]
  lines += ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in rows]
  return "\n".join(lines)


def _model_cell(row: dict, model: str):
  """The model's %, as mean +- std over seeds where the row has seeds."""
  seeds = row.get(f"{model}_seeds")
  if seeds is None or seeds["n"] < 2:
    return row[model]
  return f"{seeds['mean']:.2f} +- {seeds['std']:.2f}"


def _shift_table(rows: list, x_name: str) -> str:
  models = [m for m in MODELS if m in rows[0]]
  return table([x_name, *models, "Tr-WMMSE-3", "WMMSE-100 (bit/s/Hz)"],
               [[r[x_name], *(_model_cell(r, m) for m in models),
                 r["truncated_wmmse"], r["wmmse_rate"]] for r in rows])


def table1(results: dict) -> str:
  paper = results["paper"]
  columns = [c for c in (*MODELS, uwgnn_table1.ROUNDED_MLP)
             if c in results["rows"][0]] + ["best_of_100_starts"]
  rows = []
  for r in results["rows"]:
    i = uwgnn_table1.USERS.index(r["paper_users"])
    rows.append([f"K = {r['users']}", *(
        f"{_fmt(_model_cell(r, c))} ({paper[c][i] if c in paper else '-'})"
        for c in columns),
                 r["truncated_wmmse"]])
  return table(["", *columns, "Tr-WMMSE-3"], rows) + (
      "\n\nOurs (the paper's in parentheses), % of WMMSE-100.")


def table2(results: dict) -> str:
  rows = [[name, r["params"], r["params_counting_shared_module_twice"],
           r["paper_params"], r["macs_as_written"], r["macs_as_computed"],
           r["compiled_macs"], f"{r['paper_macs']:.4g}",
           r["batch_matching_paper_macs"]]
          for name, r in results["rows"].items()]
  return table(["model", "params", "x2", "paper", "MACs/network as written",
                "as computed", "compiled FLOPs/2", "paper MACs",
                "batch matching the paper"], rows)


def fig3(results: dict) -> str:
  out = []
  for field, rows in results["sweeps"].items():
    out.append(table([field, "mean %", "std", "seeds"],
                     [[r["value"], r["mean"], r["std"], r["n"]]
                      for r in rows]))
  return "\n\n".join(out)


def fig4(results: dict) -> str:
  curves = results["curves"]
  epochs = curves[next(iter(curves))]["epoch"]
  picks = sorted({0, 1, 2, 3, 5, 10, 20, epochs[-1]} & set(epochs))

  def cell(c, e):
    i = c["epoch"].index(e)
    if len(c.get("seeds", ())) < 2:
      return c["percent_of_wmmse"][i]
    return f"{c['percent_of_wmmse'][i]:.2f} +- {c['std'][i]:.2f}"

  return table(["epoch", *curves], [[e, *(cell(c, e) for c in
                                          curves.values())] for e in picks])


def panels(results: dict, x_name: str) -> str:
  return "\n\n".join(f"**{key}**\n\n" + _shift_table(rows, x_name)
                     for key, rows in results["panels"].items())


def fig7(results: dict) -> str:
  """Fig. 7's panels, then each start of the restarted panels."""
  out = panels(results, "drop_prob")
  restarted = results.get("starts") or {}
  if any(isinstance(runs, list) for runs in restarted.values()):
    restarted = {"sparse_to_dense": restarted}  # Before (d) restarted too.
  for panel, starts in restarted.items():
    seeds = [run["seed"] for run in next(iter(starts.values()))]
    out += (f"\n\nStarts of {panel} (% of WMMSE-100 on validation "
            "networks; * chosen)\n\n")
    out += table(["seed", *map(str, seeds)], [
        [name, *(f"{run['validation_percent']:.2f}" + ("*" if run["chosen"]
                                                       else "")
                 for run in runs)] for name, runs in starts.items()])
  return out


def fig10(results: dict) -> str:
  out = []
  for k, rows in results["panels"].items():
    out.append(f"**K = {k}**\n\n" + table(
        ["training networks", "epochs", "uwgnn", "wcgcn"],
        [[r["train_size"], r["epochs"], r["uwgnn"], r["wcgcn"]]
         for r in rows]))
  return "\n\n".join(out)


def uwmmse_table1(results: dict) -> str:
  """UWMMSE Table 1: ours beside the paper's rate, train and test time."""
  paper = results["paper"]
  rows = []
  for r in results["rows"]:
    ours_paper = paper.get(r["method"], {})
    train = r.get("train_seconds")
    rows.append([
        r["method"], r["sum_rate"], ours_paper.get("sum_rate", "-"),
        r["percent"], "-" if train is None else f"{train / 60:.1f}",
        ours_paper.get("train_minutes") or "-", r["test_ms_per_network"],
        ours_paper.get("test_ms", "-")])
  return table(["method", "mean sum rate (bit/s/Hz)", "paper rate",
                "% of WMMSE-100", "train (min)", "paper train",
                "test (ms/network)", "paper ms"], rows)


def uwmmse_shift(results: dict, x_name: str, x_label: str) -> str:
  """UWMMSE Figs. 2b, 2c: mean sum rates against the shifted setting."""
  columns = ["wmmse_rate", "truncated_wmmse_rate", "uwmmse_rate",
             "ro_uwmmse_rate", "uwmmse", "ro_uwmmse"]
  return table([x_label, "WMMSE-100", "Tr-WMMSE-4", "UWMMSE", "Ro-UWMMSE",
                "UWMMSE %", "Ro-UWMMSE %"],
               [[r[x_name], *(r[c] for c in columns)]
                for r in results["rows"]]) + (
      "\n\nMean sum rate (bit/s/Hz), then % of WMMSE-100.")


def _depth_tables(rows: list, summary: dict, first: str) -> str:
  """uwmmse_depth's rows (one per seed: UWMMSE and Tr-WMMSE at each
  depth), then their summary over seeds."""
  depths = sorted({int(n.split("_")[-1]) for n in summary})
  per_row = table(
      [first, *(f"{name}-{d}" for d in depths
                for name in ("UWMMSE", "Tr-WMMSE"))],
      [[r["seed"], *(r[f"{name}_{d}"] for d in depths
                     for name in ("uwmmse", "truncated_wmmse"))]
       for r in rows])
  over_rows = table(
      ["", "mean", "std", "min", "max", ">= 100%"],
      [[f"{label}-{d}", *(summary[f"{name}_{d}"][c]
                          for c in ("mean", "std", "min", "max",
                                    "at_least_100"))]
       for d in depths for name, label in (("uwmmse", "UWMMSE"),
                                           ("truncated_wmmse", "Tr-WMMSE"))])
  return f"{per_row}\n\n{over_rows}"


def uwmmse_depth(results: dict) -> str:
  """UWMMSE and Tr-WMMSE at each depth on each static layout, and on
  random layouts per seed, each with its summary."""
  paper = results["paper"]
  return (
      "**Static layouts** (one per seed, UWMMSE trained on it)\n\n" +
      _depth_tables(results["rows"], results["summary"], "layout (seed)") +
      "\n\n**Random layouts** (Ro-UWMMSE, unseen test layouts)\n\n" +
      _depth_tables(results["random_rows"], results["random_summary"],
                    "seed") +
      "\n\n% of WMMSE-100 on each run's test channels; the paper (its "
      f"layout, 4 layers): UWMMSE {paper['uwmmse']:.2f}, Tr-WMMSE-4 "
      f"{paper['truncated_wmmse']:.2f}.")


RENDERERS = {
    "uwgnn_table1": table1, "uwgnn_table2": table2, "uwgnn_fig3": fig3,
    "uwgnn_fig4": fig4, "uwgnn_fig5": lambda r: panels(r, "x"),
    "uwgnn_fig6": lambda r: _shift_table(r["rows"], "users"),
    "uwgnn_fig7": fig7,
    "uwgnn_fig9": lambda r: _shift_table(r["rows"], "speed"),
    "uwgnn_fig10": fig10, "uwmmse_table1": uwmmse_table1,
    "uwmmse_depth": uwmmse_depth,
    "uwmmse_fig2b": lambda r: uwmmse_shift(r, "density", "d"),
    "uwmmse_fig2c": lambda r: uwmmse_shift(r, "users", "N")}


def main(argv):
  del argv  # Unused.
  for name, render in RENDERERS.items():
    path = os.path.join(_RESULTS_DIR.value, name, "results.json")
    if not os.path.exists(path):
      continue
    with open(path) as f:
      payload = json.load(f)
    device = payload["device"]
    print(f"### {name}\n\n{render(payload['results'])}\n\n"
          f"({device['platform']}, {device['cpu']}, "
          f"{payload['wall_seconds']:.0f} s, commit "
          f"{payload['git_commit'][:7]}"
          f"{', dirty' if payload['git_dirty'] else ''}"
          f"{', QUICK' if payload['config'].get('quick') else ''})\n")


if __name__ == "__main__":
  app.run(main)
