r"""UWMMSE paper, Fig. 2c: the static network with pairs removed or added.

    python -m experiments.uwmmse_fig2c [--quick]

Table 1's static network (M = 20, sigma = 2.6e-5) resized to N pairs, N =
10 ... 30: its first min(N, 20) pairs kept, new pairs drawn in the same
area (`TrainConfig.layout_users`, `channels.resize_layout`). UWMMSE is
Table 1's model, trained on the static network at N = 20; Ro-UWMMSE is
trained on random layouts of mixed sizes, each training network's N drawn
uniformly in [10, 30] (`TrainConfig.num_users_min`: networks zero-padded
to 30 pairs, the absent ones ignored). Mean sum rate of both, WMMSE-100
and Tr-WMMSE-4 on 2,000 test channels per N.
"""

import dataclasses

from experiments import framework
from experiments import uwmmse_fig2b
from experiments import uwmmse_table1

SIZES = (10, 15, 20, 25, 30)
TRAIN_SIZES = (10, 30)  # Ro-UWMMSE's range of N, the paper's.
TEST_SIZE = 2_000


def run(ctx: framework.Context) -> tuple:
  """Trains (or loads) both models and scores them at every size."""
  static = ctx.config(model="uwmmse", **uwmmse_table1.LAYOUT)
  smallest = ctx.sizes.num_users(TRAIN_SIZES[0])
  robust = ctx.config(model="uwmmse", channel="geometric",
                      num_users=TRAIN_SIZES[1],
                      # Quick: every K is 5, one size (and the quick runs'
                      # shared program; tests/test_mixed_sizes.py covers
                      # the mixed-size one).
                      num_users_min=None if ctx.quick else smallest)
  trained = {"uwmmse": ctx.train(static).params,
             "ro_uwmmse": ctx.train(robust).params}
  test = dataclasses.replace(static, test_size=min(TEST_SIZE,
                                                   static.test_size),
                             layout_users=static.num_users)
  grid = (ctx.sizes.num_users(20),) if ctx.quick else SIZES
  rows = uwmmse_fig2b.with_rates(framework.shift_rows(
      trained, grid, lambda n: dataclasses.replace(test, num_users=n),
      "users", ctx.progress(len(grid)), num_layers=4))
  return dict(static=static.to_json(), robust=robust.to_json(),
              sizes=list(grid), test_size=test.test_size), dict(rows=rows)


def plot(results: dict, out_dir: str) -> list:
  return [uwmmse_fig2b.rate_and_percent_plot(
      results["rows"], "users", "pairs N", "Fig. 2c: static network resized",
      out_dir, "fig2c.png")]


EXPERIMENT = framework.Experiment("uwmmse_fig2c", "UWMMSE Fig. 2c: size "
                                  "shift of the static network", run, plot)

if __name__ == "__main__":
  framework.main(EXPERIMENT)
