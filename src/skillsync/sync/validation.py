"""The validation step of push: errors block a skill. Adapts to ``skillsync.validate``."""

from __future__ import annotations

from skillsync.workspace import Skill, Workspace


def blocking_findings(ws: Workspace, skill: Skill) -> list[str]:
    """One line per error-severity finding of ``skill`` (empty: the skill may be pushed)."""
    try:
        from skillsync import validate  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return []
    fn = getattr(validate, "validate_skill", None)
    if fn is None:
        return []
    out: list[str] = []
    for f in fn(ws, skill):
        if getattr(f, "severity", None) == "error":
            out.append(str(getattr(f, "message", f)))
    return out
