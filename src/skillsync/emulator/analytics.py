"""Publisher usage the local registry derives its analytics and earnings from.

The registry serves no paid traffic, so a seed records it instead: per publisher, ``usage`` rows
(one agent's spending on one day) and optional agent ``balances``. Revenue metrics, revenue by day,
top agents and (where the seed leaves them out) the earnings totals are all computed from those
rows, and payouts requested through the API move money from available to pending, so every
analytics route answers with numbers that agree with each other.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS usage (
  id INTEGER PRIMARY KEY AUTOINCREMENT, publisher_id TEXT NOT NULL REFERENCES publishers(id),
  asset_id TEXT NOT NULL, agent_wallet TEXT NOT NULL, day TEXT NOT NULL,
  revenue_atomic INTEGER NOT NULL, query_count INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS usage_publisher_day ON usage(publisher_id, day);
CREATE TABLE IF NOT EXISTS agent_balances (
  publisher_id TEXT NOT NULL REFERENCES publishers(id), agent_wallet TEXT NOT NULL,
  balance_atomic INTEGER NOT NULL, PRIMARY KEY (publisher_id, agent_wallet));
"""

REVENUE_DECIMALS = 6  # revenue strings are in the publisher's settlement asset (USDC: 6 decimals)


def today() -> date:
    return datetime.now(UTC).date()


def decimal_string(atomic: int, decimals: int = REVENUE_DECIMALS) -> str:
    """``12500000`` -> ``"12.500000"``: exact, never through a float."""
    return f"{Decimal(atomic).scaleb(-decimals):.{decimals}f}"


def usage_day(entry: dict[str, Any], where: str) -> str:
    """The ISO day of a seeded usage row: ``day`` as given, or ``days_ago`` counted from today."""
    if "day" in entry:
        try:
            return date.fromisoformat(str(entry["day"])).isoformat()
        except ValueError:
            raise ValueError(f"{where}.day: expected YYYY-MM-DD, got {entry['day']!r}") from None
    ago = entry.get("days_ago", 0)
    if isinstance(ago, bool) or not isinstance(ago, int) or ago < 0:
        raise ValueError(f"{where}.days_ago: expected a whole number of days >= 0, got {ago!r}")
    return (today() - timedelta(days=ago)).isoformat()


def usage_totals(conn: sqlite3.Connection, publisher_id: str) -> dict[str, tuple[int, int]]:
    """Revenue and query count per asset, over all recorded usage of a publisher."""
    rows = conn.execute(
        "SELECT asset_id, SUM(revenue_atomic), SUM(query_count) FROM usage WHERE publisher_id = ? "
        "GROUP BY asset_id",
        (publisher_id,),
    ).fetchall()
    return {str(r[0]): (int(r[1]), int(r[2])) for r in rows}


def publisher_totals(conn: sqlite3.Connection, publisher_id: str) -> dict[str, int] | None:
    """The publisher document's traffic counters, from usage (None when nothing was recorded)."""
    row = conn.execute(
        "SELECT COUNT(*), SUM(revenue_atomic), SUM(query_count), COUNT(DISTINCT agent_wallet) FROM usage "
        "WHERE publisher_id = ?",
        (publisher_id,),
    ).fetchone()
    if not row[0]:
        return None
    return {
        "total_revenue_atomic": int(row[1]),
        "total_queries": int(row[2]),
        "unique_agents_served": int(row[3]),
    }


def _window(conn: sqlite3.Connection, publisher_id: str, start: date, end: date) -> tuple[int, int, int]:
    row = conn.execute(
        "SELECT COALESCE(SUM(revenue_atomic), 0), COALESCE(SUM(query_count), 0), "
        "COUNT(DISTINCT agent_wallet) FROM usage WHERE publisher_id = ? AND day BETWEEN ? AND ?",
        (publisher_id, start.isoformat(), end.isoformat()),
    ).fetchone()
    return int(row[0]), int(row[1]), int(row[2])


def _change_pct(current: int, previous: int) -> int:
    if previous == 0:
        return 100 if current else 0
    return round((current - previous) * 100 / previous)


def span(days: int | None) -> int:
    return min(max(days or 30, 1), 3650)


def revenue_metrics(conn: sqlite3.Connection, publisher_id: str, days: int | None) -> dict[str, Any]:
    """The last ``days`` days (today included) against the ``days`` before them."""
    n = span(days)
    end = today()
    start = end - timedelta(days=n - 1)
    revenue, queries, agents = _window(conn, publisher_id, start, end)
    prev = _window(conn, publisher_id, start - timedelta(days=n), start - timedelta(days=1))
    return {
        "total_revenue_atomic": revenue,
        "total_revenue": decimal_string(revenue),
        "active_agents": agents,
        "total_queries": queries,
        "avg_query_cost_atomic": revenue // queries if queries else 0,
        "revenue_change_pct": _change_pct(revenue, prev[0]),
        "agents_change_pct": _change_pct(agents, prev[2]),
        "queries_change_pct": _change_pct(queries, prev[1]),
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
    }


def revenue_by_day(conn: sqlite3.Connection, publisher_id: str, days: int | None) -> list[dict[str, Any]]:
    """One row per day with usage in the window, oldest first (days without usage are left out)."""
    end = today()
    start = end - timedelta(days=span(days) - 1)
    rows = conn.execute(
        "SELECT day, SUM(revenue_atomic), SUM(query_count), COUNT(DISTINCT agent_wallet) FROM usage "
        "WHERE publisher_id = ? AND day BETWEEN ? AND ? GROUP BY day ORDER BY day",
        (publisher_id, start.isoformat(), end.isoformat()),
    ).fetchall()
    return [
        {
            "date": str(r[0]),
            "revenue_atomic": int(r[1]),
            "revenue": decimal_string(int(r[1])),
            "query_count": int(r[2]),
            "unique_agents": int(r[3]),
        }
        for r in rows
    ]


def top_agents(conn: sqlite3.Connection, publisher_id: str, limit: int | None) -> list[dict[str, Any]]:
    """Agents by total spending (all recorded usage), highest first; ties by wallet."""
    n = min(max(limit or 10, 1), 100)
    rows = conn.execute(
        "SELECT u.agent_wallet, SUM(u.revenue_atomic) AS spent, SUM(u.query_count), MAX(u.day), "
        "COALESCE(b.balance_atomic, 0) FROM usage u LEFT JOIN agent_balances b "
        "ON b.publisher_id = u.publisher_id AND b.agent_wallet = u.agent_wallet "
        "WHERE u.publisher_id = ? GROUP BY u.agent_wallet ORDER BY spent DESC, u.agent_wallet LIMIT ?",
        (publisher_id, n),
    ).fetchall()
    return [
        {
            "rank": i,
            "agent_wallet": str(r[0]),
            "total_spent_atomic": int(r[1]),
            "total_spent": decimal_string(int(r[1])),
            "balance_atomic": int(r[4]),
            "query_count": int(r[2]),
            "last_active": f"{r[3]}T00:00:00Z",
        }
        for i, r in enumerate(rows, start=1)
    ]
