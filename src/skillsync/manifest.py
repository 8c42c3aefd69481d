"""Manifests: path, size, sha256 and executable bit of every shipped file of a skill.

The file list comes only from :func:`skillsync.selection.select`; this module never walks folders.
Files are hashed in 1 MiB chunks into one reused buffer, so memory stays flat whatever the file size.
With ``keep_contents``, the bytes of small files read while hashing are kept on the manifest, so
validation (which reads every shipped file) does not open them a second time.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from skillsync.digest import tree_digest
from skillsync.errors import LocalError
from skillsync.selection import select_paths
from skillsync.statcache import StatCache
from skillsync.workspace import Skill, Workspace

CHUNK_SIZE = 1 << 20
# keep_contents: files up to KEEP_FILE_MAX bytes are kept, up to KEEP_BUDGET bytes per build; the
# rest are read again by whoever needs their bytes (memory stays bounded on large workspaces).
KEEP_FILE_MAX = CHUNK_SIZE
KEEP_BUDGET = 64 * CHUNK_SIZE


@dataclass(frozen=True)
class FileEntry:
    """One shipped file as the digest and the upload see it."""

    rel: str  # POSIX path relative to the skill folder (the API's relative_path)
    size: int
    sha256: str  # lowercase hex
    executable: bool  # informational: the Seren API stores no file modes
    abspath: str  # absolute path on disk (a str: a Path per file costs measurably on a warm digest)
    mode: int = 0o100644  # st_mode when hashed (validation checks every executable bit)

    @cached_property
    def path(self) -> Path:
        """The absolute path on disk, as a Path."""
        return Path(self.abspath)


@dataclass(frozen=True)
class Manifest:
    """What a skill ships: its files, sorted, with sizes and hashes."""

    skill: Skill
    entries: tuple[FileEntry, ...]  # sorted by the UTF-8 bytes of rel
    # rel -> whole file bytes read while hashing (``keep_contents``); clear it once validated
    contents: dict[str, bytes] = field(default_factory=dict, compare=False, repr=False)
    # The stat cache's listing of the walk that selected ``entries`` (which ignore files it read),
    # when one vouches for it, and that build's fence (its file system clock before hashing): what
    # the validation cache keys on (validate_cache.skill_key). None: built without a stat cache, or
    # a walk that met a symlink or a racy edit.
    walk: Any = field(default=None, compare=False, repr=False)
    fence: int | None = field(default=None, compare=False, repr=False)

    @cached_property
    def digest(self) -> str:
        """The ``skilltree-v1`` digest; equal to the digest of a remote revision with the same files."""
        return tree_digest((e.rel, e.size, e.sha256) for e in self.entries)

    @property
    def total_bytes(self) -> int:
        return sum(e.size for e in self.entries)

    @property
    def files(self) -> int:
        return len(self.entries)

    def by_rel(self) -> dict[str, FileEntry]:
        return {e.rel: e for e in self.entries}


class _Hasher:
    """Streams files through sha256 with one reused 1 MiB buffer."""

    def __init__(self) -> None:
        self._buf = bytearray(CHUNK_SIZE)
        self._view = memoryview(self._buf)
        self.budget = 0  # bytes of file contents that may still be kept (build_manifests)

    def hash_file(
        self, path: str, display: str, keep_max: int = 0
    ) -> tuple[int, str, os.stat_result, bytes | None]:
        """(bytes read, sha256 hex, stat taken before reading, contents) of the regular file at
        ``path``; contents are kept (else None) when the file holds at most ``keep_max`` bytes."""
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:
            raise _read_error(display, exc) from None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise _not_regular(display)
            h = hashlib.sha256()
            view = self._view
            size = 0
            keep: list[bytes] | None = [] if 0 < st.st_size <= keep_max else None
            while True:
                n = os.readv(fd, [view])
                if not n:
                    break
                h.update(view[:n])
                size += n
                if keep is not None:
                    keep.append(bytes(view[:n]))
                    if size > keep_max:  # grew while reading
                        keep = None
            data = None
            if keep is not None:
                data = keep[0] if len(keep) == 1 else b"".join(keep)
            elif size == 0 and keep_max > 0:
                data = b""
            return size, h.hexdigest(), st, data
        except OSError as exc:
            raise _read_error(display, exc) from None
        finally:
            os.close(fd)


def _read_error(display: str, exc: OSError) -> LocalError:
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return LocalError(f"{display}: file disappeared while reading", hint="run the command again")
    reason = exc.strerror or type(exc).__name__
    return LocalError(
        f"cannot read {display}: {reason}",
        hint="fix its permissions, or exclude it in .skillignore",
    )


def _not_regular(display: str) -> LocalError:
    return LocalError(
        f"{display}: not a regular file",
        hint="only regular files can ship; exclude it in .skillignore",
    )


def _key_prefix(skill: Skill) -> str:
    return "" if skill.rel in (".", "") else skill.rel


def build_manifest(ws: Workspace, skill: Skill, *, use_cache: bool = True) -> Manifest:
    """The manifest of ``skill``: its selected files, hashed (reusing the stat cache when allowed)."""
    return build_manifests(ws, [skill], use_cache=use_cache)[0]


def build_manifests(
    ws: Workspace, skills: Sequence[Skill], *, use_cache: bool = True, keep_contents: bool = False
) -> list[Manifest]:
    """Manifests of several skills, loading and saving the stat cache once (not once per skill).

    ``keep_contents``: keep the bytes of the small files hashed (not those the stat cache vouched
    for) in :attr:`Manifest.contents`, for a caller that validates next (push).
    """
    builder = ManifestBuilder(ws, use_cache=use_cache, keep_contents=keep_contents)
    try:
        out = [builder.build(skill) for skill in skills]
    except BaseException:
        builder.close(prune=False)
        raise
    builder.close()
    return out


class ManifestBuilder:
    """One build over the skills of one workspace: the stat cache loaded and started once, each
    skill hashed by :meth:`build`, the cache pruned and saved by :meth:`close`.

    ``state_dir``: where the stat cache lives (default: the workspace's ``.skillsync/``).
    """

    def __init__(
        self,
        ws: Workspace,
        *,
        use_cache: bool = True,
        keep_contents: bool = False,
        state_dir: Path | None = None,
    ) -> None:
        self.ws = ws
        self.cache = StatCache.load(state_dir or ws.state_dir) if use_cache else None
        if self.cache is not None:
            self.cache.start()
        self._hasher = _Hasher()
        self._hasher.budget = KEEP_BUDGET if keep_contents else 0
        self._seen: set[str] = set()
        self._prefixes: set[str] = set()

    def build(self, skill: Skill, *, refill: bool = False) -> Manifest:
        """The manifest of ``skill``; ``refill``: a fresh KEEP_BUDGET of kept contents for it (a
        caller that drops each manifest's contents before the next)."""
        if refill:
            self._hasher.budget = KEEP_BUDGET
        manifest = _build(self.ws, skill, self.cache, self._hasher, self._seen)
        self._prefixes.add(_key_prefix(skill))  # pruned only below skills built whole
        return manifest

    def close(self, *, prune: bool = True) -> None:
        """Forget cache entries of files no longer shipped by the skills built (``prune``: only
        after every build succeeded); save the cache."""
        if self.cache is not None:
            if prune:
                self.cache.prune(self._prefixes, self._seen)
            self.cache.save()


def _build(ws: Workspace, skill: Skill, cache: StatCache | None, hasher: _Hasher, seen: set[str]) -> Manifest:
    # The warm path runs once per file: str paths, one stat, no Path objects.
    prefix = _key_prefix(skill) + "/" if _key_prefix(skill) else ""
    entries: list[FileEntry] = []
    contents: dict[str, bytes] = {}
    lookup = cache.lookup if cache is not None else None
    known = cache.known if cache is not None else None
    for rel, path in select_paths(ws, skill, cache, str(skill.path)):
        key = prefix + rel
        sha: str | None = None
        if lookup is not None and known is not None and known(key):  # no entry: no stat, just hash
            try:
                st = os.stat(path)  # noqa: PTH116 - hot path, skip pathlib overhead
            except OSError as exc:
                raise _read_error(key, exc) from None
            if not stat.S_ISREG(st.st_mode):
                raise _not_regular(key)
            sha = lookup(key, st)
            size = st.st_size
        if sha is None:
            size, sha, st, data = hasher.hash_file(path, key, min(KEEP_FILE_MAX, hasher.budget))
            if data is not None:
                contents[rel] = data
                hasher.budget -= size
            if cache is not None and size == st.st_size:
                cache.record(key, st, sha)
        seen.add(key)
        entries.append(FileEntry(rel, size, sha, bool(st.st_mode & stat.S_IXUSR), path, st.st_mode))
    walk = cache.listing(_key_prefix(skill)) if cache is not None else None
    fence = cache.fence if cache is not None else None
    return Manifest(skill=skill, entries=tuple(entries), contents=contents, walk=walk, fence=fence)
