"""Deterministic packs and the safe unpacker, over real files and hand-built hostile archives."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import random
import tarfile
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillsync.bundle import safe_unpack, write_pack
from skillsync.errors import LocalError
from skillsync.manifest import build_manifest
from skillsync.workspace import open_workspace
from tests.conftest import Cli

TREE: dict[str, bytes] = {
    "SKILL.md": b"---\nname: demo\ndescription: Demo.\n---\n# Demo\n",
    "scripts/run.sh": b"#!/bin/sh\necho hi\n",
    "references/caf\u00e9.md": b"coffee\n",
    "a-b/c.md": b"c\n",
    "a/b.md": b"b\n",
    "assets/empty.txt": b"",
    "deep/" + "x" * 90 + "/" + "y" * 90 + ".md": b"long name\n",  # > 100 bytes: GNU long name
}
EXECUTABLE = {"scripts/run.sh"}


def build_tree(root: Path, order: list[str], umask: int, mtime_ns: int) -> Path:
    folder = root / "skills" / "demo"
    old = os.umask(umask)
    try:
        for rel in order:
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(TREE[rel])
            path.chmod((0o777 if rel in EXECUTABLE else 0o666) & ~umask)
            os.utime(path, ns=(mtime_ns, mtime_ns))
    finally:
        os.umask(old)
    return folder


def pack_bytes(root: Path) -> bytes:
    ws = open_workspace(root)
    buf = io.BytesIO()
    write_pack(build_manifest(ws, ws.skills()[0]), buf)
    return buf.getvalue()


def test_same_tree_gives_identical_bytes(tmp_path: Path) -> None:
    order = list(TREE)
    build_tree(tmp_path / "one", order, 0o022, 1_600_000_000_000_000_000)
    build_tree(tmp_path / "two", list(reversed(order)), 0o077, 1_234_000_000_123_456_789)
    first, second = pack_bytes(tmp_path / "one"), pack_bytes(tmp_path / "two")
    assert first == second
    (tmp_path / "two/skills/demo/a/b.md").write_bytes(b"B\n")
    assert pack_bytes(tmp_path / "two") != first


def test_pack_headers_are_normalised(tmp_path: Path) -> None:
    build_tree(tmp_path, list(TREE), 0o002, 1_700_000_000_000_000_000)
    data = pack_bytes(tmp_path)
    # gzip: magic, deflate, no flags (so no file name), mtime 0, XFL 0 (level 6), OS 255.
    assert data[:10] == b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    raw = gzip.decompress(data)
    assert b"PaxHeader" not in raw and b"mtime=" not in raw
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        members = tar.getmembers()
        assert [m.name for m in members] == sorted(TREE, key=lambda r: r.encode())
        for m in members:
            assert m.isreg()
            assert (m.mtime, m.uid, m.gid, m.uname, m.gname) == (0, 0, 0, "", "")
            assert m.mode == (0o755 if m.name in EXECUTABLE else 0o644)
            assert not m.pax_headers
            f = tar.extractfile(m)
            assert f is not None and f.read() == TREE[m.name]


def test_pack_refuses_a_file_changed_since_its_manifest(tmp_path: Path) -> None:
    folder = build_tree(tmp_path, list(TREE), 0o022, 1_700_000_000_000_000_000)
    ws = open_workspace(tmp_path)
    m = build_manifest(ws, ws.skills()[0])
    (folder / "a/b.md").write_bytes(b"X\n")  # same size, different bytes
    with pytest.raises(LocalError, match=r"a/b.md changed while packing"):
        write_pack(m, io.BytesIO())


names = st.text(alphabet="abcXYZ-_.é0", min_size=1, max_size=6).filter(lambda s: s not in (".", ".."))
trees = st.dictionaries(
    st.lists(names, min_size=1, max_size=3).map("/".join), st.binary(max_size=64), min_size=1, max_size=6
).filter(lambda d: not any(a != b and b.startswith(a + "/") for a in d for b in d))


@settings(max_examples=30, deadline=None)
@given(trees, st.randoms(use_true_random=False))
def test_pack_unpack_round_trip(tree: dict[str, bytes], rnd: random.Random) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folder = root / "skills" / "demo"
        order = list(tree)
        rnd.shuffle(order)
        for rel in order:
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_bytes(tree[rel])
        (folder / "SKILL.md").write_text("---\nname: demo\ndescription: d\n---\n")
        ws = open_workspace(root)
        manifest = build_manifest(ws, ws.skills()[0], use_cache=False)
        buf = io.BytesIO()
        write_pack(manifest, buf)
        expected = {e.rel: (e.size, e.sha256) for e in manifest.entries}
        files = safe_unpack(io.BytesIO(buf.getvalue()), root / "out", expected=expected)
        assert files == [e.rel for e in manifest.entries]
        for rel, content in tree.items():
            assert (root / "out" / rel).read_bytes() == content


# ---------------------------------------------------------------- hostile archives


def make_tar(*members: tuple[str, str, bytes | str]) -> bytes:
    """Members as (name, kind, data): kind file|dir|sym|hard|chr|fifo; data is content or link target."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.GNU_FORMAT) as tar:
        for name, kind, data in members:
            info = tarfile.TarInfo(name)
            payload = None
            if kind == "file":
                assert isinstance(data, bytes)
                info.size = len(data)
                payload = io.BytesIO(data)
            elif kind == "dir":
                info.type = tarfile.DIRTYPE
            elif kind in ("sym", "hard"):
                info.type = tarfile.SYMTYPE if kind == "sym" else tarfile.LNKTYPE
                assert isinstance(data, str)
                info.linkname = data
            elif kind == "chr":
                info.type = tarfile.CHRTYPE
            elif kind == "fifo":
                info.type = tarfile.FIFOTYPE
            tar.addfile(info, payload)
    return buf.getvalue()


