r"""UWGNN paper, Table II: parameters and multiply-accumulates.

    python -m experiments.uwgnn_table2 [--quick]

Counted two ways for UWGNN and WCGCN at K = 20:
- analytically, from the parameter shapes, as the paper's formulas write
  each MLP (edge MLPs on all K (K - 1) edges, node MLPs on K nodes, each of
  the 3 layers), and as our dense layout computes them (the first edge
  layer factorised, its node part on K rows; the edge part on all K^2 pairs
  with the diagonal masked after);
- from XLA's compiled program (`cost_analysis()` FLOPs / 2), which also
  counts the elementwise work.
The paper reports 1.906K / 1.181G (UWGNN) and 2.466K / 1.797G (WCGCN),
counted with `thop`; the batch it counted at is not stated, so we give the
batch at which our per-network count would reach its figure.
"""

import jax
import jax.numpy as jnp

import uwgnn_jax
from uwgnn_jax import benchmarking
from uwgnn_jax import channels
from uwgnn_jax import models

from experiments import framework
from experiments import plots

PAPER = {"uwgnn": dict(params=1906, macs=1.181e9),
         "wcgcn": dict(params=2466, macs=1.797e9)}
NUM_LAYERS = 3


def _kernels(tree):
  """(in, out) of every Dense kernel of a module's params."""
  return [leaf.shape for path, leaf in
          jax.tree_util.tree_flatten_with_path(tree)[0]
          if jax.tree_util.keystr(path).endswith("['kernel']")]


def analytic_macs(params, num_users: int) -> dict:
  """MACs per network and layer stack: as written, and as we compute."""
  (name, tree), = params.items()
  edges, nodes = num_users * (num_users - 1), num_users
  written = computed = 0
  for module in tree.values():
    kernels = _kernels(module)
    macs = sum(i * o for i, o in kernels)
    if "edge_in" in module:  # An edge MLP: [e_ij, x_j] -> hidden -> out.
      node_part = module["node_in"]["kernel"].shape
      written += edges * macs
      # Dense fused layout: the edge part on all K^2 pairs (the diagonal
      # masked after), the node part on K rows.
      computed += (num_users ** 2) * (macs - node_part[0] * node_part[1]) + (
          nodes * node_part[0] * node_part[1])
    else:
      written += nodes * macs
      computed += nodes * macs
  del name
  return dict(as_written=NUM_LAYERS * written, as_computed=NUM_LAYERS * computed)


def run(ctx: framework.Context) -> tuple:
  num_users = ctx.sizes.num_users(20)
  H = channels.rayleigh(jax.random.PRNGKey(0), num_users)[None] / jnp.sqrt(0.1)
  rows = {}
  progress = ctx.progress(2)
  for name in ("uwgnn", "wcgcn"):
    params = models.init(name, jax.random.PRNGKey(0), num_users)
    count = uwgnn_jax.num_params(params)
    macs = analytic_macs(params, num_users)
    cost = benchmarking.compiled_cost(
        lambda h, p=params: models.apply_canonical(p, h[0],
                                                   jnp.ones(num_users)), H)
    paper = PAPER[name]
    rows[name] = dict(
        params=count, params_counting_shared_module_twice=2 * count,
        macs_as_written=macs["as_written"],
        macs_as_computed=macs["as_computed"],
        compiled_flops=cost.flops, compiled_macs=cost.flops / 2,
        paper_params=paper["params"], paper_macs=paper["macs"],
        batch_matching_paper_macs=paper["macs"] / macs["as_written"])
    progress.step(f"{name}: {count} params, {macs['as_written']:,} MACs")
  return dict(num_users=num_users, num_layers=NUM_LAYERS), dict(rows=rows)


def plot(results: dict, out_dir: str) -> list:
  fig, axes = plots.panels(2)
  rows = results["rows"]
  names = list(rows)
  plots.grouped_bars(axes[0], names, {
      "ours": [rows[n]["params"] for n in names],
      "ours, shared module x2": [rows[n]["params_counting_shared_module_twice"]
                                 for n in names],
      "paper": [rows[n]["paper_params"] for n in names]},
                     y_label="parameters", title="Table II: parameters")
  plots.grouped_bars(axes[1], names, {
      "as written": [rows[n]["macs_as_written"] for n in names],
      "as computed": [rows[n]["macs_as_computed"] for n in names],
      "compiled (FLOPs / 2)": [rows[n]["compiled_macs"] for n in names]},
                     y_label="MACs per network", title="Table II: MACs "
                     "per network (paper: per unstated batch)")
  return [plots.save(fig, out_dir, "table2.png")]


EXPERIMENT = framework.Experiment("uwgnn_table2", "UWGNN Table II: "
                                  "parameters and MACs", run, plot)

if __name__ == "__main__":
  framework.main(EXPERIMENT)
