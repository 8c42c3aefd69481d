"""Streamed JSON request bodies for file uploads.

Seren takes files inside JSON (``content_base64``). Building that document in memory costs about
2.3x the skill's size; instead the body is produced as an async byte stream that reads each file in
chunks of a multiple of 3 bytes and base64-encodes them as it goes (no padding until the last
chunk), so memory stays bounded by the chunk size even for a 200 MB asset. The exact length is
known up front (4 * ceil(n / 3) per file plus the JSON framing), so ``Content-Length`` is sent.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skillsync.errors import LocalError

CHUNK_BYTES = 3 * 1024 * 1024  # a multiple of 3: base64 of each chunk has no padding


@dataclass(frozen=True)
class UploadFile:
    """One file to upload: its path inside the skill (POSIX, ``/``) and where to read it."""

    relative_path: str
    path: Path
    content_type: str | None = None


def _dumps(value: Any) -> bytes:
    # ensure_ascii: the framing is pure ASCII, so its byte length is easy to reason about.
    return json.dumps(value, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def b64_length(size: int) -> int:
    """Length of the padded standard base64 encoding of ``size`` bytes."""
    return 4 * ((size + 2) // 3)


class StreamedJsonBody:
    """``head`` + one JSON object per file (content base64-encoded on the fly) + ``tail``.

    Re-iterable: every ``async for`` reads the files again from disk. A file whose size changes
    between construction and upload raises :class:`LocalError` (the length was already announced).
    """

    def __init__(
        self, head: bytes, files: Sequence[UploadFile], tail: bytes, *, chunk_bytes: int = CHUNK_BYTES
    ):
        if chunk_bytes <= 0 or chunk_bytes % 3:
            raise ValueError("chunk_bytes must be a positive multiple of 3")
        self._head = head
        self._tail = tail
        self._chunk = chunk_bytes
        self._entries: list[tuple[bytes, UploadFile, int]] = []
        for index, item in enumerate(files):
            try:
                size = item.path.stat().st_size
            except OSError as exc:
                raise LocalError(f"{item.path}: cannot read file to upload: {exc.strerror}") from None
            entry: dict[str, Any] = {"relative_path": item.relative_path}
            if item.content_type is not None:
                entry["content_type"] = item.content_type
            # '{"relative_path":"a","content_type":"x"' -> add ',"content_base64":"'
            prefix = (b"," if index else b"") + _dumps(entry)[:-1] + b',"content_base64":"'
            self._entries.append((prefix, item, size))
        self.length = (
            len(head)
            + len(tail)
            + sum(len(prefix) + b64_length(size) + 2 for prefix, _, size in self._entries)
        )

    @property
    def headers(self) -> dict[str, str]:
        return {"Content-Type": "application/json", "Content-Length": str(self.length)}

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._generate()

    async def _generate(self) -> AsyncIterator[bytes]:
        yield self._head
        for prefix, item, size in self._entries:
            yield prefix
            for piece in self._encoded(item, size):
                yield piece
            yield b'"}'
        yield self._tail

    def _encoded(self, item: UploadFile, size: int) -> Any:
        """Yield the base64 of ``item`` chunk by chunk, checking it still has ``size`` bytes."""
        seen = 0
        try:
            with item.path.open("rb") as fh:
                while True:
                    data = fh.read(self._chunk)
                    if not data:
                        break
                    seen += len(data)
                    if seen > size:
                        break
                    yield base64.b64encode(data)
        except OSError as exc:
            raise LocalError(f"{item.path}: cannot read file to upload: {exc.strerror}") from None
        if seen != size:
            raise LocalError(
                f"{item.path}: file changed while it was being uploaded",
                hint="run the command again once the file is no longer being written",
            )


def revision_body(files: Sequence[UploadFile], *, publish: bool) -> StreamedJsonBody:
    """``CreateOrganizationCustomSkillRevisionRequest``: ``{"files": [...], "publish": ...}``."""
    return StreamedJsonBody(b'{"files":[', files, b'],"publish":' + _dumps(publish) + b"}")


def create_skill_body(
    *, slug: str, display_name: str, description: str | None, files: Sequence[UploadFile], publish: bool
) -> StreamedJsonBody:
    """``CreateOrganizationCustomSkillRequest`` with its ``initial_revision``."""
    head = (
        _dumps({"slug": slug, "display_name": display_name, "description": description})[:-1]
        + b',"initial_revision":{"files":['
    )
    return StreamedJsonBody(head, files, b'],"publish":' + _dumps(publish) + b"}}")
