"""The validation cache (skillsync.validate_cache): a hit only when nothing a finding depends on
changed, output byte-identical to an uncached run, never an error of its own."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import skillsync.validate as validate_mod
from skillsync import statcache, validate_cache
from skillsync.rules import Finding
from skillsync.validate import check_skills
from skillsync.workspace import open_workspace
from tests.conftest import Cli, in_processes, write_skill

POLICY = """
[[validate.policy]]
id = "no-todo"
severity = "warning"
files = ["**/*.py"]
forbid = ["TODO"]
message = "no TODO in scripts"
"""

LINKS = """# Linker

See [notes](notes/a.md), [the guide](references/guide.md) and [draft](drafts/x.md).
"""


def _settle(root: Path) -> None:
    """Wait until the filesystem clock passes every ctime in the tree, so nothing is racy."""
    newest = max(os.lstat(p).st_ctime_ns for p in [root, *root.rglob("*")])
    while (statcache.fs_now(root.parent) or 0) <= newest:  # (a clock file in root would change it)
        time.sleep(0.002)


def _ws(root: Path, config: str = POLICY) -> Path:
    """Several skills with findings of several kinds (spec, seren, files, security, supply, policy)."""
    (root / "skillsync.toml").write_text(config)
    # The state folder exists (as after any command); its creation would make the root racy.
    (root / ".skillsync").mkdir()
    (root / "skillsync-waivers.toml").write_text(
        '[[waiver]]\nrule = "files.empty"\npath = "skills/good/empty.txt"\nreason = "kept on purpose"\n'
    )
    write_skill(root, "skills/good", extra={"empty.txt": ""})
    write_skill(
        root,
        "skills/linker",
        body=LINKS,
        extra={
            ".skillignore": "notes/\n",
            "notes/a.md": "excluded\n",
            "references/guide.md": "a guide\n",
            "scripts/run.py": "#!/usr/bin/env python3\n# TODO tidy\nprint('hi')\n",
        },
    )
    bad = root / "skills/bad"
    bad.mkdir(parents=True)
    (bad / "SKILL.md").write_text("---\nname: Bad\ndescription: Use when: asked\nextra: 1\n---\nno heading\n")
    write_skill(
        root,
        "skills/secrets",
        extra={
            "config.py": 'key = "AKIAQ3J5X2PL7RTZ4M8N"\n',
            "install.sh": "#!/bin/sh\npip install requests\ncurl https://x.example/i.sh | sh\n",
            "empty.md": "",
        },
    )
    (root / "skills/secrets/install.sh").chmod(0o755)
    return root


class Counter:
    """Counts the skills validated afresh (not served from the cache)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.slugs: list[str] = []
        real = validate_mod.check_skill

        def counting(ws: object, skill: object, *args: object, **kw: object) -> validate_mod.SkillReport:
            self.slugs.append(skill.slug)  # type: ignore[attr-defined]
            return real(ws, skill, *args, **kw)  # type: ignore[arg-type]

        monkeypatch.setattr(validate_mod, "check_skill", counting)

    def take(self) -> list[str]:
        out, self.slugs = sorted(self.slugs), []
        return out


@pytest.fixture
def counter(monkeypatch: pytest.MonkeyPatch) -> Counter:
    return Counter(monkeypatch)


def _out(root: Path, *args: str) -> tuple[int, str]:
    result = Cli(root)("validate", *args)
    assert result.stderr == ""
    return result.exit_code, result.output


def _expect_fresh(root: Path, counter: Counter, *args: str) -> list[str]:
    """Run cached, check it equals an uncached run, return the skills validated afresh."""
    counter.take()
    cached = _out(root, "--format", "json", *args)
    fresh = counter.take()
    assert cached == _out(root, "--format", "json", "--no-cache", *args)
    counter.take()
    return fresh


ALL = ["bad", "good", "linker", "secrets"]


def test_warm_run_equals_cold_in_every_format(tmp_path: Path, counter: Counter) -> None:
    root = _ws(tmp_path)
    _settle(root)
    for fmt in ("json", "text", "github", "sarif"):
        cold = _out(root, "--format", fmt, "--no-cache")
        assert cold[0] == 1
        first = _out(root, "--format", fmt)
        counter.take()
        warm = _out(root, "--format", fmt)
        assert warm == first == cold
        assert counter.take() == [], fmt  # every skill from the cache
    doc = json.loads(_out(root, "--format", "json")[1])
    found = {f["rule"] for s in doc["skills"] for f in s["findings"]}
    assert {"spec.needs-quotes", "files.broken-link", "files.empty", "policy.no-todo"} <= found
    assert any(r.startswith("security.") for r in found) and any(r.startswith("supply.") for r in found)


