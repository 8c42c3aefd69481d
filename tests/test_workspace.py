"""Workspace discovery, slugs and config errors, on real folders and through the real CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillsync.errors import ConfigError
from skillsync.selection import select
from skillsync.workspace import PRUNED_DIRS, SKILL_FILE, _find_skill_dirs, open_workspace, slug_problem
from tests.conftest import Cli, write_skill


def _slugs(root: Path, start: Path | None = None) -> dict[str, str]:
    ws = open_workspace(start or root)
    return {s.slug: s.rel for s in ws.skills()}


def _monorepo(root: Path) -> None:
    (root / "skillsync.toml").write_text("")
    write_skill(
        root, "acme/pdf-tools", extra={"scripts/run.py": "print(1)\n", "notes.log": "x", ".env": "K=1"}
    )
    write_skill(root, "acme/web", extra={"ref/api.md": "# API\n"})
    write_skill(root, "globex/web")
    (root / ".gitignore").write_text("*.log\n")


def test_seren_monorepo_slugs(tmp_path: Path) -> None:
    _monorepo(tmp_path)
    assert _slugs(tmp_path) == {
        "acme-pdf-tools": "acme/pdf-tools",
        "acme-web": "acme/web",
        "globex-web": "globex/web",
    }


def test_flat_skills_layout(tmp_path: Path) -> None:
    write_skill(tmp_path, "skills/alpha")
    write_skill(tmp_path, "skills/beta-2")
    (tmp_path / "skillsync.toml").write_text("")
    assert _slugs(tmp_path) == {"alpha": "skills/alpha", "beta-2": "skills/beta-2"}


def test_single_skill_folder(tmp_path: Path) -> None:
    root = write_skill(tmp_path, "my-skill")
    ws = open_workspace(root)
    assert [(s.slug, s.rel, s.path) for s in ws.skills()] == [("my-skill", ".", root)]


def test_walks_up_from_a_subfolder(tmp_path: Path) -> None:
    _monorepo(tmp_path)
    deep = tmp_path / "acme" / "pdf-tools" / "scripts"
    ws = open_workspace(deep)
    assert ws.root == tmp_path and ws.config_path == tmp_path / "skillsync.toml"
    assert ws.resolve(str(deep / "run.py")).slug == "acme-pdf-tools"


def test_pyproject_tool_section(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.skillsync.selection]\nexclude = ["*.tmp"]\n'
    )
    write_skill(tmp_path, "skills/alpha", extra={"a.tmp": "x"})
    ws = open_workspace(tmp_path / "skills")
    assert ws.root == tmp_path and ws.config.selection.exclude == ("*.tmp",)
    assert [f.rel for f in select(ws, ws.skills()[0])] == ["SKILL.md"]


def test_pyproject_without_section_is_not_a_workspace(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    sub = tmp_path / "sub"
    sub.mkdir()
    assert open_workspace(sub).root == sub


@pytest.mark.parametrize(
    ("outer", "inner", "toml"),
    [
        ("acme/pdf", "acme/pdf/examples/demo", ""),  # inner matches no default layout: still nested
        ("acme", "acme/pdf", ""),
        (
            "skills/outer",
            "skills/outer/inner",
            '[[workspace.layouts]]\nglob = "skills/*"\n[[workspace.layouts]]\nglob = "skills/*/*"\n',
        ),
    ],
)
def test_nested_skill_is_a_problem_of_that_skill(tmp_path: Path, outer: str, inner: str, toml: str) -> None:
    write_skill(tmp_path, outer)
    write_skill(tmp_path, inner)
    (tmp_path / "skillsync.toml").write_text(toml)
    ws = open_workspace(tmp_path)
    assert [s.rel for s in ws.skills()] == [outer]
    (bad,) = ws.broken
    assert bad.rel == inner and bad.problem is not None and bad.problem.rule == "seren.nested-skill"
    assert f"nested skill: {inner}/SKILL.md is inside skill {outer}/" in bad.problem.message
    res = Cli(tmp_path)("ls")  # the others are listed; the exit code says one was left out
    assert res.exit_code == 4 and f"skipped {inner}: nested skill" in res.stderr
    assert outer in res.stdout


def test_duplicate_slug_names_both_folders(tmp_path: Path) -> None:
    write_skill(tmp_path, "acme/web")
    write_skill(tmp_path, "acme-web")
    write_skill(tmp_path, "fine")
    (tmp_path / "skillsync.toml").write_text("")
    res = Cli(tmp_path)("ls")
    assert res.exit_code == 4
    assert "skipped acme-web: duplicate slug 'acme-web': skill folder acme/web has it too" in res.stderr
    assert "skipped acme/web: duplicate slug 'acme-web': skill folder acme-web has it too" in res.stderr
    assert "fine" in res.stdout


def test_invalid_slug_names_folder_and_fix(tmp_path: Path) -> None:
    write_skill(tmp_path, "skills/My_Skill")
    (tmp_path / "skillsync.toml").write_text("")
    res = Cli(tmp_path)("ls")
    assert res.exit_code == 4
    assert "skills/My_Skill: invalid slug 'My_Skill'" in res.stderr and "workspace.slugs" in res.stderr
    (tmp_path / "skillsync.toml").write_text('[workspace.slugs]\n"skills/My_Skill" = "my-skill"\n')
    assert _slugs(tmp_path) == {"my-skill": "skills/My_Skill"}


def test_long_slug_is_accepted(tmp_path: Path) -> None:
    long = "a" * 40
    write_skill(tmp_path, f"{long}/{long}")
    (tmp_path / "skillsync.toml").write_text("")
    assert list(_slugs(tmp_path)) == [f"{long}-{long}"]


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="abz09-_A ", max_size=8))
def test_slug_rule(slug: str) -> None:
    ok = len(slug) >= 2 and all(p and p.isalnum() and p == p.lower() for p in slug.split("-"))
    ok = ok and all(c in "abz09-" for c in slug)
    assert (slug_problem(slug) is None) == ok


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[selection]\nexculde = []\n", "unknown key 'selection.exculde'"),
        ("[selection]\ngitignore = 'maybe'\n", "invalid value for 'selection.gitignore'"),
        # strict where TOML has the type: a string is not a boolean or an integer
        ("[selection]\ngitignore = 'yes'\n", "'selection.gitignore': expected true or false, got a string"),
        ("[validate]\nbody_max_lines = '500'\n", "body_max_lines': expected an integer, got a string"),
        ("[validate]\nbody_max_lines = 1.5\n", "body_max_lines': expected an integer, got a number"),
        # in TOML's words, not pydantic's (tuple, dictionary)
        ("[selection]\nexclude = '*.log'\n", "'selection.exclude': expected an array"),
        ("[workspace]\nslugs = 3\n", "'workspace.slugs': expected a table, got an integer"),
        ("[remotes.x]\norg = 'a'\n", "'remotes.x.url' is required"),
        ("[selecton]\n", "unknown key 'selecton'"),
        ("[selection\n", "invalid TOML"),
    ],
)
def test_config_errors_name_key_and_file(tmp_path: Path, text: str, needle: str) -> None:
    (tmp_path / "skillsync.toml").write_text(text)
    write_skill(tmp_path, "skills/alpha")
    with pytest.raises(ConfigError, match=r"skillsync\.toml") as err:
        open_workspace(tmp_path)
    assert needle in str(err.value)
    res = Cli(tmp_path)("ls", "--json")
    assert res.exit_code == 4
    assert needle in json.loads(res.stdout)["error"]["message"]


def test_pyproject_config_error_names_the_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.skillsync]\nbogus = 1\n")
    with pytest.raises(ConfigError, match=r"pyproject.toml \[tool.skillsync\]: unknown key 'bogus'"):
        open_workspace(tmp_path)


def test_ls_json_on_monorepo_matches_selection(tmp_path: Path) -> None:
    _monorepo(tmp_path)
    res = Cli(tmp_path / "acme")("ls", "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["format_version"] == "1"
    ws = open_workspace(tmp_path)
    expected = []
    for skill in ws.skills():
        files = select(ws, skill)
        expected.append({
            "slug": skill.slug, "path": skill.rel, "files": len(files),
            "bytes": sum(f.path.stat().st_size for f in files),
        })  # fmt: skip
    assert doc["skills"] == expected
    pdf = next(s for s in doc["skills"] if s["slug"] == "acme-pdf-tools")
    assert pdf["files"] == 2  # SKILL.md and scripts/run.py: notes.log is gitignored, .env denied
    skill_md = tmp_path / "acme" / "pdf-tools" / "SKILL.md"
    assert pdf["bytes"] == skill_md.stat().st_size + len("print(1)\n")


def _os_walk_reference(root: Path) -> list[str]:
    """The discovery walk as os.walk defines it (the behaviour _find_skill_dirs keeps)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = [d for d in dirnames if d not in PRUNED_DIRS]
        if SKILL_FILE in filenames:
            found.append(Path(os.path.relpath(dirpath, root)).as_posix())
    return sorted(found)


