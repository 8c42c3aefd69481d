"""``login``, ``logout`` and ``whoami``: API keys per remote, and who they belong to.

Keys are checked with ``GET /organizations`` and stored in
``$XDG_CONFIG_HOME/skillsync/credentials.json`` (mode 0600). No result holds a key.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skillsync.commands.events import RemoteOptions
from skillsync.config import Config
from skillsync.errors import UsageError
from skillsync.workspace import Workspace

if TYPE_CHECKING:
    from skillsync.remote.models import Organization
    from skillsync.remote.remotes import ResolvedRemote


@dataclass(frozen=True)
class OrgRow:
    id: str
    slug: str
    name: str
    is_personal: bool
    selected: bool  # the organization custom-skill commands use

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "slug": self.slug,
            "name": self.name,
            "is_personal": self.is_personal,
            "selected": self.selected,
        }


def _rows(orgs: list[Organization], selected: str | None) -> list[OrgRow]:
    return [OrgRow(o.id, o.slug, o.name, o.is_personal, o.id == selected) for o in orgs]


def login_remote_name(config: Config, name: str | None) -> str:
    """``--remote``, else the default remote when it is not the embedded one, else ``seren``."""
    from skillsync.remote.remotes import LOCAL, SEREN, default_remote

    if name:
        return name
    default = default_remote(config)
    return default if default != LOCAL or LOCAL in config.remotes else SEREN


def login_target(ws: Workspace, remote: str | None) -> ResolvedRemote:
    """The remote ``login`` stores a key for; a usage error for the embedded registry (call it
    before asking for the key)."""
    from skillsync.remote.remotes import resolve_remote

    resolved = resolve_remote(ws.config, login_remote_name(ws.config, remote))
    if resolved.embedded:
        raise UsageError(
            f"'{resolved.name}' is the embedded local registry: it needs no login",
            hint="log in to a real remote: skillsync login --remote seren",
        )
    return resolved


@dataclass(frozen=True)
class LoginResult:
    remote: str
    url: str | None
    display: str  # how messages name the remote
    credentials_file: Path
    organizations: list[OrgRow]
    env_key_overrides: bool  # SEREN_API_KEY is set and wins over the stored key

    def to_json(self) -> dict[str, Any]:
        return {
            "remote": self.remote,
            "url": self.url,
            "credentials_file": str(self.credentials_file),
            "organizations": [o.to_json() for o in self.organizations],
            "env_key_overrides": self.env_key_overrides,
        }


def login(ws: Workspace, target: ResolvedRemote, key: str) -> LoginResult:
    """Check ``key`` against ``target`` (from :func:`login_target`), then store it."""
    from skillsync.remote import credentials
    from skillsync.remote.remotes import make_client

    async def check() -> list[Organization]:
        async with make_client(target, ws.state_dir, key=key) as client:
            return await client.list_organizations()

    orgs = asyncio.run(check())
    path = credentials.store_key(target.name, key)
    return LoginResult(
        target.name,
        target.url,
        target.display(),
        path,
        _rows(orgs, None),
        bool(os.environ.get("SEREN_API_KEY")),
    )


@dataclass(frozen=True)
class LogoutResult:
    remote: str
    removed: bool  # False: there was no stored key
    credentials_file: Path
    env_key_still_set: bool

    def to_json(self) -> dict[str, Any]:
        return {"remote": self.remote, "removed": self.removed, "env_key_still_set": self.env_key_still_set}


def logout(ws: Workspace, remote: str | None) -> LogoutResult:
    """Forget the stored key of ``remote`` (default: see :func:`login_remote_name`); idempotent."""
    from skillsync.remote import credentials
    from skillsync.remote.remotes import LOCAL

    name = login_remote_name(ws.config, remote)
    if name == LOCAL and LOCAL not in ws.config.remotes:
        raise UsageError("'local' is the embedded local registry: it has no login to forget")
    removed = credentials.delete_key(name)
    return LogoutResult(name, removed, credentials.credentials_path(), bool(os.environ.get("SEREN_API_KEY")))


@dataclass(frozen=True)
class WhoamiResult:
    remote: str
    url: str | None
    display: str
    embedded: bool
    credential_source: str  # env | stored | local-token
    credential_text: str  # where the key comes from, in words (never the key)
    organization: str | None  # the selected organization's id
    organizations: list[OrgRow]
    problem: str | None  # why no organization could be selected

    def to_json(self) -> dict[str, Any]:
        return {
            "remote": self.remote,
            "url": self.url,
            "embedded": self.embedded,
            "credential_source": self.credential_source,
            "organization": self.organization,
            "organizations": [o.to_json() for o in self.organizations],
        }


def whoami(ws: Workspace, options: RemoteOptions) -> WhoamiResult:
    """The remote commands talk to, where its key comes from, and its organizations; refreshes the
    cached organization id that networked commands use (a renamed or moved org heals here)."""
    from skillsync.remote import credentials
    from skillsync.remote.remotes import (
        LOCAL_TOKEN_FILE,
        OrgCache,
        api_key,
        local_token,
        make_client,
        pick_organization,
        resolve_remote,
    )

    resolved = resolve_remote(ws.config, options.remote, org=options.org)
    key: str | None
    if resolved.embedded:
        key, source = None, "local-token"
        source_text = f"local registry token ({ws.relpath(ws.state_dir / LOCAL_TOKEN_FILE)})"
    else:
        key, source = api_key(resolved)
        source_text = "SEREN_API_KEY" if source == "env" else f"stored in {credentials.credentials_path()}"

    async def fetch() -> list[Organization]:
        async with make_client(resolved, ws.state_dir, key=key) as client:
            return await client.list_organizations()

    orgs = asyncio.run(fetch())
    selected: str | None
    problem: str | None = None
    try:
        selected = pick_organization(orgs, resolved.org, resolved.name).id
    except UsageError as exc:
        selected, problem = None, str(exc)
    else:
        cache_key = key if key is not None else local_token(ws.state_dir)
        OrgCache(ws.state_dir).put(OrgCache.entry(resolved, resolved.org, cache_key), selected)
    return WhoamiResult(
        resolved.name,
        resolved.url,
        resolved.display(),
        resolved.embedded,
        source,
        source_text,
        selected,
        _rows(orgs, selected),
        problem,
    )
