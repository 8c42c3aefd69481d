"""Sync engine end to end: the real CLI against the local registry served over loopback HTTP.

Two workspaces ("alice" and "bob") share one registry, so "another client pushed" is real.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from skillsync.manifest import build_manifest
from tests.conftest import Cli, write_skill

emulator = pytest.importorskip("skillsync.emulator")
if not hasattr(emulator, "create_app"):  # pragma: no cover - while the registry is being built
    pytest.skip("skillsync.emulator.create_app not available", allow_module_level=True)


@contextlib.contextmanager
def serve_app(app: Any) -> Iterator[str]:
    """The registry over real loopback HTTP (uvicorn in a thread, port 0); yields its base URL."""
    try:
        from tests.emulator_server import serve_app as shared
    except ImportError:
        shared = None
    if shared is not None:
        with shared(app) as url:
            yield url
        return
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(1000):
        if server.started or not thread.is_alive():
            break
        time.sleep(0.01)
    assert server.started, "uvicorn did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


TOKEN = "seren_synctest_0123456789abcdef"
REV_ROUTE = "POST /organizations/{organization_id}/custom-skills/{skill_id}/revisions"
CREATE_ROUTE = "POST /organizations/{organization_id}/custom-skills"


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[tuple[Any, str]]:
    app = emulator.create_app(tmp_path / "registry.sqlite3", tokens=[TOKEN])
    with serve_app(app) as base_url:
        yield app, base_url


def make_ws(root: Path, base_url: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "skillsync.toml").write_text(
        f'[remote]\ndefault = "test"\n\n[remotes.test]\nurl = "{base_url}"\nretries = 0\n'
    )
    return root


@pytest.fixture
def wss(
    tmp_path: Path, registry: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> tuple[Cli, Cli, Path, Path]:
    monkeypatch.setenv("SEREN_API_KEY", TOKEN)
    a = make_ws(tmp_path / "alice", registry[1])
    b = make_ws(tmp_path / "bob", registry[1])
    return Cli(a), Cli(b), a, b


def js(result: Any) -> dict[str, Any]:
    assert result.stdout.strip().startswith("{"), result.output
    doc: dict[str, Any] = json.loads(result.stdout)
    assert doc["format_version"] == "1"
    return doc


def states(cli: Cli, *skills: str) -> dict[str, str]:
    r = cli("status", "--json", *skills)
    assert r.exit_code == 0, r.output
    return {s["slug"]: s["state"] for s in js(r)["skills"]}


def ok(result: Any, code: int = 0) -> Any:
    assert result.exit_code == code, result.output
    return result


def test_status_through_every_state(wss: tuple[Cli, Cli, Path, Path]) -> None:
    alice, bob, a, b = wss
    for name in ("same", "edited", "ahead", "both", "gone"):
        write_skill(a, name)
    ok(alice("push", "--yes"))
    write_skill(a, "fresh")
    (a / "edited" / "notes.md").write_text("more\n")
    ok(alice("archive", "gone"))
    # bob pushes new revisions of "ahead" and "both"
    for name in ("ahead", "both"):
        write_skill(b, name, body="# Bob's\n\nrewritten.\n")
    ok(bob("push", "--yes", "--force", "ahead", "both"))
    (a / "both" / "mine.md").write_text("alice's edit\n")
    got = states(alice)
    assert got == {
        "same": "unchanged",
        "edited": "modified",
        "ahead": "remote-ahead",
        "both": "conflict",
        "gone": "archived",
        "fresh": "new",
    }
    doc = js(alice("status", "--json", "same"))
    row = doc["skills"][0]
    assert set(row) >= {
        "slug",
        "path",
        "state",
        "local_digest",
        "remote_digest",
        "latest_revision",
        "published_revision",
    }
    assert row["local_digest"] == row["remote_digest"] and row["latest_revision"] == 1
    assert doc["remote"] == "test" and doc["organization"]
    ok(alice("status", "--exit-code"), 1)
    ok(alice("status", "--exit-code", "same"), 0)
    # a conflict and a remote-ahead are not pushed; an archived skill is refused
    r = alice("push", "--yes", "both", "ahead", "gone")
    ok(r, 1)
    assert "conflict" in r.output and "remote is ahead" in r.output and "unarchive" in r.output
    ok(alice("unarchive", "gone"))
    assert states(alice, "gone") == {"gone": "unchanged"}


def _count_requests(ws_root: Path, fn: Callable[[Any, Any], Any]) -> int:
    from skillsync.remote import open_remote
    from skillsync.workspace import open_workspace

    ws = open_workspace(ws_root)

    async def go() -> int:
        async with open_remote(ws) as session:
            before = session.client.request_count
            await fn(session, ws)
            return int(session.client.request_count - before)

    return asyncio.run(go())


def test_noop_status_and_push_cost_one_request(wss: tuple[Cli, Cli, Path, Path]) -> None:
    from skillsync.sync.push import apply_push, plan_push
    from skillsync.sync.state import SyncState
    from skillsync.sync.status import collect_status, remember

    alice, _, a, _ = wss
    for i in range(5):
        write_skill(a, f"skill-{i}")
    ok(alice("push", "--yes"))

    async def status(session: Any, ws: Any) -> None:
        got = await collect_status(session, ws, ws.skills(), SyncState.load(ws))
        assert {s.state for s in got} == {"unchanged"}
        remember(ws, session, got, seen=True)

    async def push(session: Any, ws: Any) -> None:
        st = SyncState.load(ws)
        plan = await plan_push(session, ws, ws.skills(), st, publish=False, force=False)
        assert not plan.actionable
        await apply_push(session, plan, st)

    assert _count_requests(a, status) == 1
    assert _count_requests(a, push) == 1
    # a state file lost: one get per skill to learn the digests again, and still correct
    (a / ".skillsync" / "state.json").unlink()
    assert _count_requests(a, status) == 1 + 5
    assert _count_requests(a, status) == 1


def test_push_publish_flows(wss: tuple[Cli, Cli, Path, Path]) -> None:
    alice, _, a, _ = wss
    write_skill(a, "flow", body="# Flow Skill\n\nv1\n")
    r = ok(alice("push", "--yes", "--json"))
    item = js(r)["skills"][0]
    assert item["action"] == "create" and item["result"] == "created" and item["revision"] == 1
    assert states(alice) == {"flow": "unchanged"}
    assert js(alice("status", "--json"))["skills"][0]["publication"] == "draft"
    # unchanged but a draft: --publish publishes the existing revision, creates none
    r = ok(alice("push", "--yes", "--publish", "--json"))
    assert js(r)["skills"][0]["action"] == "publish"
    log = js(alice("log", "flow", "--json"))
    assert [(x["number"], x["status"]) for x in log["revisions"]] == [(1, "published")]
    # modify + push --publish: revision 2 published, revision 1 superseded
    (a / "flow" / "SKILL.md").write_text("---\nname: flow\ndescription: Better.\n---\n# Flow Two\n\nv2\n")
    ok(alice("push", "--yes", "--publish"))
    log = js(alice("log", "flow", "--json"))
    assert [(x["number"], x["status"]) for x in log["revisions"]] == [(2, "published"), (1, "superseded")]
    first = log["revisions"][0]
    assert set(first) == {"id", "number", "status", "digest", "files", "bytes", "created_at", "published_at"}
    assert first["digest"] == build_manifest(_ws(a), _ws(a).resolve("flow")).digest
    assert first["published_at"]
    # display name and description were patched from SKILL.md
    from skillsync.remote import open_remote

    async def remote_meta() -> tuple[str, str | None]:
        async with open_remote(_ws(a)) as s:
            skills = await s.client.list_custom_skills(s.org_id)
            return skills[0].display_name, skills[0].description

    assert asyncio.run(remote_meta()) == ("Flow Two", "Better.")
    # push a new draft, then publish revision 2 explicitly again (already) and the latest
    (a / "flow" / "extra.md").write_text("x\n")
    ok(alice("push", "--yes"))
    assert "already published" in ok(alice("publish", "flow", "--revision", "2")).output
    doc = js(ok(alice("publish", "flow", "--json")))
    assert doc["revision"] == 3 and doc["changed"] is True


def _ws(root: Path) -> Any:
    from skillsync.workspace import open_workspace

    return open_workspace(root)


def test_diff_text_json_and_revisions(wss: tuple[Cli, Cli, Path, Path]) -> None:
    alice, _, a, _ = wss
    write_skill(
        a, "dd", extra={"notes.md": "one\ntwo\nthree\n", "gone.txt": "bye\n", "blob.bin": b"\x00\x01"}
    )
    ok(alice("push", "--yes"))
    assert "no differences" in ok(alice("diff", "--exit-code")).output
    (a / "dd" / "notes.md").write_text("one\nTWO\nthree\n")
    (a / "dd" / "gone.txt").unlink()
    (a / "dd" / "blob.bin").write_bytes(b"\x00\x02\x03")
    (a / "dd" / "new.md").write_text("hello\n")
    r = ok(alice("diff", "--exit-code"), 1)
    out = r.stdout
    assert "--- a/notes.md" in out and "-two" in out and "+TWO" in out
    assert "Binary files differ: 2 bytes" in out and "-> 3 bytes" in out
    assert "+++ b/new.md" in out and "--- /dev/null" in out
    assert "--- a/gone.txt" in out and "+++ /dev/null" in out
    assert ok(alice("diff", "--name-only")).stdout.split() == ["blob.bin", "gone.txt", "new.md", "notes.md"]
    doc = js(ok(alice("diff", "--json", "dd")))
    sk = doc["skills"][0]
    assert sk["summary"] == {"added": 1, "removed": 1, "modified": 2}
    by = {f["path"]: f for f in sk["files"]}
    assert by["blob.bin"]["binary"] is True and by["blob.bin"]["patch"] is None
    assert by["notes.md"]["binary"] is False and "+TWO" in by["notes.md"]["patch"]
    assert sk["from"]["revision"] == 1 and sk["to"]["kind"] == "local"
    ok(alice("push", "--yes"))
    doc = js(ok(alice("diff", "dd", "--from-revision", "1", "--to-revision", "latest", "--stat", "--json")))
    sk = doc["skills"][0]
    assert sk["summary"] == {"added": 1, "removed": 1, "modified": 2}
    assert sk["from"]["revision"] == 1 and sk["to"]["revision"] == 2
    assert ok(alice("diff", "--revision", "1", "--name-only")).stdout.split()[0] == "blob.bin"
    ok(alice("diff", "--stat", "--name-only"), 2)


def test_pull_roundtrip_and_refusal(wss: tuple[Cli, Cli, Path, Path]) -> None:
    alice, bob, a, b = wss
    write_skill(a, "pl", extra={"scripts/run.py": "print(1)\n", "assets/x.bin": bytes(range(256)) * 40})
    ok(alice("push", "--yes"))
    want = build_manifest(_ws(a), _ws(a).resolve("pl")).digest
    # bob has no such skill: pull creates ./pl
    r = ok(bob("pull", "pl", "--json"))
    assert js(r)["path"] == "pl"
    assert build_manifest(_ws(b), _ws(b).resolve("pl")).digest == want
    assert states(bob) == {"pl": "unchanged"}
    # bob edits and pushes; alice pulls (no local edits) and gets it, stale file removed
    (b / "pl" / "assets" / "x.bin").unlink()
    (b / "pl" / "SKILL.md").write_text((b / "pl" / "SKILL.md").read_text() + "\nmore\n")
    ok(bob("push", "--yes"))
    assert states(alice) == {"pl": "remote-ahead"}
    ok(alice("pull", "pl"))
    assert not (a / "pl" / "assets" / "x.bin").exists()
    assert states(alice) == {"pl": "unchanged"}
    # a local edit is never overwritten without --force
    (a / "pl" / "scripts" / "run.py").write_text("print('mine')\n")
    r = ok(alice("pull", "pl", "--revision", "1"), 4)
    assert "local changes would be overwritten" in r.output
    assert (a / "pl" / "scripts" / "run.py").read_text() == "print('mine')\n"
    ok(alice("pull", "pl", "--revision", "1", "--force"))
    assert build_manifest(_ws(a), _ws(a).resolve("pl")).digest == want
    # into an explicit new folder
    ok(alice("pull", "pl", "elsewhere/copy"))
    assert (a / "elsewhere" / "copy" / "scripts" / "run.py").read_text() == "print(1)\n"


def test_pull_replaces_a_file_by_a_folder_and_back(wss: tuple[Cli, Cli, Path, Path]) -> None:
    alice, _, a, _ = wss
    write_skill(a, "fd", extra={"docs": "a file\n"})
    ok(alice("push", "--yes"))
    (a / "fd" / "docs").unlink()
    (a / "fd" / "docs").mkdir()
    (a / "fd" / "docs" / "x.md").write_text("x\n")
    ok(alice("push", "--yes"))
    ok(alice("pull", "fd", "--revision", "1"))
    assert (a / "fd" / "docs").read_text() == "a file\n"
    assert states(alice) == {"fd": "remote-ahead"}
    ok(alice("pull", "fd"))
    assert (a / "fd" / "docs" / "x.md").read_text() == "x\n"
    assert states(alice) == {"fd": "unchanged"}


def test_interrupt_exits_130_with_one_json_error_document(registry: tuple[Any, str], tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys

    app, base_url = registry
    root = make_ws(tmp_path / "int", base_url)
    write_skill(root, "slow")
    app.state.faults = [
        emulator.Fault("GET /organizations/{organization_id}/custom-skills", latency_ms=4_000, mode="latency")
    ]
    env = {**os.environ, "SEREN_API_KEY": TOKEN}
    proc = subprocess.Popen(
        [sys.executable, "-m", "skillsync", "status", "--json"],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as from a shell
    )
    assert proc.stderr is not None
    assert proc.stderr.readline().startswith(b"remote: ")  # now waiting for the slow list call
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert json.loads(out) == {"format_version": "1", "error": {"code": 130, "message": "interrupted"}}
    assert b"Traceback" not in err


def _revisions(app: Any, a: Path, slug: str) -> list[Any]:
    from skillsync.remote import open_remote

    async def go() -> list[Any]:
        async with open_remote(_ws(a)) as s:
            skills = await s.client.list_custom_skills(s.org_id, include_archived=True)
            sk = next(x for x in skills if x.slug == slug)
            return await s.client.list_revisions(s.org_id, sk.id)

    return asyncio.run(go())


def test_exactly_once_with_commit_then_drop(
    wss: tuple[Cli, Cli, Path, Path], registry: tuple[Any, str]
) -> None:
    app, _ = registry
    alice, _, a, _ = wss
    write_skill(a, "once")
    app.state.faults = [emulator.Fault(route=CREATE_ROUTE, mode="commit_then_drop", times=1)]
    r = ok(alice("push", "--yes", "--json"))
    assert js(r)["skills"][0]["result"] == "adopted"
    assert len(_revisions(app, a, "once")) == 1
    (a / "once" / "more.md").write_text("x\n")
    app.state.faults = [emulator.Fault(route=REV_ROUTE, mode="commit_then_drop", times=1)]
    r = ok(alice("push", "--yes", "--publish", "--json"))
    item = js(r)["skills"][0]
    assert item["result"] == "adopted" and item["revision"] == 2 and item["published"]
    revs = _revisions(app, a, "once")
    assert sorted(x.revision_number for x in revs) == [1, 2]
    assert states(alice) == {"once": "unchanged"}
    # a plain drop (nothing committed): the push posts again, still one revision
    (a / "once" / "more.md").write_text("y\n")
    app.state.faults = [emulator.Fault(route=REV_ROUTE, mode="drop", times=1)]
    ok(alice("push", "--yes"))
    assert sorted(x.revision_number for x in _revisions(app, a, "once")) == [1, 2, 3]


def test_stale_plan_guard(wss: tuple[Cli, Cli, Path, Path]) -> None:
    alice, bob, a, b = wss
    write_skill(b, "st")
    ok(bob("push", "--yes"))
    # alice has her own copy, never synced: status shows "modified" and records what she saw
    write_skill(a, "st", body="# Alice\n\nhers\n")
    assert states(alice) == {"st": "modified"}
    (b / "st" / "bob.md").write_text("bob\n")
    ok(bob("push", "--yes"))
    r = ok(alice("push", "--yes"), 1)
    assert "remote moved since diff" in r.output
    assert len(_revisions(None, a, "st")) == 2
    ok(alice("diff", "--name-only"))  # looking again moves the plan's base
    ok(alice("push", "--yes"))
    assert len(_revisions(None, a, "st")) == 3


def test_validation_errors_block_only_that_skill(wss: tuple[Cli, Cli, Path, Path]) -> None:
    alice, _, a, _ = wss
    write_skill(a, "good")
    bad = a / "bad"
    bad.mkdir()
    (bad / "SKILL.md").write_text("no frontmatter here\n")
    r = ok(alice("push", "--yes", "--json"), 1)
    items = {i["slug"]: i for i in js(r)["skills"]}
    assert items["good"]["result"] == "created"
    assert items["bad"]["result"] == "blocked" and items["bad"]["findings"]
    assert states(alice) == {"good": "unchanged", "bad": "new"}


def test_dry_run_sends_nothing(wss: tuple[Cli, Cli, Path, Path]) -> None:
    alice, _, a, _ = wss
    write_skill(a, "dry")
    r = ok(alice("push", "--dry-run"))
    assert "create" in r.stdout
    assert states(alice) == {"dry": "new"}


def test_unwritable_state_is_a_one_line_local_error(wss: tuple[Cli, Cli, Path, Path]) -> None:
    alice, _, a, _ = wss
    write_skill(a, "ro")
    (a / ".skillsync" / "state.json").mkdir(parents=True)  # cannot be replaced: writes fail (even as root)
    assert states(alice) == {"ro": "new"}  # read commands still work, they just remember nothing
    r = ok(alice("push", "--yes"), 4)
    assert "cannot write the sync state" in r.stderr and "Traceback" not in r.output
    (a / ".skillsync" / "state.json").rmdir()
    assert states(alice) == {"ro": "new"}  # refused before any POST: no pending digest, nothing sent


def test_pull_with_unwritable_state_writes_nothing(wss: tuple[Cli, Cli, Path, Path]) -> None:
    alice, bob, a, b = wss
    write_skill(a, "ro")
    ok(alice("push", "--yes"))
    (b / ".skillsync" / "state.json").mkdir(parents=True)  # cannot be replaced: writes fail (even as root)
    r = ok(bob("pull", "ro", "--json"), 4)
    assert "cannot write the sync state" in r.stderr and js(r)["error"]["code"] == 4
    assert not (b / "ro").exists()  # stopped before writing anything


def test_remote_text_in_an_error_cannot_drive_the_terminal(
    wss: tuple[Cli, Cli, Path, Path], tmp_path: Path
) -> None:
    import sqlite3

    alice, bob, a, _ = wss
    write_skill(a, "esc")
    ok(alice("push", "--yes"))
    # a hostile registry lists a file whose name carries terminal escapes and a line break
    with contextlib.closing(sqlite3.connect(tmp_path / "registry.sqlite3")) as db, db:
        row = db.execute("SELECT * FROM files").fetchone()
        db.execute(
            "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            ("x", row[1], "evil\x1b]0;pwned\x07\nskillsync: ok", row[3], 1, "a" * 64, 1, row[7]),
        )
    # refused at the boundary (issue 13): a remote error naming the field, never the raw name
    r = ok(bob("pull", "esc", "--json"), 3)
    assert "\x1b" not in r.stderr and "\x07" not in r.stderr
    line = r.stderr.strip().splitlines()[-1]
    assert line.startswith("skillsync: error: ") and "relative_path" in line and "control character" in line
    assert "control character" in js(r)["error"]["message"]


def test_diff_two_revisions_checks_its_arguments_before_the_network(tmp_path: Path) -> None:
    ws = make_ws(tmp_path / "w", "http://127.0.0.1:9")  # nothing listens: a network call would exit 3
    r = ok(Cli(ws)("diff", "--from-revision", "1", "--to-revision", "2"), 2)
    assert "exactly one SKILL" in r.stderr


def test_unchanged_status_writes_nothing_but_a_moved_state_is_still_remembered(
    wss: tuple[Cli, Cli, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import skillsync.sync.status as status_mod
    from skillsync.sync.state import SyncState, update_state
    from skillsync.sync.status import collect_status, remember

    alice, bob, a, b = wss
    write_skill(a, "kept")
    ok(alice("push", "--yes"))
    ok(alice("status"))
    state_file = a / ".skillsync" / "state.json"
    before = state_file.stat()
    ok(alice("status"))
    assert (state_file.stat().st_ino, state_file.stat().st_mtime_ns) == (before.st_ino, before.st_mtime_ns)

    def no_update(*_: Any, **__: Any) -> bool:
        raise AssertionError("an unchanged status took the lock and re-read the state")

    async def unchanged(session: Any, ws: Any) -> None:
        state = SyncState.load(ws)
        loaded = state.to_json()
        statuses = await collect_status(session, ws, ws.skills(), state)
        with monkeypatch.context() as m:
            m.setattr(status_mod, "update_state", no_update)
            assert remember(ws, session, statuses, seen=True, loaded=(state, loaded))

    _count_requests(a, unchanged)

    # The state file moved between load and remember (another process wrote it): what this status
    # showed is still written, so the stale-plan guard keeps its base.
    write_skill(b, "kept", body="# Bob's\n\nnewer.\n")
    ok(bob("push", "--yes", "--force", "kept"))  # remote now ahead: latest is revision 2
    ok(alice("status"))  # learned and shown: the next status has nothing new to remember

    async def moved(session: Any, ws: Any) -> None:
        state = SyncState.load(ws)
        loaded = state.to_json()
        statuses = await collect_status(session, ws, ws.skills(), state)
        shown = statuses[0].remote.latest_revision_id
        assert statuses[0].state == "remote-ahead" and state.to_json() == loaded

        def other(disk: SyncState) -> None:
            disk.skill(session.name, session.org_id, "kept").seen_revision_id = "someone-else"

        assert update_state(ws, other)
        assert remember(ws, session, statuses, seen=True, loaded=(state, loaded))
        entry = SyncState.load(ws).peek(session.name, session.org_id, "kept")
        assert entry is not None and entry.seen_revision_id == shown

    _count_requests(a, moved)
