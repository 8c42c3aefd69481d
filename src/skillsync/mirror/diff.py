"""``mirror diff``: what changed between two snapshots, as a list of typed changes.

Records are matched by each table's key (``schema.TABLES``). A change is
``{"kind", "action", "organization", "key", "field", "from", "to"}``; kinds and actions:

- members: joined, left, role
- invites: added, accepted, revoked, expired, removed
- policy: changed (one change per field)
- publishers: added, removed, changed (one per field; ``updated_at`` and traffic counters left out)
- payouts: new, changed (status, tx_hash, error_message)
- earnings: changed (deltas of the atomic totals), added, removed
- revenue: changed (total revenue, queries, active agents of the metrics window)
- skills: added, removed, published (the published revision moved), archived, unarchived,
  revision (a new latest revision)
- revisions: added, changed (status)
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from skillsync.mirror.schema import TABLE, open_mirror
from skillsync.mirror.show import invite_state
from skillsync.mirror.snapshots import Snapshot, resolve

Key = tuple[str, ...]
_IGNORED_PUBLISHER_FIELDS: Final = frozenset(
    {"updated_at", "total_queries", "total_revenue_atomic", "unique_agents_served"}
)


@dataclass(frozen=True)
class Change:
    kind: str
    action: str
    organization: str | None
    key: str
    field: str | None = None
    before: Any = None
    after: Any = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "action": self.action,
            "organization": self.organization,
            "key": self.key,
            "field": self.field,
            "from": self.before,
            "to": self.after,
        }

    def text(self) -> str:
        org = f"[{self.organization}] " if self.organization else ""
        head = f"{self.kind:<10} {self.action:<10} {org}{self.key}"
        if self.field is None:
            return head
        return f"{head} {self.field}: {_short(self.before)} -> {_short(self.after)}"


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass
class DiffResult:
    before: Snapshot
    after: Snapshot
    changes: list[Change]

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.before.id,
            "to": self.after.id,
            "changed": bool(self.changes),
            "changes": [c.to_json() for c in self.changes],
        }


def _records(conn: sqlite3.Connection, table: str, snapshot_id: int) -> dict[Key, dict[str, Any]]:
    spec = TABLE[table]
    out: dict[Key, dict[str, Any]] = {}
    for row in conn.execute(f"SELECT * FROM {table} WHERE snapshot_id = ?", (snapshot_id,)):
        rec = dict(row)
        rec["_doc"] = json.loads(rec.pop("json"))
        out[tuple(str(rec[k]) for k in spec.key)] = rec
    return out


class _Differ:
    def __init__(self, conn: sqlite3.Connection, a: Snapshot, b: Snapshot) -> None:
        self.conn, self.a, self.b = conn, a, b
        self.changes: list[Change] = []
        slugs: dict[str, str] = {}
        for snap in (a, b):
            for row in conn.execute("SELECT id, slug FROM organizations WHERE snapshot_id = ?", (snap.id,)):
                slugs[str(row[0])] = str(row[1])
        self.slugs = slugs
        pubs: dict[str, str] = {}
        for snap in (a, b):
            for row in conn.execute("SELECT id, slug FROM publishers WHERE snapshot_id = ?", (snap.id,)):
                pubs[str(row[0])] = str(row[1])
        self.pubs = pubs

    def pair(self, table: str) -> tuple[dict[Key, dict[str, Any]], dict[Key, dict[str, Any]]]:
        return _records(self.conn, table, self.a.id), _records(self.conn, table, self.b.id)

    def add(
        self,
        kind: str,
        action: str,
        rec: dict[str, Any],
        key: str,
        field: str | None = None,
        before: Any = None,
        after: Any = None,
    ) -> None:
        org = self.slugs.get(str(rec.get("organization_id") or rec.get("id")))
        self.changes.append(Change(kind, action, org, key, field, before, after))

    def fields(
        self, kind: str, old: dict[str, Any], new: dict[str, Any], key: str, skip: frozenset[str]
    ) -> None:
        a, b = old["_doc"], new["_doc"]
        for name in sorted(set(a) | set(b)):
            if name not in skip and a.get(name) != b.get(name):
                self.add(kind, "changed", new, key, name, a.get(name), b.get(name))

    def members(self) -> None:
        old, new = self.pair("members")
        for k in sorted(new.keys() - old.keys()):
            self.add("members", "joined", new[k], str(new[k]["email"]), "role", None, new[k]["role"])
        for k in sorted(old.keys() - new.keys()):
            self.add("members", "left", old[k], str(old[k]["email"]), "role", old[k]["role"], None)
        for k in sorted(old.keys() & new.keys()):
            if old[k]["role"] != new[k]["role"]:
                self.add(
                    "members", "role", new[k], str(new[k]["email"]), "role", old[k]["role"], new[k]["role"]
                )

    def invites(self) -> None:
        old, new = self.pair("invites")
        for k in sorted(new.keys() - old.keys()):
            state = invite_state(new[k], self.b.started_at)
            self.add("invites", "added", new[k], str(new[k]["email"]), "state", None, state)
        for k in sorted(old.keys() - new.keys()):
            self.add("invites", "removed", old[k], str(old[k]["email"]))
        for k in sorted(old.keys() & new.keys()):
            before, after = invite_state(old[k], self.a.started_at), invite_state(new[k], self.b.started_at)
            if before != after:
                self.add("invites", after, new[k], str(new[k]["email"]), "state", before, after)

    def added_removed(self, kind: str) -> tuple[dict[Key, dict[str, Any]], dict[Key, dict[str, Any]]]:
        """Report records only in one snapshot (by slug); return both sides for the rest."""
        old, new = self.pair(kind)
        for k in sorted(new.keys() - old.keys()):
            self.add(kind, "added", new[k], str(new[k]["slug"]))
        for k in sorted(old.keys() - new.keys()):
            self.add(kind, "removed", old[k], str(old[k]["slug"]))
        return old, new

    def policy(self) -> None:
        old, new = self.pair("policies")
        for k in sorted(old.keys() & new.keys()):
            self.fields("policy", old[k], new[k], self.slugs.get(k[0], k[0]), frozenset({"updated_at"}))

    def publishers(self) -> None:
        old, new = self.added_removed("publishers")
        for k in sorted(old.keys() & new.keys()):
            self.fields("publishers", old[k], new[k], str(new[k]["slug"]), _IGNORED_PUBLISHER_FIELDS)

    def payouts(self) -> None:
        old, new = self.pair("payouts")
        for k in sorted(new.keys() - old.keys(), key=lambda k: (str(new[k]["requested_at"]), k)):
            rec = new[k]
            key = f"{self.pubs.get(k[0], k[0])}/{k[1]}"
            self.add("payouts", "new", rec, key, "amount_atomic", None, rec["amount_atomic"])
        for k in sorted(old.keys() & new.keys()):
            for name in ("status", "tx_hash", "error_message", "amount_atomic"):
                before, after = old[k]["_doc"].get(name), new[k]["_doc"].get(name)
                if before != after:
                    self.add(
                        "payouts",
                        "changed",
                        new[k],
                        f"{self.pubs.get(k[0], k[0])}/{k[1]}",
                        name,
                        before,
                        after,
                    )

    def deltas(self, table: str, kind: str, names: tuple[str, ...], label: str) -> None:
        old, new = self.pair(table)
        for k in sorted(old.keys() | new.keys()):
            a, b = old.get(k), new.get(k)
            rec = b or a
            assert rec is not None
            key = self.pubs.get(k[0], k[0]) + (f"/{rec[label]}" if label else "")
            if a is None or b is None:
                self.add(kind, "added" if a is None else "removed", rec, key)
                continue
            for name in names:
                if a[name] != b[name]:
                    self.add(kind, "changed", b, key, name, a[name], b[name])

    def skills(self) -> None:
        old, new = self.added_removed("skills")
        for k in sorted(old.keys() & new.keys()):
            a, b, slug = old[k], new[k], str(new[k]["slug"])
            if a["status"] != b["status"]:
                self.add("skills", "archived" if b["status"] == "archived" else "unarchived", b, slug)
            if a["published_revision_id"] != b["published_revision_id"]:
                self.add(
                    "skills",
                    "published",
                    b,
                    slug,
                    "revision",
                    a["published_revision_number"],
                    b["published_revision_number"],
                )
            if a["latest_revision_id"] != b["latest_revision_id"]:
                self.add(
                    "skills",
                    "revision",
                    b,
                    slug,
                    "revision",
                    a["latest_revision_number"],
                    b["latest_revision_number"],
                )

    def revisions(self) -> None:
        old, new = self.pair("revisions")
        skill_slugs = {
            str(r[0]): str(r[1])
            for snap in (self.a, self.b)
            for r in self.conn.execute("SELECT id, slug FROM skills WHERE snapshot_id = ?", (snap.id,))
        }
        for k in sorted(new.keys() - old.keys()):
            rec = new[k]
            key = f"{skill_slugs.get(k[0], k[0])}@r{rec['revision_number']}"
            self.add("revisions", "added", rec, key, "status", None, rec["status"])
        for k in sorted(old.keys() & new.keys()):
            if old[k]["status"] != new[k]["status"]:
                key = f"{skill_slugs.get(k[0], k[0])}@r{new[k]['revision_number']}"
                self.add("revisions", "changed", new[k], key, "status", old[k]["status"], new[k]["status"])


def diff(db: Path, *, before: str | None = None, after: str | None = None) -> DiffResult:
    """Changes from snapshot ``before`` (default: the one before ``after``) to ``after`` (default latest)."""
    conn = open_mirror(db, readonly=True)
    try:
        b = resolve(conn, after)
        if before is None:
            earlier = conn.execute("SELECT MAX(id) FROM snapshots WHERE id < ?", (b.id,)).fetchone()[0]
            a = resolve(conn, str(earlier) if earlier is not None else "previous")
        else:
            a = resolve(conn, before)
        d = _Differ(conn, a, b)
        d.members()
        d.invites()
        d.policy()
        d.publishers()
        d.payouts()
        d.deltas(
            "earnings",
            "earnings",
            ("total_revenue_atomic", "total_withdrawn_atomic", "pending_payout_atomic", "available_atomic"),
            "asset_symbol",
        )
        d.deltas("revenue", "revenue", ("total_revenue_atomic", "total_queries", "active_agents"), "")
        d.skills()
        d.revisions()
    finally:
        conn.close()
    return DiffResult(a, b, d.changes)
