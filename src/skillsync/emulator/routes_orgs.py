"""Organizations, members and roles, invites and the private chat policy."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from skillsync.emulator import contract
from skillsync.emulator.db import new_id, now
from skillsync.emulator.deps import Ctx, auth, data, json_body, json_object, member_org, role_of
from skillsync.emulator.errors import ApiError, invalid, not_found

router = APIRouter()
Auth = Annotated[Ctx, Depends(auth)]
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ROLES = ("owner", "admin", "editor", "viewer", "member")
MANAGERS = ("owner", "admin")


def org_doc(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "slug": row["slug"],
        "created_by": row["created_by"],
        "is_personal": bool(row["is_personal"]),
        "stripe_customer_id": row["stripe_customer_id"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "deleted_at": row["deleted_at"],
    }


def member_doc(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "organization_id": row["organization_id"],
        "user_id": row["user_id"],
        "email": row["email"],
        "name": row["name"],
        "role": row["role"],
        "created_at": row["created_at"],
    }


def invite_doc(row: sqlite3.Row) -> dict[str, Any]:
    return {k: row[k] for k in row.keys()}  # noqa: SIM118 - sqlite3.Row is not a mapping


def require_manager(conn: sqlite3.Connection, ctx: Ctx, org_id: str, action: str) -> None:
    if role_of(conn, ctx.user_id, org_id) not in MANAGERS:
        raise ApiError(403, "forbidden", f"only an owner or admin may {action}")


@router.get("/organizations")
def list_organizations(ctx: Auth) -> dict[str, Any]:
    with ctx.store.read() as conn:
        rows = conn.execute(
            "SELECT o.* FROM organizations o JOIN members m ON m.organization_id = o.id "
            "WHERE m.user_id = ? AND o.deleted_at IS NULL ORDER BY o.is_personal DESC, o.created_at, o.slug",
            (ctx.user_id,),
        ).fetchall()
    return data([org_doc(r) for r in rows])


_MEMBERS_SQL = (
    "SELECT m.id, m.organization_id, m.user_id, m.role, m.created_at, u.email, u.name "
    "FROM members m JOIN users u ON u.id = m.user_id WHERE m.organization_id = ?"
)


@router.get("/organizations/{organization_id}/members")
def list_members(ctx: Auth, organization_id: str) -> dict[str, Any]:
    with ctx.store.read() as conn:
        org = member_org(conn, ctx.user_id, organization_id, allow_default=True)
        rows = conn.execute(_MEMBERS_SQL + " ORDER BY m.created_at, u.email", (org["id"],)).fetchall()
    return data([member_doc(r) for r in rows])


def _assign_role(ctx: Ctx, org_id: str, member_id: str, body: dict[str, Any]) -> dict[str, Any]:
    role_name, role_id = body.get("role_name"), body.get("role_id")
    if role_name is None and role_id is None:
        raise invalid("give role_name (owner, admin, editor, viewer, member) or role_id")
    if role_name is not None and (not isinstance(role_name, str) or not role_name.strip()):
        raise invalid("role_name: expected a non-empty string")
    with ctx.store.write() as conn:
        org = member_org(conn, ctx.user_id, org_id, allow_default=True)
        require_manager(conn, ctx, org["id"], "assign roles")
        if role_name is None:
            raise not_found(f"role {role_id}")  # the local registry has no custom role ids
        row = conn.execute(
            "SELECT id FROM members WHERE organization_id = ? AND user_id = ?", (org["id"], member_id)
        ).fetchone()
        if row is None:
            raise not_found(f"member {member_id}")
        conn.execute("UPDATE members SET role = ? WHERE id = ?", (role_name, row["id"]))
        updated = conn.execute(_MEMBERS_SQL + " AND m.id = ?", (org["id"], row["id"])).fetchone()
        return member_doc(updated)


@router.put("/organizations/{organization_id}/members/{member_id}/role")
async def assign_role(request: Request, ctx: Auth, organization_id: str, member_id: str) -> dict[str, Any]:
    body = json_object(await json_body(request))
    return data(await run_in_threadpool(_assign_role, ctx, organization_id, member_id, body))


@router.get("/organizations/{organization_id}/invites")
def list_invites(ctx: Auth, organization_id: str) -> dict[str, Any]:
    with ctx.store.read() as conn:
        org = member_org(conn, ctx.user_id, organization_id, allow_default=True)
        rows = conn.execute(
            "SELECT * FROM invites WHERE organization_id = ? ORDER BY created_at", (org["id"],)
        ).fetchall()
    return data([invite_doc(r) for r in rows])


def _create_invite(ctx: Ctx, org_id: str, body: dict[str, Any]) -> dict[str, Any]:
    email, role = body.get("email"), body.get("role") or "member"
    if not isinstance(email, str) or not EMAIL_RE.match(email):
        raise invalid(f"email: {email!r} is not an email address")
    if role not in ROLES:
        raise invalid(f"role: {role!r} is not one of {', '.join(ROLES)}")
    with ctx.store.write() as conn:
        org = member_org(conn, ctx.user_id, org_id, allow_default=True)
        require_manager(conn, ctx, org["id"], "invite members")
        created = datetime.now(UTC)
        invite_id = new_id()
        conn.execute(
            "INSERT INTO invites (id, organization_id, email, role, invited_by, expires_at, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                invite_id,
                org["id"],
                email,
                role,
                ctx.user_id,
                (created + timedelta(days=7)).isoformat().replace("+00:00", "Z"),
                created.isoformat().replace("+00:00", "Z"),
            ),
        )
        return invite_doc(conn.execute("SELECT * FROM invites WHERE id = ?", (invite_id,)).fetchone())


@router.post("/organizations/{organization_id}/invites", status_code=201)
async def create_invite(request: Request, ctx: Auth, organization_id: str) -> JSONResponse:
    body = json_object(await json_body(request))
    return JSONResponse(data(await run_in_threadpool(_create_invite, ctx, organization_id, body)), 201)


def default_policy(org_id: str) -> dict[str, Any]:
    return {
        "organization_id": org_id,
        "mode": "standard",
        "allow_claude_agent": True,
        "allow_codex_agent": True,
        "allow_seren_agent": True,
        "allow_seren_private_agent": False,
        "allow_cloud_agent_launch": True,
        "disable_external_model_providers": False,
        "disable_local_agents": False,
        "disable_seren_models": False,
        "force_private_model": False,
        "hide_model_picker": False,
        "deployment_id": None,
        "deployment_name": None,
        "model_id": None,
        "fallback_models": None,
        "private_output_policy": "control_plane",
        "session_database": None,
        "updated_at": now(),
    }


def load_policy(conn: sqlite3.Connection, org_id: str) -> dict[str, Any]:
    row = conn.execute("SELECT doc FROM policies WHERE organization_id = ?", (org_id,)).fetchone()
    return default_policy(org_id) if row is None else dict(json.loads(row["doc"]))


@router.get("/organizations/{organization_id}/private-chat-policy")
def get_private_chat_policy(ctx: Auth, organization_id: str) -> dict[str, Any]:
    with ctx.store.read() as conn:
        org = member_org(conn, ctx.user_id, organization_id, allow_default=True)
        return data(load_policy(conn, org["id"]))


def _put_policy(ctx: Ctx, org_id: str, body: dict[str, Any]) -> dict[str, Any]:
    contract.check_request(body, "UpdateOrganizationPrivateChatPolicyRequest")
    with ctx.store.write() as conn:
        org = member_org(conn, ctx.user_id, org_id, allow_default=True)
        require_manager(conn, ctx, org["id"], "change the private chat policy")
        policy = load_policy(conn, org["id"])
        contract.merge(policy, body, "OrganizationPrivateChatPolicy", skip=("organization_id", "updated_at"))
        if body.get("clear_session_database") is True:
            policy["session_database"] = None
        policy["updated_at"] = now()
        conn.execute(
            "INSERT OR REPLACE INTO policies (organization_id, doc) VALUES (?, ?)",
            (org["id"], json.dumps(policy)),
        )
        return policy


@router.put("/organizations/{organization_id}/private-chat-policy")
async def update_private_chat_policy(request: Request, ctx: Auth, organization_id: str) -> dict[str, Any]:
    body = json_object(await json_body(request))
    return data(await run_in_threadpool(_put_policy, ctx, organization_id, body))
