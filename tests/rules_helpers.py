"""Run the real validation engine over a real folder (shared by the rule tests)."""

from __future__ import annotations

from pathlib import Path

from skillsync.rules import Finding
from skillsync.validate import check_skills
from skillsync.workspace import open_workspace


def run(root: Path) -> list[Finding]:
    ws = open_workspace(root)
    return [f for r in check_skills(ws, ws.skills()).skills for f in r.findings]


def rules(root: Path, prefix: str = "") -> set[tuple[str, str, int | None]]:
    return {(f.rule, f.path, f.line) for f in run(root) if f.rule.startswith(prefix)}
