"""``mirror report``: one self-contained HTML page (no scripts, no network) with tables and SVG charts.

Charts are inline SVG drawn here: every point is a ``<circle>`` carrying ``data-series``, ``data-x``
and ``data-y`` (the value as stored, money in atomic units), so a test can compare a rendered page
with the database point by point.
"""

from __future__ import annotations

import html
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from skillsync import __version__
from skillsync.mirror import money
from skillsync.mirror.schema import open_mirror
from skillsync.mirror.show import KINDS, show
from skillsync.mirror.snapshots import Snapshot, list_snapshots, resolve

PALETTE: Final = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")
W, H, PAD_L, PAD_R, PAD_T, PAD_B = 720, 260, 80, 20, 20, 40


@dataclass(frozen=True)
class Point:
    x: str  # the label as stored (a date or timestamp)
    y: int


@dataclass(frozen=True)
class Series:
    name: str
    points: tuple[Point, ...]


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    series: tuple[Series, ...]
    money: bool  # y in atomic USDC units


def _t(x: str) -> float:
    """A date or RFC 3339 timestamp as seconds (the x axis is time)."""
    text = x.replace("Z", "+00:00")
    if len(text) == 10:
        text += "T00:00:00+00:00"
    return datetime.fromisoformat(text).timestamp()


def _fmt_y(value: float, is_money: bool) -> str:
    return money.display(int(value), None, None) if is_money else f"{value:,.0f}"


def svg(chart: Chart) -> str:
    pts = [p for s in chart.series for p in s.points]
    e = html.escape
    if not pts:
        return f'<p class="empty" id="{e(chart.id)}">no data</p>'
    xs = [_t(p.x) for p in pts]
    x0, x1 = min(xs), max(xs)
    y1 = max(max(p.y for p in pts), 1)
    x1 = x1 if x1 > x0 else x0 + 1

    def sx(x: str) -> float:
        return PAD_L + (_t(x) - x0) / (x1 - x0) * (W - PAD_L - PAD_R)

    def sy(y: int) -> float:
        return H - PAD_B - y / y1 * (H - PAD_T - PAD_B)

    out = [
        f'<svg id="{e(chart.id)}" class="chart" viewBox="0 0 {W} {H}" width="{W}" height="{H}" '
        f'role="img" aria-label="{e(chart.title)}" xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{PAD_L}" y1="{H - PAD_B}" x2="{W - PAD_R}" y2="{H - PAD_B}" class="axis"/>',
        f'<line x1="{PAD_L}" y1="{PAD_T}" x2="{PAD_L}" y2="{H - PAD_B}" class="axis"/>',
    ]
    for frac in (0.0, 0.5, 1.0):
        y = frac * y1
        label = e(_fmt_y(y, chart.money))
        out.append(f'<text x="{PAD_L - 6}" y="{sy(int(y)) + 4:.1f}" text-anchor="end">{label}</text>')
    first, last = min(pts, key=lambda p: _t(p.x)), max(pts, key=lambda p: _t(p.x))
    out.append(f'<text x="{PAD_L}" y="{H - 12}">{e(first.x[:16])}</text>')
    out.append(f'<text x="{W - PAD_R}" y="{H - 12}" text-anchor="end">{e(last.x[:16])}</text>')
    for i, s in enumerate(chart.series):
        color = PALETTE[i % len(PALETTE)]
        ordered = sorted(s.points, key=lambda p: _t(p.x))
        line = " ".join(f"{sx(p.x):.2f},{sy(p.y):.2f}" for p in ordered)
        out.append(f'<polyline points="{line}" fill="none" stroke="{color}" stroke-width="1.5"/>')
        for p in ordered:
            out.append(
                f'<circle cx="{sx(p.x):.2f}" cy="{sy(p.y):.2f}" r="2.5" fill="{color}" '
                f'data-series="{e(s.name)}" data-x="{e(p.x)}" data-y="{p.y}">'
                f"<title>{e(s.name)} {e(p.x)}: {e(_fmt_y(p.y, chart.money))}</title></circle>"
            )
    out.append("</svg>")
    legend = "".join(
        f'<span class="key"><span class="swatch" style="background:{PALETTE[i % len(PALETTE)]}"></span>'
        f"{e(s.name)}</span>"
        for i, s in enumerate(chart.series)
    )
    return "\n".join(out) + f'\n<div class="legend">{legend}</div>'


def _series(rows: Sequence[sqlite3.Row]) -> tuple[Series, ...]:
    """Rows of (series, x, y) into series, in first-seen order."""
    grouped: dict[str, list[Point]] = {}
    for name, x, y in rows:
        grouped.setdefault(str(name), []).append(Point(str(x), int(y or 0)))
    return tuple(Series(n, tuple(p)) for n, p in grouped.items())


