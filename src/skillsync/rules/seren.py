"""seren.*: what the Seren API accepts (root SKILL.md, path syntax, slug, limits, display name)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from skillsync.rules import Finding
from skillsync.rules.context import SkillContext
from skillsync.text import CONTROL as _CONTROL
from skillsync.text import printable
from skillsync.workspace import SKILL_FILE, SLUG_SOFT_MAX, slug_problem

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")


def path_problem(rel: str) -> str | None:
    """Why ``rel`` is not a relative path the API accepts, or None."""
    if rel.startswith("/"):
        return "starts with '/'"
    if "\\" in rel:
        return "contains a backslash"
    if _CONTROL.search(rel):
        return "contains a control character"
    segments = rel.split("/")
    if any(s == "" for s in segments):
        return "has an empty segment ('//' or a trailing '/')"
    if any(s in (".", "..") for s in segments):
        return "has a '.' or '..' segment"
    return None


def display_name(body: str) -> str | None:
    """The first '# ' heading of a Markdown body outside code fences (Seren's display name)."""
    fenced = False
    for line in body.split("\n"):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced and line.startswith("# ") and line[2:].strip():
            return line[2:].strip()
    return None


def check(ctx: SkillContext) -> Iterator[Finding]:
    limits = ctx.ws.config.validate_.limits
    rels = [f.rel for f in ctx.files]
    if SKILL_FILE not in rels:
        yield Finding(
            "seren.root-file",
            SKILL_FILE,
            None,
            "no root file named exactly SKILL.md ships with this skill",
            "check that SKILL.md is not excluded (`skillsync why SKILL.md`) and is spelled in capitals",
        )
    for rel in rels:
        why = path_problem(rel)
        if why:
            yield Finding(
                "seren.path-invalid",
                printable(rel),
                None,
                f"file path {why}",
                "rename the file, or exclude it in .skillignore",
            )
    problem = slug_problem(ctx.skill.slug)
    if problem:
        yield Finding(
            "seren.slug-invalid",
            SKILL_FILE,
            None,
            f"slug '{ctx.skill.slug}': {problem}",
            "rename the folder or set workspace.slugs in skillsync.toml",
        )
    elif len(ctx.skill.slug) > SLUG_SOFT_MAX:
        yield Finding(
            "seren.slug-long",
            SKILL_FILE,
            None,
            f"slug '{ctx.skill.slug}' has {len(ctx.skill.slug)} characters (over {SLUG_SOFT_MAX})",
            "a shorter folder name, or workspace.slugs in skillsync.toml",
        )
    total = 0
    for f in ctx.files:
        total += f.size
        if f.size > limits.max_file_bytes:
            yield Finding(
                "seren.file-too-large",
                f.rel,
                None,
                f"file has {f.size} bytes (limit {limits.max_file_bytes})",
                "shrink it, or exclude it in .skillignore",
            )
    if total > limits.max_total_bytes:
        yield Finding(
            "seren.total-too-large",
            SKILL_FILE,
            None,
            f"the skill ships {total} bytes (limit {limits.max_total_bytes})",
            "exclude large files (`skillsync ls` shows sizes)",
        )
    if len(ctx.files) > limits.max_files:
        yield Finding(
            "seren.too-many-files",
            SKILL_FILE,
            None,
            f"the skill ships {len(ctx.files)} files (limit {limits.max_files})",
            "exclude files in .skillignore, or bundle them into an archive",
        )
    md = ctx.skill_md
    if md is not None and md.has_frontmatter and display_name(md.body) is None:
        yield Finding(
            "seren.display-name",
            SKILL_FILE,
            md.body_line,
            "the body has no '# ' heading, so Seren shows no display name",
            "add a first-level heading such as '# PDF report' after the frontmatter",
        )
