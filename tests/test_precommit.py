"""The shipped pre-commit hook, run by the real `pre-commit` tool against this checkout.

pre-commit clones this repository at HEAD, so the hook files must be committed. One hook
installation serves both the refused and the accepted commit.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import git, write_skill

CHECKOUT = Path(__file__).resolve().parents[1]


def test_hook_entry_checks_the_skills_of_the_files_it_is_given(tmp_path: Path) -> None:
    """The hook's command run as pre-commit runs it (entry + changed files), without pre-commit."""
    import shlex

    import yaml

    (hook,) = yaml.safe_load((CHECKOUT / ".pre-commit-hooks.yaml").read_text())
    assert hook["pass_filenames"] is True and hook["language"] == "python"
    program, *args = shlex.split(hook["entry"])
    entry = [str(Path(sys.executable).with_name(program)), *args]
    bad = tmp_path / "skills" / "report"
    bad.mkdir(parents=True)
    (bad / "SKILL.md").write_text("---\nname: report\ndescription: Use when: asked\n---\n# Report\n")
    (tmp_path / "README.md").write_text("outside every skill\n")  # ignored, not an error
    refused = subprocess.run(
        [*entry, "README.md", "skills/report/SKILL.md"], cwd=tmp_path, capture_output=True, text=True
    )
    output = refused.stdout + refused.stderr
    assert refused.returncode == 1, output
    assert "spec.needs-quotes" in output and "skills/report/SKILL.md:3" in output


@pytest.mark.slow
def test_bad_commit_refused_good_commit_passes(tmp_path: Path) -> None:
    pre_commit = Path(sys.executable).with_name("pre-commit")
    if not pre_commit.exists():
        found = shutil.which("pre-commit")
        if found is None:
            pytest.skip("pre-commit is not installed")
        pre_commit = Path(found)
    rev = git(CHECKOUT, "rev-parse", "HEAD").strip()
    repo = tmp_path / "skills-repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {CHECKOUT}\n    rev: {rev}\n    hooks:\n      - id: skillsync-validate\n"
    )
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    subprocess.run([str(pre_commit), "install"], cwd=repo, env=env, check=True, capture_output=True)

    bad = repo / "skills" / "report"
    bad.mkdir(parents=True)
    (bad / "SKILL.md").write_text("---\nname: report\ndescription: Use when: asked\n---\n# Report\n")
    (repo / "README.md").write_text("outside every skill\n")
    git(repo, "add", "-A")
    refused = subprocess.run(
        ["git", "commit", "-q", "-m", "bad"], cwd=repo, env=env, capture_output=True, text=True
    )
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "spec.needs-quotes" in output and "skills/report/SKILL.md:3" in output

    write_skill(repo, "skills/report", description="'Use when: asked'", body="# Report\n")
    git(repo, "add", "-A")
    accepted = subprocess.run(
        ["git", "commit", "-q", "-m", "good"], cwd=repo, env=env, capture_output=True, text=True
    )
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert git(repo, "log", "--format=%s").split() == ["good"]


def _pre_commit() -> Path:
    found = Path(sys.executable).with_name("pre-commit")
    if found.exists():
        return found
    which = shutil.which("pre-commit")
    if which is None:
        pytest.skip("pre-commit is not installed")
    return Path(which)


@pytest.mark.slow
def test_init_hook_runs_as_written(tmp_path: Path) -> None:
    """`init --pre-commit` in a subfolder workspace: the config exactly as written, real pre-commit.

    The `repo: local` hook runs the skillsync on PATH, with paths from the git top level; each
    path maps to the workspace whose skillsync.toml is nearest above it.
    """
    pre_commit = _pre_commit()
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    skillsync = Path(sys.executable).with_name("skillsync")
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "PATH": f"{skillsync.parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    ws = repo / "content"
    made = subprocess.run(
        [str(skillsync), "init", "content", "--pre-commit"], cwd=repo, env=env, capture_output=True, text=True
    )
    assert made.returncode == 0, made.stderr
    assert (repo / ".pre-commit-config.yaml").is_file()
    subprocess.run([str(pre_commit), "install"], cwd=repo, env=env, check=True, capture_output=True)

    def commit(message: str, *extra: str) -> subprocess.CompletedProcess[str]:
        git(repo, "add", "-A")
        return subprocess.run(
            ["git", "commit", "-q", *extra, "-m", message], cwd=repo, env=env, capture_output=True, text=True
        )

    bad = ws / "skills" / "report"
    bad.mkdir(parents=True)
    (bad / "SKILL.md").write_text("---\nname: report\ndescription: Use when: asked\n---\n# Report\n")
    refused = commit("bad")
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "spec.needs-quotes" in output and "SKILL.md:3" in output

    write_skill(ws, "skills/report", description="'Use when: asked'", body="# Report\n")
    accepted = commit("good")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr

    # A skill with an error slips in past the hook; a later commit touching no skill checks nothing.
    write_skill(ws, "skills/other", description="Use when: asked", body="# Other\n")
    assert commit("bypass", "--no-verify").returncode == 0
    (repo / "README.md").write_text("outside every skill\n")
    untouched = commit("docs")
    assert untouched.returncode == 0, untouched.stdout + untouched.stderr
    assert git(repo, "log", "--format=%s").split() == ["docs", "bypass", "good"]
