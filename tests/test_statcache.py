"""The stat cache never makes a digest wrong: random edits (including same-size edits that restore
the old mtime), corrupt or foreign cache files, racy entries, concurrent writers."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillsync import selection, statcache
from skillsync.errors import LocalError
from skillsync.manifest import build_manifest, build_manifests
from skillsync.selection import select
from skillsync.statcache import CACHE_FILE, StatCache
from skillsync.workspace import Skill, Workspace, open_workspace
from tests.conftest import in_processes, write_skill

NAMES = ["SKILL.md", "a.txt", "sub/b.txt", "sub/deep/c.bin"]

ops = st.lists(
    st.tuples(
        st.sampled_from(["write", "same_size_same_mtime", "replace", "delete", "chmod", "settle"]),
        st.sampled_from(NAMES[1:]),
        st.binary(min_size=0, max_size=40),
    ),
    min_size=1,
    max_size=25,
)


def _check(root: Path) -> None:
    ws = open_workspace(root)
    (skill,) = ws.skills()
    plain = build_manifest(ws, skill, use_cache=False)
    cached = build_manifest(ws, skill)  # last, so the next edit lands as soon as possible after it
    assert cached.entries == plain.entries
    assert cached.digest == plain.digest


@settings(max_examples=40, deadline=None)
@given(ops)
def test_random_edits_never_give_a_wrong_digest(steps: list[tuple[str, str, bytes]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folder = write_skill(root, "skills/demo", extra={"a.txt": "a"})
        _check(root)
        for op, name, data in steps:
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if op == "write":
                path.write_bytes(data)
            elif op == "same_size_same_mtime" and path.exists():
                # Same size, different bytes, mtime forced back: only ctime/racy logic can catch it.
                old = path.stat()
                content = path.read_bytes()
                path.write_bytes(bytes((b + 1) % 256 for b in content))
                os.utime(path, ns=(old.st_atime_ns, old.st_mtime_ns))
            elif op == "replace":
                tmpfile = path.with_name(path.name + ".new")
                tmpfile.write_bytes(data)
                tmpfile.replace(path)
            elif op == "delete" and path.exists():
                path.unlink()
            elif op == "chmod" and path.exists():
                path.chmod(path.stat().st_mode ^ 0o100)
            elif op == "settle":  # let the clock pass, so the next digest records (then reuses) hashes
                _settle(root)
            _check(root)


def _stat_fields(path: Path) -> list[int]:
    s = path.stat()
    return [s.st_size, s.st_mtime_ns, s.st_ctime_ns, s.st_ino, s.st_mode]


def _age(path: Path) -> None:
    """Make a file's mtime old (its ctime becomes now)."""
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))


def _clock_dir(root: Path) -> Path:
    """Where to read the filesystem clock: beside ``root``, never in it (the clock file's create and
    unlink would make ``root`` itself newer than every fence taken in the same tick)."""
    return root.parent / f"{root.name}.clock"


def _settle(root: Path) -> None:
    """Wait until the filesystem clock has moved past every file's ctime, so none is racy."""
    newest = max(p.stat().st_ctime_ns for p in root.rglob("*") if p.is_file())
    while (statcache.fs_now(_clock_dir(root)) or 0) <= newest:
        time.sleep(0.002)


def test_cache_is_used_when_stat_matches(tmp_path: Path) -> None:
    """Proves the warm path really skips reading: a planted wrong hash with a matching stat is used."""
    folder = write_skill(tmp_path, "skills/demo")
    ws = open_workspace(tmp_path)
    (skill,) = ws.skills()
    fake = "f" * 64
    cache = {
        "format": "skillsync-statcache",
        "version": 1,
        "entries": {"skills/demo/SKILL.md": [*_stat_fields(folder / "SKILL.md"), fake]},
    }
    (tmp_path / ".skillsync").mkdir()
    (tmp_path / ".skillsync" / CACHE_FILE).write_text(json.dumps(cache))
    # Cache file written after the file's ctime: the entry is not racy, so it is trusted.
    assert build_manifest(ws, skill).entries[0].sha256 == fake
    assert build_manifest(ws, skill, use_cache=False).entries[0].sha256 != fake


