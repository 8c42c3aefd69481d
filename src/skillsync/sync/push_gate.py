"""The validation step of push: error findings block a skill (warnings do not)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from skillsync.workspace import Workspace

if TYPE_CHECKING:
    from skillsync.manifest import Manifest
    from skillsync.validate import Policy


class PushGate:
    """Validates the skills a push is about to ship, over the manifests it already built.

    The ``[validate]`` policy is built once, on the first skill that needs it (a push with nothing
    to ship never loads the rules).
    """

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self._policy: Policy | None = None

    def blocking_findings(self, manifest: Manifest) -> list[str]:
        """One line (``path:line: rule: message``) per error finding; empty: may be pushed."""
        from skillsync.validate import check_skill, load_policy

        if self._policy is None:
            self._policy = load_policy(self.ws)
        out: list[str] = []
        for f in check_skill(self.ws, manifest.skill, self._policy, manifest=manifest).findings:
            if f.severity == "error":
                where = f"{f.path}:{f.line}" if f.line else f.path
                out.append(f"{where}: {f.rule}: {f.message}")
        return out
