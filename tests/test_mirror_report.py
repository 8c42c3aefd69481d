"""`skillsync mirror report` in a real headless Chromium: the page loads with no console errors,
needs nothing from the network, and every chart point sits where the database says."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from skillsync.emulator import create_app
from skillsync.mirror.report import CHARTS
from tests.conftest import Cli
from tests.emulator_helpers import client
from tests.emulator_server import serve_app
from tests.mirror_helpers import TOKEN, publisher, seed, workspace

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="Chromium is not installed (Debian: apt-get install -y chromium; .ci/run installs it)",
    ),
]

# Appended to a copy of the page: reads every chart point as the browser laid it out.
CHECKER = """<script>
window.addEventListener('load', () => {
  const out = [];
  for (const svg of document.querySelectorAll('svg.chart')) {
    const box = svg.getBoundingClientRect();
    for (const c of svg.querySelectorAll('circle')) {
      const r = c.getBoundingClientRect();
      const cx = r.left + r.width / 2, cy = r.top + r.height / 2;
      out.push({chart: svg.id, series: c.dataset.series, x: c.dataset.x, y: Number(c.dataset.y), cx, cy,
                inside: cx >= box.left && cx <= box.right && cy >= box.top && cy <= box.bottom});
    }
  }
  const pre = document.createElement('pre');
  pre.id = 'check';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


def _chromium(page: Path) -> tuple[str, list[str]]:
    """The DOM after load, and the console messages Chromium logged."""
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--no-first-run",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--enable-logging=stderr",
                "--v=0",
                "--dump-dom",
                page.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return done.stdout, console


@pytest.fixture
def mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Cli, Path]]:
    """A mirror with two snapshots of an organization with two publishers; a payout in between."""
    app = create_app(
        tmp_path / "r.db", seed=seed(publisher("pub-a", payouts=40), publisher("pub-b", payouts=5))
    )
    with serve_app(app) as url:
        monkeypatch.setenv("SEREN_API_KEY", TOKEN)
        cli = Cli(workspace(tmp_path / "ws", url))
        assert cli("mirror", "pull").exit_code == 0
        with client(url, TOKEN) as c:
            org = next(o["id"] for o in c.get("/organizations").json()["data"] if o["slug"] == "mirror-org")
            pub = next(
                p for p in c.get(f"/organizations/{org}/publishers").json()["data"] if p["slug"] == "pub-b"
            )
            asset = pub["accepted_assets"][0]["id"]
            r = c.post(f"/organizations/{org}/publishers/{pub['id']}/payouts", json={"asset_id": asset})
            assert r.status_code == 201, r.text
        assert cli("mirror", "pull").exit_code == 0
        yield cli, cli.cwd / ".skillsync" / "mirror.sqlite3"


def _expected(db: Path) -> set[tuple[str, str, str, int]]:
    conn = sqlite3.connect(db)
    try:
        latest = conn.execute("SELECT MAX(id) FROM snapshots").fetchone()[0]
        out = set()
        for chart_id, _title, sql, per_snapshot, _money in CHARTS:
            for series, x, y in conn.execute(sql, (latest,) if per_snapshot else ()):
                out.add((chart_id, str(series), str(x), int(y or 0)))
        return out
    finally:
        conn.close()


def _t(x: str) -> float:
    return datetime.fromisoformat(
        (x + "T00:00:00+00:00" if len(x) == 10 else x).replace("Z", "+00:00")
    ).timestamp()


def test_report_renders_in_chromium_with_points_matching_the_database(
    mirror: tuple[Cli, Path], tmp_path: Path
) -> None:
    cli, db = mirror
    out = tmp_path / "report.html"
    assert cli("mirror", "report", "-o", str(out)).exit_code == 0
    page = out.read_text("utf-8")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//|@import|url\(""", page), "external asset"
    assert "<script" not in page.lower()

    checked = tmp_path / "checked.html"
    checked.write_text(page.replace("</body>", CHECKER + "</body>"), "utf-8")
    dom, console = _chromium(checked)
    assert console == [], console
    found = re.search(r'<pre id="check">(.*?)</pre>', dom, re.S)
    assert found, dom[-2000:]
    points: list[dict[str, Any]] = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    expected = _expected(db)
    assert {(p["chart"], p["series"], p["x"], p["y"]) for p in points} == expected
    assert len(points) == len(expected)
    assert {p["chart"] for p in points} == {c[0] for c in CHARTS}
    assert all(p["inside"] for p in points)
    by_series: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for p in points:
        by_series.setdefault((p["chart"], p["series"]), []).append(p)
    for group in by_series.values():  # left to right in time, higher values higher up
        group.sort(key=lambda p: (_t(p["x"]), p["cx"]))
        assert [p["cx"] for p in group] == sorted(p["cx"] for p in group)
    for chart in {p["chart"] for p in points}:
        pts = sorted((p for p in points if p["chart"] == chart), key=lambda p: p["y"])
        assert [round(p["cy"], 3) for p in pts] == sorted((round(p["cy"], 3) for p in pts), reverse=True)


def test_console_errors_would_be_caught(tmp_path: Path) -> None:
    """The check above is not vacuous: a page that logs an error is seen."""
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html><body><script>console.error('boom'); nope();</script></body></html>")
    _dom, console = _chromium(bad)
    assert any("boom" in line for line in console) and any("nope" in line for line in console), console
