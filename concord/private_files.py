"""Files only the centre's own user may read: keys, the database, exports.

Created with their final mode (never written world-readable and narrowed afterwards), their
directories 0700. Used by every layer that writes such a file; holds no policy of its own.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) 0700; narrow it if it already exists and is ours."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_uid == os.getuid() and path.stat().st_mode & 0o077:
        path.chmod(0o700)
    return path


def open_private(path: Path) -> IO[str]:
    """A text file for writing (streamed), created 0600 (an existing file is narrowed and emptied)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    return os.fdopen(descriptor, "w", encoding="utf-8")


def write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` with mode 0600, replacing it atomically."""
    private_dir(path.parent)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def created_once(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on `directory` (a `.lock` file in it) while checking for and creating
    files there: of several server processes starting at once on one data directory, one creates
    the keys and the others then read them, never half-written ones or a second set."""
    private_dir(directory)
    descriptor = os.open(directory / ".lock", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock
