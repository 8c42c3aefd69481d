"""Users, personal organizations and fixture seeding (docs/registry.md describes the seed format).

A seed is applied once per database (the ``meta`` table remembers it), so restarting a registry
with the same ``--seed`` does not duplicate anything.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import uuid
from pathlib import Path
from typing import Any

from skillsync.emulator.analytics import usage_day, usage_totals
from skillsync.emulator.db import new_id, now, token_digest
from skillsync.emulator.errors import ApiError

# Which earnings total a seeded payout counts towards, when the seed does not give that total.
_PAYOUT_BUCKETS = {
    "completed": "total_withdrawn_atomic",
    "queued": "pending_payout_atomic",
    "processing": "pending_payout_atomic",
}
SEED_NS = uuid.UUID("6f6c8a52-3f51-4c4a-9a53-2f1d3b9e6a10")


class SeedError(ValueError):
    """The seed file is malformed; the message names the entry and the fix."""


def load_seed(seed: Path | str | dict[str, Any]) -> dict[str, Any]:
    if isinstance(seed, dict):
        return seed
    path = Path(seed)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SeedError(f"{path}: cannot read seed file: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise SeedError(f"{path}:{exc.lineno}: seed file is not valid JSON: {exc.msg}") from None
    if not isinstance(doc, dict):
        raise SeedError(f"{path}: a seed file is a JSON object with 'users' and 'organizations'")
    return doc


def ensure_user(
    conn: sqlite3.Connection, email: str, name: str | None = None, token: str | None = None
) -> str:
    """The id of the user with ``token`` (or ``email``), created if missing."""
    if token is not None:
        row = conn.execute("SELECT id FROM users WHERE token_sha256 = ?", (token_digest(token),)).fetchone()
        if row is not None:
            return str(row["id"])
    row = conn.execute("SELECT id, token_sha256 FROM users WHERE email = ?", (email,)).fetchone()
    if row is not None:
        if token is not None and row["token_sha256"] is None:
            conn.execute("UPDATE users SET token_sha256 = ? WHERE id = ?", (token_digest(token), row["id"]))
        return str(row["id"])
    user_id = str(uuid.uuid5(SEED_NS, "user:" + email))
    conn.execute(
        "INSERT INTO users (id, email, name, token_sha256, created_at) VALUES (?, ?, ?, ?, ?)",
        (user_id, email, name, token_digest(token) if token else None, now()),
    )
    return user_id


def ensure_token_user(conn: sqlite3.Connection, token: str) -> str:
    tag = hashlib.sha256(token.encode("utf-8")).hexdigest()[:8]
    return ensure_user(conn, f"local-{tag}@skillsync.local", "Local user", token)


def add_member(conn: sqlite3.Connection, org_id: str, user_id: str, role: str) -> None:
    conn.execute(
        "INSERT OR IGNORE INTO members (id, organization_id, user_id, role, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (new_id(), org_id, user_id, role, now()),
    )


def ensure_personal_orgs(conn: sqlite3.Connection) -> None:
    """Every user with a token owns one personal organization, so pushing needs no seed."""
    users = conn.execute(
        "SELECT u.id, u.name FROM users u WHERE u.token_sha256 IS NOT NULL AND NOT EXISTS ("
        "SELECT 1 FROM organizations o WHERE o.created_by = u.id AND o.is_personal = 1)"
    ).fetchall()
    for user in users:
        # Derived from the user (itself derived from the email, and for token users the token), so a
        # deleted and recreated database gives the same user the same organization id: clients that
        # cached it (.skillsync/org-cache.json) keep working.
        org_id, ts = str(uuid.uuid5(SEED_NS, "personal:" + user["id"])), now()
        conn.execute(
            "INSERT INTO organizations (id, name, slug, created_by, is_personal, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, 1, ?, ?)",
            (
                org_id,
                f"{user['name'] or 'Local user'} (personal)",
                f"personal-{user['id'][:8]}",
                user["id"],
                ts,
                ts,
            ),
        )
        add_member(conn, org_id, user["id"], "owner")


def _need(entry: dict[str, Any], key: str, where: str) -> Any:
    if key not in entry:
        raise SeedError(f"seed {where}: missing '{key}'")
    return entry[key]


def _objects(value: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise SeedError(f"seed {where}: must be a list of objects")
    return value


def check_shape(seed: dict[str, Any]) -> None:
    """Refuse a seed whose lists and objects are the wrong kind, naming the place (never a crash)."""
    _objects(seed.get("users", []), "users")
    for i, org in enumerate(_objects(seed.get("organizations", []), "organizations")):
        where = f"organizations[{i}]"
        for key in ("members", "invites", "publishers"):
            _objects(org.get(key, []), f"{where}.{key}")
        for j, pub in enumerate(org.get("publishers", [])):
            for key in ("earnings", "payouts", "usage", "agents"):
                _objects(pub.get(key, []), f"{where}.publishers[{j}].{key}")
        if not isinstance(org.get("private_chat_policy", {}), dict):
            raise SeedError(f"seed {where}.private_chat_policy: must be an object")


def apply_seed(conn: sqlite3.Connection, seed: dict[str, Any]) -> None:
    """Insert the seed's users, organizations and their members, invites, policy and publishers."""
    from skillsync.emulator.routes_orgs import default_policy  # lazy: seeding is rare, FastAPI is not cheap

    check_shape(seed)
    digest = hashlib.sha256(json.dumps(seed, sort_keys=True).encode()).hexdigest()
    if conn.execute("SELECT 1 FROM meta WHERE key = 'seed_sha256'").fetchone():
        return
    for i, user in enumerate(seed.get("users", [])):
        ensure_user(conn, _need(user, "email", f"users[{i}]"), user.get("name"), user.get("token"))
    for i, org in enumerate(seed.get("organizations", [])):
        where = f"organizations[{i}]"
        owner = ensure_user(conn, _need(org, "owner", where))
        org_id = str(org.get("id") or uuid.uuid5(SEED_NS, "org:" + _need(org, "slug", where)))
        ts = now()
        conn.execute(
            "INSERT INTO organizations (id, name, slug, created_by, is_personal, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                org_id,
                _need(org, "name", where),
                org["slug"],
                owner,
                int(bool(org.get("is_personal"))),
                ts,
                ts,
            ),
        )
        add_member(conn, org_id, owner, "owner")
        for j, m in enumerate(org.get("members", [])):
            user_id = ensure_user(
                conn, _need(m, "email", f"{where}.members[{j}]"), m.get("name"), m.get("token")
            )
            add_member(conn, org_id, user_id, m.get("role", "member"))
        for j, inv in enumerate(org.get("invites", [])):
            conn.execute(
                "INSERT INTO invites (id, organization_id, email, role, invited_by, expires_at, created_at, "
                "accepted_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    new_id(),
                    org_id,
                    _need(inv, "email", f"{where}.invites[{j}]"),
                    inv.get("role", "member"),
                    owner,
                    inv.get("expires_at", "2099-01-01T00:00:00Z"),
                    ts,
                    inv.get("accepted_at"),
                    inv.get("revoked_at"),
                ),
            )
        if "private_chat_policy" in org:
            policy = default_policy(org_id)
            policy.update(org["private_chat_policy"])
            conn.execute(
                "INSERT INTO policies (organization_id, doc) VALUES (?, ?)", (org_id, json.dumps(policy))
            )
        for j, pub in enumerate(org.get("publishers", [])):
            _seed_publisher(conn, org_id, pub, f"{where}.publishers[{j}]")
    conn.execute("INSERT INTO meta (key, value) VALUES ('seed_sha256', ?)", (digest,))


