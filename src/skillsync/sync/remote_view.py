"""Reading the remote side: the one list call, and revision digests through the state cache."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

from skillsync.digest import tree_digest
from skillsync.errors import UsageError
from skillsync.sync.plan import RemoteView
from skillsync.sync.state import RevisionInfo, SkillState

if TYPE_CHECKING:
    from skillsync.remote.client import SerenClient
    from skillsync.remote.models import (
        OrganizationCustomSkill,
        OrganizationCustomSkillRevision,
        OrganizationCustomSkillRevisionSummary,
    )


class Session(Protocol):
    """What the sync engine needs from ``skillsync.remote.open_remote``."""

    @property
    def name(self) -> str: ...
    @property
    def display(self) -> str: ...
    @property
    def org_id(self) -> str: ...
    @property
    def client(self) -> SerenClient: ...


def view_of(skill: OrganizationCustomSkill) -> RemoteView:
    return view_of_doc(skill.model_dump())


def view_of_doc(doc: dict[str, Any]) -> RemoteView:
    """The view of one skill of a listing as plain JSON (``SerenClient.list_custom_skill_docs``)."""
    latest = doc.get("latest_revision")
    published = doc.get("published_revision")
    return RemoteView(
        id=doc["id"],
        slug=doc["slug"],
        status=doc["status"],
        display_name=doc["display_name"],
        description=doc.get("description"),
        latest_revision_id=doc.get("latest_revision_id"),
        latest_number=latest["revision_number"] if latest is not None else None,
        latest_status=latest["status"] if latest is not None else None,
        published_revision_id=doc.get("published_revision_id"),
        published_number=published["revision_number"] if published is not None else None,
    )


def revision_files(revision: OrganizationCustomSkillRevision) -> dict[str, tuple[int, str]]:
    """``{relative_path: (size, sha256 lowercase hex)}`` from a revision's per-file metadata."""
    return {f.relative_path: (f.size_bytes, f.sha256.lower()) for f in revision.files}


def revision_info(revision: OrganizationCustomSkillRevision) -> RevisionInfo:
    """Digest, size and file count of a revision from its per-file metadata."""
    files = [(f.relative_path, f.size_bytes, f.sha256.lower()) for f in revision.files]
    return RevisionInfo(digest=tree_digest(files), bytes=sum(size for _, size, _ in files), files=len(files))


async def list_remote(session: Session) -> dict[str, RemoteView]:
    """Every skill of the organization, archived ones too, by slug: ONE request."""
    docs = await session.client.list_custom_skill_docs(session.org_id, include_archived=True)
    return {doc["slug"]: view_of_doc(doc) for doc in docs}


async def find_remote(session: Session, slug: str) -> RemoteView | None:
    """One skill by slug (a filtered list call; ``q`` may match more, so match the slug exactly)."""
    docs = await session.client.list_custom_skill_docs(session.org_id, q=slug, include_archived=True)
    for doc in docs:
        if doc["slug"] == slug:
            return view_of_doc(doc)
    return None


async def require_remote(session: Session, slug: str) -> RemoteView:
    view = await find_remote(session, slug)
    if view is None:
        raise UsageError(
            f"no skill '{slug}' on {session.display}",
            hint="check the slug with skillsync status, or push it first",
        )
    return view


async def revision_info_cached(
    session: Session, entry: SkillState, skill_id: str, revision_id: str
) -> RevisionInfo:
    """The digest of a revision: from the state cache, else one ``get_revision`` (then cached)."""
    info = entry.revisions.get(revision_id)
    if info is None:
        revision = await session.client.get_revision(session.org_id, skill_id, revision_id)
        info = revision_info(revision)
        entry.revisions[revision_id] = info
    return info


async def fill_latest(
    session: Session, pairs: Iterable[tuple[SkillState, RemoteView]], *, jobs: int = 8
) -> None:
    """Learn the latest revision's digest of each remote skill whose latest we have not seen yet."""
    sem = asyncio.Semaphore(max(1, jobs))

    async def one(entry: SkillState, view: RemoteView) -> None:
        assert view.latest_revision_id is not None
        async with sem:
            await revision_info_cached(session, entry, view.id, view.latest_revision_id)

    todo = [
        one(entry, view)
        for entry, view in pairs
        if view.latest_revision_id is not None and view.latest_revision_id not in entry.revisions
    ]
    if todo:
        await asyncio.gather(*todo)


async def resolve_revision(
    session: Session, view: RemoteView, spec: str
) -> tuple[str, int, OrganizationCustomSkillRevisionSummary | None]:
    """``latest``, ``published`` or a revision number -> (revision id, number, summary if listed)."""
    if spec == "latest":
        if view.latest_revision_id is None or view.latest_number is None:
            raise UsageError(f"skill '{view.slug}' has no revision")
        return view.latest_revision_id, view.latest_number, None
    if spec == "published":
        if view.published_revision_id is None or view.published_number is None:
            raise UsageError(
                f"skill '{view.slug}' has no published revision", hint="publish one with skillsync publish"
            )
        return view.published_revision_id, view.published_number, None
    try:
        number = int(spec)
    except ValueError:
        raise UsageError(
            f"invalid revision '{spec}'", hint="give a revision number, 'latest' or 'published'"
        ) from None
    for rev in await session.client.list_revisions(session.org_id, view.id):
        if rev.revision_number == number:
            return rev.id, number, rev
    raise UsageError(f"skill '{view.slug}' has no revision {number}", hint=f"see skillsync log {view.slug}")
