"""The local registry's analytics and earnings agree with the usage and payouts they derive from."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillsync.emulator import analytics, contract, create_app
from skillsync.emulator.seed import SeedError
from tests.emulator_helpers import client
from tests.emulator_server import serve_app

SEED = Path(__file__).resolve().parent / "data" / "registry-seed.json"
ALICE = "seren_local_alice"
A1 = "0xaaaa000000000000000000000000000000000001"


@pytest.fixture
def alice(tmp_path: Path) -> Iterator[httpx.Client]:
    with serve_app(create_app(tmp_path / "r.db", seed=SEED)) as url, client(url, ALICE) as c:
        yield c


def _base(c: httpx.Client) -> str:
    org = next(o["id"] for o in c.get("/organizations").json()["data"] if o["slug"] == "acme")
    pub = c.get(f"/organizations/{org}/publishers").json()["data"][0]["id"]
    return f"/organizations/{org}/publishers/{pub}"


def _conforms(doc: dict[str, Any], path: str) -> None:
    op = contract.spec()["paths"][path]["get"]
    ref = op["responses"]["200"]["content"]["application/json"]["schema"]
    assert contract.conforms(doc, ref), doc


def test_analytics_routes_are_derived_from_seeded_usage(alice: httpx.Client) -> None:
    base = _base(alice)
    tmpl = "/organizations/{organization_id}/publishers/{publisher_id}"
    metrics = alice.get(base + "/analytics/revenue", params={"days": 30}).json()
    _conforms(metrics, tmpl + "/analytics/revenue")
    m = metrics["data"]
    assert (m["total_revenue_atomic"], m["total_queries"], m["active_agents"]) == (450_000, 18, 2)
    assert m["total_revenue"] == "0.450000" and m["avg_query_cost_atomic"] == 450_000 // 18
    assert m["revenue_change_pct"] == round((450_000 - 50_000) * 100 / 50_000)  # the day-40 row
    days = alice.get(base + "/analytics/revenue-by-day", params={"days": 7}).json()
    _conforms(days, tmpl + "/analytics/revenue-by-day")
    assert [(d["revenue_atomic"], d["query_count"], d["unique_agents"]) for d in days["data"]] == [
        (200_000, 8, 2),
        (250_000, 10, 1),
    ]
    top = alice.get(base + "/analytics/top-agents").json()
    _conforms(top, tmpl + "/analytics/top-agents")
    first = top["data"][0]
    assert (first["rank"], first["agent_wallet"], first["total_spent_atomic"]) == (1, A1, 375_000)
    assert top["data"][0]["balance_atomic"] == 900_000 and top["data"][1]["balance_atomic"] == 0
    assert len(alice.get(base + "/analytics/top-agents", params={"limit": 1}).json()["data"]) == 1


def _one_publisher(**extra: Any) -> dict[str, Any]:
    """A seed of one organization with one publisher, plus ``extra`` publisher fields."""
    pub = {
        "name": "P",
        "slug": "p-one",
        "wallet_address": "0x1234567890123456789012345678901234567890",
        "wallet_network_id": "base",
        "publisher_category": "database",
        **extra,
    }
    return {
        "users": [{"email": "a@example.com", "token": "tok"}],
        "organizations": [{"name": "Org", "slug": "org", "owner": "a@example.com", "publishers": [pub]}],
    }


def test_earnings_left_out_of_the_seed_are_derived(tmp_path: Path) -> None:
    seed = _one_publisher(
        usage=[{"days_ago": 2, "agent_wallet": "0xa", "revenue_atomic": 9_000_000}],
        payouts=[
            {"amount_atomic": 1_000_000, "status": "completed"},
            {"amount_atomic": 500_000, "status": "queued"},
            {"amount_atomic": 700_000, "status": "failed"},
        ],
    )
    with serve_app(create_app(tmp_path / "r.db", seed=seed)) as url, client(url, "tok") as c:
        org = next(o["id"] for o in c.get("/organizations").json()["data"] if o["slug"] == "org")
        pub = c.get(f"/organizations/{org}/publishers").json()["data"][0]["id"]
        (e,) = c.get(f"/organizations/{org}/publishers/{pub}/earnings").json()["data"]
    assert (e["total_revenue_atomic"], e["total_withdrawn_atomic"], e["pending_payout_atomic"]) == (
        9_000_000,
        1_000_000,
        500_000,
    )
    assert e["available_atomic"] == 7_500_000 and e["request_count"] == 1


def test_bad_usage_day_is_a_seed_error_naming_the_entry(tmp_path: Path) -> None:
    seed = _one_publisher(usage=[{"day": "yesterday", "agent_wallet": "0xa"}])
    with pytest.raises(SeedError, match=r"organizations\[0\]\.publishers\[0\]\.usage\[0\]\.day"):
        create_app(tmp_path / "r.db", seed=seed)


rows = st.lists(
    st.tuples(
        st.integers(0, 90), st.sampled_from(["0xa", "0xb", "0xc"]), st.integers(0, 10**9), st.integers(0, 50)
    ),
    max_size=30,
)


@settings(max_examples=40, deadline=None)
@given(rows=rows, days=st.integers(1, 60))
def test_revenue_by_day_sums_to_the_metrics_of_the_same_window(
    rows: list[tuple[int, str, int, int]], days: int
) -> None:
    conn = sqlite3.connect(":memory:")
    conn.executescript("CREATE TABLE publishers (id TEXT PRIMARY KEY);" + analytics.SCHEMA)
    conn.execute("INSERT INTO publishers VALUES ('p')")
    today = analytics.today()
    for ago, wallet, revenue, queries in rows:
        conn.execute(
            "INSERT INTO usage (publisher_id, asset_id, agent_wallet, day, revenue_atomic, query_count) "
            "VALUES ('p', 'usdc', ?, ?, ?, ?)",
            (wallet, (today - timedelta(days=ago)).isoformat(), revenue, queries),
        )
    metrics = analytics.revenue_metrics(conn, "p", days)
    by_day = analytics.revenue_by_day(conn, "p", days)
    assert sum(d["revenue_atomic"] for d in by_day) == metrics["total_revenue_atomic"]
    assert sum(d["query_count"] for d in by_day) == metrics["total_queries"]
    assert [d["date"] for d in by_day] == sorted({d["date"] for d in by_day})
    top = analytics.top_agents(conn, "p", 100)
    assert sum(a["total_spent_atomic"] for a in top) == sum(r[2] for r in rows)
    spent = [a["total_spent_atomic"] for a in top]
    assert spent == sorted(spent, reverse=True)
