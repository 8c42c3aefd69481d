"""One bad skill never stops a run: validate judges it (a finding), other commands skip it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from skillsync import manifest
from skillsync.rules import context
from tests.conftest import Cli, write_skill


def _workspace(root: Path) -> Path:
    (root / "skillsync.toml").write_text("")
    write_skill(root, "skills/good")
    write_skill(root, "skills/My Skill", name="my-skill")  # no valid slug from the folder name
    write_skill(root, "skills/straße")  # a valid spec name, not a Seren slug
    write_skill(root, "skills/good/examples/demo")  # nested
    write_skill(root, "vendor/pack/skills/deep")  # outside every default layout
    write_skill(root, "acme/web")
    write_skill(root, "acme-web")  # the same slug as acme/web
    return root


def _findings(doc: dict[str, object]) -> dict[str, set[str]]:
    skills = doc["skills"]
    assert isinstance(skills, list)
    return {s["path"]: {f["rule"] for f in s["findings"]} for s in skills}


def test_validate_judges_every_skill_md_with_a_finding_for_each_problem(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    res = Cli(root)("validate", "--json")
    assert res.exit_code == 1, res.output
    got = _findings(json.loads(res.stdout))
    assert got["skills/good"] == set()
    assert "seren.slug-invalid" in got["skills/My Skill"]
    assert "spec.name-mismatch" in got["skills/My Skill"]  # spec rules still run
    assert got["skills/straße"] == {"seren.slug-invalid"}
    assert got["skills/good/examples/demo"] == {"seren.nested-skill"}
    assert got["vendor/pack/skills/deep"] == {"seren.layout"}
    assert got["acme/web"] == got["acme-web"] == {"seren.slug-duplicate"}
    layout = next(
        f for s in json.loads(res.stdout)["skills"] for f in s["findings"] if f["rule"] == "seren.layout"
    )
    assert layout["severity"] == "warning" and "workspace.layouts" in layout["hint"]


def test_validate_one_skill_in_a_workspace_with_a_bad_one(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    res = Cli(root)("validate", "skills/good")
    assert res.exit_code == 0, res.output
    deep = Cli(root)("validate", "--json", "vendor")
    assert _findings(json.loads(deep.stdout)) == {"vendor/pack/skills/deep": {"seren.layout"}}


def test_unreadable_and_non_utf8_files_are_findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "skillsync.toml").write_text("")
    write_skill(tmp_path, "skills/good")
    write_skill(tmp_path, "skills/locked", extra={"references/a.md": "a"})
    latin = tmp_path / "skills/latin"
    latin.mkdir()
    (latin / "SKILL.md").write_bytes(b"---\nname: latin\ndescription: caf\xe9\n---\n# L\n")
    real = context._read

    def read(rel: str, path: str) -> context.FileInfo:  # tests run as root: chmod 0 would not stop it
        if path.endswith("a.md"):
            raise PermissionError(13, "Permission denied", path)
        return real(rel, path)

    monkeypatch.setattr(context, "_read", read)
    hash_file = manifest._Hasher.hash_file  # the validation cache hashes files before reading them

    def hashing(self: manifest._Hasher, path: str, display: str, keep_max: int = 0) -> object:
        if path.endswith("a.md"):
            raise manifest._read_error(display, PermissionError(13, "Permission denied", path))
        return hash_file(self, path, display, keep_max)

    monkeypatch.setattr(manifest._Hasher, "hash_file", hashing)
    for extra in ((), ("--no-cache",)):
        res = Cli(tmp_path)("validate", "--json", *extra)
        got = _findings(json.loads(res.stdout))
        assert res.exit_code == 1
        assert got["skills/good"] == set()
        assert got["skills/locked"] == {"files.unreadable"}
        assert "files.skill-md-encoding" in got["skills/latin"]


@pytest.mark.parametrize("command", [["status"], ["digest"], ["push", "--yes"], ["ls"]])
def test_other_commands_skip_a_bad_skill_and_go_on(tmp_path: Path, command: list[str]) -> None:
    root = _workspace(tmp_path)
    res = Cli(root)(*command, "--json")
    assert res.exit_code == 4, res.output
    skipped = [line for line in res.stderr.splitlines() if "skipped" in line]
    assert len(skipped) == 5  # My Skill, straße, the nested demo, both duplicates; not vendor/...
    assert all(line.startswith("skillsync: error: skipped ") for line in skipped)
    assert "good" in res.stdout  # the good skill was handled
    doc = json.loads(res.stdout)
    assert {s["rule"] for s in doc["skipped"]} == {
        "seren.slug-invalid",
        "seren.nested-skill",
        "seren.slug-duplicate",
    }


def test_a_bad_skill_named_on_the_command_line_is_an_error_for_it_alone(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    res = Cli(root)("digest", "--json", "skills/good", "skills/straße")
    assert res.exit_code == 4
    assert "skipped skills/straße: invalid slug 'straße'" in res.stderr
    assert json.loads(res.stdout)["skills"][0]["slug"] == "good"


def test_ignored_folders_are_not_judged(tmp_path: Path) -> None:
    """Ignore rules still apply to skills found at any depth: a build output is not a skill."""
    (tmp_path / "skillsync.toml").write_text("")
    (tmp_path / ".gitignore").write_text("dist/\n")
    write_skill(tmp_path, "skills/good")
    write_skill(tmp_path, "dist/pkg/skills/good")
    write_skill(tmp_path, "node_modules/x/skills/y")
    write_skill(tmp_path, "vendor/a/b")
    res = Cli(tmp_path)("validate", "--json")
    assert set(_findings(json.loads(res.stdout))) == {"skills/good", "vendor/a/b"}
