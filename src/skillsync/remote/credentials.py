"""Stored API keys: ``$XDG_CONFIG_HOME/skillsync/credentials.json`` (mode 0600), keyed by remote name.

The file is the only place a key is written; it is replaced atomically and never logged. Its
folder is created with mode 0700, and an existing one with group or other access is tightened to 0700
whenever a key is stored or removed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from skillsync.atomic import atomic_write_text, file_lock
from skillsync.errors import LocalError

CREDENTIALS_VERSION = 1


def key_problem(key: str) -> str | None:
    """Why ``key`` cannot be an API key (sent in an HTTP header: printable ASCII, no spaces), or None.

    The message never quotes the key.
    """
    if not key.isascii():
        return "contains non-ASCII characters (API keys are plain ASCII; was it copied with a smart quote?)"
    if any(c.isspace() or not c.isprintable() for c in key):
        return "contains spaces or control characters"
    return None


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "skillsync"


def credentials_path() -> Path:
    return config_dir() / "credentials.json"


def _load(path: Path) -> dict[str, dict[str, Any]]:
    try:
        raw = path.read_text("utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise LocalError(f"{path}: cannot read credentials: {exc}") from None
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):
        doc = None
    remotes = doc.get("remotes") if isinstance(doc, dict) else None
    if not isinstance(remotes, dict) or not all(isinstance(v, dict) for v in remotes.values()):
        raise LocalError(
            f"{path}: credentials file is damaged",
            hint="delete it and run `skillsync login` again",
        )
    return remotes


def get_key(remote: str) -> str | None:
    """The stored key for ``remote``, or None."""
    entry = _load(credentials_path()).get(remote)
    key = entry.get("api_key") if entry else None
    return key if isinstance(key, str) and key else None


def stored_remotes() -> list[str]:
    return sorted(_load(credentials_path()))


def _save(path: Path, remotes: dict[str, dict[str, Any]]) -> None:
    _private_dir(path.parent)
    doc = {"version": CREDENTIALS_VERSION, "remotes": remotes}
    atomic_write_text(path, json.dumps(doc, indent=2, sort_keys=True) + "\n", mode=0o600)


def _private_dir(folder: Path) -> None:
    """Create ``folder`` 0700, and tighten it to 0700 when it already exists with group/other access."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        if folder.stat().st_mode & 0o077:
            folder.chmod(0o700)
    except OSError as exc:
        raise LocalError(
            f"{folder}: cannot make the credentials folder private (mode 0700): {exc.strerror or exc}",
            hint="fix its owner or permissions",
        ) from None


def store_key(remote: str, key: str) -> Path:
    """Store ``key`` for ``remote`` (replacing any previous one); return the file written."""
    path = credentials_path()
    _private_dir(path.parent)
    with file_lock(path.parent / ".credentials.lock", what="the credentials file"):
        remotes = _load(path)
        remotes[remote] = {"api_key": key}
        _save(path, remotes)
    return path


def delete_key(remote: str) -> bool:
    """Forget the key of ``remote``; True when there was one."""
    path = credentials_path()
    if not path.exists():
        return False
    with file_lock(path.parent / ".credentials.lock", what="the credentials file"):
        remotes = _load(path)
        if remote not in remotes:
            return False
        del remotes[remote]
        _save(path, remotes)
    return True