def test_racy_entry_in_cache_is_not_trusted(tmp_path: Path) -> None:
    folder = write_skill(tmp_path, "skills/demo")
    ws = open_workspace(tmp_path)
    (skill,) = ws.skills()
    fields = _stat_fields(folder / "SKILL.md")
    (tmp_path / ".skillsync").mkdir()
    cache_path = tmp_path / ".skillsync" / CACHE_FILE
    cache_path.write_text(
        json.dumps(
            {
                "format": "skillsync-statcache",
                "version": 1,
                "entries": {"skills/demo/SKILL.md": [*fields, "f" * 64]},
            }
        )
    )
    # The cache file claims to be written in the same tick as the file changed: racy, so re-hash.
    os.utime(cache_path, ns=(fields[2], fields[2]))
    assert build_manifest(ws, skill).entries[0].sha256 != "f" * 64


def test_fresh_files_are_not_recorded_until_older_than_the_fence(tmp_path: Path) -> None:
    folder = write_skill(tmp_path, "skills/demo", extra={"old.txt": "old"})
    _age(folder / "old.txt")
    ws = open_workspace(tmp_path)
    (skill,) = ws.skills()
    _settle(tmp_path)
    cache = StatCache(tmp_path / ".skillsync" / CACHE_FILE)
    cache.start()
    assert cache._fence is not None
    fresh = (folder / "SKILL.md").stat()
    # A file whose ctime is at or after the fence must not be recorded.
    os.utime(folder / "SKILL.md", ns=(cache._fence, cache._fence))
    cache.record("skills/demo/SKILL.md", (folder / "SKILL.md").stat(), "a" * 64)
    cache.record("skills/demo/old.txt", (folder / "old.txt").stat(), "b" * 64)
    assert cache.lookup("skills/demo/SKILL.md", (folder / "SKILL.md").stat()) is None
    assert cache.lookup("skills/demo/old.txt", (folder / "old.txt").stat()) == "b" * 64
    assert fresh.st_size == (folder / "SKILL.md").stat().st_size
    assert build_manifest(ws, skill).digest == build_manifest(ws, skill, use_cache=False).digest


def test_corrupt_foreign_or_old_cache_is_rebuilt_silently(tmp_path: Path) -> None:
    write_skill(tmp_path, "skills/demo")
    ws = open_workspace(tmp_path)
    (skill,) = ws.skills()
    expected = build_manifest(ws, skill, use_cache=False).digest
    cache_path = tmp_path / ".skillsync" / CACHE_FILE
    cache_path.parent.mkdir()
    for junk in (
        b"\x00garbage{",
        b"[]",
        b'{"format": "other", "version": 1, "entries": {}}',
        b'{"format": "skillsync-statcache", "version": 0, "entries": {}}',
        b'{"format": "skillsync-statcache", "version": 1, "entries": {"skills/demo/SKILL.md": 5}}',
    ):
        cache_path.write_bytes(junk)
        assert build_manifest(ws, skill).digest == expected
    _settle(tmp_path)
    build_manifest(ws, skill)
    doc = json.loads(cache_path.read_text())
    assert doc["format"] == "skillsync-statcache"
    assert doc["version"] == 1
    assert list(doc["entries"]) == ["skills/demo/SKILL.md"]


def test_deleted_files_are_pruned_and_other_skills_kept(tmp_path: Path) -> None:
    a = write_skill(tmp_path, "skills/alpha", extra={"x.txt": "x"})
    write_skill(tmp_path, "skills/beta")
    _settle(tmp_path)
    ws = open_workspace(tmp_path)
    alpha, beta = ws.skills()
    build_manifests(ws, [alpha, beta])
    (a / "x.txt").unlink()
    build_manifest(ws, alpha)
    doc = json.loads((tmp_path / ".skillsync" / CACHE_FILE).read_text())
    assert sorted(doc["entries"]) == ["skills/alpha/SKILL.md", "skills/beta/SKILL.md"]


def test_unwritable_state_dir_is_not_an_error(tmp_path: Path) -> None:
    write_skill(tmp_path, "skills/demo")
    (tmp_path / ".skillsync").write_text("a file where the state folder should be")
    ws = open_workspace(tmp_path)
    (skill,) = ws.skills()
    assert build_manifest(ws, skill).digest == build_manifest(ws, skill, use_cache=False).digest
    assert statcache.fs_now(tmp_path / ".skillsync") is None


def _hammer(root: str, rounds: int) -> None:
    ws = open_workspace(Path(root))
    for i in range(rounds):
        (Path(root) / "skills/alpha/x.txt").write_text(f"{os.getpid()}-{i}")
        build_manifests(ws, ws.skills())


