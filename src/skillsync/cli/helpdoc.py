"""Render every command's ``--help`` as Markdown, so docs/commands.md cannot drift from the CLI."""

from __future__ import annotations

import click

from skillsync.cli.main import COMMANDS, cli


def _help_text(command: click.Command, name: str, group: click.Context | None = None) -> str:
    parent = group or click.Context(cli, info_name="skillsync", **cli.context_settings)
    ctx = click.Context(command, info_name=name, parent=parent, terminal_width=100, max_content_width=100)
    return command.get_help(ctx)


def render_markdown() -> str:
    """docs/commands.md: the group's help, then one section per command, in registry order."""
    parts = [
        "# Command reference",
        "",
        "Generated from `--help` by `python -m skillsync.cli.helpdoc > docs/commands.md`;",
        "a test keeps this file equal to the CLI. Conventions (exit codes, JSON) are in docs/cli.md.",
        "",
        "```text",
        cli.get_help(
            click.Context(
                cli, info_name="skillsync", terminal_width=100, max_content_width=100, **cli.context_settings
            )
        ),
        "```",
    ]
    for name in COMMANDS:
        command = cli.get_command(click.Context(cli), name)
        if command is None:
            continue
        parts += ["", f"## skillsync {name}", "", "```text", _help_text(command, name), "```"]
        if isinstance(command, click.Group):  # subcommands (e.g. mirror pull) get their own sections
            top = click.Context(cli, info_name="skillsync", **cli.context_settings)
            group_ctx = click.Context(command, info_name=name, parent=top)
            for sub_name in command.list_commands(group_ctx):
                sub = command.get_command(group_ctx, sub_name)
                if sub is not None:
                    text = _help_text(sub, sub_name, group_ctx)
                    parts += ["", f"### skillsync {name} {sub_name}", "", "```text", text, "```"]
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    click.echo(render_markdown(), nl=False)
