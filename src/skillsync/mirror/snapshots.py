"""Snapshots of a mirror file: list them, name one (``latest``, ``previous``, an id), prune old ones."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skillsync.errors import UsageError
from skillsync.mirror.schema import open_mirror


@dataclass(frozen=True)
class Snapshot:
    id: int
    started_at: str
    finished_at: str
    remote: str
    url: str | None
    orgs: list[str]
    counts: dict[str, int]
    failures: list[dict[str, Any]]
    requests: int

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Snapshot:
        return cls(
            id=int(row["id"]),
            started_at=str(row["started_at"]),
            finished_at=str(row["finished_at"]),
            remote=str(row["remote"]),
            url=row["url"],
            orgs=list(json.loads(row["orgs"])),
            counts=dict(json.loads(row["counts"])),
            failures=list(json.loads(row["failures"])),
            requests=int(row["requests"]),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "remote": self.remote,
            "url": self.url,
            "organizations": self.orgs,
            "counts": self.counts,
            "failures": self.failures,
            "requests": self.requests,
        }


def list_snapshots(conn: sqlite3.Connection) -> list[Snapshot]:
    """Every complete snapshot, oldest first."""
    return [Snapshot.from_row(r) for r in conn.execute("SELECT * FROM snapshots ORDER BY id")]


def resolve(conn: sqlite3.Connection, spec: str | None, *, default: str = "latest") -> Snapshot:
    """The snapshot ``spec`` names: an id, ``latest``, ``previous`` (the one before the latest),
    or ``latest~N`` (N before the latest)."""
    spec = spec or default
    snaps = list_snapshots(conn)
    if not snaps:
        raise UsageError("the mirror has no snapshots yet", hint="run 'skillsync mirror pull'")
    back = None
    if spec == "latest":
        back = 0
    elif spec == "previous":
        back = 1
    elif spec.startswith("latest~") and spec[7:].isdigit():
        back = int(spec[7:])
    if back is not None:
        if back >= len(snaps):
            raise UsageError(
                f"snapshot '{spec}' does not exist: the mirror holds {len(snaps)} snapshot(s)",
                hint="pull again, or list them with 'skillsync mirror snapshots'",
            )
        return snaps[-1 - back]
    if spec.isdigit():
        for snap in snaps:
            if snap.id == int(spec):
                return snap
    known = ", ".join(str(s.id) for s in snaps[-10:])
    raise UsageError(
        f"no snapshot '{spec}' (recent: {known})",
        hint="use an id from 'skillsync mirror snapshots', or latest",
    )


def prune(db: Path, keep: int) -> list[int]:
    """Delete all but the newest ``keep`` snapshots (and their rows); return the deleted ids."""
    if keep < 1:
        raise UsageError("--keep must be at least 1")
    conn = open_mirror(db)
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            ids = [
                int(r[0])
                for r in conn.execute("SELECT id FROM snapshots ORDER BY id DESC LIMIT -1 OFFSET ?", (keep,))
            ]
            conn.executemany("DELETE FROM snapshots WHERE id = ?", [(i,) for i in ids])
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        if ids:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return sorted(ids)
