"""The validation step of push: error findings block a skill (warnings do not)."""

from __future__ import annotations

from skillsync.workspace import Skill, Workspace


def blocking_findings(ws: Workspace, skill: Skill) -> list[str]:
    """One line (``path:line: rule: message``) per error finding of ``skill``; empty: may be pushed."""
    from skillsync.validate import check_skill

    out: list[str] = []
    for f in check_skill(ws, skill).findings:
        if f.severity == "error":
            where = f"{f.path}:{f.line}" if f.line else f.path
            out.append(f"{where}: {f.rule}: {f.message}")
    return out
