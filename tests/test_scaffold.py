"""skillsync new / templates: every built-in template renders to a skill that validates cleanly."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from skillsync.errors import LocalError
from skillsync.scaffold import (
    NAME_MAX,
    RenderedFile,
    name_problem,
    substitute,
    title_case,
    write_skill,
    yaml_quote,
)
from skillsync.selection import select
from skillsync.template_catalog import builtin_templates_dir, list_templates
from skillsync.workspace import SLUG_RE, open_workspace
from tests.conftest import Cli

BUILTINS = ["api-client", "basic", "node-script", "python-script", "reference-pack"]
UNUSUAL = [
    'Résumé → 日本語 «quotes» "double" and \\backslash: all of it, with emoji 🧪',
    "# starts like a heading: and has a colon",
    "- starts like a list item, then 'single' quotes",
    "key: value looking text, {braces} [brackets] & *stars* | pipes > and % percent @at `tick`",
]
LONG_NAME = ("a" + "-b2" * 30 + "xyz")[:NAME_MAX]


def frontmatter(skill_md: Path) -> tuple[dict[str, object], str]:
    text = skill_md.read_text("utf-8")
    assert text.startswith("---\n")
    head, _, body = text[4:].partition("\n---\n")
    data = yaml.safe_load(head)
    assert isinstance(data, dict)
    return data, body


def first_heading(body: str) -> str | None:
    return next((line[2:].strip() for line in body.splitlines() if line.startswith("# ")), None)


def workspace(tmp_path: Path, *, skills_dir: bool = False) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "skillsync.toml").write_text("")
    if skills_dir:
        (root / "skills").mkdir()
    return root


def leftovers(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.name != "skillsync.toml")


# --------------------------------------------------------------------------- pure functions


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_yaml_quote_round_trips_any_text(text: str) -> None:
    assert yaml.safe_load(f"description: {yaml_quote(text)}\n") == {"description": text}


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"[a-z0-9](-?[a-z0-9]){1,63}", fullmatch=True))
def test_valid_names_pass_and_are_valid_slugs(name: str) -> None:
    assert name_problem(name) is None
    assert SLUG_RE.match(name) and len(name) <= NAME_MAX


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("", "at least 1"),
        ("a" * 65, "at most 64"),
        ("My-Skill", "lowercase"),
        ("my_skill", "'_'"),
        ("café", "'é'"),
        ("-skill", "start or end"),
        ("skill-", "start or end"),
        ("my--skill", "two hyphens"),
        ("x", "at least 2"),
    ],
)
def test_invalid_names_name_the_rule(name: str, rule: str) -> None:
    problem = name_problem(name)
    assert problem is not None and rule in problem


def test_title_case_and_substitute() -> None:
    assert title_case("my-cool-skill2") == "My Cool Skill2"
    values = {"name": "x", "org": ""}
    assert substitute("a {{name}} b {{ org }}c \\{{ name }}", values, "f") == "a x b c {{ name }}"
    with pytest.raises(LocalError, match=r"f:2: unknown template variable 'nope'"):
        substitute("ok\n{{ nope }}", values, "f")


def test_builtin_templates_found_in_checkout() -> None:
    names = [t.name for t in list_templates()]
    assert names == BUILTINS
    assert all(t.description and t.source == "built-in" for t in list_templates())
    assert builtin_templates_dir().name == "templates"


def test_write_skill_leaves_nothing_behind_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "org" / "skill"
    # "a" as a file and as a folder: the second write fails half-way.
    files = [RenderedFile("a", b"x", 0o644), RenderedFile("a/b", b"y", 0o644)]
    with pytest.raises(LocalError, match="cannot create"):
        write_skill(target, files)
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- templates validate


def _validate_clean(root: Path, rel: str) -> None:
    result = Cli(root)("validate", "--strict", "--json", rel)
    assert result.exit_code == 0, result.output + result.stderr
    doc = json.loads(result.stdout)
    assert doc["summary"]["errors"] == doc["summary"]["warnings"] == 0
    assert all(not s["findings"] for s in doc["skills"]), doc


def _check_skill(folder: Path, *, description: str | None, display_name: str) -> None:
    data, body = frontmatter(folder / "SKILL.md")
    assert data["name"] == folder.name
    if description is not None:
        assert data["description"] == description
    assert first_heading(body) == display_name
    ws = open_workspace(folder)
    skill = ws.owner_of(folder)
    assert skill is not None
    shipped = {f.rel for f in select(ws, skill)}
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert shipped == on_disk  # every scaffolded file ships, .env.example included
    for path in folder.rglob("*"):
        if path.is_file():
            assert path.stat().st_size > 0
            executable = bool(path.stat().st_mode & 0o111)
            assert executable == path.read_bytes().startswith(b"#!"), path


@pytest.mark.parametrize("template", BUILTINS)
def test_template_with_defaults_validates_strict(tmp_path: Path, template: str) -> None:
    root = workspace(tmp_path)
    result = Cli(root)("new", "acme/report-kit", "--template", template, "--no-input")
    assert result.exit_code == 0, result.stderr
    folder = root / "acme" / "report-kit"
    _check_skill(folder, description=None, display_name="Report Kit")
    _validate_clean(root, "acme/report-kit")


@pytest.mark.parametrize("template", BUILTINS)
@pytest.mark.parametrize("description", UNUSUAL, ids=["unicode", "hash", "dash", "indicators"])
def test_template_with_unusual_values_validates_strict(
    tmp_path: Path, template: str, description: str
) -> None:
    root = workspace(tmp_path, skills_dir=True)
    result = Cli(root)(
        "new",
        LONG_NAME,
        "-t",
        template,
        "-d",
        description,
        "--var",
        "display_name=Ünïcode Tool: v2 #1",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["skill"]["path"] == f"skills/{LONG_NAME}" and doc["skill"]["slug"] == LONG_NAME
    folder = root / "skills" / LONG_NAME
    _check_skill(folder, description=description, display_name="Ünïcode Tool: v2 #1")
    if template == "node-script":
        assert json.loads((folder / "package.json").read_text("utf-8"))["description"] == description
    _validate_clean(root, f"skills/{LONG_NAME}")


def test_python_script_runs_and_its_smoke_test_passes(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    assert Cli(root)("new", "py-tool", "-t", "python-script", "--no-input").exit_code == 0
    folder = root / "py-tool"
    out = subprocess.run(
        [sys.executable, str(folder / "scripts" / "main.py")], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out)["skill"] == "py-tool"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout


def test_api_client_reads_key_from_environment_only(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    assert (
        Cli(root)("new", "gw", "-t", "api-client", "--var", "publisher=seren-db", "--no-input").exit_code == 0
    )
    folder = root / "gw"
    env_example = (folder / ".env.example").read_text()
    assert "SEREN_API_KEY=\n" in env_example  # a name, never a value
    assert "api.serendb.com/publishers/seren-db" in (folder / "SKILL.md").read_text()
    env = {k: v for k, v in os.environ.items() if k != "SEREN_API_KEY"}
    done = subprocess.run(
        [sys.executable, str(folder / "scripts" / "call.py"), "GET", "/x"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "SEREN_API_KEY is not set" in done.stderr


@pytest.mark.skipif(shutil.which("node") is None, reason="node not installed")
def test_node_script_runs(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    assert Cli(root)("new", "js-tool", "-t", "node-script", "--no-input").exit_code == 0
    folder = root / "js-tool"
    out = subprocess.run(
        ["node", "scripts/index.mjs"], cwd=folder, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout)["skill"] == "js-tool"


# --------------------------------------------------------------------------- placement


def test_layout_rule(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    cli = Cli(root)
    assert cli("new", "plain", "--no-input").exit_code == 0
    assert (root / "plain" / "SKILL.md").is_file()
    assert cli("new", "acme/tool", "--no-input").exit_code == 0
    assert (root / "acme" / "tool" / "SKILL.md").is_file()
    (root / "skills").mkdir()
    result = cli("new", "later", "--no-input", "--json")
    assert json.loads(result.stdout)["skill"]["path"] == "skills/later"
    slugs = {s.slug for s in open_workspace(root).skills()}
    assert slugs == {"plain", "acme-tool", "later"}


def test_new_from_a_subfolder_uses_the_workspace_root(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    sub = root / "docs"
    sub.mkdir()
    assert Cli(sub)("new", "acme/thing", "--no-input").exit_code == 0
    assert (root / "acme" / "thing" / "SKILL.md").is_file()


def test_without_workspace_config_a_plain_name_goes_in_the_current_folder(tmp_path: Path) -> None:
    assert Cli(tmp_path)("new", "solo", "--no-input").exit_code == 0
    assert (tmp_path / "solo" / "SKILL.md").is_file()


# --------------------------------------------------------------------------- user templates


def _user_template(folder: Path, description: str, body: str = "# {{ display_name }}\n\nUse it.\n") -> None:
    folder.mkdir(parents=True)
    (folder / "template.toml").write_text(
        f'description = "{description}"\n[variables.team]\ndefault = "core"\npattern = "[a-z]+"\n'
    )
    (folder / "SKILL.md").write_text(
        "---\nname: {{ name }}\ndescription: {{ description_yaml }}\n---\n" + body + "Team {{ team }}.\n"
    )
    (folder / "notes-{{ team }}.md").write_text("Notes for {{ team }}.\n")


def test_user_templates_override_builtins_and_list_in_json(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    (root / "skillsync.toml").write_text('[templates]\npath = "my-templates"\n')
    _user_template(root / "my-templates" / "basic", "Our own basic")
    _user_template(root / "my-templates" / "extra", "An extra one")
    result = Cli(root)("templates", "--json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["format_version"] == "1"
    rows = {t["name"]: (t["description"], t["source"]) for t in doc["templates"]}
    assert rows["basic"] == ("Our own basic", "user")
    assert rows["extra"] == ("An extra one", "user")
    assert rows["api-client"][1] == "built-in"
    assert set(rows) == {*BUILTINS, "extra"}
    result = Cli(root)("new", "team-skill", "--var", "team=ops", "--no-input")
    assert result.exit_code == 0, result.stderr
    folder = root / "team-skill"
    assert (folder / "notes-ops.md").read_text() == "Notes for ops.\n"
    assert "Team ops." in (folder / "SKILL.md").read_text()
    assert not (folder / "template.toml").exists()


def test_template_given_by_path(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    _user_template(tmp_path / "elsewhere" / "tpl", "By path")
    result = Cli(root)("new", "by-path", "-t", str(tmp_path / "elsewhere" / "tpl"), "--no-input", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["skill"]["template_source"] == "path"


# --------------------------------------------------------------------------- bad input


def _one_line_error(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("skillsync: error: "), stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_unknown_template_lists_available(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    result = Cli(root)("new", "thing", "-t", "nope", "--no-input")
    assert result.exit_code == 1
    line = _one_line_error(result.stderr)
    assert "unknown template 'nope'" in line and all(name in line for name in BUILTINS)
    assert leftovers(root) == []


def test_unknown_variable(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    result = Cli(root)("new", "thing", "--var", "colour=red", "--no-input")
    assert result.exit_code == 1
    line = _one_line_error(result.stderr)
    assert "unknown variable 'colour'" in line and "description" in line
    assert leftovers(root) == []


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (("new", "Bad_Name"), "lowercase", 1),
        (("new", "a/b/c"), "at most one '/'", 2),
        (("new", "ok-name", "--var", "year=20x4"), "pattern", 1),
        (("new", "ok-name", "-t", "api-client", "--var", "publisher=Not A Slug"), "pattern", 1),
        (("new", "ok-name", "-d", "two\nlines"), "one line", 1),
        (("new", "ok-name", "--var", "noequals"), "KEY=VALUE", 2),
        (("new", "ok-name", "--var", "name=x"), "[ORG/]NAME", 2),
    ],
)
def test_invalid_values_are_refused(tmp_path: Path, args: tuple[str, ...], message: str, code: int) -> None:
    """A value that breaks a rule is a finding (exit 1); a malformed argument is usage (exit 2)."""
    root = workspace(tmp_path)
    result = Cli(root)(*args, "--no-input")
    assert result.exit_code == code
    assert message in _one_line_error(result.stderr)
    assert leftovers(root) == []


def test_target_exists_is_refused_and_untouched(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    (root / "taken").mkdir()
    (root / "taken" / "mine.txt").write_text("keep me")
    result = Cli(root)("new", "taken", "--no-input", "--json")
    assert result.exit_code == 4
    assert "already exists" in _one_line_error(result.stderr)
    assert json.loads(result.stdout)["error"]["code"] == 4
    assert leftovers(root) == ["taken", "taken/mine.txt"]


def test_org_outside_a_workspace(tmp_path: Path) -> None:
    result = Cli(tmp_path)("new", "acme/tool", "--no-input")
    assert result.exit_code == 4
    line = _one_line_error(result.stderr)
    assert "not inside a workspace" in line and "skillsync init" in line
    assert list(tmp_path.iterdir()) == []


def test_broken_template_leaves_nothing_behind(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    _user_template(tmp_path / "tpl", "Broken", body="# T\n\nfirst line\n{{ not_a_variable }}\n")
    result = Cli(root)("new", "acme/broken", "-t", str(tmp_path / "tpl"), "--no-input")
    assert result.exit_code == 4
    line = _one_line_error(result.stderr)
    assert "SKILL.md:8: unknown template variable 'not_a_variable'" in line
    assert leftovers(root) == []  # not even the acme/ parent folder


def test_org_folder_that_is_a_file_is_a_local_error(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    (root / "acme").write_text("not a folder")
    result = Cli(root)("new", "acme/tool", "--no-input")
    assert result.exit_code == 4 and "acme" in _one_line_error(result.stderr)
    assert (root / "acme").read_text() == "not a folder"


def test_template_link_leaving_the_template_is_refused(tmp_path: Path) -> None:
    """A shared template must not copy ~/.ssh/id_rsa (or any outside file) into a new skill."""
    root = workspace(tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("do not ship")
    _user_template(tmp_path / "tpl", "Linky")
    (tmp_path / "tpl" / "notes.txt").symlink_to(secret)
    result = Cli(root)("new", "linky", "-t", str(tmp_path / "tpl"), "--no-input")
    assert result.exit_code == 4 and "notes.txt" in _one_line_error(result.stderr)
    assert leftovers(root) == []


def test_duplicate_slug_is_refused(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    assert Cli(root)("new", "acme/tool", "--no-input").exit_code == 0
    result = Cli(root)("new", "acme-tool", "--no-input")
    assert result.exit_code == 4
    assert "already used" in _one_line_error(result.stderr)
    assert not (root / "acme-tool").exists()


def test_prompt_asks_for_description_and_template_variables_and_retries_invalid_answers() -> None:
    from skillsync.scaffold import resolve_values
    from skillsync.template_catalog import Variable, find_template

    asked: list[tuple[str, str | None, str | None]] = []
    answers = {"publisher": ["Bad Slug", "seren-db"], "description": [""]}

    def prompt(var: Variable, default: str | None, error: str | None) -> str:
        asked.append((var.name, default, error))
        queue = answers[var.name]
        return queue.pop(0) if queue else (default or "")

    values = resolve_values(find_template("api-client"), name="gw", org=None, given={}, prompt=prompt)
    assert [a[0] for a in asked] == ["publisher", "publisher", "description", "description"]
    assert asked[1][2] is not None and "pattern" in asked[1][2]  # the retry says why
    assert asked[3][2] == "must not be empty"
    assert values["publisher"] == "seren-db"
    assert values["description"] == asked[3][1] and "seren-db" in values["description"]


@pytest.mark.parametrize(("outer", "spec"), [(".", "inner"), ("acme", "acme/pdf")])
def test_new_inside_an_existing_skill_is_refused(tmp_path: Path, outer: str, spec: str) -> None:
    """A skill inside another skill's folder breaks every later command ('nested skill')."""
    root = workspace(tmp_path)
    outer_dir = root if outer == "." else root / outer
    outer_dir.mkdir(exist_ok=True)
    (outer_dir / "SKILL.md").write_text(
        f"---\nname: {outer_dir.name}\ndescription: The outer skill.\n---\n# Outer\n"
    )
    before = leftovers(root)
    result = Cli(root)("new", spec, "--no-input")
    assert result.exit_code == 4, result.output + result.stderr
    assert "inside the skill" in _one_line_error(result.stderr)
    assert leftovers(root) == before
    assert Cli(root)("ls").exit_code == 0