OK = ("SKILL.md", "file", b"fine\n")


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ([OK, ("/etc/passwd", "file", b"x")], "absolute path"),
        ([OK, ("../evil", "file", b"x")], "'..' segment"),
        ([OK, ("a/../../evil", "file", b"x")], "'..' segment"),
        ([OK, ("a\\..\\evil", "file", b"x")], "backslash"),
        ([OK, ("./SKILL2.md", "file", b"x")], "'.' path segment"),
        ([OK, ("link", "sym", "/etc/passwd")], "symbolic link"),
        ([OK, ("hard", "hard", "SKILL.md")], "hard link"),
        ([OK, ("dev", "chr", "")], "device"),
        ([OK, ("pipe", "fifo", "")], "fifo"),
        ([OK, ("SKILL.md", "file", b"again\n")], "duplicate entry"),
        ([OK, ("a", "file", b"x"), ("a/b", "file", b"y")], "both a file and a folder"),
        ([OK, ("a/b", "file", b"y"), ("a", "file", b"x")], "both a file and a folder"),
    ],
)
def test_hostile_archives_are_refused_and_leave_nothing(
    tmp_path: Path, members: list[tuple[str, str, bytes | str]], message: str
) -> None:
    archive = tmp_path / "evil.tar.gz"
    archive.write_bytes(make_tar(*members))
    area = tmp_path / "area"
    area.mkdir()
    with pytest.raises(LocalError, match=message) as info:
        safe_unpack(archive, area / "dest")
    assert members[-1][0] in str(info.value) or members[-2][0] in str(info.value)
    assert list(area.iterdir()) == []
    assert not (tmp_path / "etc").exists() and not (tmp_path / "evil").exists()


def test_existing_files_need_force_and_refusal_changes_nothing(tmp_path: Path) -> None:
    archive = tmp_path / "a.tar.gz"
    archive.write_bytes(make_tar(OK, ("new/x.md", "file", b"x")))
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "SKILL.md").write_bytes(b"mine\n")
    with pytest.raises(LocalError, match="already exists"):
        safe_unpack(archive, dest)
    assert (dest / "SKILL.md").read_bytes() == b"mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.tar.gz", "dest"]
    assert not (dest / "new").exists()
    assert safe_unpack(archive, dest, force=True) == ["SKILL.md", "new/x.md"]
    assert (dest / "SKILL.md").read_bytes() == b"fine\n"


def test_symlink_inside_dest_is_not_written_through(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "new").symlink_to(outside)
    archive = tmp_path / "a.tar.gz"
    archive.write_bytes(make_tar(OK, ("new/x.md", "file", b"x")))
    with pytest.raises(LocalError, match="symbolic link"):
        safe_unpack(archive, dest, force=True)
    assert list(outside.iterdir()) == []


