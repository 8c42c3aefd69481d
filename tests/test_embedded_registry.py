"""The embedded registry answers the skill listing itself, exactly as the FastAPI app would.

``EmbeddedRegistry`` (what the embedded remote runs in process) builds the FastAPI app only for a
request it does not answer, so an unchanged ``status`` or no-op ``push`` never imports FastAPI.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from skillsync.emulator import Fault, create_app
from skillsync.emulator.embedded import EmbeddedRegistry
from tests.conftest import write_skill
from tests.emulator_helpers import files

Answer = tuple[int, str | None, bytes]


async def _ask(app: object, method: str, url: str, token: str | None, body: object = None) -> Answer:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        r = await c.request(method, url, headers=headers, json=body)
        return r.status_code, r.headers.get("content-type"), r.content


def ask(app: object, method: str, url: str, token: str | None = "t1", body: object = None) -> Answer:
    return asyncio.run(_ask(app, method, url, token, body))


def _org(app: object) -> str:
    status, _, raw = ask(app, "GET", "/organizations")
    assert status == 200
    return str(httpx.Response(200, content=raw).json()["data"][0]["id"])


def test_listing_is_answered_without_fastapi_and_byte_for_byte_as_the_app(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite3"
    full = create_app(db, tokens=["t1", "t2"])
    org = _org(full)
    base = f"/organizations/{org}/custom-skills"
    for slug in ("b-skill", "a-skill", "c-skill"):
        body = {"slug": slug, "display_name": f"Ünï {slug}", "initial_revision": {"files": files()}}
        assert ask(full, "POST", base, body=body)[0] == 200
    archived = httpx.Response(200, content=ask(full, "GET", base)[2]).json()["data"][2]["id"]
    assert ask(full, "PATCH", f"{base}/{archived}", body={"status": "archived"})[0] == 200

    reg = EmbeddedRegistry(db, tokens=["t1"])
    for query in ("", "?include_archived=true", "?include_archived=false"):
        assert ask(reg, "GET", base + query) == ask(full, "GET", base + query)
    assert reg.app is None  # answered without building (or importing) the FastAPI app
    assert len(httpx.Response(200, content=ask(reg, "GET", base)[2]).json()["data"]) == 2

    # Everything else goes to the full app, which owns every other answer and every error.
    others = [
        ("GET", base + "?include_archived=1", "t1"),
        ("GET", base + "?q=a-s", "t1"),
        ("GET", base, "nope"),
        ("GET", base, None),
        ("GET", base, "t2"),  # another user's organization: 404
        ("GET", "/organizations/default/custom-skills", "t1"),
        ("GET", "/organizations", "t1"),
    ]
    for method, url, token in others:
        assert ask(reg, method, url, token) == ask(full, method, url, token)
    assert reg.app is not None


def test_faults_set_on_the_built_app_apply_to_the_listing(tmp_path: Path) -> None:
    reg = EmbeddedRegistry(tmp_path / "r.sqlite3", tokens=["t1"])
    base = f"/organizations/{_org(reg)}/custom-skills"
    assert reg.app is not None
    reg.app.state.faults[:] = [Fault(route="GET " + base, mode="error", status=503)]
    status, _, raw = ask(reg, "GET", base)
    assert status == 503 and b"injected_fault" in raw


@pytest.mark.parametrize("command", [["status"], ["push", "--yes"]])
def test_unchanged_status_and_push_import_no_fastapi_and_write_no_state(
    tmp_path: Path, command: list[str]
) -> None:
    (tmp_path / "skillsync.toml").write_text("")
    write_skill(tmp_path, "skills/s1")
    write_skill(tmp_path, "skills/s2")
    push = subprocess.run(
        [sys.executable, "-m", "skillsync", "-C", str(tmp_path), "push", "--yes"],
        capture_output=True,
        text=True,
    )
    assert push.returncode == 0, push.stderr
    code = (
        "import sys\nfrom skillsync.cli.main import run\n"
        f"rc = run(['-C', {str(tmp_path)!r}, *{command!r}])\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('fastapi', 'starlette', 'uvicorn')"
        " or m.startswith('skillsync.emulator.routes')]\n"
        "print('BAD', bad, 'RC', rc)\n"
    )
    state = tmp_path / ".skillsync" / "state.json"
    before = state.stat()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "BAD [] RC 0" in out
    assert "unchanged" in out
    after = state.stat()  # nothing learned, so the state file was not rewritten (atomic writes replace it)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
