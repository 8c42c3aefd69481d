"""The skilltree-v1 digest: pinned vectors (docs/digest.md), an independent re-implementation,
and invariants (order independence, framing, validation)."""

from __future__ import annotations

import hashlib
import random
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillsync.digest import is_tree_digest, tree_digest

DOCS = Path(__file__).resolve().parent.parent / "docs" / "digest.md"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def reference_stream(entries: list[tuple[str, int, str]]) -> bytes:
    """A deliberately plain re-statement of the spec in docs/digest.md (no shared code)."""
    ordered = sorted(entries, key=lambda e: list(e[0].encode("utf-8")))
    out = bytearray()
    magic = b"skilltree-v1"
    out += len(magic).to_bytes(8, "big") + magic
    out += len(ordered).to_bytes(8, "big")
    for path, size, hexsha in ordered:
        raw = path.encode("utf-8")
        out += len(raw).to_bytes(8, "big") + raw
        out += size.to_bytes(8, "big")
        out += bytes(int(hexsha[i : i + 2], 16) for i in range(0, 64, 2))
    return bytes(out)


def reference_digest(entries: list[tuple[str, int, str]]) -> str:
    return "skilltree-v1:sha256:" + hashlib.sha256(reference_stream(entries)).hexdigest()


SKILL = b"---\nname: demo\ndescription: A demo skill.\n---\n# Demo\n"
V1 = [("SKILL.md", len(SKILL), sha(SKILL))]
COFFEE = b"coffee\n"
NFC = unicodedata.normalize("NFC", "references/caf\u00e9.md")
NFD = unicodedata.normalize("NFD", NFC)
HELLO = b"hello world\n"
V5_PATHS = ["a/b.md", "a-b/c.md", "a.md", "B.md", "\uff21.md", "\U0001f600.md", "SKILL.md"]
V5 = [(p, len(p.encode()) + 1, sha(p.encode() + b"\n")) for p in V5_PATHS]

VECTORS: dict[str, tuple[list[tuple[str, int, str]], str]] = {
    "1-single-skill-md": (V1, "3a5e7e1f9e052cbe05435fde12bca7a02cdd1e8514670be413fac478c685843d"),
    "2a-nfc": (
        [*V1, (NFC, len(COFFEE), sha(COFFEE))],
        "4882956e55c00a293b91e4c5e626d15dda949c11eb11ec6c80ff3d06cc09c325",
    ),
    "2b-nfd": (
        [*V1, (NFD, len(COFFEE), sha(COFFEE))],
        "81b058ea6c1e5f29653749ae96d88d3907fdae052cbfd20c74ec86606078be7a",
    ),
    "3a-framing": (
        [("SKILL.md", 12, sha(HELLO))],
        "78aa119c888feeafe23f6e8dd685b259d3bc34eec89fee918690ec9dce6b63b0",
    ),
    "3b-framing": (
        [("SKILL.md1", 2, sha(HELLO))],
        "87ab1d12ede0a1733d56f2c84cb72322dce0917f6c1dfd2ecafb8815f72e7280",
    ),
    "4-empty-file": (
        [*V1, ("assets/empty.txt", 0, sha(b""))],
        "630d7b78b3c242d6d1905a106b8302774dc0b49fdd08f2629b9b922493c829eb",
    ),
    "5-byte-order": (V5, "c51bc6b0d2d0fd6f89120dbb1ab0ee26a858bd9d433bcb7adcfc2f181d7b634c"),
}


@pytest.mark.parametrize("name", sorted(VECTORS))
def test_pinned_vectors(name: str) -> None:
    entries, hexdigest = VECTORS[name]
    expected = f"skilltree-v1:sha256:{hexdigest}"
    assert reference_digest(entries) == expected
    assert tree_digest(entries) == expected
    assert tree_digest(reversed(entries)) == expected


@pytest.mark.parametrize("name", sorted(VECTORS))
def test_docs_show_the_pinned_vectors(name: str) -> None:
    assert VECTORS[name][1] in DOCS.read_text(encoding="utf-8")


