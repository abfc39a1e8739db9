r"""Every paper reproduction, one after another.

    python -m experiments.reproduce --quick          # all, tiny (a test)
    python -m experiments.reproduce                  # all, full size
    python -m experiments.reproduce --only=uwgnn_fig5,uwgnn_table1

Each writes results/<name>/results.json and its plots; trained models are
cached in --workdir and shared between experiments (a rerun resumes).
"""

from absl import app
from absl import flags

from experiments import framework
from experiments import uwgnn_fig10
from experiments import uwgnn_fig3
from experiments import uwgnn_fig4
from experiments import uwgnn_fig5
from experiments import uwgnn_fig6
from experiments import uwgnn_fig7
from experiments import uwgnn_fig9
from experiments import uwgnn_table1
from experiments import uwgnn_table2
from experiments import uwmmse_depth
from experiments import uwmmse_fig2b
from experiments import uwmmse_fig2c
from experiments import uwmmse_table1

EXPERIMENTS = {e.name: e for e in (
    uwgnn_table2.EXPERIMENT, uwgnn_fig4.EXPERIMENT, uwgnn_fig5.EXPERIMENT,
    uwgnn_fig6.EXPERIMENT, uwgnn_fig9.EXPERIMENT, uwgnn_fig7.EXPERIMENT,
    uwgnn_table1.EXPERIMENT, uwgnn_fig10.EXPERIMENT, uwgnn_fig3.EXPERIMENT,
    uwmmse_table1.EXPERIMENT, uwmmse_depth.EXPERIMENT,
    uwmmse_fig2b.EXPERIMENT, uwmmse_fig2c.EXPERIMENT)}


def selected(only) -> list:
  if not only:
    return list(EXPERIMENTS.values())
  unknown = sorted(set(only) - set(EXPERIMENTS))
  if unknown:
    raise app.UsageError(f"--only: unknown experiment(s) {unknown}; "
                         f"choose from {sorted(EXPERIMENTS)}.")
  return [EXPERIMENTS[name] for name in dict.fromkeys(only)]


def run(only, quick: bool, workdir: str, results_dir: str,
        seeds=None, log=framework.log_line, users=None) -> list:
  """Runs the chosen experiments (all if `only` is empty); returns their
  results directories: `main`'s run, callable in process."""
  return [framework.run_experiment(e, quick, workdir, results_dir, seeds, log,
                                   users) for e in selected(only)]


def main(argv):
  del argv  # Unused.
  chosen = selected(flags.FLAGS.only)  # Every flag is checked before work.
  values = framework.checked_flags()
  for experiment in chosen:
    framework.run_from_flags(experiment, values)


if __name__ == "__main__":
  # Flags are defined here, not at import, so that the experiments can be
  # imported (tests, notebooks) beside other absl programs.
  framework.define_flags()
  flags.DEFINE_list("only", None, "Names to run (default: all): "
                    + ", ".join(EXPERIMENTS))
  app.run(main)
