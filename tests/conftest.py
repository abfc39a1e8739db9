"""Suite-wide settings: strict numerics (after equinox); XLA's backend
optimisation level 0, since the suite's tiny programs spend their time
compiling, not running (it also keeps level 0's gradients under test, see
test_model_transforms.py); and JAX's persistent compilation cache, so that
programs the suite compiles more than once (the same computation behind
distinct jit objects, or in the other pytest-xdist worker) compile once."""

import os


def _jaxlib_knows(flag: str) -> bool:
  """Whether the installed jaxlib's libraries define XLA flag `flag`: XLA
  aborts the process on a flag it does not know, and flags come and go
  between jaxlib releases."""
  import glob  # pylint: disable=g-import-not-at-top
  import importlib.util  # pylint: disable=g-import-not-at-top
  import mmap  # pylint: disable=g-import-not-at-top
  spec = importlib.util.find_spec("jaxlib")
  if spec is None or not spec.submodule_search_locations:
    return False
  for path in glob.glob(os.path.join(spec.submodule_search_locations[0],
                                     "*.so")):
    try:
      with open(path, "rb") as f, mmap.mmap(f.fileno(), 0,
                                            access=mmap.ACCESS_READ) as m:
        if m.find(flag.encode()) >= 0:
          return True
    except (OSError, ValueError):  # Unreadable, or empty (mmap refuses).
      continue
  return False


# Before jax starts its backend; subprocesses the tests start inherit it.
# XLA's older CPU fusion emitters compile the suite's programs about 1.4x
# faster than the MLIR ones (BUILD_NOTES.md, "The test suite's time");
# level 0 keeps what LLVM does to them small.
os.environ["XLA_FLAGS"] = " ".join(filter(None, [
    os.environ.get("XLA_FLAGS", ""),
    "--xla_backend_optimization_level=0",
    "--xla_llvm_disable_expensive_passes=true",
    "--xla_cpu_use_fusion_emitters=false" if _jaxlib_knows(
        "xla_cpu_use_fusion_emitters") else ""]))

# The persistent cache through the environment, so that the experiment
# drivers the tests run as subprocesses share it.
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    ".pytest_cache", "jax_compilation_cache"))
os.environ["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0"
os.environ["JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES"] = "0"

import jax  # pylint: disable=g-import-not-at-top

jax.config.update("jax_numpy_rank_promotion", "raise")


# The one tiny training run every test file trains (so its compiled epoch
# is shared): K = 5, 64 networks in 4 batches, constant rate.
from uwgnn_jax.training import config as config_lib  # pylint: disable=g-import-not-at-top

TINY = config_lib.TrainConfig(num_users=5, train_size=64, test_size=32,
                              batch_size=16, epochs=2, learning_rate=3e-3,
                              lr_schedule="constant")


# The slowest files, longest first (as measured from an empty compilation
# cache; BUILD_NOTES.md, "The test suite's time"): with two pytest-xdist
# workers a long file scheduled last leaves one worker idle at the end.
# pyproject.toml's --no-loadscope-reorder keeps xdist to this order. xdist
# gives worker A the 1st and 3rd files, worker B the 2nd and 4th, then the
# next to whichever frees first; so test_training, which trains TINY as the
# quick reproductions do, starts once they have written those programs to
# the persistent cache, rather than compiling them alongside.
_SLOW_FILES = ("test_reproduce.py", "test_models.py", "test_mixed_sizes.py",
               "test_training.py", "test_distributed.py", "test_sparse.py",
               "test_model_transforms.py", "test_hardening.py",
               "test_baselines.py", "test_wmmse.py", "test_cell_grid.py",
               "test_channels.py", "test_benchmark.py", "test_pretrained.py",
               "test_fast_paths.py")


def pytest_collection_modifyitems(items):
  def slowness(item):
    name = os.path.basename(str(item.fspath))
    return _SLOW_FILES.index(name) if name in _SLOW_FILES else len(_SLOW_FILES)
  items.sort(key=slowness)
