"""``skillsync templates``: list the built-in and user templates."""

from __future__ import annotations

import click

from skillsync.cli.common import emit_json, json_option, state
from skillsync.template_catalog import list_templates, user_templates_dir


@click.command("templates")
@json_option
def templates_command(as_json: bool) -> int:
    """List the templates `skillsync new --template` accepts.

    Built-in templates ship with skillsync; user templates come from the folder named by
    `[templates] path` in skillsync.toml and override built-ins of the same name.
    """
    ws = state().workspace()
    templates = list_templates(user_templates_dir(ws))
    if as_json:
        emit_json(
            {
                "templates": [
                    {"name": t.name, "description": t.description, "source": t.source, "path": str(t.path)}
                    for t in templates
                ]
            }
        )
        return 0
    width = max((len(t.name) for t in templates), default=0)
    for t in templates:
        click.echo(f"{t.name:<{width}}  {t.source:<8}  {t.description}")
    return 0
