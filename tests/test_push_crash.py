"""Crash safety: `skillsync push` in a real subprocess, SIGKILLed at random moments, against
`skillsync serve` (another real process, loopback HTTP). After every kill the next push must
converge: one revision per distinct content, no duplicates, latest digest == local digest.

The rounds (when each push is killed, which skills change before it) are drawn by hypothesis, so a
failure shrinks to the fewest rounds that still break convergence. Kills race real processes, so a
failing example may not replay exactly; the report still names the rounds that broke it."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skillsync.manifest import build_manifest
from skillsync.workspace import open_workspace
from tests.conftest import Cli, write_skill

TOKEN = "seren_crashtest_00112233445566778899"
SKILL_COUNT = 4
ROUNDS = 4  # per example; two examples: as many kills as the fixed 8-round test this replaces
_EXAMPLE = itertools.count()  # the server outlives examples: each example pushes its own skills

# One round: how long the push runs before SIGKILL, and which skills change before it (by index).
# The POSTs are slowed down (below), so most kills land while uploads are in flight or just after
# the server committed; some land earlier (start-up, plan) or later (state writes).
rounds_strategy = st.lists(
    st.tuples(
        st.floats(min_value=0.4, max_value=1.8, allow_nan=False),
        st.sets(st.integers(min_value=0, max_value=SKILL_COUNT - 1), min_size=1, max_size=2),
    ),
    min_size=1,
    max_size=ROUNDS,
)


def _serve_available() -> bool:
    from skillsync.cli.main import LazyGroup

    return LazyGroup._load("serve") is not None and LazyGroup._load("push") is not None


pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not _serve_available(), reason="skillsync serve not available yet"),
]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
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
        _ADMIN[line.split()[1]] = line.split()[3].removeprefix("admin_token=")
        yield line.split()[1]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _edit(ws: Path, skills: list[str], round_: int, which: set[int]) -> None:
    for i in sorted(which):
        slug = skills[i]
        (ws / slug / f"note-{round_}.md").write_text(f"round {round_} of {slug}\n" * 50)


_ADMIN: dict[str, str] = {}  # base URL -> the admin token its `serve --faults` printed


def _slow_posts(served: str) -> None:
    slow = [
        {"route": route, "mode": "latency", "latency_ms": 250}
        for route in (
            "POST /organizations/{organization_id}/custom-skills",
            "POST /organizations/{organization_id}/custom-skills/{skill_id}/revisions",
        )
    ]
    admin = {"Authorization": f"Bearer {_ADMIN[served]}"}
    answer = httpx.put(f"{served}/_emulator/faults", json=slow, headers=admin)
    assert answer.status_code == 200, answer.text


@settings(
    max_examples=2,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rounds=rounds_strategy)
def test_push_killed_at_random_moments_converges(
    tmp_path: Path, served: str, monkeypatch: pytest.MonkeyPatch, rounds: list[tuple[float, set[int]]]
) -> None:
    n = next(_EXAMPLE)
    ws = tmp_path / f"ws-{n}"
    ws.mkdir()
    skills = [f"crash-{n}-{i}" for i in range(SKILL_COUNT)]
    (ws / "skillsync.toml").write_text(f'[remote]\ndefault = "test"\n\n[remotes.test]\nurl = "{served}"\n')
    for slug in skills:
        write_skill(ws, slug, extra={"assets/blob.bin": os.urandom(300_000)})
    env = {**os.environ, "SEREN_API_KEY": TOKEN}
    _slow_posts(served)
    cmd = [sys.executable, "-m", "skillsync", "push", "--yes", "--jobs", "1"]
    for round_, (delay, which) in enumerate(rounds):
        if round_:
            _edit(ws, skills, round_, which)
        proc = subprocess.Popen(cmd, cwd=ws, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    done = subprocess.run(cmd, cwd=ws, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr

    monkeypatch.setenv("SEREN_API_KEY", TOKEN)
    cli = Cli(ws)
    status = json.loads(cli("status", "--json").stdout)
    assert {s["state"] for s in status["skills"]} == {"unchanged"}, status
    w = open_workspace(ws)
    for slug in skills:
        log = json.loads(cli("log", slug, "--json").stdout)["revisions"]
        digests = [r["digest"] for r in log]
        assert len(digests) == len(set(digests)), f"{slug}: duplicate revision content: {log}"
        numbers = sorted(r["number"] for r in log)
        assert numbers == list(range(1, len(numbers) + 1))
        assert log[0]["digest"] == build_manifest(w, w.resolve(slug)).digest