_PUB = "o.slug || '/' || p.slug"
_JOIN = (
    "JOIN publishers p ON p.snapshot_id = t.snapshot_id AND p.id = t.publisher_id "
    "JOIN organizations o ON o.snapshot_id = t.snapshot_id AND o.id = t.organization_id"
)
_COUNT = (
    "SELECT '{0}', s.finished_at, (SELECT COUNT(*) FROM {0} x WHERE x.snapshot_id = s.id) FROM snapshots s"
)
# (id, title, SQL selecting (series, x, y), takes the snapshot id, y is money)
CHARTS: Final = (
    (
        "revenue-by-day",
        "Revenue by day (latest snapshot)",
        f"SELECT {_PUB}, t.date, t.revenue_atomic FROM revenue_days t {_JOIN} "
        "WHERE t.snapshot_id = ? ORDER BY 1, t.date",
        True,
        True,
    ),
    (
        "earnings-over-snapshots",
        "Total revenue earned, per publisher, at each snapshot",
        f"SELECT {_PUB}, s.finished_at, SUM(t.total_revenue_atomic) FROM earnings t {_JOIN} "
        "JOIN snapshots s ON s.id = t.snapshot_id GROUP BY 1, s.id ORDER BY 1, s.id",
        False,
        True,
    ),
    (
        "payouts-over-time",
        "Payouts (latest snapshot), amount by request time",
        f"SELECT {_PUB}, t.requested_at, t.amount_atomic FROM payouts t {_JOIN} "
        "WHERE t.snapshot_id = ? ORDER BY 1, t.requested_at, t.id",
        True,
        True,
    ),
    (
        "counts-over-snapshots",
        "Members and skills at each snapshot",
        f"{_COUNT.format('members')} UNION ALL {_COUNT.format('skills')} ORDER BY 1, 2",
        False,
        False,
    ),
)


def charts(conn: sqlite3.Connection, snap: Snapshot) -> list[Chart]:
    """The report's charts, each straight from the tables (docs/mirror.md lists them)."""
    out = []
    for chart_id, title, sql, per_snapshot, is_money in CHARTS:
        rows = conn.execute(sql, (snap.id,) if per_snapshot else ()).fetchall()
        out.append(Chart(chart_id, title, _series(rows), is_money))
    return out


_CSS = """
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#222;max-width:1100px}
h1{font-size:1.4rem} h2{font-size:1.1rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0;font-size:13px} th,td{padding:2px 8px;text-align:left}
th{background:#f3f3f3} tr:nth-child(even) td{background:#fafafa} td.num{text-align:right}
.chart text{font-size:11px;fill:#555} .axis{stroke:#999} .legend{margin:.25rem 0 1rem}
.key{margin-right:1rem} .swatch{display:inline-block;width:10px;height:10px;margin-right:4px}
.meta{color:#666} .failures{color:#a00}
"""


def _table(columns: Sequence[str], rows: Sequence[dict[str, object]], limit: int = 200) -> str:
    e = html.escape
    head = "".join(f"<th>{e(c)}</th>" for c in columns)
    body = []
    for r in rows[:limit]:
        cells = []
        for c in columns:
            v = r.get(c)
            text = "-" if v is None else ("yes" if v is True else "no" if v is False else str(v))
            cls = ' class="num"' if isinstance(v, int | float) and not isinstance(v, bool) else ""
            cells.append(f"<td{cls}>{e(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = (
        f'<p class="meta">{len(rows) - limit} more rows not shown (see mirror show)</p>'
        if len(rows) > limit
        else ""
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}"


def render(db: Path, *, snapshot: str | None = None) -> str:
    conn = open_mirror(db, readonly=True)
    try:
        snap = resolve(conn, snapshot)
        snaps = list_snapshots(conn)
        drawn = charts(conn, snap)
    finally:
        conn.close()
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>skillsync mirror report: snapshot {snap.id}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Mirror report: snapshot {snap.id}</h1>",
        f'<p class="meta">remote {e(snap.remote)}, organizations {e(", ".join(snap.orgs))}, taken '
        f"{e(snap.finished_at)}; {len(snaps)} snapshot(s) in the file; skillsync {e(__version__)}</p>",
    ]
    if snap.failures:
        items = "".join(
            f"<li>{e(str(f.get('resource')))} {e(str(f.get('target')))}: HTTP {e(str(f.get('status')))}</li>"
            for f in snap.failures
        )
        parts.append(f'<div class="failures"><p>Not mirrored in this snapshot:</p><ul>{items}</ul></div>')
    parts.append("<h2>Charts</h2>")
    for chart in drawn:
        parts.append(f"<h3>{e(chart.title)}</h3>")
        parts.append(svg(chart))
    for kind in KINDS:
        result = show(db, kind, snapshot=str(snap.id))
        parts.append(f"<h2>{e(kind)} ({len(result.rows)})</h2>")
        parts.append(_table(result.columns, result.rows) if result.rows else '<p class="meta">none</p>')
    parts.append("</body></html>\n")
    return "\n".join(parts)
