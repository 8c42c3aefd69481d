"""``pull``: fetch a remote revision into a skill folder, verified file by file.

The bundle is streamed to a temp file (memory stays flat), then unpacked by the one safe reader
with the revision's metadata as the expected file list, so every file's size and sha256 are checked
and nothing is written unless all match. Local edits are never overwritten without ``--force``:
the folder's digest must equal the last revision this workspace synced with (or the pulled one).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from skillsync.bundle import safe_unpack
from skillsync.errors import LocalError
from skillsync.manifest import build_manifest
from skillsync.sync.remote_view import Session, require_remote, resolve_revision, revision_info
from skillsync.sync.state import Base, SkillState, SyncState
from skillsync.workspace import Skill, Workspace, discover


@dataclass
class PullResult:
    slug: str
    dest: Path
    revision_id: str
    number: int
    digest: str
    written: list[str]
    removed: list[str]
    unchanged: bool


def default_dest(ws: Workspace, slug: str) -> Path:
    """The local folder of ``slug``; else ``skills/<slug>`` if ``skills/`` exists; else ``./<slug>``."""
    for skill in ws.skills():
        if skill.slug == slug:
            return skill.path
    if (ws.root / "skills").is_dir():
        return ws.root / "skills" / slug
    return ws.root / slug


def _local_skill_at(ws: Workspace, dest: Path) -> Skill | None:
    for skill in ws.skills():
        if os.path.abspath(skill.path) == os.path.abspath(dest):  # noqa: PTH100
            return skill
    return None


async def pull(
    session: Session,
    ws: Workspace,
    slug: str,
    state: SyncState,
    *,
    dest: Path | None = None,
    revision: str | None = None,
    force: bool = False,
) -> PullResult:
    view = await require_remote(session, slug)
    rid, number, _ = await resolve_revision(session, view, revision or "latest")
    rev = await session.client.get_revision(session.org_id, view.id, rid)
    info = revision_info(rev)
    expected = {f.relative_path: (f.size_bytes, f.sha256.lower()) for f in rev.files}
    target = dest if dest is not None else default_dest(ws, slug)
    entry = state.skill(session.name, session.org_id, slug)
    entry.skill_id = view.id
    entry.revisions[rid] = info

    local = _local_skill_at(ws, target)
    overwrite = force
    stale: list[str] = []
    if local is not None:
        manifest = build_manifest(ws, local)
        if manifest.digest == info.digest:
            _record(ws, entry, local.slug == slug, rid, number, info.digest, view.latest_revision_id)
            return PullResult(slug, target, rid, number, info.digest, [], [], unchanged=True)
        base = entry.base if local.slug == slug else None
        if not force and (base is None or manifest.digest != base.digest):
            raise LocalError(
                f"{ws.relpath(target)}: local changes would be overwritten by revision {number}",
                hint="push them first, look with skillsync diff, or pull --force",
            )
        overwrite = True
        stale = [e.rel for e in manifest.entries if e.rel not in expected]

    with tempfile.TemporaryFile(prefix="skillsync-pull-") as fh:
        await session.client.download_bundle(session.org_id, view.id, rid, fh)
        fh.seek(0)
        written = safe_unpack(fh, target, force=overwrite, expected=expected)
    for rel in stale:
        with contextlib.suppress(FileNotFoundError):
            (target / rel).unlink()
    skills, _ = discover(ws.root, ws.config)
    is_ours = any(s.slug == slug and os.path.abspath(s.path) == os.path.abspath(target) for s in skills)  # noqa: PTH100
    _record(ws, entry, is_ours, rid, number, info.digest, view.latest_revision_id)
    return PullResult(slug, target, rid, number, info.digest, written, stale, unchanged=False)


def _record(
    ws: Workspace, entry: SkillState, is_ours: bool, rid: str, number: int, digest: str, latest: str | None
) -> None:
    if is_ours:
        entry.base = Base(revision_id=rid, number=number, digest=digest)
        entry.seen_revision_id = latest
        entry.pending = None
