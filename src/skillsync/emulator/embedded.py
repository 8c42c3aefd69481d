"""The registry as the embedded remote runs it: FastAPI only when a request needs it.

An unchanged ``status`` or no-op ``push`` makes one request, the listing of the organization's
custom skills. ``EmbeddedRegistry`` answers exactly that request (well-formed, authorized, no
faults set) with the listing code the FastAPI route uses, and builds the full app (``build_app``)
on the first request of any other kind, to which it then hands everything it does not answer
itself. Importing FastAPI and building the app is most of such a command's start-up.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from skillsync.emulator.access import token_user
from skillsync.emulator.db import Store
from skillsync.emulator.errors import ApiError
from skillsync.emulator.seed import apply_seed, ensure_personal_orgs, ensure_token_user, load_seed
from skillsync.emulator.skill_docs import list_skills

if TYPE_CHECKING:
    from fastapi import FastAPI

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_LISTING = re.compile(r"/organizations/([A-Za-z0-9_-]+)/custom-skills")
_BOOLS = {"true": True, "false": False}


def open_store(
    db_path: Path | str, *, tokens: Sequence[str] = (), seed: Path | str | dict[str, Any] | None = None
) -> Store:
    """Open (or create) the database, apply ``seed``, and give every token a user and organization."""
    store = Store(db_path)
    seed_doc = load_seed(seed) if seed is not None else None
    with store.write() as conn:
        if seed_doc is not None:
            apply_seed(conn, seed_doc)
        for token in tokens:
            ensure_token_user(conn, token)
        ensure_personal_orgs(conn)
    return store


class EmbeddedRegistry:
    """An ASGI app answering like ``create_app(db_path, tokens=tokens)``, building it only on demand."""

    def __init__(self, db_path: Path | str, *, tokens: Sequence[str] = ()) -> None:
        self.store = open_store(db_path, tokens=tokens)
        self.app: FastAPI | None = None

    def full_app(self) -> FastAPI:
        if self.app is None:
            from skillsync.emulator.app import build_app  # lazy: the point of this class

            self.app = build_app(self.store)
        return self.app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            body = self._listing(scope)
        except Exception:  # whatever went wrong, the full app answers it as it always has
            body = None
        if body is None:
            await self.full_app()(scope, receive, send)
            return
        headers = [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _listing(self, scope: Scope) -> bytes | None:
        """The response body of ``GET .../custom-skills`` if this class may answer it, else None.

        Anything unusual (faults set, other query parameters, no or an unknown key, an organization
        the user cannot see) goes to the full app, which owns every error answer.
        """
        if scope["type"] != "http" or scope["method"] != "GET":
            return None
        if self.app is not None and self.app.state.faults:
            return None
        match = _LISTING.fullmatch(scope["path"])
        if match is None:
            return None
        include_archived = False
        for key, value in parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True):
            if key != "include_archived" or value not in _BOOLS:
                return None
            include_archived = _BOOLS[value]
        auth = [v for k, v in scope["headers"] if k == b"authorization"]
        scheme, _, token = auth[0].decode("latin-1").partition(" ") if len(auth) == 1 else ("", "", "")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        user_id = token_user(self.store, token)
        if user_id is None:
            return None
        try:
            with self.store.read() as conn:
                docs = list_skills(conn, user_id, match.group(1), None, include_archived)
        except ApiError:  # e.g. an organization the user cannot see: the app's 404
            return None
        # Byte for byte as FastAPI's JSONResponse renders the route's dict.
        text = json.dumps({"data": docs}, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return text.encode("utf-8")
