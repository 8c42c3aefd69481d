"""Request plumbing shared by the route modules: auth, body parsing, organization access."""

from __future__ import annotations

import json
import math
import re
import sqlite3
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from skillsync.emulator.access import member_org as member_org  # re-exported for the route modules
from skillsync.emulator.access import token_user
from skillsync.emulator.db import Store
from skillsync.emulator.errors import ApiError, invalid

BODY_SLACK = 1 << 20  # JSON framing around the base64 payloads


@dataclass
class Ctx:
    store: Store
    user_id: str
    limits: dict[str, int]


def auth(request: Request) -> Ctx:
    """Resolve ``Authorization: Bearer <token>`` to a user, or answer 401."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "unauthorized", "missing bearer token: send 'Authorization: Bearer <key>'")
    store: Store = request.app.state.store
    user_id = token_user(store, token)
    if user_id is None:
        raise ApiError(401, "unauthorized", "invalid API key")
    return Ctx(store=store, user_id=user_id, limits=request.app.state.limits)


async def json_body(request: Request) -> Any:
    """The parsed JSON body, read without keeping a second copy on the request object."""
    limits: dict[str, int] = request.app.state.limits
    cap = limits["max_total_bytes"] * 4 // 3 + limits["max_files"] * 1024 + BODY_SLACK
    declared = request.headers.get("content-length", "")
    size = int(declared) if declared.isdigit() else 0
    if size > cap:
        raise ApiError(413, "payload_too_large", f"request body exceeds {cap} bytes (the upload limits)")
    buf = bytearray(size)  # sized up front: growing a bytearray copies it each time it moves
    used = 0
    async for chunk in request.stream():
        end = used + len(chunk)
        if end > cap:
            raise ApiError(413, "payload_too_large", f"request body exceeds {cap} bytes (the upload limits)")
        buf[used:end] = chunk
        used = end
    del buf[used:]
    if not buf:
        raise invalid("request body is empty: expected a JSON object", "invalid_json")
    try:
        text = buf.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid("request body is not UTF-8 JSON", "invalid_json") from None
    del buf  # json.loads would otherwise decode a second full copy of the body
    try:
        body = json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
    except (json.JSONDecodeError, ValueError) as exc:
        raise invalid(f"request body is not valid JSON: {exc}", "invalid_json") from None
    # A "\ud800" escape decodes to a lone surrogate, which SQLite and the response encoder refuse.
    if "\\u" in text and _has_lone_surrogate(body):
        raise invalid("request body holds a lone UTF-16 surrogate (\\ud800-\\udfff)", "invalid_json")
    return body


_SURROGATE = re.compile("[\ud800-\udfff]")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range for a JSON number")
    return value


def _has_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def json_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(422, "validation_error", "request body must be a JSON object")
    return body


def data(payload: Any, pagination: dict[str, Any] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"data": payload}
    if pagination is not None:
        doc["pagination"] = pagination
    return doc


def page(total: int, count: int, limit: int, offset: int) -> dict[str, Any]:
    return {
        "total": total,
        "count": count,
        "limit": limit,
        "offset": offset,
        "has_more": offset + count < total,
    }


def role_of(conn: sqlite3.Connection, user_id: str, org_id: str) -> str | None:
    row = conn.execute(
        "SELECT role FROM members WHERE organization_id = ? AND user_id = ?", (org_id, user_id)
    ).fetchone()
    return None if row is None else str(row["role"])
