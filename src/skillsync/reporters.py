"""Render a validation :class:`~skillsync.validate.Report` as text, JSON, GitHub annotations or SARIF.

Every renderer returns a string (no click here). Messages never contain secrets: the rules
never put them in a finding, so no renderer has to scrub. Text and JSON name files relative to
the workspace; the CI formats (GitHub annotations, SARIF) relative to the git top level (the
workspace root outside git), because that is what CI systems resolve against the checkout.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from skillsync import __version__
from skillsync.gittop import git_toplevel
from skillsync.output import json_document
from skillsync.rules import RULES, RuleInfo
from skillsync.validate import Report, SkillReport

FORMATS = ("text", "json", "github", "sarif")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_BASE_ID = "SRCROOT"
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


def workspace_root(skill_report: SkillReport) -> Path:
    """The workspace root of a reported skill (its folder minus its workspace-relative path)."""
    skill = skill_report.skill
    depth = 0 if skill.rel == "." else skill.rel.count("/") + 1
    return skill.path.parents[depth - 1] if depth else skill.path


def ci_base(report: Report) -> Path | None:
    """The folder CI paths are relative to: the git top level of the first skill, else its workspace."""
    if not report.skills:
        return None
    root = workspace_root(report.skills[0])
    return git_toplevel(root) or root


class _CiPaths:
    """Finding paths (workspace-relative) re-based on :func:`ci_base`; None outside it."""

    def __init__(self, report: Report) -> None:
        self.base = ci_base(report)

    def __call__(self, skill_report: SkillReport, ws_path: str) -> str | None:
        full = os.path.join(workspace_root(skill_report), ws_path)  # noqa: PTH118
        if self.base is None:
            return ws_path
        rel = os.path.relpath(full, self.base)
        return None if rel == ".." or rel.startswith("../") else Path(rel).as_posix()


def github(report: Report) -> str:
    """GitHub Actions workflow commands: ``::error file=...,line=...::message``, paths from the top level."""
    kinds = {"error": "error", "warning": "warning", "info": "notice"}
    ci_path = _CiPaths(report)
    out: list[str] = []
    for r in report.skills:
        for f in r.findings:
            where = ci_path(r, f.path) or os.path.join(workspace_root(r), f.path)  # noqa: PTH118
            props = [f"file={_gh_escape(where, True)}"]
            if f.line is not None:
                props.append(f"line={f.line}")
            props.append(f"title={_gh_escape(f.rule, True)}")
            msg = f.message + (f" ({f.hint})" if f.hint else "")
            out.append(f"::{kinds[f.severity]} {','.join(props)}::{_gh_escape(msg, False)}")
    return "\n".join(out)


def _file_uri(path: Path | str, folder: bool = False) -> str:
    uri = Path(os.path.abspath(path)).as_uri()  # noqa: PTH100 - percent-encoded, links kept
    return uri + "/" if folder and not uri.endswith("/") else uri


def sarif(report: Report) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run; rule metadata from the registry.

    Result URIs are percent-encoded and relative to the ``SRCROOT`` base, defined in
    ``originalUriBaseIds`` as the git top level (the workspace root outside git); a file outside
    it (a second repository) gets an absolute ``file:`` URI.
    """
    from skillsync.rules.targets import MEMBERSHIP  # the rule modules: only for SARIF

    levels = {"error": "error", "warning": "warning", "info": "note"}
    rules = list(RULES.values())
    index = {r.id: n for n, r in enumerate(rules)}
    own = sorted({f.rule for r in report.skills for f in r.findings if f.rule not in index})
    for rid in own:  # organization policies (policy.*) from the workspace's config
        index[rid] = len(rules)
        rules.append(RuleInfo(rid, "error", "an organization policy ([[validate.policy]] in skillsync.toml)"))
    ci_path = _CiPaths(report)
    results: list[dict[str, Any]] = []
    for r in report.skills:
        for f in r.findings:
            rel = ci_path(r, f.path)
            artifact = (
                {"uri": quote(rel, safe="/"), "uriBaseId": SARIF_BASE_ID}
                if rel is not None
                else {"uri": _file_uri(os.path.join(workspace_root(r), f.path))}  # noqa: PTH118
            )
            location: dict[str, Any] = {"artifactLocation": artifact}
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
                **({"originalUriBaseIds": _base_ids(ci_path.base)} if ci_path.base is not None else {}),
                "results": results,
            }
        ],
    }


def _base_ids(base: Path) -> dict[str, Any]:
    what = "git top level" if git_toplevel(base) == base else "workspace root"
    return {SARIF_BASE_ID: {"uri": _file_uri(base, folder=True), "description": {"text": f"the {what}"}}}
