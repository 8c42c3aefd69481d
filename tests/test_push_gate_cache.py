"""push's validation gate through the validation cache: served when the key matches, never stale.

Real temp workspaces, the CLI in process, the embedded local registry (as `init` sets up). The
Counter (from the validation cache tests) records every skill `check_skill` runs on: a skill
served from the cache is not in it. Every verdict is compared with one taken with the cache off.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli, write_skill
from tests.test_validate_cache import Counter

BROKEN = "# Title\n\nSee [the notes](missing.md).\n"


@pytest.fixture
def counter(monkeypatch: pytest.MonkeyPatch) -> Counter:
    return Counter(monkeypatch)


def _push(root: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> dict[str, dict[str, Any]]:
    """`push --yes --json`; checks its findings equal those of the same plan with the cache off."""
    with monkeypatch.context() as m:
        m.setenv("SKILLSYNC_NO_CACHE", "1")
        fresh = Cli(root)("push", "--dry-run", "--json", *args)
    result = Cli(root)("push", "--yes", "--json", *args)
    assert result.exit_code in (0, 1), result.output
    items = {i["slug"]: i for i in json.loads(result.stdout)["skills"]}
    planned = {i["slug"]: i["findings"] for i in json.loads(fresh.stdout)["skills"]}
    assert {slug: i["findings"] for slug, i in items.items()} == planned
    return items


def _set_severity(root: Path, severity: str) -> None:
    config = root / "skillsync.toml"
    text = config.read_text().replace('"files.broken-link" = "warning"\n', "")
    line = f'"files.broken-link" = "{severity}"\n'
    config.write_text(text.replace("[validate.rules]\n", "[validate.rules]\n" + line))


def _workspace(root: Path) -> Path:
    assert Cli(root)("init").exit_code == 0
    write_skill(root, "good")
    return write_skill(root, "kit", body=BROKEN)


def test_blocked_skill_stays_blocked_from_the_cache_until_fixed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, counter: Counter
) -> None:
    kit = _workspace(tmp_path)
    first = _push(tmp_path, monkeypatch)
    assert first["kit"]["result"] == "blocked" and "files.broken-link" in first["kit"]["findings"][0]
    assert first["good"]["result"] == "created"
    counter.take()
    second = _push(tmp_path, monkeypatch)
    assert second["kit"]["result"] == "blocked"
    assert second["kit"]["findings"] == first["kit"]["findings"]
    assert counter.take() == ["kit"]  # only the cache-off plan of _push ran the rules
    (kit / "missing.md").write_text("# Notes\n")
    third = _push(tmp_path, monkeypatch)
    assert third["kit"]["result"] == "created" and third["kit"]["findings"] == []


@pytest.mark.parametrize("change", ["severity", "waiver", "ignore file"])
def test_config_waivers_and_ignore_files_change_the_verdict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    kit = _workspace(tmp_path)
    assert _push(tmp_path, monkeypatch)["kit"]["result"] == "blocked"
    assert _push(tmp_path, monkeypatch)["kit"]["result"] == "blocked"  # now stored
    if change == "severity":
        _set_severity(tmp_path, "warning")
    elif change == "waiver":
        (tmp_path / "skillsync-waivers.toml").write_text(
            '[[waiver]]\nrule = "files.broken-link"\npath = "kit/**"\nreason = "written later"\n'
        )
    else:  # the link's target exists but an ignore rule drops it; the finding names that rule
        (kit / "missing.md").write_text("# Notes\n")
        (kit / ".skillignore").write_text("missing.md\n")
        before = _push(tmp_path, monkeypatch)["kit"]
        assert before["result"] == "blocked"
        (kit / ".skillignore").write_text("# drafts\nmissing.md\n")  # same files, another line
        after = _push(tmp_path, monkeypatch)["kit"]
        assert after["result"] == "blocked" and after["findings"] != before["findings"]
        (kit / ".skillignore").write_text("# nothing dropped\n")
    assert _push(tmp_path, monkeypatch)["kit"]["result"] == "created"


def test_a_stricter_config_blocks_what_validate_stored_as_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, counter: Counter
) -> None:
    assert Cli(tmp_path)("init").exit_code == 0
    _set_severity(tmp_path, "warning")
    write_skill(tmp_path, "kit", body=BROKEN)
    assert Cli(tmp_path)("validate").exit_code == 0  # primes the cache with a warning
    _set_severity(tmp_path, "error")
    counter.take()
    assert _push(tmp_path, monkeypatch)["kit"]["result"] == "blocked"
    assert counter.take() == ["kit", "kit"]  # the new config misses: judged afresh


def test_validate_primes_push(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, counter: Counter) -> None:
    _workspace(tmp_path)
    assert Cli(tmp_path)("validate").exit_code == 1
    assert counter.take() == ["good", "kit"]
    result = Cli(tmp_path)("push", "--yes", "--json")
    items = {i["slug"]: i for i in json.loads(result.stdout)["skills"]}
    assert items["kit"]["result"] == "blocked" and items["good"]["result"] == "created"
    assert counter.take() == []  # both verdicts came from validate's entries
    assert Cli(tmp_path)("validate").exit_code == 1
    assert counter.take() == []  # and push kept them


def test_no_cache_env_turns_it_off_for_push(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, counter: Counter
) -> None:
    _workspace(tmp_path)
    monkeypatch.setenv("SKILLSYNC_NO_CACHE", "1")
    for _ in range(2):
        result = Cli(tmp_path)("push", "--yes", "--json")
        assert result.exit_code == 1
        assert counter.take() == ["good", "kit"] if _ == 0 else ["kit"]
    assert not (tmp_path / ".skillsync" / "validatecache.json").exists()


def test_a_config_edited_after_it_was_read_is_not_cached(tmp_path: Path) -> None:
    """A long-running watch holds the config it read; a key hashes the file on disk: no entry may
    pair the two (the gate validates afresh and stores nothing)."""
    from skillsync.manifest import build_manifests
    from skillsync.sync.push_gate import PushGate
    from skillsync.workspace import open_workspace

    kit = _workspace(tmp_path)
    ws = open_workspace(tmp_path)
    skill = next(s for s in ws.all_skills() if s.slug == "kit")
    _set_severity(tmp_path, "off")
    gate = PushGate(ws)
    assert gate.blocking_findings(build_manifests(ws, [skill])[0])  # the config it holds: an error
    gate.save()
    assert not (tmp_path / ".skillsync" / "validatecache.json").exists()
    assert kit.is_dir()


def test_a_file_rewritten_between_hashing_and_validation_is_not_stored(tmp_path: Path) -> None:
    """Rules read the bytes the hasher did not keep from disk, after push's remote call: findings of
    the new bytes must not be stored under the old sha256 (a revert would then be served them)."""
    import time

    from skillsync import statcache
    from skillsync.manifest import build_manifests
    from skillsync.sync.push_gate import PushGate
    from skillsync.workspace import open_workspace

    def settle(after: int) -> None:  # wait for the file system clock to pass ``after``
        while (statcache.fs_now(tmp_path / ".skillsync") or 0) <= after:
            time.sleep(0.002)

    kit = _workspace(tmp_path)
    settle(max(p.lstat().st_ctime_ns for p in [tmp_path, *tmp_path.rglob("*")]))
    ws = open_workspace(tmp_path)
    skill = next(s for s in ws.all_skills() if s.slug == "kit")
    manifest = build_manifests(ws, [skill])[0]  # no kept bytes: SKILL.md is read again to validate
    assert manifest.fence is not None and manifest.contents == {} and manifest.walk is not None
    settle(manifest.fence)
    (kit / "SKILL.md").write_text("---\nname: kit\ndescription: Does a thing.\n---\n# Fixed\n")
    gate = PushGate(ws)
    assert gate.blocking_findings(manifest) == []  # judged on the bytes it read
    gate.save()
    (kit / "SKILL.md").write_text(f"---\nname: kit\ndescription: Does a thing.\n---\n{BROKEN}")
    result = Cli(tmp_path)("push", "--yes", "--json")
    assert {i["slug"]: i["result"] for i in json.loads(result.stdout)["skills"]}["kit"] == "blocked"


@pytest.mark.parametrize(
    "name", ["skill-meta.json", "state.json", "statcache.json", "validatecache.json", "org-cache.json"]
)
def test_a_cache_file_nested_too_deep_is_ignored_not_a_crash(tmp_path: Path, name: str) -> None:
    """Every file in .skillsync/ is a cache or a rebuildable state: JSON nested past the parser's
    recursion limit is damage like any other, never an internal error (review finding)."""
    root = tmp_path
    _workspace(root)
    assert Cli(root)("push", "--yes").exit_code == 1  # kit is blocked; good is pushed
    assert (root / ".skillsync" / name).is_file()
    (root / ".skillsync" / name).write_text("[" * 200_000)
    for args in (["validate"], ["status"], ["push", "--dry-run"], ["push", "--yes"]):
        result = Cli(root)(*args)
        assert result.exit_code in (0, 1), (args, result.output)