def test_new_inside_the_user_templates_folder_is_refused(tmp_path: Path) -> None:
    """Discovery never looks into templates.path, so a skill made there would be invisible."""
    root = workspace(tmp_path)
    (root / "skillsync.toml").write_text('[templates]\npath = "tpls"\n')
    _user_template(root / "tpls" / "mine", "Mine")
    before = leftovers(root)
    result = Cli(root)("new", "tpls/thing", "--no-input")
    assert result.exit_code == 4, result.output + result.stderr
    assert "templates.path" in _one_line_error(result.stderr)
    assert leftovers(root) == before


def test_template_folder_links_are_followed_inside_and_refused_outside(tmp_path: Path) -> None:
    """A linked folder used to be dropped without a word (os.walk does not enter links)."""
    root = workspace(tmp_path)
    tpl = tmp_path / "tpl"
    _user_template(tpl, "Linked folder")
    (tpl / "shared").mkdir()
    (tpl / "shared" / "a.md").write_text("A for {{ team }}.\n")
    (tpl / "references").symlink_to("shared", target_is_directory=True)
    result = Cli(root)("new", "linked", "-t", str(tpl), "--no-input")
    assert result.exit_code == 0, result.output + result.stderr
    assert (root / "linked" / "references" / "a.md").read_text() == "A for core.\n"
    assert not (root / "linked" / "references").is_symlink()
    _validate_clean(root, "linked")

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("do not ship")
    (tpl / "references").unlink()
    (tpl / "references").symlink_to(outside, target_is_directory=True)
    result = Cli(root)("new", "leaky", "-t", str(tpl), "--no-input")
    assert result.exit_code == 4 and "references" in _one_line_error(result.stderr)
    assert not (root / "leaky").exists()

    (tpl / "references").unlink()
    (tpl / "shared" / "loop").symlink_to("..", target_is_directory=True)
    result = Cli(root)("new", "loopy", "-t", str(tpl), "--no-input")
    assert result.exit_code == 4 and "loop" in _one_line_error(result.stderr)
    assert not (root / "loopy").exists()


