"""Small helpers for the emulator tests: base64 file lists and an authenticated sync client."""

from __future__ import annotations

import base64
from typing import Any

import httpx


def b64(data: bytes | str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.b64encode(raw).decode()


def files(extra: dict[str, bytes | str] | None = None, skill_md: str | None = None) -> list[dict[str, Any]]:
    md = skill_md if skill_md is not None else "---\nname: demo\ndescription: A demo.\n---\n# Demo\n\nBody.\n"
    out = [{"relative_path": "SKILL.md", "content_base64": b64(md)}]
    out += [{"relative_path": p, "content_base64": b64(c)} for p, c in (extra or {}).items()]
    return out


def client(base_url: str, token: str = "t1", transport: httpx.BaseTransport | None = None) -> httpx.Client:
    return httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {token}"}, transport=transport, timeout=60
    )
