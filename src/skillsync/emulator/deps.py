"""Request plumbing shared by the route modules: auth, body parsing, organization access."""

from __future__ import annotations

import json
import math
import re
import sqlite3
import tempfile
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.requests import ClientDisconnect

from skillsync.emulator.access import member_org as member_org  # re-exported for the route modules
from skillsync.emulator.access import token_user
from skillsync.emulator.db import Store
from skillsync.emulator.errors import ApiError, invalid

BODY_SLACK = 1 << 20  # JSON framing around the base64 payloads
SPOOL_BYTES = 1 << 20  # request bodies larger than this are spooled to a temp file as they arrive
MAX_JSON_DEPTH = 64  # arrays/objects nested deeper are refused (the API's documents nest 4 levels)


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
    """The parsed JSON body, streamed to a temp file with the size limit enforced as bytes arrive.

    ``Content-Length`` is only used to refuse early: memory is never reserved from it (ten clients
    announcing 285 MB each and sending one byte must cost nothing). Nesting deeper than
    :data:`MAX_JSON_DEPTH` is refused (the parser's own recursion limit included) as a 400.
    """
    limits: dict[str, int] = request.app.state.limits
    cap = limits["max_total_bytes"] * 4 // 3 + limits["max_files"] * 1024 + BODY_SLACK
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise _too_large(cap)
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, prefix="skillsync-body-") as spool:
        used = 0
        try:
            async for chunk in request.stream():
                used += len(chunk)
                if used > cap:
                    raise _too_large(cap)
                spool.write(chunk)
        except ClientDisconnect:  # gone (or timed out) mid-body: nobody reads the answer
            raise invalid("the client left before sending the whole body", "incomplete_body") from None
        if not used:
            raise invalid("request body is empty: expected a JSON object", "invalid_json")
        spool.seek(0)
        raw = spool.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid("request body is not UTF-8 JSON", "invalid_json") from None
    del raw  # json.loads would otherwise decode a second full copy of the body
    deep = invalid(f"request body nests arrays or objects deeper than {MAX_JSON_DEPTH}", "invalid_json")
    try:
        body = json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
    except RecursionError:
        raise deep from None
    except (json.JSONDecodeError, ValueError) as exc:
        raise invalid(f"request body is not valid JSON: {exc}", "invalid_json") from None
    if _too_deep(body):
        raise deep
    # A "\ud800" escape decodes to a lone surrogate, which SQLite and the response encoder refuse.
    if "\\u" in text and _has_lone_surrogate(body):
        raise invalid("request body holds a lone UTF-16 surrogate (\\ud800-\\udfff)", "invalid_json")
    return body


def _too_large(cap: int) -> ApiError:
    return ApiError(413, "payload_too_large", f"request body exceeds {cap} bytes (the upload limits)")


def _too_deep(value: Any) -> bool:
    """Whether ``value`` nests lists/objects more than MAX_JSON_DEPTH deep (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth >= MAX_JSON_DEPTH:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


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