def test_two_processes_never_corrupt_the_cache(tmp_path: Path) -> None:
    write_skill(tmp_path, "skills/alpha")
    for i in range(20):
        write_skill(tmp_path, f"skills/s{i:02d}", extra={"r.md": str(i)})
    _settle(tmp_path)
    in_processes(_hammer, tmp_path, 15, 2, "spawn")
    doc = json.loads((tmp_path / ".skillsync" / CACHE_FILE).read_text())
    assert doc["version"] == 1
    assert not [p for p in (tmp_path / ".skillsync").iterdir() if p.name != CACHE_FILE]
    ws = open_workspace(tmp_path)
    cached = [m.digest for m in build_manifests(ws, ws.skills())]
    assert cached == [m.digest for m in build_manifests(ws, ws.skills(), use_cache=False)]


def test_malformed_hash_in_cache_is_never_used(tmp_path: Path) -> None:
    folder = write_skill(tmp_path, "skills/demo")
    ws = open_workspace(tmp_path)
    (skill,) = ws.skills()
    expected = build_manifest(ws, skill, use_cache=False).digest
    _settle(tmp_path)
    cache_path = tmp_path / ".skillsync" / CACHE_FILE
    cache_path.parent.mkdir()
    for bad in ("F" * 64, "f" * 63, 12345, None):
        entry = [*_stat_fields(folder / "SKILL.md"), bad]
        doc = {"format": "skillsync-statcache", "version": 1, "entries": {"skills/demo/SKILL.md": entry}}
        cache_path.write_text(json.dumps(doc))
        assert build_manifest(ws, skill).digest == expected


# --- the listing cache: a warm select/digest equals a cold one whatever changed ----------------------

TREE_FILES = ["a.txt", "b.md", "sub/c.txt", "sub/deep/d.bin", "other/e.txt", "build/f.log", ".env", "x.swp"]
TREE_DIRS = ["sub", "sub/deep", "other", "build", "new"]
IGNORE_DIRS = ["", "skills", "skills/demo", "skills/demo/sub", "skills/demo/other"]  # workspace-relative
IGNORE_LINES = ["*.txt", "*.bin", "*.log", "*.md", "sub/", "deep", "!c.txt", "build/", "other", "!*.txt", "*"]

tree_ops = st.one_of(
    st.tuples(st.just("write"), st.sampled_from(TREE_FILES), st.binary(max_size=20), st.booleans()),
    st.tuples(st.just("same_size_same_mtime"), st.sampled_from(TREE_FILES)),
    st.tuples(st.just("delete"), st.sampled_from(TREE_FILES), st.booleans()),
    st.tuples(st.just("rename"), st.sampled_from(TREE_FILES), st.sampled_from(TREE_FILES), st.booleans()),
    st.tuples(st.just("rmtree"), st.sampled_from(TREE_DIRS)),
    st.tuples(st.just("rename_dir"), st.sampled_from(TREE_DIRS), st.sampled_from(TREE_DIRS)),
    st.tuples(
        st.just("ignore"),
        st.sampled_from(IGNORE_DIRS),
        st.sampled_from([".gitignore", ".skillignore"]),
        st.lists(st.sampled_from(IGNORE_LINES), max_size=3),
        st.booleans(),
    ),
    st.tuples(
        st.just("symlink"),
        st.sampled_from(TREE_FILES),
        st.sampled_from(["a.txt", "sub", "build/f.log", "sub/deep", "../x"]),
    ),
)


def _keep_mtime(path: Path, keep: bool) -> tuple[Path, int] | None:
    """Remember a folder's mtime so it can be put back (an edit within one coarse timestamp tick)."""
    return (path, path.stat().st_mtime_ns) if keep and path.is_dir() else None


def _restore(saved: tuple[Path, int] | None) -> None:
    if saved is not None and saved[0].is_dir():
        os.utime(saved[0], ns=(saved[1], saved[1]))


def _same_size_edit(path: Path, data: bytes) -> None:
    """Rewrite ``path`` with ``data`` cut or padded to its old size, then put its mtime back."""
    old = path.stat()
    size = old.st_size
    path.write_bytes((data + b"\n" * size)[:size])
    os.utime(path, ns=(old.st_atime_ns, old.st_mtime_ns))


