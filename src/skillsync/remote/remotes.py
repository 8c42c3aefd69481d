"""Which remote a command talks to, with which key, as which organization.

Remotes: ``seren`` (https://api.serendb.com) and ``local`` (the embedded registry, run in process
through httpx's ASGI transport with its database in ``.skillsync/registry.sqlite3``) are built in;
``[remotes.NAME]`` in ``skillsync.toml`` adds or overrides. Without ``--remote`` the default is
``[remote] default`` when configured, else ``seren`` once the user has set it up (``SEREN_API_HOST``
or ``SEREN_API_KEY`` set, or a stored ``seren`` credential), else ``local``. ``SEREN_API_HOST``
replaces the URL of the selected non-embedded remote; ``SEREN_API_KEY`` wins over a stored key.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import json
import os
import re
import sqlite3
import tempfile
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from skillsync.atomic import atomic_write_text
from skillsync.config import DEFAULT_RETRIES, DEFAULT_TIMEOUT, Config
from skillsync.errors import LocalError, UsageError
from skillsync.remote import credentials
from skillsync.remote.client import SerenClient
from skillsync.remote.errors import NotLoggedIn
from skillsync.workspace import Workspace

if TYPE_CHECKING:
    from skillsync.remote.models import Organization

SEREN = "seren"
LOCAL = "local"
SEREN_URL = "https://api.serendb.com"
LOCAL_BASE_URL = "http://local.invalid"
REGISTRY_DB = "registry.sqlite3"
LOCAL_TOKEN_FILE = "local-token"
ORG_CACHE_FILE = "org-cache.json"

_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@dataclass(frozen=True)
class ResolvedRemote:
    """A remote chosen for a command. ``url`` is None for the embedded registry."""

    name: str
    url: str | None
    org: str | None  # the organization asked for (id, slug, "default"), before resolution
    timeout: float
    retries: int

    @property
    def embedded(self) -> bool:
        return self.url is None

    def display(self) -> str:
        """How messages name the remote: ``local (embedded, .skillsync/registry.sqlite3)``."""
        if self.url is None:
            return f"{self.name} (embedded, .skillsync/{REGISTRY_DB})"
        return f"{self.name} ({self.url})"


@dataclass
class RemoteSession:
    """An open connection to a remote with its organization resolved to a real id."""

    name: str
    display: str
    org_id: str
    client: SerenClient
    url: str | None = None


def known_remotes(config: Config) -> list[str]:
    return sorted({SEREN, LOCAL, *config.remotes})


def default_remote(config: Config, env: Mapping[str, str] | None = None) -> str:
    """The remote used when none is named (see the module docstring)."""
    env = os.environ if env is None else env
    if config.remote.default is not None:
        return config.remote.default
    if env.get("SEREN_API_HOST") or env.get("SEREN_API_KEY"):
        return SEREN
    if credentials.get_key(SEREN) is not None:
        return SEREN
    return LOCAL


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, source: str) -> str:
    """Return ``url`` without a trailing slash, refusing plain http to non-loopback hosts."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UsageError(
            f"remote URL '{url}' (from {source}) is not an http(s) URL",
            hint="use e.g. https://api.serendb.com",
        )
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise UsageError(
            f"refusing plain http:// for remote URL '{url}' (from {source}): "
            "the API key would travel unencrypted",
            hint="use https://, or http:// only for a loopback host such as 127.0.0.1",
        )
    return url.rstrip("/")


def _host_url(value: str) -> str:
    return value if "://" in value else f"https://{value}"


