"""The mirror file: tables, versioned migrations, and how it is opened (WAL, one writer).

Every resource table is keyed by ``snapshot_id`` and holds typed columns for what people filter
and sort on, plus ``json``: the record exactly as the API sent it, so nothing is dropped.
``PRAGMA application_id`` marks a mirror file and ``PRAGMA user_version`` its schema version: an
older file is upgraded in place by the migrations it lacks, a newer or foreign one is refused.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from skillsync.errors import LocalError

APPLICATION_ID: Final = 0x534B4D52  # "SKMR"
BUSY_TIMEOUT_MS: Final = 60_000


@dataclass(frozen=True)
class Table:
    """One resource table. ``parents`` come from where the record was fetched (not the record);
    ``columns`` are (name, SQL type, dotted path into the record); ``key`` identifies a record
    across snapshots (for ``mirror diff``)."""

    name: str
    parents: tuple[str, ...]
    columns: tuple[tuple[str, str, str], ...]
    key: tuple[str, ...]

    def ddl(self) -> str:
        cols = ["snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE"]
        cols += [f"{p} TEXT NOT NULL" for p in self.parents]
        cols += [f"{name} {sqltype}" for name, sqltype, _ in self.columns]
        cols.append("json TEXT NOT NULL")
        return (
            f"CREATE TABLE {self.name} (\n  " + ",\n  ".join(cols) + "\n);\n"
            f"CREATE INDEX {self.name}_snapshot ON {self.name}(snapshot_id);\n"
        )

    def row(self, snapshot_id: int, parents: dict[str, str], record: dict[str, Any]) -> list[Any]:
        import json

        values: list[Any] = [snapshot_id, *(parents[p] for p in self.parents)]
        for _, sqltype, path in self.columns:
            value = dig(record, path)
            if sqltype == "INTEGER" and isinstance(value, bool):
                value = int(value)
            elif isinstance(value, dict | list):
                value = json.dumps(value, sort_keys=True)
            values.append(value)
        values.append(json.dumps(record, sort_keys=True, ensure_ascii=False))
        return values

    def insert_sql(self) -> str:
        names = ["snapshot_id", *self.parents, *(c[0] for c in self.columns), "json"]
        return f"INSERT INTO {self.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"


def dig(record: dict[str, Any], path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _cols(spec: str) -> tuple[tuple[str, str, str], ...]:
    """``"name TEXT, amount INTEGER=asset.decimals"`` -> columns (path defaults to the name)."""
    out = []
    for item in spec.split(","):
        decl, _, path = item.strip().partition("=")
        name, sqltype = decl.split()
        out.append((name, sqltype, path or name))
    return tuple(out)


ORG = ("organization_id",)
PUB = ("organization_id", "publisher_id")
TABLES: Final[tuple[Table, ...]] = (
    Table(
        "organizations",
        (),
        _cols("id TEXT, slug TEXT, name TEXT, is_personal INTEGER, created_at TEXT, updated_at TEXT"),
        ("id",),
    ),
    Table(
        "members",
        ORG,
        _cols("id TEXT, user_id TEXT, email TEXT, name TEXT, role TEXT, created_at TEXT"),
        ("organization_id", "user_id"),
    ),
    Table(
        "invites",
        ORG,
        _cols(
            "id TEXT, email TEXT, role TEXT, invited_by TEXT, created_at TEXT, expires_at TEXT, "
            "accepted_at TEXT, revoked_at TEXT"
        ),
        ("organization_id", "id"),
    ),
    Table("policies", ORG, _cols("mode TEXT, updated_at TEXT"), ("organization_id",)),
    Table(
        "publishers",
        ORG,
        _cols(
            "id TEXT, slug TEXT, name TEXT, publisher_category TEXT, is_active INTEGER, "
            "is_verified INTEGER, wallet_address TEXT, total_queries INTEGER, "
            "total_revenue_atomic INTEGER, updated_at TEXT"
        ),
        ("organization_id", "id"),
    ),
    Table(
        "earnings",
        PUB,
        _cols(
            "asset_id TEXT=asset.id, asset_symbol TEXT=asset.symbol, decimals INTEGER=asset.decimals, "
            "total_revenue_atomic INTEGER, total_withdrawn_atomic INTEGER, pending_payout_atomic INTEGER, "
            "available_atomic INTEGER, request_count INTEGER"
        ),
        ("publisher_id", "asset_id"),
    ),
    Table(
        "payouts",
        PUB,
        _cols(
            "id TEXT, status TEXT, amount_atomic INTEGER, asset_symbol TEXT=asset.symbol, "
            "decimals INTEGER=asset.decimals, requested_at TEXT, destination_wallet TEXT, tx_hash TEXT"
        ),
        ("publisher_id", "id"),
    ),
    Table(
        "revenue",
        PUB,
        _cols(
            "period_start TEXT, period_end TEXT, total_revenue_atomic INTEGER, total_revenue TEXT, "
            "total_queries INTEGER, active_agents INTEGER, revenue_change_pct INTEGER"
        ),
        ("publisher_id",),
    ),
    Table(
        "revenue_days",
        PUB,
        _cols("date TEXT, revenue_atomic INTEGER, revenue TEXT, query_count INTEGER, unique_agents INTEGER"),
        ("publisher_id", "date"),
    ),
    Table(
        "top_agents",
        PUB,
        _cols(
            "rank INTEGER, agent_wallet TEXT, total_spent_atomic INTEGER, total_spent TEXT, "
            "balance_atomic INTEGER, query_count INTEGER, last_active TEXT"
        ),
        ("publisher_id", "agent_wallet"),
    ),
    Table(
        "skills",
        ORG,
        _cols(
            "id TEXT, slug TEXT, display_name TEXT, status TEXT, latest_revision_id TEXT, "
            "latest_revision_number INTEGER=latest_revision.revision_number, published_revision_id TEXT, "
            "published_revision_number INTEGER=published_revision.revision_number, updated_at TEXT"
        ),
        ("organization_id", "id"),
    ),
    Table(
        "revisions",
        ("organization_id", "skill_id"),
        _cols(
            "id TEXT, revision_number INTEGER, status TEXT, bundle_sha256 TEXT, file_count INTEGER, "
            "bundle_size_bytes INTEGER, created_at TEXT, published_at TEXT"
        ),
        ("skill_id", "id"),
    ),
)
TABLE: Final = {t.name: t for t in TABLES}

_V1 = """
CREATE TABLE snapshots (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  remote TEXT NOT NULL,
  url TEXT,
  orgs TEXT NOT NULL,
  counts TEXT NOT NULL,
  failures TEXT NOT NULL,
  requests INTEGER NOT NULL,
  skillsync_version TEXT NOT NULL
);
CREATE TABLE failures (
  snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
  organization_id TEXT,
  resource TEXT NOT NULL,
  target TEXT NOT NULL,
  status INTEGER,
  message TEXT NOT NULL
);
""" + "".join(t.ddl() for t in TABLES)

# Migration N takes a file from version N-1 to N. Append; never edit a released one.
MIGRATIONS: Final[tuple[str, ...]] = (_V1,)
SCHEMA_VERSION: Final = len(MIGRATIONS)


def _connect(path: Path, *, readonly: bool) -> sqlite3.Connection:
    if readonly:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
        conn.execute("PRAGMA query_only=ON")
    else:
        conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def _versions(conn: sqlite3.Connection) -> tuple[int, int]:
    app = int(conn.execute("PRAGMA application_id").fetchone()[0])
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    return app, version


def _check(path: Path, conn: sqlite3.Connection) -> int:
    """The file's schema version; a foreign or newer file is a LocalError."""
    app, version = _versions(conn)
    if app == 0 and version == 0:
        tables = conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]
        if tables:
            raise LocalError(
                f"{path}: not a skillsync mirror file (it holds other tables)",
                hint="pass --db with a new file name, or move this file away",
            )
        return 0
    if app != APPLICATION_ID:
        raise LocalError(
            f"{path}: not a skillsync mirror file (application_id {app:#x})",
            hint="pass --db with a new file name, or move this file away",
        )
    if version > SCHEMA_VERSION:
        raise LocalError(
            f"{path}: mirror schema version {version} is newer than this skillsync reads ({SCHEMA_VERSION})",
            hint="upgrade skillsync (pip install -U skillsync), or pull into a new --db file",
        )
    return version


