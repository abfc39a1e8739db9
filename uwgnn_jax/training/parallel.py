"""Data parallelism over a `jax.sharding.Mesh` of every device, and
`jax.distributed` for several processes.

Training shards each batch over the mesh's "data" axis and replicates the
parameters and optimiser state; XLA's SPMD partitioner inserts the gradient
all-reduce. One device runs the same program over a mesh of one. Under
`jax.distributed` the mesh spans every process's devices: each process
draws the same data from the run's seed and contributes its own devices'
copies (`to_global`). The training set is replicated on every device, as
it was whole on the one device before; only each step's batch is split.
"""

import hashlib
import re
from typing import Any, Optional, Sequence

import jax
import jax.numpy as jnp
from jax.experimental import multihost_utils
from jax.sharding import Mesh
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec
import numpy as np

DATA_AXIS = "data"


def data_mesh(devices: Optional[Sequence[jax.Device]] = None) -> Mesh:
  """A 1-D mesh named "data" over `devices` (default: every device of every
  process)."""
  return Mesh(np.asarray(devices if devices is not None else jax.devices()),
              (DATA_AXIS,))


def describe(mesh: Mesh) -> str:
  """E.g. "data parallel over 4 cpu devices (1 process)"."""
  count, processes = mesh.devices.size, jax.process_count()
  platform = mesh.devices.flat[0].platform
  return (f"data parallel over {count} {platform} "
          f"device{'s' if count > 1 else ''} ({processes} "
          f"process{'es' if processes > 1 else ''})")


def replicated(mesh: Mesh) -> NamedSharding:
  """Every device holds the whole array (parameters, optimiser state)."""
  return NamedSharding(mesh, PartitionSpec())


def batch_sharded(mesh: Mesh, batch_axis: int = 0) -> NamedSharding:
  """Axis `batch_axis` split over the devices, the others whole."""
  return NamedSharding(mesh,
                       PartitionSpec(*([None] * batch_axis), DATA_AXIS))


def check_batch_size(batch_size: int, mesh: Mesh) -> None:
  """ValueError unless each device gets the same number of networks."""
  count = mesh.devices.size
  if batch_size % count:
    raise ValueError(
        f"`batch_size` must be a multiple of the {count} devices that data "
        f"parallel training splits each batch over; got {batch_size}.")


def to_global(tree: Any, sharding: NamedSharding) -> Any:
  """Arrays every process holds alike, placed as `sharding` says: one
  global array over the mesh per leaf."""
  if jax.process_count() == 1:
    return jax.device_put(tree, sharding)

  def one(x):
    host = np.asarray(x)
    return jax.make_array_from_callback(host.shape, sharding,
                                        lambda index: host[index])

  return jax.tree.map(one, tree)


def to_local(tree: Any) -> Any:
  """Copies of replicated arrays as plain (uncommitted) arrays on this
  process's default device, for evaluation and export, which each process
  runs on its own device. Plain, like parameters loaded from a file: jit
  lowers and compiles separately for an array placed on a mesh, or
  committed to a device, so scoring a model fresh from training would
  otherwise compile again what scoring it from its file compiled."""
  def one(x):
    if not isinstance(x, jax.Array):
      return x
    if not x.sharding.is_fully_replicated:
      raise ValueError("to_local takes replicated arrays; got one sharded "
                       f"as {x.sharding}.")
    return jnp.asarray(np.asarray(x.addressable_shards[0].data))

  return jax.tree.map(one, tree)


def check_same_in_every_process(text: str, what: str) -> None:
  """ValueError in every process unless all of them pass the same `text`
  (e.g. their flags); nothing to check with one process."""
  if jax.process_count() == 1:
    return
  digest = np.frombuffer(hashlib.sha256(text.encode()).digest(), np.uint8)
  everyone = multihost_utils.process_allgather(digest)
  if not np.all(everyone == everyone[0]):
    differing = [i for i in range(everyone.shape[0])
                 if not np.array_equal(everyone[i], everyone[0])]
    raise ValueError(f"The processes of this run differ in {what}: "
                     f"processes {differing} from process 0. Start every "
                     "process with the same flags (but --process_id).")


def check_distributed_flags(coordinator_address: Optional[str],
                            num_processes: Optional[int],
                            process_id: Optional[int]) -> bool:
  """Whether the flags ask for several processes; ValueError naming the
  flag if they are incomplete or out of range."""
  given = [value is not None
           for value in (coordinator_address, num_processes, process_id)]
  if not any(given):
    return False
  if not all(given):
    raise ValueError(
        "--coordinator_address, --num_processes and --process_id go "
        f"together; got {coordinator_address!r}, {num_processes!r}, "
        f"{process_id!r}.")
  match = re.fullmatch(r"(\[[0-9a-fA-F:.]+\]|[^\s:\[\]]+):(\d{1,5})",
                       coordinator_address)
  if not match or not 1 <= int(match.group(2)) <= 65535:
    raise ValueError("--coordinator_address must be host:port (port 1 to "
                     f"65535, an IPv6 host in brackets); got "
                     f"{coordinator_address!r}.")
  if num_processes < 1:
    raise ValueError(f"--num_processes must be >= 1; got {num_processes}.")
  if not 0 <= process_id < num_processes:
    raise ValueError(f"--process_id must be in [0, {num_processes}); got "
                     f"{process_id}.")
  return True


def initialize_distributed(coordinator_address: Optional[str],
                           num_processes: Optional[int],
                           process_id: Optional[int]) -> None:
  """`jax.distributed.initialize` when the flags ask for several processes;
  must run before any other JAX call. Process 0 hosts the coordinator."""
  if check_distributed_flags(coordinator_address, num_processes, process_id):
    jax.distributed.initialize(coordinator_address=coordinator_address,
                               num_processes=num_processes,
                               process_id=process_id)