def _seed_publisher(conn: sqlite3.Connection, org_id: str, pub: dict[str, Any], where: str) -> None:
    from skillsync.emulator.routes_publishers import USDC, insert_publisher, payout_doc  # lazy, as above

    body = {k: v for k, v in pub.items() if k not in ("id", "earnings", "payouts", "usage", "agents")}
    pub_id = str(pub.get("id") or uuid.uuid5(SEED_NS, "publisher:" + str(_need(pub, "slug", where))))
    try:
        insert_publisher(conn, org_id, body, pub_id)
    except ApiError as exc:
        raise SeedError(f"seed {where}: {exc.message}") from None
    doc = json.loads(conn.execute("SELECT doc FROM publishers WHERE id = ?", (pub_id,)).fetchone()["doc"])
    assets: dict[str, Any] = {str(USDC["id"]): USDC}
    raw_earnings: dict[str, dict[str, Any]] = {}
    for k, earning in enumerate(pub.get("earnings", [])):
        asset = earning.get("asset", USDC)
        for key in ("id", "symbol", "decimals"):
            _need(asset, key, f"{where}.earnings[{k}].asset")
        assets[asset["id"]] = asset
        raw_earnings[asset["id"]] = {**earning, "asset": asset}
    _seed_usage(conn, pub_id, pub, assets, where)
    doc["accepted_assets"] = list(assets.values())
    conn.execute("UPDATE publishers SET doc = ? WHERE id = ?", (json.dumps(doc), pub_id))
    paid: dict[tuple[str, str], int] = {}
    for k, payout in enumerate(pub.get("payouts", [])):
        asset = assets.get(payout.get("asset_id", USDC["id"]))
        if asset is None:
            raise SeedError(
                f"seed {where}.payouts[{k}]: asset_id is not one of the publisher's earnings assets"
            )
        extra = {
            key: payout[key]
            for key in ("status", "tx_hash", "error_message", "requested_at")
            if key in payout
        }
        pdoc = payout_doc(
            doc, asset, int(_need(payout, "amount_atomic", f"{where}.payouts[{k}]")), None, **extra
        )
        bucket = _PAYOUT_BUCKETS.get(pdoc["status"])
        if bucket is not None:
            slot = (str(asset["id"]), bucket)
            paid[slot] = paid.get(slot, 0) + int(pdoc["amount_atomic"])
        conn.execute(
            "INSERT INTO payouts (id, publisher_id, doc) VALUES (?, ?, ?)",
            (pdoc["id"], pub_id, json.dumps(pdoc)),
        )
    # Totals the seed leaves out are derived: revenue and request count from usage, withdrawn from
    # completed payouts, pending from queued or processing ones.
    for asset_id, (revenue, queries) in usage_totals(conn, pub_id).items():
        raw = raw_earnings.setdefault(asset_id, {"asset": assets[asset_id]})
        raw.setdefault("total_revenue_atomic", revenue)
        raw.setdefault("request_count", queries)
    for (asset_id, bucket), amount in paid.items():
        if asset_id in raw_earnings:
            raw_earnings[asset_id].setdefault(bucket, amount)
    for asset_id, raw in raw_earnings.items():
        conn.execute(
            "INSERT INTO earnings (publisher_id, asset_id, doc) VALUES (?, ?, ?)",
            (pub_id, asset_id, json.dumps(raw)),
        )


