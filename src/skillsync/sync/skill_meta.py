"""The display name and description a push sends with a skill, read from its SKILL.md.

display_name: the first ``# `` heading of the body (else the frontmatter ``name``, else the slug);
description: the frontmatter ``description``. Both are read by the same parser and heading rule as
the validator (:mod:`skillsync.skillmd`, ``seren.display-name``), so values stay strings
(``description: yes`` is the text "yes"). Read errors are left to validation; here a broken SKILL.md
simply yields the fallbacks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from skillsync import skillmd
from skillsync.rules.seren import display_name
from skillsync.workspace import Skill


@dataclass(frozen=True)
class SkillMeta:
    display_name: str
    description: str | None


def parse_meta(text: str, slug: str) -> SkillMeta:
    md = skillmd.parse(text)
    data = md.data
    name, description = data.get("name"), data.get("description")
    display = display_name(md.body) or (name if isinstance(name, str) and name.strip() else slug)
    return SkillMeta(
        display_name=display.strip(),
        description=description.strip() if isinstance(description, str) else None,
    )


def read_meta(skill: Skill, data: bytes | None = None) -> SkillMeta:
    """The meta of ``skill``; ``data``: its SKILL.md bytes when the caller already read them."""
    if data is None:
        try:
            data = Path(skill.skill_md).read_bytes()
        except OSError:
            return SkillMeta(display_name=skill.slug, description=None)
    text = data.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    return parse_meta(text, skill.slug)  # newlines translated as read_text did
