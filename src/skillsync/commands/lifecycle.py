"""``publish``, ``log``, ``archive`` and ``unarchive``: one remote skill at a time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from skillsync.commands.events import Events, RemoteOptions
from skillsync.commands.session import open_session, run
from skillsync.workspace import Workspace


@dataclass(frozen=True)
class PublishResult:
    remote: str
    organization: str
    slug: str
    revision: int
    revision_id: str
    changed: bool  # False: that revision was already the published one

    def to_json(self) -> dict[str, Any]:
        return {
            "remote": self.remote,
            "organization": self.organization,
            "slug": self.slug,
            "revision": self.revision,
            "revision_id": self.revision_id,
            "changed": self.changed,
        }


def publish(
    ws: Workspace, skill: str, revision: str | None, remote: RemoteOptions, events: Events | None = None
) -> PublishResult:
    """Publish ``revision`` (a number; the latest by default) of ``skill``, under the state lock."""
    from skillsync.sync import lifecycle
    from skillsync.sync.state import wait_for_lock

    slug = lifecycle.slug_of(ws, skill)
    ev = events or Events()

    async def go() -> PublishResult:
        async with open_session(ws, remote, ev) as session:
            with wait_for_lock(ws, ev.waiting):
                res = await lifecycle.publish(session, slug, revision)
            return PublishResult(
                session.name, session.org_id, slug, res.number, res.revision_id, not res.already
            )

    return run(go())


@dataclass(frozen=True)
class LogResult:
    slug: str
    revisions: list[dict[str, Any]]  # newest first: id, number, status, digest, files, bytes, dates

    def to_json(self) -> dict[str, Any]:
        return {"slug": self.slug, "revisions": self.revisions}


def log(ws: Workspace, skill: str, remote: RemoteOptions, events: Events | None = None) -> LogResult:
    """The revisions of ``skill``; the digests learned are merged into the saved state."""
    from skillsync.sync import lifecycle
    from skillsync.sync.state import SyncState, merge_learned, update_state

    slug = lifecycle.slug_of(ws, skill)

    async def go() -> LogResult:
        async with open_session(ws, remote, events or Events()) as session:
            sync_state = SyncState.load(ws)
            rows = await lifecycle.log(session, slug, sync_state)
            mem = sync_state.skill(session.name, session.org_id, slug)
            update_state(ws, lambda disk: merge_learned(disk.skill(session.name, session.org_id, slug), mem))
            return LogResult(slug, rows)

    return run(go())


@dataclass(frozen=True)
class StatusChange:
    remote: str
    organization: str
    slug: str
    status: str  # active | archived
    changed: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "remote": self.remote,
            "organization": self.organization,
            "slug": self.slug,
            "status": self.status,
            "changed": self.changed,
        }


def set_status(
    ws: Workspace,
    skill: str,
    status: Literal["active", "archived"],
    remote: RemoteOptions,
    events: Events | None = None,
) -> StatusChange:
    """Archive (``archived``) or unarchive (``active``) ``skill`` on the remote."""
    from skillsync.sync import lifecycle

    slug = lifecycle.slug_of(ws, skill)

    async def go() -> StatusChange:
        async with open_session(ws, remote, events or Events()) as session:
            view, changed = await lifecycle.set_status(session, slug, status)
            return StatusChange(session.name, session.org_id, slug, view.status, changed)

    return run(go())
