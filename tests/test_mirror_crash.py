"""`skillsync mirror pull` in a real subprocess, SIGKILLed at random moments: the previous snapshot
stays intact and no half snapshot is ever visible (a snapshot is written in one transaction)."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from skillsync.emulator import Fault, create_app
from tests.conftest import Cli
from tests.emulator_server import serve_app
from tests.mirror_helpers import TOKEN, publisher, seed, workspace

pytestmark = pytest.mark.slow
ROUNDS = 2


def _complete(db: Path) -> dict[int, dict[str, int]]:
    """Each snapshot's recorded counts, checked against the rows actually stored for it."""
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        out = {}
        for sid, counts_json in conn.execute("SELECT id, counts FROM snapshots ORDER BY id").fetchall():
            counts = json.loads(counts_json)
            for table, n in counts.items():
                stored = conn.execute(
                    f"SELECT COUNT(*) FROM {table} WHERE snapshot_id = ?", (sid,)
                ).fetchone()[0]
                assert stored == n, (sid, table, stored, n)
            out[int(sid)] = counts
        orphans = conn.execute(
            "SELECT COUNT(*) FROM payouts WHERE snapshot_id NOT IN (SELECT id FROM snapshots)"
        )
        assert orphans.fetchone()[0] == 0
        return out
    finally:
        conn.close()


def test_pull_killed_mid_way_leaves_only_complete_snapshots(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(tmp_path / "r.db", seed=seed(publisher("big-pub", payouts=1000), publisher("other-pub")))
    with serve_app(app) as url:
        ws = workspace(tmp_path / "ws", url)
        monkeypatch.setenv("SEREN_API_KEY", TOKEN)
        first = Cli(ws)("mirror", "pull")
        assert first.exit_code == 0, first.output
        db = ws / ".skillsync" / "mirror.sqlite3"
        before = _complete(db)
        assert list(before) == [1]
        # slow pages, so most kills land while requests are in flight; some land during the write
        app.state.faults = [
            Fault(route="GET /organizations/{o}/publishers/{p}/payouts", mode="latency", latency_ms=60)
        ]
        env = {**os.environ, "SEREN_API_KEY": TOKEN}
        cmd = [sys.executable, "-m", "skillsync", "mirror", "pull"]
        rnd = random.Random(15)
        for _ in range(ROUNDS):
            proc = subprocess.Popen(
                cmd, cwd=ws, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            time.sleep(rnd.uniform(0.3, 1.2))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            now = _complete(db)
            assert now[1] == before[1]  # the previous snapshot is untouched
            listed = json.loads(Cli(ws)("mirror", "snapshots", "--json").stdout)["snapshots"]
            assert [s["id"] for s in listed] == sorted(now)
        app.state.faults = []
        last = Cli(ws)("mirror", "pull", "--json")
        assert last.exit_code == 0, last.output
        final = _complete(db)
        assert final[max(final)]["payouts"] == 1003


def test_first_opens_of_a_new_file_at_once_all_succeed(tmp_path: Path) -> None:
    """Several pulls creating one new mirror file at once: SQLite refuses the switch to WAL without
    waiting while another connection writes the schema; open_mirror retries instead of failing.
    (Before the retry, about one round in ten here had a 'database is locked' error.)"""
    import threading

    from skillsync.mirror.schema import open_mirror

    for round_ in range(25):
        path = tmp_path / f"m{round_}.sqlite3"
        errors: list[BaseException] = []

        def one(target: Path = path, errs: list[BaseException] = errors) -> None:
            try:
                open_mirror(target).close()
            except BaseException as exc:  # surfaced below
                errs.append(exc)

        threads = [threading.Thread(target=one) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == [], f"round {round_}: {errors}"
