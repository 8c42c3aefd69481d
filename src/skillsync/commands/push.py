"""``push``: upload the changed skills of a chosen set as new revisions (and publish them).

Watch mode calls :func:`push_async` with one skill at a time; the CLI with the skills named on its
command line (all of them when none are).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from skillsync.commands.events import PushEvents, RemoteOptions
from skillsync.commands.session import open_session, run
from skillsync.errors import ExitCode, SkillsyncError
from skillsync.sync.push import PushItem, PushPlan
from skillsync.sync.sync_text import push_counts
from skillsync.workspace import Skill, Workspace


@dataclass(frozen=True)
class PushOptions:
    publish: bool = False  # publish the new revision (or the latest one, if unchanged but a draft)
    dry_run: bool = False  # plan only: one list request, nothing sent
    jobs: int = 8  # skills pushed at once
    force: bool = False  # push over a conflict, a remote that is ahead or moved since diff
    remote: RemoteOptions = field(default_factory=RemoteOptions)


@dataclass(frozen=True)
class PushResult:
    remote: str
    organization: str
    dry_run: bool
    plan: PushPlan
    proceeded: bool  # False: the caller declined the plan at confirm()

    @property
    def items(self) -> list[PushItem]:
        return self.plan.items

    @property
    def exit_code(self) -> int:
        """The worst outcome: a failure's exit code, 1 for a declined, refused or blocked skill, or 0."""
        if not self.proceeded:
            return ExitCode.FINDINGS
        items = self.plan.items
        codes = [
            int(i.error.exit_code)
            for i in items
            if i.result == "failed" and isinstance(i.error, SkillsyncError)
        ]
        if codes:
            return max(codes)
        if any(i.result in ("refused", "blocked", "raced") for i in items):
            return ExitCode.FINDINGS
        return 0

    def to_json(self) -> dict[str, Any]:
        return {
            "remote": self.remote,
            "organization": self.organization,
            "dry_run": self.dry_run,
            "skills": [i.to_json() for i in self.plan.items],
            "summary": push_counts(self.plan.items),
        }


async def push_async(
    ws: Workspace, skills: Sequence[Skill], options: PushOptions, events: PushEvents | None = None
) -> PushResult:
    """Push ``skills`` (any subset of the workspace's, e.g. the one skill watch mode saw change).

    Under the state lock: validate and classify them, decide, then (unless a dry run, or declined
    at ``events.confirm``) create skills and revisions, publish, and save the state. Failures are
    per skill (``item.result``); :attr:`PushResult.exit_code` sums them up.
    """
    from skillsync.sync.push import apply_push, plan_push
    from skillsync.sync.state import SyncState, wait_for_lock

    ev = events or PushEvents()
    async with open_session(ws, options.remote, ev) as session:
        with wait_for_lock(ws, ev.waiting):
            sync_state = SyncState.load(ws)
            loaded = sync_state.to_json()
            plan = await plan_push(
                session,
                ws,
                skills,
                sync_state,
                publish=options.publish,
                force=options.force,
                jobs=options.jobs,
            )
            ev.planned(plan)
            result = PushResult(session.name, session.org_id, options.dry_run, plan, proceeded=True)
            if options.dry_run or not plan.actionable:
                sync_state.save_if_changed(loaded)
                return result
            if not ev.confirm(plan, session.name):
                return PushResult(session.name, session.org_id, options.dry_run, plan, proceeded=False)
            ev.applying(len(plan.actionable))
            try:
                await apply_push(
                    session, plan, sync_state, jobs=options.jobs, force=options.force, on_done=ev.done
                )
            finally:
                ev.applied()
            return result


def push(
    ws: Workspace, skills: Sequence[Skill], options: PushOptions, events: PushEvents | None = None
) -> PushResult:
    """:func:`push_async`, run to completion."""
    return run(push_async(ws, skills, options, events))
