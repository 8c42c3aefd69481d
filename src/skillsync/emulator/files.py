"""Revision uploads: validate the file list, store contents as blobs, build the tar.gz bundle.

Checks that need no decoding (count, paths, duplicates, root SKILL.md, estimated sizes) run first,
so a bad upload is refused before a byte is written. Each file is then decoded, hashed and stored
one at a time, and its base64 text released, to keep at most one decoded file in memory.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import gzip
import hashlib
import math
import posixpath
import re
import tarfile
from dataclasses import dataclass
from typing import IO, Any

import yaml

from skillsync.emulator.db import Store
from skillsync.emulator.errors import ApiError, invalid, unprocessable

SKILL_MD = "SKILL.md"
SKILL_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # C0, DEL and C1, as the client's seren.path rule
_CHUNK = 1 << 20
# Frontmatter integers must fit 64 bits (signed or unsigned), as ``validate``'s spec.yaml-value says.
INT64_MIN, UINT64_MAX = -(2**63), 2**64 - 1

# A fixed table, not the host's mimetypes database, so every machine reports the same type.
CONTENT_TYPES: dict[str, str] = {
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".txt": "text/plain",
    ".py": "text/x-python",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".ts": "text/x-typescript",
    ".sh": "text/x-shellscript",
    ".json": "application/json",
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
    ".toml": "application/toml",
    ".csv": "text/csv",
    ".html": "text/html",
    ".css": "text/css",
    ".xml": "application/xml",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".pdf": "application/pdf",
    ".zip": "application/zip",
    ".gz": "application/gzip",
    ".wasm": "application/wasm",
}


@dataclass
class StoredFile:
    relative_path: str
    size_bytes: int
    sha256: str
    content_type: str
    is_text: bool


def check_skill_slug(slug: Any) -> str:
    """Custom-skill slugs: lowercase kebab-case, at least 2 characters, no upper bound."""
    if not isinstance(slug, str) or len(slug) < 2 or not SKILL_SLUG_RE.match(slug):
        raise invalid(
            f"invalid slug {slug!r}: use lowercase letters, digits and single hyphens, at least 2 characters",
            "invalid_slug",
        )
    return slug


def path_problem(path: str) -> str | None:
    """Why ``path`` cannot name a file in a revision, or None."""
    if not path:
        return "path is empty"
    if path.startswith("/"):
        return "path must be relative (no leading '/')"
    if "\\" in path:
        return "path must use '/' separators, not backslashes"
    if _CONTROL_RE.search(path):
        return "path contains a control character"
    parts = path.split("/")
    if any(p == "" for p in parts):
        return "path has an empty segment ('//' or a trailing '/')"
    if any(p in (".", "..") for p in parts):
        return "path must not contain '.' or '..' segments"
    return None


def guess_content_type(path: str, is_text: bool) -> str:
    ext = posixpath.splitext(path)[1].lower()
    if ext in CONTENT_TYPES:
        return CONTENT_TYPES[ext]
    return "text/plain" if is_text else "application/octet-stream"


def _estimated_size(b64: str) -> int:
    return len(b64) // 4 * 3 - b64[-2:].count("=")


def precheck(raw_files: Any, limits: dict[str, int]) -> None:
    """Shape, paths, duplicates, SKILL.md, count and estimated sizes: everything before decoding."""
    if not isinstance(raw_files, list):
        raise unprocessable("files: expected a list of {relative_path, content_base64, content_type?}")
    if not raw_files:
        raise invalid("files: a revision needs at least one file (a root SKILL.md)", "empty_files")
    if len(raw_files) > limits["max_files"]:
        raise invalid(
            f"files: {len(raw_files)} files exceed the limit of {limits['max_files']}", "too_many_files"
        )
    seen: set[str] = set()
    total = 0
    for i, entry in enumerate(raw_files):
        if not isinstance(entry, dict):
            raise unprocessable(f"files[{i}]: expected an object")
        path, b64, ctype = entry.get("relative_path"), entry.get("content_base64"), entry.get("content_type")
        if not isinstance(path, str):
            raise unprocessable(f"files[{i}].relative_path: expected a string")
        if not isinstance(b64, str):
            raise unprocessable(f"files[{i}] {path!r}: content_base64 must be a string")
        if ctype is not None and not isinstance(ctype, str):
            raise unprocessable(f"files[{i}] {path!r}: content_type must be a string or null")
        problem = path_problem(path)
        if problem:
            raise invalid(f"files[{i}] {path!r}: {problem}", "invalid_path")
        if path in seen:
            raise invalid(f"files[{i}] {path!r}: duplicate path", "duplicate_path")
        seen.add(path)
        size = _estimated_size(b64)
        if size > limits["max_file_bytes"]:
            raise invalid(
                f"files[{i}] {path!r}: {size} bytes exceed the per-file limit of {limits['max_file_bytes']}",
                "file_too_large",
            )
        total += size
    if SKILL_MD not in seen:
        raise invalid("files: a root SKILL.md is required", "missing_skill_md")
    if total > limits["max_total_bytes"]:
        raise invalid(
            f"files: {total} bytes in total exceed the limit of {limits['max_total_bytes']}",
            "bundle_too_large",
        )


_B64_CHUNK = 4 * _CHUNK  # characters per decode step (a multiple of 4)


def _bad_base64(i: int, path: str) -> ApiError:
    return invalid(f"files[{i}] {path!r}: content_base64 is not standard padded base64", "invalid_base64")


def _store_decoded(store: Store, b64: str, i: int, path: str, max_bytes: int) -> tuple[str, int, bool]:
    """Decode ``b64`` slice by slice into a blob; return (sha256, size, is_text).

    Decoding the whole string at once would hold an ASCII copy of it plus the decoded bytes;
    slices keep the extra memory to a few MiB whatever the file size.
    """
    if len(b64) % 4:
        raise _bad_base64(i, path)
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8")()
    is_text = True
    size = 0
    out, tmp = store.temp_file()
    try:
        with out:
            for start in range(0, len(b64), _B64_CHUNK):
                piece = b64[start : start + _B64_CHUNK]
                if "=" in piece[:-2] or (start + _B64_CHUNK < len(b64) and "=" in piece):
                    raise _bad_base64(i, path)
                try:
                    data = base64.b64decode(piece, validate=True)
                except (binascii.Error, ValueError):
                    raise _bad_base64(i, path) from None
                size += len(data)
                if size > max_bytes:
                    raise invalid(f"files[{i}] {path!r}: size limit exceeded", "file_too_large")
                digest.update(data)
                if is_text:
                    try:
                        utf8.decode(data)
                    except UnicodeDecodeError:
                        is_text = False
                out.write(data)
            if is_text:
                try:
                    utf8.decode(b"", final=True)
                except UnicodeDecodeError:
                    is_text = False
        sha = digest.hexdigest()
        store.adopt_blob(tmp, sha)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return sha, size, is_text


def ingest(
    store: Store, raw_files: list[dict[str, Any]], limits: dict[str, int]
) -> tuple[list[StoredFile], str]:
    """Decode, hash and store every file; return their metadata (sorted by path) and SKILL.md text.

    ``raw_files`` is consumed: each ``content_base64`` is dropped once stored.
    """
    precheck(raw_files, limits)
    out: list[StoredFile] = []
    skill_md: str | None = None
    total = 0
    for i, entry in enumerate(raw_files):
        path: str = entry["relative_path"]
        b64: str = entry.pop("content_base64")
        room = min(limits["max_file_bytes"], limits["max_total_bytes"] - total)
        sha, size, is_text = _store_decoded(store, b64, i, path, room)
        del b64
        total += size
        if path == SKILL_MD:
            if not is_text:
                raise invalid("SKILL.md: not valid UTF-8 text", "invalid_skill_md")
            with store.open_blob(sha) as src:
                skill_md = src.read().decode("utf-8")
        ctype = entry.get("content_type") or guess_content_type(path, is_text)
        out.append(StoredFile(path, size, sha, ctype, is_text))
    assert skill_md is not None  # precheck guarantees it
    out.sort(key=lambda f: f.relative_path.encode("utf-8"))
    return out, skill_md


class _NoAliasLoader(yaml.SafeLoader):
    """Refuses aliases (as ``validate`` does): they can refer to themselves or multiply the document."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(None, None, "aliases are not allowed", mark)
        return super().compose_node(parent, index)


