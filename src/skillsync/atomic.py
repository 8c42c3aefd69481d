"""Atomic file writes and an advisory lock file, for state and caches shared between processes."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from skillsync.errors import LocalError


@contextlib.contextmanager
def atomic_writer(path: Path, *, mode: int = 0o644, durable: bool = True) -> Iterator[BinaryIO]:
    """A binary file that replaces ``path`` when the ``with`` block ends without an exception.

    temp file in the same folder + fsync + rename; the folder is fsynced too so the rename survives
    a crash. Readers see the old or the new file, never a mix; on an exception nothing is left.
    The folder must exist (creating it is the caller's choice). ``durable=False`` skips both
    fsyncs, for caches: a crash may then leave an empty or garbled file, which their loaders
    ignore, and fsync costs milliseconds per write on a disk.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        tmp_path = Path(tmp)
        tmp_path.chmod(mode)
        tmp_path.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        raise
    if not durable:
        return
    with contextlib.suppress(OSError):
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def atomic_write_bytes(path: Path, data: bytes, *, mode: int = 0o644, durable: bool = True) -> None:
    """Write ``data`` to ``path`` so that readers see the old or the new file, never a mix
    (``durable``: see :func:`atomic_writer`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_writer(path, mode=mode, durable=durable) as fh:
        fh.write(data)


def atomic_write_text(path: Path, text: str, *, mode: int = 0o644) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), mode=mode)


@contextlib.contextmanager
def file_lock(path: Path, *, wait: bool = True, what: str = "workspace state") -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created if missing) for the ``with`` block.

    With ``wait=False`` a held lock raises :class:`LocalError` (exit 4) instead of blocking.
    The kernel drops the lock when the process dies, so a crash never leaves a stale lock.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        flags = fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB)
        try:
            fcntl.flock(fd, flags)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise LocalError(
                    f"{what} is locked by another skillsync process ({path})",
                    hint="wait for it to finish, or stop it",
                ) from None
            raise
        yield
    finally:
        os.close(fd)
