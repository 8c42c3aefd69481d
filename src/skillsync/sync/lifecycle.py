"""``publish``, ``log``, ``archive`` and ``unarchive``: small operations on one remote skill."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from skillsync.errors import UsageError
from skillsync.remote.models import OrganizationCustomSkillStatus
from skillsync.sync.plan import RemoteView
from skillsync.sync.push import publish_revision_once
from skillsync.sync.remote_view import (
    Session,
    require_remote,
    resolve_revision,
    revision_info_cached,
    view_of,
)
from skillsync.sync.state import SyncState
from skillsync.workspace import Workspace, slug_problem


def slug_of(ws: Workspace, arg: str) -> str:
    """SKILL as a slug: a local skill (slug or path), or else a plain slug that may exist only remotely."""
    try:
        return ws.resolve(arg).slug
    except UsageError:
        if slug_problem(arg) is None:
            return arg
        raise


@dataclass
class Published:
    slug: str
    revision_id: str
    number: int
    already: bool


async def publish(session: Session, slug: str, spec: str | None) -> Published:
    """Publish revision ``spec`` (a number, ``latest`` by default) of ``slug``."""
    view = await require_remote(session, slug)
    if view.status == "archived":
        raise UsageError(f"skill '{slug}' is archived", hint=f"run skillsync unarchive {slug} first")
    rid, number, _ = await resolve_revision(session, view, spec or "latest")
    if view.published_revision_id == rid:
        return Published(slug, rid, number, already=True)
    await publish_revision_once(session, view.id, rid)
    return Published(slug, rid, number, already=False)


async def log(session: Session, slug: str, state: SyncState, *, jobs: int = 8) -> list[dict[str, Any]]:
    """Every revision of ``slug``, newest first, with digests (one get per revision never seen)."""
    view = await require_remote(session, slug)
    entry = state.skill(session.name, session.org_id, slug)
    entry.skill_id = view.id
    revisions = await session.client.list_revisions(session.org_id, view.id)
    sem = asyncio.Semaphore(max(1, jobs))

    async def info(rid: str) -> None:
        async with sem:
            await revision_info_cached(session, entry, view.id, rid)

    await asyncio.gather(*(info(r.id) for r in revisions))
    rows = []
    for r in sorted(revisions, key=lambda r: -r.revision_number):
        i = entry.revisions[r.id]
        rows.append(
            {
                "id": r.id,
                "number": r.revision_number,
                "status": r.status,
                "digest": i.digest,
                "files": i.files,
                "bytes": i.bytes,
                "created_at": r.created_at,
                "published_at": r.published_at,
            }
        )
    return rows


async def set_status(
    session: Session, slug: str, status: OrganizationCustomSkillStatus
) -> tuple[RemoteView, bool]:
    """Archive or unarchive ``slug``; returns the skill and whether anything changed."""
    view = await require_remote(session, slug)
    if view.status == status:
        return view, False
    skill = await session.client.update_custom_skill(session.org_id, view.id, status=status)
    return view_of(skill), True
