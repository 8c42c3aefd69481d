"""Host limits that a host may change, one line each, with where it is written and when we looked.

Updating a limit is a one-line change here (value, source, date checked); tests/test_rules_targets.py
pins every value, so a change is deliberate. Rules read limits only through :func:`limit`.
"""

from __future__ import annotations

from typing import NamedTuple

CLAUDE_CODE_DOCS = "https://code.claude.com/docs/en/skills"
SKILLS_API_DOCS = "https://platform.claude.com/docs/en/build-with-claude/skills-guide"
CLAUDE_AI_HELP = "https://support.claude.com/en/articles/12512198-how-to-create-custom-skills"


class HostLimit(NamedTuple):  # not a dataclass: cheaper to define at start-up
    target: str
    key: str
    value: int
    unit: str
    source: str
    checked: str  # YYYY-MM-DD the source was last read
    note: str = ""


# target, key, value, unit, source, checked, note: one limit per line.
# fmt: off
LIMITS: tuple[HostLimit, ...] = (
    HostLimit("claude-code", "description_listing_chars", 250, "characters", CLAUDE_CODE_DOCS, "2026-11-30", "longer descriptions are cut in the skill listing"),  # noqa: E501
    HostLimit("claude-api", "upload_max_bytes", 8 * 1024 * 1024, "bytes", SKILLS_API_DOCS, "2026-11-30", "total upload size must be under 8MB"),  # noqa: E501
    HostLimit("claude-ai", "max_files", 200, "files", CLAUDE_AI_HELP, "2026-11-30", "zip upload in the app; figure from issue 16, not found on an Anthropic page by search"),  # noqa: E501
    HostLimit("claude-ai", "max_uncompressed_bytes", 30 * 1024 * 1024, "bytes", CLAUDE_AI_HELP, "2026-11-30", "zip upload, uncompressed; figure from issue 16, not found on an Anthropic page by search"),  # noqa: E501
)
# fmt: on


def limit(target: str, key: str) -> int:
    """The current value of one host limit (read at check time: seven rows, no index needed)."""
    for h in LIMITS:
        if h.target == target and h.key == key:
            return h.value
    raise KeyError(f"no host limit {target}.{key}")


def for_target(target: str) -> list[HostLimit]:
    return [h for h in LIMITS if h.target == target]
