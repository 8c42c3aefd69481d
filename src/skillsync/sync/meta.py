"""The display name and description a push sends with a skill, read from its SKILL.md.

display_name: the first ``# `` heading of the body (else the frontmatter ``name``, else the slug);
description: the frontmatter ``description``. Read errors are left to validation; here a broken
SKILL.md simply yields the fallbacks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from skillsync.workspace import Skill


@dataclass(frozen=True)
class SkillMeta:
    display_name: str
    description: str | None


def _split(text: str) -> tuple[dict[str, object], str]:
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return {}, text
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            try:
                data = yaml.safe_load("".join(lines[1:i]))
            except yaml.YAMLError:
                data = None
            return (data if isinstance(data, dict) else {}), "".join(lines[i + 1 :])
    return {}, text


def first_heading(body: str) -> str | None:
    in_fence = False
    for line in body.splitlines():
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        if not in_fence and line.startswith("# "):
            title = line[2:].strip().rstrip("#").strip()
            if title:
                return title
    return None


def parse_meta(text: str, slug: str) -> SkillMeta:
    front, body = _split(text)
    name = front.get("name")
    description = front.get("description")
    display = first_heading(body) or (name if isinstance(name, str) and name.strip() else slug)
    return SkillMeta(
        display_name=display.strip(),
        description=description.strip() if isinstance(description, str) else None,
    )


def read_meta(skill: Skill) -> SkillMeta:
    try:
        text = Path(skill.skill_md).read_text("utf-8", errors="replace")
    except OSError:
        return SkillMeta(display_name=skill.slug, description=None)
    return parse_meta(text, skill.slug)
