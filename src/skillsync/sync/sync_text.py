"""Text output of ``status`` and ``push`` (no click): rows fitted to the terminal, one summary line.

Kept out of the click commands so any front end renders the same text; ``--json`` shapes live with
the result types (``to_json``), these only decide how a person reads them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from skillsync.textfit import truncate_middle

if TYPE_CHECKING:
    from skillsync.sync.push import PushItem
    from skillsync.sync.status import SkillStatus

STATE_WIDTH = 12
MIN_PATH_WIDTH = 10  # "ab...yz/sk" still tells folders apart
PUSH_COUNTS = ("created", "updated", "unchanged", "blocked", "failed")


def _where(s: SkillStatus) -> str:
    r = s.remote
    if r is None or r.latest_number is None:
        return ""
    where = f"latest r{r.latest_number} ({r.publication})"
    if r.published_number is not None and r.published_number != r.latest_number:
        where += f", published r{r.published_number}"
    return where


def status_lines(statuses: Sequence[SkillStatus], columns: int | None = None) -> list[str]:
    """One aligned row per skill: state, slug, folder, remote revision. With ``columns``, folder
    paths are cut in the middle so rows fit (down to a readable minimum; slugs are never cut)."""
    slug_w = max((len(s.slug) for s in statuses), default=0)
    wheres = [_where(s) for s in statuses]
    path_w = max((len(s.skill.rel) for s in statuses), default=0)
    if columns is not None:
        used = STATE_WIDTH + 1 + slug_w + 2 + 1 + max((len(w) for w in wheres), default=0)
        path_w = min(path_w, max(MIN_PATH_WIDTH, columns - used))
    out = []
    for s, where in zip(statuses, wheres, strict=True):
        rel = truncate_middle(s.skill.rel, path_w)
        out.append(f"{s.state:<{STATE_WIDTH}} {s.slug:<{slug_w}}  {rel:<{path_w}} {where}".rstrip())
    return out


def push_counts(items: Sequence[PushItem]) -> dict[str, int]:
    """How a push went, per skill: created, updated (new revision, publish or metadata), unchanged,
    blocked (validation errors, or refused: conflict, archived, stale plan), failed, and skipped
    (the remote is ahead: pull first). Skills not attempted (a dry run) are not counted."""
    counts = dict.fromkeys((*PUSH_COUNTS, "skipped"), 0)
    for item in items:
        action = item.decision.action
        if item.result == "failed":
            counts["failed"] += 1
        elif item.result is None:  # not attempted (declined, dry run)
            continue
        elif item.result == "refused":  # planned an upload, refused at apply time (conflict, stale plan)
            counts["blocked"] += 1
        elif action == "create":
            counts["created"] += 1
        elif action in ("revision", "publish", "update"):
            counts["updated"] += 1
        elif action == "skip":
            counts["unchanged" if item.status.state == "unchanged" else "skipped"] += 1
        else:
            counts["blocked"] += 1
    return counts


def push_summary(items: Sequence[PushItem]) -> str:
    """``push: 1 created, 2 updated, 5 unchanged, 0 blocked, 0 failed`` (+ skipped when any)."""
    counts = push_counts(items)
    line = "push: " + ", ".join(f"{counts[k]} {k}" for k in PUSH_COUNTS)
    if counts["skipped"]:
        line += f", {counts['skipped']} skipped (remote ahead: pull first)"
    return line
