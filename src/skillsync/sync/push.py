"""``push``: plan (validate + classify + decide), then apply concurrently, exactly once per revision.

Exactly once: POSTs are never retried blindly by the client. When a create POST ends without an
answer (dropped connection, timeout, 5xx), we read the remote again and adopt a revision whose
files digest equals ours; only when none exists do we post again (at most :data:`POST_ATTEMPTS`).

Crash safety: before any POST the digest about to be created is written to the state as
``pending`` (one atomic write for the whole plan). A process killed after the server committed
leaves a remote whose latest revision has that digest; the next run adopts it instead of creating a
duplicate or calling it a conflict. State is flushed as skills complete and at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from skillsync.errors import LocalError, SkillsyncError
from skillsync.remote import UNSET, UploadFile
from skillsync.remote.errors import ConflictError, NetworkError, RequestTimeout, ServerError
from skillsync.sync.plan import PushDecision, decide, gate
from skillsync.sync.push_gate import PushGate
from skillsync.sync.remote_view import Session, find_remote, revision_info, revision_info_cached, view_of
from skillsync.sync.skill_meta import MetaCache, SkillMeta, read_meta
from skillsync.sync.state import Base, SyncState
from skillsync.sync.status import SkillStatus, collect_status
from skillsync.workspace import SKILL_FILE, Skill, Workspace

if TYPE_CHECKING:
    from skillsync.manifest import Manifest
    from skillsync.remote.models import OrganizationCustomSkill

POST_ATTEMPTS = 3
AMBIGUOUS = (NetworkError, RequestTimeout, ServerError)  # the server may or may not have committed
FLUSH_SECONDS = 0.5
T = TypeVar("T")


class Refused(SkillsyncError):
    """A skill the push will not touch (stale plan, conflict found at apply time)."""


async def post_once(
    post: Callable[[], Awaitable[T]],
    settled: Callable[[Exception], Awaitable[bool]],
    *,
    unclear: tuple[type[Exception], ...] = AMBIGUOUS,
    attempts: int = POST_ATTEMPTS,
    settle_last: bool = True,
) -> T | None:
    """POST; after an unclear failure, re-read the remote (``settled``) instead of posting blindly.

    ``settled(exc)`` is True when the server did commit (the caller has adopted the result: None is
    returned), False when it did not (post again), or raises. After ``attempts`` posts the last
    failure is raised; ``settle_last=False`` skips the re-read after the last one.
    """
    last: Exception | None = None
    for attempt in range(attempts):
        try:
            return await post()
        except unclear as exc:
            last = exc
            if (settle_last or attempt < attempts - 1) and await settled(exc):
                return None
    assert last is not None
    raise last


@dataclass
class PushItem:
    status: SkillStatus
    decision: PushDecision
    meta: SkillMeta
    meta_changes: dict[str, str | None]
    findings: list[str] = field(default_factory=list)
    # outcome, filled by apply
    # created | revised | raced | adopted | published | updated | skipped | refused | blocked | failed
    result: str | None = None
    message: str = ""
    revision_number: int | None = None
    published: bool = False
    error: SkillsyncError | None = None

    @property
    def slug(self) -> str:
        return self.status.slug

    @property
    def actionable(self) -> bool:
        return self.decision.action in ("create", "revision", "publish", "update")

    def to_json(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "path": self.status.skill.rel,
            "state": self.status.state,
            "action": self.decision.action,
            "reason": self.decision.reason,
            "publish": self.decision.publish,
            "update": sorted(self.meta_changes),
            "local_digest": self.status.local_digest,
            "remote_digest": self.status.remote_digest,
            "findings": self.findings,
            "result": self.result,
            "message": self.message or None,
            "revision": self.revision_number,
            "published": self.published,
        }


@dataclass
class PushPlan:
    items: list[PushItem]

    @property
    def actionable(self) -> list[PushItem]:
        return [i for i in self.items if i.actionable]


def _meta_changes(meta: SkillMeta, status: SkillStatus) -> dict[str, str | None]:
    remote = status.remote
    if remote is None:
        return {}
    changes: dict[str, str | None] = {}
    if meta.display_name != remote.display_name:
        changes["display_name"] = meta.display_name
    if meta.description != remote.description:
        changes["description"] = meta.description
    return changes


async def plan_push(
    session: Session,
    ws: Workspace,
    skills: Sequence[Skill],
    state: SyncState,
    *,
    publish: bool,
    force: bool,
    jobs: int = 8,
    manifests: Sequence[Manifest] | None = None,
) -> PushPlan:
    """Classify every skill (one list request when nothing changed), decide, and validate the
    content about to ship. Each file is read once here: hashing keeps the bytes of small files for
    validation and the SKILL.md meta, then lets them go. ``manifests``: built by the caller for
    ``skills`` with ``keep_contents=True`` (watch), used instead of a second walk."""
    statuses = await collect_status(
        session, ws, skills, state, jobs=jobs, keep_contents=True, manifests=manifests
    )
    gatekeeper = PushGate(ws)
    metas = MetaCache.load(ws.state_dir)
    items: list[PushItem] = []
    for st in statuses:
        contents = st.manifest.contents
        meta = _meta(st, metas)
        changes = _meta_changes(meta, st)
        decision = decide(
            st.state,
            st.remote,
            seen_revision_id=st.entry.seen_revision_id,
            publish=publish,
            force=force,
            meta_changed=bool(changes),
        )
        findings: list[str] = []
        if decision.action in ("create", "revision"):  # only content about to ship is validated
            findings = gatekeeper.blocking_findings(st.manifest)
            decision = gate(decision, findings)
        contents.clear()  # validated: the upload streams the files from disk
        item = PushItem(status=st, decision=decision, meta=meta, meta_changes=changes, findings=findings)
        if decision.action in ("skip", "refuse", "blocked"):
            item.result = {"skip": "skipped", "refuse": "refused", "blocked": "blocked"}[decision.action]
            item.message = decision.reason
        items.append(item)
    metas.save()
    return PushPlan(items)


def _meta(st: SkillStatus, cache: MetaCache) -> SkillMeta:
    """The skill's display name and description: from ``cache`` while SKILL.md's sha256 is the same,
    else read from the bytes hashing kept (or from disk: the stat cache vouched for them) and
    cached. Bytes read here are kept for validation, which then does not read SKILL.md again."""
    sha = next((e.sha256 for e in st.manifest.entries if e.rel == SKILL_FILE), None)
    cached = cache.get(st.slug, sha)
    if cached is not None:
        return cached
    contents = st.manifest.contents
    if SKILL_FILE not in contents:
        with contextlib.suppress(OSError):
            contents[SKILL_FILE] = st.skill.skill_md.read_bytes()
    data = contents.get(SKILL_FILE)
    meta = read_meta(st.skill, data)
    # Cached only for the bytes the manifest hashed (SKILL.md may have changed since).
    if sha is not None and data is not None and hashlib.sha256(data).hexdigest() == sha:
        cache.put(st.slug, sha, meta)
    return meta


def _uploads(status: SkillStatus) -> list[UploadFile]:
    return [UploadFile(relative_path=e.rel, path=e.path) for e in status.manifest.entries]


class _Applier:
    def __init__(self, session: Session, state: SyncState, *, force: bool) -> None:
        self.session = session
        self.state = state
        self.force = force
        self.org = session.org_id
        self.client = session.client

    def _record(self, item: PushItem, skill_id: str, revision_id: str, number: int, digest: str) -> None:
        entry = item.status.entry
        entry.skill_id = skill_id
        entry.base = Base(revision_id=revision_id, number=number, digest=digest)
        entry.seen_revision_id = revision_id
        entry.pending = None
        item.revision_number = number
        if digest != item.status.local_digest:
            item.message = "files changed while pushing; run skillsync status"

    async def run(self, item: PushItem) -> None:
        action = item.decision.action
        if action == "create":
            await self._create(item)
        elif action == "revision":
            await self._revision(item)
        elif action == "publish":
            await self._publish_latest(item)
        elif action == "update":
            await self._update(item)

    async def _adopt_if_equal(self, item: PushItem, skill_id: str, revision_id: str, number: int) -> bool:
        entry = item.status.entry
        info = await revision_info_cached(self.session, entry, skill_id, revision_id)
        if info.digest != item.status.local_digest:
            return False
        self._record(item, skill_id, revision_id, number, info.digest)
        return True

    async def _create(self, item: PushItem) -> None:
        st = item.status
        slug = st.slug

        async def post() -> OrganizationCustomSkill:
            return await self.client.create_custom_skill(
                self.org,
                slug=slug,
                display_name=item.meta.display_name,
                description=item.meta.description,
                files=_uploads(st),
                publish=item.decision.publish,
            )

        async def settled(exc: Exception) -> bool:
            view = await find_remote(self.session, slug)
            if view is None:
                if isinstance(exc, ConflictError):
                    raise exc
                return False  # never committed: post again
            if view.latest_revision_id is None or view.latest_number is None:
                raise exc
            if not await self._adopt_if_equal(item, view.id, view.latest_revision_id, view.latest_number):
                raise Refused(
                    f"{slug}: remote moved since diff: the skill was created on the remote with "
                    "other content; run skillsync diff"
                ) from None
            item.result = "adopted"
            if item.decision.publish and view.publication == "draft":
                await publish_revision_once(self.session, view.id, view.latest_revision_id)
            item.published = item.decision.publish
            return True

        skill = await post_once(post, settled, unclear=(*AMBIGUOUS, ConflictError))
        if skill is None:
            return
        view = view_of(skill)
        assert view.latest_revision_id is not None and view.latest_number is not None
        info = await revision_info_cached(self.session, st.entry, view.id, view.latest_revision_id)
        self._record(item, view.id, view.latest_revision_id, view.latest_number, info.digest)
        item.result = "created"
        item.published = view.publication == "published"

    async def _revision(self, item: PushItem) -> None:
        st = item.status
        remote = st.remote
        assert remote is not None
        baseline = remote.latest_number or 0
        if not self.force:
            fresh = view_of(await self.client.get_custom_skill(self.org, remote.id))
            if fresh.latest_revision_id != remote.latest_revision_id:
                raise Refused(f"{st.slug}: remote moved since diff; run skillsync diff (or push --force)")
            if fresh.status == "archived":
                raise Refused(f"{st.slug}: archived on the remote; run skillsync unarchive first")
        if item.meta_changes:
            await self._patch(item)
        rev = await post_once(
            lambda: self.client.create_revision(
                self.org, remote.id, files=_uploads(st), publish=item.decision.publish
            ),
            lambda _exc: self._reconcile_revision(item, baseline),
        )
        if rev is None:
            return
        info = revision_info(rev)
        st.entry.revisions[rev.id] = info
        self._record(item, remote.id, rev.id, rev.revision_number, info.digest)
        item.result = "revised"
        item.published = rev.status == "published"
        if not self.force and rev.revision_number > baseline + 1:
            self._raced(item, baseline, rev.revision_number)

    def _raced(self, item: PushItem, baseline: int, ours: int) -> None:
        """The API has no compare-and-set: a revision made by someone else landed between our base
        and ours (a concurrent push). Ours is kept, but theirs is now hidden behind it: say so."""
        theirs = baseline + 1 if ours == baseline + 2 else f"{baseline + 1}-{ours - 1}"
        item.result = "raced"
        item.message = (
            f"revision {ours} was created on base {baseline or 'none'}, but revision {theirs} was pushed "
            f"by someone else in between; compare: skillsync diff {item.slug} "
            f"--from-revision {ours - 1} --to-revision {ours}"
        )

    async def _reconcile_revision(self, item: PushItem, baseline: int) -> bool:
        """After an unanswered revision POST: adopt a new revision with our digest, if one exists."""
        st = item.status
        assert st.remote is not None
        skill_id = st.remote.id
        revisions = await self.client.list_revisions(self.org, skill_id)
        for rev in sorted(revisions, key=lambda r: -r.revision_number):
            if rev.revision_number <= baseline:
                continue
            if await self._adopt_if_equal(item, skill_id, rev.id, rev.revision_number):
                item.result = "adopted"
                if item.decision.publish and rev.status == "draft":
                    await publish_revision_once(self.session, skill_id, rev.id)
                item.published = item.decision.publish or rev.status == "published"
                return True
        return False

    async def _publish_latest(self, item: PushItem) -> None:
        remote = item.status.remote
        assert remote is not None and remote.latest_revision_id is not None
        await publish_revision_once(self.session, remote.id, remote.latest_revision_id)
        item.result = "published"
        item.published = True
        item.revision_number = remote.latest_number
        if item.meta_changes:
            await self._patch(item)

    async def _update(self, item: PushItem) -> None:
        await self._patch(item)
        item.result = "updated"

    async def _patch(self, item: PushItem) -> None:
        remote = item.status.remote
        assert remote is not None
        ch = item.meta_changes
        await self.client.update_custom_skill(
            self.org,
            remote.id,
            display_name=ch.get("display_name", UNSET),
            description=ch.get("description", UNSET),
        )


async def publish_revision_once(session: Session, skill_id: str, revision_id: str) -> None:
    """Publish, re-reading the skill after an unanswered POST instead of posting twice."""

    async def settled(_exc: Exception) -> bool:
        skill = await session.client.get_custom_skill(session.org_id, skill_id)
        return skill.published_revision_id == revision_id

    await post_once(
        lambda: session.client.publish_revision(session.org_id, skill_id, revision_id),
        settled,
        attempts=POST_ATTEMPTS + 1,
        settle_last=False,  # the last try's failure is the answer
    )


async def apply_push(
    session: Session,
    plan: PushPlan,
    state: SyncState,
    *,
    jobs: int = 8,
    force: bool = False,
    on_done: Callable[[PushItem], None] | None = None,
) -> None:
    """Carry out ``plan`` with at most ``jobs`` skills in flight. Failures are recorded per item
    (``result`` = failed/refused, ``error``); the caller decides the exit code. The caller holds the
    state lock."""
    todo = plan.actionable
    if not todo:
        return
    for item in todo:
        if item.decision.action in ("create", "revision"):
            item.status.entry.pending = item.status.local_digest
    state.save()  # pending digests on disk before the first POST (crash safety)
    applier = _Applier(session, state, force=force)
    sem = asyncio.Semaphore(max(1, jobs))
    last_flush = time.monotonic()

    async def one(item: PushItem) -> None:
        nonlocal last_flush
        async with sem:
            try:
                await applier.run(item)
            except Refused as exc:
                item.result, item.error, item.message = "refused", exc, exc.message
            except SkillsyncError as exc:
                item.result, item.error, item.message = "failed", exc, str(exc)
            except OSError as exc:
                err = LocalError(f"{item.slug}: {exc}")
                item.result, item.error, item.message = "failed", err, str(err)
        if on_done is not None:
            on_done(item)
        if time.monotonic() - last_flush > FLUSH_SECONDS:
            state.save()
            last_flush = time.monotonic()

    try:
        await asyncio.gather(*(one(i) for i in todo))
    finally:
        state.save()
