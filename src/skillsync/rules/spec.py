"""spec.*: the Agent Skills format of SKILL.md (frontmatter fields and their values).

Verdicts agree with the reference validator (skills-ref) except the departures listed in
docs/rules.md, where we follow the specification.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

from skillsync import skillmd
from skillsync.rules import Finding
from skillsync.rules.context import SkillContext
from skillsync.workspace import SKILL_FILE

ALLOWED_FIELDS = ("name", "description", "license", "allowed-tools", "metadata", "compatibility")
MAX_NAME = 64
MAX_DESCRIPTION = 1024
MAX_COMPATIBILITY = 500

_HINTS = {
    skillmd.MISSING: "start SKILL.md with a '---' line, then name: and description:, then a '---' line",
    skillmd.UNCLOSED: "add a line with just '---' after the last frontmatter field",
    skillmd.TOO_LARGE: "close the frontmatter with '---'; keep long text in the body",
    skillmd.YAML: "fix the YAML at this line (indent with spaces, quote values with special characters)",
    skillmd.NEEDS_QUOTES: "quote the value ('...'), or write it as a folded block ('>-' and the text "
    "indented on the next lines); `skillsync fix` quotes it for you",
    skillmd.DUPLICATE: "keep one of the two keys",
    skillmd.ALIAS: "write the value out instead of using & and *",
    skillmd.TAG: "remove the !tag; values are plain strings",
    skillmd.VALUE: "quote the value ('...') so it stays text; YAML reads it as a date or an integer",
    skillmd.FLOW: "use block style: one '- item' or 'key: value' per line, indented",
    skillmd.NOT_MAPPING: "write the frontmatter as 'key: value' lines",
}


def check(ctx: SkillContext) -> Iterator[Finding]:
    md = ctx.skill_md
    if md is None:
        return
    if md.bom:
        yield Finding(
            "spec.bom",
            SKILL_FILE,
            1,
            "SKILL.md starts with a UTF-8 byte order mark (some tools, skills-ref among them, reject it)",
            "save the file as UTF-8 without BOM",
        )
    for p in md.problems:
        yield Finding(f"spec.{p.kind}", SKILL_FILE, p.line, p.message, _HINTS.get(p.kind))
    if md.problems:
        return
    yield from _fields(ctx, md)


def _at(md: skillmd.SkillMd, key: str) -> int:
    f = md.fields.get(key)
    return f.line if f is not None else 2


def _fields(ctx: SkillContext, md: skillmd.SkillMd) -> Iterator[Finding]:
    data = md.data
    for key, f in md.fields.items():
        if key not in ALLOWED_FIELDS:  # every target that checks keys knows these
            yield from _unknown(ctx, key, f.line)
    yield from _name(ctx, md, data)
    yield from _description(md, data)
    if "compatibility" in data:
        value = data["compatibility"]
        line = _at(md, "compatibility")
        if not isinstance(value, str):
            yield Finding(
                "spec.compatibility-invalid",
                SKILL_FILE,
                line,
                "'compatibility' must be a string",
                "write it as one line of text",
            )
        elif not value.strip():
            yield Finding(
                "spec.compatibility-invalid",
                SKILL_FILE,
                line,
                "'compatibility' is empty",
                "describe the environment the skill needs, or remove the field",
            )
        elif len(value) > MAX_COMPATIBILITY:
            yield Finding(
                "spec.compatibility-invalid",
                SKILL_FILE,
                line,
                f"'compatibility' has {len(value)} characters (at most {MAX_COMPATIBILITY})",
                "shorten it",
            )
    if "metadata" in data:
        value = data["metadata"]
        bad = not isinstance(value, dict) or any(not isinstance(v, str) for v in value.values())
        if bad:
            yield Finding(
                "spec.metadata-invalid",
                SKILL_FILE,
                _at(md, "metadata"),
                "'metadata' must map strings to strings (no nested maps or lists)",
                "write one 'key: value' per line under metadata:, values as plain text",
            )
    lic = data.get("license")
    if lic is not None and not isinstance(lic, str):
        yield Finding(
            "spec.field-type",
            SKILL_FILE,
            _at(md, "license"),
            "'license' should be a string",
            "name the licence or point to a file, e.g. 'license: MIT'",
        )
    tools = data.get("allowed-tools")
    if tools is not None and not (
        isinstance(tools, str) or (isinstance(tools, list) and all(isinstance(t, str) for t in tools))
    ):
        yield Finding(
            "spec.field-type",
            SKILL_FILE,
            _at(md, "allowed-tools"),
            "'allowed-tools' should be a string or a list of strings",
            "write the tools space-separated: 'allowed-tools: Read Bash(git:*)'",
        )


def _unknown(ctx: SkillContext, key: str, line: int) -> Iterator[Finding]:
    """One finding for a key unknown to some selected targets, listing them (rules/targets.py)."""
    from skillsync.rules.targets import TARGETS, rejecting

    breaks = rejecting(ctx.targets, key)
    if breaks:
        known = TARGETS[breaks[0]].fields or ALLOWED_FIELDS
        yield Finding(
            "spec.unknown-field",
            SKILL_FILE,
            line,
            f"unknown top-level field '{key}'"
            + ("" if breaks == ("agentskills",) else f" ({', '.join(breaks)})"),
            "move it under 'metadata:' or remove it; allowed: " + ", ".join(known),
            targets=breaks,
        )


def _name(ctx: SkillContext, md: skillmd.SkillMd, data: dict[str, object]) -> Iterator[Finding]:
    if "name" not in data:
        yield Finding(
            "spec.name-missing",
            SKILL_FILE,
            2,
            "the frontmatter has no 'name'",
            f"add 'name: {ctx.skill.path.name}' (the folder name)",
        )
        return
    value = data["name"]
    line = _at(md, "name")
    if not isinstance(value, str) or not value.strip():
        yield Finding(
            "spec.name-invalid",
            SKILL_FILE,
            line,
            "'name' must be a non-empty string",
            f"set it to the folder name: 'name: {ctx.skill.path.name}'",
        )
        return
    name = unicodedata.normalize("NFKC", value.strip())
    problems = []
    if len(name) > MAX_NAME:
        problems.append(f"has {len(name)} characters (at most {MAX_NAME})")
    if name != name.lower():
        problems.append("must be lowercase")
    if name.startswith("-") or name.endswith("-"):
        problems.append("cannot start or end with a hyphen")
    if "--" in name:
        problems.append("cannot contain consecutive hyphens")
    if not all(c.isalnum() or c == "-" for c in name):
        problems.append("may hold only letters, digits and hyphens")
    if problems:
        yield Finding(
            "spec.name-invalid",
            SKILL_FILE,
            line,
            f"'name' {'; '.join(problems)}",
            "use lowercase letters, digits and single hyphens, e.g. 'pdf-report'",
        )
    folder = unicodedata.normalize("NFKC", ctx.skill.path.name)
    if folder != name:
        yield Finding(
            "spec.name-mismatch",
            SKILL_FILE,
            line,
            f"'name' is '{name}' but the skill folder is '{ctx.skill.path.name}'",
            "make them equal: rename the folder or change 'name'",
        )


def _description(md: skillmd.SkillMd, data: dict[str, object]) -> Iterator[Finding]:
    if "description" not in data:
        yield Finding(
            "spec.description-missing",
            SKILL_FILE,
            2,
            "the frontmatter has no 'description'",
            "add 'description:' saying what the skill does and when to use it",
        )
        return
    value = data["description"]
    line = _at(md, "description")
    if not isinstance(value, str) or not value.strip():
        yield Finding(
            "spec.description-invalid",
            SKILL_FILE,
            line,
            "'description' must be a non-empty string",
            "say what the skill does and when to use it",
        )
    elif len(value) > MAX_DESCRIPTION:
        yield Finding(
            "spec.description-invalid",
            SKILL_FILE,
            line,
            f"'description' has {len(value)} characters (at most {MAX_DESCRIPTION})",
            "shorten it; move details into the body",
        )
