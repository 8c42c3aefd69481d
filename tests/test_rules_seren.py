"""seren.* rules: root file, paths, slug, limits, display name."""

from __future__ import annotations

from pathlib import Path

import pytest

from skillsync.rules.seren import display_name, path_problem
from tests.conftest import write_skill
from tests.rules_helpers import rules, run


def test_root_skill_md_excluded_is_reported(tmp_path: Path) -> None:
    write_skill(tmp_path, "s1", extra={".skillignore": "SKILL.md\n", "notes.md": "x"})
    assert ("seren.root-file", "s1/SKILL.md", None) in rules(tmp_path, "seren.")


def test_backslash_in_a_file_name(tmp_path: Path) -> None:
    write_skill(tmp_path, "s1", extra={"a\\b.txt": "x"})
    assert ("seren.path-invalid", "s1/a\\b.txt", None) in rules(tmp_path, "seren.")


# One table for both copies of the path rule: the client's (seren.path-invalid) and the local
# registry's (which keeps its own copy: it shares nothing with the client but the contract).
PATH_CASES = [
    ("a/b.txt", False),
    ("SKILL.md", False),
    ("a b/ü-中.md", False),
    ("", True),
    ("/a", True),
    ("a/../b", True),
    ("a/./b", True),
    ("..", True),
    ("a//b", True),
    ("a\\b", True),
    ("a\x01", True),
    ("a\tb", True),
    ("a\x7f", True),
    ("a\x85b", True),  # C1 (NEL): the two copies disagreed here
    ("a\x9f", True),
    ("a\xa0b", False),  # NBSP is not a control character
    ("./a", True),
    ("a/", True),
]


@pytest.mark.parametrize(("rel", "bad"), PATH_CASES)
def test_path_problem(rel: str, bad: bool) -> None:
    from skillsync.emulator.files import path_problem as registry_path_problem

    assert (path_problem(rel) is not None) == bad
    assert (registry_path_problem(rel) is not None) == bad


def test_limits_from_config(tmp_path: Path) -> None:
    (tmp_path / "skillsync.toml").write_text(
        "[validate.limits]\nmax_file_bytes = 100\nmax_total_bytes = 150\nmax_files = 2\n"
    )
    write_skill(tmp_path, "s1", extra={"big.txt": "x" * 101, "two.txt": "y"})
    assert {r for r, _, _ in rules(tmp_path, "seren.")} == {
        "seren.file-too-large",
        "seren.total-too-large",
        "seren.too-many-files",
    }
    found = [f for f in run(tmp_path) if f.rule == "seren.file-too-large"]
    assert [f.path for f in found] == ["s1/big.txt"]


def test_default_limits_allow_normal_skills(tmp_path: Path) -> None:
    write_skill(tmp_path, "s1", extra={"big.bin": b"\x00" * 1_000_000})
    assert rules(tmp_path, "seren.") == set()


def test_long_slug_is_a_warning_never_an_error(tmp_path: Path) -> None:
    name = "a" * 70
    write_skill(tmp_path, name)
    found = {(f.rule, f.severity) for f in run(tmp_path) if f.rule.startswith("seren.")}
    assert found == {("seren.slug-long", "warning")}


def test_display_name_missing_is_a_warning(tmp_path: Path) -> None:
    write_skill(tmp_path, "s1", body="No heading here.\n```\n# in a fence\n```\n")
    found = [f for f in run(tmp_path) if f.rule == "seren.display-name"]
    assert [(f.severity, f.line) for f in found] == [("warning", 5)]


def test_display_name_helper() -> None:
    assert display_name("text\n# Title here\n# Second\n") == "Title here"
    assert display_name("```\n# no\n```\n## Sub\n") is None
