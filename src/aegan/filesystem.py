"""Faults of the machine's filesystem as one line that names the path, the cause and what to do.

An `OSError` from writing a run's files (a disk that is full or read-only, a file where the workdir should be, a
directory without write permission) is no bug of aegan's: `describe` turns it into the message the binaries print
(cli.user_errors prints a `StorageError` without a traceback).
"""

import errno

# What to do, by the cause (errno) of an OSError.
_ADVICE = {
    errno.ENOSPC: 'free space on that disk or move the workdir, then rerun the same command',
    errno.EDQUOT: 'free space within your quota or move the workdir, then rerun the same command',
    errno.EROFS: 'the filesystem is read-only: pass a --workdir on a writable disk',
    errno.EACCES: 'you may not write there: pass a --workdir you own, or fix its permissions',
    errno.EPERM: 'you may not write there: pass a --workdir you own, or fix its permissions',
    errno.EEXIST: 'a file stands where a directory must be: pass another --workdir, or move the file away',
    errno.ENOTDIR: 'a file stands where a directory must be: pass another --workdir, or move the file away',
    errno.ENOENT: 'a directory on the way to it was removed: check the path, then rerun the same command',
}
CAUSES = tuple(_ADVICE)


class StorageError(ValueError):
    """A filesystem fault the user can fix; the message says what and how."""


def is_storage_fault(error: BaseException) -> bool:
    return isinstance(error, OSError) and error.errno in CAUSES


def describe(error: OSError, doing: str) -> str:
    """'<cause> (<path>) while <doing>: <what to do>', e.g. 'No space left on device (/runs/a/checkpoints/20) while
    saving step 20 of /runs/a: free space ...'."""
    cause = error.strerror or str(error)
    where = f' ({error.filename})' if error.filename else ''
    return f'{cause}{where} while {doing}: {_ADVICE.get(error.errno, "check the disk, then rerun the same command")}'
