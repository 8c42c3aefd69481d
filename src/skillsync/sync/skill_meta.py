"""The display name and description a push sends with a skill, read from its SKILL.md.

display_name: the first ``# `` heading of the body (else the frontmatter ``name``, else the slug);
description: the frontmatter ``description``. Both are read by the same parser and heading rule as
the validator (:mod:`skillsync.skillmd`, ``seren.display-name``), so values stay strings
(``description: yes`` is the text "yes"). Read errors are left to validation; here a broken SKILL.md
simply yields the fallbacks.

The meta is a function of SKILL.md's bytes and the slug alone, so push keeps it in the sync state
keyed by SKILL.md's sha256 (:attr:`skillsync.sync.state.SkillState.meta`): a no-op push reads and
parses no SKILL.md (nor imports the YAML parser) for skills whose SKILL.md is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from skillsync.workspace import Skill

# Bump when parse_meta's result for the same bytes changes: cached metas of another version are unused.
META_VERSION = 1


@dataclass(frozen=True)
class SkillMeta:
    display_name: str
    description: str | None


def parse_meta(text: str, slug: str) -> SkillMeta:
    from skillsync import skillmd  # lazy: PyYAML, needed only when the cached meta does not apply
    from skillsync.rules.seren import display_name

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
