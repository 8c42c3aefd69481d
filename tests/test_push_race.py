"""Issue 13, item 8: two authors pushing the same skill at once; the loser is told (exit 1).

Two real `skillsync push` processes against the registry over loopback HTTP. Revision POSTs are
slowed down so both pushes pass their "remote moved?" re-read before either revision exists (the
API has no compare-and-set); before, both reported a clean push (19 of 19 rounds).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from skillsync.emulator import Fault, create_app
from tests.conftest import Cli, write_skill
from tests.emulator_server import serve_app

TOKEN = "seren_race_test"


def test_concurrent_pushes_of_one_skill_report_the_race(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(tmp_path / "r.db", tokens=[TOKEN])
    env = {**os.environ, "SEREN_API_KEY": TOKEN}
    cmd = [sys.executable, "-m", "skillsync", "push", "--yes", "--json"]
    with serve_app(app) as url:
        one = tmp_path / "one"
        write_skill(one, "hello")
        (one / "skillsync.toml").write_text(f'[remote]\ndefault = "test"\n\n[remotes.test]\nurl = "{url}"\n')
        monkeypatch.setenv("SEREN_API_KEY", TOKEN)
        first = Cli(one)("push", "--yes")
        assert first.exit_code == 0, first.output
        two = tmp_path / "two"
        shutil.copytree(one, two)  # the same base (revision 1), state included
        (one / "hello" / "a.md").write_text("author one\n")
        (two / "hello" / "b.md").write_text("author two\n")
        route = "POST /organizations/{organization_id}/custom-skills/{skill_id}/revisions"
        app.state.faults = [Fault(route, mode="latency", latency_ms=2000)]
        procs = [
            subprocess.Popen(cmd, cwd=ws, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for ws in (one, two)
        ]
        outs = [p.communicate(timeout=120) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes == [0, 1], outs
    results = {p.returncode: json.loads(out)["skills"][0] for p, (out, _) in zip(procs, outs, strict=True)}
    assert results[0]["result"] == "revised" and results[0]["revision"] == 2
    raced = results[1]
    assert raced["result"] == "raced" and raced["revision"] == 3
    assert "revision 3 was created on base 1, but revision 2 was pushed by someone else" in raced["message"]
    assert "skillsync diff hello --from-revision 2 --to-revision 3" in raced["message"]
