"""Shared fixtures. Every test runs with HOME and the XDG folders in a temp dir, so nothing
leaks into (or reads from) the developer's real config, credentials or caches."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from skillsync.cli.main import cli, run


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    monkeypatch.delenv("SEREN_API_KEY", raising=False)
    monkeypatch.delenv("SEREN_API_HOST", raising=False)
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    (home / ".gitconfig").write_text(
        "[user]\n\tname = skillsync tests\n\temail = tests@example.invalid\n[init]\n\tdefaultBranch = main\n"
    )
    yield


def write_skill(root: Path, rel: str, *, name: str | None = None, description: str = "Does a thing.",
                body: str = "# Title\n\nUse it.\n", extra: dict[str, bytes | str] | None = None) -> Path:
    """Create a minimal valid skill folder at ``root/rel`` and return it."""
    folder = root / rel if rel != "." else root
    folder.mkdir(parents=True, exist_ok=True)
    skill_name = name or folder.name
    (folder / "SKILL.md").write_text(f"---\nname: {skill_name}\ndescription: {description}\n---\n{body}")
    for path, content in (extra or {}).items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
    return folder


@pytest.fixture
def make_skill() -> Callable[..., Path]:
    return write_skill


def git(cwd: Path, *args: str) -> str:
    """Run real git in ``cwd`` and return stdout."""
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    return repo


class Cli:
    """Run the real CLI (with its error boundary) in-process, in a given folder."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd

    def __call__(self, *args: str, input: str | None = None) -> Result:
        runner = CliRunner()
        old = Path.cwd()
        os.chdir(self.cwd)
        try:
            # Go through run() so exit codes and error messages are the real ones.
            return runner.invoke(_Entry(), list(args), input=input, catch_exceptions=False)
        finally:
            os.chdir(old)


class _Entry:
    """Adapter letting CliRunner call run(), which returns an exit code instead of raising."""

    name = "skillsync"

    def main(self, args: list[str], prog_name: str | None = None, **extra: object) -> None:
        raise SystemExit(run(args))


@pytest.fixture
def cli_in(tmp_path: Path) -> Callable[[Path], Cli]:
    return Cli


def in_processes(target: Callable[[str, int], None], root: Path, rounds: int, n: int, method: str) -> None:
    """Run ``target(str(root), rounds)`` in ``n`` processes at once (``method``: fork or spawn);
    each must exit 0 (concurrency tests of the caches)."""
    import multiprocessing

    ctx: Any = multiprocessing.get_context(method)
    procs = [ctx.Process(target=target, args=(str(root), rounds)) for _ in range(n)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0


__all__ = ["Cli", "cli", "git", "in_processes", "write_skill"]
