"""Render a validation :class:`~skillsync.validate.Report` as text, JSON, GitHub annotations or SARIF.

Every renderer returns a string (no click here). Messages never contain secrets: the rules
never put them in a finding, so no renderer has to scrub.
"""

from __future__ import annotations

import json
from typing import Any

from skillsync import __version__
from skillsync.output import json_document
from skillsync.rules import RULES, RuleInfo
from skillsync.rules.targets import MEMBERSHIP
from skillsync.validate import Report

FORMATS = ("text", "json", "github", "sarif")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_COLOURS = {"error": "31", "warning": "33", "info": "36"}


def render(report: Report, fmt: str, *, colour: bool = False) -> str:
    if fmt == "json":
        return json_document(as_dict(report))
    if fmt == "github":
        return github(report)
    if fmt == "sarif":
        return json.dumps(sarif(report), indent=2, ensure_ascii=False)
    return text(report, colour=colour)


def as_dict(report: Report) -> dict[str, Any]:
    return {
        "skills": [
            {
                "slug": r.skill.slug,
                "path": r.skill.rel,
                "findings": [
                    {
                        "rule": f.rule,
                        "severity": f.severity,
                        "path": f.path,
                        "line": f.line,
                        "message": f.message,
                        "hint": f.hint,
                        "targets": list(f.targets),
                    }
                    for f in r.findings
                ],
            }
            for r in report.skills
        ],
        "summary": report.summary(),
    }


def _paint(word: str, severity: str, colour: bool) -> str:
    return f"\x1b[{_COLOURS[severity]}m{word}\x1b[0m" if colour else word


def text(report: Report, *, colour: bool = False) -> str:
    out: list[str] = []
    for r in report.skills:
        if not r.findings:
            out.append(f"{r.skill.slug} ({r.skill.rel}): ok")
            continue
        out.append(f"{r.skill.slug} ({r.skill.rel}):")
        for f in r.findings:
            where = f"{f.path}:{f.line}" if f.line is not None else f.path
            out.append(f"  {where}: {_paint(f.severity, f.severity, colour)}: {f.message} [{f.rule}]")
            if f.hint:
                out.append(f"    hint: {f.hint}")
    s = report.summary()
    out.append(
        f"{s['skills']} skill{'s' if s['skills'] != 1 else ''} checked: "
        f"{s['errors']} error{'s' if s['errors'] != 1 else ''}, "
        f"{s['warnings']} warning{'s' if s['warnings'] != 1 else ''}, {s['infos']} info"
    )
    return "\n".join(out)


def _gh_escape(value: str, prop: bool) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def github(report: Report) -> str:
    """GitHub Actions workflow commands: ``::error file=...,line=...::message``."""
    kinds = {"error": "error", "warning": "warning", "info": "notice"}
    out: list[str] = []
    for r in report.skills:
        for f in r.findings:
            props = [f"file={_gh_escape(f.path, True)}"]
            if f.line is not None:
                props.append(f"line={f.line}")
            props.append(f"title={_gh_escape(f.rule, True)}")
            msg = f.message + (f" ({f.hint})" if f.hint else "")
            out.append(f"::{kinds[f.severity]} {','.join(props)}::{_gh_escape(msg, False)}")
    return "\n".join(out)


def sarif(report: Report) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run; rule metadata from the registry."""
    levels = {"error": "error", "warning": "warning", "info": "note"}
    rules = list(RULES.values())
    index = {r.id: n for n, r in enumerate(rules)}
    own = sorted({f.rule for r in report.skills for f in r.findings if f.rule not in index})
    for rid in own:  # organization policies (policy.*) from the workspace's config
        index[rid] = len(rules)
        rules.append(RuleInfo(rid, "error", "an organization policy ([[validate.policy]] in skillsync.toml)"))
    results: list[dict[str, Any]] = []
    for r in report.skills:
        for f in r.findings:
            location: dict[str, Any] = {"artifactLocation": {"uri": f.path, "uriBaseId": "WORKSPACE"}}
            if f.line is not None:
                location["region"] = {"startLine": f.line}
            msg = f.message + (f" ({f.hint})" if f.hint else "")
            results.append(
                {
                    "ruleId": f.rule,
                    "ruleIndex": index[f.rule],
                    "level": levels[f.severity],
                    "message": {"text": msg},
                    "locations": [{"physicalLocation": location}],
                    "properties": {"targets": list(f.targets)},
                }
            )
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "skillsync",
                        "version": __version__,
                        "rules": [
                            {
                                "id": r.id,
                                "shortDescription": {"text": r.summary},
                                "defaultConfiguration": {"level": levels[r.severity]},
                                "properties": {"targets": list(MEMBERSHIP.get(r.id, ()))},
                            }
                            for r in rules
                        ],
                    }
                },
                "results": results,
            }
        ],
    }
