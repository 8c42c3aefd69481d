"""What watch reports: one :class:`Event` per thing that happened, as a text line or a JSON object.

The loop emits events through a callback, so the CLI only chooses the rendering (``--json`` prints
JSON Lines, one object per event, each with ``format_version``).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from skillsync.output import FORMAT_VERSION

Kind = Literal[
    "watching",  # started: remote, skills, debounce
    "revision",  # a new revision was created (or adopted after a lost answer)
    "published",  # --publish published the latest revision without a new upload
    "unchanged",  # the content equals what was last synced: nothing uploaded
    "valid",  # --no-push: the save passed validation
    "blocked",  # validation errors: nothing uploaded, the last good revision stays
    "remote-moved",  # someone else pushed: uploads of this skill stop until resolved
    "remote-down",  # the remote cannot be reached: retrying with backoff (said once)
    "remote-back",  # the remote answers again
    "failed",  # the push of one skill failed for another reason
    "skill-added",  # a skill folder appeared
    "skill-deleted",  # a skill folder went away (never archived by watch)
    "config-reloaded",
    "config-error",  # skillsync.toml is broken: the last good config is kept
    "stopped",  # watch ended (Ctrl-C)
]


@dataclass
class Event:
    kind: Kind
    skill: str | None = None
    message: str | None = None
    revision: int | None = None
    published: bool | None = None
    files_changed: int | None = None
    ms: int | None = None  # from the newest save to the revision
    findings: list[str] = field(default_factory=list)  # blocking errors (path:line: rule: message)
    warnings: list[str] = field(default_factory=list)  # printed, never blocking
    data: dict[str, Any] = field(default_factory=dict)  # kind-specific extras
    at: float = field(default_factory=time.time)

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "event": self.kind,
            "time": _iso(self.at),
            "skill": self.skill,
        }
        for key in ("revision", "published", "files_changed", "ms", "message"):
            value = getattr(self, key)
            if value is not None:
                doc[key] = value
        if self.findings or self.kind == "blocked":
            doc["findings"] = self.findings
        if self.warnings:
            doc["warnings"] = self.warnings
        doc.update(self.data)
        return doc

    def json_line(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False)

    def text_lines(self) -> list[str]:
        """One line (time, skill, what happened), then any findings indented below it."""
        stamp = time.strftime("%H:%M:%S", time.localtime(self.at))
        head = f"{stamp}  {self.skill}" if self.skill else stamp
        what = _describe(self)
        lines = [f"{head}  {what}"]
        lines += [f"    error: {f}" for f in self.findings]
        lines += [f"    warning: {w}" for w in self.warnings]
        return lines


def _iso(at: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at)) + f".{int(at * 1000) % 1000:03d}Z"


def _describe(e: Event) -> str:
    if e.kind == "revision":
        parts = [f"revision {e.revision}" + (" (published)" if e.published else " (draft)")]
        if e.files_changed is not None:
            parts.append(f"{e.files_changed} file{'s' if e.files_changed != 1 else ''} changed")
        if e.ms is not None:
            parts.append(f"{e.ms} ms")
        return ", ".join(parts) + (f" ({e.message})" if e.message else "")
    if e.kind == "blocked":
        n = len(e.findings)
        return f"blocked: {n} error{'s' if n != 1 else ''}, nothing uploaded" + (
            f" ({e.message})" if e.message else ""
        )
    if e.kind == "valid":
        n = len(e.warnings)
        return "valid" + (f", {n} warning{'s' if n != 1 else ''}" if n else "")
    label = {
        "published": "published",
        "unchanged": "unchanged, nothing uploaded",
        "remote-moved": "remote moved: uploads of this skill stopped",
        "remote-down": "remote down: retrying",
        "remote-back": "remote back",
        "failed": "push failed",
        "skill-added": "new skill",
        "skill-deleted": "skill folder deleted (not archived on the remote)",
        "config-reloaded": "config reloaded",
        "config-error": "config error: keeping the last good config",
        "watching": "watching",
        "stopped": "stopped",
    }[e.kind]
    return f"{label}: {e.message}" if e.message else label
