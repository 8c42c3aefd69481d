"""Fault injection, tested with a plain httpx client over real loopback HTTP (and once in process)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from skillsync.emulator import Fault, create_app
from tests.emulator_helpers import client, files
from tests.emulator_server import serve_app

REV_ROUTE = "POST /organizations/{organization_id}/custom-skills/{skill_id}/revisions"


@pytest.fixture
def reg(tmp_path: Path) -> Iterator[tuple[Any, str]]:
    app = create_app(tmp_path / "r.db", tokens=["t1"], admin_token=ADMIN)
    with serve_app(app) as url:
        yield app, url


ADMIN = "seren_admin_test"


def _skill(c: httpx.Client) -> str:
    org = c.get("/organizations").json()["data"][0]["id"]
    body = {"slug": "faulty", "display_name": "F", "initial_revision": {"files": files()}}
    skill = c.post(f"/organizations/{org}/custom-skills", json=body).json()["data"]
    return f"/organizations/{org}/custom-skills/{skill['id']}"


def test_route_templates_match_one_segment_per_placeholder() -> None:
    f = Fault(REV_ROUTE)
    assert f.matches("POST", "/organizations/o1/custom-skills/s1/revisions")
    assert not f.matches("GET", "/organizations/o1/custom-skills/s1/revisions")
    assert not f.matches("POST", "/organizations/o1/custom-skills/s1/revisions/r1/publish")
    assert not f.matches("POST", "/organizations/o1/custom-skills//revisions")
    assert Fault("* /organizations/*/members").matches("GET", "/organizations/default/members")
    with pytest.raises(ValueError, match="route"):
        Fault("organizations")
    with pytest.raises(ValueError, match="mode"):
        Fault("GET /x", mode="explode")  # type: ignore[arg-type]


def test_error_fault_hits_times_requests_then_stops(reg: tuple[Any, str]) -> None:
    app, url = reg
    app.state.faults = [Fault("GET /organizations", status=503, times=2)]
    with client(url) as c:
        got = [c.get("/organizations") for _ in range(3)]
    assert [r.status_code for r in got] == [503, 503, 200]
    assert got[0].json()["error"] == "injected_fault" and got[0].json()["message"]


def test_429_carries_retry_after(reg: tuple[Any, str]) -> None:
    app, url = reg
    app.state.faults = [Fault("GET /organizations", status=429, retry_after=2)]
    with client(url) as c:
        r = c.get("/organizations")
    assert r.status_code == 429 and r.headers["retry-after"] == "2"


def test_error_rate_hits_some_requests_and_spares_others(reg: tuple[Any, str]) -> None:
    app, url = reg
    app.state.faults = [Fault("GET /organizations", error_rate=0.5, status=502)]
    with client(url) as c:
        codes = {c.get("/organizations").status_code for _ in range(60)}
    assert codes == {200, 502}  # chance of a false failure: 2 * 0.5**60


def test_latency_delays_the_answer(reg: tuple[Any, str]) -> None:
    app, url = reg
    app.state.faults = [Fault("GET /organizations", mode="latency", latency_ms=3000, times=1)]
    with client(url) as c:
        with pytest.raises(httpx.ReadTimeout):
            c.get("/organizations", timeout=0.2)
        assert c.get("/organizations").status_code == 200  # `times` used up


def test_drop_closes_the_connection_without_a_response(reg: tuple[Any, str]) -> None:
    app, url = reg
    app.state.faults = [Fault("GET /organizations", mode="drop", times=1)]
    with client(url) as c:
        with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
            c.get("/organizations")
        assert c.get("/organizations").status_code == 200


def test_commit_then_drop_stores_the_revision_but_loses_the_answer(reg: tuple[Any, str]) -> None:
    app, url = reg
    with client(url) as c:
        base = _skill(c)
        app.state.faults = [Fault(REV_ROUTE, mode="commit_then_drop", times=1)]
        with pytest.raises(httpx.TransportError):
            c.post(base + "/revisions", json={"files": files({"x.txt": "x"})})
        numbers = sorted(r["revision_number"] for r in c.get(base + "/revisions").json()["data"])
        assert numbers == [1, 2]


def test_drop_in_process_raises_connection_reset(tmp_path: Path) -> None:
    app = create_app(tmp_path / "r.db", tokens=["t1"], faults=[Fault("GET /organizations", mode="drop")])

    async def call() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://reg") as c:
            await c.get("/organizations", headers={"Authorization": "Bearer t1"})

    with pytest.raises(ConnectionResetError):
        asyncio.run(call())


@pytest.mark.parametrize(
    "raw",
    [
        {"route": 1},
        {"route": "GET /x", "times": "3"},
        {"route": "GET /x", "retry_after": "soon"},
        {"route": "GET /x", "latency_ms": None},
        {"route": "GET /x", "status": True},
        {"route": "GET /x", "error_rate": "half"},
        {"route": "GET /x", "latency_ms": -1},
    ],
)
def test_fault_fields_of_the_wrong_type_are_value_errors(raw: dict[str, Any]) -> None:
    """The admin route turns ValueError into a 422; anything else would be a 500 (or fail later)."""
    with pytest.raises(ValueError, match="fault"):
        Fault.from_dict(raw)


def test_admin_route_sets_faults_over_http_and_needs_the_admin_token(reg: tuple[Any, str]) -> None:
    _, url = reg
    faults = [{"route": "GET /organizations", "status": 500, "times": 1}]
    assert httpx.put(url + "/_emulator/faults", json=faults).status_code == 401
    with client(url) as user:  # issue 13: a user's key broke the registry for every other user
        refused = user.put("/_emulator/faults", json=faults)
        assert refused.status_code == 401 and refused.json()["error"] == "unauthorized"
        assert user.get("/_emulator/faults").status_code == 401
    with client(url, token=ADMIN) as admin, client(url) as c:
        r = admin.put("/_emulator/faults", json=faults)
        assert r.status_code == 200 and r.json()["data"][0]["status"] == 500
        assert c.get("/organizations").status_code == 500
        assert c.get("/organizations").status_code == 200
        bad = admin.put("/_emulator/faults", json=[{"route": "GET /x", "mode": "nope"}])
        assert bad.status_code == 422 and bad.json()["error"] == "validation_error"
        assert admin.put("/_emulator/faults", json=[]).json()["data"] == []
        assert "/_emulator/faults" not in c.get("/openapi.json").json()["paths"]


def test_fault_control_is_off_without_an_admin_token(tmp_path: Path) -> None:
    with serve_app(create_app(tmp_path / "r.db", tokens=["t1"])) as url, client(url) as c:
        r = c.put("/_emulator/faults", json=[{"route": "GET /organizations", "status": 500}])
        assert r.status_code == 404 and r.json()["error"] == "not_found"
        assert c.get("/organizations").status_code == 200