def _seed_usage(
    conn: sqlite3.Connection, pub_id: str, pub: dict[str, Any], assets: dict[str, Any], where: str
) -> None:
    """Insert the publisher's recorded usage and agent balances (see emulator/analytics.py)."""
    from skillsync.emulator.routes_publishers import USDC  # lazy, as in apply_seed

    for k, row in enumerate(pub.get("usage", [])):
        at = f"{where}.usage[{k}]"
        asset_id = str(row.get("asset_id", USDC["id"]))
        if asset_id not in assets:
            raise SeedError(f"seed {at}: asset_id is not one of the publisher's earnings assets")
        try:
            day = usage_day(row, at)
        except ValueError as exc:
            raise SeedError(f"seed {exc}") from None
        revenue, queries = row.get("revenue_atomic", 0), row.get("query_count", 1)
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in (revenue, queries)):
            raise SeedError(f"seed {at}: revenue_atomic and query_count must be whole numbers >= 0")
        conn.execute(
            "INSERT INTO usage (publisher_id, asset_id, agent_wallet, day, revenue_atomic, query_count) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (pub_id, asset_id, str(_need(row, "agent_wallet", at)), day, revenue, queries),
        )
    for k, agent in enumerate(pub.get("agents", [])):
        at = f"{where}.agents[{k}]"
        conn.execute(
            "INSERT OR REPLACE INTO agent_balances (publisher_id, agent_wallet, balance_atomic) "
            "VALUES (?, ?, ?)",
            (pub_id, str(_need(agent, "agent_wallet", at)), int(agent.get("balance_atomic", 0))),
        )