def _apply(root: Path, folder: Path, op: tuple[object, ...]) -> None:
    kind = op[0]
    if kind == "write":
        _, name, data, keep = op
        path = folder / str(name)
        if path.is_symlink() or path.is_dir():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        saved = _keep_mtime(path.parent, bool(keep))
        path.write_bytes(bytes(data))  # type: ignore[call-overload]
        _restore(saved)
    elif kind == "same_size_same_mtime":
        path = folder / str(op[1])
        if path.is_file() and not path.is_symlink():
            _same_size_edit(path, bytes((b + 1) % 256 for b in path.read_bytes()))
    elif kind == "delete":
        path = folder / str(op[1])
        if path.is_symlink() or path.is_file():
            saved = _keep_mtime(path.parent, bool(op[2]))
            path.unlink()
            _restore(saved)
    elif kind == "rename":
        src, dst = folder / str(op[1]), folder / str(op[2])
        if (src.is_file() or src.is_symlink()) and not dst.is_dir():
            dst.parent.mkdir(parents=True, exist_ok=True)
            saved = [_keep_mtime(src.parent, bool(op[3])), _keep_mtime(dst.parent, bool(op[3]))]
            src.replace(dst)
            for s in saved:
                _restore(s)
    elif kind == "rmtree":
        path = folder / str(op[1])
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.is_symlink():
            path.unlink()
    elif kind == "rename_dir":
        src, dst = folder / str(op[1]), folder / str(op[2])
        if (
            src.is_dir()
            and not src.is_symlink()
            and not dst.exists()
            and not str(op[2]).startswith(f"{op[1]}/")
        ):
            dst.parent.mkdir(parents=True, exist_ok=True)
            src.rename(dst)
    elif kind == "ignore":
        _, where, name, lines, same_size = op
        path = root / str(where) / str(name)
        if not path.parent.is_dir() or path.is_dir():
            return
        text = "".join(f"{line}\n" for line in lines).encode()  # type: ignore[attr-defined]
        if same_size and path.is_file():
            _same_size_edit(path, text)
        else:
            path.write_bytes(text)
    elif kind == "symlink":
        path, target = folder / str(op[1]), str(op[2])
        if path.is_dir() and not path.is_symlink():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink() or path.exists():
            path.unlink()
        rel_target = os.path.relpath(folder / target, path.parent) if target != "../x" else "../../x"
        path.symlink_to(rel_target)


def _settle_all(root: Path) -> None:
    """Wait until the filesystem clock passes every ctime in the tree (folders and ignore files too)."""
    newest = max(os.lstat(p).st_ctime_ns for p in [root, *root.rglob("*")])
    while (statcache.fs_now(_clock_dir(root)) or 0) <= newest:
        time.sleep(0.002)


def _outcome(fn: Callable[[], object]) -> object:
    try:
        return fn()
    except LocalError as exc:
        return ("error", str(exc))


def _cached_select(ws: Workspace, skill: Skill) -> list[tuple[str, Path]]:
    cache = StatCache.load(ws.state_dir)
    cache.start()
    files = select(ws, skill, cache)
    cache.save()
    return [(f.rel, f.path) for f in files]


def _check_tree(root: Path) -> None:
    ws = open_workspace(root)
    (skill,) = ws.skills()
    plain_sel = _outcome(lambda: [(f.rel, f.path) for f in select(ws, skill)])
    plain = _outcome(lambda: build_manifest(ws, skill, use_cache=False).entries)
    assert _outcome(lambda: _cached_select(ws, skill)) == plain_sel
    assert _outcome(lambda: build_manifest(ws, skill).entries) == plain  # last: the next edit lands soon


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(tree_ops, st.booleans()), min_size=1, max_size=20))
def test_random_tree_and_ignore_edits_never_give_a_wrong_listing(
    steps: list[tuple[tuple[object, ...], bool]],
) -> None:
    """Cached select and digest equal uncached ones after any edit: files and folders added, removed
    and renamed (also with the folder's mtime put back), ignore files at and above the skill edited
    (also same size, same mtime), symlinks made and retargeted. ``settle`` lets the next check record
    a listing, which the edit after it must invalidate."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folder = write_skill(root, "skills/demo", extra={"a.txt": "a", "sub/c.txt": "c", "other/e.txt": "e"})
        _settle_all(root)
        _check_tree(root)
        _check_tree(root)  # warm: the listing recorded just before is reused
        for op, settle in steps:
            _apply(root, folder, op)
            if settle:
                _settle_all(root)
            _check_tree(root)


def _listings(root: Path) -> dict[str, object]:
    doc = json.loads((root / ".skillsync" / CACHE_FILE).read_text())
    listings = doc.get("listings", {})
    assert isinstance(listings, dict)
    return listings


def test_warm_digest_skips_the_walk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves the listing is really reused: with folder listing broken, a warm build still works."""
    write_skill(tmp_path, "skills/demo", extra={"sub/a.txt": "a", ".gitignore": "*.log\n", "x.log": "x"})
    _settle_all(tmp_path)
    ws = open_workspace(tmp_path)
    (skill,) = ws.skills()
    plain = build_manifest(ws, skill, use_cache=False)
    assert [e.rel for e in plain.entries] == [".gitignore", "SKILL.md", "sub/a.txt"]
    build_manifest(ws, skill)  # creates .skillsync/, which changes the root folder: racy, not recorded
    _settle_all(tmp_path)
    build_manifest(ws, skill)
    assert list(_listings(tmp_path)) == ["skills/demo"]

    def no_listing(path: str) -> list[os.DirEntry[str]]:
        raise AssertionError(f"listed {path}")

    monkeypatch.setattr(selection, "_scandir", no_listing)
    assert build_manifest(ws, skill).entries == plain.entries