def test_template_files_rendering_to_one_path_are_refused(tmp_path: Path) -> None:
    """`{{ team }}.md` and `core.md` both became core.md: one silently overwrote the other."""
    root = workspace(tmp_path)
    tpl = tmp_path / "tpl"
    _user_template(tpl, "Clash")
    (tpl / "notes-core.md").write_text("hand-written\n")
    result = Cli(root)("new", "clash", "-t", str(tpl), "--no-input")
    assert result.exit_code == 4, result.output + result.stderr
    line = _one_line_error(result.stderr)
    assert "notes-core.md" in line and "notes-{{ team }}.md" in line
    assert not (root / "clash").exists()


@pytest.mark.parametrize(
    ("variable", "rule"),
    [
        ('[variables.team]\ndefault = "Core"\npattern = "[a-z]+"\n', "pattern"),
        ('[variables.team]\ndefault = "ops"\nchoices = ["core"]\n', "one of"),
        ('[variables.description]\ndefault = "two\\nlines"\n', "one line"),
    ],
)
def test_template_default_breaking_its_own_rule_is_a_broken_template(
    tmp_path: Path, variable: str, rule: str
) -> None:
    """No value was given, so 'invalid value' (exit 1) blamed the user; the template is broken (exit 4)."""
    root = workspace(tmp_path)
    tpl = tmp_path / "tpl"
    tpl.mkdir()
    (tpl / "template.toml").write_text(f'description = "Bad default"\n{variable}')
    (tpl / "SKILL.md").write_text("---\nname: {{ name }}\ndescription: {{ description_yaml }}\n---\n# T\n")
    result = Cli(root)("new", "thing", "-t", str(tpl), "--no-input", "--json")
    assert result.exit_code == 4, result.output + result.stderr
    line = _one_line_error(result.stderr)
    assert "template.toml" in line and "default" in line and rule in line
    assert json.loads(result.stdout)["error"]["code"] == 4
    assert leftovers(root) == []


