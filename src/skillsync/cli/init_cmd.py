"""``skillsync init``: skillsync.toml, .skillignore, the .gitignore entry, the pre-commit hook, CI."""

from __future__ import annotations

from pathlib import Path

import click

from skillsync.cli.common import emit_json, json_option, state
from skillsync.workspace_init import init_workspace, next_steps


@click.command("init")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--pre-commit",
    "pre_commit",
    is_flag=True,
    help="Also add the skillsync-validate hook to .pre-commit-config.yaml (created or merged).",
)
@click.option(
    "--ci",
    type=click.Choice(["github"]),
    default=None,
    help="Also write a CI workflow: github = .github/workflows/skillsync.yml (docs/ci.md).",
)
@click.option("--force", is_flag=True, help="Replace an existing skillsync.toml.")
@json_option
def init_command(directory: Path | None, pre_commit: bool, ci: str | None, force: bool, as_json: bool) -> int:
    """Make DIRECTORY (default: the current folder) a skillsync workspace.

    Writes skillsync.toml with every setting at its default and a comment, a commented
    .skillignore, and `.skillsync/` in .gitignore. Existing files are kept or merged, never
    clobbered; an existing skillsync.toml is refused unless --force. The pre-commit config and
    the CI workflow go to the git top level, where pre-commit and GitHub read them.
    """
    base = state().directory or Path.cwd()
    root = (base / directory) if directory is not None else base
    root = root.resolve()
    actions = init_workspace(root, pre_commit=pre_commit, force=force, ci=ci)
    if as_json:
        emit_json({"root": str(root), "files": [{"path": a.path, "action": a.action} for a in actions]})
        return 0
    for a in actions:
        click.echo(f"{a.action:<11} {a.path}")
    for line in next_steps(root, pre_commit=pre_commit, ci=ci):
        click.echo(line)
    return 0
