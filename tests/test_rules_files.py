"""files.* rules over real folders (ignore rules from real .gitignore files in a real git repo)."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillsync.rules import files as files_rules
from skillsync.rules.files import _links
from tests.conftest import git, write_skill
from tests.rules_helpers import rules, run


def test_links_to_missing_and_ignored_files(tmp_path: Path) -> None:
    repo = tmp_path
    git(repo, "init", "-q")
    write_skill(
        repo,
        "s1",
        body=(
            "# S\n"
            "Read [the guide](references/guide.md) and [api](references/api.md#x).\n"
            "Run `scripts/run.py`, then see assets/data.csv.\n"
            "[ref]: references/missing.md\n"
            "![logo](assets/logo%20big.png) [site](https://example.com) [top](#s) [up](../other.md)\n"
            "```\n[in fence](nope.md)\n```\n"
        ),
        extra={
            "references/guide.md": "g",
            "references/api.md": "a",
            "scripts/run.py": "#!/usr/bin/env python\n",
            "assets/data.csv": "1,2\n",
            "assets/logo big.png": b"\x89PNG\x00",
            ".gitignore": "*.csv\n",
        },
    )
    os.chmod(repo / "s1/scripts/run.py", 0o755)
    found = [f for f in run(repo) if f.rule == "files.broken-link"]
    got = {(f.line, f.message.split("'")[1]) for f in found}
    assert got == {(7, "assets/data.csv"), (8, "references/missing.md"), (9, "../other.md")}
    ignored = next(f for f in found if "data.csv" in f.message)
    assert "does not ship" in ignored.message and ".gitignore" in ignored.message


def test_encoding_empty_and_exec_bits(tmp_path: Path) -> None:
    write_skill(
        tmp_path,
        "s1",
        extra={
            "notes.txt": "caf\xe9".encode("latin-1"),
            "blob.bin": b"\x00\x01\xff",
            "empty.md": "",
            "scripts/a.sh": "#!/bin/sh\necho hi\n",
            "scripts/b.py": "print(1)\n",
        },
    )
    os.chmod(tmp_path / "s1/scripts/b.py", 0o755)
    got = rules(tmp_path, "files.")
    assert got == {
        ("files.not-utf8", "s1/notes.txt", None),
        ("files.empty", "s1/empty.md", None),
        ("files.exec-bit", "s1/scripts/a.sh", 1),
        ("files.exec-bit", "s1/scripts/b.py", None),
    }
    sev = {f.rule: f.severity for f in run(tmp_path)}
    assert sev["files.exec-bit"] == "info"


def test_skill_md_not_utf8_or_binary(tmp_path: Path) -> None:
    d = tmp_path / "s1"
    d.mkdir()
    (d / "SKILL.md").write_bytes(b"---\nname: s1\ndescription: caf\xe9\n---\n# S\n")
    assert ("files.skill-md-encoding", "s1/SKILL.md", None) in rules(tmp_path)
    (d / "SKILL.md").write_bytes(b"---\nname: s1\x00\n---\n")
    assert ("files.skill-md-encoding", "s1/SKILL.md", None) in rules(tmp_path)


def test_body_budget_from_config(tmp_path: Path) -> None:
    write_skill(tmp_path, "s1", body="# S\n" + "line\n" * 20)
    assert rules(tmp_path, "files.body") == set()
    (tmp_path / "skillsync.toml").write_text("[validate]\nbody_max_lines = 10\n")
    assert rules(tmp_path, "files.body") == {("files.body-too-long", "s1/SKILL.md", 5)}
    (tmp_path / "skillsync.toml").write_text("[validate]\nbody_max_tokens = 10\n")
    assert rules(tmp_path, "files.body") == {("files.body-too-long", "s1/SKILL.md", 5)}


def test_case_collision_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    write_skill(tmp_path, "s1", extra={"Notes.md": "a", "notes.md": "b"})
    if len(list((tmp_path / "s1").iterdir())) < 3:  # case-insensitive file system
        return
    found = [f for f in run(tmp_path) if f.rule == "files.name-collision"]
    assert len(found) == 1 and found[0].path == "s1"


def test_patterns_placeholders_and_prose_are_not_literal_links(tmp_path: Path) -> None:
    """Shapes seen in public collections: globs and brace lists are checked as patterns,
    placeholders and prose are not checked, footnotes are not links."""
    write_skill(
        tmp_path,
        "s1",
        body=(
            "# S\n"
            "All guides: [guides](references/guides/*.md) and `references/rules/rules-*-web.md`.\n"
            "Run `scripts/extract.{sh,ps1}` on your system.\n"
            "Open `references/<topic>.md` or [docs](references/docs/{PackageId}/).\n"
            "Secrets live in the store (assets/vault), never in code.\n"
            "Every script has help: `python scripts/script_name.py --help`.\n"
            "Cited below.[^1]\n\n"
            '[^1]: Mermaid. "Diagramming Tool." https://mermaid.js.org/\n'
            "Missing: [none](references/gone/*.md), `scripts/absent.{sh,bat}`.\n"
        ),
        extra={
            "references/guides/a.md": "a",
            "references/rules/rules-x-web.md": "r",
            "scripts/extract.sh": "#!/bin/sh\n",
            "scripts/extract.ps1": "Write-Output 1\n",
        },
    )
    os.chmod(tmp_path / "s1/scripts/extract.sh", 0o755)
    found = [f for f in run(tmp_path) if f.rule == "files.broken-link"]
    assert {(f.line, f.message) for f in found} == {
        (14, "pattern 'references/gone/*.md' matches no shipped file"),
        (14, "pattern 'scripts/absent.{sh,bat}' matches no shipped file"),
    }


def test_empty_package_markers_are_not_findings(tmp_path: Path) -> None:
    write_skill(tmp_path, "s1", extra={"scripts/__init__.py": "", "assets/.gitkeep": "", "notes.md": ""})
    assert rules(tmp_path, "files.empty") == {("files.empty", "s1/notes.md", None)}


@pytest.mark.parametrize("unit", ["[](", '[a](b "', "`scripts/", " scripts/a.", "[x]: <", "]("])
def test_link_scan_is_linear_on_adversarial_lines(unit: str) -> None:
    """One 1 MB line of repeated link starts: a pattern retried from every start to the end of
    the line takes hours here; the bound only catches that blow-up."""
    body = unit * (1_000_000 // len(unit))
    start = time.process_time()
    list(_links(body, 1))
    assert time.process_time() - start < 30


# Issue 12 (speed): the bare path reference is three patterns that each start with their folder
# name; inline links start at '['. They must find what the single patterns found.
_OLD_BARE = re.compile(r"(?<![\w/.`-])((?:scripts|references|assets)/[\w.\-/]*\w)")
_OLD_INLINE = re.compile(r"!?\[[^\[\]\n]*\]\(\s*([^()\[\]\s]+)(?=[\s)])")
_LINE_PIECES = [
    "scripts/",
    "references/",
    "assets/",
    "a.py",
    "x",
    "/",
    ".",
    "-",
    "`",
    " ",
    "!",
    "[",
    "](",
    ")",
    "_",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_LINE_PIECES), max_size=20).map("".join))
def test_link_patterns_find_what_the_single_patterns_found(line: str) -> None:
    assert [m.span(1) for m in files_rules._BARE_REF.finditer(line)] == [
        m.span(1) for m in _OLD_BARE.finditer(line)
    ]
    assert [m.group(1) for m in files_rules._INLINE_LINK.finditer(line)] == [
        m.group(1) for m in _OLD_INLINE.finditer(line)
    ]
