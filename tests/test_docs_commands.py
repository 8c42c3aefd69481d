"""docs/commands.md is generated from --help; regenerate it when a command changes."""

from __future__ import annotations

from pathlib import Path

from skillsync.cli.helpdoc import render_markdown
from skillsync.cli.main import COMMANDS, cli

ROOT = Path(__file__).resolve().parent.parent


def test_commands_doc_matches_help() -> None:
    current = (ROOT / "docs" / "commands.md").read_text()
    assert current == render_markdown(), "run: python -m skillsync.cli.helpdoc > docs/commands.md"


def test_every_registered_command_loads() -> None:
    import click

    missing = [name for name in COMMANDS if cli.get_command(click.Context(cli), name) is None]
    assert missing == []
