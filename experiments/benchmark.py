r"""Speed of the learned allocators against WMMSE, and the equal-time frontier.

    python -m experiments.benchmark            # K = 10, 20, 50, 100, 200
    python -m experiments.benchmark --quick    # tiny, seconds (the tests)

Per K and allocator, all in one process on one device: one-network latency,
batch throughput, peak memory and FLOPs of the compiled program, achieved
GFLOP/s, and the mean sum rate as % of WMMSE-100 on the same channels.
Then WMMSE's equal-time frontier on the Rayleigh batch: fewer or more
iterations, and best of R starts (the full-power start among them), each
timed; for each learned model, WMMSE given the model's own time. Writes
results/benchmark/results.json, frontier.png and throughput.png.
"""

import dataclasses
import functools
import os
import time

from absl import app
from absl import flags
import jax
import jax.numpy as jnp

import uwgnn_jax
from uwgnn_jax import benchmarking
from uwgnn_jax import channels
from uwgnn_jax import models
from experiments import benchmark_plots
from experiments import results_io

_USERS = flags.DEFINE_list("users", ["10", "20", "50", "100", "200"],
                           "Values of K.")
_MODELS = flags.DEFINE_list("models", ["uwgnn", "wcgcn", "uwmmse", "mlp"],
                            "Learned allocators to time.")
_BATCH = flags.DEFINE_integer("batch", 1024, "Networks per throughput batch.")
_FRONTIER_BATCH = flags.DEFINE_integer(
    "frontier_batch", 256, "Networks per frontier batch at K >= 100 (WMMSE "
    "with 32 starts there takes seconds per call).")
_REPEATS = flags.DEFINE_integer("repeats", 50, "Timed one-network calls.")
_BATCH_REPEATS = flags.DEFINE_integer("batch_repeats", 5, "Timed batch calls.")
_ITERATIONS = flags.DEFINE_list("iterations", ["5", "10", "20", "50", "100",
                                               "200"],
                                "Frontier: WMMSE iteration counts (1 start).")
_RESTARTS = flags.DEFINE_list("restarts", ["2", "4", "8", "16", "32"],
                              "Frontier: numbers of 100-iteration starts.")
_QUICK = flags.DEFINE_bool("quick", False, "Tiny sizes for a smoke test.")
_OUT = flags.DEFINE_string("out_dir", "results/benchmark", "Output folder.")

MLP_USERS = 10  # Sun et al.'s K; the MLP serves only its trained K.
SEED = 2026  # Benchmark channels: a key no training or test set uses.


@dataclasses.dataclass(frozen=True)
class BenchmarkConfig:
  users: tuple
  models: tuple
  batch: int
  frontier_batch: int
  repeats: int
  batch_repeats: int
  iterations: tuple
  restarts: tuple
  mlp_users: int = MLP_USERS


def config_from_flags() -> BenchmarkConfig:
  if _QUICK.value:
    return BenchmarkConfig(users=(6,), models=tuple(_MODELS.value), batch=8,
                           frontier_batch=8, repeats=2, batch_repeats=1,
                           iterations=(2, 100), restarts=(2,), mlp_users=6)
  return BenchmarkConfig(
      users=tuple(map(int, _USERS.value)), models=tuple(_MODELS.value),
      batch=_BATCH.value, frontier_batch=_FRONTIER_BATCH.value,
      repeats=_REPEATS.value, batch_repeats=_BATCH_REPEATS.value,
      iterations=tuple(map(int, _ITERATIONS.value)),
      restarts=tuple(map(int, _RESTARTS.value)))


def _params(name: str, num_users: int):
  """Shipped weights where they exist; else fresh ones (cost only)."""
  if name in uwgnn_jax.available_pretrained():
    return uwgnn_jax.pretrained(name), True
  return models.init(name, jax.random.PRNGKey(0), num_users), False


@functools.lru_cache(maxsize=None)
def _wmmse_fn(noise_var: float, num_iters: int, num_starts: int):
  """A jitted batch WMMSE (best of num_starts, full-power start included)."""
  if num_starts == 1:
    return jax.jit(lambda h: uwgnn_jax.wmmse(h, noise_var=noise_var,
                                             num_iters=num_iters))
  key = jax.random.PRNGKey(SEED)
  return jax.jit(lambda h: uwgnn_jax.wmmse_best_of_random_starts(
      key, h, num_starts=num_starts, noise_var=noise_var, num_iters=num_iters,
      include_full_power=True))


@functools.lru_cache(maxsize=None)
def _model_fn(noise_var: float):
  return jax.jit(lambda p, h: uwgnn_jax.allocate(p, h, noise_var=noise_var))


def _mean_rate(H, p, noise_var) -> float:
  return float(uwgnn_jax.sum_rate(H, p, noise_var=noise_var).mean())


