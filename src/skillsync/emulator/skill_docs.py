"""The JSON documents of custom skills and revision summaries, and the skill listing query.

Kept free of FastAPI so the embedded registry's fast path (``lazy_app``) answers the listing of an
unchanged ``status`` or ``push`` with the very code the FastAPI route uses.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from skillsync.emulator.access import member_org

SUMMARY_COLS = (
    "id, skill_id, organization_id, revision_number, status, bundle_sha256, bundle_size_bytes, "
    "file_count, created_by_user_id, created_at, published_at, title, description"
)


def summary(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "organization_custom_skill_id": row["skill_id"],
        "organization_id": row["organization_id"],
        "revision_number": row["revision_number"],
        "status": row["status"],
        "bundle_sha256": row["bundle_sha256"],
        "bundle_size_bytes": row["bundle_size_bytes"],
        "bundle_artifact_key": f"local/{row['bundle_sha256']}.tar.gz",
        "file_count": row["file_count"],
        "created_by_user_id": row["created_by_user_id"],
        "created_at": row["created_at"],
        "published_at": row["published_at"],
        "title": row["title"],
        "description": row["description"],
    }


def revision_row(conn: sqlite3.Connection, rev_id: str | None) -> sqlite3.Row | None:
    if rev_id is None:
        return None
    return conn.execute(f"SELECT {SUMMARY_COLS} FROM revisions WHERE id = ?", (rev_id,)).fetchone()  # type: ignore[no-any-return]


def skill_doc(conn: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    latest = revision_row(conn, row["latest_revision_id"])
    published = revision_row(conn, row["published_revision_id"])
    return {
        "id": row["id"],
        "organization_id": row["organization_id"],
        "slug": row["slug"],
        "display_name": row["display_name"],
        "description": row["description"],
        "status": row["status"],
        "latest_revision_id": row["latest_revision_id"],
        "published_revision_id": row["published_revision_id"],
        "latest_revision": summary(latest) if latest is not None else None,
        "published_revision": summary(published) if published is not None else None,
        "created_by_user_id": row["created_by_user_id"],
        "updated_by_user_id": row["updated_by_user_id"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def list_skills(
    conn: sqlite3.Connection, user_id: str, org_id: str, q: str | None, include_archived: bool
) -> list[dict[str, Any]]:
    """The organization's custom skills by slug (404 when the user cannot see the organization)."""
    member_org(conn, user_id, org_id, allow_default=False)
    sql = "SELECT * FROM skills WHERE organization_id = ?"
    args: list[Any] = [org_id]
    if not include_archived:
        sql += " AND status = 'active'"
    if q:
        sql += " AND (instr(lower(slug), lower(?)) > 0 OR instr(lower(display_name), lower(?)) > 0)"
        args += [q, q]
    rows = conn.execute(sql + " ORDER BY slug", args).fetchall()
    return [skill_doc(conn, r) for r in rows]