def resolve_remote(
    config: Config, name: str | None = None, *, org: str | None = None, env: Mapping[str, str] | None = None
) -> ResolvedRemote:
    """Pick the remote named ``name`` (or the default) and its URL, timeout, retries and org."""
    env = os.environ if env is None else env
    host = env.get("SEREN_API_HOST") or None
    if name is None:
        name = SEREN if host and config.remote.default is None else default_remote(config, env)
    cfg = config.remotes.get(name)
    url: str | None
    source: str
    if cfg is not None:
        url, source = cfg.url, f"[remotes.{name}] url"
    elif name == SEREN:
        url, source = SEREN_URL, "the built-in seren remote"
    elif name == LOCAL:
        url, source = None, ""
    else:
        raise UsageError(
            f"unknown remote '{name}' (known: {', '.join(known_remotes(config))})",
            hint=f'add [remotes.{name}] with url = "https://..." to skillsync.toml',
        )
    if url is not None and host:
        url, source = _host_url(host), "SEREN_API_HOST"
    if url is not None:
        url = check_url(url, source)
    return ResolvedRemote(
        name=name,
        url=url,
        org=org or (cfg.org if cfg else None) or config.remote.org,
        timeout=cfg.timeout if cfg else DEFAULT_TIMEOUT,
        retries=cfg.retries if cfg else DEFAULT_RETRIES,
    )


def api_key(remote: ResolvedRemote, env: Mapping[str, str] | None = None) -> tuple[str, str]:
    """The key for a non-embedded remote and where it came from (``env`` or ``stored``)."""
    env = os.environ if env is None else env
    key = env.get("SEREN_API_KEY")
    if key:
        _check_key(key, "SEREN_API_KEY")
        return key, "env"
    stored = credentials.get_key(remote.name)
    if stored:
        _check_key(stored, f"the stored key of {remote.name}")
        return stored, "stored"
    raise NotLoggedIn(remote.name)


def _check_key(key: str, source: str) -> None:
    """A key that cannot travel in an HTTP header is a usage error naming where it came from (never it)."""
    problem = credentials.key_problem(key)
    if problem is not None:
        raise UsageError(f"{source} {problem}", hint="copy the key again from Seren")


def local_token(state_dir: Path) -> str:
    """The embedded registry's bearer token, created once (mode 0600) so the same user persists."""
    path = state_dir / LOCAL_TOKEN_FILE
    try:
        token = path.read_text("ascii").strip()
        if token:
            return token
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError) as exc:
        raise LocalError(f"{path}: cannot read the local registry token: {exc}") from None
    state_dir.mkdir(parents=True, exist_ok=True)
    import secrets  # lazy: only the first use of the local registry makes a token

    token = "seren_local_" + secrets.token_hex(20)
    fd, tmp = tempfile.mkstemp(prefix=".local-token.", dir=state_dir)  # mkstemp: mode 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(token + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)  # atomic create-if-absent: a concurrent first use keeps one token
        except FileExistsError:
            return path.read_text("ascii").strip()
    finally:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
    return token


def embedded_transport(state_dir: Path, token: str) -> httpx.AsyncBaseTransport:
    """An ASGI transport to the local registry app over ``state_dir/registry.sqlite3``."""
    try:
        # lazy: only the local remote pays for it; FastAPI loads only if a request needs it
        from skillsync.emulator.embedded import EmbeddedRegistry  # type: ignore[import-untyped,unused-ignore]
    except ImportError as exc:
        raise LocalError(
            f"the embedded local registry is not available ({exc})",
            hint="reinstall skillsync, or use --remote seren",
        ) from None
    state_dir.mkdir(parents=True, exist_ok=True)
    db = state_dir / REGISTRY_DB
    try:
        app = EmbeddedRegistry(db, tokens=[token])
    except (sqlite3.Error, OSError) as exc:
        raise LocalError(
            f"{db}: cannot open the local registry database: {exc}",
            hint="move it (and its -wal/-shm files) away to start an empty local registry",
        ) from None
    return httpx.ASGITransport(app=app)


def make_client(
    remote: ResolvedRemote,
    state_dir: Path,
    *,
    key: str | None = None,
    env: Mapping[str, str] | None = None,
    **options: Any,
) -> SerenClient:
    """A :class:`SerenClient` for ``remote``: in process for the embedded one, else over HTTP.

    ``options`` go to :class:`SerenClient` and win over the remote's timeout and retries."""
    settings: dict[str, Any] = {"timeout": remote.timeout, "retries": remote.retries, **options}
    if remote.url is None:
        token = local_token(state_dir)
        transport = embedded_transport(state_dir, token)
        return SerenClient(
            LOCAL_BASE_URL,
            token,
            remote=remote.name,
            host="the embedded registry",
            transport=transport,
            **settings,
        )
    if key is None:
        key, _ = api_key(remote, env)
    _check_key(key, "the API key")
    return SerenClient(remote.url, key, remote=remote.name, **settings)


