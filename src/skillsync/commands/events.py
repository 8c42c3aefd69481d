"""What a use case tells its caller while it runs, and the remote options networked commands share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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
