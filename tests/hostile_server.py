"""A hostile Seren remote on 127.0.0.1 for tests and benchmarks/hostile.py.

It answers the few routes ``pull``, ``status`` and ``push --dry-run`` use with one skill
(``hello``, one revision) whose answers a test shapes: the revision's ``files`` list, extra bytes
of padding in JSON answers (streamed, never built in memory), and the bundle's bytes (or a count
of bytes to stream).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ORG = "00000000-0000-4000-8000-000000000001"
SKILL = "00000000-0000-4000-8000-000000000002"
REV = "00000000-0000-4000-8000-000000000003"
TS = "2026-01-01T00:00:00Z"
SKILL_MD = b"---\nname: hello\ndescription: Says hello to the user when asked.\n---\n# Hello\n"


def file_meta(path: str, data: bytes = SKILL_MD, **over: Any) -> dict[str, Any]:
    doc = {
        "content_type": "text/markdown",
        "created_at": TS,
        "id": f"f-{path}",
        "is_text": True,
        "relative_path": path,
        "revision_id": REV,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size_bytes": len(data),
    }
    doc.update(over)
    return doc


def tar_gz(members: list[tuple[tarfile.TarInfo, bytes]], fmt: int = tarfile.GNU_FORMAT) -> bytes:
    """A tar.gz of (header, data) pairs; each header's size is set from its data."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=fmt) as tar:
        for info, data in members:
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue())


@dataclass
class Hostile:
    files: list[dict[str, Any]] = field(default_factory=lambda: [file_meta("SKILL.md")])
    pad_bytes: int = 0  # extra JSON padding in the revision answer
    bundle: bytes = b""
    bundle_zeros: int = 0  # stream this many zero bytes as the bundle instead
    requests: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "bundle_sha256": "0" * 64,
            "bundle_size_bytes": 1,
            "created_at": TS,
            "file_count": len(self.files),
            "id": REV,
            "organization_custom_skill_id": SKILL,
            "organization_id": ORG,
            "revision_number": 1,
            "status": "draft",
        }

    def skill(self) -> dict[str, Any]:
        return {
            "created_at": TS,
            "display_name": "Hello",
            "id": SKILL,
            "latest_revision": self.summary(),
            "latest_revision_id": REV,
            "organization_id": ORG,
            "slug": "hello",
            "status": "active",
            "updated_at": TS,
        }

    def revision(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "files": self.files,
            "frontmatter": {},
            "manifest": {},
            "skill_md": SKILL_MD.decode(),
            "skill_md_sha256": hashlib.sha256(SKILL_MD).hexdigest(),
        }


def _handler(h: Hostile) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: Any) -> None:
            return

        def _json(self, data: Any, pad: int = 0) -> None:
            head = json.dumps({"data": data})[:-1].encode() + b',"padding":"'
            tail = b'"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(head) + pad + len(tail)))
            self.end_headers()
            try:
                self.wfile.write(head)
                chunk = b"x" * (1 << 20)
                left = pad
                while left > 0:
                    self.wfile.write(chunk[: min(left, len(chunk))])
                    left -= len(chunk)
                self.wfile.write(tail)
            except OSError:
                pass  # the client gave up: that is the point

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            h.requests.append(path)
            if path == "/organizations":
                org = {"created_at": TS, "created_by": "u", "id": ORG, "is_personal": True}
                self._json([{**org, "name": "Hostile", "slug": "hostile", "updated_at": TS}])
            elif path.endswith("/custom-skills"):
                self._json([h.skill()])
            elif path.endswith(f"/custom-skills/{SKILL}"):
                self._json(h.skill())
            elif path.endswith("/revisions"):
                self._json([h.summary()])
            elif path.endswith(f"/revisions/{REV}"):
                self._json(h.revision(), h.pad_bytes)
            elif path.endswith("/bundle"):
                self._bundle()
            else:
                self.send_error(404)

        def _bundle(self) -> None:
            size = h.bundle_zeros or len(h.bundle)
            self.send_response(200)
            self.send_header("Content-Type", "application/gzip")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            try:
                if h.bundle_zeros:
                    chunk = bytes(1 << 20)
                    left = size
                    while left > 0:
                        self.wfile.write(chunk[: min(left, len(chunk))])
                        left -= len(chunk)
                else:
                    self.wfile.write(h.bundle)
            except OSError:
                pass

    return Handler


@contextmanager
def hostile_remote(h: Hostile) -> Iterator[str]:
    """Serve ``h`` on 127.0.0.1 (a free port) in a thread; yield the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(h))
    server.daemon_threads = True
    server.handle_error = lambda *_args: None  # type: ignore[method-assign]  # clients hang up on purpose
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
