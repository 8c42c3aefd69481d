"""Issue 13, local registry: abusive clients are bounded and every error is the documented JSON.

Real HTTP on 127.0.0.1 (uvicorn in a thread, or `skillsync serve` as a process); the timeouts are
shortened so each test takes about a second. Heavier reproductions: benchmarks/hostile.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import logging
import signal
import socket
import threading
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from skillsync.emulator import create_app
from skillsync.emulator.server import ServeLimits, _RateLimitedLoopErrors, make_server
from tests.emulator_helpers import client
from tests.test_emulator_serve import serve

FAST = ServeLimits(header_timeout=0.4, body_timeout=0.4, max_connections=6, shutdown_timeout=1)


@contextmanager
def bounded(app: Any, limits: ServeLimits = FAST) -> Iterator[tuple[str, int]]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    server = make_server(app, limits, log_level="critical")
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive()
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}", port
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def _closed_by_server(conn: socket.socket) -> bool:
    """Read until the server closes (True) or 10 s pass with the connection still open (False)."""
    conn.settimeout(10)
    try:
        while conn.recv(4096):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        pass
    return True


def test_slow_headers_and_stalled_bodies_are_timed_out(tmp_path: Path) -> None:
    with bounded(create_app(tmp_path / "r.db", tokens=["t1"])) as (url, port):
        headers = socket.create_connection(("127.0.0.1", port))
        headers.sendall(b"GET /organizations HTTP/1.1\r\nHost: x\r\n")  # never finished
        body = socket.create_connection(("127.0.0.1", port))
        body.sendall(
            b"POST /organizations/x/custom-skills HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t1\r\n"
            b'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"slug"'
        )
        assert _closed_by_server(headers)  # was: open forever
        assert _closed_by_server(body)
        with client(url) as c:
            assert c.get("/organizations").status_code == 200


def test_connections_past_the_cap_are_closed_and_good_clients_served_after(tmp_path: Path) -> None:
    with bounded(create_app(tmp_path / "r.db", tokens=["t1"])) as (url, port):
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(FAST.max_connections + 4)]
        closed = sum(_closed_by_server(s) for s in idle)
        assert closed == len(idle)  # the excess at once, the rest by the header timeout
        with client(url) as c:
            assert c.get("/organizations").status_code == 200
        for s in idle:
            s.close()


def test_loop_errors_are_logged_once_per_interval(caplog: pytest.LogCaptureFixture) -> None:
    handler = _RateLimitedLoopErrors(interval=3600)
    loop = asyncio.new_event_loop()
    exc = OSError(errno.EMFILE, "Too many open files")
    with caplog.at_level(logging.WARNING, logger="skillsync.serve"):
        for _ in range(1000):
            handler(loop, {"message": "socket.accept() out of system resource", "exception": exc})
    loop.close()
    assert len(caplog.records) == 1 and "Too many open files" in caplog.records[0].getMessage()
    assert handler.suppressed == 999


def test_announced_content_length_is_never_allocated(tmp_path: Path) -> None:
    """One byte sent of 250 MB announced: memory stays flat (was a 250 MB bytearray per request)."""
    app = create_app(tmp_path / "r.db", tokens=["t1"])
    sent: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": b"{", "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/organizations/x/custom-skills",
        "raw_path": b"/organizations/x/custom-skills",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"authorization", b"Bearer t1"), (b"content-length", b"250000000")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 2),
    }
    tracemalloc.start()
    try:
        asyncio.run(app(scope, receive, send))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50_000_000, peak
    assert sent[0]["status"] == 400
    assert json.loads(sent[1]["body"])["error"] == "incomplete_body"


def test_deep_nesting_and_unexpected_errors_are_json(tmp_path: Path) -> None:
    app = create_app(tmp_path / "r.db", tokens=["t1"])

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("unexpected")

    with bounded(app) as (url, _), client(url) as c:
        org = c.get("/organizations").json()["data"][0]["id"]
        for depth in (65, 200_000):
            deep = "[" * depth + "]" * depth
            r = c.post(f"/organizations/{org}/custom-skills", content=deep)
            assert r.status_code == 400, r.text  # was a plain-text 500 (RecursionError)
            assert r.json()["error"] == "invalid_json" and "deeper than 64" in r.json()["message"]
        r = c.get("/boom")
        assert r.status_code == 500 and r.json() == {
            "error": "internal_error",
            "message": "the local registry failed on this request; see its log",
        }


def test_sigterm_stops_serve_promptly_with_a_request_in_flight(tmp_path: Path) -> None:
    with serve(tmp_path, "--faults") as (line, proc):
        _, url, token, admin = line.split(" ")
        admin = admin.removeprefix("admin_token=")
        token = token.removeprefix("token=")
        fault = [{"route": "GET /organizations", "mode": "latency", "latency_ms": 120_000}]
        with client(url, token=token) as user:
            assert user.put("/_emulator/faults", json=fault).status_code == 401
        with client(url, token=admin) as c:
            assert c.put("/_emulator/faults", json=fault).status_code == 200

        def request() -> None:
            with contextlib.suppress(httpx.HTTPError):  # the server goes away under it
                httpx.get(url + "/organizations", headers={"Authorization": f"Bearer {token}"}, timeout=150)

        stuck = threading.Thread(target=request, daemon=True)
        stuck.start()
        time.sleep(0.5)  # let the request reach the server
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)  # was: still serving after the 4 s the issue waited
