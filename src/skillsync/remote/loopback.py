"""A small HTTP/1.1 transport for plain-http remotes, which are loopback hosts (``skillsync serve``).

httpx's default transport loads httpcore, anyio and h11: about 50 ms of start-up for every command
that talks to a remote, more than the request itself costs over loopback. A plain ``http://`` remote
is only ever a loopback host (``remotes.check_url`` refuses others), where TLS, proxies and HTTP/2
never apply, so :class:`LoopbackTransport` speaks HTTP/1.1 itself over asyncio streams: one request
per connection at a time, idle connections kept for reuse (dropped after :data:`KEEPALIVE_SECONDS`
or once the server closed them), responses framed by ``Content-Length``, chunked encoding or the end
of the connection. Everything the server sends is bounded (:data:`MAX_HEAD_BYTES`, line lengths).
Failures are httpx's exceptions, so :class:`~skillsync.remote.client.SerenClient` maps and retries
them exactly as with httpx's own transport.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any, Final

import httpx

MAX_HEAD_BYTES: Final = 64 * 1024  # status line + headers of one answer
MAX_HEADERS: Final = 200
MAX_CHUNK_LINE: Final = 1024  # a chunk-size line (hex size and extensions)
READ_BYTES: Final = 64 * 1024
KEEPALIVE_SECONDS: Final = 2.0  # idle connections older than this are closed, not reused
_NO_BODY: Final = frozenset({204, 304})


class _Conn:
    def __init__(
        self, key: tuple[str, int], reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.key = key
        self.reader = reader
        self.writer = writer
        self.idle_since = 0.0

    def usable(self, now: float) -> bool:
        return (
            now - self.idle_since < KEEPALIVE_SECONDS
            and not self.writer.is_closing()
            and not self.reader.at_eof()
        )

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()


def _timeout(request: httpx.Request, key: str) -> float | None:
    value = request.extensions.get("timeout", {}).get(key)
    return float(value) if value is not None else None


class _Reader:
    """Reads one answer from a connection, every wait bounded by the read timeout."""

    def __init__(self, conn: _Conn, request: httpx.Request) -> None:
        self.conn = conn
        self.request = request
        self.timeout = _timeout(request, "read")

    async def _wait(self, op: Any) -> Any:
        try:
            async with asyncio.timeout(self.timeout):
                return await op
        except TimeoutError:
            raise httpx.ReadTimeout("timed out reading the answer", request=self.request) from None
        except asyncio.LimitOverrunError:
            raise httpx.RemoteProtocolError("answer line too long", request=self.request) from None
        except asyncio.IncompleteReadError:
            raise httpx.RemoteProtocolError(
                "connection closed in the middle of the answer", request=self.request
            ) from None
        except OSError as exc:
            raise httpx.ReadError(str(exc) or type(exc).__name__, request=self.request) from None

    async def line(self, limit: int) -> bytes:
        data: bytes = await self._wait(self.conn.reader.readuntil(b"\n"))
        if len(data) > limit:
            raise httpx.RemoteProtocolError("answer line too long", request=self.request)
        return data.rstrip(b"\r\n")

    async def exactly(self, n: int) -> bytes:
        data: bytes = await self._wait(self.conn.reader.readexactly(n))
        return data

    async def some(self) -> bytes:
        data: bytes = await self._wait(self.conn.reader.read(READ_BYTES))
        return data

    async def head(self) -> tuple[int, bytes, bytes, list[tuple[bytes, bytes]]]:
        """(status, HTTP version, reason, headers) of the final answer (1xx answers skipped)."""
        used = 0  # across 1xx answers too: a server cannot send an endless head
        while True:
            try:
                first = await self.line(MAX_HEAD_BYTES)
            except httpx.RemoteProtocolError:
                if self.conn.reader.at_eof():
                    raise httpx.RemoteProtocolError(
                        "Server disconnected without sending a response.", request=self.request
                    ) from None
                raise
            used += len(first)
            parts = first.split(b" ", 2)
            if len(parts) < 2 or parts[0] not in (b"HTTP/1.1", b"HTTP/1.0") or not parts[1].isdigit():
                raise httpx.RemoteProtocolError("malformed status line", request=self.request)
            status = int(parts[1])
            if not 100 <= status <= 999:
                raise httpx.RemoteProtocolError("malformed status line", request=self.request)
            headers: list[tuple[bytes, bytes]] = []
            while True:
                raw = await self.line(MAX_HEAD_BYTES)
                used += len(raw) + 2
                if used > MAX_HEAD_BYTES or len(headers) >= MAX_HEADERS:
                    raise httpx.RemoteProtocolError("answer headers too large", request=self.request)
                if not raw:
                    break
                name, sep, value = raw.partition(b":")
                if not sep or not name or name != name.strip() or b" " in name:
                    raise httpx.RemoteProtocolError("malformed header line", request=self.request)
                headers.append((name, value.strip(b" \t")))
            if status >= 200 or status == 101:
                return status, parts[0], parts[2] if len(parts) > 2 else b"", headers


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> list[bytes]:
    return [v for k, v in headers if k.lower() == name]


class _Body(httpx.AsyncByteStream):
    """The body of one answer; gives the connection back for reuse once read to its end."""

    def __init__(
        self,
        transport: LoopbackTransport,
        reader: _Reader,
        *,
        length: int | None,
        chunked: bool,
        keep: bool,
    ) -> None:
        self.transport = transport
        self.reader = reader
        self.length = length
        self.chunked = chunked
        self.keep = keep
        self.done = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        r = self.reader
        if self.chunked:
            while True:
                line = await r.line(MAX_CHUNK_LINE)
                size_text = line.split(b";", 1)[0].strip()
                try:
                    size = int(size_text, 16)
                except ValueError:
                    raise httpx.RemoteProtocolError("malformed chunk size", request=r.request) from None
                if size < 0:
                    raise httpx.RemoteProtocolError("malformed chunk size", request=r.request)
                if size == 0:
                    trailers = 0
                    while line := await r.line(MAX_HEAD_BYTES):  # trailers, up to the empty line
                        trailers += len(line) + 2
                        if trailers > MAX_HEAD_BYTES:
                            raise httpx.RemoteProtocolError("answer trailers too large", request=r.request)
                    break
                while size > 0:
                    data = await r.exactly(min(size, READ_BYTES))
                    size -= len(data)
                    yield data
                if await r.exactly(2) != b"\r\n":
                    raise httpx.RemoteProtocolError("malformed chunk end", request=r.request)
        elif self.length is not None:
            left = self.length
            while left > 0:
                data = await r.exactly(min(left, READ_BYTES))
                left -= len(data)
                yield data
        else:
            while data := await r.some():
                yield data
        self.done = True

    async def aclose(self) -> None:
        conn = self.reader.conn
        if self.done and self.keep:
            self.transport.release(conn)
        else:
            self.transport.drop(conn)


class LoopbackTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 over asyncio streams to plain-http hosts, with keep-alive (see the module doc)."""

    def __init__(self) -> None:
        self._idle: dict[tuple[str, int], list[_Conn]] = {}
        self._conns: set[_Conn] = set()

    def release(self, conn: _Conn) -> None:
        """Keep ``conn`` (its last answer read to the end) for the next request to its host."""
        conn.idle_since = time.monotonic()
        self._idle.setdefault(conn.key, []).append(conn)

    def drop(self, conn: _Conn) -> None:
        conn.close()
        self._conns.discard(conn)

    async def _connect(self, request: httpx.Request) -> _Conn:
        url = request.url
        key = (url.host, url.port or 80)
        now = time.monotonic()
        idle = self._idle.get(key, [])
        while idle:
            conn = idle.pop()
            if conn.usable(now):
                return conn
            self.drop(conn)
        try:
            async with asyncio.timeout(_timeout(request, "connect")):
                reader, writer = await asyncio.open_connection(url.host, key[1], limit=MAX_HEAD_BYTES)
        except TimeoutError:
            raise httpx.ConnectTimeout("timed out connecting", request=request) from None
        except OSError as exc:
            raise httpx.ConnectError(str(exc) or type(exc).__name__, request=request) from None
        conn = _Conn(key, reader, writer)
        self._conns.add(conn)
        return conn

    async def _send(self, conn: _Conn, request: httpx.Request) -> None:
        url = request.url
        target = url.raw_path or b"/"
        lines = [request.method.encode("ascii") + b" " + target + b" HTTP/1.1"]
        lines += [name + b": " + value for name, value in request.headers.raw]
        chunked = any(
            k.lower() == b"transfer-encoding" and v.lower() == b"chunked" for k, v in request.headers.raw
        )
        writer = conn.writer
        limit = _timeout(request, "write")

        async def drain() -> None:
            # Per write, as httpx's own transport applies it: a slow but steady reader of a large
            # upload is not a timeout.
            async with asyncio.timeout(limit):
                await writer.drain()

        try:
            writer.write(b"\r\n".join(lines) + b"\r\n\r\n")
            async for chunk in request.stream:  # type: ignore[union-attr]
                if not chunk:
                    continue
                if chunked:
                    writer.write(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
                else:
                    writer.write(chunk)
                await drain()
            if chunked:
                writer.write(b"0\r\n\r\n")
            await drain()
        except TimeoutError:
            raise httpx.WriteTimeout("timed out sending the request", request=request) from None
        except OSError as exc:
            raise httpx.WriteError(str(exc) or type(exc).__name__, request=request) from None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme != "http":
            raise httpx.UnsupportedProtocol("the loopback transport speaks plain http only", request=request)
        conn = await self._connect(request)
        try:
            await self._send(conn, request)
            reader = _Reader(conn, request)
            status, version, reason, headers = await reader.head()
        except BaseException:
            self.drop(conn)
            raise
        # Transfer-Encoding may list codings in one header or several (RFC 9112 6.1): all of them.
        codings = [t.strip().lower() for v in _header(headers, b"transfer-encoding") for t in v.split(b",")]
        encodings = [t for t in codings if t]
        lengths = {v.strip() for v in _header(headers, b"content-length")}
        tokens = {t.strip().lower() for v in _header(headers, b"connection") for t in v.split(b",")}
        keep = version == b"HTTP/1.1" and b"close" not in tokens
        length: int | None = None
        chunked = False
        if request.method == "HEAD" or status in _NO_BODY or status < 200:
            length = 0
        elif encodings:
            if encodings != [b"chunked"]:  # as h11, behind httpx's own transport, answers it
                self.drop(conn)
                raise httpx.RemoteProtocolError(
                    "only Transfer-Encoding: chunked is supported", request=request
                )
            chunked = True
        elif lengths:
            text = lengths.pop()
            if lengths or not text.isdigit():
                self.drop(conn)
                raise httpx.RemoteProtocolError("malformed Content-Length", request=request)
            length = int(text)
        else:
            keep = False
        body = _Body(self, reader, length=length, chunked=chunked, keep=keep)
        return httpx.Response(
            status,
            headers=headers,
            stream=body,
            extensions={"http_version": version, "reason_phrase": reason},
        )

    async def aclose(self) -> None:
        for conn in self._conns:
            conn.close()
        self._conns.clear()
        self._idle.clear()