def test_files_to_remove_may_make_way_for_a_folder_or_a_file(tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    (dest / "tree").mkdir(parents=True)
    (dest / "SKILL.md").write_bytes(b"old\n")
    (dest / "docs").write_bytes(b"a file\n")  # becomes a folder
    (dest / "tree" / "a.md").write_bytes(b"a")  # the folder becomes a file
    (dest / "keep").mkdir()
    (dest / "keep" / ".env").write_bytes(b"ignored")  # not removed: its folder stays
    archive = tmp_path / "a.tar.gz"
    archive.write_bytes(make_tar(OK, ("docs/x.md", "file", b"x"), ("tree", "file", b"t")))
    with pytest.raises(LocalError, match="exists and is not a folder"):  # without remove: refused
        safe_unpack(archive, dest, force=True)
    got = safe_unpack(archive, dest, force=True, remove=["docs", "tree/a.md"])
    assert got == ["SKILL.md", "docs/x.md", "tree"]
    assert (dest / "docs" / "x.md").read_bytes() == b"x" and (dest / "tree").read_bytes() == b"t"
    assert (dest / "keep" / ".env").exists()
    # a folder that still holds a file not listed is not replaced, and nothing is removed
    (dest / "tree").unlink()
    (dest / "tree").mkdir()
    (dest / "tree" / "a.md").write_bytes(b"a")
    (dest / "tree" / "mine.md").write_bytes(b"m")
    with pytest.raises(LocalError, match="exists and is a folder"):
        safe_unpack(archive, dest, force=True, remove=["tree/a.md"])
    assert (dest / "tree" / "a.md").exists()


def _expected(*members: tuple[str, bytes]) -> dict[str, tuple[int, str]]:
    return {name: (len(data), hashlib.sha256(data).hexdigest()) for name, data in members}


@pytest.mark.parametrize(
    ("expected", "message"),
    [
        (_expected(("SKILL.md", b"fine\n"), ("more.md", b"m")), "expected file 'more.md' is missing"),
        (_expected(("SKILL.md", b"FINE\n")), "sha256 does not match"),
        (_expected(("SKILL.md", b"longer\n")), "size 5, expected 7"),
        ({}, "not in the expected file list"),
    ],
)
def test_expected_files_are_verified(
    tmp_path: Path, expected: dict[str, tuple[int, str]], message: str
) -> None:
    with pytest.raises(LocalError, match=message):
        safe_unpack(io.BytesIO(make_tar(OK)), tmp_path / "dest", expected=expected)
    assert not (tmp_path / "dest").exists()
    assert list(tmp_path.iterdir()) == []


def test_strip_components(tmp_path: Path) -> None:
    data = make_tar(("top", "dir", ""), ("top/SKILL.md", "file", b"s"), ("top/sub/x", "file", b"x"))
    assert safe_unpack(io.BytesIO(data), tmp_path / "d", strip_components=1) == ["SKILL.md", "sub/x"]
    assert (tmp_path / "d/sub/x").read_bytes() == b"x"
    with pytest.raises(LocalError, match="above the 1 stripped"):
        safe_unpack(io.BytesIO(make_tar(OK)), tmp_path / "e", strip_components=1)


def test_corrupt_or_truncated_archives(tmp_path: Path) -> None:
    good = make_tar(OK, ("b.md", "file", os.urandom(50_000)))
    for bad, message in (
        (b"not an archive at all", "not a tar"),
        (good[: len(good) // 2], "corrupt or truncated"),
        (good[:3], "not a tar"),  # a gzip header cut short (tarfile's stream reader raised TypeError)
        (good[:3] + b"\x04", "not a tar"),  # FEXTRA flag, then nothing
    ):
        with pytest.raises(LocalError, match=message):
            safe_unpack(io.BytesIO(bad), tmp_path / "dest")
        assert list(tmp_path.iterdir()) == []


def test_pack_and_unpack_commands(tmp_path: Path) -> None:
    build_tree(tmp_path, list(TREE), 0o022, 1_700_000_000_000_000_000)
    cli = Cli(tmp_path)
    result = cli("pack", "demo", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    out = tmp_path / "demo.tar.gz"
    data = out.read_bytes()
    ws = open_workspace(tmp_path)
    assert doc == {
        "format_version": "1",
        "slug": "demo",
        "output": str(out),
        "digest": build_manifest(ws, ws.skills()[0]).digest,
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    assert cli("pack", "skills/demo/SKILL.md", "-o", "again.tgz").exit_code == 0
    assert (tmp_path / "again.tgz").read_bytes() == data
    assert cli("pack", "demo", "-o", "-", "--json").exit_code == 2
    unpacked = cli("unpack", "demo.tar.gz", "restored", "--json")
    assert unpacked.exit_code == 0, unpacked.output
    assert json.loads(unpacked.output)["files"] == sorted(TREE, key=lambda r: r.encode())
    assert (tmp_path / "restored/scripts/run.sh").stat().st_mode & 0o100
    again = cli("unpack", "demo.tar.gz", "restored")
    assert again.exit_code == 4
    assert "already exists" in again.output
    assert cli("unpack", "demo.tar.gz", "restored", "--force").exit_code == 0
    (tmp_path / "evil.tgz").write_bytes(make_tar(OK, ("../x", "file", b"x")))
    evil = cli("unpack", "evil.tgz", "out")
    assert evil.exit_code == 4
    assert "refusing member '../x'" in evil.output


def test_pack_to_stdout(tmp_path: Path) -> None:
    build_tree(tmp_path, list(TREE), 0o022, 1_700_000_000_000_000_000)
    result = Cli(tmp_path)("pack", "demo", "-o", "-")
    assert result.exit_code == 0
    assert result.stdout_bytes == pack_bytes(tmp_path)
