"""The plain-http transport (remote/loopback.py) against raw answers from a socket on 127.0.0.1."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from skillsync.remote.client import SerenClient
from skillsync.remote.errors import NetworkError, RequestTimeout
from skillsync.remote.loopback import MAX_HEAD_BYTES, LoopbackTransport

Answer = Callable[[bytes, asyncio.StreamReader, asyncio.StreamWriter], Awaitable[bool]]


async def _read_request(reader: asyncio.StreamReader) -> bytes | None:
    """One request: head plus a Content-Length or chunked body; None at end of connection."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head.decode("latin-1").lower().split("\r\n")
    length = next((int(x.split(":", 1)[1]) for x in lines if x.startswith("content-length:")), 0)
    body = await reader.readexactly(length) if length else b""
    if any(x.startswith("transfer-encoding:") and "chunked" in x for x in lines):
        while True:
            line = await reader.readuntil(b"\r\n")
            size = int(line.strip(), 16)
            body += line + await reader.readexactly(size + 2)
            if size == 0:
                break
    return head + body


def _run(answer: Answer, go: Callable[[str, list[int]], Awaitable[Any]]) -> Any:
    """Start a server whose connections are handled by ``answer`` (per request; False closes the
    connection), run ``go(base_url, connections)``."""
    connections: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        try:
            while (request := await _read_request(reader)) is not None:
                if not await answer(request, reader, writer):
                    break
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def main() -> Any:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            return await go(f"http://127.0.0.1:{port}", connections)

    return asyncio.run(main())


def _fixed(raw: bytes, keep: bool = True) -> Answer:
    async def answer(_: bytes, __: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        writer.write(raw)
        return keep

    return answer


async def _get(url: str, n: int = 1, **kw: Any) -> list[httpx.Response]:
    out = []
    async with httpx.AsyncClient(transport=LoopbackTransport(), base_url=url, **kw) as client:
        for _ in range(n):
            response = await client.get("/x?q=1")
            out.append(response)
    return out


def test_content_length_answers_reuse_one_connection() -> None:
    raw = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"data":[]}'

    async def go(url: str, conns: list[int]) -> None:
        got = await _get(url, 3)
        assert [r.json() for r in got] == [{"data": []}] * 3
        assert got[0].reason_phrase == "OK" and got[0].http_version == "HTTP/1.1"
        assert len(conns) == 1

    _run(_fixed(raw), go)


def test_chunked_gzip_and_interim_answers() -> None:
    body = gzip.compress(json.dumps({"data": list(range(1000))}).encode())
    chunks = b"".join(
        b"%x;ext=1\r\n" % len(body[i : i + 700]) + body[i : i + 700] + b"\r\n"
        for i in range(0, len(body), 700)
    )
    raw = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n"
        + chunks
        + b"0\r\nX-Trailer: 1\r\n\r\n"
    )

    async def go(url: str, conns: list[int]) -> None:
        got = await _get(url, 2)
        assert [r.json()["data"][-1] for r in got] == [999, 999]
        assert len(conns) == 1

    _run(_fixed(raw), go)


def test_an_answer_framed_by_the_end_of_the_connection() -> None:
    async def go(url: str, conns: list[int]) -> None:
        got = await _get(url, 2)
        assert [r.content for r in got] == [b"all of it", b"all of it"]
        assert len(conns) == 2  # not reused: the end of the body was the end of the connection

    _run(_fixed(b"HTTP/1.0 200 OK\r\n\r\nall of it", keep=False), go)