def is_uuid(value: str) -> bool:
    return bool(_UUID_RE.match(value))


def pick_organization(orgs: list[Organization], spec: str | None, remote: str) -> Organization:
    """The organization ``spec`` names (id or slug), or with ``None``/``default`` the personal one
    (else the only one). Anything ambiguous or unknown is a :class:`UsageError` listing the choices."""
    listing = ", ".join(f"{o.slug} ({o.id})" for o in orgs) or "none"
    if spec is None or spec == "default":
        personal = [o for o in orgs if o.is_personal]
        if len(personal) == 1:
            return personal[0]
        if len(orgs) == 1:
            return orgs[0]
        if not orgs:
            raise UsageError(f"{remote}: this key belongs to no organization", hint="check the key's account")
        raise UsageError(
            f"{remote}: more than one organization and none chosen: {listing}",
            hint="pass --org SLUG or set [remote] org in skillsync.toml",
        )
    for o in orgs:
        if spec in (o.id, o.slug):
            return o
    raise UsageError(
        f"{remote}: no organization '{spec}'; available: {listing}", hint="pass --org SLUG or ID"
    )


class OrgCache:
    """Resolved organization ids in ``.skillsync/org-cache.json``, so a no-op command costs one request.

    Entries are keyed by remote, URL, the org asked for and a short salted hash of the key (never
    the key), so a different account resolves again.
    """

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / ORG_CACHE_FILE

    @staticmethod
    def entry(remote: ResolvedRemote, spec: str | None, key: str) -> str:
        digest = hashlib.sha256(b"skillsync-org-cache\0" + key.encode()).hexdigest()[:16]
        return f"{remote.name}|{remote.url or 'embedded'}|{spec or 'default'}|{digest}"

    def _read(self) -> dict[str, str]:
        try:
            doc = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError, RecursionError):
            return {}
        return {k: v for k, v in doc.items() if isinstance(v, str)} if isinstance(doc, dict) else {}

    def get(self, entry: str) -> str | None:
        return self._read().get(entry)

    def put(self, entry: str, org_id: str) -> None:
        """Remember ``org_id``; only in an existing state folder (a cache never litters a folder)."""
        if not self.path.parent.is_dir():
            return
        doc = self._read()
        if doc.get(entry) == org_id:
            return
        doc[entry] = org_id
        with contextlib.suppress(OSError):  # a cache: failing to write it only costs a request later
            atomic_write_text(self.path, json.dumps(doc, indent=2, sort_keys=True) + "\n")


async def resolve_org_id(
    client: SerenClient, remote: ResolvedRemote, spec: str | None, cache: OrgCache | None, cache_key: str
) -> str:
    """A real organization id for ``spec``: ids pass through, the rest via the cache or
    ``GET /organizations``."""
    if spec is not None and is_uuid(spec):
        return spec
    entry = OrgCache.entry(remote, spec, cache_key)
    if cache is not None and (cached := cache.get(entry)):
        return cached
    org = pick_organization(await client.list_organizations(), spec, remote.name)
    if cache is not None:
        cache.put(entry, org.id)
    return org.id


@asynccontextmanager
async def open_remote(
    ws: Workspace,
    remote: str | None = None,
    org: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    **client_options: Any,
) -> AsyncIterator[RemoteSession]:
    """Open the remote for a command, resolve its organization, close the client on exit."""
    resolved = resolve_remote(ws.config, remote, org=org, env=env)
    if resolved.embedded:
        key = local_token(ws.state_dir)
    else:
        key, _ = api_key(resolved, env)
    client = make_client(resolved, ws.state_dir, key=key, env=env, **client_options)
    async with client:
        org_id = await resolve_org_id(client, resolved, resolved.org, OrgCache(ws.state_dir), key)
        yield RemoteSession(
            name=resolved.name, display=resolved.display(), org_id=org_id, client=client, url=resolved.url
        )
