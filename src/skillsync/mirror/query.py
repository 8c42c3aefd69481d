"""``mirror sql``: run one SQL statement against the mirror on a read-only connection.

The file is opened with ``mode=ro`` and ``PRAGMA query_only``, and an authorizer refuses every
action but reading, so a write statement fails before it runs, with a message saying why.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from skillsync.errors import UsageError
from skillsync.mirror.schema import open_mirror

_ALLOWED: Final = frozenset(
    {
        sqlite3.SQLITE_SELECT,
        sqlite3.SQLITE_READ,
        sqlite3.SQLITE_FUNCTION,
        sqlite3.SQLITE_RECURSIVE,
    }
)
_READ_PRAGMAS: Final = frozenset({"table_info", "table_xinfo", "index_list", "index_info", "user_version"})


class ReadOnlyRefused(UsageError):
    """A statement that would write (or attach, or change settings): exit 2."""


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[list[Any]]

    def to_json(self) -> dict[str, Any]:
        return {"columns": self.columns, "rows": [dict(zip(self.columns, r, strict=True)) for r in self.rows]}


def _authorize(action: int, arg1: str | None, _arg2: str | None, _db: str | None, _src: str | None) -> int:
    if action in _ALLOWED:
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_PRAGMA and arg1 in _READ_PRAGMAS:
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


def run_sql(db: Path, sql: str, params: tuple[Any, ...] = ()) -> QueryResult:
    conn = open_mirror(db, readonly=True)
    try:
        conn.set_authorizer(_authorize)
        try:
            cur = conn.execute(sql, params)
            rows = [list(r) for r in cur.fetchall()]
        except sqlite3.DatabaseError as exc:
            text = str(exc)
            if "not authorized" in text or "readonly" in text or "query_only" in text:
                raise ReadOnlyRefused(
                    f"mirror sql is read-only: the statement was refused ({text})",
                    hint="only SELECT (and WITH ... SELECT) statements run here; the mirror changes only by "
                    "'mirror pull' and 'mirror prune'",
                ) from None
            raise UsageError(
                f"mirror sql: {text}",
                hint="check the statement; 'mirror sql' \"SELECT name FROM sqlite_master\" lists the tables",
            ) from None
        except sqlite3.Warning as exc:  # e.g. more than one statement
            raise UsageError(f"mirror sql: {exc}", hint="run one statement at a time") from None
        columns = [d[0] for d in cur.description or ()]
    finally:
        conn.close()
    return QueryResult(columns, rows)
