"""Findings of a per-file scan by content: a file whose bytes another shipped file already had
(schemas, licences, references copied between skills) is not scanned again in this process.

The scans are pure functions of a file's bytes and of what its name says (its extension, whether
it is SKILL.md), so a hit is exact: same length, same ``kind``, equal bytes (``==`` stops at the
first differing byte; only files of a length seen before are compared at all). The stored bytes
are capped: past :data:`MAX_BYTES` the memo starts afresh, so a long-lived process (``watch``)
keeps at most that much per scan.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import replace

from skillsync.rules import Finding

MAX_BYTES = 8 << 20  # contents kept per memo (the two scans keep the same bytes objects)
MAX_FILE = 1 << 20  # larger files are scanned every time (rarely copied, and they would fill it)
_PER_LENGTH = 4  # different contents of one length kept


class ContentMemo:
    __slots__ = ("_by_len", "_kept")

    def __init__(self) -> None:
        self._by_len: dict[int, list[tuple[bytes, Hashable, tuple[Finding, ...]]]] = {}
        self._kept = 0

    def findings(
        self, data: bytes, rel: str, kind: Hashable, scan: Callable[[], Iterable[Finding]]
    ) -> tuple[Finding, ...]:
        """``scan()``'s findings for the file ``rel`` holding ``data``, from an earlier file with the
        same bytes and ``kind`` when there was one (its findings moved to ``rel``)."""
        n = len(data)
        if n > MAX_FILE:
            return tuple(scan())
        bucket = self._by_len.get(n)
        if bucket is not None:
            for seen, seen_kind, found in bucket:
                if seen_kind == kind and seen == data:
                    if not found or found[0].path == rel:
                        return found
                    return tuple(replace(f, path=rel) for f in found)
        found = tuple(scan())
        if self._kept + n > MAX_BYTES:  # full: start afresh (a long run moves on to other skills)
            self._by_len.clear()
            self._kept = 0
            bucket = None
        if bucket is None:
            bucket = self._by_len[n] = []
        if len(bucket) < _PER_LENGTH:
            bucket.append((data, kind, found))
            self._kept += n
        return found
