"""Faults of the machine's filesystem as one line that names the path, the cause and what to do.

An `OSError` from writing a run's files (a disk that is full or read-only, a file where the workdir should be, a
directory without write permission) is no bug of aegan's: `describe` turns it into the message the binaries print
(cli.user_errors prints a `StorageError` without a traceback). Orbax writes the arrays through TensorStore, whose
faults arrive as ValueErrors that carry the errno as `os_error_code`: `fault_errno` reads both.
"""

import contextlib
import errno
import os
import re

# What to do, by the cause (errno) of an OSError; {move} is where else to write, as the caller names it.
_ADVICE = {
    errno.ENOSPC: 'free space on that disk or {move}, then rerun the same command',
    errno.EDQUOT: 'free space within your quota or {move}, then rerun the same command',
    errno.EROFS: 'the filesystem is read-only: {move}',
    errno.EACCES: 'you may not write there: fix its permissions or {move}',
    errno.EPERM: 'you may not write there: fix its permissions or {move}',
    errno.EEXIST: 'a file stands where a directory must be: move the file away or {move}',
    errno.ENOTDIR: 'a file stands where a directory must be: move the file away or {move}',
    errno.ENOENT: 'a directory on the way to it was removed: check the path, then rerun the same command',
}
CAUSES = tuple(_ADVICE)


class StorageError(ValueError):
    """A filesystem fault the user can fix; the message says what and how."""


def _chain(error: BaseException | None):
    """`error` and its causes, innermost last (each once)."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


def fault_errno(error: BaseException | None) -> int | None:
    """The errno of the storage fault behind `error` (itself or a cause), else None: an OSError's, or the
    `os_error_code` of a TensorStore status (or an '[Errno N]' in a message), which Orbax raises as a ValueError."""
    for link in _chain(error):
        if isinstance(link, OSError) and link.errno in CAUSES:
            return link.errno
        code = re.search(r"(?:os_error_code='?|\[Errno )(\d+)", str(link))
        if code and int(code.group(1)) in CAUSES:
            return int(code.group(1))
        if str(link).startswith('NOT_FOUND: Error writing'):  # TensorStore's, when a directory it wrote to is gone
            return errno.ENOENT
    return None


def is_storage_fault(error: BaseException | None) -> bool:
    return fault_errno(error) is not None


def as_os_error(error: BaseException, path) -> OSError:
    """The storage fault behind `error` as an OSError on `path` (e.g. the checkpoint that could not be written)."""
    number = fault_errno(error)
    return OSError(number, os.strerror(number), str(path))


def describe(error: OSError, doing: str, move: str = 'pass another --workdir') -> str:
    """'<cause> (<path>) while <doing>: <what to do>', e.g. 'No space left on device (/runs/a/checkpoints/20) while
    saving step 20 of /runs/a: free space on that disk or <move>, then ...'."""
    cause = error.strerror or str(error)
    where = f' ({error.filename})' if error.filename else ''
    advice = _ADVICE.get(error.errno, 'check the disk, then rerun the same command').format(move=move)
    return f'{cause}{where} while {doing}: {advice}'


def _os_error_in(error: BaseException | None) -> OSError | None:
    return next((e for e in _chain(error) if isinstance(e, OSError) and e.errno in CAUSES), None)


@contextlib.contextmanager
def writing(doing: str, move: str):
    """Turns a storage fault inside the block (an OSError, or a StorageError raised from one) into one StorageError
    that names what was being written and where else to write it, e.g. the eval's cache directory; the innermost
    block names it."""
    try:
        yield
    except (OSError, StorageError) as error:
        cause = _os_error_in(error)
        if cause is None or getattr(error, 'from_writing', False):  # an inner `writing` said it already
            raise
        described = StorageError(describe(cause, doing, move))
        described.from_writing = True
        raise described from cause
