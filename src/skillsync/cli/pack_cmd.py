"""``skillsync pack`` and ``skillsync unpack``: deterministic tar.gz of a skill, and the safe reader."""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import tempfile
from pathlib import Path
from typing import BinaryIO

import click

from skillsync.bundle import UnpackLimits, safe_unpack, write_pack
from skillsync.cli.common import echo_err, emit_json, json_option, state
from skillsync.errors import LocalError, UsageError
from skillsync.manifest import build_manifest


class _Counting:
    """A write-only wrapper recording the byte count and sha256 of what passes through."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self.size = 0
        self.hash = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self._out.write(data)
        self.size += len(data)
        self.hash.update(data)
        return len(data)

    def flush(self) -> None:
        self._out.flush()


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
    manifest = build_manifest(ws, target)
    if output == "-":
        counting = _Counting(sys.stdout.buffer)
        write_pack(manifest, counting)  # type: ignore[arg-type]
        sys.stdout.buffer.flush()
        return 0
    path = Path(output) if output else Path.cwd() / f"{target.slug}.tar.gz"
    path = path.absolute()
    if path.is_dir():
        raise UsageError(f"{path} is a folder", hint="give a file name with -o")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise LocalError(f"cannot write {path}: {exc.strerror or exc}", hint="check the folder") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            counting = _Counting(fh)
            write_pack(manifest, counting)  # type: ignore[arg-type]
        Path(tmp).chmod(0o644)
        Path(tmp).replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        raise
    if as_json:
        emit_json(
            {
                "slug": target.slug,
                "output": str(path),
                "digest": manifest.digest,
                "bytes": counting.size,
                "sha256": counting.hash.hexdigest(),
            }
        )
    else:
        echo_err(f"wrote {path} ({manifest.files} files, {counting.size} bytes, {manifest.digest})")
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
    limits = UnpackLimits(max_bytes=max_bytes, max_files=max_files)
    files = safe_unpack(source, dest, force=force, limits=limits)
    if as_json:
        emit_json({"archive": archive, "dest": str(dest.absolute()), "files": files})
    else:
        echo_err(f"unpacked {len(files)} files into {dest}")
    return 0
