"""``skillsync why PATH``: does this file ship, and which rule decided."""

from __future__ import annotations

import os
from pathlib import Path

import click

from skillsync.cli.common import emit_json, json_option, state
from skillsync.commands.why import why
from skillsync.selection import Rule


def _where(rule: Rule) -> str:
    if rule.line is not None:
        return f"{rule.source}:{rule.line}: {rule.pattern}"
    return f"{rule.source}: {rule.pattern}"


@click.command("why")
@click.argument("path", type=click.Path(path_type=Path))
@json_option
def why_command(path: Path, as_json: bool) -> int:
    """Say whether PATH ships with its skill, and the rule that decided.

    PATH is a file (or folder) inside a skill folder, relative to the current folder or absolute.
    Rules come from built-in excludes, .gitignore and .skillignore files, selection.exclude and
    selection.allow in skillsync.toml, and the default-deny of likely secrets (.env, *.pem, ...).
    Exit 0 either way; exit 2 when PATH is not inside a skill.
    """
    app = state()
    base = app.directory if app.directory is not None else Path.cwd()
    target = Path(os.path.abspath(base / path))  # noqa: PTH100 (keep symlinks: `why` judges the link)
    res = why(app.workspace(), target, shown=str(path))
    if as_json:
        emit_json(res.to_json())
        return 0
    verdict = "shipped" if res.shipped else "not shipped"
    if res.rule is None:
        click.echo(f"{res.shown}: {verdict} (no rule matched; files ship by default)")
    else:
        click.echo(f"{res.shown}: {verdict} ({_where(res.rule)})")
        if res.rule.source == "default-deny":
            click.echo("  likely secret; to ship it anyway, list it in selection.allow in skillsync.toml")
    return 0
