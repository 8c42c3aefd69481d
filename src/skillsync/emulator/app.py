"""The app factory of the local Seren-compatible registry.

Everything is set up in ``create_app`` (no lifespan events), so the app works the same under
uvicorn and in process through ``httpx.ASGITransport``.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from skillsync.emulator import routes_orgs, routes_publishers, routes_skills
from skillsync.emulator.contract import openapi_text
from skillsync.emulator.db import Store
from skillsync.emulator.deps import json_body
from skillsync.emulator.embedded import open_store
from skillsync.emulator.errors import ApiError
from skillsync.emulator.faults import Fault, FaultMiddleware
from skillsync.emulator.limits import resolve_limits


def _error(status: int, error: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": error, "message": message}, status_code=status, headers=headers)


async def _api_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return _error(exc.status, exc.error, exc.message, headers)


async def _validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body",))
        parts.append(f"{loc}: {err.get('msg', 'invalid')}")
    return _error(422, "validation_error", "; ".join(parts) or "invalid request")


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    names = {404: "not_found", 405: "method_not_allowed"}
    return _error(exc.status_code, names.get(exc.status_code, "http_error"), str(exc.detail))


async def _unexpected(_request: Request, _exc: Exception) -> Response:
    """Any other exception: still the documented ``{"error", "message"}`` body, never plain text."""
    return _error(500, "internal_error", "the local registry failed on this request; see its log")


def create_app(
    db_path: Path | str,
    *,
    tokens: Sequence[str] = (),
    seed: Path | str | dict[str, Any] | None = None,
    faults: Sequence[Fault] = (),
    limits: dict[str, int] | None = None,
    admin_token: str | None = None,
) -> FastAPI:
    """Open (or create) the registry database at ``db_path`` and return its ASGI app.

    Each token in ``tokens`` (and in the seed) is a user with a personal organization.
    ``app.state.faults`` is the live fault list; ``limits`` overrides DEFAULT_LIMITS. The fault
    admin routes (``/_emulator/faults``) exist only with an ``admin_token``, and take only it: a
    user's key must not be able to break the registry for every other user.
    """
    store = open_store(db_path, tokens=tokens, seed=seed)
    return build_app(store, faults=faults, limits=limits, admin_token=admin_token)


def build_app(
    store: Store,
    *,
    faults: Sequence[Fault] = (),
    limits: dict[str, int] | None = None,
    admin_token: str | None = None,
) -> FastAPI:
    """The ASGI app over an open ``store`` (see ``create_app``)."""
    app = FastAPI(
        title="skillsync local registry",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,
    )
    app.state.store = store
    app.state.limits = resolve_limits(limits)
    app.state.faults = list(faults)
    app.add_middleware(FaultMiddleware, state=app.state)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
    app.include_router(routes_orgs.router)
    app.include_router(routes_skills.router)
    app.include_router(routes_publishers.router)

    @app.get("/openapi.json", include_in_schema=False)
    def openapi() -> Response:
        """The contract this registry implements (the same file the contract test uses)."""
        return Response(openapi_text(), media_type="application/json")

    if admin_token is not None:
        _admin_routes(app, admin_token)
    return app


def _admin_routes(app: FastAPI, admin_token: str) -> None:
    def admin(request: Request) -> None:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        given_key = given.strip().encode()
        if scheme.lower() != "bearer" or not secrets.compare_digest(given_key, admin_token.encode()):
            raise ApiError(401, "unauthorized", "fault control needs the admin token of `serve --faults`")

    @app.get("/_emulator/faults", include_in_schema=False, dependencies=[Depends(admin)])
    def get_faults(request: Request) -> dict[str, Any]:
        return {"data": [f.to_dict() for f in request.app.state.faults]}

    @app.put("/_emulator/faults", include_in_schema=False, dependencies=[Depends(admin)])
    async def put_faults(request: Request) -> dict[str, Any]:
        """Replace the fault list (for tests that run the registry in another process)."""
        body = await json_body(request)
        if not isinstance(body, list):
            raise ApiError(422, "validation_error", "expected a JSON list of faults")
        try:
            new = [Fault.from_dict(raw) for raw in body]
        except (TypeError, ValueError) as exc:
            raise ApiError(422, "validation_error", str(exc)) from None
        request.app.state.faults = new
        return {"data": [f.to_dict() for f in new]}
