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
    """Run a use case's coroutine to completion (the synchronous entry points).

    The result is handed out through a list, not as the result of the task asyncio runs: on the way
    out ``asyncio.run`` (Python 3.11) builds the repr of its SIGINT handler, which holds that task,
    and so the repr of the whole result (~70 ms for the status of 130 skills).
    """
    out: list[T] = []

    async def main() -> None:
        out.append(await coro)

    asyncio.run(main())
    return out[0]
