"""``diff``: files added, removed and modified between a remote revision and the local skill, or
between two remote revisions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from skillsync.commands.events import Events, RemoteOptions
from skillsync.commands.session import open_session, run
from skillsync.errors import UsageError
from skillsync.sync.tree_diff import SkillDiff
from skillsync.workspace import Workspace


@dataclass(frozen=True)
class DiffOptions:
    skills: tuple[str, ...] = ()  # slugs or paths; none: every skill
    revision: str = "latest"  # N | latest | published
    from_revision: str | None = None  # with to_revision: two remote revisions of one skill
    to_revision: str | None = None
    patches: bool = True  # False: sizes and hashes only (no file contents fetched)
    remote: RemoteOptions = field(default_factory=RemoteOptions)

    def check(self) -> None:
        if (self.from_revision is None) != (self.to_revision is None):
            raise UsageError("--from-revision and --to-revision go together")
        if self.from_revision is not None and len(self.skills) != 1:
            raise UsageError("--from-revision/--to-revision need exactly one SKILL")


@dataclass(frozen=True)
class DiffResult:
    remote: str
    organization: str
    skills: list[SkillDiff]

    @property
    def differs(self) -> bool:
        return any(d.files for d in self.skills)

    def to_json(self) -> dict[str, Any]:
        return {
            "remote": self.remote,
            "organization": self.organization,
            "skills": [d.to_json() for d in self.skills],
        }


async def diff_async(ws: Workspace, options: DiffOptions, events: Events | None = None) -> DiffResult:
    from skillsync.sync.lifecycle import slug_of
    from skillsync.sync.revision_diff import diff_local, diff_revisions
    from skillsync.sync.state import SyncState

    options.check()
    async with open_session(ws, options.remote, events or Events()) as session:
        sync_state = SyncState.load(ws)
        if options.from_revision is not None and options.to_revision is not None:
            d = await diff_revisions(
                session,
                slug_of(ws, options.skills[0]),
                sync_state,
                options.from_revision,
                options.to_revision,
                patches=options.patches,
            )
            return DiffResult(session.name, session.org_id, [d])
        done = await diff_local(
            session,
            ws,
            ws.select_skills(options.skills),
            sync_state,
            revision=options.revision,
            patches=options.patches,
        )
        return DiffResult(session.name, session.org_id, done.diffs)


def diff(ws: Workspace, options: DiffOptions, events: Events | None = None) -> DiffResult:
    return run(diff_async(ws, options, events))
