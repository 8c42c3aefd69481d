"""Human text helpers (no click): counts with the right plural, paths cut to fit a terminal."""

from __future__ import annotations

import os
import sys

ELLIPSIS = "..."


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 file``, ``2 files`` (``many`` for irregular plurals)."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


def truncate_middle(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters by replacing its middle with ``...``; the start and the
    end of a path (top folder, file name) are what tell paths apart."""
    if len(text) <= width:
        return text
    if width <= len(ELLIPSIS):
        return text[:width]
    keep = width - len(ELLIPSIS)
    head = keep // 2
    return text[:head] + ELLIPSIS + text[len(text) - (keep - head) :]


def terminal_columns() -> int | None:
    """The width to fit text output to: ``$COLUMNS`` when set, the terminal's width when stdout is a
    terminal, None when output goes to a pipe or file (never cut what a script reads)."""
    env = os.environ.get("COLUMNS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        if sys.stdout.isatty():
            return os.get_terminal_size(sys.stdout.fileno()).columns
    except (OSError, ValueError):
        pass
    return None
