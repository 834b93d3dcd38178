"""One writer per workdir: `<workdir>/aegan.lock` names the host and pid of the run that trains into it.

A second `aegan.train` on a workdir in use (a SLURM requeue racing the old job, a copy-pasted command) would interleave
two runs' checkpoints. It refuses to start, naming the other run. A lock is stale, and taken over with a warning, when
its pid is dead on this host, or when it was written on another host and not refreshed for `STALE_AFTER_S` (the run
refreshes it at every log step; a host's pids cannot be checked from another).
"""

import json
import os
import socket
import time

from absl import logging
from etils import epath

from aegan import filesystem

LOCK_FILE = 'aegan.lock'
STALE_AFTER_S = 600


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


class WorkdirInUseError(RuntimeError):
    """Another live run holds the workdir's lock."""


class WorkdirLock:
    """`acquire()` at start, `refresh()` while training, `release()` at the end (also on errors)."""

    def __init__(self, workdir: epath.Path):
        self.path = epath.Path(workdir) / LOCK_FILE
        self.owner = {'host': socket.gethostname(), 'pid': os.getpid()}

    def acquire(self) -> None:
        """Takes the lock; raises WorkdirInUseError naming the other run when it is held by a live run."""
        if self.path.exists():
            try:
                holder = json.loads(self.path.read_text())
                host, pid, written = holder['host'], int(holder['pid']), float(holder['time'])
            except (ValueError, KeyError, TypeError):
                host, pid, written = '?', -1, 0.0
            if (host, pid) != (self.owner['host'], self.owner['pid']):
                age = time.time() - written
                same_host = host == self.owner['host']
                if (same_host and _pid_alive(pid)) or (not same_host and age < STALE_AFTER_S):
                    raise WorkdirInUseError(
                        f'{self.path.parent} is in use by another aegan.train run (host {host}, pid {pid}; lock '
                        f'refreshed {age:.0f} s ago). Two runs in one workdir would mix their checkpoints. Wait for it '
                        f'to finish or stop it, or train into another --workdir. If that run is dead, delete '
                        f'{self.path}.'
                    )
                logging.warning(
                    'Taking over the stale lock %s of host %s, pid %d (%s).',
                    self.path,
                    host,
                    pid,
                    'that process is gone' if same_host else f'not refreshed for {age:.0f} s',
                )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)  # the run's first write: a workdir it cannot
            self.refresh()  # write to stops it here, before anything else
        except OSError as error:
            if not filesystem.is_storage_fault(error):
                raise
            raise filesystem.StorageError(
                filesystem.describe(error, f'creating the workdir {self.path.parent}') + ' (nothing was written)'
            ) from error

    def refresh(self) -> None:
        """Never makes the workdir: one removed under a running run ends it (FileNotFoundError), rather than the run
        going on in a new, empty directory of the same name."""
        self.path.write_text(json.dumps({**self.owner, 'time': time.time()}))

    def release(self) -> None:
        try:
            holder = json.loads(self.path.read_text())
        except (FileNotFoundError, ValueError):
            return
        if (holder.get('host'), holder.get('pid')) == (self.owner['host'], self.owner['pid']):
            self.path.unlink()