def test_listing_not_recorded_while_a_folder_is_racy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder changed in the same clock tick as the fence may change again unseen: not recorded."""
    folder = write_skill(tmp_path, "skills/demo", extra={"sub/a.txt": "a"})
    _settle_all(tmp_path)
    (folder / "sub" / "tmp").write_text("")
    (folder / "sub" / "tmp").unlink()  # the folder's ctime is now the newest in the tree
    sub_ctime = (folder / "sub").stat().st_ctime_ns
    monkeypatch.setattr(statcache, "fs_now", lambda _folder: sub_ctime)
    ws = open_workspace(tmp_path)
    (skill,) = ws.skills()
    build_manifest(ws, skill)
    doc = json.loads((tmp_path / ".skillsync" / CACHE_FILE).read_text())
    assert sorted(doc["entries"]) == ["skills/demo/SKILL.md", "skills/demo/sub/a.txt"]  # files are older
    assert doc.get("listings", {}) == {}


def test_config_change_invalidates_the_listing(tmp_path: Path) -> None:
    write_skill(tmp_path, "skills/demo", extra={"notes.txt": "n"})
    (tmp_path / "skillsync.toml").write_text('[selection]\nexclude = ["*.md~"]\n')
    _settle_all(tmp_path)
    ws = open_workspace(tmp_path)
    build_manifest(ws, ws.skills()[0])
    _settle_all(tmp_path)
    build_manifest(ws, ws.skills()[0])
    assert _listings(tmp_path)
    (tmp_path / "skillsync.toml").write_text('[selection]\nexclude = ["*.txt"]\n')  # in place: same folder
    ws = open_workspace(tmp_path)
    assert [e.rel for e in build_manifest(ws, ws.skills()[0]).entries] == ["SKILL.md"]


def test_symlink_into_an_unwalked_folder_is_rechecked(tmp_path: Path) -> None:
    """The target of a link can vanish without any listed folder changing: such walks are not reused."""
    folder = write_skill(tmp_path, "skills/demo", extra={".skillignore": "build/\n", "build/out.txt": "o"})
    (folder / "out.txt").symlink_to("build/out.txt")
    _settle_all(tmp_path)
    ws = open_workspace(tmp_path)
    (skill,) = ws.skills()
    assert "out.txt" in [e.rel for e in build_manifest(ws, skill).entries]
    build_manifest(ws, skill)
    (folder / "build" / "out.txt").unlink()
    with pytest.raises(LocalError, match="does not exist"):
        build_manifest(ws, skill)


def test_malformed_listing_is_ignored(tmp_path: Path) -> None:
    write_skill(tmp_path, "skills/demo", extra={"a.txt": "a"})
    ws = open_workspace(tmp_path)
    (skill,) = ws.skills()
    expected = build_manifest(ws, skill, use_cache=False).entries
    _settle_all(tmp_path)
    cache_path = tmp_path / ".skillsync" / CACHE_FILE
    cache_path.parent.mkdir()
    for bad in (5, [], {"config": 1}, {"config": "x", "deps": {"": [1]}, "files": ["nope"]}):
        doc = {"format": "skillsync-statcache", "version": 1, "entries": {}, "listings": {"skills/demo": bad}}
        cache_path.write_text(json.dumps(doc))
        assert build_manifest(ws, skill).entries == expected


def test_fifo_in_place_of_the_cache_is_ignored_not_a_hang(tmp_path: Path) -> None:
    ws = _ws_for_fifo(tmp_path)
    os.mkfifo(ws.state_dir / CACHE_FILE)
    assert len(StatCache.load(ws.state_dir)) == 0  # before the fix this blocked forever
    assert build_manifests(ws, ws.skills())


def _ws_for_fifo(root: Path) -> Workspace:
    write_skill(root, "skills/alpha")
    ws = open_workspace(root)
    ws.state_dir.mkdir(parents=True, exist_ok=True)
    return ws
