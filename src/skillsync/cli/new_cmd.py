"""``skillsync new``: scaffold a skill folder from a template (core in skillsync.scaffold)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from skillsync.cli.common import echo_err, emit_json, json_option, state
from skillsync.errors import UsageError
from skillsync.scaffold import new_skill, slug_warning
from skillsync.template_catalog import Variable


def _parse_vars(pairs: tuple[str, ...], description: str | None) -> dict[str, str]:
    given: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--var '{pair}' is not KEY=VALUE", hint="for example --var publisher=seren-db")
        given[key.strip()] = value
    if description is not None:
        given["description"] = description
    return given


def _prompt(var: Variable, default: str | None, error: str | None) -> str:
    if error:
        click.echo(f"  {error}", err=True)
    label = var.help or var.name
    value = click.prompt(f"{label} [{var.name}]", default=default, show_default=default is not None, err=True)
    return str(value)


@click.command("new")
@click.argument("spec", metavar="[ORG/]NAME")
@click.option(
    "-t",
    "--template",
    default="basic",
    show_default=True,
    help="Template name (see `skillsync templates`) or the path of a template folder.",
)
@click.option(
    "-d", "--description", default=None, help="The skill's description (what it does, when to use it)."
)
@click.option(
    "--var",
    "pairs",
    multiple=True,
    metavar="KEY=VALUE",
    help="Set a template variable; repeat for several (e.g. --var display_name='My Skill').",
)
@click.option("--no-input", is_flag=True, help="Never prompt; use defaults for values not given.")
@json_option
def new_command(
    spec: str, template: str, description: str | None, pairs: tuple[str, ...], no_input: bool, as_json: bool
) -> int:
    """Create a new skill folder [ORG/]NAME from a template.

    NAME becomes the folder name and the SKILL.md `name` (lowercase letters, digits and single
    hyphens, at most 64 characters). With ORG the skill goes to ORG/NAME (this needs a workspace:
    run `skillsync init` first); without, to skills/NAME when a skills/ folder exists, else NAME.
    Missing values are prompted for on a terminal only. An existing folder is never overwritten.

    Example: skillsync new acme/report-writer -t python-script -d "Writes weekly reports. Use when..."
    """
    st = state()
    ws = st.workspace()
    interactive = not no_input and not as_json and sys.stdin.isatty()
    made = new_skill(
        ws,
        spec,
        template=template,
        given=_parse_vars(pairs, description),
        prompt=_prompt if interactive else None,
        cwd=st.directory or Path.cwd(),
    )
    warning = slug_warning(made.target)
    if warning:
        echo_err(f"skillsync: warning: {warning}")
    if as_json:
        emit_json(
            {
                "skill": {
                    "slug": made.target.slug,
                    "path": made.target.rel,
                    "template": made.template.name,
                    "template_source": made.template.source,
                },
                "variables": {
                    k: v for k, v in made.values.items() if k not in ("description_yaml", "description_json")
                },
                "files": [f.rel for f in made.files],
            }
        )
        return 0
    click.echo(f"created {made.target.rel}/ (slug {made.target.slug}) from template {made.template.name}:")
    for f in made.files:
        click.echo(f"  {f.rel}")
    click.echo(f"next: edit {made.target.rel}/SKILL.md, then `skillsync validate {made.target.rel}`")
    return 0
