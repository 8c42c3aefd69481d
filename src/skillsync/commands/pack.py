"""``pack`` and ``unpack``: a skill's shipped files as a reproducible tar.gz, and the safe reader."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from skillsync.atomic import atomic_writer
from skillsync.bundle import UnpackLimits, safe_unpack, write_pack
from skillsync.errors import LocalError, UsageError
from skillsync.manifest import build_manifest
from skillsync.workspace import Skill, Workspace


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


@dataclass(frozen=True)
class PackResult:
    slug: str
    output: Path | None  # None: written to the stream the caller gave
    digest: str
    files: int
    bytes: int
    sha256: str  # of the archive

    def to_json(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "output": str(self.output),
            "digest": self.digest,
            "bytes": self.bytes,
            "sha256": self.sha256,
        }


def pack(ws: Workspace, skill: Skill, dest: Path | BinaryIO) -> PackResult:
    """Write ``skill`` as a deterministic tar.gz to the file ``dest`` (replaced atomically, fsynced)
    or to the open binary stream ``dest`` (left open)."""
    manifest = build_manifest(ws, skill)
    if not isinstance(dest, Path):
        counting = _Counting(dest)
        write_pack(manifest, counting)  # type: ignore[arg-type]
        return _result(skill, None, manifest.digest, manifest.files, counting)
    path = dest.absolute()
    if path.is_dir():
        raise UsageError(f"{path} is a folder", hint="give a file name with -o")
    opened = False
    try:
        with atomic_writer(path) as fh:
            opened = True
            counting = _Counting(fh)
            write_pack(manifest, counting)  # type: ignore[arg-type]
    except OSError as exc:
        if opened:
            raise
        raise LocalError(f"cannot write {path}: {exc.strerror or exc}", hint="check the folder") from None
    return _result(skill, path, manifest.digest, manifest.files, counting)


def _result(skill: Skill, path: Path | None, digest: str, files: int, counting: _Counting) -> PackResult:
    return PackResult(skill.slug, path, digest, files, counting.size, counting.hash.hexdigest())


@dataclass(frozen=True)
class UnpackResult:
    archive: str  # as given ('-': stdin)
    dest: Path
    files: list[str]

    def to_json(self) -> dict[str, Any]:
        return {"archive": self.archive, "dest": str(self.dest.absolute()), "files": self.files}


def unpack(
    archive: str, source: Path | BinaryIO, dest: Path, *, force: bool, limits: UnpackLimits | None = None
) -> UnpackResult:
    """Unpack ``source`` into ``dest``: refuses unsafe entries, never overwrites without ``force``,
    stops (exit 4) past ``limits`` (default :class:`UnpackLimits`)."""
    return UnpackResult(archive, dest, safe_unpack(source, dest, force=force, limits=limits))