def test_nfc_and_nfd_differ_and_framing_prevents_the_naive_collision() -> None:
    assert NFC != NFD
    assert tree_digest(VECTORS["2a-nfc"][0]) != tree_digest(VECTORS["2b-nfd"][0])

    def naive(entries: list[tuple[str, int, str]]) -> bytes:
        return b"".join(p.encode() + str(n).encode() + h.encode() for p, n, h in entries)

    a, b = VECTORS["3a-framing"][0], VECTORS["3b-framing"][0]
    assert naive(a) == naive(b)  # the collision is real without framing
    assert tree_digest(a) != tree_digest(b)


@pytest.mark.parametrize(
    "key",
    [lambda p: Path(p).parts, str.lower, lambda p: p.encode("utf-16-be")],
    ids=["path-parts", "case-folded", "utf-16"],
)
def test_vector5_digest_does_not_depend_on_the_order_given(key: Callable[[str], Any]) -> None:
    """Entries in another plausible order (each differs from the bytewise one) give vector 5's digest."""
    entries = sorted(V5, key=lambda e: key(e[0]))
    assert [p for p, _, _ in entries] != [p for p, _, _ in sorted(V5, key=lambda e: e[0].encode())]
    assert tree_digest(entries) == "skilltree-v1:sha256:" + VECTORS["5-byte-order"][1]


def test_manifest_entries_are_in_bytewise_order(tmp_path: Path) -> None:
    from skillsync.manifest import build_manifest
    from skillsync.workspace import open_workspace

    (tmp_path / "skillsync.toml").write_text("")
    for rel in V5_PATHS:
        target = tmp_path / "v5" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(rel.encode() + b"\n")
    ws = open_workspace(tmp_path)
    (skill,) = ws.skills()
    manifest = build_manifest(ws, skill, use_cache=False)
    assert [e.rel for e in manifest.entries] == sorted(V5_PATHS, key=str.encode)
    assert manifest.digest == "skilltree-v1:sha256:" + VECTORS["5-byte-order"][1]


paths = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=12,
)
entry_lists = st.dictionaries(
    paths,
    st.tuples(st.integers(0, 2**64 - 1), st.binary(min_size=32, max_size=32).map(bytes.hex)),
    min_size=1,
    max_size=8,
).map(lambda d: [(p, n, h) for p, (n, h) in d.items()])


@settings(max_examples=150, deadline=None)
@given(entry_lists, st.randoms(use_true_random=False))
def test_matches_reference_and_ignores_input_order(
    entries: list[tuple[str, int, str]], rnd: random.Random
) -> None:
    digest = tree_digest(entries)
    assert digest == reference_digest(entries)
    assert is_tree_digest(digest)
    shuffled = list(entries)
    rnd.shuffle(shuffled)
    assert tree_digest(shuffled) == digest


@settings(max_examples=150, deadline=None)
@given(entry_lists, entry_lists)
def test_stream_is_injective(a: list[tuple[str, int, str]], b: list[tuple[str, int, str]]) -> None:
    """Different entry sets give different byte streams (so a digest clash needs a sha256 clash)."""
    if sorted(a) != sorted(b):
        assert reference_stream(a) != reference_stream(b)
        assert tree_digest(a) != tree_digest(b)


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([("SKILL.md", 1, "A" * 64)], "lowercase hex"),
        ([("SKILL.md", 1, "a" * 63)], "lowercase hex"),
        ([("SKILL.md", -1, "a" * 64)], "size"),
        ([("SKILL.md", 2**64, "a" * 64)], "size"),
        ([("SKILL.md", True, "a" * 64)], "size"),
        ([("", 1, "a" * 64)], "non-empty"),
        ([("bad\udc80", 1, "a" * 64)], "Unicode"),
        ([("SKILL.md", 1, "a" * 64), ("SKILL.md", 2, "b" * 64)], "duplicate path 'SKILL.md'"),
    ],
)
def test_invalid_input_is_rejected(entries: list[tuple[str, int, str]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        tree_digest(entries)


def test_accepts_a_generator_of_remote_metadata() -> None:
    files = [{"relative_path": "SKILL.md", "size_bytes": len(SKILL), "sha256": sha(SKILL)}]
    digest = tree_digest((f["relative_path"], f["size_bytes"], f["sha256"]) for f in files)
    assert digest == f"skilltree-v1:sha256:{VECTORS['1-single-skill-md'][1]}"
