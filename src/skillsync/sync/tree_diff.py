"""``diff``: added, removed and modified files between two trees (local, or a remote revision).

Comparing is by (size, sha256) from manifests and revision metadata alone; only the files that
changed are fetched from the remote, and only when a unified diff is wanted. Binary files (NUL
bytes or not UTF-8) and text files over :data:`MAX_PATCH_BYTES` are shown by size and hash.
"""

from __future__ import annotations

import asyncio
import difflib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from skillsync.digest import tree_digest
from skillsync.errors import LocalError
from skillsync.manifest import Manifest
from skillsync.textfit import plural

Change = Literal["added", "removed", "modified"]
MAX_PATCH_BYTES = 1 << 20  # larger text files get the binary-style summary, not a patch

FileMeta = tuple[int, str]  # (size, sha256)
Loader = Callable[[str], Awaitable[bytes]]


@dataclass(frozen=True)
class FileChange:
    path: str
    change: Change
    old: FileMeta | None
    new: FileMeta | None


def compare(old: Mapping[str, FileMeta], new: Mapping[str, FileMeta]) -> list[FileChange]:
    """Changes from ``old`` to ``new``, sorted by the UTF-8 bytes of the path (the digest order)."""
    out: list[FileChange] = []
    for path in sorted(set(old) | set(new), key=lambda p: p.encode("utf-8")):
        a, b = old.get(path), new.get(path)
        if a is None:
            out.append(FileChange(path, "added", None, b))
        elif b is None:
            out.append(FileChange(path, "removed", a, None))
        elif a != b:
            out.append(FileChange(path, "modified", a, b))
    return out


def is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _lines(text: str) -> list[str]:
    """Lines ended by ``\n`` only, as git and patch see them (str.splitlines would also split on
    form feeds, lone CRs, U+2028 and others, giving patches that do not apply)."""
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


def unified(path: str, old: bytes | None, new: bytes | None) -> str:
    """A ``git diff``-style patch of one text file (``None`` side = absent)."""
    a = _lines((old or b"").decode("utf-8"))
    b = _lines((new or b"").decode("utf-8"))
    from_name = f"a/{path}" if old is not None else "/dev/null"
    to_name = f"b/{path}" if new is not None else "/dev/null"
    lines = list(difflib.unified_diff(a, b, fromfile=from_name, tofile=to_name, n=3))
    out: list[str] = []
    for line in lines:
        if line.endswith("\n"):
            out.append(line)
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)


@dataclass
class Side:
    """One tree: ``local`` or a remote revision; ``load`` reads one file's bytes (only when asked)."""

    label: str  # "local" or "revision 3"
    files: dict[str, FileMeta]
    load: Loader
    revision: int | None = None
    revision_id: str | None = None
    text_hint: dict[str, bool] = field(default_factory=dict)  # the remote's is_text per file

    @property
    def digest(self) -> str:
        return tree_digest((p, s, h) for p, (s, h) in self.files.items())

    def to_json(self) -> dict[str, Any]:
        kind = "local" if self.revision is None else "revision"
        return {
            "kind": kind,
            "revision": self.revision,
            "revision_id": self.revision_id,
            "digest": self.digest,
        }


def local_side(manifest: Manifest) -> Side:
    by_rel = manifest.by_rel()

    async def load(path: str) -> bytes:
        try:
            return by_rel[path].path.read_bytes()
        except OSError as exc:
            raise LocalError(f"cannot read {by_rel[path].path}: {exc.strerror or exc}") from None

    return Side(label="local", files={e.rel: (e.size, e.sha256) for e in manifest.entries}, load=load)


@dataclass
class FileDiff:
    change: FileChange
    binary: bool | None = None  # None: not looked at (--stat / --name-only)
    patch: str | None = None

    def to_json(self) -> dict[str, Any]:
        c = self.change
        return {
            "path": c.path,
            "change": c.change,
            "old_size": c.old[0] if c.old else None,
            "new_size": c.new[0] if c.new else None,
            "old_sha256": c.old[1] if c.old else None,
            "new_sha256": c.new[1] if c.new else None,
            "binary": self.binary,
            "patch": self.patch,
        }


@dataclass
class SkillDiff:
    slug: str
    path: str | None
    old: Side
    new: Side
    files: list[FileDiff]

    def counts(self) -> dict[str, int]:
        out = {"added": 0, "removed": 0, "modified": 0}
        for f in self.files:
            out[f.change.change] += 1
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "path": self.path,
            "from": self.old.to_json(),
            "to": self.new.to_json(),
            "summary": self.counts(),
            "files": [f.to_json() for f in self.files],
        }


async def _side_bytes(side: Side, path: str) -> bytes | None:
    """The file's bytes, or None when it is too large or the remote says it is binary."""
    meta = side.files[path]
    if meta[0] > MAX_PATCH_BYTES or side.text_hint.get(path) is False:
        return None
    return await side.load(path)


async def _file_diff(old: Side, new: Side, change: FileChange) -> FileDiff:
    a = await _side_bytes(old, change.path) if change.old else b""
    b = await _side_bytes(new, change.path) if change.new else b""
    if a is None or b is None or not is_text(a) or not is_text(b):
        return FileDiff(change, binary=True)
    patch = unified(change.path, a if change.old else None, b if change.new else None)
    return FileDiff(change, binary=False, patch=patch)


async def diff_sides(
    slug: str, path: str | None, old: Side, new: Side, *, patches: bool, jobs: int = 8
) -> SkillDiff:
    """Compare two sides; with ``patches``, fetch the changed files and build unified diffs."""
    changes = compare(old.files, new.files)
    if not patches:
        return SkillDiff(slug, path, old, new, [FileDiff(c) for c in changes])
    sem = asyncio.Semaphore(max(1, jobs))

    async def one(c: FileChange) -> FileDiff:
        async with sem:
            return await _file_diff(old, new, c)

    files = list(await asyncio.gather(*(one(c) for c in changes)))
    return SkillDiff(slug, path, old, new, files)


# ---------------------------------------------------------------------------------------- text


def _short(sha: str) -> str:
    return sha[:12]


def _meta(m: FileMeta | None) -> str:
    return "absent" if m is None else f"{m[0]} bytes, sha256 {_short(m[1])}"


MARK = {"added": "A", "removed": "D", "modified": "M"}


def render_name_only(d: SkillDiff) -> list[str]:
    return [f.change.path for f in d.files]


def render_stat(d: SkillDiff) -> list[str]:
    width = max((len(f.change.path) for f in d.files), default=0)
    lines = []
    for f in d.files:
        c = f.change
        old = c.old[0] if c.old else 0
        new = c.new[0] if c.new else 0
        lines.append(f" {MARK[c.change]} {c.path:<{width}} | {old} -> {new} bytes")
    n = d.counts()
    lines.append(
        f" {plural(len(d.files), 'file')} changed: "
        f"{n['added']} added, {n['removed']} removed, {n['modified']} modified"
    )
    return lines


def render_patch(d: SkillDiff) -> list[str]:
    out: list[str] = []
    for f in d.files:
        c = f.change
        out.append(f"diff --skillsync a/{c.path} b/{c.path}")
        if c.change == "added":
            out.append("new file")
        elif c.change == "removed":
            out.append("deleted file")
        if f.binary:
            out.append(f"Binary files differ: {_meta(c.old)} -> {_meta(c.new)}")
        elif f.patch:
            out.append(f.patch.rstrip("\n"))
    return out
