"""``mirror pull``: fetch organizations and their publishers and skills into one new snapshot.

Everything is fetched first (concurrently, GET only, through :class:`MirrorReader`), then written
in one transaction: a pull killed at any point leaves the file as it was, and readers never see a
half snapshot. A 403 or 404 on one resource is recorded in the snapshot (``failures``) and the
rest goes on; any other remote error stops the pull with nothing written.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from skillsync import __version__
from skillsync.errors import UsageError
from skillsync.mirror.reader import DEFAULT_CONCURRENCY, MirrorReader, Record
from skillsync.mirror.schema import TABLE, TABLES, open_mirror
from skillsync.workspace import Workspace

T = TypeVar("T")
MIRROR_FILE = "mirror.sqlite3"
RECORDED_STATUSES = frozenset({403, 404})


def default_db(ws: Workspace) -> Path:
    return ws.state_dir / MIRROR_FILE


@dataclass(frozen=True)
class PullOptions:
    db: Path
    remote: str | None = None
    orgs: tuple[str, ...] = ()  # ids or slugs; empty = every organization the key can see
    concurrency: int = DEFAULT_CONCURRENCY
    revenue_days: int = 90
    top_agents: int = 10


class PullEvents:
    """What a running pull tells its caller (as ``skillsync.commands.events``); defaults do nothing."""

    def connecting(self, remote: str) -> None:
        """Before the first request: how messages name the remote."""

    def progress(self, done: int, scheduled: int) -> None:
        """A request finished; ``scheduled`` grows as publishers and skills are discovered."""


@dataclass(frozen=True)
class Failure:
    """A resource the remote refused (403) or did not have (404); recorded, not fatal."""

    organization_id: str | None
    resource: str
    target: str
    status: int | None
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "organization_id": self.organization_id,
            "resource": self.resource,
            "target": self.target,
            "status": self.status,
            "message": self.message,
        }


@dataclass
class PullResult:
    snapshot_id: int
    db: Path
    remote: str
    started_at: str
    finished_at: str
    orgs: list[str]
    counts: dict[str, int]
    failures: list[Failure]
    requests: int
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {
            "snapshot": self.snapshot_id,
            "db": str(self.db),
            "remote": self.remote,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "organizations": self.orgs,
            "counts": self.counts,
            "failures": [f.to_json() for f in self.failures],
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class _Collected:
    rows: dict[str, list[tuple[dict[str, str], Record]]] = field(
        default_factory=lambda: {t.name: [] for t in TABLES}
    )
    failures: list[Failure] = field(default_factory=list)

    def add(self, table: str, parents: dict[str, str], records: list[Record]) -> None:
        self.rows[table].extend((parents, r) for r in records)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def pick_orgs(orgs: list[Record], wanted: tuple[str, ...], remote: str) -> list[Record]:
    if not wanted:
        return orgs
    chosen = []
    for spec in wanted:
        if spec == "default":  # as the API reads it: the caller's personal organization
            match = next((o for o in orgs if o.get("is_personal")), None)
        else:
            match = next((o for o in orgs if spec in (o.get("id"), o.get("slug"))), None)
        if match is None:
            listing = ", ".join(f"{o.get('slug')} ({o.get('id')})" for o in orgs) or "none"
            raise UsageError(f"{remote}: no organization '{spec}'; available: {listing}")
        if match not in chosen:
            chosen.append(match)
    return chosen


class _Puller:
    def __init__(self, reader: MirrorReader, options: PullOptions) -> None:
        self.reader = reader
        self.options = options
        self.out = _Collected()

    async def guard(self, org: str | None, resource: str, target: str, call: Awaitable[T]) -> T | None:
        from skillsync.remote.errors import ApiError

        try:
            return await call
        except ApiError as exc:
            if exc.status not in RECORDED_STATUSES:
                raise
            self.out.failures.append(Failure(org, resource, target, exc.status, str(exc)))
            return None

    async def org(self, org: Record) -> None:
        oid = str(org["id"])
        ids = {"organization_id": oid}
        r = self.reader

        async def listing(table: str, call: Awaitable[list[Record]]) -> list[Record]:
            got = await self.guard(oid, table, oid, call)
            self.out.add(table, ids, got or [])
            return got or []

        async def policy() -> None:
            got = await self.guard(oid, "policies", oid, r.chat_policy(oid))
            self.out.add("policies", ids, [got] if got is not None else [])

        async def publishers() -> None:
            pubs = await self.guard(oid, "publishers", oid, r.publishers(oid))
            await asyncio.gather(*(self.publisher(oid, p) for p in pubs or []))

        async def skills() -> None:
            found = await listing("skills", r.skills(oid))
            await asyncio.gather(*(self.revisions(oid, str(s["id"])) for s in found))

        await asyncio.gather(
            listing("members", r.members(oid)),
            listing("invites", r.invites(oid)),
            policy(),
            publishers(),
            skills(),
        )

    async def publisher(self, oid: str, listed: Record) -> None:
        pid = str(listed["id"])
        ids = {"organization_id": oid, "publisher_id": pid}
        r, days = self.reader, self.options.revenue_days

        async def one(table: str, call: Awaitable[Any]) -> Any:
            got = await self.guard(oid, table, pid, call)
            if got is not None:
                self.out.add(table, ids, got if isinstance(got, list) else [got])
            return got

        detail, *_ = await asyncio.gather(
            self.guard(oid, "publishers", pid, r.publisher(oid, pid)),
            one("earnings", r.earnings(oid, pid)),
            one("payouts", r.payouts(oid, pid)),
            one("revenue", r.revenue(oid, pid, days=days)),
            one("revenue_days", r.revenue_by_day(oid, pid, days=days)),
            one("top_agents", r.top_agents(oid, pid, limit=self.options.top_agents)),
        )
        # The list entry stands in when the detail is refused, so the publisher is still listed.
        self.out.add("publishers", {"organization_id": oid}, [detail if detail is not None else listed])

    async def revisions(self, oid: str, sid: str) -> None:
        got = await self.guard(oid, "revisions", sid, self.reader.revisions(oid, sid))
        self.out.add("revisions", {"organization_id": oid, "skill_id": sid}, got or [])


def _write(
    options: PullOptions,
    remote: str,
    url: str | None,
    started: str,
    orgs: list[Record],
    out: _Collected,
    requests: int,
) -> tuple[int, str, dict[str, int]]:
    """Write the snapshot in one transaction (BEGIN IMMEDIATE: one writer at a time)."""
    out.add("organizations", {}, orgs)
    counts = {name: len(rows) for name, rows in out.rows.items()}
    conn = open_mirror(options.db)
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            finished = now_iso()
            cur = conn.execute(
                "INSERT INTO snapshots (started_at, finished_at, remote, url, orgs, counts, failures, "
                "requests, skillsync_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    started,
                    finished,
                    remote,
                    url,
                    json.dumps([o.get("slug") for o in orgs]),
                    json.dumps(counts, sort_keys=True),
                    json.dumps([f.to_json() for f in out.failures]),
                    requests,
                    __version__,
                ),
            )
            sid = int(cur.lastrowid or 0)
            for name, rows in out.rows.items():
                table = TABLE[name]
                conn.executemany(table.insert_sql(), (table.row(sid, p, rec) for p, rec in rows))
            conn.executemany(
                "INSERT INTO failures (snapshot_id, organization_id, resource, target, status, message) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(sid, f.organization_id, f.resource, f.target, f.status, f.message) for f in out.failures],
            )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    finally:
        conn.close()
    return sid, finished, counts


async def pull_mirror(
    ws: Workspace, options: PullOptions, events: PullEvents | None = None
) -> PullResult:
    """Pull every selected organization into a new snapshot of ``options.db``."""
    events = events or PullEvents()
    from skillsync.remote.remotes import make_client, resolve_remote

    open_mirror(options.db).close()  # a foreign or newer file is refused before any request
    resolved = resolve_remote(ws.config, options.remote)
    events.connecting(resolved.display())
    t0 = time.perf_counter()
    started = now_iso()
    async with make_client(resolved, ws.state_dir) as client:
        reader = MirrorReader(client, concurrency=options.concurrency, on_progress=events.progress)
        orgs = pick_orgs(await reader.organizations(), options.orgs, resolved.name)
        puller = _Puller(reader, options)
        await asyncio.gather(*(puller.org(o) for o in orgs))
        requests = reader.request_count
    out = puller.out
    out.failures.sort(key=lambda f: (f.organization_id or "", f.resource, f.target))
    sid, finished, counts = _write(options, resolved.name, resolved.url, started, orgs, out, requests)
    return PullResult(
        snapshot_id=sid,
        db=options.db,
        remote=resolved.name,
        started_at=started,
        finished_at=finished,
        orgs=[str(o.get("slug")) for o in orgs],
        counts=counts,
        failures=out.failures,
        requests=requests,
        seconds=time.perf_counter() - t0,
    )