def parse_skill_md(text: str) -> tuple[dict[str, Any], str | None]:
    """The YAML frontmatter mapping and the first ``# `` heading.

    The mapping is {} when absent, unparsable or using aliases.
    """
    frontmatter: dict[str, Any] = {}
    body = text
    lines = text.splitlines()
    if lines and lines[0].strip() == "---":
        for idx in range(1, len(lines)):
            if lines[idx].strip() in ("---", "..."):
                try:
                    loaded = yaml.load("\n".join(lines[1:idx]), Loader=_NoAliasLoader)
                except (yaml.YAMLError, RecursionError):
                    loaded = None
                except (ValueError, OverflowError) as exc:  # 2001-02-30, an int of 5,000 digits
                    raise invalid(
                        f"SKILL.md frontmatter: a value YAML cannot represent ({exc}); quote it",
                        "invalid_skill_md",
                    ) from None
                if isinstance(loaded, dict):
                    frontmatter = {str(k): v for k, v in loaded.items()}
                body = "\n".join(lines[idx + 1 :])
                break
    title = None
    for line in body.splitlines():
        if line.startswith("# "):
            title = line[2:].strip() or None
            break
    return _jsonable(frontmatter), title


def _jsonable(value: Any) -> Any:
    """YAML may yield dates and other non-JSON scalars; keep them as strings."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and not INT64_MIN <= value <= UINT64_MAX:
        raise invalid(
            f"SKILL.md frontmatter: the integer {str(value)[:40]}... is beyond the 64-bit range; quote it",
            "invalid_skill_md",
        )
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


class _HashingWriter:
    """A write-only file object that hashes and counts what passes through."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.out.write(data)
        self.hash.update(data)
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        self.out.flush()


def build_bundle(store: Store, files: list[StoredFile]) -> tuple[str, int]:
    """Stream a deterministic tar.gz (sorted, zero mtimes and owners) into the blob store."""
    tmp_file, tmp_path = store.temp_file()
    try:
        with tmp_file:
            writer = _HashingWriter(tmp_file)
            with (
                gzip.GzipFile(filename="", mode="wb", fileobj=writer, mtime=0, compresslevel=6) as gz,
                tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
            ):
                for f in files:
                    info = tarfile.TarInfo(f.relative_path)
                    info.size = f.size_bytes
                    info.mode = 0o644
                    info.mtime = 0
                    info.uid = info.gid = 0
                    info.uname = info.gname = ""
                    with store.open_blob(f.sha256) as src:
                        tar.addfile(info, src)
            digest = writer.hash.hexdigest()
            size = writer.size
        store.adopt_blob(tmp_path, digest)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    return digest, size
