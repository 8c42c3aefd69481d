"""Manifests over real folders, and the `skillsync digest` command."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from skillsync import manifest as manifest_mod
from skillsync.digest import tree_digest
from skillsync.errors import LocalError
from skillsync.manifest import CHUNK_SIZE, build_manifest, build_manifests
from skillsync.workspace import open_workspace
from tests.conftest import Cli, write_skill


def test_entries_sizes_hashes_and_exec_bit(tmp_path: Path) -> None:
    big = os.urandom(CHUNK_SIZE * 2 + 12345)  # spans several read chunks
    folder = write_skill(
        tmp_path, "skills/demo", extra={"scripts/run.sh": "echo hi\n", "assets/big.bin": big}
    )
    (folder / "scripts/run.sh").chmod(0o755)
    ws = open_workspace(tmp_path)
    (skill,) = ws.skills()
    m = build_manifest(ws, skill, use_cache=False)
    by_rel = m.by_rel()
    assert [e.rel for e in m.entries] == ["SKILL.md", "assets/big.bin", "scripts/run.sh"]
    assert by_rel["assets/big.bin"].sha256 == hashlib.sha256(big).hexdigest()
    assert by_rel["assets/big.bin"].size == len(big)
    assert by_rel["scripts/run.sh"].executable
    assert not by_rel["SKILL.md"].executable
    assert by_rel["SKILL.md"].path == folder / "SKILL.md"
    assert m.files == 3
    assert m.total_bytes == sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    assert m.digest == tree_digest((e.rel, e.size, e.sha256) for e in m.entries)


def test_digest_ignores_times_and_modes_but_not_content(tmp_path: Path) -> None:
    folder = write_skill(tmp_path, "skills/demo", extra={"a.txt": "one\n"})
    ws = open_workspace(tmp_path)
    (skill,) = ws.skills()
    before = build_manifest(ws, skill).digest
    os.utime(folder / "a.txt", ns=(1, 1))
    (folder / "a.txt").chmod(0o700)
    assert build_manifest(ws, skill).digest == before
    (folder / "a.txt").write_text("two\n")
    assert build_manifest(ws, skill).digest != before


def test_cached_and_uncached_agree_across_skills(tmp_path: Path) -> None:
    for name in ("alpha", "beta", "gamma"):
        write_skill(tmp_path, f"skills/{name}", extra={"ref.md": name * 100})
    ws = open_workspace(tmp_path)
    plain = [m.digest for m in build_manifests(ws, ws.skills(), use_cache=False)]
    assert not (tmp_path / ".skillsync").exists()  # use_cache=False writes nothing
    assert [m.digest for m in build_manifests(ws, ws.skills())] == plain
    assert [m.digest for m in build_manifests(ws, ws.skills())] == plain  # warm


def test_unreadable_file_names_the_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write_skill(tmp_path, "skills/demo")
    ws = open_workspace(tmp_path)
    (skill,) = ws.skills()
    ghost = ("gone.md", str(folder / "gone.md"))
    monkeypatch.setattr(manifest_mod, "select_paths", lambda *_args: [ghost])
    for use_cache in (True, False):
        with pytest.raises(LocalError, match=r"skills/demo/gone\.md"):
            build_manifest(ws, skill, use_cache=use_cache)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_permission_denied_names_the_path(tmp_path: Path) -> None:
    folder = write_skill(tmp_path, "skills/demo", extra={"secret.md": "x"})
    (folder / "secret.md").chmod(0)
    ws = open_workspace(tmp_path)
    with pytest.raises(LocalError, match=r"cannot read skills/demo/secret.md"):
        build_manifest(ws, ws.skills()[0], use_cache=False)


def test_fifo_is_refused_not_hung(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write_skill(tmp_path, "skills/demo")
    os.mkfifo(folder / "pipe")
    ws = open_workspace(tmp_path)
    (skill,) = ws.skills()
    monkeypatch.setattr(manifest_mod, "select_paths", lambda *_args: [("pipe", str(folder / "pipe"))])
    for use_cache in (True, False):
        with pytest.raises(LocalError, match="pipe: not a regular file"):
            build_manifest(ws, skill, use_cache=use_cache)


def test_digest_command_json_and_text(tmp_path: Path) -> None:
    write_skill(tmp_path, "skills/alpha")
    write_skill(tmp_path, "skills/beta", extra={"x.txt": "x"})
    cli = Cli(tmp_path)
    result = cli("digest", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["format_version"] == "1"
    assert [s["slug"] for s in doc["skills"]] == ["alpha", "beta"]
    ws = open_workspace(tmp_path)
    for row, m in zip(doc["skills"], build_manifests(ws, ws.skills(), use_cache=False), strict=True):
        assert row == {"slug": m.skill.slug, "digest": m.digest, "files": m.files, "bytes": m.total_bytes}
    one = json.loads(cli("digest", "skills/beta/x.txt", "--json", "--no-cache").output)
    assert [s["slug"] for s in one["skills"]] == ["beta"]
    text = cli("digest", "alpha")
    assert text.exit_code == 0
    assert doc["skills"][0]["digest"] in text.output
    missing = cli("digest", "nope")
    assert missing.exit_code == 2
