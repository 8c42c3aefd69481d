"""Fault injection per route: latency, error statuses (429 with Retry-After), dropped connections.

A fault matches ``"METHOD /path/template"`` where ``{param}`` and ``*`` match one path segment.
The middleware reads ``app.state.faults`` on every request, so tests may replace the list at runtime
(in process, or over HTTP with ``PUT /_emulator/faults``).
"""

from __future__ import annotations

import contextlib
import json
import random
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

import anyio

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

Mode = Literal["error", "latency", "drop", "commit_then_drop"]
MODES: tuple[str, ...] = ("error", "latency", "drop", "commit_then_drop")
ADMIN_PREFIX = "/_emulator"


@dataclass
class Fault:
    """One injected fault.

    ``error_rate`` is the chance that a matching request is hit; 0 (the default) and 1 both mean every
    matching request. ``times`` caps how many requests it hits (None = no cap); it counts down as the
    fault fires. ``latency_ms`` is added before any mode acts ("latency" mode only delays).
    """

    route: str
    latency_ms: int = 0
    error_rate: float = 0.0
    status: int = 503
    retry_after: float | None = None
    mode: Mode = "error"
    times: int | None = None

    def __post_init__(self) -> None:
        parts = self.route.split(None, 1)
        if len(parts) != 2 or not parts[1].startswith("/"):
            raise ValueError(f"fault route must look like 'GET /organizations', got {self.route!r}")
        if self.mode not in MODES:
            raise ValueError(f"fault mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        if not 0.0 <= self.error_rate <= 1.0:
            raise ValueError(f"fault error_rate must be within 0..1, got {self.error_rate}")
        if not 100 <= self.status <= 599:
            raise ValueError(f"fault status must be an HTTP status, got {self.status}")

    def matches(self, method: str, path: str) -> bool:
        want_method, template = self.route.split(None, 1)
        if want_method.upper() not in (method.upper(), "*"):
            return False
        want = template.strip("/").split("/")
        got = path.strip("/").split("/")
        if len(want) != len(got):
            return False
        for w, g in zip(want, got, strict=True):
            if w == "*" or (w.startswith("{") and w.endswith("}")):
                if not g:
                    return False
            elif w != g:
                return False
        return True

    @classmethod
    def from_dict(cls, raw: Any) -> Fault:
        if not isinstance(raw, dict):
            raise ValueError("each fault must be a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ValueError(f"unknown fault field(s): {', '.join(unknown)}")
        if "route" not in raw:
            raise ValueError("fault needs a 'route' like 'GET /organizations'")
        for name, kinds in _FIELD_TYPES.items():
            value = raw.get(name)
            if name in raw and (isinstance(value, bool) or not isinstance(value, kinds)):
                raise ValueError(f"fault {name} has the wrong type: {value!r}")
        for name in ("latency_ms", "retry_after", "times"):
            if (raw.get(name) or 0) < 0:
                raise ValueError(f"fault {name} must not be negative, got {raw[name]!r}")
        return cls(**raw)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# JSON types each field accepts from the admin route (bool is refused apart: it is an int in Python).
_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "route": (str,),
    "latency_ms": (int,),
    "error_rate": (int, float),
    "status": (int,),
    "retry_after": (int, float, type(None)),
    "mode": (str,),
    "times": (int, type(None)),
}

_LOCK = threading.Lock()


def _claim(faults: list[Fault], method: str, path: str) -> Fault | None:
    """The first matching fault that fires for this request, counting it down."""
    with _LOCK:
        for fault in faults:
            if not fault.matches(method, path):
                continue
            if fault.times is not None and fault.times <= 0:
                continue
            if 0.0 < fault.error_rate < 1.0 and random.random() >= fault.error_rate:
                continue
            if fault.times is not None:
                fault.times -= 1
            return fault
    return None


async def _drop(send: Send) -> None:
    """Close the connection without a response.

    An invalid header name makes the server fail inside ``send`` *after* marking the response as
    started and before writing a byte; raising then makes uvicorn close the transport (h11 and
    httptools alike). In process (httpx.ASGITransport) the ConnectionResetError reaches the client.
    """
    with contextlib.suppress(Exception):
        await send({"type": "http.response.start", "status": 500, "headers": [(b"x dropped", b"1")]})
    raise ConnectionResetError("skillsync emulator: injected dropped connection")


async def _send_error(send: Send, fault: Fault) -> None:
    body = json.dumps(
        {"error": "injected_fault", "message": f"injected fault: HTTP {fault.status} for {fault.route}"}
    ).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if fault.retry_after is not None:
        headers.append((b"retry-after", f"{fault.retry_after:g}".encode()))
    await send({"type": "http.response.start", "status": fault.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class FaultMiddleware:
    """ASGI middleware applying ``state.faults`` (never to the ``/_emulator`` admin routes)."""

    def __init__(self, app: ASGIApp, state: Any) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        fault = _claim(list(self.state.faults), scope["method"], scope["path"])
        if fault is None:
            await self.app(scope, receive, send)
            return
        if fault.latency_ms > 0:
            await anyio.sleep(fault.latency_ms / 1000)
        if fault.mode == "latency":
            await self.app(scope, receive, send)
        elif fault.mode == "error":
            await _send_error(send, fault)
        elif fault.mode == "drop":
            await _drop(send)
        else:  # commit_then_drop: let the handler run and commit, swallow its answer, then drop

            async def swallow(_message: Message) -> None:
                return None

            await self.app(scope, receive, swallow)
            await _drop(send)
