"""``skillsync ls``: one row per skill with its shipped file count and bytes."""

from __future__ import annotations

import click

from skillsync.cli.common import echo_err, emit_json, json_option, state
from skillsync.commands.listing import list_skills
from skillsync.workspace import unmatched_hint


@click.command("ls")
@json_option
def ls_command(as_json: bool) -> int:
    """List the skills of the workspace: slug, folder, shipped files, total bytes."""
    ws = state().workspace()
    res = list_skills(ws)
    for rel in res.unmatched:
        echo_err(
            f"skillsync: warning: {rel}/SKILL.md matches no workspace layout and is ignored; "
            + unmatched_hint(ws.root, rel, ws.config_path is not None)
        )
    if as_json:
        emit_json(res.to_json())
        return 0
    rows = res.skills
    if not rows:
        echo_err(f"no skills found in {ws.root}")
        return 0
    width = max(len(r.slug) for r in rows)
    pwidth = max(len(r.path) for r in rows)
    for r in rows:
        slug, path = f"{r.slug:<{width}}", f"{r.path:<{pwidth}}"
        n_files = f"{r.files:>5} {'file ' if r.files == 1 else 'files'}"  # padded: columns stay aligned
        click.echo(f"{slug}  {path}  {n_files}  {r.bytes:>10} bytes")
    return 0
