"""Validation targets: the hosts a skill goes to, as data over one set of rules.

A target is a documented rule set (which rule ids apply to that host), the top-level frontmatter
keys the host knows, and the host limits in :mod:`.limits`. A rule that belongs to some target runs
only when one of its targets is selected (``validate --target``, ``validate.targets``); its
findings list the selected targets they break. Rules of no target (``files.*``, ``security.*``,
``supply.*``, policies) always run and list no target. The checks below are the ones only some
hosts have; the shared ones live in :mod:`.spec` and :mod:`.seren`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import TYPE_CHECKING, NamedTuple

from skillsync.rules import RULES, Finding
from skillsync.rules.limits import CLAUDE_AI_HELP, CLAUDE_CODE_DOCS, SKILLS_API_DOCS, limit
from skillsync.workspace import SKILL_FILE

if TYPE_CHECKING:  # the SARIF reporter reads TARGETS/MEMBERSHIP without the rules' file model
    from skillsync.rules.context import SkillContext

SPEC_FIELDS = ("name", "description", "license", "allowed-tools", "metadata", "compatibility")
CLAUDE_CODE_FIELDS = (
    *SPEC_FIELDS,
    "when_to_use",
    "argument-hint",
    "disable-model-invocation",
    "user-invocable",
    "model",
    "effort",
    "context",
    "agent",
    "hooks",
    "paths",
    "shell",
)
# Frontmatter that does not parse breaks every host; the strictyaml-only refusals (aliases, tags,
# flow style) and skills-ref's folder-name match are the agentskills target's alone.
_PARSE = (
    "spec.frontmatter-unclosed",
    "spec.frontmatter-too-large",
    "spec.yaml-invalid",
    "spec.frontmatter-not-mapping",
)
_REQUIRED = ("spec.name-missing", "spec.name-invalid", "spec.description-missing", "spec.description-invalid")


class Target(NamedTuple):  # not a dataclass: cheaper to define at start-up
    name: str
    title: str
    source: str
    checked: str  # YYYY-MM-DD the source was last read
    rules: tuple[str, ...]
    fields: tuple[str, ...] | None  # top-level frontmatter keys the host knows; None: not checked


TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target(
            "agentskills",
            "the Agent Skills specification (verdicts agree with skills-ref)",
            "https://agentskills.io/specification",
            "2026-11-30",
            tuple(r for r in RULES if r.startswith("spec.")),
            SPEC_FIELDS,
        ),
        Target(
            "seren",
            "Seren's custom-skill API (slug, paths, registry limits)",
            "https://api.serendb.com (OpenAPI subset in the project)",
            "2026-11-30",
            tuple(r for r in RULES if r.startswith("seren.")),
            None,
        ),
        Target(
            "claude-code",
            "Claude Code: every field optional, the name defaults to the folder",
            CLAUDE_CODE_DOCS,
            "2026-11-30",
            (
                *_PARSE,
                "spec.name-invalid",
                "spec.unknown-field",
                "spec.field-type",
                "claude-code.description-listing",
                "claude-code.field-value",
            ),
            CLAUDE_CODE_FIELDS,
        ),
        Target(
            "claude-api",
            "the Claude Skills API (POST /v1/skills)",
            SKILLS_API_DOCS,
            "2026-11-30",
            (
                "spec.frontmatter-missing",
                *_PARSE,
                "spec.needs-quotes",
                *_REQUIRED,
                "claude-api.name-chars",
                "claude-api.reserved-word",
                "claude-api.xml-tag",
                "claude-api.upload-too-large",
            ),
            None,
        ),
        Target(
            "claude-ai",
            "a zip uploaded in the claude.ai app",
            CLAUDE_AI_HELP,
            "2026-11-30",
            (
                "spec.frontmatter-missing",
                *_PARSE,
                "spec.needs-quotes",
                *_REQUIRED,
                "spec.unknown-field",
                "claude-ai.too-many-files",
                "claude-ai.too-large",
                "claude-ai.skill-md-count",
            ),
            SPEC_FIELDS,
        ),
    )
}
DEFAULT_TARGETS: tuple[str, ...] = ("agentskills", "seren")
NAMES = tuple(TARGETS)

# rule id -> every target that includes it (rules of no target are absent)
MEMBERSHIP: dict[str, tuple[str, ...]] = {}
for _t in TARGETS.values():
    for _rid in _t.rules:
        MEMBERSHIP[_rid] = (*MEMBERSHIP.get(_rid, ()), _t.name)


def parse_names(raw: str | tuple[str, ...] | list[str], where: str) -> tuple[str, ...]:
    """Target names from ``a,b`` or a list, checked; ValueError names the unknown one."""
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    out: list[str] = []
    for item in items:
        name = item.strip()
        if not name:
            continue
        if name not in TARGETS:
            raise ValueError(f"{where}: no target '{name}' (known: {', '.join(NAMES)})")
        if name not in out:
            out.append(name)
    if not out:
        raise ValueError(f"{where}: name at least one target (known: {', '.join(NAMES)})")
    return tuple(out)


def breaks(rule: str, active: tuple[str, ...]) -> tuple[str, ...] | None:
    """The selected targets ``rule`` belongs to; None when it belongs to no target (always runs)."""
    owners = MEMBERSHIP.get(rule)
    if owners is None:
        return None
    return tuple(t for t in active if t in owners)


def rejecting(active: tuple[str, ...], key: str) -> tuple[str, ...]:
    """The selected targets that do not know the top-level frontmatter key ``key``."""
    out = []
    for name in active:
        fields = TARGETS[name].fields
        if fields is not None and key not in fields and "spec.unknown-field" in TARGETS[name].rules:
            out.append(name)
    return tuple(out)


_XML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9_.:-]*(?:\s[^<>\n]*)?/?>")
_RESERVED = ("anthropic", "claude")
_BOOLEAN = ("true", "false")
_EFFORT = ("low", "medium", "high", "max")
_CONTEXT = ("fork", "inline")


def check(ctx: SkillContext) -> Iterator[Finding]:
    active = ctx.targets
    if "claude-code" in active:
        yield from _claude_code(ctx)
    if "claude-api" in active:
        yield from _claude_api(ctx)
    if "claude-ai" in active:
        yield from _claude_ai(ctx)


def _field(ctx: SkillContext, key: str) -> tuple[object, int] | None:
    md = ctx.skill_md
    if md is None or md.problems or key not in md.fields:
        return None
    f = md.fields[key]
    return f.value, f.line


def _claude_code(ctx: SkillContext) -> Iterator[Finding]:
    cut = limit("claude-code", "description_listing_chars")
    desc = _field(ctx, "description")
    if desc is not None and isinstance(desc[0], str) and len(desc[0]) > cut:
        yield Finding(
            "claude-code.description-listing",
            SKILL_FILE,
            desc[1],
            f"'description' has {len(desc[0])} characters; Claude Code's skill listing shows the first {cut}",
            f"put what the skill does and when to use it in the first {cut} characters",
            severity="warning",
        )
    checks: tuple[tuple[str, tuple[str, ...]], ...] = (
        ("disable-model-invocation", _BOOLEAN),
        ("user-invocable", _BOOLEAN),
        ("effort", _EFFORT),
        ("context", _CONTEXT),
    )
    for key, allowed in checks:
        got = _field(ctx, key)
        if got is None:
            continue
        value, line = got
        if not isinstance(value, str) or value.strip().lower() not in allowed:
            yield Finding(
                "claude-code.field-value",
                SKILL_FILE,
                line,
                f"'{key}' must be one of {', '.join(allowed)}",
                f"write e.g. '{key}: {allowed[0]}'",
                severity="warning",
            )
    hooks = _field(ctx, "hooks")
    if hooks is not None and not isinstance(hooks[0], dict):
        yield Finding(
            "claude-code.field-value",
            SKILL_FILE,
            hooks[1],
            "'hooks' must be a mapping of hook events",
            "write one event per line under 'hooks:', as in settings.json",
            severity="warning",
        )


def _claude_api(ctx: SkillContext) -> Iterator[Finding]:
    name = _field(ctx, "name")
    if name is not None and isinstance(name[0], str):
        value = unicodedata.normalize("NFKC", name[0].strip())
        if not value.isascii():
            yield Finding(
                "claude-api.name-chars",
                SKILL_FILE,
                name[1],
                f"'name' '{value}' has characters outside a-z, 0-9 and '-' (the Skills API refuses them)",
                "spell the name with ASCII lowercase letters, digits and hyphens",
            )
        words = re.split(r"[^a-z0-9]+", value.lower())
        taken = [w for w in _RESERVED if w in words]
        if taken:
            yield Finding(
                "claude-api.reserved-word",
                SKILL_FILE,
                name[1],
                f"'name' contains the reserved word '{taken[0]}'",
                "choose a name without 'anthropic' or 'claude'",
            )
    for key in ("name", "description"):
        got = _field(ctx, key)
        if got is not None and isinstance(got[0], str) and "<" in got[0] and _XML_TAG.search(got[0]):
            yield Finding(
                "claude-api.xml-tag",
                SKILL_FILE,
                got[1],
                f"'{key}' contains an XML tag (the Skills API refuses them)",
                "write the text without <...> tags",
            )
    total = sum(f.size for f in ctx.files)
    cap = limit("claude-api", "upload_max_bytes")
    if total >= cap:
        yield Finding(
            "claude-api.upload-too-large",
            SKILL_FILE,
            None,
            f"the skill ships {total} bytes; the Skills API takes uploads under {cap}",
            "exclude large files (`skillsync ls` shows sizes)",
        )


def _claude_ai(ctx: SkillContext) -> Iterator[Finding]:
    most = limit("claude-ai", "max_files")
    if len(ctx.files) > most:
        yield Finding(
            "claude-ai.too-many-files",
            SKILL_FILE,
            None,
            f"the skill ships {len(ctx.files)} files; claude.ai takes at most {most}",
            "exclude files in .skillignore, or merge small references",
        )
    total = sum(f.size for f in ctx.files)
    cap = limit("claude-ai", "max_uncompressed_bytes")
    if total > cap:
        yield Finding(
            "claude-ai.too-large",
            SKILL_FILE,
            None,
            f"the skill ships {total} bytes uncompressed; claude.ai takes at most {cap}",
            "exclude large files (`skillsync ls` shows sizes)",
        )
    extra = [
        f.rel for f in ctx.files if f.rel != SKILL_FILE and f.rel.rsplit("/", 1)[-1].upper() == SKILL_FILE
    ]
    for rel in extra:
        yield Finding(
            "claude-ai.skill-md-count",
            rel,
            None,
            "a second SKILL.md ships inside the skill (claude.ai takes exactly one)",
            "rename it, or exclude it in .skillignore",
        )
    if SKILL_FILE not in ctx.by_rel and not extra:
        yield Finding(
            "claude-ai.skill-md-count",
            SKILL_FILE,
            None,
            "no SKILL.md ships with this skill (claude.ai takes exactly one)",
            "check that SKILL.md is not excluded (`skillsync why SKILL.md`)",
        )
