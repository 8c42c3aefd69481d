"""SQLite store of the local registry: WAL, foreign keys, one short connection per operation.

Writers take ``BEGIN IMMEDIATE`` so two concurrent revision uploads serialise on the database lock
and can never read the same "next revision number". File contents live as content-addressed blobs
in a folder beside the database (``<db>.blobs/``), not in SQLite, so a 200 MB asset is streamed to
disk once and never held in several copies.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from skillsync.emulator.analytics import SCHEMA as ANALYTICS_SCHEMA

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT, token_sha256 TEXT UNIQUE,
  created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS organizations (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, slug TEXT NOT NULL UNIQUE,
  created_by TEXT NOT NULL REFERENCES users(id), is_personal INTEGER NOT NULL,
  stripe_customer_id TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, deleted_at TEXT);
CREATE TABLE IF NOT EXISTS members (
  id TEXT PRIMARY KEY, organization_id TEXT NOT NULL REFERENCES organizations(id),
  user_id TEXT NOT NULL REFERENCES users(id), role TEXT NOT NULL, created_at TEXT NOT NULL,
  UNIQUE (organization_id, user_id));
CREATE TABLE IF NOT EXISTS invites (
  id TEXT PRIMARY KEY, organization_id TEXT NOT NULL REFERENCES organizations(id),
  email TEXT NOT NULL, role TEXT NOT NULL, invited_by TEXT NOT NULL, expires_at TEXT NOT NULL,
  created_at TEXT NOT NULL, accepted_at TEXT, revoked_at TEXT);
CREATE TABLE IF NOT EXISTS policies (
  organization_id TEXT PRIMARY KEY REFERENCES organizations(id), doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS skills (
  id TEXT PRIMARY KEY, organization_id TEXT NOT NULL REFERENCES organizations(id),
  slug TEXT NOT NULL, display_name TEXT NOT NULL, description TEXT, status TEXT NOT NULL,
  latest_revision_id TEXT, published_revision_id TEXT,
  created_by_user_id TEXT, updated_by_user_id TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  UNIQUE (organization_id, slug));
CREATE TABLE IF NOT EXISTS revisions (
  id TEXT PRIMARY KEY, skill_id TEXT NOT NULL REFERENCES skills(id),
  organization_id TEXT NOT NULL, revision_number INTEGER NOT NULL, status TEXT NOT NULL,
  skill_md TEXT NOT NULL, skill_md_sha256 TEXT NOT NULL, frontmatter TEXT NOT NULL,
  manifest TEXT NOT NULL, title TEXT, description TEXT, bundle_sha256 TEXT NOT NULL,
  bundle_size_bytes INTEGER NOT NULL, file_count INTEGER NOT NULL, created_by_user_id TEXT,
  created_at TEXT NOT NULL, published_at TEXT,
  UNIQUE (skill_id, revision_number));
CREATE TABLE IF NOT EXISTS files (
  id TEXT PRIMARY KEY, revision_id TEXT NOT NULL REFERENCES revisions(id),
  relative_path TEXT NOT NULL, content_type TEXT NOT NULL, size_bytes INTEGER NOT NULL,
  sha256 TEXT NOT NULL, is_text INTEGER NOT NULL, created_at TEXT NOT NULL,
  UNIQUE (revision_id, relative_path));
CREATE TABLE IF NOT EXISTS publishers (
  id TEXT PRIMARY KEY, organization_id TEXT NOT NULL REFERENCES organizations(id),
  slug TEXT NOT NULL, doc TEXT NOT NULL, deleted_at TEXT, created_at TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS publishers_live_slug ON publishers(slug) WHERE deleted_at IS NULL;
CREATE TABLE IF NOT EXISTS earnings (
  publisher_id TEXT NOT NULL REFERENCES publishers(id), asset_id TEXT NOT NULL, doc TEXT NOT NULL,
  PRIMARY KEY (publisher_id, asset_id));
CREATE TABLE IF NOT EXISTS payouts (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
  publisher_id TEXT NOT NULL REFERENCES publishers(id), doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pricing (
  publisher_id TEXT NOT NULL REFERENCES publishers(id), asset_id TEXT NOT NULL, doc TEXT NOT NULL,
  PRIMARY KEY (publisher_id, asset_id));
CREATE TABLE IF NOT EXISTS logos (
  publisher_id TEXT PRIMARY KEY REFERENCES publishers(id), content_type TEXT NOT NULL, sha256 TEXT NOT NULL);
"""


def now() -> str:
    """An RFC 3339 UTC timestamp with microseconds (sorts as text)."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def new_id() -> str:
    return str(uuid.uuid4())


def token_digest(token: str) -> str:
    """Tokens are stored hashed: the registry's database never holds a usable key."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Store:
    """The database file plus its blob folder."""

    def __init__(self, db_path: Path | str) -> None:
        self.path = Path(db_path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.blob_dir = self.path.with_name(self.path.name + ".blobs")
        self.blob_dir.mkdir(exist_ok=True)
        with closing(self._connect()) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA + ANALYTICS_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=60.0, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=60000")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A connection for reads (one consistent snapshot inside a deferred transaction)."""
        with closing(self._connect()) as conn:
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                conn.execute("ROLLBACK")

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction holding the database's write lock from its first statement."""
        with closing(self._connect()) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    # blobs -----------------------------------------------------------------------------------

    def blob_path(self, sha256: str) -> Path:
        return self.blob_dir / sha256[:2] / sha256

    def put_blob(self, data: bytes, sha256: str) -> None:
        target = self.blob_path(sha256)
        if target.exists():
            return
        target.parent.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        Path(tmp).replace(target)

    def adopt_blob(self, tmp: Path, sha256: str) -> None:
        """Move a finished temp file (already hashed) into the blob store."""
        target = self.blob_path(sha256)
        target.parent.mkdir(exist_ok=True)
        if target.exists():
            tmp.unlink()
        else:
            tmp.replace(target)

    def open_blob(self, sha256: str) -> IO[bytes]:
        return self.blob_path(sha256).open("rb")

    def temp_file(self) -> tuple[IO[bytes], Path]:
        fd, name = tempfile.mkstemp(dir=self.blob_dir, prefix=".tmp-")
        return os.fdopen(fd, "w+b"), Path(name)