def _begin_writing(conn: sqlite3.Connection) -> None:
    """WAL mode, then a write transaction, retried while another pull holds the file.

    SQLite answers "database is locked" at once, without waiting on the busy timeout, when a
    connection that read the file asks for a write lock another connection already holds (it
    would deadlock otherwise): switching a new file to WAL does that while a second pull is
    creating the schema. Both steps are retried here for up to the busy timeout.
    """
    import time

    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    delay = 0.005
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


def open_mirror(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """Open the mirror at ``path``: for writing (created or upgraded as needed, WAL) or read-only.

    A read-only open of an older version refuses with a message to run ``mirror pull`` (which
    upgrades it): readers never guess at an old layout.
    """
    try:
        if readonly:
            if not path.is_file():
                raise LocalError(
                    f"{path}: no mirror file here",
                    hint="run 'skillsync mirror pull' first, or pass --db PATH",
                )
            conn = _connect(path, readonly=True)
            version = _check(path, conn)
            if version < SCHEMA_VERSION:
                conn.close()
                raise LocalError(
                    f"{path}: mirror schema version {version} is older than this skillsync's "
                    f"({SCHEMA_VERSION})",
                    hint="run 'skillsync mirror pull' once to upgrade the file in place",
                )
            return conn
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = _connect(path, readonly=False)
        try:
            _begin_writing(conn)
        except BaseException:
            conn.close()
            raise
        try:
            version = _check(path, conn)
            for step in range(version, SCHEMA_VERSION):
                for statement in MIGRATIONS[step].split(";\n"):
                    if statement.strip():
                        conn.execute(statement)
            if version < SCHEMA_VERSION:
                conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except BaseException:
            conn.execute("ROLLBACK")
            conn.close()
            raise
        conn.execute("COMMIT")
        return conn
    except sqlite3.DatabaseError as exc:
        raise LocalError(
            f"{path}: cannot open the mirror file: {exc}",
            hint="check the path; a damaged file can be moved away and pulled again",
        ) from None
