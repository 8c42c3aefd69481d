"""``skillsync watch`` end to end: a real watch subprocess on a real folder, the local registry
embedded or over loopback HTTP, a small debounce, and bounded waits for the events it prints
(JSON Lines). Nothing here asserts on timing."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from skillsync.manifest import build_manifest
from skillsync.workspace import open_workspace
from tests.conftest import Cli, write_skill

emulator = pytest.importorskip("skillsync.emulator")

TOKEN = "seren_watchtest_0123456789abcdef"
REV_ROUTE = "POST /organizations/{organization_id}/custom-skills/{skill_id}/revisions"
Event = dict[str, Any]


class Watch:
    """``skillsync watch --json`` as a subprocess; its events arrive on a queue as they are printed."""

    def __init__(self, cwd: Path, *args: str, debounce: int = 40) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "skillsync", "-C", str(cwd), "watch", "--json",
             "--debounce", str(debounce), *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        self.events: list[Event] = []
        self._q: queue.Queue[Event | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.wait_for(lambda e: e["event"] == "watching")

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                doc = json.loads(line)
            except ValueError:  # an error document at start-up is pretty-printed
                doc = {"event": "unparsed", "line": line}
            self._q.put(doc)
        self._q.put(None)

    def wait_for(self, pred: Callable[[Event], bool], timeout: float = 20) -> Event:
        """The next event matching ``pred`` (every event read is kept in ``events``)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                doc = self._q.get(timeout=max(0.01, left))
            except queue.Empty:
                doc = None
                left = 0
            if doc is None:
                err = self.proc.stderr.read() if self.proc.poll() is not None and self.proc.stderr else ""
                raise AssertionError(f"no matching event; saw {self.events}; stderr: {err}")
            self.events.append(doc)
            assert doc.get("format_version") == "1", doc
            if pred(doc):
                return doc
            if left <= 0:
                raise AssertionError(f"no matching event; saw {self.events}")

    def since(self, event: Event) -> list[Event]:
        return self.events[self.events.index(event) + 1 :]

    def interrupt(self, timeout: float = 30) -> int:
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def of(kind: str, skill: str | None = None) -> Callable[[Event], bool]:
    return lambda e: e["event"] == kind and (skill is None or e["skill"] == skill)