def measure_row(label: str, fn, args_one, args_batch, H, noise_var,
                reference_rate: float, config: BenchmarkConfig,
                analytic_flops=None) -> dict:
  """Latency, throughput, memory, FLOPs and quality of one allocator."""
  batch = H.shape[0]
  one = benchmarking.median_seconds(fn, *args_one, repeats=config.repeats)
  whole = benchmarking.median_seconds(fn, *args_batch,
                                      repeats=config.batch_repeats)
  cost_one = benchmarking.compiled_cost(fn, *args_one)
  cost_batch = benchmarking.compiled_cost(fn, *args_batch)
  flops = analytic_flops if analytic_flops is not None else cost_one.flops
  percent = 100.0 * _mean_rate(H, fn(*args_batch), noise_var) / reference_rate
  return dict(
      allocator=label, latency_ms=1e3 * one, networks_per_s=batch / whole,
      seconds_per_network=whole / batch,
      peak_mib_batch=cost_batch.peak_bytes / 2**20,
      flops_per_network=flops, xla_flops_one_network=cost_one.flops,
      gflops_per_s=flops * batch / whole / 1e9, percent_of_wmmse=percent)


def _rayleigh(num_users: int, batch: int):
  keys = jax.random.split(jax.random.PRNGKey(SEED), batch)
  return jax.vmap(lambda k: channels.rayleigh(k, num_users))(keys)


def _geometric(num_users: int, batch: int):
  keys = jax.random.split(jax.random.PRNGKey(SEED + 1), batch)
  return jax.vmap(lambda k: channels.geometric(k, num_users))(keys)


def benchmark_size(num_users: int, config: BenchmarkConfig, log) -> dict:
  """All rows and the frontier at one K."""
  rows = []
  sets = {"rayleigh": (_rayleigh(num_users, config.batch),
                       channels.RAYLEIGH_NOISE_VAR)}
  if "uwmmse" in config.models:
    sets["geometric"] = (_geometric(num_users, config.batch),
                         channels.GEOMETRIC_NOISE_VAR)
  references = {}
  for channel, (H, noise) in sets.items():
    wmmse100 = _wmmse_fn(noise, 100, 1)
    references[channel] = _mean_rate(H, wmmse100(H), noise)
    truncations = sorted({models.num_layers(_params(m, num_users)[0])
                          for m in config.models
                          if (m == "uwmmse") == (channel == "geometric")})
    for iters in [100] + truncations:
      label = "WMMSE-100" if iters == 100 else f"Tr-WMMSE-{iters}"
      fn = _wmmse_fn(noise, iters, 1)
      rows.append(dict(channel=channel, **measure_row(
          label, fn, (H[0],), (H,), H, noise, references[channel], config,
          benchmarking.wmmse_flops(num_users, iters))))
      log(rows[-1])
  for name in config.models:
    if (not models.MODELS[name].is_graph_model and
        num_users != config.mlp_users):
      continue
    channel = "geometric" if name == "uwmmse" else "rayleigh"
    H, noise = sets[channel]
    params, trained = _params(name, num_users)
    fn = _model_fn(noise)
    row = measure_row(name, fn, (params, H[0]), (params, H), H, noise,
                      references[channel], config)
    if not trained:  # Random weights: the cost is real, the quality is not.
      row["percent_of_wmmse"] = None
    rows.append(dict(channel=channel, trained=trained, **row))
    log(rows[-1])
  return dict(rows=rows, frontier=frontier(num_users, rows, config, log))


def frontier(num_users: int, rows, config: BenchmarkConfig, log) -> dict:
  """WMMSE's time-quality curve on Rayleigh channels, and each Rayleigh
  model against WMMSE given the model's own time per network."""
  batch = config.frontier_batch if num_users >= 100 else config.batch
  H = _rayleigh(num_users, batch)
  noise = channels.RAYLEIGH_NOISE_VAR
  reference = _mean_rate(H, _wmmse_fn(noise, 100, 1)(H), noise)

  def point(num_iters, num_starts):
    fn = _wmmse_fn(noise, num_iters, num_starts)
    seconds = benchmarking.median_seconds(fn, H, repeats=config.batch_repeats)
    percent = 100.0 * _mean_rate(H, fn(H), noise) / reference
    return benchmarking.FrontierPoint(num_iters, num_starts, seconds / batch,
                                      percent)

  points = [point(*s) for s in benchmarking.frontier_settings(
      config.iterations, config.restarts)]
  for p in points:
    log(dict(frontier=p._asdict()))
  wmmse100 = next(p for p in points if p.num_iters == 100 and
                  p.num_starts == 1) if 100 in config.iterations else point(
                      100, 1)
  models_at_equal_time = []
  for row in rows:
    if row["channel"] != "rayleigh" or row["allocator"].startswith(
        ("WMMSE", "Tr-WMMSE")) or row.get("percent_of_wmmse") is None:
      continue
    setting = benchmarking.equal_time_setting(row["seconds_per_network"],
                                              wmmse100.seconds_per_network)
    matched = point(*setting)
    models_at_equal_time.append(dict(
        model=row["allocator"], model_percent=row["percent_of_wmmse"],
        model_seconds_per_network=row["seconds_per_network"],
        wmmse_equal_time=matched._asdict(),
        best_frontier_percent_within_time=benchmarking.best_frontier_percent(
            points, row["seconds_per_network"]),
        margin_points=row["percent_of_wmmse"] - matched.percent_of_wmmse))
    log(models_at_equal_time[-1])
  return dict(batch=batch, points=[p._asdict() for p in points],
              models=models_at_equal_time)


