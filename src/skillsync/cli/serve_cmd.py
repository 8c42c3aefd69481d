"""``skillsync serve``: run the local Seren-compatible registry over real HTTP (uvicorn)."""

from __future__ import annotations

import json
import secrets
import socket
import sqlite3
import sys
from pathlib import Path

import click

from skillsync.cli.common import json_option, state
from skillsync.errors import LocalError, UsageError
from skillsync.output import FORMAT_VERSION

DEFAULT_DB = Path(".skillsync") / "registry.sqlite3"


def _embedded_token(root: Path) -> str | None:
    """The workspace's embedded-registry token, so `serve` shows the same skills as the `local` remote."""
    try:
        text = (root / ".skillsync" / "local-token").read_text("utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text or None


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted connections inherit TCP_NODELAY. Without it, a response written in two parts
        # (headers, body) waits for the client's delayed ACK: ~40 ms on every request.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise LocalError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            hint="pick another --port, or --port 0 for a free one",
        ) from None
    return sock


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="Port; 0 picks a free one."
)
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="SQLite database file [default: .skillsync/registry.sqlite3 in the workspace].",
)
@click.option(
    "--seed",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="JSON fixture (users, organizations, members, invites, publishers...) applied once per database.",
)
@click.option(
    "--token",
    default=None,
    help="API key clients must send [default: the workspace's embedded-registry key when serving its "
    "database, so the same skills show; else a new one].",
)
@click.option(
    "--faults",
    "faults",
    is_flag=True,
    help="Enable fault injection (PUT /_emulator/faults) with a separate admin token, printed as "
    "admin_token=... on the first line. Off by default: no client key can install faults.",
)
@json_option
def serve_command(
    host: str,
    port: int,
    db_path: Path | None,
    seed: Path | None,
    token: str | None,
    faults: bool,
    as_json: bool,
) -> int:
    """Run a local Seren-compatible registry (same API as https://api.serendb.com).

    The first line printed is the URL and the API key, e.g.
    `serving http://127.0.0.1:8765 token=seren_local_...`. Data lives in a SQLite file and
    survives restarts. Slow or stalled clients are timed out and connections are capped (see
    docs/registry.md). Stop with Ctrl-C or SIGTERM.
    """
    from skillsync.emulator import create_app
    from skillsync.emulator.seed import SeedError
    from skillsync.emulator.server import ServeLimits, raise_fd_limit, serve
    from skillsync.workspace import find_root

    if token is not None and not token.strip():
        raise UsageError("--token must not be empty")
    if db_path is None:
        root, _ = find_root(state().directory or Path.cwd())
        db_path = root / DEFAULT_DB
        if token is None:
            token = _embedded_token(root)
    token = token or f"seren_local_{secrets.token_urlsafe(24)}"
    admin_token = f"seren_admin_{secrets.token_urlsafe(24)}" if faults else None
    try:
        app = create_app(db_path, tokens=[token], seed=seed, admin_token=admin_token)
    except SeedError as exc:
        raise LocalError(str(exc), hint="see docs/registry.md for the seed format") from None
    except (sqlite3.Error, OSError) as exc:
        raise LocalError(f"{db_path}: cannot open the registry database: {exc}") from None
    sock = _listen(host, port)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{bound}"
    if as_json:
        doc = {"format_version": FORMAT_VERSION, "url": url, "token": token, "db": str(db_path)}
        if admin_token is not None:
            doc["admin_token"] = admin_token
        line = json.dumps(doc)
    else:
        line = f"serving {url} token={token}" + (f" admin_token={admin_token}" if admin_token else "")
    click.echo(line)
    sys.stdout.flush()
    raise_fd_limit()
    serve(app, sock, ServeLimits(max_connections=_connection_cap()))
    return 0


def _connection_cap() -> int:
    """At most 1,024 connections, and always 64 descriptors fewer than the process may open."""
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 1024
    return max(16, min(1024, soft - 64))
