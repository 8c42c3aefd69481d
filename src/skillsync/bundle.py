"""Deterministic tar.gz packs of a manifest, and the one safe unpacker (also used by ``pull``).

Pack layout: only regular-file members, sorted by the UTF-8 bytes of their path; no directory
members (every extractor creates parents). Each header has mtime 0, uid/gid 0, empty user and group
names, mode 0644 or 0755 (from the executable bit), GNU tar format (long names via ././@LongLink,
never PAX, so no timestamps sneak in). The gzip header carries no file name, mtime 0 and a fixed
compression level. The same tree therefore gives the same bytes on every machine with the same zlib.
"""

from __future__ import annotations

import contextlib
import filecmp
import gzip
import hashlib
import os
import shutil
import stat
import tarfile
import tempfile
import zlib
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO

from skillsync.errors import LocalError
from skillsync.manifest import CHUNK_SIZE, FileEntry, Manifest
from skillsync.text import CONTROL, escape_controls

COMPRESS_LEVEL = 6
TAR_FORMAT = tarfile.GNU_FORMAT


class _VerifyingReader:
    """Reads a file for tarfile while hashing it, so a pack never holds other bytes than its manifest."""

    def __init__(self, fh: BinaryIO) -> None:
        self._fh = fh
        self.hash = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self._fh.read(size)
        self.hash.update(data)
        return data


def _tarinfo(entry: FileEntry) -> tarfile.TarInfo:
    info = tarfile.TarInfo(entry.rel)
    info.type = tarfile.REGTYPE
    info.size = entry.size
    info.mtime = 0
    info.mode = 0o755 if entry.executable else 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def write_pack(manifest: Manifest, out: BinaryIO) -> None:
    """Write ``manifest`` as a deterministic tar.gz to ``out`` (which is left open).

    Raises LocalError when a file cannot be read or no longer matches its manifest entry.
    """
    with (
        gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=COMPRESS_LEVEL, mtime=0) as gz,
        tarfile.TarFile(
            fileobj=gz, mode="w", format=TAR_FORMAT, encoding="utf-8", copybufsize=CHUNK_SIZE
        ) as tar,
    ):
        for entry in sorted(manifest.entries, key=lambda e: e.rel.encode("utf-8")):
            try:
                with entry.path.open("rb") as fh:
                    reader = _VerifyingReader(fh)
                    tar.addfile(_tarinfo(entry), reader)
            except OSError as exc:
                raise LocalError(
                    f"cannot pack {entry.path}: {exc.strerror or exc}",
                    hint="the file changed or became unreadable; run the command again",
                ) from None
            if reader.hash.hexdigest() != entry.sha256:
                raise LocalError(
                    f"{entry.path} changed while packing", hint="run the command again when edits settle"
                )


# ----------------------------------------------------------------------------- unpack

MIB = 1024 * 1024


@dataclass(frozen=True)
class UnpackLimits:
    """What one archive may make the unpacker read or write (docs/digest.md); past any: exit 4.

    ``max_header_bytes`` bounds one extended header (a PAX record or a GNU long name), which tarfile
    would otherwise read into memory whole; ``max_bytes`` and ``max_files`` bound what is written.
    """

    max_bytes: int = 1024 * MIB
    max_files: int = 20_000
    max_header_bytes: int = 1 * MIB


_EXTENDED = (
    tarfile.GNUTYPE_LONGNAME,
    tarfile.GNUTYPE_LONGLINK,
    tarfile.XHDTYPE,
    tarfile.XGLTYPE,
    tarfile.SOLARIS_XHDTYPE,
)


def _bounded_tarinfo(label: str, limit: int) -> type[tarfile.TarInfo]:
    """A TarInfo class refusing an extended header larger than ``limit`` before tarfile reads it."""

    class _Bounded(tarfile.TarInfo):
        def _proc_member(self, tarfile: tarfile.TarFile) -> tarfile.TarInfo:
            if self.type in _EXTENDED and self.size > limit:
                raise LocalError(
                    f"{label}: refusing an extended tar header of {self.size} bytes (limit {limit})",
                    hint="the archive is unsafe or not a skill bundle; nothing was written",
                )
            return super()._proc_member(tarfile)  # type: ignore[misc,no-any-return]

    return _Bounded


