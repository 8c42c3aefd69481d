"""Machine-readable output helpers shared by every command (no click here)."""

from __future__ import annotations

from typing import Any

FORMAT_VERSION = "1"


def json_document(payload: dict[str, Any]) -> str:
    """Return one JSON document with ``format_version`` first, as every ``--json`` prints."""
    import json  # not at start-up: `--version` and text output never need it

    doc: dict[str, Any] = {"format_version": FORMAT_VERSION}
    doc.update(payload)
    return json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=False)