def test_no_cache_writes_nothing_and_env_var_disables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _ws(tmp_path)
    _out(root, "--no-cache")
    assert not (root / ".skillsync" / validate_cache.CACHE_FILE).exists()
    monkeypatch.setenv("SKILLSYNC_NO_CACHE", "1")
    _out(root)
    assert not (root / ".skillsync" / validate_cache.CACHE_FILE).exists()
    monkeypatch.setenv("SKILLSYNC_NO_CACHE", "0")
    _out(root)
    assert (root / ".skillsync" / validate_cache.CACHE_FILE).is_file()


def _edit(root: Path) -> None:
    (root / "skills/good/SKILL.md").write_text("---\nname: good\ndescription: x\n---\nno heading now\n")


def _same_size_edit(root: Path) -> None:
    p = root / "skills/secrets/config.py"
    data = p.read_bytes()
    st = p.stat()
    p.write_bytes(data.replace(b"AKIA", b"XKIA"))
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))  # same size, same mtime: only ctime moves


def _add(root: Path) -> None:
    (root / "skills/good/scripts").mkdir()
    (root / "skills/good/scripts/new.py").write_text("")


def _remove_link_target(root: Path) -> None:
    (root / "skills/linker/references/guide.md").unlink()


def _rename(root: Path) -> None:
    (root / "skills/linker/references/guide.md").rename(root / "skills/linker/references/Guide.md")


def _ignore_more(root: Path) -> None:
    (root / "skills/linker/.skillignore").write_text("notes/\nreferences/\n")


def _ignore_line_moves(root: Path) -> None:
    # the file list stays the same; the deciding line of the excluded link target moves
    (root / "skills/linker/.skillignore").write_text("# excluded\nnotes/\n")


def _ignore_above(root: Path) -> None:
    (root / ".gitignore").write_text("scripts/\n")
    (root / "skillsync.toml").write_text(POLICY + "\n[selection]\ngitignore = true\n")


def _create_probed(root: Path) -> None:
    # drafts/ does not exist: the link is to a missing file; now it exists but is excluded
    (root / "skills/linker/drafts").mkdir()
    (root / "skills/linker/drafts/x.md").write_text("draft\n")
    (root / "skills/linker/.skillignore").write_text("notes/\ndrafts/\n")


def _create_in_excluded(root: Path) -> None:
    # notes/ is excluded (never walked): a file appears in it, no walked folder changes
    (root / "skills/linker/notes/a.md").unlink()


def _chmod(root: Path) -> None:
    (root / "skills/linker/scripts/run.py").chmod(0o755)


def _severity(root: Path) -> None:
    (root / "skillsync.toml").write_text(POLICY + '\n[validate.rules]\n"files.empty" = "off"\n')


def _targets(root: Path) -> None:
    (root / "skillsync.toml").write_text('[validate]\ntargets = ["agentskills"]\n' + POLICY)


def _policy(root: Path) -> None:
    (root / "skillsync.toml").write_text(POLICY.replace("TODO", "print"))


def _limits(root: Path) -> None:
    (root / "skillsync.toml").write_text(POLICY + "\n[validate.limits]\nmax_files = 2\n")


def _waiver(root: Path) -> None:
    (root / "skillsync-waivers.toml").write_text(
        '[[waiver]]\nrule = "security.*"\npath = "skills/secrets/**"\nreason = "test data"\n'
    )


def _baseline(root: Path) -> None:
    (root / "skillsync-baseline.toml").write_text(
        '[[waiver]]\nrule = "spec.*"\npath = "skills/bad/**"\nreason = "baseline"\n'
    )


def _new_skill(root: Path) -> None:
    write_skill(root, "skills/good/inner")  # nests in good: a discovery verdict on both


def _layout(root: Path) -> None:
    write_skill(root, "skills/deep/er/skill")  # outside every layout