def test_unreadable_user_template_entry_is_a_local_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder in templates.path that cannot be read was an internal error (exit 70)."""
    root = workspace(tmp_path)
    (root / "skillsync.toml").write_text('[templates]\npath = "tpls"\n')
    _user_template(root / "tpls" / "mine", "Mine")
    (root / "tpls" / "locked").mkdir()
    real_is_file = Path.is_file

    def is_file(self: Path) -> bool:
        if self.parent.name == "locked":
            raise PermissionError(13, "Permission denied", str(self))
        return real_is_file(self)

    monkeypatch.setattr(Path, "is_file", is_file)
    result = Cli(root)("templates", "--json")
    assert result.exit_code == 4, result.output + result.stderr
    assert "locked" in _one_line_error(result.stderr)
    assert json.loads(result.stdout)["error"]["code"] == 4


def test_unreadable_template_subfolder_is_an_error_not_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """os.walk passed over a folder it could not list: the skill silently lacked its files."""
    root = workspace(tmp_path)
    tpl = tmp_path / "tpl"
    _user_template(tpl, "Locked part")
    (tpl / "references").mkdir()
    (tpl / "references" / "a.md").write_text("A\n")
    real_scandir = os.scandir

    def scandir(path: object = ".") -> object:
        if str(path).endswith("references"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)  # type: ignore[call-overload]

    monkeypatch.setattr(os, "scandir", scandir)
    result = Cli(root)("new", "locked", "-t", str(tpl), "--no-input")
    assert result.exit_code == 4, result.output + result.stderr
    assert "references" in _one_line_error(result.stderr)
    assert not (root / "locked").exists()


def test_template_file_link_loop_is_a_local_error(tmp_path: Path) -> None:
    """Path.resolve() raised RuntimeError on a link loop: an internal error (exit 70)."""
    root = workspace(tmp_path)
    tpl = tmp_path / "tpl"
    _user_template(tpl, "Loop")
    (tpl / "self.md").symlink_to("self.md")
    result = Cli(root)("new", "loopy", "-t", str(tpl), "--no-input")
    assert result.exit_code == 4, result.output + result.stderr
    assert "self.md" in _one_line_error(result.stderr)
    assert leftovers(root) == []


@pytest.mark.parametrize(
    ("template", "var"),
    [
        ("node-script", "node_version=٢٠"),  # Arabic-Indic digits: \d matched them
        ("python-script", "python_version=3.１２"),  # fullwidth digits
        ("basic", "year=２０２６"),
    ],
)
def test_version_and_year_values_are_ascii_digits(tmp_path: Path, template: str, var: str) -> None:
    """`>=٢٠` in package.json engines is not a version npm understands."""
    root = workspace(tmp_path)
    result = Cli(root)("new", "digits", "-t", template, "--var", var, "--no-input")
    assert result.exit_code == 1, result.output + result.stderr
    assert "pattern" in _one_line_error(result.stderr)
    assert leftovers(root) == []
