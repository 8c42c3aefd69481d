"""``ls``: one row per skill with its shipped file count and bytes."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from skillsync.errors import LocalError
from skillsync.selection import select
from skillsync.text import printable
from skillsync.workspace import Workspace


@dataclass(frozen=True)
class SkillRow:
    slug: str
    path: str  # the skill folder, relative to the workspace root
    files: int
    bytes: int

    def to_json(self) -> dict[str, Any]:
        return {"slug": self.slug, "path": self.path, "files": self.files, "bytes": self.bytes}


@dataclass(frozen=True)
class LsResult:
    skills: list[SkillRow]
    unmatched: list[str]  # folders whose SKILL.md matches no workspace layout

    def to_json(self) -> dict[str, Any]:
        return {"skills": [r.to_json() for r in self.skills]}


def list_skills(ws: Workspace) -> LsResult:
    """Every skill of ``ws`` with the count and total size of the files it ships."""
    rows: list[SkillRow] = []
    skills = ws.skills()
    ws.skip_broken()
    for skill in skills:
        files = select(ws, skill)
        size = 0
        for f in files:
            try:
                size += os.stat(f.path).st_size  # noqa: PTH116 - one stat per shipped file
            except OSError as exc:  # gone since the walk, or a folder without search permission
                where = printable(f"{skill.rel}/{f.rel}" if skill.rel != "." else f.rel)
                raise LocalError(
                    f"cannot read {where}: {exc.strerror or exc}",
                    hint="fix its permissions, or exclude it in .skillignore",
                ) from None
        rows.append(SkillRow(skill.slug, skill.rel, len(files), size))
    return LsResult(rows, list(ws.unmatched))
