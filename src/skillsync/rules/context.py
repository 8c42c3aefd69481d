"""What the rules see of one skill: its shipped files (from selection or a manifest), read once,
and SKILL.md."""

from __future__ import annotations

import os
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from skillsync import skillmd
from skillsync.workspace import SKILL_FILE, Skill, Workspace

if TYPE_CHECKING:
    from skillsync.manifest import Manifest


def line_starts(data: bytes) -> list[int]:
    """Offsets where each line of ``data`` starts (one pass; lines of many findings by bisect)."""
    return [0, *(m.end() for m in re.finditer(b"\n", data))]


class LineIndex:
    """Line numbers of byte offsets in one file, for every rule that reports one: the line starts
    are found once, on the first finding, so a file without findings costs nothing."""

    __slots__ = ("_data", "_starts")

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._starts: list[int] | None = None

    def at(self, pos: int) -> int:
        if self._starts is None:
            self._starts = line_starts(self._data)
        return bisect_right(self._starts, pos)


# Files are read up to this many bytes for the text checks (a larger file is still size-checked).
READ_CAP = 64 * 1024 * 1024
BINARY_SNIFF = 8192


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)


def _read_head(fd: int, size: int) -> bytes:
    """A binary file's first BINARY_SNIFF bytes, or a text file's first READ_CAP bytes.

    Plain ``os.read`` calls sized from ``fstat`` (no buffered reader, no READ_CAP-sized buffer,
    no concatenation): this loop reads every shipped file, so its cost is most of the engine's.
    """
    head = os.read(fd, BINARY_SNIFF)
    if len(head) < BINARY_SNIFF or head.find(b"\0") >= 0:
        return head
    if size <= BINARY_SNIFF:  # fstat under-reports (a growing or special file): read in chunks
        parts, total = [head], len(head)
        while total < READ_CAP:
            more = os.read(fd, min(1 << 20, READ_CAP - total))
            if not more:
                break
            parts.append(more)
            total += len(more)
        return b"".join(parts)
    want = min(size, READ_CAP)
    os.lseek(fd, 0, os.SEEK_SET)  # one read of the whole file beats head + rest concatenated
    data = os.read(fd, want)
    while len(data) < want:  # short reads (some platforms cap one read below 2 GiB)
        more = os.read(fd, want - len(data))
        if not more:
            break
        data += more
    return data


def _head_of(data: bytes) -> bytes:
    """What :func:`_read_head` would have read of a file whose whole contents are ``data``."""
    if data.find(b"\0", 0, BINARY_SNIFF) >= 0:
        return data[:BINARY_SNIFF]
    return data[:READ_CAP]


_UNDECODED: Any = object()  # FileInfo._text before the first decode


@dataclass(slots=True)
class FileInfo:
    """One shipped file as read by :meth:`SkillContext.load` (plain attributes: thousands per run)."""

    rel: str
    path: str
    size: int
    mode: int
    data: bytes  # the first READ_CAP bytes of a text file; of a binary file, the first BINARY_SNIFF
    binary: bool  # a NUL byte in the first BINARY_SNIFF bytes
    _text: Any = field(default=_UNDECODED, repr=False, compare=False)
    _low: bytes | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of(cls, rel: str, path: str, size: int, mode: int, data: bytes) -> FileInfo:
        return cls(rel, path, size, mode, data, data.find(b"\0", 0, BINARY_SNIFF) >= 0)

    @property
    def is_utf8(self) -> bool:
        return self.data.isascii() or self.utf8 is not None  # ASCII: valid UTF-8, no decoding

    @property
    def utf8(self) -> str | None:
        """The decoded text (decoded once), or None when the bytes are not UTF-8."""
        if self._text is _UNDECODED:
            try:
                self._text = self.data.decode("utf-8")
            except UnicodeDecodeError:
                self._text = None
        text: str | None = self._text
        return text

    @property
    def low(self) -> bytes:
        """``data.lower()``, made once: the secret and supply scans both search it."""
        low = self._low
        if low is None:
            low = self._low = self.data.lower()
        return low


def _read(rel: str, path: str) -> FileInfo:
    fd = os.open(path, _OPEN_FLAGS)
    try:
        st = os.fstat(fd)
        data = _read_head(fd, st.st_size)
    finally:
        os.close(fd)
    return FileInfo.of(rel, path, st.st_size, st.st_mode, data)


@dataclass
class SkillContext:
    ws: Workspace
    skill: Skill
    selected: list[tuple[str, str]]  # (rel, absolute path) from skillsync.selection.select_paths
    files: list[FileInfo] = field(default_factory=list)
    collision: str | None = None  # selection's message when two names collide by case/NFC
    targets: tuple[str, ...] = ("agentskills", "seren")  # the selected validation targets
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (rel, why) of files not read
    # Skill-relative paths outside the shipped files whose presence a rule looked up (through
    # exists()): the validation cache re-checks them, since no manifest covers them.
    probes: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, ws: Workspace, skill: Skill, selected: list[tuple[str, str]]) -> SkillContext:
        ctx = cls(ws, skill, selected)
        for rel, path in selected:
            ctx._read(rel, path)
        return ctx

    def _read(self, rel: str, path: str) -> None:
        try:
            self.files.append(_read(rel, path))
        except OSError as exc:  # one unreadable file is a finding, not the end of the run
            self.unreadable.append((rel, exc.strerror or type(exc).__name__))

    @classmethod
    def from_manifest(cls, ws: Workspace, manifest: Manifest) -> SkillContext:
        """The files of ``manifest`` (no second walk); those whose bytes it kept are not read again."""
        ctx = cls(ws, manifest.skill, [(e.rel, e.abspath) for e in manifest.entries])
        append = ctx.files.append
        contents = manifest.contents
        for e in manifest.entries:
            data = contents.get(e.rel)
            if data is None:
                ctx._read(e.rel, e.abspath)
            else:
                append(FileInfo.of(e.rel, e.abspath, e.size, e.mode, _head_of(data)))
        return ctx

    def exists(self, rel: str) -> bool:
        """Whether ``rel`` (skill-relative, not shipped) exists on disk; recorded in :attr:`probes`."""
        self.probes.append(rel)
        return os.path.exists(os.path.join(self.skill.path, rel))  # noqa: PTH110, PTH118

    @cached_property
    def by_rel(self) -> dict[str, FileInfo]:
        return {f.rel: f for f in self.files}

    @cached_property
    def skill_md_file(self) -> FileInfo | None:
        return self.by_rel.get(SKILL_FILE)

    @cached_property
    def skill_md(self) -> skillmd.SkillMd | None:
        f = self.skill_md_file
        if f is None:
            return None
        text = f.utf8 if f.utf8 is not None else f.data.decode("utf-8", errors="replace")
        return skillmd.parse(text)
