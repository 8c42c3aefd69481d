"""Publishers of an organization: CRUD (soft delete), earnings, payouts, pricing, logo, analytics."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import sqlite3
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from skillsync.emulator import analytics, contract
from skillsync.emulator.db import new_id, now
from skillsync.emulator.deps import Ctx, auth, data, json_body, json_object, member_org, page
from skillsync.emulator.errors import ApiError, invalid, not_found
from skillsync.emulator.routes_orgs import require_manager

router = APIRouter()
Auth = Annotated[Ctx, Depends(auth)]
BASE = "/organizations/{organization_id}/publishers"
ORG_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LOGO_TYPES = ("image/png", "image/jpeg", "image/webp", "image/svg+xml")
MAX_LOGO_BYTES = 2 * 1024 * 1024
DEFAULT_PAGE = 50
MAX_PAGE = 500
# The contract's int64 query parameters: beyond the range is a 422 (SQLite would overflow: a 500).
Int64 = Annotated[int | None, Query(ge=-(2**63), le=2**63 - 1)]

# The asset a fresh registry accepts (USDC on Base); seeds may add more through earnings.
USDC = {
    "id": "00000000-0000-4000-8000-000000000001",
    "symbol": "USDC",
    "name": "USD Coin",
    "decimals": 6,
    "network_id": "base",
    "network_name": "Base",
    "is_native": False,
    "is_stablecoin": True,
    "contract_address": "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913",
}


def slug_problem(slug: Any) -> str | None:
    if not isinstance(slug, str) or not 2 <= len(slug) <= 64 or not ORG_SLUG_RE.match(slug):
        return "2-64 lowercase letters, digits and single hyphens, not starting or ending with '-'"
    return None


def default_publisher(pub_id: str, org_id: str) -> dict[str, Any]:
    ts = now()
    return {
        "id": pub_id,
        "categories": [],
        "capabilities": [],
        "use_cases": [],
        "publisher_type": "organization",
        "billing_model": "x402_per_request",
        "gateway_fee_percent": "0",
        "allowed_passthrough_headers": [],
        "request_content_type": "application/json",
        "upstream_headers": {},
        "ownership_tracking_enabled": False,
        "undocumented_endpoint_policy": "default_allow",
        "is_active": True,
        "is_verified": False,
        "total_queries": 0,
        "unique_agents_served": 0,
        "total_revenue_atomic": 0,
        "requires_user_oauth": False,
        "accepted_assets": [USDC],
        "logo_url": None,
        "description": None,
        "created_at": ts,
        "updated_at": ts,
    }


# database_config may carry connection strings; the response schema says "sensitive fields redacted",
# so the registry never echoes it.
_NEVER_ECHO = ("id", "created_at", "updated_at", "database_config", "pricing", "accepted_assets")


def _publisher_row(conn: sqlite3.Connection, org_id: str, pub_id: str) -> sqlite3.Row:
    row = conn.execute(
        "SELECT * FROM publishers WHERE id = ? AND organization_id = ? AND deleted_at IS NULL",
        (pub_id, org_id),
    ).fetchone()
    if row is None:
        raise not_found(f"publisher {pub_id}")
    return row  # type: ignore[no-any-return]


def publisher_doc(conn: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(row["doc"])
    pricing = conn.execute(
        "SELECT doc FROM pricing WHERE publisher_id = ? ORDER BY asset_id", (row["id"],)
    ).fetchall()
    doc["pricing"] = [json.loads(p["doc"]) for p in pricing] or None
    doc.update(analytics.publisher_totals(conn, row["id"]) or {})
    return doc


def _lookup(ctx: Ctx, conn: sqlite3.Connection, org_id: str, pub_id: str) -> tuple[sqlite3.Row, sqlite3.Row]:
    org = member_org(conn, ctx.user_id, org_id, allow_default=True)
    return org, _publisher_row(conn, org["id"], pub_id)


@router.get(BASE)
def list_org_publishers(ctx: Auth, organization_id: str) -> dict[str, Any]:
    with ctx.store.read() as conn:
        org = member_org(conn, ctx.user_id, organization_id, allow_default=True)
        rows = conn.execute(
            "SELECT * FROM publishers WHERE organization_id = ? AND deleted_at IS NULL ORDER BY slug",
            (org["id"],),
        ).fetchall()
        return data([publisher_doc(conn, r) for r in rows])


def insert_publisher(
    conn: sqlite3.Connection, org_id: str, body: dict[str, Any], pub_id: str | None = None
) -> str:
    """Validate and insert a publisher (also used by seeding); returns its id."""
    contract.check_request(body, "CreatePublisherRequest")
    problem = slug_problem(body["slug"])
    if problem:
        raise invalid(f"slug {body['slug']!r}: {problem}", "invalid_slug")
    taken = conn.execute(
        "SELECT id FROM publishers WHERE slug = ? AND deleted_at IS NULL", (body["slug"],)
    ).fetchone()
    if taken is not None:
        raise ApiError(409, "conflict", f"publisher slug '{body['slug']}' already exists")
    pub_id = pub_id or new_id()
    doc = default_publisher(pub_id, org_id)
    contract.merge(doc, body, "PublisherResponse", skip=_NEVER_ECHO)
    conn.execute(
        "INSERT INTO publishers (id, organization_id, slug, doc, created_at) VALUES (?, ?, ?, ?, ?)",
        (pub_id, org_id, doc["slug"], json.dumps(doc), doc["created_at"]),
    )
    return pub_id


def _create(ctx: Ctx, org_id: str, body: dict[str, Any]) -> dict[str, Any]:
    with ctx.store.write() as conn:
        org = member_org(conn, ctx.user_id, org_id, allow_default=True)
        require_manager(conn, ctx, org["id"], "create publishers")
        pub_id = insert_publisher(conn, org["id"], body)
        return publisher_doc(conn, _publisher_row(conn, org["id"], pub_id))


@router.post(BASE, status_code=201)
async def create_publisher(request: Request, ctx: Auth, organization_id: str) -> JSONResponse:
    body = json_object(await json_body(request))
    return JSONResponse(data(await run_in_threadpool(_create, ctx, organization_id, body)), 201)


@router.get(BASE + "/{publisher_id}")
def get_org_publisher(ctx: Auth, organization_id: str, publisher_id: str) -> dict[str, Any]:
    with ctx.store.read() as conn:
        _, row = _lookup(ctx, conn, organization_id, publisher_id)
        return data(publisher_doc(conn, row))


def _update(ctx: Ctx, org_id: str, pub_id: str, body: dict[str, Any]) -> dict[str, Any]:
    contract.check_request(body, "UpdatePublisherRequest")
    with ctx.store.write() as conn:
        org, row = _lookup(ctx, conn, org_id, pub_id)
        require_manager(conn, ctx, org["id"], "update publishers")
        doc = json.loads(row["doc"])
        changes = {k: v for k, v in body.items() if v is not None}  # null = leave unchanged
        if "slug" in changes and changes["slug"] != doc["slug"]:
            problem = slug_problem(changes["slug"])
            if problem:
                raise invalid(f"slug {changes['slug']!r}: {problem}", "invalid_slug")
            if conn.execute(
                "SELECT 1 FROM publishers WHERE slug = ? AND deleted_at IS NULL", (changes["slug"],)
            ).fetchone():
                raise ApiError(409, "conflict", f"publisher slug '{changes['slug']}' already exists")
        contract.merge(doc, changes, "PublisherResponse", skip=_NEVER_ECHO)
        doc["updated_at"] = now()
        conn.execute(
            "UPDATE publishers SET doc = ?, slug = ? WHERE id = ?", (json.dumps(doc), doc["slug"], pub_id)
        )
        return publisher_doc(conn, _publisher_row(conn, org["id"], pub_id))


@router.put(BASE + "/{publisher_id}")
async def update_publisher(
    request: Request, ctx: Auth, organization_id: str, publisher_id: str
) -> dict[str, Any]:
    body = json_object(await json_body(request))
    return data(await run_in_threadpool(_update, ctx, organization_id, publisher_id, body))


@router.delete(BASE + "/{publisher_id}")
def delete_publisher(ctx: Auth, organization_id: str, publisher_id: str) -> dict[str, Any]:
    with ctx.store.write() as conn:
        org, row = _lookup(ctx, conn, organization_id, publisher_id)
        require_manager(conn, ctx, org["id"], "delete publishers")
        doc = json.loads(row["doc"])
        doc.update(is_active=False, updated_at=now())
        conn.execute(
            "UPDATE publishers SET deleted_at = ?, doc = ? WHERE id = ?",
            (doc["updated_at"], json.dumps(doc), row["id"]),
        )
    return data({"id": publisher_id, "deleted": True})


# --- money ---------------------------------------------------------------------------------------


def _amount(atomic: int, decimals: int) -> float:
    return float(atomic) / float(10**decimals)


def earnings_doc(pub: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    asset = raw["asset"]
    dec = int(asset["decimals"])
    total, withdrawn = int(raw.get("total_revenue_atomic", 0)), int(raw.get("total_withdrawn_atomic", 0))
    pending = int(raw.get("pending_payout_atomic", 0))
    available = max(total - withdrawn - pending, 0)
    return {
        "publisher_id": pub["id"],
        "publisher_name": pub["name"],
        "publisher_slug": pub["slug"],
        "wallet_address": pub["wallet_address"],
        "asset": asset,
        "total_revenue_atomic": total,
        "total_withdrawn_atomic": withdrawn,
        "pending_payout_atomic": pending,
        "available_atomic": available,
        "total_revenue": _amount(total, dec),
        "total_withdrawn": _amount(withdrawn, dec),
        "pending_payout": _amount(pending, dec),
        "available": _amount(available, dec),
        "request_count": int(raw.get("request_count", 0)),
    }


@router.get(BASE + "/{publisher_id}/earnings")
def get_org_publisher_earnings(ctx: Auth, organization_id: str, publisher_id: str) -> dict[str, Any]:
    with ctx.store.read() as conn:
        _, row = _lookup(ctx, conn, organization_id, publisher_id)
        pub = json.loads(row["doc"])
        rows = conn.execute(
            "SELECT doc FROM earnings WHERE publisher_id = ? ORDER BY asset_id", (publisher_id,)
        ).fetchall()
    return data([earnings_doc(pub, json.loads(r["doc"])) for r in rows])


@router.get(BASE + "/{publisher_id}/payouts")
def list_org_publisher_payouts(
    ctx: Auth,
    organization_id: str,
    publisher_id: str,
    limit: Int64 = None,
    offset: Int64 = None,
) -> dict[str, Any]:
    lim = min(max(limit if limit is not None else DEFAULT_PAGE, 1), MAX_PAGE)
    off = max(offset or 0, 0)
    with ctx.store.read() as conn:
        _lookup(ctx, conn, organization_id, publisher_id)
        total = conn.execute(
            "SELECT COUNT(*) FROM payouts WHERE publisher_id = ?", (publisher_id,)
        ).fetchone()[0]
        rows = conn.execute(
            "SELECT doc FROM payouts WHERE publisher_id = ? ORDER BY seq DESC LIMIT ? OFFSET ?",
            (publisher_id, lim, off),
        ).fetchall()
    items = [json.loads(r["doc"]) for r in rows]
    return data(items, page(total, len(items), lim, off))


def _payout(ctx: Ctx, org_id: str, pub_id: str, body: dict[str, Any]) -> dict[str, Any]:
    contract.check_request(body, "CreatePublisherPayoutRequest")
    with ctx.store.write() as conn:
        org, row = _lookup(ctx, conn, org_id, pub_id)
        require_manager(conn, ctx, org["id"], "request payouts")
        pub = json.loads(row["doc"])
        found = conn.execute(
            "SELECT doc FROM earnings WHERE publisher_id = ? AND asset_id = ?", (pub_id, body["asset_id"])
        ).fetchone()
        if found is None:
            raise invalid(f"asset {body['asset_id']} has no earnings for this publisher")
        raw = json.loads(found["doc"])
        available = earnings_doc(pub, raw)["available_atomic"]
        amount = body.get("amount_atomic")
        amount = available if amount is None else amount
        if amount <= 0 or amount > available:
            raise invalid(f"amount_atomic must be within 1..{available} (the available balance)")
        raw["pending_payout_atomic"] = int(raw.get("pending_payout_atomic", 0)) + amount
        conn.execute(
            "UPDATE earnings SET doc = ? WHERE publisher_id = ? AND asset_id = ?",
            (json.dumps(raw), pub_id, body["asset_id"]),
        )
        doc = payout_doc(pub, raw["asset"], amount, body.get("destination_wallet"))
        conn.execute(
            "INSERT INTO payouts (id, publisher_id, doc) VALUES (?, ?, ?)",
            (doc["id"], pub_id, json.dumps(doc)),
        )
        return doc


def payout_doc(
    pub: dict[str, Any], asset: dict[str, Any], amount: int, wallet: str | None, **extra: Any
) -> dict[str, Any]:
    doc = {
        "id": new_id(),
        "publisher_id": pub["id"],
        "asset": asset,
        "amount_atomic": amount,
        "amount": _amount(amount, int(asset["decimals"])),
        "destination_wallet": wallet or pub["wallet_address"],
        "status": "queued",
        "requested_at": now(),
        "tx_hash": None,
        "error_message": None,
    }
    doc.update(extra)
    return doc


@router.post(BASE + "/{publisher_id}/payouts", status_code=201)
async def create_org_publisher_payout(
    request: Request, ctx: Auth, organization_id: str, publisher_id: str
) -> JSONResponse:
    body = json_object(await json_body(request))
    doc = await run_in_threadpool(_payout, ctx, organization_id, publisher_id, body)
    return JSONResponse(data(doc), 201)


def default_pricing(asset_id: str, symbol: str | None) -> dict[str, Any]:
    return {
        "asset_id": asset_id,
        "asset_symbol": symbol,
        "pricing_model": "per_request",
        "base_price_per_1000_rows": "0",
        "markup_multiplier": "1",
        "min_charge": "0",
        "payment_expiry_minutes": 30,
        "prepaid_enabled": False,
        "onchain_enabled": True,
        "minimum_balance": "0",
        "low_balance_threshold": "0",
    }


def _pricing(ctx: Ctx, org_id: str, pub_id: str, body: dict[str, Any]) -> dict[str, Any]:
    contract.check_request(body, "UpdatePricingRequest")
    asset_id = body["asset_id"]
    with ctx.store.write() as conn:
        org, row = _lookup(ctx, conn, org_id, pub_id)
        require_manager(conn, ctx, org["id"], "change pricing")
        pub = json.loads(row["doc"])
        symbol = next((a["symbol"] for a in pub.get("accepted_assets") or [] if a["id"] == asset_id), None)
        found = conn.execute(
            "SELECT doc FROM pricing WHERE publisher_id = ? AND asset_id = ?", (pub_id, asset_id)
        ).fetchone()
        doc = json.loads(found["doc"]) if found else default_pricing(asset_id, symbol)
        contract.merge(
            doc, {k: v for k, v in body.items() if v is not None}, "PricingConfigResponse", skip=("asset_id",)
        )
        conn.execute(
            "INSERT OR REPLACE INTO pricing (publisher_id, asset_id, doc) VALUES (?, ?, ?)",
            (pub_id, asset_id, json.dumps(doc)),
        )
        return doc


@router.put(BASE + "/{publisher_id}/pricing")
async def update_publisher_pricing(
    request: Request, ctx: Auth, organization_id: str, publisher_id: str
) -> dict[str, Any]:
    body = json_object(await json_body(request))
    return data(await run_in_threadpool(_pricing, ctx, organization_id, publisher_id, body))


def _looks_like(content_type: str, blob: bytes) -> bool:
    if content_type == "image/png":
        return blob.startswith(b"\x89PNG\r\n\x1a\n")
    if content_type == "image/jpeg":
        return blob.startswith(b"\xff\xd8\xff")
    if content_type == "image/webp":
        return blob[:4] == b"RIFF" and blob[8:12] == b"WEBP"
    return b"<svg" in blob[:4096]


def _logo(ctx: Ctx, org_id: str, pub_id: str, body: dict[str, Any]) -> dict[str, Any]:
    contract.check_request(body, "LogoUploadRequest")
    ctype = body["content_type"]
    if ctype not in LOGO_TYPES:
        raise invalid(f"content_type must be one of {', '.join(LOGO_TYPES)}", "invalid_image")
    try:
        blob = base64.b64decode(body["logo"], validate=True)
    except (binascii.Error, ValueError):
        raise invalid("logo: not standard padded base64", "invalid_image") from None
    if not blob or len(blob) > MAX_LOGO_BYTES:
        raise invalid(f"logo must be 1..{MAX_LOGO_BYTES} bytes", "invalid_image")
    if not _looks_like(ctype, blob):
        raise invalid(f"logo bytes are not a {ctype} image", "invalid_image")
    digest = hashlib.sha256(blob).hexdigest()
    ctx.store.put_blob(blob, digest)
    url = f"/_emulator/logos/{pub_id}"
    with ctx.store.write() as conn:
        org, row = _lookup(ctx, conn, org_id, pub_id)
        require_manager(conn, ctx, org["id"], "upload logos")
        conn.execute(
            "INSERT OR REPLACE INTO logos (publisher_id, content_type, sha256) VALUES (?, ?, ?)",
            (pub_id, ctype, digest),
        )
        doc = json.loads(row["doc"])
        doc.update(logo_url=url, updated_at=now())
        conn.execute("UPDATE publishers SET doc = ? WHERE id = ?", (json.dumps(doc), pub_id))
    return {"message": "Logo uploaded successfully", "logo_url": url}


@router.post(BASE + "/{publisher_id}/logo")
async def upload_publisher_logo(
    request: Request, ctx: Auth, organization_id: str, publisher_id: str
) -> dict[str, Any]:
    body = json_object(await json_body(request))
    return data(await run_in_threadpool(_logo, ctx, organization_id, publisher_id, body))


@router.get("/_emulator/logos/{publisher_id}", include_in_schema=False)
def get_logo(request: Request, publisher_id: str) -> Response:
    store = request.app.state.store
    with store.read() as conn:
        row = conn.execute("SELECT * FROM logos WHERE publisher_id = ?", (publisher_id,)).fetchone()
    if row is None:
        raise not_found(f"logo of publisher {publisher_id}")
    with store.open_blob(row["sha256"]) as src:
        return Response(src.read(), media_type=row["content_type"])


# --- analytics (derived from the recorded usage: emulator/analytics.py) ------------------------------


@router.get(BASE + "/{publisher_id}/analytics/revenue")
def get_revenue_metrics(
    ctx: Auth, organization_id: str, publisher_id: str, days: int | None = None
) -> dict[str, Any]:
    with ctx.store.read() as conn:
        _lookup(ctx, conn, organization_id, publisher_id)
        return data(analytics.revenue_metrics(conn, publisher_id, days))


@router.get(BASE + "/{publisher_id}/analytics/revenue-by-day")
def get_revenue_by_day(
    ctx: Auth, organization_id: str, publisher_id: str, days: int | None = None
) -> dict[str, Any]:
    with ctx.store.read() as conn:
        _lookup(ctx, conn, organization_id, publisher_id)
        return data(analytics.revenue_by_day(conn, publisher_id, days))


@router.get(BASE + "/{publisher_id}/analytics/top-agents")
def get_top_agents(
    ctx: Auth, organization_id: str, publisher_id: str, limit: int | None = None
) -> dict[str, Any]:
    with ctx.store.read() as conn:
        _lookup(ctx, conn, organization_id, publisher_id)
        return data(analytics.top_agents(conn, publisher_id, limit))
