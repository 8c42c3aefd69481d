"""``skillsync digest``: the skilltree-v1 digest of each skill (what Seren's revision metadata gives too)."""

from __future__ import annotations

import click

from skillsync.cli.common import emit_json, json_option, state
from skillsync.manifest import build_manifests
from skillsync.textfit import plural


@click.command("digest")
@click.argument("skills", nargs=-1, metavar="[SKILL]...")
@click.option("--no-cache", is_flag=True, help="Hash every file, ignoring the stat cache in .skillsync/.")
@json_option
def digest_command(skills: tuple[str, ...], no_cache: bool, as_json: bool) -> int:
    """Print the content digest of each skill (all skills when none are named).

    SKILL is a slug or the path of a skill folder (or of a file in it). The digest covers only
    the shipped files' paths, sizes and sha256, so equal digests mean equal content, locally and
    on Seren. See docs/digest.md.
    """
    ws = state().workspace()
    manifests = build_manifests(ws, ws.select_skills(skills), use_cache=not no_cache)
    rows = [
        {"slug": m.skill.slug, "digest": m.digest, "files": m.files, "bytes": m.total_bytes}
        for m in manifests
    ]
    if as_json:
        emit_json({"skills": rows})
        return 0
    width = max((len(m.skill.slug) for m in manifests), default=0)
    for m in manifests:
        sizes = f"{plural(m.files, 'file')}  {plural(m.total_bytes, 'byte')}"
        click.echo(f"{m.skill.slug:<{width}}  {m.digest}  {sizes}")
    return 0
