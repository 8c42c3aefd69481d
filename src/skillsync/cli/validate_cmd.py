"""``skillsync validate``, ``skillsync fix`` and ``skillsync rules`` (thin: parse, call core, render)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from skillsync.cli.common import AppState, echo_err, emit_json, is_tty, json_option, state
from skillsync.errors import UsageError
from skillsync.workspace import Skill, Workspace


def _targets(app: AppState, paths: tuple[str, ...]) -> list[tuple[Workspace, list[Skill]]]:
    from skillsync.validate import skills_for_paths

    base = app.directory if app.directory is not None else Path.cwd()
    return skills_for_paths(app.workspace(), paths, base)


@click.command("validate")
@click.argument("paths", nargs=-1, metavar="[PATH]...")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github", "sarif"]),
    default=None,
    help="Output: text grouped by skill (the default), JSON, GitHub workflow annotations or SARIF 2.1.0.",
)
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too, not only on errors.")
@json_option
def validate_command(paths: tuple[str, ...], fmt: str | None, strict: bool, as_json: bool) -> int:
    """Check skills before anything leaves the machine.

    PATH may be a workspace folder, a skill folder, or files inside skills (as pre-commit passes
    them): each file maps to its skill and each skill is checked once; files outside every
    skill are ignored. With no PATH, every skill of the workspace is checked.

    Rules and their ids: `skillsync rules`. Change a severity or turn a rule off under
    [validate.rules] in skillsync.toml; allow-list one finding with a `skillsync: allow RULE`
    comment on its line. Exit 1 when an error is found (--strict: or a warning), 0 otherwise.
    """
    from skillsync import reporters
    from skillsync.validate import Report, check_skills

    if as_json and fmt not in (None, "json"):
        raise UsageError(f"--json conflicts with --format {fmt}", hint="give one of them")
    fmt = "json" if as_json else (fmt or "text")
    app = state()
    reports: list[Any] = []
    for ws, skills in _targets(app, paths):
        reports.extend(check_skills(ws, skills).skills)
    report = Report(reports)
    out = reporters.render(report, fmt, colour=fmt == "text" and is_tty())
    if out:
        click.echo(out)
    return 1 if report.failed(strict) else 0


@click.command("fix")
@click.argument("paths", nargs=-1, metavar="[PATH]...")
@click.option("--dry-run", is_flag=True, help="Print a unified diff of the changes; write nothing.")
@json_option
def fix_command(paths: tuple[str, ...], dry_run: bool, as_json: bool) -> int:
    """Quote frontmatter values that strict YAML parsers reject (rule spec.needs-quotes).

    Only that value changes (it becomes a '...' string); every other byte of SKILL.md, line
    endings included, stays as it was. PATH as for `skillsync validate`.
    """
    from skillsync import fix

    app = state()
    rows: list[dict[str, Any]] = []
    for ws, skills in _targets(app, paths):
        for skill in skills:
            result = fix.plan(skill)
            if result is None or (not result.fixed and not result.skipped):
                continue
            label = ws.relpath(result.path)
            diff = result.diff(label)
            if not dry_run:
                fix.apply(result)
            rows.append(
                {
                    "slug": skill.slug,
                    "path": label,
                    "fixed": [
                        {"rule": "spec.needs-quotes", "field": f.key, "line": f.line} for f in result.fixed
                    ],
                    "skipped": [
                        {"rule": "spec.needs-quotes", "field": f.key, "line": f.line, "reason": why}
                        for f, why in result.skipped
                    ],
                    "diff": diff,
                }
            )
    if as_json:
        emit_json({"dry_run": dry_run, "files": rows})
        return 0
    for row in rows:
        if dry_run:
            click.echo(row["diff"], nl=False)
        for f in row["fixed"]:
            verb = "would quote" if dry_run else "quoted"
            echo_err(f"{row['path']}:{f['line']}: {verb} the value of '{f['field']}'")
        for f in row["skipped"]:
            echo_err(f"{row['path']}:{f['line']}: not fixed: {f['reason']}")
    if not rows:
        echo_err("nothing to fix")
    return 0


@click.command("rules")
@json_option
def rules_command(as_json: bool) -> int:
    """List every validation rule: id, default severity, what it checks (docs/rules.md)."""
    from skillsync.rules import RULES

    if as_json:
        emit_json(
            {
                "rules": [
                    {"id": r.id, "severity": r.severity, "description": r.summary, "fixable": r.fixable}
                    for r in RULES.values()
                ]
            }
        )
        return 0
    width = max(len(r) for r in RULES)
    for r in RULES.values():
        click.echo(f"{r.id:<{width}}  {r.severity:<7}  {r.summary}")
    return 0
