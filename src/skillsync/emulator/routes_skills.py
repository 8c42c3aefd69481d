"""Custom skills and their immutable revisions (the operations the sync engine uses)."""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from skillsync.emulator.db import new_id, now
from skillsync.emulator.deps import Ctx, auth, data, json_body, json_object, member_org
from skillsync.emulator.errors import ApiError, not_found, unprocessable
from skillsync.emulator.files import StoredFile, build_bundle, check_skill_slug, ingest, parse_skill_md
from skillsync.emulator.skill_docs import SUMMARY_COLS, list_skills, skill_doc, summary

router = APIRouter()
Auth = Annotated[Ctx, Depends(auth)]
BASE = "/organizations/{organization_id}/custom-skills"


def full_revision(conn: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    doc = summary(row)
    del doc["file_count"]
    files = conn.execute(
        "SELECT * FROM files WHERE revision_id = ? ORDER BY relative_path", (row["id"],)
    ).fetchall()
    doc.update(
        skill_md=row["skill_md"],
        skill_md_sha256=row["skill_md_sha256"],
        frontmatter=json.loads(row["frontmatter"]),
        manifest=json.loads(row["manifest"]),
        files=[
            {
                "id": f["id"],
                "revision_id": f["revision_id"],
                "relative_path": f["relative_path"],
                "content_type": f["content_type"],
                "size_bytes": f["size_bytes"],
                "sha256": f["sha256"],
                "is_text": bool(f["is_text"]),
                "created_at": f["created_at"],
            }
            for f in files
        ],
    )
    return doc


def _skill(conn: sqlite3.Connection, ctx: Ctx, org_id: str, skill_id: str) -> sqlite3.Row:
    member_org(conn, ctx.user_id, org_id, allow_default=False)
    row = conn.execute(
        "SELECT * FROM skills WHERE id = ? AND organization_id = ?", (skill_id, org_id)
    ).fetchone()
    if row is None:
        raise not_found(f"custom skill {skill_id}")
    return row  # type: ignore[no-any-return]


def _revision(conn: sqlite3.Connection, skill_id: str, rev_id: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM revisions WHERE id = ? AND skill_id = ?", (rev_id, skill_id)).fetchone()
    if row is None:
        raise not_found(f"revision {rev_id}")
    return row  # type: ignore[no-any-return]


# --- revision creation -------------------------------------------------------------------------


def _revision_request(raw: Any, where: str) -> tuple[list[dict[str, Any]], bool]:
    body = raw if isinstance(raw, dict) else None
    if body is None:
        raise unprocessable(f"{where}: expected an object with 'files'")
    if "files" not in body:
        raise unprocessable(f"{where}.files: required")
    publish = body.get("publish", False)
    if not isinstance(publish, bool):
        raise unprocessable(f"{where}.publish: expected a boolean")
    return body["files"], publish


def _insert_revision(
    conn: sqlite3.Connection,
    ctx: Ctx,
    skill: sqlite3.Row,
    files: list[StoredFile],
    skill_md: str,
    bundle: tuple[str, int],
    publish: bool,
) -> str:
    """Insert the next revision of ``skill`` inside the caller's IMMEDIATE transaction."""
    ts = now()
    number = conn.execute(
        "SELECT COALESCE(MAX(revision_number), 0) + 1 FROM revisions WHERE skill_id = ?", (skill["id"],)
    ).fetchone()[0]
    frontmatter, title = parse_skill_md(skill_md)
    desc = frontmatter.get("description")
    manifest = {
        "file_count": len(files),
        "total_size_bytes": sum(f.size_bytes for f in files),
        "files": [
            {"relative_path": f.relative_path, "size_bytes": f.size_bytes, "sha256": f.sha256} for f in files
        ],
    }
    rev_id = new_id()
    conn.execute(
        "INSERT INTO revisions (id, skill_id, organization_id, revision_number, status, skill_md, "
        "skill_md_sha256, frontmatter, manifest, title, description, bundle_sha256, bundle_size_bytes, "
        "file_count, created_by_user_id, created_at, published_at) "
        "VALUES (?, ?, ?, ?, 'draft', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
        (
            rev_id,
            skill["id"],
            skill["organization_id"],
            number,
            skill_md,
            hashlib.sha256(skill_md.encode("utf-8")).hexdigest(),
            json.dumps(frontmatter),
            json.dumps(manifest),
            title,
            desc if isinstance(desc, str) else None,
            bundle[0],
            bundle[1],
            len(files),
            ctx.user_id,
            ts,
        ),
    )
    conn.executemany(
        "INSERT INTO files (id, revision_id, relative_path, content_type, size_bytes, sha256, is_text, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (new_id(), rev_id, f.relative_path, f.content_type, f.size_bytes, f.sha256, int(f.is_text), ts)
            for f in files
        ],
    )
    conn.execute(
        "UPDATE skills SET latest_revision_id = ?, updated_at = ?, updated_by_user_id = ? WHERE id = ?",
        (rev_id, ts, ctx.user_id, skill["id"]),
    )
    if publish:
        _publish(conn, ctx, skill["id"], rev_id)
    return rev_id


def _publish(conn: sqlite3.Connection, ctx: Ctx, skill_id: str, rev_id: str) -> None:
    ts = now()
    conn.execute(
        "UPDATE revisions SET status = 'superseded' WHERE skill_id = ? AND status = 'published' AND id != ?",
        (skill_id, rev_id),
    )
    conn.execute(
        "UPDATE revisions SET status = 'published', published_at = ? WHERE id = ? AND status != 'published'",
        (ts, rev_id),
    )
    conn.execute(
        "UPDATE skills SET published_revision_id = ?, updated_at = ?, updated_by_user_id = ? WHERE id = ?",
        (rev_id, ts, ctx.user_id, skill_id),
    )


def _create_skill(ctx: Ctx, org_id: str, body: dict[str, Any]) -> dict[str, Any]:
    slug = check_skill_slug(body.get("slug"))
    display_name = body.get("display_name")
    if not isinstance(display_name, str):
        raise unprocessable("display_name: required string")
    description = body.get("description")
    if description is not None and not isinstance(description, str):
        raise unprocessable("description: expected a string or null")
    if "initial_revision" not in body:
        raise unprocessable("initial_revision: required")
    raw_files, publish = _revision_request(body["initial_revision"], "initial_revision")
    with ctx.store.read() as conn:
        member_org(conn, ctx.user_id, org_id, allow_default=False)
        _check_free(conn, org_id, slug)
    files, skill_md = ingest(ctx.store, raw_files, ctx.limits)
    bundle = build_bundle(ctx.store, files)
    with ctx.store.write() as conn:
        member_org(conn, ctx.user_id, org_id, allow_default=False)
        _check_free(conn, org_id, slug)
        ts = now()
        skill_id = new_id()
        conn.execute(
            "INSERT INTO skills (id, organization_id, slug, display_name, description, status, "
            "created_by_user_id, updated_by_user_id, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, 'active', ?, ?, ?, ?)",
            (skill_id, org_id, slug, display_name, description, ctx.user_id, ctx.user_id, ts, ts),
        )
        skill = conn.execute("SELECT * FROM skills WHERE id = ?", (skill_id,)).fetchone()
        _insert_revision(conn, ctx, skill, files, skill_md, bundle, publish)
        skill = conn.execute("SELECT * FROM skills WHERE id = ?", (skill_id,)).fetchone()
        return skill_doc(conn, skill)


def _check_free(conn: sqlite3.Connection, org_id: str, slug: str) -> None:
    taken = conn.execute(
        "SELECT id FROM skills WHERE organization_id = ? AND slug = ?", (org_id, slug)
    ).fetchone()
    if taken is not None:
        raise ApiError(409, "conflict", f"a custom skill with slug '{slug}' already exists ({taken['id']})")


def _create_revision(ctx: Ctx, org_id: str, skill_id: str, body: dict[str, Any]) -> dict[str, Any]:
    raw_files, publish = _revision_request(body, "body")
    with ctx.store.read() as conn:
        _skill(conn, ctx, org_id, skill_id)
    files, skill_md = ingest(ctx.store, raw_files, ctx.limits)
    bundle = build_bundle(ctx.store, files)
    with ctx.store.write() as conn:
        skill = _skill(conn, ctx, org_id, skill_id)
        rev_id = _insert_revision(conn, ctx, skill, files, skill_md, bundle, publish)
        return full_revision(conn, _revision(conn, skill_id, rev_id))


# --- routes --------------------------------------------------------------------------------------


@router.get(BASE)
def list_custom_skills(
    ctx: Auth, organization_id: str, q: str | None = None, include_archived: bool = False
) -> dict[str, Any]:
    with ctx.store.read() as conn:
        return data(list_skills(conn, ctx.user_id, organization_id, q, include_archived))


@router.post(BASE)
async def create_custom_skill(request: Request, ctx: Auth, organization_id: str) -> dict[str, Any]:
    body = json_object(await json_body(request))
    return data(await run_in_threadpool(_create_skill, ctx, organization_id, body))


@router.get(BASE + "/{skill_id}")
def get_custom_skill(ctx: Auth, organization_id: str, skill_id: str) -> dict[str, Any]:
    with ctx.store.read() as conn:
        return data(skill_doc(conn, _skill(conn, ctx, organization_id, skill_id)))


def _patch(ctx: Ctx, org_id: str, skill_id: str, body: dict[str, Any]) -> dict[str, Any]:
    sets: dict[str, Any] = {}
    if "description" in body:  # tri-state: omitted = unchanged, null = clear
        if body["description"] is not None and not isinstance(body["description"], str):
            raise unprocessable("description: expected a string or null")
        sets["description"] = body["description"]
    if body.get("display_name") is not None:
        if not isinstance(body["display_name"], str):
            raise unprocessable("display_name: expected a string or null")
        sets["display_name"] = body["display_name"]
    if body.get("status") is not None:
        if body["status"] not in ("active", "archived"):
            raise unprocessable("status: expected 'active' or 'archived'")
        sets["status"] = body["status"]
    with ctx.store.write() as conn:
        _skill(conn, ctx, org_id, skill_id)
        sets.update(updated_at=now(), updated_by_user_id=ctx.user_id)
        assignments = ", ".join(f"{col} = ?" for col in sets)
        conn.execute(f"UPDATE skills SET {assignments} WHERE id = ?", [*sets.values(), skill_id])
        return skill_doc(conn, _skill(conn, ctx, org_id, skill_id))


@router.patch(BASE + "/{skill_id}")
async def update_custom_skill(
    request: Request, ctx: Auth, organization_id: str, skill_id: str
) -> dict[str, Any]:
    body = json_object(await json_body(request))
    return data(await run_in_threadpool(_patch, ctx, organization_id, skill_id, body))


@router.get(BASE + "/{skill_id}/revisions")
def list_custom_skill_revisions(ctx: Auth, organization_id: str, skill_id: str) -> dict[str, Any]:
    """Newest first."""
    with ctx.store.read() as conn:
        _skill(conn, ctx, organization_id, skill_id)
        rows = conn.execute(
            f"SELECT {SUMMARY_COLS} FROM revisions WHERE skill_id = ? ORDER BY revision_number DESC",
            (skill_id,),
        ).fetchall()
        return data([summary(r) for r in rows])


@router.post(BASE + "/{skill_id}/revisions")
async def create_custom_skill_revision(
    request: Request, ctx: Auth, organization_id: str, skill_id: str
) -> dict[str, Any]:
    body = json_object(await json_body(request))
    return data(await run_in_threadpool(_create_revision, ctx, organization_id, skill_id, body))


@router.get(BASE + "/{skill_id}/revisions/{revision_id}")
def get_custom_skill_revision(
    ctx: Auth, organization_id: str, skill_id: str, revision_id: str
) -> dict[str, Any]:
    with ctx.store.read() as conn:
        _skill(conn, ctx, organization_id, skill_id)
        return data(full_revision(conn, _revision(conn, skill_id, revision_id)))


@router.get(BASE + "/{skill_id}/revisions/{revision_id}/bundle")
def download_custom_skill_revision_bundle(
    ctx: Auth, organization_id: str, skill_id: str, revision_id: str
) -> FileResponse:
    with ctx.store.read() as conn:
        skill = _skill(conn, ctx, organization_id, skill_id)
        rev = _revision(conn, skill_id, revision_id)
    name = f"{skill['slug']}-r{rev['revision_number']}.tar.gz"
    return FileResponse(
        ctx.store.blob_path(rev["bundle_sha256"]), media_type="application/gzip", filename=name
    )


@router.get(BASE + "/{skill_id}/revisions/{revision_id}/file")
def get_custom_skill_revision_file(
    ctx: Auth,
    organization_id: str,
    skill_id: str,
    revision_id: str,
    path: Annotated[str, Query()],
) -> dict[str, Any]:
    with ctx.store.read() as conn:
        _skill(conn, ctx, organization_id, skill_id)
        _revision(conn, skill_id, revision_id)
        f = conn.execute(
            "SELECT * FROM files WHERE revision_id = ? AND relative_path = ?", (revision_id, path)
        ).fetchone()
    if f is None:
        raise not_found(f"file {path!r} in revision {revision_id}")
    with ctx.store.open_blob(f["sha256"]) as src:
        content = base64.b64encode(src.read()).decode("ascii")
    return data(
        {
            "revision_id": revision_id,
            "relative_path": f["relative_path"],
            "content_type": f["content_type"],
            "size_bytes": f["size_bytes"],
            "sha256": f["sha256"],
            "is_text": bool(f["is_text"]),
            "content_base64": content,
        }
    )


def _publish_route(ctx: Ctx, org_id: str, skill_id: str, rev_id: str) -> dict[str, Any]:
    with ctx.store.write() as conn:
        _skill(conn, ctx, org_id, skill_id)
        _revision(conn, skill_id, rev_id)
        _publish(conn, ctx, skill_id, rev_id)
        return skill_doc(conn, _skill(conn, ctx, org_id, skill_id))


@router.post(BASE + "/{skill_id}/revisions/{revision_id}/publish")
def publish_custom_skill_revision(
    ctx: Auth, organization_id: str, skill_id: str, revision_id: str
) -> dict[str, Any]:
    return data(_publish_route(ctx, organization_id, skill_id, revision_id))
