"""Local sync state: ``.skillsync/state.json``.

What we remember per remote + organization + slug, so that a workspace with no changes costs one
HTTP request (the skill list) and so that ``status`` can tell who moved:

- ``base``: the revision this workspace last synced with (pushed, adopted or pulled): id, number
  and digest. "Local changed" means the local digest differs from ``base.digest``; "remote moved"
  means the remote's latest revision is not ``base.id``.
- ``seen_revision_id``: the latest revision ``status``/``diff`` last showed; ``push`` refuses a
  skill whose remote moved past it (stale-plan guard) unless ``--force``.
- ``pending``: the digest of a revision a push is about to create, written *before* the POST. If
  the process dies after the server committed, the next run finds the latest revision's digest
  equal to ``pending`` and adopts it as ours instead of calling it a conflict.
- ``revisions``: revision id -> {digest, bytes, files}. Revisions are immutable, so this cache
  never goes stale; it is what spares a ``get_revision`` per skill on every run.

No key or token is ever stored here. Writes are atomic (temp file + fsync + rename) and made under
the workspace lock (:func:`state_lock`) that push, publish and watch share. A corrupt or foreign
file is treated as empty (it is only a cache plus bases; the worst case is a ``get_revision``
per skill and a ``modified`` where ``remote-ahead`` would have been more precise).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skillsync.atomic import atomic_write_text, file_lock
from skillsync.digest import is_tree_digest
from skillsync.errors import LocalError
from skillsync.workspace import Workspace

STATE_FILE = "state.json"
LOCK_FILE = "lock"
STATE_FORMAT = "skillsync-state"
STATE_VERSION = 1


@contextlib.contextmanager
def state_lock(ws: Workspace, *, wait: bool = True) -> Iterator[None]:
    """The lock shared by push, publish, pull and watch (``.skillsync/lock``)."""
    path = ws.state_dir / LOCK_FILE
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(file_lock(path, wait=wait, what="workspace sync state"))
        except OSError as exc:
            raise StateUnwritable(path, exc) from None
        yield


class StateUnwritable(LocalError):
    """``.skillsync/`` cannot be written (read-only checkout, wrong owner, full disk): exit 4, one line."""

    def __init__(self, path: Path, exc: OSError) -> None:
        super().__init__(
            f"{path}: cannot write the sync state: {exc.strerror or exc}",
            hint=f"make {path.parent} writable by you",
        )


@dataclass
class RevisionInfo:
    """Immutable facts about one remote revision (its files never change)."""

    digest: str
    bytes: int
    files: int

    def to_json(self) -> dict[str, Any]:
        return {"digest": self.digest, "bytes": self.bytes, "files": self.files}

    @classmethod
    def from_json(cls, raw: Any) -> RevisionInfo | None:
        if not isinstance(raw, dict):
            return None
        digest, size, files = raw.get("digest"), raw.get("bytes"), raw.get("files")
        if not (isinstance(digest, str) and is_tree_digest(digest)):
            return None
        if not (isinstance(size, int) and isinstance(files, int)):
            return None
        return cls(digest=digest, bytes=size, files=files)


@dataclass
class Base:
    """The revision a workspace last synced with."""

    revision_id: str
    number: int
    digest: str

    def to_json(self) -> dict[str, Any]:
        return {"revision_id": self.revision_id, "number": self.number, "digest": self.digest}

    @classmethod
    def from_json(cls, raw: Any) -> Base | None:
        if not isinstance(raw, dict):
            return None
        rid, num, digest = raw.get("revision_id"), raw.get("number"), raw.get("digest")
        if (
            isinstance(rid, str)
            and isinstance(num, int)
            and isinstance(digest, str)
            and is_tree_digest(digest)
        ):
            return cls(revision_id=rid, number=num, digest=digest)
        return None


@dataclass
class SkillState:
    skill_id: str | None = None
    base: Base | None = None
    seen_revision_id: str | None = None
    pending: str | None = None  # digest a push was about to create
    revisions: dict[str, RevisionInfo] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.skill_id:
            out["skill_id"] = self.skill_id
        if self.base:
            out["base"] = self.base.to_json()
        if self.seen_revision_id:
            out["seen_revision_id"] = self.seen_revision_id
        if self.pending:
            out["pending"] = self.pending
        if self.revisions:
            out["revisions"] = {rid: info.to_json() for rid, info in sorted(self.revisions.items())}
        return out

    @classmethod
    def from_json(cls, raw: Any) -> SkillState:
        if not isinstance(raw, dict):
            return cls()
        revisions: dict[str, RevisionInfo] = {}
        raw_revs = raw.get("revisions")
        if isinstance(raw_revs, dict):
            for rid, info in raw_revs.items():
                parsed = RevisionInfo.from_json(info)
                if isinstance(rid, str) and parsed is not None:
                    revisions[rid] = parsed
        skill_id = raw.get("skill_id")
        seen = raw.get("seen_revision_id")
        pending = raw.get("pending")
        return cls(
            skill_id=skill_id if isinstance(skill_id, str) else None,
            base=Base.from_json(raw.get("base")),
            seen_revision_id=seen if isinstance(seen, str) else None,
            pending=pending if isinstance(pending, str) and is_tree_digest(pending) else None,
            revisions=revisions,
        )


def scope_key(remote: str, org_id: str) -> str:
    return f"{remote}/{org_id}"


@dataclass
class SyncState:
    """The whole state file: ``{scope: {slug: SkillState}}`` where scope is ``remote/org_id``."""

    path: Path
    scopes: dict[str, dict[str, SkillState]] = field(default_factory=dict)
    # (inode, size, mtime_ns) of the file as it was before :meth:`load` read it; None: no file
    stamp: tuple[int, int, int] | None = field(default=None, compare=False)

    @classmethod
    def load(cls, ws: Workspace) -> SyncState:
        path = ws.state_dir / STATE_FILE
        state = cls(path=path, stamp=_stamp(path))
        try:
            raw = json.loads(path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, ValueError, RecursionError):
            return state
        if not isinstance(raw, dict) or raw.get("format") != STATE_FORMAT:
            return state
        if raw.get("version") != STATE_VERSION:
            return state
        scopes = raw.get("scopes")
        if not isinstance(scopes, dict):
            return state
        for scope, skills in scopes.items():
            if isinstance(scope, str) and isinstance(skills, dict):
                state.scopes[scope] = {
                    slug: SkillState.from_json(entry)
                    for slug, entry in skills.items()
                    if isinstance(slug, str)
                }
        return state

    def unchanged_on_disk(self) -> bool:
        """The file is still the one :meth:`load` read (atomic saves replace it: a new inode)."""
        return self.stamp is not None and _stamp(self.path) == self.stamp

    def skill(self, remote: str, org_id: str, slug: str) -> SkillState:
        """The (mutable) entry for ``slug``; created empty when missing."""
        return self.scopes.setdefault(scope_key(remote, org_id), {}).setdefault(slug, SkillState())

    def peek(self, remote: str, org_id: str, slug: str) -> SkillState | None:
        return self.scopes.get(scope_key(remote, org_id), {}).get(slug)

    def to_json(self) -> dict[str, Any]:
        scopes: dict[str, Any] = {}
        for scope, skills in sorted(self.scopes.items()):
            entries = {slug: s.to_json() for slug, s in sorted(skills.items())}
            entries = {slug: e for slug, e in entries.items() if e}
            if entries:
                scopes[scope] = entries
        return {"format": STATE_FORMAT, "version": STATE_VERSION, "scopes": scopes}

    def save_if_changed(self, before: dict[str, Any]) -> None:
        """Save unless the state still equals ``before`` (its ``to_json()`` at load) and is on disk:
        an unchanged ``status`` or no-op ``push`` then writes (and fsyncs) nothing."""
        if self.to_json() != before or not self.path.exists():
            self.save()

    def save(self) -> None:
        """Write atomically. Callers hold :func:`state_lock` (push, publish, pull) or accept last-writer-wins
        for cache-only updates (status, diff, log)."""
        try:
            atomic_write_text(self.path, json.dumps(self.to_json(), indent=1, sort_keys=False) + "\n")
        except OSError as exc:
            raise StateUnwritable(self.path, exc) from None


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def update_state(ws: Workspace, mutate: Any, *, wait: bool = False) -> bool:
    """Load the state under the lock, apply ``mutate(state)`` and save; False when the lock is busy.

    For cache-only updates of read commands (status, diff, log): a concurrent push keeps the lock
    for its whole run, and then the read command simply skips remembering what it learned.
    """
    try:
        with state_lock(ws, wait=wait):
            state = SyncState.load(ws)
            before = state.to_json()
            mutate(state)
            state.save_if_changed(before)
    except LocalError:
        return False
    return True


def merge_learned(disk: SkillState, mem: SkillState) -> None:
    """Fold what a read command learned (``mem``) into the entry just re-read from disk (``disk``).

    Revision facts are immutable, so they are simply added; ids and ``seen_revision_id`` take the
    newer value; a base moves only forward (higher revision number), and a pending digest is
    cleared once a base with that digest exists.
    """
    for rid, info in mem.revisions.items():
        disk.revisions.setdefault(rid, info)
    if mem.skill_id:
        disk.skill_id = mem.skill_id
    if mem.seen_revision_id:
        disk.seen_revision_id = mem.seen_revision_id
    if mem.base is not None and (disk.base is None or mem.base.number > disk.base.number):
        disk.base = mem.base
    if disk.pending is not None and disk.base is not None and disk.base.digest == disk.pending:
        disk.pending = None


@contextlib.contextmanager
def wait_for_lock(ws: Workspace, notify: Any = None) -> Iterator[None]:
    """Take the state lock; if another process holds it, say so once (``notify(msg)``) and wait."""
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(state_lock(ws, wait=False))
        except StateUnwritable:
            raise
        except LocalError:
            if notify is not None:
                notify("waiting for another skillsync process to release .skillsync/lock ...")
            stack.enter_context(state_lock(ws, wait=True))
        yield
