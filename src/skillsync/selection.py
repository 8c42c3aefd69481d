"""The one file-selection engine: which files of a skill ship.

INTERFACE STUB (skeleton): the walk below honours only the built-in excludes. The full engine
(.gitignore, .skillignore, default-deny of secrets, symlinks, bad names, `why`) replaces the
internals and keeps this interface.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from skillsync.workspace import PRUNED_DIRS, Skill, Workspace


@dataclass(frozen=True)
class SelectedFile:
    rel: str  # POSIX path relative to the skill folder (what the API calls relative_path)
    path: Path  # absolute path to read (for a symlink inside the skill: the link itself)


@dataclass(frozen=True)
class Rule:
    source: str  # "built-in", a workspace-relative ignore file path, or a config key
    line: int | None
    pattern: str


@dataclass(frozen=True)
class Decision:
    rel: str
    shipped: bool
    rule: Rule | None  # the deciding rule; None when no rule matched (shipped by default)


def select(ws: Workspace, skill: Skill) -> list[SelectedFile]:
    """Every shipped file of ``skill``, sorted by the UTF-8 bytes of ``rel``."""
    out: list[SelectedFile] = []
    for dirpath, dirnames, filenames in os.walk(skill.path):
        dirnames[:] = [d for d in dirnames if d not in PRUNED_DIRS]
        for name in filenames:
            full = Path(dirpath) / name
            rel = full.relative_to(skill.path).as_posix()
            out.append(SelectedFile(rel=rel, path=full))
    out.sort(key=lambda f: f.rel.encode("utf-8"))
    return out


def explain(ws: Workspace, skill: Skill, rel: str) -> Decision:
    """Whether ``rel`` (relative to the skill folder) ships, and the rule that decided it."""
    shipped = any(f.rel == rel for f in select(ws, skill))
    return Decision(rel=rel, shipped=shipped, rule=None)
