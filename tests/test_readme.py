"""The README's quick start is what CI runs: keep them from drifting apart."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _sh_blocks(text: str) -> list[str]:
    return [b.strip() for b in re.findall(r"```sh\n(.*?)```", text, flags=re.S)]


def test_quick_start_has_two_commands_and_ci_runs_the_test_one() -> None:
    blocks = _sh_blocks((ROOT / "README.md").read_text())
    assert len(blocks) >= 2
    main_job, tests = blocks[0], blocks[1]
    assert "\n" not in main_job and "\n" not in tests
    assert "push --publish" in main_job
    assert "pytest" in tests
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert tests in ci, ".ci/run must run the README's test command, verbatim"


def test_ci_runs_the_development_checks_after_the_tests() -> None:
    """Every check of the README's Development section runs in .ci/run, after the test command."""
    readme = (ROOT / "README.md").read_text()
    development = readme[readme.index("## Development") :]
    checks = [c.strip() for c in _sh_blocks(development)[0].splitlines()[-1].split("&&")]
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    tests_at = next(i for i, line in enumerate(ci) if "pytest" in line)
    for check in checks:
        if "pytest" in check:
            assert check in ci[tests_at], check
        else:
            assert check in ci[tests_at + 1 :], f".ci/run does not run {check!r} after the tests"