def eager_overhead(num_users: int, batch: int, repeats: int) -> dict:
  """Public calls as README shows them (eager) against the same call under
  the user's own jax.jit: wall-time ratios, on one batch."""
  H = _rayleigh(num_users, batch)
  params = uwgnn_jax.pretrained("uwgnn")
  noise = channels.RAYLEIGH_NOISE_VAR
  calls = {
      "wmmse": (lambda h: uwgnn_jax.wmmse(h, noise_var=noise), (H,)),
      "allocate": (lambda p, h: uwgnn_jax.allocate(p, h, noise_var=noise),
                   (params, H)),
      "sum_rate": (lambda h: uwgnn_jax.sum_rate(
          h, jnp.ones(h.shape[:-1]), noise_var=noise), (H,)),
  }
  out = dict(num_users=num_users, batch=batch)
  for name, (fn, args) in calls.items():
    eager = benchmarking.median_seconds(fn, *args, repeats=repeats)
    jitted = benchmarking.median_seconds(jax.jit(fn), *args, repeats=repeats)
    out[name] = dict(eager_ms=1e3 * eager, jit_ms=1e3 * jitted,
                     ratio=eager / jitted)
  return out


def print_tables(results: dict) -> None:
  print(f"{'K':>4} {'allocator':<12}{'channel':<10}{'latency ms':>11}"
        f"{'nets/s':>10}{'peak MiB':>9}{'kFLOP/net':>10}{'GFLOP/s':>8}"
        f"{'% WMMSE':>8}")
  for num_users, entry in results.items():
    for r in entry["rows"]:
      percent = ("   n/a" if r["percent_of_wmmse"] is None
                 else f"{r['percent_of_wmmse']:8.2f}")
      print(f"{num_users:>4} {r['allocator']:<12}{r['channel']:<10}"
            f"{r['latency_ms']:11.3f}{r['networks_per_s']:10.0f}"
            f"{r['peak_mib_batch']:9.1f}{r['flops_per_network'] / 1e3:10.1f}"
            f"{r['gflops_per_s']:8.1f}{percent}")
  print("\nEqual time (Rayleigh): each model against WMMSE given the model's "
        "own time per network")
  print(f"{'K':>4} {'model':<8}{'us/net':>8}{'model %':>9}{'WMMSE setting':>16}"
        f"{'WMMSE %':>9}{'margin':>8}{'best within time':>18}")
  for num_users, entry in results.items():
    for m in entry["frontier"]["models"]:
      w = m["wmmse_equal_time"]
      setting = f"{w['num_iters']} it x {w['num_starts']}"
      print(f"{num_users:>4} {m['model']:<8}"
            f"{1e6 * m['model_seconds_per_network']:8.2f}"
            f"{m['model_percent']:9.2f}{setting:>16}"
            f"{w['percent_of_wmmse']:9.2f}{m['margin_points']:+8.2f}"
            f"{m['best_frontier_percent_within_time']:18.2f}")


def run(config: BenchmarkConfig, out_dir: str, log=print) -> dict:
  start = time.perf_counter()
  matmul = benchmarking.matmul_gflops(256 if config.batch < 64 else 2048)
  log(f"large float32 jnp.dot: {matmul:.1f} GFLOP/s")
  results = {}
  for num_users in config.users:
    results[num_users] = benchmark_size(num_users, config, log=lambda _: None)
    log(f"K = {num_users} done ({time.perf_counter() - start:.0f} s)")
  print_tables(results)
  overhead = eager_overhead(20 if 20 in config.users else config.users[0],
                            min(config.batch, 1000), config.batch_repeats)
  print("\nEager public call / the same call under the user's jax.jit, "
        f"K = {overhead['num_users']}, {overhead['batch']} networks: " +
        ", ".join(f"{name} {overhead[name]['ratio']:.2f}x"
                  for name in ("wmmse", "allocate", "sum_rate")))
  print(f"\nFor scale: a large float32 jnp.dot runs at {matmul:.1f} GFLOP/s "
        "on this device.")
  saved = {str(k): v for k, v in results.items()}
  saved["matmul_gflops_per_s"] = matmul
  saved["eager_overhead"] = overhead
  path = results_io.write(out_dir, dataclasses.asdict(config), saved,
                          time.perf_counter() - start)
  plots = benchmark_plots.write_plots(results, out_dir)
  log(f"wrote {path} and {', '.join(plots)}")
  return results


def main(argv):
  del argv  # Unused.
  config = config_from_flags()
  out_dir = _OUT.value if not _QUICK.value or _OUT.value != _OUT.default \
      else os.path.join("results", "tmp", "benchmark_quick")
  print(f"device: {results_io.device_description()}")
  run(config, out_dir)


if __name__ == "__main__":
  app.run(main)
