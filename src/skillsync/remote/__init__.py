"""The Seren API client: models from the contract, errors, retries, remotes and credentials.

Networked commands use :func:`open_remote`::

    async with open_remote(ws, remote=None, org=None) as session:
        skills = await session.client.list_custom_skills(session.org_id)

Importing this package loads httpx (pydantic and the API models load only when a call validates
with them); keep it off hot paths such as ``validate``.
"""

from __future__ import annotations

import sys

# httpx's __init__ imports its own command line (click, rich, pygments: ~0.2 s of start-up) when
# rich happens to be installed, and falls back to a stub when that import fails. skillsync never
# runs httpx's command line, so it makes that import fail, before httpx is first imported.
if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

from skillsync.remote.body import UploadFile
from skillsync.remote.client import UNSET, SerenClient
from skillsync.remote.errors import (
    ApiError,
    AuthenticationError,
    ConflictError,
    NetworkError,
    NotFoundError,
    NotLoggedIn,
    RateLimitedError,
    RequestTimeout,
    ServerError,
)
from skillsync.remote.remotes import RemoteSession, ResolvedRemote, open_remote, resolve_remote

__all__ = [
    "UNSET",
    "ApiError",
    "AuthenticationError",
    "ConflictError",
    "NetworkError",
    "NotFoundError",
    "NotLoggedIn",
    "RateLimitedError",
    "RemoteSession",
    "RequestTimeout",
    "ResolvedRemote",
    "SerenClient",
    "ServerError",
    "UploadFile",
    "open_remote",
    "resolve_remote",
]