MUTATIONS: dict[str, tuple[Callable[[Path], None], list[str]]] = {
    "edit": (_edit, ["good"]),
    "same-size edit, same mtime": (_same_size_edit, ["secrets"]),
    "add a file": (_add, ["good"]),
    "remove a link target": (_remove_link_target, ["linker"]),
    "rename a file": (_rename, ["linker"]),
    "ignore file excludes more": (_ignore_more, ["linker"]),
    "ignore file line moves": (_ignore_line_moves, ["linker"]),
    "ignore file above the skills": (_ignore_above, ALL),
    "probed path appears": (_create_probed, ["linker"]),
    "file in an excluded folder goes": (_create_in_excluded, ["linker"]),
    "chmod +x": (_chmod, ["linker"]),
    "config: rule severity": (_severity, ALL),
    "config: targets": (_targets, ALL),
    "config: policy": (_policy, ALL),
    "config: limits": (_limits, ALL),
    "waivers file": (_waiver, ALL),
    "baseline file": (_baseline, ALL),
    "a nested skill appears": (_new_skill, ["good", "inner"]),
}


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_a_change_misses_exactly_the_skills_it_touches(tmp_path: Path, counter: Counter, name: str) -> None:
    root = _ws(tmp_path)
    _settle(root)
    before = _out(root, "--format", "json")
    assert _expect_fresh(root, counter) == []
    mutate, touched = MUTATIONS[name]
    mutate(root)
    _settle(root)  # (a change in the same clock tick as the run: test_racy_changes_are_never_served)
    assert _expect_fresh(root, counter) == touched
    assert _out(root, "--format", "json") != before or name == "same-size edit, same mtime"
    _settle(root)
    assert _expect_fresh(root, counter) == []  # and served again once recorded


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_racy_changes_are_never_served(tmp_path: Path, counter: Counter, name: str) -> None:
    root = _ws(tmp_path)
    _settle(root)
    _out(root)
    MUTATIONS[name][0](root)
    for _ in range(3):  # whatever each run could record, every verdict is the uncached one
        assert set(MUTATIONS[name][1]) <= set(_expect_fresh(root, counter)) or _ > 0


def test_skill_outside_the_layouts_and_target_option(tmp_path: Path, counter: Counter) -> None:
    root = _ws(tmp_path)
    _settle(root)
    _out(root)
    _layout(root)
    _settle(root)  # a new folder under skills/ makes every sibling's listing racy for one run
    assert _expect_fresh(root, counter) == ["skill"]
    assert _expect_fresh(root, counter, "--target", "claude-code") == [*ALL, "skill"]
    assert _expect_fresh(root, counter, "--target", "claude-code") == []
    assert _expect_fresh(root, counter) == [*ALL, "skill"]  # one entry per skill: the last run's
    assert counter.take() == []


def test_touch_without_change_is_still_a_hit(tmp_path: Path, counter: Counter) -> None:
    root = _ws(tmp_path)
    _settle(root)
    _out(root)
    for p in root.rglob("*"):
        if p.is_file() and ".skillsync" not in p.parts:
            p.touch()
    _settle(root)
    assert _expect_fresh(root, counter) == []


def test_expired_waiver_is_not_served_past_its_date(tmp_path: Path) -> None:
    cache = validate_cache.ValidationCache(tmp_path / "c.json", root=str(tmp_path))
    f = Finding("files.empty", "a", None, "m", None, "warning", ())
    cache.store("s", "k", [f], ({}, 0), dt.date(2030, 1, 2), fence=2**62)
    assert cache.lookup("s", "k", dt.date(2030, 1, 2)) == [f]
    assert cache.lookup("s", "k", dt.date(2030, 1, 3)) is None
    assert cache.lookup("s", "other", dt.date(2030, 1, 1)) is None


def test_waiver_dates_bound_the_entries(tmp_path: Path) -> None:
    root = _ws(tmp_path)
    soon = dt.date.today() + dt.timedelta(days=3)
    (root / "skillsync-waivers.toml").write_text(
        '[[waiver]]\nrule = "files.empty"\npath = "skills/good/empty.txt"\nreason = "r"\n'
        f"expires = {soon.isoformat()}\n"
        '[[waiver]]\nrule = "files.empty"\npath = "skills/secrets/empty.md"\nreason = "r"\n'
        f"expires = {(soon + dt.timedelta(days=9)).isoformat()}\n"
    )
    _settle(root)
    _out(root)
    doc = json.loads((root / ".skillsync" / validate_cache.CACHE_FILE).read_text())
    assert {e["until"] for e in doc["entries"].values()} == {soon.isoformat()}


