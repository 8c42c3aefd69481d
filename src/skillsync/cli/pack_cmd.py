"""``skillsync pack`` and ``skillsync unpack``: deterministic tar.gz of a skill, and the safe reader."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import BinaryIO

import click

from skillsync.bundle import UnpackLimits
from skillsync.cli.common import echo_err, emit_json, json_option, state
from skillsync.commands.pack import pack, unpack
from skillsync.errors import UsageError
from skillsync.textfit import plural


@click.command("pack")
@click.argument("skill")
@click.option(
    "-o",
    "--output",
    default=None,
    metavar="FILE",
    help="Where to write the archive (default: ./<slug>.tar.gz; '-' for stdout).",
)
@json_option
def pack_command(skill: str, output: str | None, as_json: bool) -> int:
    """Write SKILL's shipped files as a reproducible tar.gz.

    The same files always give a byte-identical archive (fixed order, times, owners and modes),
    whatever the machine, umask or file times.
    """
    ws = state().workspace()
    target = ws.resolve(skill)
    if output == "-" and as_json:
        raise UsageError("--json cannot be combined with -o - (both use stdout)", hint="give -o FILE")
    if output == "-":
        pack(ws, target, sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return 0
    res = pack(ws, target, Path(output) if output else Path.cwd() / f"{target.slug}.tar.gz")
    if as_json:
        emit_json(res.to_json())
    else:
        sizes = f"{plural(res.files, 'file')}, {plural(res.bytes, 'byte')}"
        echo_err(f"wrote {res.output} ({sizes}, {res.digest})")
    return 0


@click.command("unpack")
@click.argument("archive", metavar="FILE")
@click.argument("dest", metavar="DIR", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite files that already exist in DIR.")
@click.option(
    "--max-bytes",
    type=click.IntRange(min=0),
    default=UnpackLimits.max_bytes,
    show_default=True,
    help="Refuse an archive whose files add up to more bytes (checked before writing each file).",
)
@click.option(
    "--max-files",
    type=click.IntRange(min=0),
    default=UnpackLimits.max_files,
    show_default=True,
    help="Refuse an archive with more entries (files and folders).",
)
@json_option
def unpack_command(
    archive: str, dest: Path, force: bool, max_bytes: int, max_files: int, as_json: bool
) -> int:
    """Safely unpack a tar.gz (FILE, or '-' for stdin) into DIR.

    Refuses absolute paths, '..', control characters in names, links, devices and duplicate
    entries, extended headers over 1 MiB, and archives past --max-bytes or --max-files (exit 4),
    and never overwrites an existing file without --force. A refused archive leaves nothing behind.
    """
    source: Path | BinaryIO = sys.stdin.buffer if archive == "-" else Path(archive)
    res = unpack(
        archive, source, dest, force=force, limits=UnpackLimits(max_bytes=max_bytes, max_files=max_files)
    )
    if as_json:
        emit_json(res.to_json())
    else:
        echo_err(f"unpacked {plural(len(res.files), 'file')} into {dest}")
    return 0
