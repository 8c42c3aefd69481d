"""``pull``: fetch a remote revision of a skill into a folder, every file checked first."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skillsync.commands.events import Events, RemoteOptions
from skillsync.commands.session import open_session, run
from skillsync.sync.pull import PullResult
from skillsync.workspace import Workspace


@dataclass(frozen=True)
class PullOptions:
    directory: Path | None = None  # None: the skill's folder, or a new one the layouts map back
    revision: str | None = None  # N | latest | published; None: latest
    force: bool = False  # overwrite local changes
    remote: RemoteOptions = field(default_factory=RemoteOptions)


@dataclass(frozen=True)
class PullOutcome:
    remote: str
    organization: str
    path: str  # the destination, relative to the workspace root
    pulled: PullResult

    def to_json(self) -> dict[str, Any]:
        res = self.pulled
        return {
            "remote": self.remote,
            "organization": self.organization,
            "slug": res.slug,
            "path": self.path,
            "revision": res.number,
            "revision_id": res.revision_id,
            "digest": res.digest,
            "written": res.written,
            "removed": res.removed,
            "unchanged": res.unchanged,
        }


async def pull_async(
    ws: Workspace, slug: str, options: PullOptions, events: Events | None = None
) -> PullOutcome:
    """Pull ``slug`` (a slug, or a path naming a local skill) under the state lock."""
    from skillsync.sync.lifecycle import slug_of
    from skillsync.sync.pull import pull
    from skillsync.sync.state import SyncState, wait_for_lock

    slug = slug_of(ws, slug)
    ev = events or Events()
    async with open_session(ws, options.remote, ev) as session:
        with wait_for_lock(ws, ev.waiting):
            sync_state = SyncState.load(ws)
            sync_state.save()  # fails (exit 4) now, not after the files were written
            res = await pull(
                session,
                ws,
                slug,
                sync_state,
                dest=options.directory,
                revision=options.revision,
                force=options.force,
            )
            sync_state.save()
    return PullOutcome(session.name, session.org_id, ws.relpath(res.dest), res)


def pull(ws: Workspace, slug: str, options: PullOptions, events: Events | None = None) -> PullOutcome:
    return run(pull_async(ws, slug, options, events))
