"""Who is asking and what they may see: token lookup and organization membership.

Free of FastAPI (unlike ``deps``), so the embedded registry's fast path can use it.
"""

from __future__ import annotations

import sqlite3

from skillsync.emulator.db import Store, token_digest
from skillsync.emulator.errors import ApiError, not_found

DEFAULT_ORG = "default"


def token_user(store: Store, token: str) -> str | None:
    """The id of the user whose API key is ``token``, or None."""
    with store.read() as conn:
        row = conn.execute("SELECT id FROM users WHERE token_sha256 = ?", (token_digest(token),)).fetchone()
    return None if row is None else str(row["id"])


def member_org(conn: sqlite3.Connection, user_id: str, org_id: str, *, allow_default: bool) -> sqlite3.Row:
    """The organization ``org_id`` if the user belongs to it.

    With ``allow_default`` (invites, members, publishers, policy), ``default`` names the user's
    personal organization and a stranger gets 403. Custom-skill paths do not document ``default``,
    so there it and any organization the user cannot see are a 404.
    """
    if allow_default and org_id == DEFAULT_ORG:
        row = conn.execute(
            "SELECT o.* FROM organizations o JOIN members m ON m.organization_id = o.id "
            "WHERE m.user_id = ? AND o.deleted_at IS NULL ORDER BY o.is_personal DESC, o.created_at LIMIT 1",
            (user_id,),
        ).fetchone()
        if row is None:
            raise ApiError(403, "forbidden", "you have no organization")
        return row  # type: ignore[no-any-return]
    row = conn.execute(
        "SELECT o.* FROM organizations o JOIN members m ON m.organization_id = o.id "
        "WHERE o.id = ? AND m.user_id = ? AND o.deleted_at IS NULL",
        (org_id, user_id),
    ).fetchone()
    if row is None:
        if allow_default:
            raise ApiError(403, "forbidden", f"you are not a member of organization {org_id}")
        raise not_found(f"organization {org_id}")
    return row  # type: ignore[no-any-return]
