"""``--remote`` and ``--org``: the options every networked command takes (click only, no httpx)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

REMOTE_HELP = (
    "Remote to talk to: 'local' (the embedded registry in .skillsync/), 'seren' "
    "(https://api.serendb.com) or a [remotes.NAME] from skillsync.toml. Default: [remote] default, "
    "else seren once you have logged in or set SEREN_API_KEY/SEREN_API_HOST, else local."
)
ORG_HELP = (
    "Organization id or slug. Default: the remote's org in skillsync.toml, else your personal "
    "organization (or your only one)."
)


def remote_option(f: F) -> F:
    """Only ``--remote NAME`` (for commands that need no organization, e.g. login)."""
    return click.option("--remote", "remote", default=None, metavar="NAME", help=REMOTE_HELP)(f)


def remote_options(f: F) -> F:
    """``--remote NAME`` and ``--org ORG``, passed to the command as ``remote`` and ``org``."""
    f = click.option("--org", "org", default=None, metavar="ORG", help=ORG_HELP)(f)
    return remote_option(f)
