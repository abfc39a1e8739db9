"""One run's workdir: held by one process at a time, checked before use.

`hold(workdir)` is a context manager that takes an exclusive `flock` on
`<workdir>/.lock` (released by the kernel when the process ends, however it
ends), records the holder's pid there, removes temp files a killed writer
left behind (`params_io.write_atomically`'s `.tmp-*`), and so also proves
that the folder is writable before any data is drawn or step trained.
"""

import contextlib
import errno
import fcntl
import glob
import os
import tempfile

LOCK = ".lock"


def _holder_pid(lock_path: str) -> str:
  try:
    with open(lock_path) as f:
      return f.read().strip() or "unknown"
  except OSError:
    return "unknown"


@contextlib.contextmanager
def hold(workdir: str):
  """Exclusive use of `workdir` for the body; ValueError if another run has it
  or it cannot be written."""
  check_writable_file(os.path.join(workdir, LOCK), "--workdir")
  try:
    fd = os.open(os.path.join(workdir, LOCK), os.O_RDWR | os.O_CREAT, 0o644)
  except OSError as e:
    raise ValueError(f"--workdir {workdir}: cannot open its lock file "
                     f"({e.strerror}).") from e
  try:
    try:
      fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
      if e.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
        raise ValueError(f"--workdir {workdir}: cannot lock it "
                         f"({e.strerror}).") from e
      raise ValueError(
          f"--workdir {workdir} is in use by another run (pid "
          f"{_holder_pid(os.path.join(workdir, LOCK))}); wait for it to end "
          "or use another workdir.") from None
    try:
      os.ftruncate(fd, 0)
      os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
      for stale in glob.glob(os.path.join(workdir, ".tmp-*")):
        os.remove(stale)
    except OSError as e:
      raise ValueError(f"--workdir {workdir} cannot be written "
                       f"({e.strerror}).") from e
    yield workdir
  finally:
    os.close(fd)  # Releases the lock.


def check_writable_file(path: str, flag: str) -> None:
  """ValueError unless files can be created (and renamed, removed) in the
  folder of `path`; makes the folder if needed."""
  folder = os.path.dirname(os.path.abspath(path))
  try:
    os.makedirs(folder, exist_ok=True)
    fd, probe = tempfile.mkstemp(dir=folder, prefix=".tmp-probe-")
    os.close(fd)
    os.remove(probe)
  except OSError as e:
    raise ValueError(f"{flag} {path}: its folder {folder} cannot be created "
                     f"or is not writable ({e.strerror}).") from e
