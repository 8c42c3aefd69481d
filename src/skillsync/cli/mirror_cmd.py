"""``skillsync mirror``: thin click wrappers over skillsync.mirror (parse, call, render)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from skillsync.cli.common import echo_err, emit_json, json_option, state
from skillsync.cli.remote_opts import REMOTE_HELP
from skillsync.errors import ExitCode
from skillsync.mirror.pull import PullEvents

DB_HELP = "Mirror file [default: .skillsync/mirror.sqlite3 in the workspace]."
KIND_NAMES = (
    "orgs",
    "members",
    "invites",
    "policy",
    "publishers",
    "earnings",
    "payouts",
    "revenue",
    "skills",
)


def _db(db: Path | None) -> Path:
    from skillsync.mirror.pull import default_db

    return db if db is not None else default_db(state().workspace())


def db_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--db", "db", type=click.Path(dir_okay=False, path_type=Path), default=None, help=DB_HELP
    )(f)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value).replace("\n", " ")


def render_table(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    cells = [[_cell(r.get(c)) for c in columns] for r in rows]
    widths = [max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(columns)]
    click.echo("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    for row in cells:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


class _PullEvents(PullEvents):
    """The remote on stderr; a progress bar there when it is a terminal (nothing when piped).

    The bar starts at the first request (after the ``remote:`` line); its length grows as
    publishers and skills are discovered, so "finished" is recomputed on every step."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.tty = sys.stderr.isatty()

    def connecting(self, remote: str) -> None:
        echo_err(f"remote: {remote}")

    def progress(self, done: int, scheduled: int) -> None:
        if not self.tty:
            return
        if self.bar is None:
            self.bar = click.progressbar(length=1, label="mirror pull", file=sys.stderr, show_pos=True)
            self.bar.__enter__()
        self.bar.length = max(scheduled, 1)
        self.bar.finished = False
        self.bar.update(done - self.bar.pos)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


