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


def _target_names(raw: str | None, option: str) -> tuple[str, ...] | None:
    if raw is None:
        return None
    from skillsync.rules.targets import parse_names

    try:
        return parse_names(raw, option)
    except ValueError as exc:
        raise UsageError(str(exc), hint="`skillsync rules --target NAME` lists a target's rules") from None


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
@click.option(
    "--target",
    "target",
    metavar="NAME[,NAME...]",
    default=None,
    help="Hosts to check for (default: validate.targets, agentskills,seren): agentskills, seren, "
    "claude-code, claude-api, claude-ai.",
)
@click.option(
    "--write-baseline",
    is_flag=True,
    help="Record every current finding as a waiver in the baseline file (validate.baseline, "
    "skillsync-baseline.toml) and exit 0: adopt rules now, fix what exists later.",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Check every skill afresh: neither use nor write the validation cache (also "
    "SKILLSYNC_NO_CACHE=1).",
)
@json_option
def validate_command(
    paths: tuple[str, ...],
    fmt: str | None,
    strict: bool,
    target: str | None,
    write_baseline: bool,
    no_cache: bool,
    as_json: bool,
) -> int:
    """Check skills before anything leaves the machine.

    PATH may be a workspace folder, a skill folder, or files inside skills (as pre-commit passes
    them): each file maps to its skill and each skill is checked once; files outside every
    skill are ignored. With no PATH, every skill of the workspace is checked.

    Rules and their ids: `skillsync rules`. Change a severity or turn a rule off under
    [validate.rules] in skillsync.toml; allow-list one finding with a `skillsync: allow RULE`
    comment on its line. Exit 1 when an error is found (--strict: or a warning), 0 otherwise.

    A skill whose files, config, waivers and skillsync itself are unchanged since the last run
    gets that run's findings from the validation cache without its files being read (in
    .skillsync/ of a workspace, else under $XDG_CACHE_HOME/skillsync/; docs/validate.md).
    """
    from skillsync import reporters
    from skillsync.validate import Report, check_skills
    from skillsync.validate_cache import disabled_by_env

    if as_json and fmt not in (None, "json"):
        raise UsageError(f"--json conflicts with --format {fmt}", hint="give one of them")
    fmt = "json" if as_json else (fmt or "text")
    selected = _target_names(target, "--target")
    app = state()
    reports: list[Any] = []
    if write_baseline:
        if paths:
            raise UsageError(
                "--write-baseline records the whole workspace", hint="run it without PATH arguments"
            )
        return _write_baseline(app, paths, selected, as_json)
    cache = not (no_cache or disabled_by_env())
    for ws, skills in _targets(app, paths):
        reports.extend(check_skills(ws, skills, targets=selected, cache=cache).skills)
    report = Report(reports)
    out = reporters.render(report, fmt, colour=fmt == "text" and is_tty())
    if out:
        click.echo(out)
    return 1 if report.failed(strict) else 0


def _write_baseline(
    app: AppState, paths: tuple[str, ...], selected: tuple[str, ...] | None, as_json: bool
) -> int:
    import datetime as dt

    from skillsync.rules import waivers
    from skillsync.validate import check_skills

    rows = []
    for ws, skills in _targets(app, paths):
        report = check_skills(ws, skills, targets=selected, baseline=False)
        found = [f for r in report.skills for f in r.findings]
        rel = ws.config.validate_.baseline
        n = waivers.write_baseline(ws.root, rel, found, dt.date.today())
        rows.append({"baseline": str(ws.root / rel), "waivers": n, "findings": len(found)})
        if not as_json:
            echo_err(f"wrote {n} waivers for {len(found)} findings to {ws.root / rel}")
    if as_json:
        emit_json({"baselines": rows})
    return 0


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
@click.option(
    "--target",
    "target",
    metavar="NAME",
    default=None,
    help="Only the rules of one host (agentskills, seren, claude-code, claude-api, claude-ai), "
    "with its source, the date it was checked and its limits.",
)
@json_option
def rules_command(target: str | None, as_json: bool) -> int:
    """List every validation rule: id, default severity, what it checks (docs/rules.md)."""
    from skillsync.rules import RULES
    from skillsync.rules.limits import for_target
    from skillsync.rules.targets import MEMBERSHIP, TARGETS

    names = _target_names(target, "--target")
    if names is not None and len(names) != 1:
        raise UsageError(
            "--target takes one name here", hint="run `skillsync rules --target NAME` per target"
        )
    chosen = TARGETS[names[0]] if names else None
    rules = [r for r in RULES.values() if chosen is None or r.id in chosen.rules]
    if as_json:
        doc: dict[str, Any] = {
            "rules": [
                {
                    "id": r.id,
                    "severity": r.severity,
                    "description": r.summary,
                    "fixable": r.fixable,
                    "targets": list(MEMBERSHIP.get(r.id, ())),
                }
                for r in rules
            ]
        }
        if chosen is not None:
            doc["target"] = {
                "name": chosen.name,
                "title": chosen.title,
                "source": chosen.source,
                "checked": chosen.checked,
                "fields": list(chosen.fields) if chosen.fields is not None else None,
                "limits": [
                    {"key": h.key, "value": h.value, "unit": h.unit, "source": h.source, "checked": h.checked}
                    for h in for_target(chosen.name)
                ],
            }
        emit_json(doc)
        return 0
    if chosen is not None:
        click.echo(f"{chosen.name}: {chosen.title}")
        click.echo(f"source: {chosen.source} (checked {chosen.checked})")
        if chosen.fields is not None:
            click.echo(f"frontmatter keys: {', '.join(chosen.fields)}")
        for h in for_target(chosen.name):
            click.echo(f"limit {h.key} = {h.value} {h.unit} ({h.source}, checked {h.checked})")
        click.echo("")
    width = max(len(r.id) for r in rules)
    for r in rules:
        click.echo(f"{r.id:<{width}}  {r.severity:<7}  {r.summary}")
    return 0
