"""What the rules see of one skill: its shipped files (from selection), read once, and SKILL.md."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property

from skillsync import skillmd
from skillsync.selection import SelectedFile
from skillsync.workspace import SKILL_FILE, Skill, Workspace

# Files are read up to this many bytes for the text checks (a larger file is still size-checked).
READ_CAP = 64 * 1024 * 1024
BINARY_SNIFF = 8192


@dataclass
class FileInfo:
    rel: str
    path: str
    size: int
    mode: int
    data: bytes  # the first READ_CAP bytes of a text file; of a binary file, the first BINARY_SNIFF

    @cached_property
    def binary(self) -> bool:
        return b"\0" in self.data[:BINARY_SNIFF]

    @cached_property
    def is_utf8(self) -> bool:
        return self.data.isascii() or self.utf8 is not None  # ASCII: valid UTF-8, no decoding

    @cached_property
    def utf8(self) -> str | None:
        """The decoded text, or None when the bytes are not UTF-8."""
        try:
            return self.data.decode("utf-8")
        except UnicodeDecodeError:
            return None


@dataclass
class SkillContext:
    ws: Workspace
    skill: Skill
    selected: list[SelectedFile]
    files: list[FileInfo] = field(default_factory=list)
    collision: str | None = None  # selection's message when two names collide by case/NFC

    @classmethod
    def load(cls, ws: Workspace, skill: Skill, selected: list[SelectedFile]) -> SkillContext:
        ctx = cls(ws, skill, selected)
        for f in selected:
            path = str(f.path)
            with open(path, "rb") as fh:  # noqa: PTH123 - str paths on the hot loop
                st = os.fstat(fh.fileno())
                data = fh.read(BINARY_SNIFF)
                if b"\0" not in data and len(data) == BINARY_SNIFF:
                    data += fh.read(READ_CAP - BINARY_SNIFF)  # text: read it all for the scans
            ctx.files.append(FileInfo(f.rel, path, st.st_size, st.st_mode, data))
        return ctx

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
