"""``skillsync login``, ``logout`` and ``whoami``: API keys per remote, and who they belong to.

Keys are read from a hidden prompt or from stdin, checked with ``GET /organizations`` and stored in
``$XDG_CONFIG_HOME/skillsync/credentials.json`` (mode 0600). No part of a key is ever printed.
"""

from __future__ import annotations

import sys

import click

from skillsync.cli.common import echo_err, emit_json, json_option, state
from skillsync.cli.remote_opts import remote_options
from skillsync.commands.events import RemoteOptions
from skillsync.errors import UsageError

LOGIN_REMOTE_HELP = (
    "Remote whose key to store or forget: 'seren' or a [remotes.NAME] from skillsync.toml. "
    "Default: the default remote when it is not the embedded 'local', else seren."
)


def _read_key(from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        key = sys.stdin.readline().strip()
    else:
        key = str(click.prompt("Seren API key", hide_input=True, err=True)).strip()
    if not key:
        raise UsageError(
            "no API key given", hint="paste the key at the prompt, or pipe it with --with-key-stdin"
        )
    if any(c.isspace() or not c.isprintable() for c in key):
        raise UsageError("the API key contains spaces or control characters", hint="copy the key again")
    return key


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
    from skillsync.commands.auth import login, login_target

    ws = state().workspace()
    target = login_target(ws, remote)
    res = login(ws, target, _read_key(key_stdin))
    if as_json:
        emit_json(res.to_json())
        return 0
    click.echo(f"Logged in to {res.display}: key stored in {res.credentials_file}")
    for o in res.organizations:
        click.echo(f"  {o.slug}  {o.id}{'  [personal]' if o.is_personal else ''}  {o.name}")
    if res.env_key_overrides:
        echo_err("skillsync: note: SEREN_API_KEY is set and takes precedence over the stored key")
    return 0


@click.command("logout")
@click.option("--remote", default=None, metavar="NAME", help=LOGIN_REMOTE_HELP)
@json_option
def logout_command(remote: str | None, as_json: bool) -> int:
    """Forget the stored API key of a remote (default: seren). Doing it twice is harmless."""
    from skillsync.commands.auth import logout

    res = logout(state().workspace(), remote)
    if as_json:
        emit_json(res.to_json())
        return 0
    if res.removed:
        click.echo(f"Logged out of {res.remote}: key removed from {res.credentials_file}")
    else:
        click.echo(f"No stored key for {res.remote}")
    if res.env_key_still_set:
        echo_err("skillsync: note: SEREN_API_KEY is still set in the environment and will be used")
    return 0


@click.command("whoami")
@remote_options
@json_option
def whoami_command(remote: str | None, org: str | None, as_json: bool) -> int:
    """Show the remote commands talk to, where its key comes from, and your organizations.

    The organization marked '*' is the one custom-skill commands use. The key is never shown.
    """
    from skillsync.commands.auth import whoami

    res = whoami(state().workspace(), RemoteOptions(remote, org))
    if as_json:
        emit_json(res.to_json())
        return 0
    click.echo(f"remote: {res.display}")
    click.echo(f"key: {res.credential_text}")
    click.echo("organizations:")
    for row in res.organizations:
        mark = "*" if row.selected else " "
        personal = "  [personal]" if row.is_personal else ""
        click.echo(f"  {mark} {row.slug}  {row.id}{personal}  {row.name}")
    if res.problem:
        echo_err(f"skillsync: warning: {res.problem}")
    return 0
