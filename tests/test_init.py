"""skillsync init: generated config equals the defaults; existing files are merged, never clobbered."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from skillsync.config import Config, Section, is_section, load_config_file, toml_fields
from skillsync.selection import select
from skillsync.workspace import open_workspace
from skillsync.workspace_init import (
    COMMENTS,
    EXAMPLES,
    HOOK_ID,
    LOCAL_HOOK,
    merge_gitignore,
    render_config,
)
from tests.conftest import Cli, git, write_skill


def _config_keys(section: Section, prefix: str = "") -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    for name, value, _table in toml_fields(section):
        key = f"{prefix}{name}"
        out.append((key, value))
        if is_section(value):
            out.extend(_config_keys(value, key + "."))
    return out


def test_generated_config_parses_to_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "skillsync.toml"
    path.write_text(render_config())
    assert load_config_file(path) == Config()


def test_every_config_key_is_written_and_commented() -> None:
    text = render_config()
    for key, value in _config_keys(Config()):
        assert key in COMMENTS, f"add a comment for {key} in skillsync.workspace_init.COMMENTS"
        if value is None:
            assert key in EXAMPLES, f"add an example for {key} in skillsync.workspace_init.EXAMPLES"
        leaf = key.rsplit(".", 1)[-1]
        assert f"{leaf} =" in text or f"[{key}]" in text or f"[[{key}]]" in text, key


def test_init_creates_a_workspace(tmp_path: Path) -> None:
    result = Cli(tmp_path)("init", "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert {f["path"]: f["action"] for f in doc["files"]} == {
        "skillsync.toml": "created",
        ".skillignore": "created",
        ".gitignore": "created",
    }
    assert load_config_file(tmp_path / "skillsync.toml") == Config()
    assert ".skillsync/" in (tmp_path / ".gitignore").read_text().splitlines()
    assert all(
        line.startswith("#") or not line for line in (tmp_path / ".skillignore").read_text().splitlines()
    )
    ws = open_workspace(tmp_path)
    assert ws.config_path == tmp_path / "skillsync.toml"
    # The .skillignore never ships, and the commented file changes nothing.
    write_skill(tmp_path, "demo", extra={"notes.log": "x"})
    assert {f.rel for f in select(ws, ws.resolve("demo"))} == {"SKILL.md", "notes.log"}


def test_init_into_a_new_directory_then_new_with_org(tmp_path: Path) -> None:
    assert Cli(tmp_path)("init", "repo").exit_code == 0
    result = Cli(tmp_path / "repo")("new", "acme/tool", "--no-input")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "repo" / "acme" / "tool" / "SKILL.md").is_file()


def test_init_below_a_file_is_a_local_error(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    result = Cli(tmp_path)("init", "afile/sub")
    assert result.exit_code == 4 and "afile" in result.stderr, result.stderr


def test_config_path_that_is_a_folder_is_refused_before_writing(tmp_path: Path) -> None:
    (tmp_path / "skillsync.toml").mkdir()
    result = Cli(tmp_path)("init", "--force")
    assert result.exit_code == 4 and "skillsync.toml" in result.stderr, result.stderr
    assert not (tmp_path / ".gitignore").exists()


def test_existing_config_is_refused_unless_force(tmp_path: Path) -> None:
    (tmp_path / "skillsync.toml").write_text("# mine\n")
    (tmp_path / ".skillignore").write_text("mine/\n")
    result = Cli(tmp_path)("init")
    assert result.exit_code == 4
    assert "already exists" in result.stderr and "--force" in result.stderr
    assert (tmp_path / "skillsync.toml").read_text() == "# mine\n"
    assert not (tmp_path / ".gitignore").exists()  # nothing written before the refusal
    result = Cli(tmp_path)("init", "--force", "--json")
    assert result.exit_code == 0
    actions = {f["path"]: f["action"] for f in json.loads(result.stdout)["files"]}
    assert actions["skillsync.toml"] == "overwritten" and actions[".skillignore"] == "kept"
    assert (tmp_path / ".skillignore").read_text() == "mine/\n"


def test_pyproject_section_is_refused(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.skillsync]\n")
    result = Cli(tmp_path)("init")
    assert result.exit_code == 4 and "[tool.skillsync]" in result.stderr
    assert not (tmp_path / "skillsync.toml").exists()


@pytest.mark.parametrize(
    "before",
    [None, "", "node_modules/", "node_modules/\n", "# x\n.skillsync\n", "/.skillsync/\nbuild/\n"],
)
def test_gitignore_entry_added_once(before: str | None) -> None:
    after = merge_gitignore(before)
    if before is not None and ".skillsync" in before:
        assert after is None
        return
    assert after is not None
    assert after.startswith(before or "")
    assert after.splitlines().count(".skillsync/") == 1
    assert merge_gitignore(after) is None


def test_gitignore_entry_really_ignores_state_in_git(git_repo: Path) -> None:
    assert Cli(git_repo)("init").exit_code == 0
    (git_repo / ".skillsync").mkdir()
    (git_repo / ".skillsync" / "state.json").write_text("{}")
    assert ".skillsync" not in git(git_repo, "status", "--porcelain", "--untracked-files=all")


# --------------------------------------------------------------------------- pre-commit


def _hooks(text: str) -> list[str]:
    data = yaml.safe_load(text)
    return [h["id"] for repo in data["repos"] for h in repo.get("hooks", [])]


def test_pre_commit_created(tmp_path: Path) -> None:
    assert Cli(tmp_path)("init", "--pre-commit").exit_code == 0
    data = yaml.safe_load((tmp_path / ".pre-commit-config.yaml").read_text())
    assert data["repos"] == [{"repo": "local", "hooks": [LOCAL_HOOK]}]
    assert LOCAL_HOOK["entry"] == "skillsync validate" and LOCAL_HOOK["id"] == HOOK_ID


def test_pre_commit_config_goes_to_the_git_top_level(git_repo: Path) -> None:
    """pre-commit reads its config only at the top level; a workspace in a subfolder puts it there."""
    ws = git_repo / "content" / "skills"
    result = Cli(git_repo)("init", "content/skills", "--pre-commit", "--json")
    assert result.exit_code == 0, result.stderr
    actions = {f["path"]: f["action"] for f in json.loads(result.stdout)["files"]}
    assert actions["../../.pre-commit-config.yaml"] == "created"
    assert (git_repo / ".pre-commit-config.yaml").is_file() and not (ws / ".pre-commit-config.yaml").exists()
    assert (ws / "skillsync.toml").is_file()


EXISTING = [
    # comments, another repo, a key after repos (pre-commit.ci style)
    """\
