"""`skillsync mirror` against the local registry over loopback HTTP: pull, show, diff, sql, prune."""

from __future__ import annotations

import inspect
import json
import sqlite3
from collections.abc import Iterator
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from skillsync.emulator import Fault, create_app
from skillsync.mirror import reader as reader_module
from skillsync.mirror.money import display, plain
from skillsync.mirror.schema import SCHEMA_VERSION, TABLES
from skillsync.remote.client import OPERATIONS
from tests.conftest import Cli
from tests.emulator_helpers import client, files
from tests.emulator_server import serve_app
from tests.mirror_helpers import TOKEN, Recorder, publisher, seed, workspace


@pytest.fixture
def registry(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[Recorder, str, Path]]:
    """A seeded registry (2 publishers, one with 120 payouts, or as many as the test's ``payouts``
    mark says) with a request recorder."""
    mark = request.node.get_closest_marker("payouts")
    many = mark.args[0] if mark else 120
    db = tmp_path / "registry.sqlite3"
    app = create_app(db, seed=seed(publisher("big-pub", payouts=many), publisher("small-pub")))
    rec = Recorder(app)
    with serve_app(rec) as url:
        with client(url, TOKEN) as c:
            org = c.get("/organizations").json()["data"]
            org_id = next(o["id"] for o in org if o["slug"] == "mirror-org")
            base = f"/organizations/{org_id}/custom-skills"
            alpha = {
                "slug": "alpha",
                "display_name": "Alpha",
                "initial_revision": {"files": files(), "publish": True},
            }
            beta = {"slug": "beta", "display_name": "Beta", "initial_revision": {"files": files()}}
            for body in (alpha, beta):
                made = c.post(base, json=body)
                assert made.status_code == 200, made.text
        rec.requests.clear()
        yield rec, url, db


