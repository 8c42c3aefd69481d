"""``skillsync init``: create skillsync.toml, .skillignore, the .gitignore entry and the pre-commit hook."""

from __future__ import annotations

from pathlib import Path

import click

from skillsync.cli.common import emit_json, json_option, state
from skillsync.workspace_init import init_workspace


@click.command("init")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--pre-commit",
    "pre_commit",
    is_flag=True,
    help="Also add the skillsync-validate hook to .pre-commit-config.yaml (created or merged).",
)
@click.option("--force", is_flag=True, help="Replace an existing skillsync.toml.")
@json_option
def init_command(directory: Path | None, pre_commit: bool, force: bool, as_json: bool) -> int:
    """Make DIRECTORY (default: the current folder) a skillsync workspace.

    Writes skillsync.toml with every setting at its default and a comment, a commented
    .skillignore, and `.skillsync/` in .gitignore. Existing files are kept or merged, never
    clobbered; an existing skillsync.toml is refused unless --force.
    """
    base = state().directory or Path.cwd()
    root = (base / directory) if directory is not None else base
    root = root.resolve()
    actions = init_workspace(root, pre_commit=pre_commit, force=force)
    if as_json:
        emit_json({"root": str(root), "files": [{"path": a.path, "action": a.action} for a in actions]})
        return 0
    for a in actions:
        click.echo(f"{a.action:<11} {a.path}")
    click.echo(f"workspace ready in {root}; next: skillsync new NAME (or ORG/NAME)")
    if pre_commit:
        click.echo("run `pre-commit install` to enable the hook")
    return 0