def test_discovery_walk_matches_os_walk(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "linked").mkdir(parents=True)
    (outside / "linked" / SKILL_FILE).write_text("x")
    root = tmp_path / "ws"
    for rel in ("a/one", "a/two/deep", "b", "node_modules/pkg", ".git/x", "c/d/e/f"):
        (root / rel).mkdir(parents=True)
        (root / rel / SKILL_FILE).write_text("x")
    (root / "dirnamed" / SKILL_FILE).mkdir(parents=True)  # a folder called SKILL.md: not a skill
    (root / "linkdir").symlink_to(outside / "linked")  # never followed
    (root / "viafile").mkdir()
    (root / "viafile" / SKILL_FILE).symlink_to(outside / "linked" / SKILL_FILE)  # a file link counts
    (root / "dangling").mkdir()
    (root / "dangling" / SKILL_FILE).symlink_to(tmp_path / "missing")  # os.walk lists it as a file
    listings: dict[str, list[os.DirEntry[str]]] = {}
    got = _find_skill_dirs(root, listings)
    assert got == _os_walk_reference(root)
    assert "viafile" in got and "dangling" in got and "linkdir" not in got and "dirnamed" not in got
    assert str(root / "a" / "two") in listings and str(root / "node_modules") not in listings


def test_user_templates_folder_is_not_searched_for_skills(tmp_path: Path) -> None:
    """Templates hold SKILL.md files with placeholders; found as skills they would fail validation
    and be pushed (`templates-<name>`)."""
    (tmp_path / "skillsync.toml").write_text('[templates]\npath = "templates"\n')
    write_skill(tmp_path, "acme/real")
    tpl = tmp_path / "templates" / "mine"
    tpl.mkdir(parents=True)
    (tpl / "SKILL.md").write_text("---\nname: {{ name }}\ndescription: {{ description }}\n---\n")
    (tpl / "template.toml").write_text('description = "mine"\n')
    assert [s.rel for s in open_workspace(tmp_path).skills()] == ["acme/real"]
    cli = Cli(tmp_path)
    r = cli("validate", "--strict")
    assert r.exit_code == 0, r.output