def test_a_closed_idle_connection_is_not_reused() -> None:
    async def go(url: str, conns: list[int]) -> None:
        async with httpx.AsyncClient(transport=LoopbackTransport(), base_url=url) as client:
            assert (await client.get("/")).content == b"ok"
            await asyncio.sleep(0.05)  # the server has closed it by now
            assert (await client.get("/")).content == b"ok"
        assert len(conns) == 2

    _run(_fixed(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", keep=False), go)


def test_the_request_goes_out_as_sent() -> None:
    seen: list[bytes] = []

    async def answer(request: bytes, _: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        seen.append(request)
        writer.write(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")
        return True

    async def stream() -> Any:
        yield b"ab"
        yield b""
        yield b"cd"

    async def go(url: str, _: list[int]) -> None:
        async with httpx.AsyncClient(transport=LoopbackTransport(), base_url=url) as client:
            assert (await client.post("/p/q?a=b%20c", json={"k": "v"})).status_code == 201
            assert (await client.post("/s", content=stream())).status_code == 201

    _run(answer, go)
    first, second = seen
    assert first.startswith(b"POST /p/q?a=b%20c HTTP/1.1\r\n")
    assert first.endswith(b'\r\n\r\n{"k":"v"}') and b"\r\nContent-Length: 9\r\n" in first
    assert b"\r\nTransfer-Encoding: chunked\r\n" in second
    assert second.endswith(b"\r\n\r\n2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n")


@pytest.mark.parametrize(
    "raw",
    [
        b"HTTX/1.1 200 OK\r\n\r\n",
        b"HTTP/1.1 2x0 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n" + b"X-Pad: " + b"a" * MAX_HEAD_BYTES + b"\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n" + b"X-A: b\r\n" * 300 + b"\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: identity, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    ],
    ids=[
        "version",
        "status",
        "header",
        "two-lengths",
        "negative-length",
        "long-line",
        "many-headers",
        "codings-in-one-header",
        "codings-in-two-headers",
    ],
)
def test_malformed_answers_are_protocol_errors(raw: bytes) -> None:
    async def go(url: str, _: list[int]) -> None:
        with pytest.raises(httpx.RemoteProtocolError):
            await _get(url)

    _run(_fixed(raw, keep=False), go)


@pytest.mark.parametrize(
    "raw",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY",
    ],
    ids=["short-body", "chunk-size", "chunk-end"],
)
def test_broken_bodies_are_protocol_errors(raw: bytes) -> None:
    async def go(url: str, _: list[int]) -> None:
        with pytest.raises(httpx.RemoteProtocolError):
            await _get(url)

    _run(_fixed(raw, keep=False), go)


def test_seren_client_maps_drops_and_timeouts() -> None:
    async def silent(_: bytes, __: asyncio.StreamReader, ___: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(1)
        return False

    async def go_timeout(url: str, _: list[int]) -> None:
        async with SerenClient(url, "seren_k", retries=0, timeout=0.1) as client:
            with pytest.raises(RequestTimeout):
                await client.list_organizations()

    _run(silent, go_timeout)

    async def go_drop(url: str, _: list[int]) -> None:
        async with SerenClient(url, "seren_k", retries=0) as client:
            with pytest.raises(NetworkError, match="connection dropped"):
                await client.list_organizations()

    _run(_fixed(b"", keep=False), go_drop)

    async def refused() -> None:
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        server.close()
        await server.wait_closed()
        async with SerenClient(f"http://127.0.0.1:{port}", "seren_k", retries=0) as client:
            with pytest.raises(NetworkError, match="connection failed"):
                await client.list_organizations()

    asyncio.run(refused())


@pytest.mark.parametrize(
    "raw",
    [
        (b"HTTP/1.1 100 Continue\r\nX-A: " + b"a" * 1000 + b"\r\n\r\n") * 100,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"
        + (b"X-T: " + b"t" * 1000 + b"\r\n") * 100,
    ],
    ids=["interim-answers", "trailers"],
)
def test_a_head_that_never_ends_is_bounded(raw: bytes) -> None:
    """The connection stays open: without the bound the client would wait for more, not refuse."""

    async def go(url: str, _: list[int]) -> None:
        with pytest.raises(httpx.RemoteProtocolError, match="too large"):
            await _get(url, timeout=10)

    _run(_fixed(raw, keep=True), go)


async def _pieces(size: int) -> AsyncIterator[bytes]:
    """An upload streamed in 64 KiB pieces, as push streams files."""
    piece = b"x" * 65536
    for _ in range(size // len(piece)):
        yield piece


def test_write_timeout_is_per_write_not_per_upload() -> None:
    """A server that reads a large upload slowly but steadily is not a timeout (httpx's own
    transport applies the write timeout to each write; review finding: this one applied it to the
    whole upload)."""
    size = 16 * 1024 * 1024  # well past what loopback socket buffers absorb

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        assert b"content-length: %d" % size in head.lower()
        left = size
        while left:
            left -= len(await reader.readexactly(min(left, 1024 * 1024)))
            await asyncio.sleep(0.1)  # ~1.6 s in all, each write waiting ~0.1 s
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        writer.close()

    async def main() -> bytes:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            timeout = httpx.Timeout(10.0, write=0.6)
            async with httpx.AsyncClient(transport=LoopbackTransport(), timeout=timeout) as client:
                url, length = f"http://127.0.0.1:{port}/up", {"Content-Length": str(size)}
                response = await client.post(url, content=_pieces(size), headers=length)
                return response.content

    assert asyncio.run(main()) == b"ok"