def save(path: Path, text: str) -> None:
    """An editor-style save: write a temp file beside it, then rename it over the original."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    tmp.replace(path)


def digest(root: Path, rel: str) -> str:
    ws = open_workspace(root)
    return build_manifest(ws, ws.resolve(rel), use_cache=False).digest


def revisions(cli: Cli, slug: str) -> list[dict[str, Any]]:
    r = cli("log", slug, "--json")
    assert r.exit_code == 0, r.output
    rows: list[dict[str, Any]] = json.loads(r.stdout)["revisions"]
    return rows


class Registry:
    """The local registry over loopback HTTP, in a thread; can be stopped and started on the same port."""

    def __init__(self, db: Path) -> None:
        self.app = emulator.create_app(db, tokens=[TOKEN])
        self.port = 0
        self._server: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        import uvicorn

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(128)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="critical", lifespan="off", http="h11", access_log=False)
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        self._server = (server, thread, sock)

    def stop(self) -> None:
        server, thread, sock = self._server
        server.should_exit = True
        thread.join(30)
        sock.close()


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Registry]:
    monkeypatch.setenv("SEREN_API_KEY", TOKEN)
    reg = Registry(tmp_path / "registry.sqlite3")
    reg.start()
    yield reg
    reg.stop()


def http_ws(root: Path, reg: Registry) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "skillsync.toml").write_text(
        f'[remote]\ndefault = "test"\n\n[remotes.test]\nurl = "{reg.url}"\nretries = 0\n'
    )
    return root


def pushed_and_watched(
    root: Path, registry: Registry, watches: list[Watch], slug: str, *watch_args: str
) -> tuple[Path, Cli, Watch]:
    """A workspace on ``registry`` with skill ``slug`` pushed once, and a watch started on it."""
    skill = write_skill(http_ws(root, registry), slug)
    cli = Cli(root)
    assert cli("push", "--yes").exit_code == 0
    w = Watch(root, *watch_args)
    watches.append(w)
    return skill, cli, w


@pytest.fixture
def watches() -> Iterator[list[Watch]]:
    started: list[Watch] = []
    yield started
    for w in started:
        w.close()


def test_editor_saves_burst_and_ignored_files_embedded(tmp_path: Path, watches: list[Watch]) -> None:
    """Embedded registry: a rename save uploads once; a 100-save burst uploads few revisions and
    the last is the newest content; editor litter and a file created then deleted upload nothing."""
    skill = write_skill(tmp_path, "skills/alpha", extra={"notes.md": "v0\n"})
    cli = Cli(tmp_path)
    assert cli("push", "--yes").exit_code == 0
    w = Watch(tmp_path)
    watches.append(w)

    save(skill / "SKILL.md", (skill / "SKILL.md").read_text() + "\nOne more line.\n")
    ev = w.wait_for(of("revision", "alpha"))
    assert ev["revision"] == 2 and ev["files_changed"] == 1 and ev["published"] is False
    assert ev["digest"] == digest(tmp_path, "alpha")

    # vim's save without backupcopy: rename the original away, write a new one
    (skill / "SKILL.md").rename(skill / "SKILL.md~")
    (skill / "SKILL.md").write_text((skill / "SKILL.md~").read_text() + "Vim was here.\n")
    ev2 = w.wait_for(of("revision", "alpha"))
    assert w.since(ev) == [ev2] and ev2["revision"] == 3  # never reported as deleted

    start = ev2
    for i in range(100):
        save(skill / "notes.md", f"burst {i}\n")
    final = digest(tmp_path, "alpha")
    ev = w.wait_for(lambda e: e["event"] == "revision" and e["digest"] == final)
    burst = [e for e in w.since(start) if e["event"] == "revision"]
    assert 1 <= len(burst) <= 4, burst
    assert revisions(cli, "alpha")[0]["digest"] == final

    # ignored paths never trigger; a file created and deleted within the debounce uploads nothing
    start = ev
    (skill / "notes.md.swp").write_text("swap")
    (skill / ".#SKILL.md").write_text("lock")
    (skill / "backup~").write_text("old")
    (tmp_path / ".skillsync" / "junk").write_text("x")
    (skill / "scratch.md").write_text("temporary\n")
    (skill / "scratch.md").unlink()
    w.wait_for(of("unchanged", "alpha"))
    assert [e["event"] for e in w.since(start)] == ["unchanged"]
    assert len(revisions(cli, "alpha")) == 3 + len(burst)


def test_invalid_save_ignore_and_config_edits_new_and_deleted_skills(
    tmp_path: Path, registry: Registry, watches: list[Watch]
) -> None:
    """One watch over HTTP: an invalid save uploads nothing and its fix does; a .skillignore edit
    re-selects; a broken skillsync.toml is reported and the last good one kept; skills created while
    watching are created on the remote, deleted ones are reported and left alone."""
    root = http_ws(tmp_path / "ws", registry)
    skill = write_skill(root, "beta", extra={"data.csv": "a,b\n"})
    write_skill(root, "eta")
    cli = Cli(root)
    assert cli("push", "--yes").exit_code == 0
    w = Watch(root)
    watches.append(w)

    save(skill / "SKILL.md", "---\nname: Beta Skill\n---\n# Beta\n")
    ev = w.wait_for(of("blocked", "beta"))
    assert any(f.startswith("beta/SKILL.md:2: spec.name-invalid") for f in ev["findings"]), ev
    assert len(revisions(cli, "beta")) == 1  # the last good revision stays
    save(skill / "SKILL.md", "---\nname: beta\ndescription: Fixed.\n---\n# Beta\n")
    ev = w.wait_for(of("revision", "beta"))
    assert ev["revision"] == 2 and ev["files_changed"] == 1
    assert [r["number"] for r in revisions(cli, "beta")] == [2, 1]

    (skill / ".skillignore").write_text("data.csv\n")
    ev = w.wait_for(of("revision", "beta"))
    assert ev["files_changed"] == 1
    r = cli("diff", "beta", "--name-only", "--exit-code")
    assert r.exit_code == 0, r.output  # the remote no longer has data.csv
    (skill / "data.csv").write_text("ignored now\n")  # never triggers
    save(skill / "SKILL.md", (skill / "SKILL.md").read_text() + "\nMore.\n")
    ev2 = w.wait_for(of("revision", "beta"))
    assert w.since(ev) == [ev2] and ev2["files_changed"] == 1

    good = (root / "skillsync.toml").read_text()
    (root / "skillsync.toml").write_text(good + "[workspace]\nno_such_key = 1\n")
    bad = w.wait_for(of("config-error"))
    assert "skillsync.toml" in bad["message"]
    save(skill / "SKILL.md", (skill / "SKILL.md").read_text() + "\nStill uploads.\n")
    w.wait_for(of("revision", "beta"))  # the last good config is kept
    (root / "skillsync.toml").write_text(good)
    w.wait_for(of("config-reloaded"))

    write_skill(root, "theta")
    w.wait_for(of("skill-added", "theta"))
    assert w.wait_for(of("revision", "theta"))["revision"] == 1
    shutil.rmtree(root / "eta")
    ev = w.wait_for(of("skill-deleted", "eta"))
    assert "skillsync archive eta" in ev["message"]
    assert revisions(cli, "eta")  # still on the remote, not archived


def test_someone_elses_revision_stops_uploads_and_pull_does_not_echo(
    tmp_path: Path, registry: Registry, watches: list[Watch]
) -> None:
    alice_root, bob_root = http_ws(tmp_path / "alice", registry), http_ws(tmp_path / "bob", registry)
    skill = write_skill(alice_root, "gamma")
    alice, bob = Cli(alice_root), Cli(bob_root)
    assert alice("push", "--yes").exit_code == 0
    w = Watch(alice_root)
    watches.append(w)

    write_skill(bob_root, "gamma", body="# Bob's\n\nRewritten.\n")
    assert bob("push", "--yes", "--force").exit_code == 0
    bobs = digest(bob_root, "gamma")

    save(skill / "notes.md", "alice's edit\n")
    ev = w.wait_for(of("remote-moved", "gamma"))
    assert ev["state"] == "conflict" and "skillsync diff gamma" in ev["message"]
    save(skill / "notes.md", "alice's second edit\n")
    w.wait_for(of("remote-moved", "gamma"))
    assert [r["digest"] for r in revisions(alice, "gamma")] == [bobs, revisions(alice, "gamma")[1]["digest"]]

    # resolving with pull writes bob's files: watch sees them and uploads nothing
    mark = w.events[-1]
    assert alice("pull", "gamma", "--force").exit_code == 0
    w.wait_for(of("unchanged", "gamma"))
    assert not [e for e in w.since(mark) if e["event"] == "revision"]
    # and uploads resume
    save(skill / "notes.md", "after the pull\n")
    ev = w.wait_for(of("revision", "gamma"))
    assert ev["revision"] == 3
    assert len(revisions(alice, "gamma")) == 3


def test_concurrent_push_from_another_process_makes_no_duplicate(
    tmp_path: Path, registry: Registry, watches: list[Watch]
) -> None:
    root = tmp_path / "ws"
    skill, cli, w = pushed_and_watched(root, registry, watches, "delta")
    # a slow upload keeps the workspace lock held while watch's debounce runs out
    registry.app.state.faults[:] = [emulator.Fault(route=REV_ROUTE, mode="latency", latency_ms=400, times=1)]
    save(skill / "SKILL.md", (skill / "SKILL.md").read_text() + "\nEdited.\n")
    assert cli("push", "--yes").exit_code == 0
    w.wait_for(lambda e: e["event"] in ("revision", "unchanged") and e["skill"] == "delta")
    rows = revisions(cli, "delta")
    assert len(rows) == 2 and rows[0]["digest"] == digest(root, "delta")


def test_registry_outage_then_recovery_uploads_newest(
    tmp_path: Path, registry: Registry, watches: list[Watch]
) -> None:
    root = tmp_path / "ws"
    skill, cli, w = pushed_and_watched(root, registry, watches, "eps", "--publish")

    registry.stop()
    save(skill / "notes.md", "during the outage 1\n")
    down = w.wait_for(of("remote-down"))
    save(skill / "notes.md", "during the outage 2\n")
    newest = digest(root, "eps")
    registry.start()
    w.wait_for(of("remote-back"))
    ev = w.wait_for(lambda e: e["event"] == "revision" and e["digest"] == newest)
    assert [e["event"] for e in w.since(down)].count("remote-down") == 0  # said once
    rows = revisions(cli, "eps")
    assert rows[0]["digest"] == newest and ev["revision"] == rows[0]["number"]
    assert ev["published"] is True and rows[0]["status"] == "published"


def test_ctrl_c_during_an_upload_finishes_it_and_exits_130(
    tmp_path: Path, registry: Registry, watches: list[Watch]
) -> None:
    root = tmp_path / "ws"
    skill, cli, w = pushed_and_watched(root, registry, watches, "iota")
    fault = emulator.Fault(route=REV_ROUTE, mode="latency", latency_ms=800, times=1)
    registry.app.state.faults[:] = [fault]
    save(skill / "SKILL.md", (skill / "SKILL.md").read_text() + "\nEdited.\n")
    deadline = time.monotonic() + 20
    while fault.times != 0:  # the upload reached the registry and is being delayed
        assert time.monotonic() < deadline, w.events
        time.sleep(0.01)
    assert w.interrupt() == 130
    w.wait_for(of("stopped"))
    kinds = [e["event"] for e in w.events]
    assert kinds.index("revision") < kinds.index("stopped")
    assert w.events[-1]["abandoned"] == []
    rows = revisions(cli, "iota")
    assert len(rows) == 2 and rows[0]["digest"] == digest(root, "iota")


def test_no_push_validates_on_save(tmp_path: Path, watches: list[Watch]) -> None:
    skill = write_skill(tmp_path, "kappa")
    w = Watch(tmp_path, "--no-push")
    watches.append(w)
    save(skill / "SKILL.md", "---\nname: kappa\n---\n# K\n")
    ev = w.wait_for(of("blocked", "kappa"))
    assert any("description" in f for f in ev["findings"])
    save(skill / "SKILL.md", "---\nname: kappa\ndescription: Now valid.\n---\n# K\n")
    w.wait_for(of("valid", "kappa"))
    assert not (tmp_path / ".skillsync" / "registry.sqlite3").exists()  # nothing uploaded anywhere
