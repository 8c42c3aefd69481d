"""``why``: does a file ship with its skill, and which rule decided."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skillsync.errors import UsageError
from skillsync.selection import Rule, explain
from skillsync.text import printable
from skillsync.workspace import Skill, Workspace


@dataclass(frozen=True)
class WhyResult:
    skill: Skill
    rel: str  # the path inside the skill folder
    shipped: bool
    rule: Rule | None  # the deciding rule; None: no rule matched (files ship by default)

    @property
    def shown(self) -> str:
        """The path as the text output names it (workspace-relative, printable)."""
        return printable(f"{self.skill.rel}/{self.rel}" if self.skill.rel != "." else self.rel)

    def to_json(self) -> dict[str, Any]:
        r = self.rule
        rule = None if r is None else {"source": r.source, "line": r.line, "pattern": r.pattern}
        return {"path": self.rel, "skill": self.skill.slug, "shipped": self.shipped, "rule": rule}


def why(ws: Workspace, path: Path, *, shown: str | None = None) -> WhyResult:
    """Judge ``path`` (absolute, links kept) with the selection rules of the skill holding it.

    ``shown``: how to name the path in the usage error when it is not inside a skill folder.
    """
    found = ws.locate(path)
    if found is None or found[1] == found[0].path:
        raise UsageError(
            f"{printable(shown if shown is not None else str(path))}: not a path inside a skill folder",
            hint="give a file inside a folder that holds SKILL.md; `skillsync ls` lists them",
        )
    skill, target = found
    decision = explain(ws, skill, target.relative_to(skill.path).as_posix())
    return WhyResult(skill, decision.rel, decision.shipped, decision.rule)
