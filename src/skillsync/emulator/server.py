"""Running the registry over HTTP with uvicorn, bounded against abusive clients.

uvicorn (h11) times out idle keep-alive connections but not a client that never finishes its
headers or stops sending its body, and a flood of such clients exhausts file descriptors. Here:

- a request's headers must arrive within ``header_timeout`` seconds of the connection opening (or
  of the previous response), and a body must not stall for more than ``body_timeout`` seconds;
  the connection is closed otherwise;
- at most ``max_connections`` are open at once: a connection past that is closed as soon as it is
  accepted (so descriptors stay free for well-behaved clients), and uvicorn answers 503 to requests
  past the same number;
- event-loop errors (``accept()`` out of descriptors, above all) are logged once per
  ``log_interval`` seconds with a count, never one traceback per attempt;
- SIGTERM and SIGINT stop the server within ``shutdown_timeout`` seconds, open requests or not.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
import socket
import time
from dataclasses import dataclass
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("skillsync.serve")


@dataclass(frozen=True)
class ServeLimits:
    """Defaults documented in docs/registry.md ("Limits of `skillsync serve`")."""

    header_timeout: float = 10.0
    body_timeout: float = 30.0
    max_connections: int = 256
    log_interval: float = 10.0
    shutdown_timeout: int = 3


def _bounded_protocol(limits: ServeLimits) -> type[asyncio.Protocol]:
    tick = min(limits.header_timeout, limits.body_timeout) / 4

    class BoundedH11(H11Protocol):
        _waiting_since: float
        _last_data: float
        _timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > limits.max_connections:
                transport.abort()  # over the limit: free the descriptor at once
                return
            self._waiting_since = self._last_data = time.monotonic()
            self._timer = self.loop.call_later(tick, self._check)

        def connection_lost(self, exc: Exception | None) -> None:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            self._last_data = time.monotonic()
            super().data_received(data)

        def on_response_complete(self) -> None:
            self._waiting_since = time.monotonic()  # the next request's headers are due from now
            super().on_response_complete()

        def _check(self) -> None:
            self._timer = None
            if self.transport.is_closing():
                return
            now = time.monotonic()
            state = self.conn.their_state
            if (state is h11.IDLE and now - self._waiting_since > limits.header_timeout) or (
                state is h11.SEND_BODY and now - self._last_data > limits.body_timeout
            ):
                self.transport.close()
                return
            self._timer = self.loop.call_later(tick, self._check)

    return BoundedH11


class _RateLimitedLoopErrors:
    """A loop exception handler logging one line per ``interval`` (plus a count), no tracebacks."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.last = -float("inf")
        self.suppressed = 0

    def __call__(self, _loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        now = time.monotonic()
        if now - self.last < self.interval:
            self.suppressed += 1
            return
        exc = context.get("exception")
        more = f" ({self.suppressed} more since the last report)" if self.suppressed else ""
        detail = f": {type(exc).__name__}: {exc}" if exc is not None else ""
        log.warning("skillsync serve: %s%s%s", context.get("message", "event loop error"), detail, more)
        self.last, self.suppressed = now, 0


def raise_fd_limit() -> None:
    """Raise the soft descriptor limit to the hard one (more room before accept() fails)."""
    with contextlib.suppress(ValueError, OSError):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard == resource.RLIM_INFINITY or hard > soft:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))


def make_server(app: Any, limits: ServeLimits | None = None, *, log_level: str = "warning") -> uvicorn.Server:
    limits = limits or ServeLimits()
    config = uvicorn.Config(
        app,
        log_level=log_level,
        lifespan="off",
        loop="asyncio",
        http=_bounded_protocol(limits),
        access_log=False,
        limit_concurrency=limits.max_connections,
        timeout_keep_alive=5,
        timeout_graceful_shutdown=limits.shutdown_timeout,
    )
    return uvicorn.Server(config)


def serve(app: Any, sock: socket.socket, limits: ServeLimits | None = None) -> None:
    """Serve ``app`` on ``sock`` until SIGTERM/SIGINT (uvicorn installs the handlers)."""
    limits = limits or ServeLimits()
    server = make_server(app, limits)
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.propagate = False

    async def main() -> None:
        asyncio.get_running_loop().set_exception_handler(_RateLimitedLoopErrors(limits.log_interval))
        await server.serve(sockets=[sock])

    asyncio.run(main())
