"""Opening the remote of a networked use case (the CLI never does: it talks no HTTP)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from typing import Any, TypeVar

from skillsync.commands.events import Events, RemoteOptions
from skillsync.sync.remote_view import Session
from skillsync.workspace import Workspace

T = TypeVar("T")


@contextlib.asynccontextmanager
async def open_session(ws: Workspace, remote: RemoteOptions, events: Events) -> AsyncIterator[Session]:
    """The remote named by ``remote`` (organization resolved), announced through ``events``."""
    from skillsync.remote import open_remote

    async with open_remote(ws, remote=remote.remote, org=remote.org) as session:
        events.connected(session)
        yield session


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a use case's coroutine to completion (the synchronous entry points)."""
    return asyncio.run(coro)
