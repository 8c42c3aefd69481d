"""What a use case tells its caller while it runs, and the remote options networked commands share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from skillsync.sync.push import PushItem, PushPlan
    from skillsync.sync.remote_view import Session


@dataclass(frozen=True)
class RemoteOptions:
    """``--remote`` and ``--org``: None picks the configured default."""

    remote: str | None = None
    org: str | None = None


class Events:
    """Callbacks of a running use case; the defaults do nothing (a script, or a test)."""

    def connected(self, session: Session) -> None:
        """The remote is open and its organization resolved."""

    def waiting(self, message: str) -> None:
        """A one-line notice: the command waits (for the state lock held by another process)."""


class PushEvents(Events):
    """Push's callbacks: the plan (and whether to go on), then progress per skill."""

    def planned(self, plan: PushPlan) -> None:
        """The plan is made (also on a dry run, or when nothing is to be done)."""

    def confirm(self, plan: PushPlan, remote: str) -> bool:
        """Carry out ``plan`` (it has something to do)? False: nothing is pushed."""
        return True

    def applying(self, count: int) -> None:
        """``count`` skills are about to be pushed."""

    def done(self, item: PushItem) -> None:
        """One skill is finished (``item.result`` says how)."""

    def applied(self) -> None:
        """Every skill is finished (also after a failure)."""