@pytest.fixture
def cli(tmp_path: Path, registry: tuple[Recorder, str, Path], monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setenv("SEREN_API_KEY", TOKEN)
    return Cli(workspace(tmp_path / "ws", registry[1]))


def _ok(result: Any) -> None:
    assert result.exit_code == 0, result.output


def _json(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.payouts(1000)
def test_full_pull_is_get_only_pages_every_payout_and_shows_money(
    cli: Cli, registry: tuple[Recorder, str, Path]
) -> None:
    rec = registry[0]
    pulled = cli("mirror", "pull", "--json")
    out = _json(pulled)
    assert out["failures"] == [] and out["snapshot"] == 1
    # the remote is named; no progress bar when stderr is not a terminal
    assert pulled.stderr.splitlines() == [f"remote: reg ({registry[1]})"], pulled.stderr
    assert rec.requests and {m for m, _ in rec.requests} == {"GET"}, set(rec.requests)
    assert out["requests"] == len(rec.requests)
    payout_pages = [p for m, p in rec.requests if p.endswith("/payouts")]
    assert len(payout_pages) == 10 + 1  # 1,000 payouts in pages of 100, plus the small publisher
    assert out["counts"]["payouts"] == 1003 and out["counts"]["publishers"] == 2
    assert out["counts"]["skills"] == 2 and out["counts"]["revisions"] == 2

    payouts = _json(cli("mirror", "show", "payouts", "--json"))
    assert payouts["format_version"] == "1" and payouts["kind"] == "payouts" and payouts["snapshot"] == 1
    big = [r for r in payouts["rows"] if r["publisher"] == "big-pub"]
    assert len(big) == 1000 and len({r["id"] for r in big}) == 1000
    assert sorted(r["amount_atomic"] for r in big) == [1_000 + i for i in range(1000)]
    first = next(r for r in big if r["amount_atomic"] == 1_999)
    assert first["amount"] == "$0.001999" and first["amount_amount"] == "0.001999"

    earnings = {r["publisher"]: r for r in _json(cli("mirror", "show", "earnings", "--json"))["rows"]}
    assert earnings["small-pub"]["total_revenue_atomic"] == sum(250_000 * (d + 1) for d in range(5))
    assert earnings["small-pub"]["total_revenue"] == "$3.75"
    text = cli("mirror", "show", "earnings").stdout
    assert "$3.75" in text and "small-pub" in text

    skills = {r["slug"]: r for r in _json(cli("mirror", "show", "skills", "--json"))["rows"]}
    assert (skills["alpha"]["published"], skills["beta"]["published"], skills["beta"]["latest"]) == (
        1,
        None,
        1,
    )
    revenue = _json(cli("mirror", "show", "revenue", "--org", "mirror-org", "--json"))["rows"]
    assert {r["publisher"] for r in revenue} == {"big-pub", "small-pub"}


def test_the_mirror_reader_has_no_write_method() -> None:
    public = {n for n, v in inspect.getmembers(reader_module.MirrorReader) if not n.startswith("_")}
    words = ("create", "update", "delete", "put", "post", "patch", "assign", "upload", "publish", "archive")
    assert not {n for n in public if set(n.split("_")) & set(words)}, public
    assert "request_count" in public and "payouts" in public
    source = inspect.getsource(reader_module)
    used = {op for op in OPERATIONS if f'"{op}"' in source}
    assert used and {OPERATIONS[op][0] for op in used} == {"GET"}, used
    # nothing in the module reaches the client's write methods
    assert not [w for w in ("create_", "update_", "publish_", ".post(", ".put(", ".delete(") if w in source]


def test_member_removed_and_invite_accepted_between_pulls_show_in_diff(
    cli: Cli, registry: tuple[Recorder, str, Path]
) -> None:
    _ok(cli("mirror", "pull"))
    reg = sqlite3.connect(registry[2])
    with reg:
        reg.execute("UPDATE invites SET accepted_at = '2026-06-01T00:00:00Z' WHERE email = 'new@example.com'")
        reg.execute(
            "DELETE FROM members WHERE user_id = (SELECT id FROM users WHERE email = 'gone@example.com')"
        )
        reg.execute(
            "UPDATE members SET role = 'viewer' "
            "WHERE user_id = (SELECT id FROM users WHERE email = 'admin@example.com')"
        )
    reg.close()
    with client(registry[1], TOKEN) as c:
        org_id = next(o["id"] for o in c.get("/organizations").json()["data"] if o["slug"] == "mirror-org")
        pubs = c.get(f"/organizations/{org_id}/publishers").json()["data"]
        small = next(p for p in pubs if p["slug"] == "small-pub")
        asset = small["accepted_assets"][0]["id"]
        r = c.post(
            f"/organizations/{org_id}/publishers/{small['id']}/payouts",
            json={"asset_id": asset, "amount_atomic": 5},
        )
        assert r.status_code == 201, r.text
        new_payout = r.json()["data"]["id"]
    _ok(cli("mirror", "pull"))
    assert cli("mirror", "diff", "--exit-code").exit_code == 1
    changes = _json(cli("mirror", "diff", "--json"))
    assert changes["from"] == 1 and changes["to"] == 2 and changes["changed"] is True
    seen = {(c["kind"], c["action"], c["key"]) for c in changes["changes"]}
    assert ("members", "left", "gone@example.com") in seen
    assert ("members", "role", "admin@example.com") in seen
    assert ("invites", "accepted", "new@example.com") in seen
    assert ("payouts", "new", f"small-pub/{new_payout}") in seen
    pending = [
        c for c in changes["changes"] if c["kind"] == "earnings" and c["field"] == "pending_payout_atomic"
    ]
    assert [(c["key"], c["to"] - c["from"]) for c in pending] == [("small-pub/USDC", 5)]
    assert not [c for c in changes["changes"] if c["kind"] in ("skills", "publishers", "policy")]
    same = _json(cli("mirror", "diff", "--from", "2", "--to", "latest", "--json"))
    assert same["changed"] is False and cli("mirror", "diff", "--from", "2", "--exit-code").exit_code == 0


def test_a_403_on_one_publisher_is_recorded_not_fatal(cli: Cli, registry: tuple[Recorder, str, Path]) -> None:
    with client(registry[1], TOKEN) as c:
        org_id = next(o["id"] for o in c.get("/organizations").json()["data"] if o["slug"] == "mirror-org")
        small = next(
            p for p in c.get(f"/organizations/{org_id}/publishers").json()["data"] if p["slug"] == "small-pub"
        )
    base = f"/organizations/{org_id}/publishers/{small['id']}"
    registry[0].app.state.faults = [  # type: ignore[attr-defined]
        Fault(route=f"GET {base}", status=403),
        Fault(route=f"GET {base}/earnings", status=403),
    ]
    result = cli("mirror", "pull", "--json")
    out = _json(result)
    assert {(f["resource"], f["target"], f["status"]) for f in out["failures"]} == {
        ("publishers", small["id"], 403),
        ("earnings", small["id"], 403),
    }
    assert f"skipped earnings {small['id']}: HTTP 403" in result.stderr, result.stderr
    earnings = _json(cli("mirror", "show", "earnings", "--json"))["rows"]
    assert [r["publisher"] for r in earnings] == ["big-pub"]  # the other publisher is complete
    assert len(_json(cli("mirror", "show", "publishers", "--json"))["rows"]) == 2  # listed anyway
    failures = _json(
        cli("mirror", "sql", "SELECT resource, status FROM failures ORDER BY resource", "--json")
    )
    assert failures["rows"] == [
        {"resource": "earnings", "status": 403},
        {"resource": "publishers", "status": 403},
    ]
    snap = _json(cli("mirror", "snapshots", "--json"))["snapshots"][0]
    assert len(snap["failures"]) == 2


def test_a_500_stops_the_pull_with_exit_3_and_writes_nothing(
    cli: Cli, registry: tuple[Recorder, str, Path]
) -> None:
    registry[0].app.state.faults = [Fault(route="GET /organizations/{id}/invites", status=500)]  # type: ignore[attr-defined]
    result = cli("mirror", "pull")
    assert result.exit_code == 3, result.output
    assert cli("mirror", "snapshots", "--json").stdout.count('"id"') == 0


def test_sql_is_read_only_and_prune_keeps_the_newest(cli: Cli) -> None:
    for _ in range(3):
        _ok(cli("mirror", "pull"))
    unchanged = cli("mirror", "diff", "--from", "1", "--to", "2", "--exit-code", "--json")
    assert unchanged.exit_code == 0 and json.loads(unchanged.stdout)["changes"] == []
    rows = _json(cli("mirror", "sql", "SELECT COUNT(*) AS n FROM payouts WHERE snapshot_id = 3", "--json"))[
        "rows"
    ]
    assert rows == [{"n": 123}]
    for statement in (
        "DELETE FROM payouts",
        "UPDATE members SET role = 'owner'",
        "CREATE TABLE x (a)",
        "ATTACH DATABASE 'other.db' AS o",
        "PRAGMA journal_mode=DELETE",
    ):
        refused = cli("mirror", "sql", statement)
        assert refused.exit_code == 2, (statement, refused.output)
        assert "read-only" in refused.stderr, refused.stderr
    assert _json(cli("mirror", "sql", "SELECT COUNT(*) AS n FROM payouts", "--json"))["rows"] == [{"n": 369}]
    bad = cli("mirror", "sql", "SELECT nope FROM nowhere")
    assert bad.exit_code == 2 and "no such table" in bad.stderr
    assert _json(cli("mirror", "prune", "--keep", "1", "--json"))["deleted"] == [1, 2]
    assert [s["id"] for s in _json(cli("mirror", "snapshots", "--json"))["snapshots"]] == [3]
    left = _json(cli("mirror", "sql", "SELECT COUNT(DISTINCT snapshot_id) AS n FROM payouts", "--json"))
    assert left["rows"] == [{"n": 1}]
    one = cli("mirror", "diff")
    assert one.exit_code == 2 and "1 snapshot" in one.stderr


def test_schema_versions_foreign_and_newer_files_are_refused(tmp_path: Path, cli: Cli) -> None:
    db = cli.cwd / ".skillsync" / "mirror.sqlite3"
    _ok(cli("mirror", "pull"))
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {t.name for t in TABLES} | {"snapshots", "failures"} <= names
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.close()
    for args in (("mirror", "show", "orgs"), ("mirror", "pull")):
        newer = cli(*args)
        assert newer.exit_code == 4 and "newer than this skillsync" in newer.stderr, newer.output
    foreign = tmp_path / "other.sqlite3"
    with sqlite3.connect(foreign) as other:
        other.execute("CREATE TABLE notes (a)")
    refused = cli("mirror", "pull", "--db", str(foreign))
    assert refused.exit_code == 4 and "not a skillsync mirror file" in refused.stderr
    missing = cli("mirror", "show", "orgs", "--db", str(tmp_path / "none.sqlite3"))
    assert missing.exit_code == 4 and "mirror pull" in missing.stderr


def test_unknown_org_and_snapshot_are_usage_errors(cli: Cli) -> None:
    assert cli("mirror", "pull", "--org", "nope").exit_code == 2
    _ok(cli("mirror", "pull", "--org", "mirror-org"))
    assert _json(cli("mirror", "snapshots", "--json"))["snapshots"][0]["organizations"] == ["mirror-org"]
    assert cli("mirror", "show", "orgs", "--snapshot", "99").exit_code == 2
    assert cli("mirror", "show", "members", "--org", "elsewhere").exit_code == 2


@pytest.mark.parametrize(
    ("atomic", "decimals", "symbol", "shown"),
    [
        (12_500_000, 6, "USDC", "$12.50"),
        (12_345_678, 6, "USDC", "$12.345678"),
        (1, 6, "USDC", "$0.000001"),
        (-2_500_000, 6, None, "-$2.50"),
        (1_500_000_000_000_000_000, 18, "ETH", "1.50 ETH"),
        (None, 6, "USDC", "-"),
    ],
)
def test_money_is_exact(atomic: int | None, decimals: int, symbol: str | None, shown: str) -> None:
    assert display(atomic, decimals, symbol) == shown
    if atomic is not None:
        assert plain(atomic, decimals) is not None


@given(atomic=st.integers(-(10**30), 10**30), decimals=st.integers(0, 30))
def test_money_strings_round_trip_exactly(atomic: int, decimals: int) -> None:
    text = plain(atomic, decimals)
    with localcontext() as ctx:
        ctx.prec = 100  # exact for these sizes
        assert text is not None and Decimal(text).scaleb(decimals) == atomic
    assert len(text.partition(".")[2]) >= 2


def test_reader_fetches_remaining_payout_pages_when_payouts_arrive_meanwhile(tmp_path: Path) -> None:
    """A payout created between pages shifts the newest-first list; nothing is lost or doubled."""
    import asyncio

    from skillsync.mirror.reader import MirrorReader
    from skillsync.remote.client import SerenClient

    app = create_app(tmp_path / "r.db", seed=seed(publisher("paged-pub", payouts=250)))
    with serve_app(app) as url, client(url, TOKEN) as c:
        org_id = next(o["id"] for o in c.get("/organizations").json()["data"] if o["slug"] == "mirror-org")
        pub = c.get(f"/organizations/{org_id}/publishers").json()["data"][0]
        asset = pub["accepted_assets"][0]["id"]
        posted: list[str] = []

        async def go() -> list[dict[str, Any]]:
            async with SerenClient(url, TOKEN, remote="t") as sc:
                reader = MirrorReader(sc, concurrency=1)

                def between(done: int, _total: int) -> None:
                    if done == 1:  # after the first page: a new payout lands at the front of the list
                        r = httpx.post(
                            f"{url}/organizations/{org_id}/publishers/{pub['id']}/payouts",
                            json={"asset_id": asset, "amount_atomic": 1},
                            headers={"Authorization": f"Bearer {TOKEN}"},
                        )
                        posted.append(r.json()["data"]["id"])

                reader._MirrorReader__on_progress = between  # type: ignore[attr-defined]
                return await reader.payouts(org_id, pub["id"], page_size=100)

        got = asyncio.run(go())
    ids = [p["id"] for p in got]
    assert len(ids) == len(set(ids)) and len(ids) >= 250


def test_an_older_file_is_refused_by_readers_and_upgraded_in_place_by_pull(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from skillsync.mirror import schema

    _ok(cli("mirror", "pull"))
    monkeypatch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS, "CREATE TABLE later (a INTEGER);\n"))
    monkeypatch.setattr(schema, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    old = cli("mirror", "show", "orgs")
    assert old.exit_code == 4 and "run 'skillsync mirror pull' once to upgrade" in old.stderr, old.output
    _ok(cli("mirror", "pull"))
    db = cli.cwd / ".skillsync" / "mirror.sqlite3"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
        assert conn.execute("SELECT COUNT(*) FROM later").fetchone()[0] == 0
    assert [s["id"] for s in _json(cli("mirror", "snapshots", "--json"))["snapshots"]] == [1, 2]


def test_concurrent_pulls_into_one_file_both_land_whole(cli: Cli) -> None:
    """Two pulls at once (one writer at a time, WAL): two complete snapshots, nothing interleaved."""
    import asyncio
    import threading

    from skillsync.mirror.pull import PullOptions, default_db, pull_mirror
    from skillsync.workspace import open_workspace

    ws = open_workspace(cli.cwd)
    db = default_db(ws)
    results: list[Any] = []
    errors: list[BaseException] = []

    def one() -> None:
        try:
            results.append(asyncio.run(pull_mirror(ws, PullOptions(db=db))))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and sorted(r.snapshot_id for r in results) == [1, 2]
    for r in results:
        stored = _json(
            cli(
                "mirror",
                "sql",
                f"SELECT COUNT(*) AS n FROM payouts WHERE snapshot_id = {r.snapshot_id}",
                "--json",
            )
        )
        assert stored["rows"] == [{"n": r.counts["payouts"]}] and r.counts["payouts"] == 123


def test_progress_bar_shows_on_a_terminal(cli: Cli) -> None:
    """stderr on a pseudo-terminal gets the bar (piped, it does not: see the full-pull test)."""
    import os
    import pty
    import subprocess
    import sys

    main, tty = pty.openpty()
    env = {**os.environ, "SEREN_API_KEY": TOKEN}
    proc = subprocess.Popen(
        [sys.executable, "-m", "skillsync", "mirror", "pull"],
        cwd=cli.cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=tty,
    )
    os.close(tty)  # read while it runs (a full pty would block it); EIO once it has exited
    seen = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(main)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0
    text = seen.decode("utf-8", "replace")
    assert "mirror pull" in text and "[####" in text, text
    assert b"mirror pull  [" not in out
