"""The git top level above a folder, found the way git does without running it.

Used where paths must match the repository rather than the workspace: CI annotations and SARIF
(GitHub places them relative to the checkout), ignore files (git reads every ``.gitignore`` from
the top level down) and where ``init`` puts ``.pre-commit-config.yaml`` (pre-commit reads it only
there). No subprocess: a ``.git`` folder or file (worktrees, submodules) marks the top level.
Not cached: a repository can appear while a process runs (``watch``, tests).
"""

from __future__ import annotations

import os
from pathlib import Path


def _top(folder: str) -> str | None:
    current = folder
    while True:
        if os.path.exists(os.path.join(current, ".git")):  # noqa: PTH110, PTH118 - hot path, plain strings
            return current
        parent = os.path.dirname(current)  # noqa: PTH120
        if parent == current:
            return None
        current = parent


def git_toplevel(folder: Path | str) -> Path | None:
    """The folder holding ``.git`` at or above ``folder`` (absolute, links kept), or None."""
    found = _top(os.path.abspath(folder))  # noqa: PTH100 - keep the user's path, links and all
    return Path(found) if found is not None else None

