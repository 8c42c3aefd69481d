"""``mirror show KIND``: one table of a snapshot, read offline from the mirror file.

Rows are plain dicts: typed columns as stored (money in atomic units) plus exact decimal strings
for money (``*_amount``). ``columns`` says which keys the text table shows, and in what order.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from skillsync.errors import UsageError
from skillsync.mirror import money
from skillsync.mirror.schema import open_mirror
from skillsync.mirror.snapshots import Snapshot, resolve

Row = dict[str, Any]


@dataclass(frozen=True)
class Kind:
    sql: str  # selects from one snapshot (?) and may filter on o.id (the org filter is appended)
    columns: tuple[str, ...]
    order: str
    extra: Callable[[Row, Snapshot], None] | None = None


def _money(
    *fields: str, decimals: str | None = "decimals", symbol: str | None = "asset_symbol"
) -> Callable[[Row, Snapshot], None]:
    def add(row: Row, _snap: Snapshot) -> None:
        dec = row.get(decimals) if decimals else None
        sym = row.get(symbol) if symbol else None
        for f in fields:
            row[f.removesuffix("_atomic")] = money.display(row.get(f), dec, sym)
            row[f.removesuffix("_atomic") + "_amount"] = money.plain(row.get(f), dec)

    return add


def invite_state(row: Row, at: str) -> str:
    if row.get("accepted_at"):
        return "accepted"
    if row.get("revoked_at"):
        return "revoked"
    if row.get("expires_at") and str(row["expires_at"]) <= at:
        return "expired"
    return "open"


def _invite(row: Row, snap: Snapshot) -> None:
    row["state"] = invite_state(row, snap.started_at)


def _policy(row: Row, _snap: Snapshot) -> None:
    doc = json.loads(row.pop("json"))
    for key in ("private_output_policy", "model_id", "hide_model_picker", "force_private_model"):
        row[key] = doc.get(key)


_ORG_JOIN = "JOIN organizations o ON o.snapshot_id = t.snapshot_id AND o.id = t.organization_id"
_PUB_JOIN = _ORG_JOIN + " JOIN publishers p ON p.snapshot_id = t.snapshot_id AND p.id = t.publisher_id"

KINDS: Final[dict[str, Kind]] = {
    "orgs": Kind(
        "SELECT o.slug, o.name, o.id, o.is_personal, o.created_at FROM organizations o "
        "WHERE o.snapshot_id = ?",
        ("slug", "name", "id", "is_personal"),
        "o.is_personal DESC, o.slug",
    ),
    "members": Kind(
        f"SELECT o.slug AS org, t.email, t.name, t.role, t.user_id, t.created_at FROM members t {_ORG_JOIN} "
        "WHERE t.snapshot_id = ?",
        ("org", "email", "name", "role", "created_at"),
        "o.slug, t.email",
    ),
    "invites": Kind(
        f"SELECT o.slug AS org, t.email, t.role, t.id, t.created_at, t.expires_at, t.accepted_at, "
        f"t.revoked_at FROM invites t {_ORG_JOIN} WHERE t.snapshot_id = ?",
        ("org", "email", "role", "state", "expires_at"),
        "o.slug, t.created_at, t.email",
        _invite,
    ),
    "policy": Kind(
        f"SELECT o.slug AS org, t.mode, t.updated_at, t.json FROM policies t {_ORG_JOIN} "
        "WHERE t.snapshot_id = ?",
        ("org", "mode", "private_output_policy", "model_id", "hide_model_picker", "updated_at"),
        "o.slug",
        _policy,
    ),
    "publishers": Kind(
        f"SELECT o.slug AS org, t.slug, t.name, t.id, t.publisher_category AS category, t.is_active, "
        f"t.is_verified, t.total_queries, t.total_revenue_atomic FROM publishers t {_ORG_JOIN} "
        "WHERE t.snapshot_id = ?",
        ("org", "slug", "name", "category", "is_active", "total_queries", "total_revenue"),
        "o.slug, t.slug",
        _money("total_revenue_atomic", decimals=None, symbol=None),
    ),
    "earnings": Kind(
        f"SELECT o.slug AS org, p.slug AS publisher, t.asset_symbol, t.decimals, t.total_revenue_atomic, "
        f"t.total_withdrawn_atomic, t.pending_payout_atomic, t.available_atomic, t.request_count "
        f"FROM earnings t {_PUB_JOIN} WHERE t.snapshot_id = ?",
        (
            "org",
            "publisher",
            "asset_symbol",
            "total_revenue",
            "total_withdrawn",
            "pending_payout",
            "available",
            "request_count",
        ),
        "o.slug, p.slug, t.asset_symbol",
        _money("total_revenue_atomic", "total_withdrawn_atomic", "pending_payout_atomic", "available_atomic"),
    ),
    "payouts": Kind(
        f"SELECT o.slug AS org, p.slug AS publisher, t.id, t.requested_at, t.status, t.amount_atomic, "
        f"t.asset_symbol, t.decimals, t.tx_hash FROM payouts t {_PUB_JOIN} WHERE t.snapshot_id = ?",
        ("org", "publisher", "requested_at", "status", "amount", "tx_hash"),
        "o.slug, p.slug, t.requested_at DESC, t.id",
        _money("amount_atomic"),
    ),
    "revenue": Kind(
        f"SELECT o.slug AS org, p.slug AS publisher, t.period_start, t.period_end, t.total_revenue_atomic, "
        f"t.total_queries, t.active_agents, t.revenue_change_pct FROM revenue t {_PUB_JOIN} "
        "WHERE t.snapshot_id = ?",
        (
            "org",
            "publisher",
            "period_start",
            "period_end",
            "total_revenue",
            "total_queries",
            "active_agents",
            "revenue_change_pct",
        ),
        "o.slug, p.slug",
        _money("total_revenue_atomic", decimals=None, symbol=None),
    ),
    "skills": Kind(
        f"SELECT o.slug AS org, t.slug, t.display_name, t.id, t.status, t.latest_revision_number AS latest, "
        f"t.published_revision_number AS published, t.updated_at FROM skills t {_ORG_JOIN} "
        "WHERE t.snapshot_id = ?",
        ("org", "slug", "status", "latest", "published", "display_name"),
        "o.slug, t.slug",
    ),
}


@dataclass
class ShowResult:
    kind: str
    snapshot: Snapshot
    columns: tuple[str, ...]
    rows: list[Row]

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "snapshot": self.snapshot.id, "rows": self.rows}


def org_filter(conn: sqlite3.Connection, snapshot_id: int, orgs: tuple[str, ...]) -> list[str]:
    """Organization ids for ``orgs`` (ids or slugs) in the snapshot; unknown ones are a usage error."""
    ids = []
    for spec in orgs:
        row = conn.execute(
            "SELECT id FROM organizations WHERE snapshot_id = ? AND (id = ? OR slug = ?)",
            (snapshot_id, spec, spec),
        ).fetchone()
        if row is None:
            known = [
                r[0]
                for r in conn.execute("SELECT slug FROM organizations WHERE snapshot_id = ?", (snapshot_id,))
            ]
            raise UsageError(
                f"no organization '{spec}' in snapshot {snapshot_id} (there: {', '.join(known) or 'none'})"
            )
        ids.append(str(row[0]))
    return ids


def show(db: Path, kind: str, *, snapshot: str | None = None, orgs: tuple[str, ...] = ()) -> ShowResult:
    spec = KINDS.get(kind)
    if spec is None:
        raise UsageError(f"unknown kind '{kind}'; one of: {', '.join(KINDS)}")
    conn = open_mirror(db, readonly=True)
    try:
        snap = resolve(conn, snapshot)
        sql = spec.sql
        params: list[Any] = [snap.id]
        ids = org_filter(conn, snap.id, orgs)
        if ids:
            sql += f" AND o.id IN ({', '.join('?' * len(ids))})"
            params += ids
        rows = [dict(r) for r in conn.execute(f"{sql} ORDER BY {spec.order}", params)]
    finally:
        conn.close()
    for row in rows:
        if spec.extra is not None:
            spec.extra(row, snap)
        for key in ("is_personal", "is_active", "is_verified"):
            if key in row and row[key] is not None:
                row[key] = bool(row[key])
    return ShowResult(kind, snap, spec.columns, rows)
