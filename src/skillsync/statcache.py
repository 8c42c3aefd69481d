"""A stat cache so a warm digest stats files instead of reading them, and is never wrong.

One JSON file per workspace (``.skillsync/statcache.json``) maps a workspace-relative path to the
``(size, mtime_ns, ctime_ns, inode, mode)`` seen when the file was hashed, plus its sha256.
A hash is reused only while all five are unchanged.

Racy edits (git's "racy clean" problem): a file rewritten with the same size within one timestamp
tick keeps its mtime. So before hashing, a build reads the filesystem clock (the mtime of a freshly
created temp file: ``fence``) and records an entry only when its mtime and ctime are strictly older
than that fence; any later edit then moves ctime past the recorded value. On load, entries whose
mtime or ctime is not strictly older than the cache file's own mtime are dropped too (git's rule).
Such files are simply hashed again next time.

The file is versioned; a corrupt, foreign or old one is ignored and rebuilt without a word. Writes go
through :func:`skillsync.atomic.atomic_write_bytes`, so two processes never corrupt it (last writer
wins, which loses only cache hits, never correctness).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from skillsync.atomic import atomic_write_bytes

CACHE_FILE = "statcache.json"
CACHE_FORMAT = "skillsync-statcache"
CACHE_VERSION = 1
_HEX = frozenset("0123456789abcdef")


def _stat_key(st: os.stat_result) -> tuple[int, int, int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_mode)


def _valid_sha(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and _HEX.issuperset(value)


class StatCache:
    """The loaded cache of one workspace. Not thread-safe; one per build."""

    def __init__(self, path: Path, entries: dict[str, list[Any]] | None = None) -> None:
        self.path = path
        self._entries: dict[str, list[Any]] = entries if entries is not None else {}
        self._dirty = False
        self._fence: int | None = None

    @classmethod
    def load(cls, state_dir: Path) -> StatCache:
        """Read the cache of the workspace whose state folder is ``state_dir`` (empty if unusable)."""
        path = state_dir / CACHE_FILE
        try:
            with path.open("rb") as fh:
                written_ns = os.fstat(fh.fileno()).st_mtime_ns
                doc = json.loads(fh.read())
        except (OSError, ValueError):
            return cls(path)
        if (
            not isinstance(doc, dict)
            or doc.get("format") != CACHE_FORMAT
            or doc.get("version") != CACHE_VERSION
            or not isinstance(doc.get("entries"), dict)
        ):
            return cls(path)
        entries: dict[str, list[Any]] = {}
        for key, value in doc["entries"].items():
            # git's racy rule against the write time; also drops malformed entries.
            if (
                isinstance(value, list)
                and len(value) == 6
                and all(isinstance(v, int) for v in value[:5])
                and value[1] < written_ns
                and value[2] < written_ns
                and _valid_sha(value[5])
            ):
                entries[key] = value
        return cls(path, entries)

    def __len__(self) -> int:
        return len(self._entries)

    def start(self) -> None:
        """Read the filesystem clock before any file is hashed; without it nothing is recorded."""
        self._fence = fs_now(self.path.parent)

    def lookup(self, key: str, st: os.stat_result) -> str | None:
        """The cached sha256 of ``key`` if its stat is unchanged, else None."""
        value = self._entries.get(key)
        if value is None:
            return None
        if (value[0], value[1], value[2], value[3], value[4]) != _stat_key(st):
            return None
        sha: str = value[5]
        return sha

    def record(self, key: str, st: os.stat_result, sha256: str) -> None:
        """Remember ``sha256`` for ``key`` as hashed after ``st`` was taken, unless racy."""
        fence = self._fence
        if fence is None or st.st_mtime_ns >= fence or st.st_ctime_ns >= fence:
            if self._entries.pop(key, None) is not None:
                self._dirty = True
            return
        value: list[Any] = [*_stat_key(st), sha256]
        if self._entries.get(key) != value:
            self._entries[key] = value
            self._dirty = True

    def prune(self, prefix: str, keep: set[str]) -> None:
        """Forget entries under ``prefix`` (a workspace-relative folder, "" for all) not in ``keep``."""
        start = f"{prefix}/" if prefix else ""
        stale = [k for k in self._entries if k.startswith(start) and k not in keep]
        for key in stale:
            del self._entries[key]
        if stale:
            self._dirty = True

    def save(self) -> None:
        """Write the cache if anything changed; a cache that cannot be written is silently skipped."""
        if not self._dirty:
            return
        doc = {"format": CACHE_FORMAT, "version": CACHE_VERSION, "entries": self._entries}
        data = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        with contextlib.suppress(OSError):
            atomic_write_bytes(self.path, data)
            self._dirty = False


def fs_now(folder: Path) -> int | None:
    """The filesystem's current time in ns (the mtime of a new temp file in ``folder``), or None.

    Taken from the filesystem, not ``time.time_ns()``: file timestamps come from the kernel's coarse
    clock (or a file server's clock), which may lag the fine-grained wall clock.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".clock.", dir=folder)
    except OSError:
        return None
    try:
        return os.fstat(fd).st_mtime_ns
    finally:
        os.close(fd)
        with contextlib.suppress(OSError):
            Path(name).unlink()
