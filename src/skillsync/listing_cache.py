"""The persisted result of each skill's last selection walk, kept in the stat cache's file.

A walk's file list is reused while every folder and ignore file it depended on (stamped with
:meth:`skillsync.statcache.StatCache.stamp`) and the selection config are unchanged; what a walk
depends on is recorded by a :class:`Trace` the walk feeds (:mod:`skillsync.selection`).
"""

# The reuse check runs on str paths with os.* calls: pathlib objects per folder cost measurably here.
# ruff: noqa: PTH118

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
import unicodedata
from collections.abc import Callable
from typing import Any

from skillsync.config import SelectionConfig
from skillsync.selection import BUILTIN_PATTERNS, DEFAULT_DENY_PATTERNS, VENV_MARKER
from skillsync.statcache import StatCache
from skillsync.workspace import Skill, Workspace


class Trace:
    """What one walk depended on, so a later walk can be skipped when none of it changed.

    ``deps`` maps the workspace-relative path of every folder the walk listed or looked into for
    ignore files, and of every ignore file it read, to its stamp (taken before reading it).
    A walk that met a symlink is never reused: a link's target can change without any of these.
    """

    def __init__(self, cache: StatCache, root: str) -> None:
        self.cache = cache
        self.root = root
        self.deps: dict[str, list[int] | None] = {}
        self.links = False

    def add(self, ws_rel: str) -> None:
        if ws_rel not in self.deps:
            path = os.path.join(self.root, ws_rel) if ws_rel else self.root
            self.deps[ws_rel] = self.cache.stamp(path)


def select_cached(
    ws: Workspace,
    skill: Skill,
    cache: StatCache,
    base: str,
    walk: Callable[[Trace], list[tuple[str, str]]],
) -> list[tuple[str, str]]:
    """The stored file list of ``skill`` when still valid, else ``walk``'s (recorded for next time)."""
    ws.forget_listings()  # not used here (see selection._walk); do not hold them for the rest of the run
    key = _skill_key(skill)
    config = _config_key(ws, skill)
    root = str(ws.root)
    hit = _reuse(cache, cache.listing(key), config, root)
    if hit is not None:
        sep = base if base.endswith(os.sep) else base + os.sep  # os.path.join, minus its cost per file
        return [(rel, sep + rel) for rel in hit]
    trace = Trace(cache, root)
    found = walk(trace)
    fence = cache.fence
    fresh = (
        fence is not None
        and not trace.links
        and all(v is not None and v[0] < fence and v[1] < fence for v in trace.deps.values())
    )
    record = {"config": config, "deps": trace.deps, "files": [rel for rel, _ in found]} if fresh else None
    cache.record_listing(key, record)
    return found


# Bump when the walk's rules change in a way the inputs below do not show.
_LISTING_VERSION = 1


def _skill_key(skill: Skill) -> str:
    return "" if skill.rel in (".", "") else skill.rel


def _config_key(ws: Workspace, skill: Skill) -> str:
    """Everything besides the file system that a walk's result depends on, hashed."""
    # The git top level decides which .gitignore files above the workspace apply: a `git init`
    # above it (which changes no folder the walk listed) must not reuse a listing made without one.
    top = ws.git_top()
    git_top = str(top) if top else None
    return _hash_config(str(ws.root), git_top, str(skill.path), skill.rel, ws.config.selection)


@functools.lru_cache(maxsize=4096)
def _hash_config(
    root: str, git_top: str | None, skill_path: str, skill_rel: str, sel: SelectionConfig
) -> str:
    text = json.dumps(
        [
            _LISTING_VERSION,
            root,
            git_top,
            skill_path,
            skill_rel,
            sel.gitignore,
            list(sel.exclude),
            list(sel.allow),
            BUILTIN_PATTERNS,
            DEFAULT_DENY_PATTERNS,
            VENV_MARKER,
            sys.version_info[:2],  # name checks use this Python's Unicode tables
            unicodedata.unidata_version,
        ]
    )
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def _reuse(cache: StatCache, stored: Any, config: str, root: str) -> list[str] | None:
    """The stored file list if ``stored`` is well-formed and nothing it depended on changed."""
    if type(stored) is not dict or stored.get("config") != config:
        return None
    deps, files = stored.get("deps"), stored.get("files")
    if type(deps) is not dict or type(files) is not list or not deps:
        return None
    written = cache.written_ns
    for rel, recorded in deps.items():
        if type(recorded) is not list or len(recorded) != 4:
            return None
        path = os.path.join(root, rel) if rel else root
        if cache.stamp(path) != recorded:
            return None
        # git's racy rule against the cache file's write time, a second guard behind the fence
        if not (recorded[0] < written and recorded[1] < written):
            return None
    for rel in files:
        if type(rel) is not str:
            return None
    return files
