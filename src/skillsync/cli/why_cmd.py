"""``skillsync why PATH``: does this file ship, and which rule decided."""

from __future__ import annotations

import os
from pathlib import Path

import click

from skillsync.cli.common import emit_json, json_option, state
from skillsync.errors import UsageError
from skillsync.selection import Rule, explain, printable


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
    ws = app.workspace()
    base = app.directory if app.directory is not None else Path.cwd()
    target = Path(os.path.abspath(base / path))  # noqa: PTH100 (keep symlinks: `why` judges the link)
    skill = ws.owner_of(target)
    if skill is None:
        # The workspace spelled another way: through a link, or $PWD after `cd` through one.
        # Only the part up to the workspace root is resolved; below it `why` still judges links.
        real_root = os.path.realpath(ws.root)
        for above in target.parents:
            if os.path.realpath(above) == real_root:
                target = ws.root / target.relative_to(above)
                skill = ws.owner_of(target)
                break
    if skill is None or target == skill.path:
        raise UsageError(
            f"{printable(str(path))}: not a path inside a skill folder",
            hint="give a file inside a folder that holds SKILL.md; `skillsync ls` lists them",
        )
    rel = target.relative_to(skill.path).as_posix()
    decision = explain(ws, skill, rel)
    rule = decision.rule
    if as_json:
        emit_json(
            {
                "path": decision.rel,
                "skill": skill.slug,
                "shipped": decision.shipped,
                "rule": None
                if rule is None
                else {"source": rule.source, "line": rule.line, "pattern": rule.pattern},
            }
        )
        return 0
    shown = printable(f"{skill.rel}/{decision.rel}" if skill.rel != "." else decision.rel)
    verdict = "shipped" if decision.shipped else "not shipped"
    if rule is None:
        click.echo(f"{shown}: {verdict} (no rule matched; files ship by default)")
    else:
        click.echo(f"{shown}: {verdict} ({_where(rule)})")
        if rule.source == "default-deny":
            click.echo("  likely secret; to ship it anyway, list it in selection.allow in skillsync.toml")
    return 0
