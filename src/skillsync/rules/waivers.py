"""Waivers: committed files that silence findings by (rule, path), with a reason and an expiry.

``skillsync-waivers.toml`` (``validate.waivers``) is written by people; ``skillsync-baseline.toml``
(``validate.baseline``) by ``skillsync validate --write-baseline``, so a team can turn rules on and
fix what exists later. Both hold ``[[waiver]]`` tables: ``rule`` (an id, a family ``supply.*`` or
``*``), ``path`` (a gitignore-style pattern, workspace-relative), ``reason``, optional ``expires``
(a TOML date). A waiver past its date no longer waives, and is itself a finding (``waiver.expired``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from skillsync import ignore
from skillsync.errors import ConfigError
from skillsync.rules import Finding

EXPIRED = "waiver.expired"
_KEYS = frozenset(("rule", "path", "reason", "expires"))


class Waiver(NamedTuple):  # not a dataclass: cheaper to define at start-up
    rule: str
    path: str
    reason: str
    expires: dt.date | None
    source: str  # the waivers file, workspace-relative
    line: int  # its [[waiver]] line
    spec: ignore.IgnoreFile

    def expired(self, today: dt.date) -> bool:
        return self.expires is not None and self.expires < today


def load(root: Path, rel: str) -> list[Waiver]:
    """The waivers in ``root/rel`` ([] when the file does not exist); ConfigError names a bad entry."""
    path = root / rel
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read waivers: {exc.strerror}") from None
    import tomllib  # only when the file exists

    try:
        text = raw.decode("utf-8")
        data = tomllib.loads(text)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: invalid waivers file: {exc}") from None
    extra = set(data) - {"waiver"}
    if extra:
        raise ConfigError(f"{path}: unknown key '{sorted(extra)[0]}' (only [[waiver]] tables)")
    entries = data.get("waiver", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: 'waiver' must be an array of tables ([[waiver]])")
    lines = [n for n, ln in enumerate(text.split("\n"), 1) if ln.strip().startswith("[[waiver]]")]
    out: list[Waiver] = []
    for n, entry in enumerate(entries):
        line = lines[n] if n < len(lines) else 1
        where = f"{path}:{line}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: a waiver must be a table")
        unknown = set(entry) - _KEYS
        if unknown:
            raise ConfigError(f"{where}: unknown key '{sorted(unknown)[0]}' (rule, path, reason, expires)")
        for key in ("rule", "path", "reason"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise ConfigError(f"{where}: '{key}' is required (a non-empty string)")
        expires = entry.get("expires")
        if isinstance(expires, dt.datetime):
            expires = expires.date()
        elif isinstance(expires, str):
            try:
                expires = dt.date.fromisoformat(expires)
            except ValueError:
                raise ConfigError(f"{where}: 'expires' must be a date like 2027-01-31") from None
        elif expires is not None and not isinstance(expires, dt.date):
            raise ConfigError(f"{where}: 'expires' must be a date like 2027-01-31")
        spec = ignore.from_list([entry["path"]], rel, "", numbered=False)
        out.append(Waiver(entry["rule"], entry["path"], entry["reason"], expires, rel, line, spec))
    return out


def expired_finding(w: Waiver) -> Finding:
    return Finding(
        EXPIRED,
        w.source,
        w.line,
        f"the waiver of {w.rule} for {w.path} expired on {w.expires} ({w.reason})",
        "fix what it covered and delete it, or set a later 'expires' with a reason",
    )


def _escape(path: str) -> str:
    """``path`` as a gitignore pattern that matches exactly it."""
    out = "".join("\\" + c if c in "\\*?[" else c for c in path)
    if out.startswith(("!", "#")):
        out = "\\" + out
    if out.endswith(" "):
        out = out[:-1] + "\\ "
    return "/" + out if "/" not in out.rstrip("/") else out


def write_baseline(root: Path, rel: str, findings: Iterable[Finding], today: dt.date) -> int:
    """Write one waiver per (rule, path) of ``findings`` to ``root/rel``; the number written."""
    pairs = sorted({(f.rule, f.path) for f in findings if f.rule != EXPIRED})
    out = [
        f"# Written by `skillsync validate --write-baseline` on {today.isoformat()}: that day's findings.",
        "# Delete entries as you fix them; run it again to rewrite this file. Hand-written waivers go in",
        "# skillsync-waivers.toml (validate.waivers).",
    ]
    for rule, path in pairs:
        out += [
            "",
            "[[waiver]]",
            f"rule = {json.dumps(rule)}",
            f"path = {json.dumps(_escape(path))}",
            f'reason = "baseline {today.isoformat()}"',
        ]
    from skillsync.atomic import atomic_write_bytes  # only to write a baseline: tempfile is slow to import

    atomic_write_bytes(root / rel, ("\n".join(out) + "\n").encode("utf-8"))
    return len(pairs)
