"""Crash safety: `skillsync push` in a real subprocess, SIGKILLed at random moments, against
`skillsync serve` (another real process, loopback HTTP). After every kill the next push must
converge: one revision per distinct content, no duplicates, latest digest == local digest."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from skillsync.manifest import build_manifest
from skillsync.workspace import open_workspace
from tests.conftest import Cli, write_skill

TOKEN = "seren_crashtest_00112233445566778899"
SKILLS = [f"crash-{i}" for i in range(4)]
ROUNDS = 8


def _serve_available() -> bool:
    from skillsync.cli.main import LazyGroup

    return LazyGroup._load("serve") is not None and LazyGroup._load("push") is not None


pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not _serve_available(), reason="skillsync serve not available yet"),
]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str]]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "skillsync",
            "serve",
            "--port",
            "0",
            "--db",
            str(tmp_path / "srv.sqlite3"),
            "--token",
            TOKEN,
            "--faults",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("serving "), line
        url, admin = line.split()[1], line.split()[3].removeprefix("admin_token=")
        yield url, admin
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _edit(ws: Path, round_: int, rnd: random.Random) -> None:
    for slug in rnd.sample(SKILLS, k=2):
        (ws / slug / f"note-{round_}.md").write_text(f"round {round_} of {slug}\n" * 50)


def test_push_killed_at_random_moments_converges(
    tmp_path: Path, served: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, admin = served
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "skillsync.toml").write_text(f'[remote]\ndefault = "test"\n\n[remotes.test]\nurl = "{url}"\n')
    for slug in SKILLS:
        write_skill(ws, slug, extra={"assets/blob.bin": os.urandom(300_000)})
    env = {**os.environ, "SEREN_API_KEY": TOKEN}
    slow = [
        {"route": route, "mode": "latency", "latency_ms": 250}
        for route in (
            "POST /organizations/{organization_id}/custom-skills",
            "POST /organizations/{organization_id}/custom-skills/{skill_id}/revisions",
        )
    ]
    answer = httpx.put(f"{url}/_emulator/faults", json=slow, headers={"Authorization": f"Bearer {admin}"})
    assert answer.status_code == 200, answer.text
    rnd = random.Random(7)
    cmd = [sys.executable, "-m", "skillsync", "push", "--yes", "--jobs", "1"]
    for round_ in range(ROUNDS):
        if round_:
            _edit(ws, round_, rnd)
        proc = subprocess.Popen(cmd, cwd=ws, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # the POSTs are slowed down (below), so most kills land while uploads are in flight or just
        # after the server committed; some land earlier (start-up, plan) or later (state writes)
        time.sleep(rnd.uniform(0.4, 1.8))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    done = subprocess.run(cmd, cwd=ws, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr

    monkeypatch.setenv("SEREN_API_KEY", TOKEN)
    cli = Cli(ws)
    status = json.loads(cli("status", "--json").stdout)
    assert {s["state"] for s in status["skills"]} == {"unchanged"}, status
    w = open_workspace(ws)
    for slug in SKILLS:
        log = json.loads(cli("log", slug, "--json").stdout)["revisions"]
        digests = [r["digest"] for r in log]
        assert len(digests) == len(set(digests)), f"{slug}: duplicate revision content: {log}"
        numbers = sorted(r["number"] for r in log)
        assert numbers == list(range(1, len(numbers) + 1))
        assert log[0]["digest"] == build_manifest(w, w.resolve(slug)).digest
