"""Suite-wide settings: strict numerics (after equinox); XLA's backend
optimisation level 0, since the suite's tiny programs spend their time
compiling, not running (it also keeps level 0's gradients under test, see
test_model_transforms.py); and JAX's persistent compilation cache, so that
programs the suite compiles more than once (the same computation behind
distinct jit objects, or in the other pytest-xdist worker) compile once."""

import os

# Before jax starts its backend; subprocesses the tests start inherit it.
os.environ["XLA_FLAGS"] = " ".join(filter(None, [
    os.environ.get("XLA_FLAGS", ""),
    "--xla_backend_optimization_level=0",
    "--xla_llvm_disable_expensive_passes=true"]))

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


# Longest first: with two pytest-xdist workers a long file scheduled last
# leaves one worker idle at the end.
_SLOW_FILES = ("test_reproduce.py", "test_distributed.py",
               "test_model_transforms.py", "test_hardening.py")


def pytest_collection_modifyitems(items):
  def slowness(item):
    name = os.path.basename(str(item.fspath))
    return _SLOW_FILES.index(name) if name in _SLOW_FILES else len(_SLOW_FILES)
  items.sort(key=slowness)
