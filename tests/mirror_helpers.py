"""A seeded registry for the mirror tests: an organization with publishers, many payouts, usage."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

TOKEN = "seren_local_mirror_owner"
OWNER = "owner@example.com"
Scope = MutableMapping[str, Any]
ASGI = Callable[[Scope, Any, Any], Awaitable[None]]


def wallet(n: int) -> str:
    return f"0x{n:040x}"


def publisher(slug: str, *, payouts: int = 3, usage_days: int = 5) -> dict[str, Any]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return {
        "name": slug.replace("-", " ").title(),
        "slug": slug,
        "wallet_address": wallet(7),
        "wallet_network_id": "base",
        "publisher_category": "database",
        "payouts": [
            {
                "amount_atomic": 1_000 + i,
                "status": "completed" if i % 3 else "queued",
                "requested_at": (start + timedelta(hours=i)).isoformat().replace("+00:00", "Z"),
            }
            for i in range(payouts)
        ],
        "usage": [
            {
                "days_ago": d,
                "agent_wallet": wallet(100 + d % 3),
                "revenue_atomic": 250_000 * (d + 1),
                "query_count": d + 1,
            }
            for d in range(usage_days)
        ],
    }


def seed(*publishers: dict[str, Any]) -> dict[str, Any]:
    return {
        "users": [{"email": OWNER, "name": "Owner", "token": TOKEN}],
        "organizations": [
            {
                "name": "Mirror Org",
                "slug": "mirror-org",
                "owner": OWNER,
                "members": [
                    {"email": "gone@example.com", "role": "viewer"},
                    {"email": "admin@example.com", "role": "admin"},
                ],
                "invites": [{"email": "new@example.com", "role": "member"}],
                "private_chat_policy": {"mode": "standard"},
                "publishers": list(publishers),
            }
        ],
    }


def workspace(root: Path, url: str) -> Path:
    """A workspace whose default remote is the registry at ``url``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "skillsync.toml").write_text(f'[remote]\ndefault = "reg"\n\n[remotes.reg]\nurl = "{url}"\n')
    return root


class Recorder:
    """ASGI middleware that records (method, path) of every request the app receives."""

    def __init__(self, app: ASGI) -> None:
        self.app = app
        self.requests: list[tuple[str, str]] = []

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.requests.append((str(scope["method"]), str(scope["path"])))
        await self.app(scope, receive, send)
