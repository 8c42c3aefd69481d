"""``status``: how each local skill stands against the remote."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from skillsync.commands.events import Events, RemoteOptions
from skillsync.commands.session import open_session, run
from skillsync.sync.status import SkillStatus
from skillsync.workspace import Skill, Workspace


@dataclass(frozen=True)
class StatusResult:
    remote: str
    organization: str
    skills: list[SkillStatus]

    def to_json(self) -> dict[str, Any]:
        return {
            "remote": self.remote,
            "organization": self.organization,
            "skills": [s.to_json() for s in self.skills],
        }

    @property
    def changed(self) -> bool:
        return any(s.state != "unchanged" for s in self.skills)


async def status_async(
    ws: Workspace, skills: Sequence[Skill], remote: RemoteOptions, events: Events | None = None
) -> StatusResult:
    """Classify ``skills`` and remember what was learned and shown (the stale-plan guard's base)."""
    from skillsync.sync.state import SyncState
    from skillsync.sync.status import collect_status, remember

    async with open_session(ws, remote, events or Events()) as session:
        sync_state = SyncState.load(ws)
        loaded = sync_state.to_json()
        statuses = await collect_status(session, ws, skills, sync_state)
        remember(ws, session, statuses, seen=True, loaded=(sync_state, loaded))
        return StatusResult(session.name, session.org_id, statuses)


def status(
    ws: Workspace, skills: Sequence[Skill], remote: RemoteOptions, events: Events | None = None
) -> StatusResult:
    return run(status_async(ws, skills, remote, events))
