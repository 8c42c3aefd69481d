"""Shared options and output helpers for commands."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from skillsync.output import json_document

if TYPE_CHECKING:  # loaded by the first workspace() call: `--version` and `--help` never need it
    from skillsync.workspace import Skill, Workspace

F = TypeVar("F", bound=Callable[..., Any])


class AppState:
    """Per-invocation state carried on the click context (``ctx.obj``)."""

    def __init__(self, directory: Path | None, debug: bool) -> None:
        self.directory = directory
        self.debug = debug
        self._workspace: Workspace | None = None
        _current[:] = [self]

    def workspace(self) -> Workspace:
        if self._workspace is None:
            from skillsync.workspace import open_workspace

            self._workspace = open_workspace(self.directory)
            self._workspace.on_skip = _say_skipped
        return self._workspace

    def skipped(self) -> int:
        """How many broken skills the command left out (each already named on stderr)."""
        return len(self._workspace.skipped) if self._workspace is not None else 0


_current: list[AppState] = []  # the invocation's state, for the exit code after the command


def current_state() -> AppState | None:
    return _current[-1] if _current else None


def reset_state() -> None:
    _current.clear()


def _say_skipped(skill: Skill) -> None:
    """One error line for a skill a command cannot handle; the others go on."""
    from skillsync.text import escape_controls

    p = skill.problem
    why = f"{p.message} ({p.hint})" if p is not None else "cannot be handled"
    click.echo(escape_controls(f"skillsync: error: skipped {skill.rel}: {why}"), err=True)


def state() -> AppState:
    ctx = click.get_current_context()
    obj = ctx.find_object(AppState)
    if obj is None:  # a command invoked on its own (tests of a single command)
        obj = AppState(None, False)
        ctx.obj = obj
    return obj


def _mark_json(_ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        _JSON_REQUESTED[0] = True
    return value


# Read by the error boundary in main.run(), which runs outside any click context.
_JSON_REQUESTED = [False]


def json_requested() -> bool:
    return _JSON_REQUESTED[0]


def reset_json_flag() -> None:
    _JSON_REQUESTED[0] = False


def _json_flag(help_text: str) -> Callable[[F], F]:
    return click.option(
        "--json", "as_json", is_flag=True, is_eager=True, callback=_mark_json, help=help_text
    )


def json_option(f: F) -> F:
    """``--json``: print one JSON document with ``format_version`` instead of text."""
    return _json_flag("Print one JSON document (with format_version) instead of text.")(f)


def json_lines_option(f: F) -> F:
    """``--json`` for a long-running command: JSON Lines, one object per event."""
    return _json_flag("Print JSON Lines instead of text: one object per event, each with format_version.")(f)


def emit_json(payload: dict[str, Any]) -> None:
    app = current_state()
    ws = app._workspace if app is not None else None
    if ws is not None and ws.skipped and "skipped" not in payload:
        # The broken skills the command left out (also one error line each on stderr).
        payload = {
            **payload,
            "skipped": [
                {"path": s.rel, "rule": s.problem.rule, "message": s.problem.message}
                for s in ws.skipped
                if s.problem is not None
            ],
        }
    click.echo(json_document(payload))


def echo_err(message: str) -> None:
    click.echo(message, err=True)


def is_tty() -> bool:
    return sys.stdout.isatty()
