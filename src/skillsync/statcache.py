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

The same file also keeps, per skill, the result of the last selection walk (``listings``): which
files shipped, and the stamps of everything that walk depended on (each folder it listed, each ignore
file it read, the selection config). :mod:`skillsync.listing_cache` owns what goes in a listing and when
it may be reused; this module only stores it and hands out stamps taken once per build.

The file is versioned; a corrupt, foreign or old one is ignored and rebuilt without a word. Writes go
through :func:`skillsync.atomic.atomic_write_bytes` (without fsync: a file a crash garbles is
ignored like any corrupt one), so two processes never corrupt it (last writer
wins, which loses only cache hits, never correctness).
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import Any

from skillsync.cachefile import read_doc, write_doc

CACHE_FILE = "statcache.json"
CACHE_FORMAT = "skillsync-statcache"
CACHE_VERSION = 1
_SHA_RE = re.compile(r"[0-9a-f]{64}")
_UNSEEN: list[int] = []  # a sentinel: never a real stamp, compared by identity


def _stat_key(st: os.stat_result) -> tuple[int, int, int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_mode)


class StatCache:
    """The loaded cache of one workspace. Not thread-safe; one per build."""

    def __init__(
        self,
        path: Path,
        entries: dict[str, list[Any]] | None = None,
        listings: dict[str, Any] | None = None,
        written_ns: int = 0,
    ) -> None:
        self.path = path
        self._entries: dict[str, list[Any]] = entries if entries is not None else {}
        self._listings: dict[str, Any] = listings if listings is not None else {}
        self._dirty = False
        self._fence: int | None = None
        # When the loaded file was written (0: nothing loaded). A listing stamp at or after it is racy.
        self.written_ns = written_ns
        # Stamps taken during this build, shared by the skills of one build (ancestor folders).
        self._stamps: dict[str, list[int] | None] = {}

    @classmethod
    def load(cls, state_dir: Path) -> StatCache:
        """Read the cache of the workspace whose state folder is ``state_dir`` (empty if unusable)."""
        path = state_dir / CACHE_FILE
        found = read_doc(path, CACHE_FORMAT, CACHE_VERSION)
        if found is None or not isinstance(found[0].get("entries"), dict):
            return cls(path)
        doc, written_ns = found
        try:
            # git's racy rule against the write time; the rest of each entry is checked on use.
            entries = {
                k: v
                for k, v in doc["entries"].items()
                if type(v) is list and len(v) == 6 and v[1] < written_ns and v[2] < written_ns
            }
        except TypeError:  # a non-number where a time should be: not our file
            return cls(path)
        listings = doc.get("listings")
        return cls(path, entries, listings if isinstance(listings, dict) else None, written_ns)

    def __len__(self) -> int:
        return len(self._entries)

    def start(self) -> None:
        """Read the filesystem clock before any file is hashed; without it nothing is recorded."""
        self._fence = fs_now(self.path.parent)
        self._stamps = {}

    @property
    def fence(self) -> int | None:
        """The filesystem clock read by :meth:`start` (None: not started, or unreadable)."""
        return self._fence

    def stamp(self, abs_path: str) -> list[int] | None:
        """``[mtime_ns, ctime_ns, inode, size]`` of ``abs_path`` (following links), taken once per
        build; None when it cannot be stat'ed. Anything changed after :meth:`start` gets a stamp that
        is not older than the fence, so it differs from every stamp a listing was recorded with."""
        seen = self._stamps.get(abs_path, _UNSEEN)
        if seen is not _UNSEEN:
            return seen
        value: list[int] | None
        try:
            st = os.stat(abs_path)  # noqa: PTH116 - str paths on the warm path
        except OSError:
            value = None
        else:
            value = [st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_size]
        self._stamps[abs_path] = value
        return value

    def listing(self, skill_key: str) -> Any:
        """The stored listing of one skill (opaque to this module; selection checks it), or None."""
        return self._listings.get(skill_key)

    def record_listing(self, skill_key: str, value: dict[str, Any] | None) -> None:
        """Store (or, with None, forget) the listing of one skill."""
        if value is None:
            if self._listings.pop(skill_key, None) is not None:
                self._dirty = True
        elif self._listings.get(skill_key) != value:
            self._listings[skill_key] = value
            self._dirty = True

    def known(self, key: str) -> bool:
        """Whether ``key`` has an entry at all (a first build hashes without stat'ing first)."""
        return key in self._entries

    def lookup(self, key: str, st: os.stat_result) -> str | None:
        """The cached sha256 of ``key`` if its stat is unchanged, else None."""
        value = self._entries.get(key)
        if (
            value is None
            or value[0] != st.st_size
            or value[1] != st.st_mtime_ns
            or value[2] != st.st_ctime_ns
            or value[3] != st.st_ino
            or value[4] != st.st_mode
        ):
            return None
        sha = value[5]
        return sha if type(sha) is str and _SHA_RE.fullmatch(sha) else None

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

    def prune(self, prefixes: set[str], keep: set[str]) -> None:
        """Forget entries under any of ``prefixes`` (workspace-relative skill folders, "" for the
        root) that are not in ``keep``: files deleted or no longer selected. One pass over the cache."""
        if not prefixes:
            return
        everything = "" in prefixes
        stale = []
        for key in self._entries:
            if key in keep:
                continue
            if everything or _under_any(key, prefixes):
                stale.append(key)
        for key in stale:
            del self._entries[key]
        if stale:
            self._dirty = True

    def save(self) -> None:
        """Write the cache if anything changed; a cache that cannot be written is silently skipped."""
        if not self._dirty:
            return
        body = {"entries": self._entries, "listings": self._listings}
        if write_doc(self.path, CACHE_FORMAT, CACHE_VERSION, body):
            self._dirty = False


def _under_any(key: str, prefixes: set[str]) -> bool:
    cut = key.find("/")
    while cut != -1:
        if key[:cut] in prefixes:
            return True
        cut = key.find("/", cut + 1)
    return False


def fs_now(folder: Path) -> int | None:
    """The filesystem's current time in ns (the mtime of a new temp file in ``folder``), or None.

    Taken from the filesystem, not ``time.time_ns()``: file timestamps come from the kernel's coarse
    clock (or a file server's clock), which may lag the fine-grained wall clock.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # tempfile.mkstemp, minus importing tempfile on every warm run
        name = str(folder / f".clock.{os.urandom(8).hex()}")
        fd = os.open(name, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
    except OSError:
        return None
    try:
        return os.fstat(fd).st_mtime_ns
    finally:
        os.close(fd)
        with contextlib.suppress(OSError):
            Path(name).unlink()
