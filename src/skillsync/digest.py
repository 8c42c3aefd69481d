"""The ``skilltree-v1`` tree digest: one string naming the content of a skill.

It hashes only (relative path, size, sha256) per file, so it can be computed from local files and from
a remote revision's ``files`` metadata alike, and "changed or not" is one string comparison.
Every field is length-framed (as in Nix NAR / Bazel REAPI) so that no two different entry lists can
produce the same byte stream. The exact specification and test vectors are in docs/digest.md.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import struct
from collections.abc import Iterable

SCHEME = "skilltree-v1"
PREFIX = f"{SCHEME}:sha256:"
MAGIC = SCHEME.encode("ascii")
_U64 = struct.Struct(">Q")
_U64_MAX = 2**64 - 1
_HEX64 = re.compile(r"[0-9a-f]{64}")


def _u64(value: int) -> bytes:
    return _U64.pack(value)


def tree_digest(entries: Iterable[tuple[str, int, str]]) -> str:
    """``skilltree-v1:sha256:<hex>`` over ``(relative_path, size_bytes, sha256_hex)`` entries.

    Order of ``entries`` does not matter: they are sorted by the UTF-8 bytes of the path.
    Raises ValueError for an empty or non-UTF-8 path, a negative or too large size, a sha256
    that is not 64 lowercase hex digits, or a path given twice.
    """
    items: list[tuple[bytes, int, bytes]] = []
    for entry in entries:
        path, size, sha = entry
        if not isinstance(path, str) or not path:
            raise ValueError(f"tree_digest: path must be a non-empty string, got {path!r}")
        try:
            raw_path = path.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"tree_digest: path {path!r} is not valid Unicode text") from None
        if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= _U64_MAX:
            raise ValueError(f"tree_digest: {path}: size must be an integer >= 0, got {size!r}")
        if not isinstance(sha, str) or not _HEX64.fullmatch(sha):
            raise ValueError(f"tree_digest: {path}: sha256 must be 64 lowercase hex digits, got {sha!r}")
        items.append((raw_path, size, bytes.fromhex(sha)))
    items.sort(key=lambda item: item[0])
    for before, after in itertools.pairwise(items):
        if before[0] == after[0]:
            raise ValueError(f"tree_digest: duplicate path {after[0].decode('utf-8')!r}")
    h = hashlib.sha256()
    h.update(_u64(len(MAGIC)))
    h.update(MAGIC)
    h.update(_u64(len(items)))
    for raw_path, size, raw_sha in items:
        h.update(_u64(len(raw_path)))
        h.update(raw_path)
        h.update(_u64(size))
        h.update(raw_sha)
    return PREFIX + h.hexdigest()


def is_tree_digest(value: str) -> bool:
    """Whether ``value`` looks like a ``skilltree-v1`` digest (for parsing state or user input)."""
    return value.startswith(PREFIX) and _HEX64.fullmatch(value[len(PREFIX) :]) is not None
