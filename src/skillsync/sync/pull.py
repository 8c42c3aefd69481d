"""``pull``: fetch a remote revision into a skill folder, verified file by file.

The bundle is streamed to a temp file (memory stays flat), then unpacked by the one safe reader
with the revision's metadata as the expected file list, so every file's size and sha256 are checked
and nothing is written unless all match. Local edits are never overwritten without ``--force``:
the folder's digest must equal the last revision this workspace synced with (or the pulled one).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from skillsync import skillmd
from skillsync.bundle import UnpackLimits, bundle_bound, safe_unpack
from skillsync.errors import LocalError
from skillsync.manifest import build_manifest
from skillsync.sync.remote_view import (
    Session,
    require_remote,
    resolve_revision,
    revision_files,
    revision_info,
)
from skillsync.sync.state import Base, SkillState, SyncState
from skillsync.workspace import Skill, Workspace, discover, match_layout, render_slug


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


def default_dest(ws: Workspace, slug: str, name: str | None = None) -> Path:
    """Where ``pull`` puts ``slug`` when no DIR is given.

    The skill's own folder when it exists locally. Otherwise a folder named as the revision's
    SKILL.md ``name`` (the spec wants folder and name equal) at a place where this workspace's
    layouts give it exactly ``slug``, so it can be pushed back as the same skill: beside existing
    skills first (``acme/<name>`` in an ``<org>/<skill>`` monorepo), then the folder the slug
    implies, then ``skills/``, then the top. Failing all that, ``skills/<slug>`` if ``skills/``
    exists, else ``./<slug>``.
    """
    skills = ws.skills()
    for skill in skills:
        if skill.slug == slug:
            return skill.path
    taken = {s.rel for s in skills}
    for rel in _dest_candidates(ws, skills, slug, name):
        parts = rel.split("/")
        if any("/".join(parts[:k]) in taken for k in range(1, len(parts))) or "." in taken:
            continue  # inside another skill: it would be a nested skill
        layout = match_layout(rel, ws.config.workspace.layouts)
        explicit = ws.config.workspace.slugs.get(rel)
        rendered = explicit or (render_slug(layout, ws.root, rel) if layout is not None else None)
        if rendered == slug:
            return ws.root / rel
    if (ws.root / "skills").is_dir():
        return ws.root / "skills" / slug
    return ws.root / slug


def _dest_candidates(ws: Workspace, skills: list[Skill], slug: str, name: str | None) -> list[str]:
    out = [rel for rel, s in ws.config.workspace.slugs.items() if s == slug]
    if not name or name in (".", "..") or any(c in name for c in "/\\\0") or not name.isprintable():
        return out
    parents: dict[str, int] = {}
    for skill in skills:
        parent = skill.rel.rpartition("/")[0] if skill.rel != "." else ""
        if parent:
            parents[parent] = parents.get(parent, 0) + 1
    out += [f"{p}/{name}" for p in sorted(parents, key=lambda p: (-parents[p], p))]
    if slug.endswith("-" + name):
        out.append(f"{slug[: -len(name) - 1]}/{name}")
    if (ws.root / "skills").is_dir():
        out.append(f"skills/{name}")
    out.append(name)
    return out


def _skill_name(skill_md: str) -> str | None:
    """The frontmatter ``name`` of a revision's SKILL.md, when it is a string."""
    field = skillmd.parse(skill_md).fields.get("name")
    return field.value if field is not None and isinstance(field.value, str) else None


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
    expected = revision_files(rev)
    target = dest if dest is not None else default_dest(ws, slug, _skill_name(rev.skill_md))
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
        bound = bundle_bound((rel, size) for rel, (size, _) in expected.items())
        await session.client.download_bundle(session.org_id, view.id, rid, fh, max_bytes=bound)
        fh.seek(0)
        # The expected list already bounds every file; the limits only must not refuse a large revision.
        total = sum(size for size, _ in expected.values())
        limits = UnpackLimits(
            max_bytes=max(UnpackLimits.max_bytes, total),
            max_files=max(UnpackLimits.max_files, 2 * len(expected)),
        )
        written = safe_unpack(
            fh, target, force=overwrite, expected=expected, remove=stale, keep_modes=True, limits=limits
        )
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
