"""The stat cache never makes a digest wrong: random edits (including same-size edits that restore
the old mtime), corrupt or foreign cache files, racy entries, concurrent writers."""

from __future__ import annotations

import json
import multiprocessing
import os
import tempfile
import time
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from skillsync import statcache
from skillsync.manifest import build_manifest, build_manifests
from skillsync.statcache import CACHE_FILE, StatCache
from skillsync.workspace import open_workspace
from tests.conftest import write_skill

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


def _settle(root: Path) -> None:
    """Wait until the filesystem clock has moved past every file's ctime, so none is racy."""
    newest = max(p.stat().st_ctime_ns for p in root.rglob("*") if p.is_file())
    while (statcache.fs_now(root) or 0) <= newest:
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
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_hammer, args=(str(tmp_path), 15)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
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