@pytest.mark.parametrize(
    "content",
    [b"", b"{not json", b"[]", b'{"format": "other", "version": 1, "entries": {}}',
     b'{"format": "skillsync-validatecache", "version": 0, "entries": {}}',
     b'{"format": "skillsync-validatecache", "version": 1, "root": "/elsewhere", "entries": {}}',
     b'{"format": "skillsync-validatecache", "version": 1, "root": "ROOT", "entries": '
     b'{"skills/good": {"key": 1, "findings": [[1, 2]]}}}'],
)  # fmt: skip
def test_corrupt_foreign_or_old_cache_is_ignored_and_rebuilt(
    tmp_path: Path, counter: Counter, content: bytes
) -> None:
    root = _ws(tmp_path)
    _settle(root)
    _out(root)
    counter.take()
    path = root / ".skillsync" / validate_cache.CACHE_FILE
    path.write_bytes(content.replace(b"ROOT", str(root).encode()))
    result = Cli(root)("validate", "--format", "json")
    assert result.stderr == ""
    assert counter.take() == ALL
    assert (result.exit_code, result.stdout) == _out(root, "--format", "json", "--no-cache")
    assert json.loads(path.read_text())["format"] == "skillsync-validatecache"


def test_tampered_findings_are_not_served(tmp_path: Path) -> None:
    root = _ws(tmp_path)
    _settle(root)
    _out(root)
    path = root / ".skillsync" / validate_cache.CACHE_FILE
    doc = json.loads(path.read_text())
    entry = doc["entries"]["skills/bad"]
    entry["findings"][0][5] = "fatal"  # not a severity
    path.write_text(json.dumps(doc))
    assert _out(root, "--format", "json") == _out(root, "--format", "json", "--no-cache")


def test_unwritable_state_folder_is_no_error(tmp_path: Path, counter: Counter) -> None:
    root = _ws(tmp_path)
    (root / ".skillsync").rmdir()
    (root / ".skillsync").write_text("a file where the state folder goes")
    _settle(root)
    for _ in range(2):
        result = Cli(root)("validate", "--format", "json")
        assert result.stderr == ""
        assert counter.take() == ALL  # nothing could be recorded
        assert (result.exit_code, result.stdout) == _out(root, "--format", "json", "--no-cache")
        counter.take()


def test_plain_folder_caches_outside_it(tmp_path: Path, counter: Counter) -> None:
    root = tmp_path / "clone"
    root.mkdir()
    write_skill(root, "skills/one", extra={"x.py": 'key = "AKIAQ3J5X2PL7RTZ4M8N"\n'})
    write_skill(root, "skills/two")
    _settle(root)
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    _out(root)
    assert _expect_fresh(root, counter) == []
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before  # nothing written in it
    folder = validate_cache.cache_dir(open_workspace(root))
    assert folder is not None
    assert Path(os.environ["XDG_CACHE_HOME"]) in folder.parents
    assert (folder / validate_cache.CACHE_FILE).is_file() and (folder / statcache.CACHE_FILE).is_file()


def test_file_the_hasher_cannot_read_is_judged_uncached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _ws(tmp_path)
    from skillsync import manifest

    def refuse(self: object, path: str, display: str, keep_max: int = 0) -> object:
        if path.endswith("guide.md"):
            raise manifest._read_error(display, PermissionError(13, "Permission denied"))
        return real(self, path, display, keep_max)  # type: ignore[arg-type]

    real = manifest._Hasher.hash_file
    monkeypatch.setattr(manifest._Hasher, "hash_file", refuse)
    assert _out(root, "--format", "json") == _out(root, "--format", "json", "--no-cache")
    doc = json.loads((root / ".skillsync" / validate_cache.CACHE_FILE).read_text())
    assert "skills/linker" not in doc["entries"] and "skills/good" in doc["entries"]


def test_symlinked_file_is_always_rechecked(tmp_path: Path, counter: Counter) -> None:
    root = _ws(tmp_path)
    outside = root / "skills/linker/references/real.md"
    outside.write_text("target\n")
    (root / "skills/linker/references/link.md").symlink_to("real.md")
    _settle(root)
    _out(root)
    assert _expect_fresh(root, counter) == ["linker"]  # a walk that met a symlink is never vouched for


def _hammer(root: str, rounds: int) -> None:
    for _ in range(rounds):
        ws = open_workspace(Path(root))
        check_skills(ws, ws.all_skills(), cache=True)


def test_concurrent_runs_never_corrupt_the_cache(tmp_path: Path) -> None:
    root = _ws(tmp_path)
    in_processes(_hammer, root, 4, 3, "fork")
    doc = json.loads((root / ".skillsync" / validate_cache.CACHE_FILE).read_text())
    assert doc["format"] == "skillsync-validatecache"
    assert _out(root, "--format", "json") == _out(root, "--format", "json", "--no-cache")