# my hooks
default_stages: [pre-commit]
repos:
- repo: https://github.com/pre-commit/pre-commit-hooks
  rev: v4.6.0
  hooks:
  - id: trailing-whitespace  # keep this comment

# CI settings
ci:
  autofix_prs: false
""",
    # indented list style, no trailing newline
    "repos:\n    -   repo: local\n        hooks:\n        -   id: mine\n            name: mine\n"
    "            entry: true\n            language: system",
    # flow style without comments: rewritten through YAML
    "repos: []\n",
    # no repos key yet
    "# only a comment\nfail_fast: true\n",
]


@pytest.mark.parametrize("before", EXISTING)
def test_pre_commit_merged_without_losing_content(tmp_path: Path, before: str) -> None:
    path = tmp_path / ".pre-commit-config.yaml"
    path.write_text(before)
    old = yaml.safe_load(before)
    assert Cli(tmp_path)("init", "--pre-commit").exit_code == 0
    after = path.read_text()
    new = yaml.safe_load(after)
    assert new["repos"][:-1] == (old.get("repos") or [])
    assert new["repos"][-1] == {"repo": "local", "hooks": [LOCAL_HOOK]}
    assert {k: v for k, v in new.items() if k != "repos"} == {k: v for k, v in old.items() if k != "repos"}
    for line in before.splitlines():
        if "#" in line:
            assert line in after  # comments survive
    # Idempotent: a second run changes nothing.
    result = Cli(tmp_path)("init", "--force", "--pre-commit", "--json")
    actions = {f["path"]: f["action"] for f in json.loads(result.stdout)["files"]}
    assert actions[".pre-commit-config.yaml"] == "unchanged" and actions[".gitignore"] == "unchanged"
    assert path.read_text() == after
    assert _hooks(after).count(HOOK_ID) == 1


@pytest.mark.parametrize(
    "broken",
    [
        "repos: [\n",
        "- just\n- a list\n",
        "repos: {a: 1}\n",
        "repos:\n- repo: local\n  hooks: &a [*a]\n",  # refers to itself
        "repos:\n- " + "[" * 3000 + "]" * 3000 + "\n",  # deeper than the recursion limit
    ],
)
def test_unparsable_pre_commit_config_is_refused_not_clobbered(tmp_path: Path, broken: str) -> None:
    path = tmp_path / ".pre-commit-config.yaml"
    path.write_text(broken)
    result = Cli(tmp_path)("init", "--pre-commit")
    assert result.exit_code == 4
    assert ".pre-commit-config.yaml" in result.stderr and "Traceback" not in result.stderr
    assert path.read_text() == broken
    assert not (tmp_path / "skillsync.toml").exists()


def test_pre_commit_tool_accepts_the_config(tmp_path: Path) -> None:
    pytest.importorskip("pre_commit")
    assert Cli(tmp_path)("init", "--pre-commit").exit_code == 0
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", ".pre-commit-config.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_init_leaves_the_default_remote_unpinned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After `init`, setting SEREN_API_KEY (or logging in) switches the default remote to seren."""
    from skillsync.config import load_config_file
    from skillsync.remote.remotes import default_remote

    assert Cli(tmp_path)("init").exit_code == 0
    config = load_config_file(tmp_path / "skillsync.toml")
    assert default_remote(config, {}) == "local"
    assert default_remote(config, {"SEREN_API_KEY": "k"}) == "seren"


def test_linked_gitignore_and_pre_commit_config_are_updated_through_the_link(tmp_path: Path) -> None:
    """Dotfiles kept elsewhere and linked in must stay links: init edits the file they point to."""
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "gitignore").write_text("node_modules/")
    (shared / "pre-commit.yaml").write_text("repos:\n  - repo: local\n    hooks: []\n")
    root = tmp_path / "ws"
    root.mkdir()
    (root / ".gitignore").symlink_to(shared / "gitignore")
    (root / ".pre-commit-config.yaml").symlink_to(shared / "pre-commit.yaml")
    result = Cli(root)("init", "--pre-commit")
    assert result.exit_code == 0, result.output + result.stderr
    assert (root / ".gitignore").is_symlink() and (root / ".pre-commit-config.yaml").is_symlink()
    assert (shared / "gitignore").read_text().startswith("node_modules/\n")
    assert ".skillsync/" in (shared / "gitignore").read_text().splitlines()
    assert HOOK_ID in (shared / "pre-commit.yaml").read_text()