class _InOrder(click.Group):
    """Subcommands listed in the order they are defined (pull first), not alphabetically."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)


@click.group("mirror", cls=_InOrder)
def mirror_command() -> None:
    """A read-only mirror of organization and publisher state in SQLite, and offline views of it.

    `mirror pull` takes a snapshot (GET requests only); `show`, `diff`, `sql`, `snapshots`,
    `report` read the file with no network. See docs/mirror.md.
    """


@mirror_command.command("pull")
@click.option(
    "--org", "orgs", multiple=True, metavar="ORG", help="Organization id or slug (repeat); default: all."
)
@db_option
@click.option("--remote", "remote", default=None, metavar="NAME", help=REMOTE_HELP)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=8,
    show_default=True,
    help="Requests in flight at most.",
)
@json_option
def pull_command(
    orgs: tuple[str, ...], db: Path | None, remote: str | None, concurrency: int, as_json: bool
) -> int:
    """Take a snapshot: organizations, members, invites, chat policy, publishers (detail, earnings,
    every payout, revenue, revenue by day, top agents) and custom skills (archived too) with their
    revisions.

    A 403 or 404 on one resource is recorded in the snapshot and reported (exit 0); other remote
    errors exit 3 with nothing written. The snapshot is written in one transaction.
    """
    from skillsync.mirror.pull import PullOptions, pull_mirror

    ws = state().workspace()
    options = PullOptions(db=_db(db), remote=remote, orgs=orgs, concurrency=concurrency)
    events = _PullEvents()
    try:
        result = asyncio.run(pull_mirror(ws, options, events))
    finally:
        events.close()
    for f in result.failures:  # on stderr in both modes: stdout stays one JSON document
        echo_err(f"skipped {f.resource} {f.target}: HTTP {f.status}: {f.message}")
    if as_json:
        emit_json(result.to_json())
        return 0
    total = sum(result.counts.values())
    click.echo(
        f"snapshot {result.snapshot_id}: {total} records from {len(result.orgs)} organization(s) "
        f"({', '.join(result.orgs) or 'none'}) in {result.requests} requests, {result.seconds:.1f}s "
        f"-> {result.db}"
    )
    for name, count in result.counts.items():
        click.echo(f"  {name:<14} {count}")
    return 0


@mirror_command.command("show")
@click.argument("kind", type=click.Choice(KIND_NAMES))
@click.option(
    "--org", "orgs", multiple=True, metavar="ORG", help="Only this organization (id or slug; repeat)."
)
@click.option(
    "--snapshot",
    default=None,
    metavar="ID",
    help="Snapshot id, latest, previous or latest~N [default: latest].",
)
@db_option
@json_option
def show_command(
    kind: str, orgs: tuple[str, ...], snapshot: str | None, db: Path | None, as_json: bool
) -> int:
    """Print one table of a snapshot (offline). Money is shown in dollars (USDC: 6 decimals, exact)."""
    from skillsync.mirror.show import show

    result = show(_db(db), kind, snapshot=snapshot, orgs=orgs)
    if as_json:
        emit_json(result.to_json())
    elif result.rows:
        render_table(result.columns, result.rows)
    else:
        echo_err(f"no {kind} in snapshot {result.snapshot.id}")
    return 0


@mirror_command.command("snapshots")
@db_option
@json_option
def snapshots_command(db: Path | None, as_json: bool) -> int:
    """List the snapshots (pulls) in the mirror file, oldest first."""
    from skillsync.mirror.schema import open_mirror
    from skillsync.mirror.snapshots import list_snapshots

    conn = open_mirror(_db(db), readonly=True)
    try:
        snaps = list_snapshots(conn)
    finally:
        conn.close()
    if as_json:
        emit_json({"snapshots": [s.to_json() for s in snaps]})
        return 0
    rows = [
        {
            "id": s.id,
            "finished_at": s.finished_at,
            "remote": s.remote,
            "orgs": ",".join(s.orgs),
            "records": sum(s.counts.values()),
            "failures": len(s.failures),
            "requests": s.requests,
        }
        for s in snaps
    ]
    if rows:
        render_table(("id", "finished_at", "remote", "orgs", "records", "failures", "requests"), rows)
    else:
        echo_err("no snapshots yet: run 'skillsync mirror pull'")
    return 0


@mirror_command.command("prune")
@click.option(
    "--keep", type=click.IntRange(1), required=True, metavar="N", help="Snapshots to keep (the newest)."
)
@db_option
@json_option
def prune_command(keep: int, db: Path | None, as_json: bool) -> int:
    """Delete all but the newest N snapshots."""
    from skillsync.mirror.snapshots import prune

    deleted = prune(_db(db), keep)
    if as_json:
        emit_json({"deleted": deleted, "kept": keep})
    else:
        click.echo(
            f"deleted {len(deleted)} snapshot(s)" + (f": {', '.join(map(str, deleted))}" if deleted else "")
        )
    return 0


@mirror_command.command("diff")
@click.option(
    "--from",
    "before",
    default=None,
    metavar="SNAPSHOT",
    help="Older snapshot [default: the one before --to].",
)
@click.option("--to", "after", default=None, metavar="SNAPSHOT", help="Newer snapshot [default: latest].")
@click.option("--exit-code", is_flag=True, help="Exit 1 when something changed (like git diff --exit-code).")
@db_option
@json_option
def diff_command(
    before: str | None, after: str | None, exit_code: bool, db: Path | None, as_json: bool
) -> int:
    """What changed between two snapshots (default: the last two): members, invites, policy,
    publishers field by field, payouts, earnings and revenue deltas, skills and revisions.

    SNAPSHOT is an id, latest, previous or latest~N.
    """
    from skillsync.mirror.diff import diff

    result = diff(_db(db), before=before, after=after)
    if as_json:
        emit_json(result.to_json())
    else:
        echo_err(
            f"snapshot {result.before.id} ({result.before.finished_at}) -> {result.after.id} "
            f"({result.after.finished_at})"
        )
        for change in result.changes:
            click.echo(change.text())
        if not result.changes:
            echo_err("no changes")
    return ExitCode.FINDINGS if exit_code and result.changes else 0


@mirror_command.command("sql")
@click.argument("statement")
@db_option
@json_option
def sql_command(statement: str, db: Path | None, as_json: bool) -> int:
    """Run one read-only SQL statement against the mirror and print the rows.

    The connection is read-only: a write statement (INSERT, UPDATE, DELETE, CREATE, ATTACH, ...) is
    refused with exit 2. Tables: snapshots, failures and one per resource (see docs/mirror.md).
    """
    from skillsync.mirror.query import run_sql

    result = run_sql(_db(db), statement)
    if as_json:
        emit_json(result.to_json())
    elif result.columns:
        render_table(tuple(result.columns), [dict(zip(result.columns, r, strict=True)) for r in result.rows])
    return 0


@mirror_command.command("report")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the page here [default: stdout].",
)
@click.option("--snapshot", default=None, metavar="ID", help="Snapshot to report [default: latest].")
@db_option
@json_option
def report_command(output: Path | None, snapshot: str | None, db: Path | None, as_json: bool) -> int:
    """Write one self-contained HTML page (no scripts, no network) with the snapshot's tables and
    inline-SVG charts: revenue by day, earnings over snapshots per publisher, payouts over time,
    members and skills counts over time."""
    from skillsync.atomic import atomic_write_text
    from skillsync.errors import LocalError
    from skillsync.mirror.report import render

    page = render(_db(db), snapshot=snapshot)
    if output is None:
        if as_json:
            emit_json({"html": page})
        else:
            click.echo(page, nl=False)
        return 0
    try:
        atomic_write_text(output, page)
    except OSError as exc:
        raise LocalError(f"{output}: cannot write the report: {exc.strerror or exc}") from None
    if as_json:
        emit_json({"output": str(output), "bytes": len(page.encode())})
    else:
        echo_err(f"wrote {output}")
    return 0


__all__ = ["ExitCode", "mirror_command"]
