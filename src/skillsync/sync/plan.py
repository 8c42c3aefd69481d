"""Pure decisions of the sync engine: the state of a skill, and what a push does about it.

No I/O here, so every rule is unit-tested on plain values (tests/test_sync_plan.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from skillsync.sync.state import Base, SkillState

State = Literal["new", "unchanged", "modified", "remote-ahead", "conflict", "archived"]
Publication = Literal["published", "draft"]
Action = Literal["create", "revision", "publish", "update", "skip", "refuse", "blocked"]

STATES: tuple[State, ...] = ("new", "unchanged", "modified", "remote-ahead", "conflict", "archived")


@dataclass(frozen=True)
class RemoteView:
    """What the one list call tells about a remote skill (no per-file metadata)."""

    id: str
    slug: str
    status: str  # active | archived
    display_name: str
    description: str | None
    latest_revision_id: str | None
    latest_number: int | None
    latest_status: str | None  # draft | published | superseded | archived
    published_revision_id: str | None
    published_number: int | None

    @property
    def publication(self) -> Publication | None:
        if self.latest_revision_id is None:
            return None
        if self.latest_revision_id == self.published_revision_id or self.latest_status == "published":
            return "published"
        return "draft"


def adopt_pending(entry: SkillState, remote: RemoteView | None, latest_digest: str | None) -> bool:
    """A push that died after the server committed left ``pending``: adopt that revision as our base.

    Returns True when the entry changed.
    """
    if entry.pending is None or remote is None or latest_digest is None:
        return False
    if remote.latest_revision_id is None or remote.latest_number is None:
        return False
    if latest_digest != entry.pending:
        return False
    entry.base = Base(
        revision_id=remote.latest_revision_id, number=remote.latest_number, digest=latest_digest
    )
    entry.seen_revision_id = remote.latest_revision_id  # our own push: not a moved plan
    entry.pending = None
    return True


def classify(
    local_digest: str,
    remote: RemoteView | None,
    latest_digest: str | None,
    entry: SkillState | None,
) -> State:
    """The state of one skill.

    ``latest_digest`` is the digest of ``remote``'s latest revision (None when it has none).
    ``entry.base`` is the revision this workspace last synced with. Without a base we cannot tell
    who moved; we then say ``remote-ahead`` only when the local tree equals an older revision we
    know, else ``modified`` (local differs from the latest revision).
    """
    if remote is None:
        return "new"
    if remote.status == "archived":
        return "archived"
    if remote.latest_revision_id is None or latest_digest is None:
        return "modified"
    if local_digest == latest_digest:
        return "unchanged"
    base = entry.base if entry is not None else None
    if base is None:
        if entry is not None and any(
            info.digest == local_digest
            for rid, info in entry.revisions.items()
            if rid != remote.latest_revision_id
        ):
            return "remote-ahead"
        return "modified"
    remote_moved = remote.latest_revision_id != base.revision_id
    local_changed = local_digest != base.digest
    if remote_moved and local_changed:
        return "conflict"
    if remote_moved:
        return "remote-ahead"
    return "modified"


@dataclass(frozen=True)
class PushDecision:
    """What push does with one skill, and why (:func:`decide`)."""

    action: Action
    reason: str
    publish: bool = False  # publish as part of the action (create/revision) or alone


BLOCKED = PushDecision("blocked", "validation errors")


def gate(decision: PushDecision, findings: Sequence[str]) -> PushDecision:
    """``decision`` after validation: content about to ship with error findings is blocked."""
    if findings and decision.action in ("create", "revision"):
        return BLOCKED
    return decision


def decide(
    state: State,
    remote: RemoteView | None,
    *,
    seen_revision_id: str | None,
    publish: bool,
    force: bool,
    meta_changed: bool,
    blocked: bool = False,
) -> PushDecision:
    """What ``push`` does with a skill in ``state``.

    Refusals (exit 1, other skills still pushed): a conflict, a remote that moved past the
    revision the last ``status``/``diff`` showed (stale plan), an archived skill. ``--force``
    lifts the first two. ``remote-ahead`` is skipped (pushing would revert someone's revision)
    unless ``--force``.
    """
    if blocked:
        return BLOCKED
    if state == "archived":
        return PushDecision("refuse", "archived on the remote; run skillsync unarchive first")
    if state == "new":
        return PushDecision("create", "new skill", publish=publish)
    assert remote is not None
    stale = seen_revision_id is not None and seen_revision_id != remote.latest_revision_id
    if state == "unchanged":
        if publish and remote.publication == "draft":
            return PushDecision("publish", f"publish revision {remote.latest_number}", publish=True)
        if meta_changed:
            return PushDecision("update", "display name or description changed")
        return PushDecision("skip", "up to date")
    if not force:
        if state == "conflict":
            return PushDecision(
                "refuse", "conflict: local and remote both changed; run skillsync diff (or push --force)"
            )
        if state == "remote-ahead":
            return PushDecision("skip", "remote is ahead; run skillsync pull (or push --force to overwrite)")
        if stale:
            return PushDecision("refuse", "remote moved since diff; run skillsync diff (or push --force)")
    return PushDecision("revision", "new revision", publish=publish)
