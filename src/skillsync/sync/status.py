"""``status``: the state of every local skill against the remote, in one list request when nothing changed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from skillsync.manifest import Manifest, build_manifests
from skillsync.sync.plan import RemoteView, State, adopt_pending, classify
from skillsync.sync.remote_view import Session, fill_latest, list_remote
from skillsync.sync.state import SkillState, SyncState, merge_learned, update_state
from skillsync.workspace import Skill, Workspace


@dataclass
class SkillStatus:
    manifest: Manifest
    remote: RemoteView | None
    state: State
    remote_digest: str | None
    entry: SkillState

    @property
    def skill(self) -> Skill:
        return self.manifest.skill

    @property
    def slug(self) -> str:
        return self.manifest.skill.slug

    @property
    def local_digest(self) -> str:
        return self.manifest.digest

    def to_json(self) -> dict[str, Any]:
        r = self.remote
        return {
            "slug": self.slug,
            "path": self.skill.rel,
            "state": self.state,
            "local_digest": self.local_digest,
            "remote_digest": self.remote_digest,
            "latest_revision": r.latest_number if r else None,
            "published_revision": r.published_number if r else None,
            "publication": r.publication if r else None,
        }


async def collect_status(
    session: Session,
    ws: Workspace,
    skills: Sequence[Skill],
    state: SyncState,
    *,
    remote: dict[str, RemoteView] | None = None,
    jobs: int = 8,
    keep_contents: bool = False,
    manifests: Sequence[Manifest] | None = None,
) -> list[SkillStatus]:
    """Classify ``skills``. Costs one list request, plus one ``get_revision`` per skill whose latest
    revision this workspace has never seen (then remembered in ``state``). ``keep_contents``: see
    :func:`skillsync.manifest.build_manifests`; ``manifests``: the caller's own, already built for
    ``skills`` (watch builds one per save to validate it), so the skills are not walked again."""
    if manifests is None:
        manifests = build_manifests(ws, skills, keep_contents=keep_contents)
    views = remote if remote is not None else await list_remote(session)
    pairs: list[tuple[Manifest, SkillState, RemoteView | None]] = []
    for m in manifests:
        entry = state.skill(session.name, session.org_id, m.skill.slug)
        view = views.get(m.skill.slug)
        if view is not None:
            entry.skill_id = view.id
        pairs.append((m, entry, view))
    await fill_latest(session, [(e, v) for _, e, v in pairs if v is not None], jobs=jobs)
    out: list[SkillStatus] = []
    for m, entry, view in pairs:
        latest = (
            entry.revisions[view.latest_revision_id].digest
            if view is not None and view.latest_revision_id is not None
            else None
        )
        adopt_pending(entry, view, latest)
        out.append(
            SkillStatus(
                manifest=m,
                remote=view,
                state=classify(m.digest, view, latest, entry),
                remote_digest=latest,
                entry=entry,
            )
        )
    return out


def remember(
    ws: Workspace,
    session: Session,
    statuses: Sequence[SkillStatus],
    *,
    seen: bool,
    loaded: tuple[SyncState, dict[str, Any]] | None = None,
) -> bool:
    """Save what was learned (revision digests, adopted pushes) and, with ``seen``, the revision each
    skill was shown against (the base of the stale-plan guard). Skipped when another process holds
    the lock. ``loaded``: the state the statuses were classified with and its ``to_json()`` at load;
    when nothing was learned or shown anew and the file is still the one read, nothing is done (the
    common unchanged ``status`` takes no lock and reads the file once)."""
    if loaded is not None:
        state, before = loaded
        if seen:
            for st in statuses:
                st.entry.seen_revision_id = st.remote.latest_revision_id if st.remote else None
        if state.to_json() == before and state.unchanged_on_disk():
            return True

    def mutate(disk: SyncState) -> None:
        for st in statuses:
            if seen:
                st.entry.seen_revision_id = st.remote.latest_revision_id if st.remote else None
            target = disk.skill(session.name, session.org_id, st.slug)
            merge_learned(target, st.entry)
            if seen and st.remote is None:
                target.seen_revision_id = None

    return update_state(ws, mutate)
