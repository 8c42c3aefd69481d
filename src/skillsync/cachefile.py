"""Versioned JSON files in ``.skillsync/`` that are caches: read defensively, written cheaply.

The stat cache, the validation cache and push's SKILL.md meta cache share one contract: a file
that is missing, not a regular file (a FIFO must not hang a command), not JSON, nested past the
parser's limit, or of another format or version is simply absent; a write is atomic (readers see
the old file or the new one) but not fsynced (a file a crash garbles is ignored like any corrupt
one), and a folder that cannot be written just keeps no cache.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from pathlib import Path
from typing import Any


def read_doc(path: Path, fmt: str, version: int) -> tuple[dict[str, Any], int] | None:
    """The document at ``path`` and the file's mtime (ns), or None when it is unusable."""
    try:
        with os.fdopen(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode):
                return None
            doc = json.loads(fh.read())
    except (OSError, ValueError, RecursionError):  # RecursionError: JSON nested too deep
        return None
    if not isinstance(doc, dict) or doc.get("format") != fmt or doc.get("version") != version:
        return None
    return doc, st.st_mtime_ns


def write_doc(path: Path, fmt: str, version: int, body: dict[str, Any]) -> bool:
    """Write ``body`` under ``format`` and ``version``; False when the folder cannot be written."""
    doc = {"format": fmt, "version": version, **body}
    # ASCII: a file name that is not UTF-8 (kept as surrogate escapes) is still valid JSON
    data = json.dumps(doc, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    from skillsync.atomic import atomic_write_bytes  # (tempfile: only when something is written)

    with contextlib.suppress(OSError):
        atomic_write_bytes(path, data, durable=False)
        return True
    return False
