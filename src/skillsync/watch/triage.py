"""From raw file-system changes to what watch must do: reload config, rediscover skills, and which
skills are dirty.

A change passes the selection engine (:func:`skillsync.selection.explain`) before it counts, so
ignored files, ``.skillsync/``, ``.git/`` and editor litter (``*.swp``, ``*~``, ``.#*``) never
trigger anything. Ignore files themselves do not ship but change what ships, so they mark the
skills below them.
"""

# str paths and os.* calls: this runs once per changed path, on every batch.
# ruff: noqa: PTH112, PTH113, PTH116, PTH119, PTH120, PTH206

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from skillsync.config import CONFIG_FILE, PYPROJECT_FILE
from skillsync.errors import SkillsyncError
from skillsync.selection import GITIGNORE, SKILLIGNORE, explain
from skillsync.workspace import PRUNED_DIRS, SKILL_FILE, Skill, Workspace, owner_among

ADDED, MODIFIED, DELETED = 1, 2, 3  # watchfiles.Change values
IGNORE_FILES = frozenset({GITIGNORE, SKILLIGNORE})
Change = tuple[int, str]


def _parts(root: str, path: str) -> list[str] | None:
    """The workspace-relative parts of ``path``; None when outside the workspace."""
    rel = os.path.relpath(path, root)
    if rel == ".":
        return []
    if rel == ".." or rel.startswith(".." + os.sep):
        return None
    return rel.split(os.sep)


def never_ships(root: str, path: str) -> bool:
    """True for paths in folders that are never searched nor shipped (``.git/``, ``.skillsync/``...)."""
    parts = _parts(root, path)
    return parts is None or any(p in PRUNED_DIRS for p in parts)


def config_touched(ws: Workspace, changes: Iterable[Change]) -> bool:
    """Whether ``skillsync.toml`` (or the ``pyproject.toml`` holding the config) changed."""
    names = {str(ws.config_path)} if ws.config_path else set()
    names |= {str(ws.root / CONFIG_FILE), str(ws.root / PYPROJECT_FILE)}
    return any(path in names for _, path in changes)


def needs_rediscovery(ws: Workspace, known: Sequence[Skill], changes: Iterable[Change]) -> bool:
    """Whether the set of skill folders may have changed: a SKILL.md appeared, a folder holding
    skills was deleted, or a folder appeared outside every skill (moved in whole)."""
    root = str(ws.root)
    folders = {str(s.path) for s in known}
    for change, path in changes:
        if never_ships(root, path):
            continue
        name = os.path.basename(path)
        if name == SKILL_FILE:
            # A new skill. A SKILL.md that went away is left to the skill's own run after its
            # quiet period: an editor that saves by rename-then-write brings it back by then.
            if os.path.isfile(path) and os.path.dirname(path) not in folders:
                return True
            continue
        if change == DELETED and not os.path.lexists(path):
            prefix = path.rstrip(os.sep) + os.sep
            if path in folders or any(f.startswith(prefix) for f in folders):
                return True
        elif change == ADDED and os.path.isdir(path) and owner_among(known, path) is None:
            return True
    return False


def _save_time(path: str, now: float) -> float:
    """When the change was saved: the file's mtime, clamped to the last minute (else ``now``)."""
    try:
        mtime = os.stat(path).st_mtime
    except OSError:
        return now
    return mtime if now - 60 <= mtime <= now else now


def affected(
    ws: Workspace, skills: Sequence[Skill], changes: Iterable[Change], now: float | None = None
) -> dict[str, float]:
    """Slug -> newest save time (wall clock) of every skill in ``skills`` that a change may alter."""
    now = time.time() if now is None else now
    root = str(ws.root)
    out: dict[str, float] = {}

    def mark(skill: Skill, at: float) -> None:
        out[skill.slug] = max(out.get(skill.slug, 0.0), at)

    for _change, path in changes:
        if never_ships(root, path):
            continue
        name = os.path.basename(path)
        if name in IGNORE_FILES:
            folder = os.path.dirname(path)
            prefix = folder.rstrip(os.sep) + os.sep
            for skill in skills:
                base = str(skill.path)
                inside = folder.startswith(base.rstrip(os.sep) + os.sep)
                if base == folder or base.startswith(prefix) or inside:
                    mark(skill, _save_time(path, now))
            continue
        owner = owner_among(skills, path)
        if owner is None:
            continue
        rel = Path(os.path.relpath(path, owner.path)).as_posix()
        try:
            shipped = explain(ws, owner, rel).shipped
        except SkillsyncError:
            shipped = True  # a broken link or special file: validation will say what is wrong
        except OSError:
            shipped = True
        if shipped:
            mark(owner, _save_time(path, now))
    return out