def bundle_bound(files: Iterable[tuple[str, int]]) -> int:
    """The most bytes a tar.gz of ``files`` (path, size) can take: what a download is allowed.

    Per file: its size rounded up to 512-byte blocks, a header, a GNU long-name header plus the
    name; then the end-of-archive blocks and record padding; then 1% and 64 KiB for gzip (stored
    blocks of incompressible data grow by a few bytes per 64 KiB).
    """
    tar = 20 * 512
    for rel, size in files:
        tar += -(-size // 512) * 512 + 3 * 512 + len(rel.encode("utf-8"))
    return tar + tar // 100 + 64 * 1024


def _refuse(label: str, member: str, why: str) -> LocalError:
    return LocalError(
        f"{label}: refusing member '{member}': {why}",
        hint="the archive is unsafe or not a skill bundle; nothing was written",
    )


def _member_path(label: str, member: tarfile.TarInfo, strip_components: int) -> str | None:
    """The checked root-relative POSIX path of ``member`` after stripping, or None if stripped away."""
    name = member.name
    if "\x00" in name:
        raise _refuse(label, name, "NUL byte in the name")
    if "\\" in name:
        raise _refuse(label, name, "backslash in the name")
    if name.startswith("/"):
        raise _refuse(label, name, "absolute path")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise _refuse(label, name, "name is not valid UTF-8") from None
    if CONTROL.search(name):  # the rule local selection applies: such a name never ships
        raise _refuse(label, escape_controls(name), "control character in the name")
    parts = name.split("/")
    if ".." in parts:
        raise _refuse(label, name, "'..' segment")
    if any(p in ("", ".") for p in parts):
        raise _refuse(label, name, "empty or '.' path segment (paths must be plain root-relative)")
    if len(parts) <= strip_components:
        if member.isdir():
            return None
        raise _refuse(label, name, f"file above the {strip_components} stripped folder level(s)")
    return "/".join(parts[strip_components:])


def _kind(member: tarfile.TarInfo) -> str:
    if member.issym():
        return "symbolic link"
    if member.islnk():
        return "hard link"
    if member.ischr() or member.isblk():
        return "device"
    if member.isfifo():
        return "fifo"
    if member.issparse():
        return "sparse file"
    return f"unsupported member type {member.type!r}"


def _extract(
    fh: BinaryIO,
    label: str,
    tmp: Path,
    expected: dict[str, tuple[int, str]] | None,
    strip_components: int,
    limits: UnpackLimits,
    shebang_modes: bool = False,
) -> tuple[list[str], list[str]]:
    files: set[str] = set()
    dirs: set[str] = set()
    seen: set[str] = set()
    total = 0
    tarinfo = _bounded_tarinfo(label, limits.max_header_bytes)
    try:
        tar = tarfile.open(fileobj=fh, mode="r|*", tarinfo=tarinfo)  # noqa: SIM115 - closed by the with
    except (tarfile.TarError, TypeError):  # TypeError: tarfile's stream reader on a gzip header cut short
        raise LocalError(f"{label}: not a tar or tar.gz archive", hint="check the file") from None
    with tar:
        for member in tar:
            rel = _member_path(label, member, strip_components)
            if rel is None:
                continue
            if rel in seen:
                raise _refuse(label, member.name, "duplicate entry")
            seen.add(rel)
            if len(seen) > limits.max_files:
                raise _refuse(label, member.name, f"more than {limits.max_files} entries (--max-files)")
            parts = rel.split("/")
            for i in range(1, len(parts)):
                parent = "/".join(parts[:i])
                if parent in files:
                    raise _refuse(label, member.name, f"'{parent}' is both a file and a folder")
                dirs.add(parent)
            if member.isdir():
                if rel in files:
                    raise _refuse(label, member.name, "is both a file and a folder")
                dirs.add(rel)
                (tmp / rel).mkdir(parents=True, exist_ok=True)
                continue
            if not member.isreg() or member.issparse():
                raise _refuse(label, member.name, _kind(member))
            if rel in dirs:
                raise _refuse(label, member.name, "is both a file and a folder")
            want = expected.get(rel) if expected is not None else None
            if expected is not None:
                if want is None:
                    raise _refuse(label, member.name, "not in the expected file list")
                if member.size != want[0]:
                    raise _refuse(label, member.name, f"size {member.size}, expected {want[0]}")
            total += member.size
            if total > limits.max_bytes:
                raise _refuse(
                    label, member.name, f"files add up to more than {limits.max_bytes} bytes (--max-bytes)"
                )
            src = tar.extractfile(member)
            if src is None:  # pragma: no cover - isreg() members always have data
                raise _refuse(label, member.name, "no data")
            mode = None if shebang_modes else 0o755 if member.mode & 0o100 else 0o644
            sha = _write_new(tmp / rel, src, mode, label, member.name)
            if want is not None and sha != want[1]:
                raise _refuse(label, member.name, "sha256 does not match the expected content")
            files.add(rel)
    if expected is not None:
        missing = sorted(set(expected) - files, key=lambda r: r.encode("utf-8"))
        if missing:
            raise LocalError(
                f"{label}: expected file '{missing[0]}' is missing ({len(missing)} missing in all)",
                hint="the archive does not match the revision; nothing was written",
            )
    order = lambda r: r.encode("utf-8")  # noqa: E731
    return sorted(files, key=order), sorted(dirs, key=order)


def _write_new(target: Path, src: IO[bytes], mode: int | None, label: str, member: str) -> str:
    """Write one member; ``mode`` None: 0o755 when the content starts with ``#!``, else 0o644."""
    target.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(target, flags, 0o644 if mode is None else mode)
    except FileExistsError:
        # Only reachable when the filesystem folds case or Unicode form: two names, one file.
        raise _refuse(label, member, "collides with another entry on this filesystem") from None
    h = hashlib.sha256()
    with os.fdopen(fd, "wb") as out:
        first = src.read(CHUNK_SIZE)
        if mode is None and first.startswith(b"#!"):
            os.fchmod(out.fileno(), 0o755 & ~_umask())
        chunk = first
        while chunk:
            h.update(chunk)
            out.write(chunk)
            chunk = src.read(CHUNK_SIZE)
    return h.hexdigest()


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _freed_by(dest: Path, rel: str, remove: frozenset[str]) -> bool:
    """Whether ``dest/rel`` disappears once the files ``remove`` are deleted (a listed file, or a
    real folder holding nothing but listed files)."""
    if rel in remove:
        return True
    here = dest / rel
    if here.is_symlink() or not here.is_dir():
        return False
    for top, subdirs, names in os.walk(here):
        base = Path(top).relative_to(dest).as_posix()
        for name in names:
            if f"{base}/{name}" not in remove:
                return False
        for name in subdirs:
            if (Path(top) / name).is_symlink() and f"{base}/{name}" not in remove:
                return False
    return True


def _remove_freed(dest: Path, remove: frozenset[str], freed_dirs: set[str]) -> None:
    for rel in sorted(remove):
        with contextlib.suppress(FileNotFoundError):
            (dest / rel).unlink()
    for rel in sorted(freed_dirs, key=lambda r: -r.count("/")):
        for top, _subdirs, _names in os.walk(dest / rel, topdown=False):
            Path(top).rmdir()


def _same_file_content(new: Path, old: Path) -> bool:
    try:
        return old.is_file() and not old.is_symlink() and filecmp.cmp(new, old, shallow=False)
    except OSError:
        return False


def _move_into_place(
    tmp: Path,
    dest: Path,
    files: list[str],
    dirs: list[str],
    force: bool,
    remove: frozenset[str],
    keep_modes: bool = False,
) -> list[str]:
    """Move the extracted files into ``dest``; return those written (with ``keep_modes``, a file
    whose content is already there is left alone, and a replaced file keeps its mode)."""
    if not os.path.lexists(dest):
        tmp.chmod(0o777 & ~_umask())
        tmp.rename(dest)
        return files
    # Check everything first, so a refusal leaves dest untouched.
    freed_dirs: set[str] = set()
    freed: dict[str, bool] = {}
    for rel in [*dirs, *files]:
        parts = rel.split("/")
        for i in range(1, len(parts) + 1):
            here = dest.joinpath(*parts[:i])
            is_last = i == len(parts)
            sub = "/".join(parts[:i])
            if sub not in freed:
                freed[sub] = bool(remove) and os.path.lexists(here) and _freed_by(dest, sub, remove)
            if freed[sub]:
                if sub not in remove:
                    freed_dirs.add(sub)
                break  # gone before anything is moved in
            if here.is_symlink():
                if is_last and rel in files and force:
                    continue  # replacing a link itself (os.replace does not follow it)
                raise LocalError(
                    f"{here} is a symbolic link; refusing to write through it",
                    hint="remove it or unpack into an empty folder",
                )
            if not os.path.lexists(here):
                break
            if not is_last or rel in dirs:
                if not here.is_dir():
                    raise LocalError(f"{here} exists and is not a folder", hint="move it away first")
            elif here.is_dir():
                raise LocalError(f"{here} exists and is a folder", hint="move it away first")
            elif not force:
                raise LocalError(f"{here} already exists", hint="pass --force to overwrite it")
    _remove_freed(dest, remove, freed_dirs)
    for rel in dirs:
        (dest / rel).mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    for rel in files:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if keep_modes and os.path.lexists(target):
            if _same_file_content(tmp / rel, target):
                continue  # unchanged: not rewritten, so its mode, owner and times stay
            with contextlib.suppress(OSError):
                if not target.is_symlink():
                    (tmp / rel).chmod(stat.S_IMODE(target.stat().st_mode))
        (tmp / rel).replace(target)
        written.append(rel)
    return written


def safe_unpack(
    source: Path | BinaryIO,
    dest: Path,
    *,
    force: bool = False,
    expected: dict[str, tuple[int, str]] | None = None,
    strip_components: int = 0,
    remove: Collection[str] = (),
    keep_modes: bool = False,
    limits: UnpackLimits | None = None,
) -> list[str]:
    """Unpack a tar(.gz) into ``dest`` refusing anything unsafe; return the files written (sorted).

    Refused (LocalError naming the member, nothing written): absolute paths, ``..``, ``.`` or empty
    segments, backslashes, links, devices, fifos, duplicate entries, file/folder clashes, and with
    ``expected`` (rel -> (size, sha256)) any file that differs, is extra or is missing. Existing files
    in ``dest`` are kept unless ``force``. The archive is extracted into a temp folder next to ``dest``
    first and then moved into place. ``strip_components`` drops leading folders as ``tar`` does.
    ``remove`` lists files of ``dest`` to delete once everything checked out, before moving in; a
    file or folder they free may then be replaced by a folder or file of the archive.
    ``limits`` (default :class:`UnpackLimits`) bound header sizes, bytes written and entries.

    ``keep_modes`` (for archives that carry no modes, as Seren's): the archive's modes are ignored;
    a file whose content ``dest`` already has is left as it is (not returned), a replaced file keeps
    its mode, and a new file is executable when it starts with ``#!``.
    """
    if strip_components < 0:
        raise ValueError("strip_components must be >= 0")
    dest = Path(os.path.abspath(dest))  # noqa: PTH100 - keep symlinks in dest's parents as given
    if os.path.lexists(dest) and not dest.is_dir():
        raise LocalError(f"{dest} exists and is not a folder", hint="choose another destination")
    label = str(source) if isinstance(source, Path) else getattr(source, "name", "archive")
    label = label if isinstance(label, str) else "archive"
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.unpack-", dir=dest.parent))
    except OSError as exc:
        raise LocalError(f"cannot write into {dest.parent}: {exc.strerror or exc}") from None
    try:
        with contextlib.ExitStack() as stack:
            if isinstance(source, Path):
                try:
                    fh: BinaryIO = stack.enter_context(source.open("rb"))
                except OSError as exc:
                    raise LocalError(f"cannot read {source}: {exc.strerror or exc}") from None
            else:
                fh = source
            try:
                files, dirs = _extract(
                    fh, label, tmp, expected, strip_components, limits or UnpackLimits(), keep_modes
                )
            except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile, RecursionError) as exc:
                raise LocalError(
                    f"{label}: corrupt or truncated archive ({exc})", hint="download or build it again"
                ) from None
        files = _move_into_place(tmp, dest, files, dirs, force, frozenset(remove), keep_modes)
    except OSError as exc:
        raise LocalError(f"cannot unpack into {dest}: {exc.strerror or exc}") from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return files
