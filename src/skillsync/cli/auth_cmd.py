"""``skillsync login``, ``logout`` and ``whoami``: API keys per remote, and who they belong to.

Keys are read from a hidden prompt or from stdin, checked with ``GET /organizations`` and stored in
``$XDG_CONFIG_HOME/skillsync/credentials.json`` (mode 0600). No part of a key is ever printed.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

import click

from skillsync.cli.common import echo_err, emit_json, json_option, state
from skillsync.cli.remote_opts import remote_options
from skillsync.config import Config
from skillsync.errors import UsageError

LOGIN_REMOTE_HELP = (
    "Remote whose key to store or forget: 'seren' or a [remotes.NAME] from skillsync.toml. "
    "Default: the default remote when it is not the embedded 'local', else seren."
)


def _login_remote(config: Config, name: str | None) -> str:
    """``--remote``, else the default remote when it is not the embedded one, else ``seren``."""
    from skillsync.remote.remotes import LOCAL, SEREN, default_remote

    if name:
        return name
    default = default_remote(config)
    return default if default != LOCAL or LOCAL in config.remotes else SEREN


def _read_key(from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        key = sys.stdin.readline().strip()
    else:
        key = str(click.prompt("Seren API key", hide_input=True, err=True)).strip()
    if not key:
        raise UsageError(
            "no API key given", hint="paste the key at the prompt, or pipe it with --with-key-stdin"
        )
    from skillsync.remote.credentials import key_problem

    problem = key_problem(key)
    if problem is not None:
        raise UsageError(f"the API key {problem}", hint="copy the key again")
    return key


def _org_rows(orgs: list[Any], selected: str | None) -> list[dict[str, Any]]:
    return [
        {
            "id": o.id,
            "slug": o.slug,
            "name": o.name,
            "is_personal": o.is_personal,
            "selected": o.id == selected,
        }
        for o in orgs
    ]


@click.command("login")
@click.option("--remote", default=None, metavar="NAME", help=LOGIN_REMOTE_HELP)
@click.option(
    "--with-key-stdin",
    "key_stdin",
    is_flag=True,
    help="Read the key from standard input instead of prompting (for scripts and CI).",
)
@json_option
def login_command(remote: str | None, key_stdin: bool, as_json: bool) -> int:
    """Store an API key for a remote (default: seren) after checking it.

    The key is read from a hidden prompt, or from stdin when piped (`--with-key-stdin`), checked
    with GET /organizations, and saved in $XDG_CONFIG_HOME/skillsync/credentials.json (mode 0600).
    SEREN_API_KEY, when set, still takes precedence over the stored key.
    """
    from skillsync.remote import credentials
    from skillsync.remote.remotes import make_client, resolve_remote

    ws = state().workspace()
    resolved = resolve_remote(ws.config, _login_remote(ws.config, remote))
    if resolved.embedded:
        raise UsageError(
            f"'{resolved.name}' is the embedded local registry: it needs no login",
            hint="log in to a real remote: skillsync login --remote seren",
        )
    key = _read_key(key_stdin)

    async def check() -> list[Any]:
        async with make_client(resolved, ws.state_dir, key=key) as client:
            return await client.list_organizations()

    orgs = asyncio.run(check())
    path = credentials.store_key(resolved.name, key)
    env_note = bool(os.environ.get("SEREN_API_KEY"))
    if as_json:
        emit_json(
            {
                "remote": resolved.name,
                "url": resolved.url,
                "credentials_file": str(path),
                "organizations": _org_rows(orgs, None),
                "env_key_overrides": env_note,
            }
        )
        return 0
    click.echo(f"Logged in to {resolved.display()}: key stored in {path}")
    for o in orgs:
        click.echo(f"  {o.slug}  {o.id}{'  [personal]' if o.is_personal else ''}  {o.name}")
    if env_note:
        echo_err("skillsync: note: SEREN_API_KEY is set and takes precedence over the stored key")
    return 0


@click.command("logout")
@click.option("--remote", default=None, metavar="NAME", help=LOGIN_REMOTE_HELP)
@json_option
def logout_command(remote: str | None, as_json: bool) -> int:
    """Forget the stored API key of a remote (default: seren). Doing it twice is harmless."""
    from skillsync.remote import credentials
    from skillsync.remote.remotes import LOCAL

    ws = state().workspace()
    name = _login_remote(ws.config, remote)
    if name == LOCAL and LOCAL not in ws.config.remotes:
        raise UsageError("'local' is the embedded local registry: it has no login to forget")
    removed = credentials.delete_key(name)
    env_note = bool(os.environ.get("SEREN_API_KEY"))
    if as_json:
        emit_json({"remote": name, "removed": removed, "env_key_still_set": env_note})
        return 0
    if removed:
        click.echo(f"Logged out of {name}: key removed from {credentials.credentials_path()}")
    else:
        click.echo(f"No stored key for {name}")
    if env_note:
        echo_err("skillsync: note: SEREN_API_KEY is still set in the environment and will be used")
    return 0


@click.command("whoami")
@remote_options
@json_option
def whoami_command(remote: str | None, org: str | None, as_json: bool) -> int:
    """Show the remote commands talk to, where its key comes from, and your organizations.

    The organization marked '*' is the one custom-skill commands use. The key is never shown.
    """
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

    ws = state().workspace()
    resolved = resolve_remote(ws.config, remote, org=org)
    if resolved.embedded:
        key, source = None, "local-token"
        source_text = f"local registry token ({ws.relpath(ws.state_dir / LOCAL_TOKEN_FILE)})"
    else:
        key, source = api_key(resolved)
        source_text = "SEREN_API_KEY" if source == "env" else f"stored in {credentials.credentials_path()}"

    async def fetch() -> list[Any]:
        async with make_client(resolved, ws.state_dir, key=key) as client:
            return await client.list_organizations()

    orgs = asyncio.run(fetch())
    selected: str | None
    problem: str | None = None
    try:
        selected = pick_organization(orgs, resolved.org, resolved.name).id
    except UsageError as exc:
        selected, problem = None, str(exc)
    else:  # refresh the cached id that networked commands use (a renamed or moved org heals here)
        cache_key = key if key is not None else local_token(ws.state_dir)
        OrgCache(ws.state_dir).put(OrgCache.entry(resolved, resolved.org, cache_key), selected)
    if as_json:
        emit_json(
            {
                "remote": resolved.name,
                "url": resolved.url,
                "embedded": resolved.embedded,
                "credential_source": source,
                "organization": selected,
                "organizations": _org_rows(orgs, selected),
            }
        )
        return 0
    click.echo(f"remote: {resolved.display()}")
    click.echo(f"key: {source_text}")
    click.echo("organizations:")
    for row in _org_rows(orgs, selected):
        mark = "*" if row["selected"] else " "
        personal = "  [personal]" if row["is_personal"] else ""
        click.echo(f"  {mark} {row['slug']}  {row['id']}{personal}  {row['name']}")
    if problem:
        echo_err(f"skillsync: warning: {problem}")
    return 0