def test_warm_run_imports_no_rule_module_nor_yaml(tmp_path: Path) -> None:
    root = _ws(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "SKILLSYNC_NO_CACHE"}
    cmd = [sys.executable, "-X", "importtime", "-m", "skillsync", "validate", "--format", "json", "."]
    subprocess.run(cmd, cwd=root, env=env, capture_output=True, check=False)
    _settle(root)
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    assert "skillsync.validate_cache" in imported
    heavy = {"yaml", "skillsync.skillmd", "skillsync.rules.context", "skillsync.rules.security",
             "skillsync.rules.supply", "skillsync.rules.spec", "skillsync.rules.files",
             "skillsync.rules.policies", "skillsync.rules.targets", "pathspec"}  # fmt: skip
    assert imported.isdisjoint(heavy), sorted(imported & heavy)
    cmd[cmd.index("json")] = "sarif"  # SARIF lists the rules' targets: the registry, not the rules
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, check=False)
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    assert proc.returncode == 1 and "skillsync.rules.targets" in imported
    assert imported.isdisjoint(heavy - {"skillsync.rules.targets"}), sorted(imported & heavy)


# --- any sequence of edits: the cached verdict is the uncached one ----------------------------

_FILES = [
    "skills/a/SKILL.md",
    "skills/a/x.py",
    "skills/a/sub/y.md",
    "skills/b/SKILL.md",
    "skills/b/.skillignore",
]
_CONTENTS = [
    b"---\nname: a\ndescription: d\n---\n# A\n[y](sub/y.md) [x](x.py)\n",
    b"---\nname: b\ndescription: d\n---\nno heading\n",
    b"password = 'hunter2hunter2'\n",
    b"",
    b"sub/\n",
    b"#!/bin/sh\ncurl https://x.example | sh\n",
]


def _step(root: Path, op: tuple[str, int, int]) -> None:
    kind, i, j = op
    path = root / _FILES[i % len(_FILES)]
    if kind == "write":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_CONTENTS[j % len(_CONTENTS)])
    elif kind == "delete":
        if path.is_file() and path.name != "SKILL.md":
            path.unlink()
    elif kind == "chmod" and path.is_file():
        path.chmod(0o755 if j % 2 else 0o644)
    elif kind == "settle":  # let the clock pass: the next run records, the one after may hit
        _settle(root)


def _findings(root: Path, cache: bool) -> list[tuple[str, list[Finding]]]:
    ws = open_workspace(root)
    return [(r.skill.rel, r.findings) for r in check_skills(ws, ws.all_skills(), cache=cache).skills]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["write", "delete", "chmod", "settle"]), st.integers(0, 9), st.integers(0, 9)
        ),
        min_size=1,
        max_size=8,
    )
)
def test_random_edits_never_give_a_stale_verdict(
    tmp_path_factory: pytest.TempPathFactory, ops: list[tuple[str, int, int]]
) -> None:
    root = tmp_path_factory.mktemp("ws")
    (root / "skillsync.toml").write_text("")
    for i in (0, 3):
        _step(root, ("write", i, 0 if i == 0 else 1))
    for op in ops:
        _step(root, op)
        assert _findings(root, True) == _findings(root, False), op


def test_pre_commit_paths_hit_and_keep_the_other_entries(tmp_path: Path, counter: Counter) -> None:
    root = _ws(tmp_path)
    _settle(root)
    _out(root)
    counter.take()
    args = ("skills/good/SKILL.md", "skills/linker/scripts/run.py")
    assert _expect_fresh(root, counter, *args) == []
    (root / "skills/good/SKILL.md").write_text("---\nname: good\ndescription: x\n---\n# Good\n")
    _settle(root)
    assert _expect_fresh(root, counter, *args) == ["good"]
    assert _expect_fresh(root, counter) == []  # the skills not named kept their entries


def test_single_skill_workspace(tmp_path: Path, counter: Counter) -> None:
    (tmp_path / "skillsync.toml").write_text("")
    (tmp_path / ".skillsync").mkdir()
    write_skill(tmp_path, ".", name=tmp_path.name, extra={"notes.md": "see [x](missing.md)\n"})
    _settle(tmp_path)
    _out(tmp_path)
    assert _expect_fresh(tmp_path, counter) == []
    (tmp_path / "notes.md").write_text("")
    _settle(tmp_path)
    assert _expect_fresh(tmp_path, counter) == [tmp_path.name]


