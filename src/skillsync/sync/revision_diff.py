"""Orchestration of ``diff``: pick the two sides (local and/or remote revisions) and compare."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass

from skillsync.errors import UsageError
from skillsync.sync.plan import RemoteView
from skillsync.sync.remote_view import (
    Session,
    require_remote,
    resolve_revision,
    revision_files,
    revision_info,
)
from skillsync.sync.state import SkillState, SyncState
from skillsync.sync.status import SkillStatus, collect_status, remember
from skillsync.sync.tree_diff import Side, SkillDiff, diff_sides, local_side
from skillsync.workspace import Skill, Workspace


def _empty_side() -> Side:
    async def load(path: str) -> bytes:  # pragma: no cover - an empty side has no files to load
        raise KeyError(path)

    return Side(label="remote (none)", files={}, load=load)


async def remote_side(session: Session, view: RemoteView, spec: str, entry: SkillState) -> Side:
    """The files of revision ``spec`` of ``view`` (one ``get_revision``); contents fetched lazily."""
    rid, number, _ = await resolve_revision(session, view, spec)
    rev = await session.client.get_revision(session.org_id, view.id, rid)
    entry.revisions[rid] = revision_info(rev)

    async def load(path: str) -> bytes:
        content = await session.client.get_revision_file(session.org_id, view.id, rid, path)
        return base64.b64decode(content.content_base64)

    return Side(
        label=f"revision {number}",
        files=revision_files(rev),
        load=load,
        revision=number,
        revision_id=rid,
        text_hint={f.relative_path: f.is_text for f in rev.files},
    )


@dataclass
class DiffRun:
    diffs: list[SkillDiff]
    statuses: list[SkillStatus]


async def diff_local(
    session: Session,
    ws: Workspace,
    skills: Sequence[Skill],
    state: SyncState,
    *,
    revision: str = "latest",
    patches: bool = True,
    jobs: int = 8,
) -> DiffRun:
    """Each local skill against its remote revision ``revision``. An unchanged skill compared with
    its latest revision costs no request beyond the list. Records ``seen_revision_id``."""
    statuses = await collect_status(session, ws, skills, state, jobs=jobs)
    diffs: list[SkillDiff] = []
    for st in statuses:
        new = local_side(st.manifest)
        if st.remote is None or st.remote.latest_revision_id is None:
            if revision not in ("latest",):
                raise UsageError(f"skill '{st.slug}' is not on {session.display}", hint="push it first")
            old = _empty_side()
        elif revision == "latest" and st.remote_digest == st.local_digest:
            old = Side(
                label=f"revision {st.remote.latest_number}",
                files=dict(new.files),
                load=new.load,
                revision=st.remote.latest_number,
                revision_id=st.remote.latest_revision_id,
            )
        else:
            old = await remote_side(session, st.remote, revision, st.entry)
        diffs.append(await diff_sides(st.slug, st.skill.rel, old, new, patches=patches, jobs=jobs))
    remember(ws, session, statuses, seen=True)
    return DiffRun(diffs, statuses)


async def diff_revisions(
    session: Session, slug: str, state: SyncState, from_spec: str, to_spec: str, *, patches: bool = True
) -> SkillDiff:
    """Two remote revisions of ``slug`` against each other."""
    view = await require_remote(session, slug)
    entry = state.skill(session.name, session.org_id, slug)
    old = await remote_side(session, view, from_spec, entry)
    new = await remote_side(session, view, to_spec, entry)
    return await diff_sides(slug, None, old, new, patches=patches)
