"""The display name and description a push sends with a skill, read from its SKILL.md.

display_name: the first ``# `` heading of the body (else the frontmatter ``name``, else the slug);
description: the frontmatter ``description``. Both are read by the same parser and heading rule as
the validator (:mod:`skillsync.skillmd`, ``seren.display-name``), so values stay strings
(``description: yes`` is the text "yes"). Read errors are left to validation; here a broken SKILL.md
simply yields the fallbacks.

The meta is a function of SKILL.md's bytes and the slug alone, so push keeps it in
``.skillsync/skill-meta.json`` (:class:`MetaCache`), keyed by slug and SKILL.md's sha256 as the
manifest hashed it: a no-op push reads and parses no SKILL.md (nor imports the YAML parser) for
skills whose SKILL.md is unchanged. A file of its own, not ``state.json``: ``status`` never needs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skillsync.cachefile import read_doc, write_doc
from skillsync.workspace import Skill

META_CACHE_FILE = "skill-meta.json"
META_CACHE_FORMAT = "skillsync-skill-meta"
# Bump when parse_meta's result for the same bytes changes: a cache of another version is ignored.
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


class MetaCache:
    """``{slug: [SKILL.md sha256, display_name, description]}`` in ``.skillsync/skill-meta.json``.

    A cache only: a missing, corrupt or foreign file is empty, and one that cannot be written is
    skipped (the next push parses SKILL.md again). Entries of skills not seen by a run are kept (a
    push of some skills leaves the others' entries alone).
    """

    def __init__(self, path: Path, entries: dict[str, list[Any]] | None = None) -> None:
        self.path = path
        self._entries: dict[str, list[Any]] = entries or {}
        self._dirty = False

    @classmethod
    def load(cls, state_dir: Path) -> MetaCache:
        path = state_dir / META_CACHE_FILE
        found = read_doc(path, META_CACHE_FORMAT, META_VERSION)
        if found is None or not isinstance(found[0].get("skills"), dict):
            return cls(path)
        doc = found[0]
        return cls(path, doc["skills"])

    def get(self, slug: str, sha256: str | None) -> SkillMeta | None:
        entry = self._entries.get(slug)
        if (
            sha256 is None
            or type(entry) is not list
            or len(entry) != 3
            or entry[0] != sha256
            or not isinstance(entry[1], str)
            or not (entry[2] is None or isinstance(entry[2], str))
        ):
            return None
        return SkillMeta(display_name=entry[1], description=entry[2])

    def put(self, slug: str, sha256: str, meta: SkillMeta) -> None:
        value = [sha256, meta.display_name, meta.description]
        if self._entries.get(slug) != value:
            self._entries[slug] = value
            self._dirty = True

    def save(self) -> None:
        if not self._dirty or not self.path.parent.is_dir():
            return
        if write_doc(self.path, META_CACHE_FORMAT, META_VERSION, {"skills": self._entries}):
            self._dirty = False