def test_first_run_in_a_new_workspace_records(tmp_path: Path, counter: Counter) -> None:
    (tmp_path / "skillsync.toml").write_text("")
    write_skill(tmp_path, "skills/one")
    _settle(tmp_path)
    _out(tmp_path)  # creates .skillsync/, which changes the root every listing depends on
    assert _expect_fresh(tmp_path, counter) == []


def test_write_baseline_then_validate_sees_it(tmp_path: Path, counter: Counter) -> None:
    root = _ws(tmp_path)
    _settle(root)
    _out(root)
    result = Cli(root)("validate", "--write-baseline")
    assert result.exit_code == 0
    _settle(root)
    assert _expect_fresh(root, counter) == ALL  # the baseline file is part of every key
    assert _out(root, "--format", "json")[0] == 0


def test_stat_cache_shared_with_digest(tmp_path: Path, counter: Counter) -> None:
    root = _ws(tmp_path)
    _settle(root)
    assert Cli(root)("digest").exit_code == 0  # primes the stat cache and the listings
    _settle(root)
    assert _expect_fresh(root, counter) == ALL
    _edit(root)
    _settle(root)
    assert Cli(root)("digest").exit_code == 0
    assert _expect_fresh(root, counter) == ["good"]


def test_cache_writes_skip_fsync(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from skillsync import atomic

    calls: list[int] = []
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: calls.append(fd))
    root = _ws(tmp_path)
    _settle(root)
    _out(root)
    assert (root / ".skillsync" / validate_cache.CACHE_FILE).is_file()
    assert (root / ".skillsync" / statcache.CACHE_FILE).is_file()
    assert calls == []  # caches: atomic (rename), not durable; state files still fsync
    atomic.atomic_write_bytes(tmp_path / "state.json", b"{}")
    assert len(calls) == 2  # the file and its folder


def test_git_init_above_the_workspace_is_not_served_stale(tmp_path: Path, counter: Counter) -> None:
    """A repository created above a workspace that had none brings its .gitignore into force,
    though no folder the walk listed changed (review finding): the git top level is in the keys."""
    root = tmp_path / "ws"
    root.mkdir()
    _ws(root)
    _settle(tmp_path)
    _out(root)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("guide.md\n")
    _settle(tmp_path)
    assert "linker" in _expect_fresh(root, counter)
    doc = json.loads(_out(root, "--format", "json")[1])
    linker = next(s for s in doc["skills"] if s["path"].endswith("linker"))
    assert any("guide.md" in f["message"] and f["rule"] == "files.broken-link" for f in linker["findings"])


def test_percent_encoded_absolute_link_and_nul_in_link(tmp_path: Path, counter: Counter) -> None:
    """`%2F...` is as absolute as `/...` (not checked, so nothing outside the skill is probed);
    a `%00` in a link is a broken link, cached or not, never an internal error (review findings)."""
    (tmp_path / "skillsync.toml").write_text("")
    (tmp_path / ".skillsync").mkdir()
    outside = tmp_path / "outside.md"
    body = f"# Links\n\nSee [abs]({str(outside).replace('/', '%2F')}) and [nul](references/a%00b.md).\n"
    write_skill(tmp_path, "skills/links", body=body)
    _settle(tmp_path)
    for _ in range(2):
        assert _expect_fresh(tmp_path, counter) in ([], ["links"])
    doc = json.loads(_out(tmp_path, "--format", "json")[1])
    found = [f for s in doc["skills"] for f in s["findings"] if f["rule"] == "files.broken-link"]
    assert [f["message"] for f in found] == ["link 'references/a%00b.md' points to a missing file"]
    outside.write_text("now here\n")
    _settle(tmp_path)
    assert _expect_fresh(tmp_path, counter) == []


def test_plain_folder_gets_no_cache_when_the_cache_home_is_on_another_device(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plain folder's cache lives under XDG_CACHE_HOME; on another file system its clock may not
    be the folder's, so the racy-edit fence could not be trusted: no cache there (review finding)."""
    folder = tmp_path / "clone"
    write_skill(folder, "skills/demo")
    home = tmp_path / "cache-home"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    ws = open_workspace(folder)
    assert validate_cache.cache_dir(ws) is not None  # same device: a cache under the cache home
    real = validate_cache._device
    monkeypatch.setattr(validate_cache, "_device", lambda p: -1 if home in (p, *p.parents) else real(p))
    assert validate_cache.cache_dir(ws) is None
    assert _out(folder)[0] == 0
    assert not home.exists() and not (folder / ".skillsync").exists()
