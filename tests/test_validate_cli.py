"""`skillsync validate`, `fix` and `rules` through the real CLI: formats, exit codes, PATH mapping."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillsync import fix as fixmod
from skillsync import skillmd
from skillsync.rules import RULES, markdown
from tests.conftest import Cli, write_skill

BAD_MD = "---\nname: bad\ndescription: Use when: asked\n---\n# Bad\n"


def _ws(tmp_path: Path) -> Path:
    (tmp_path / "skillsync.toml").write_text("")
    write_skill(tmp_path, "skills/good")
    bad = tmp_path / "skills/bad"
    bad.mkdir(parents=True)
    (bad / "SKILL.md").write_text(BAD_MD)
    (tmp_path / "README.md").write_text("not a skill\n")
    return tmp_path


def test_json_shape_and_exit_code(tmp_path: Path) -> None:
    result = Cli(_ws(tmp_path))("validate", "--json")
    assert result.exit_code == 1
    doc = json.loads(result.output)
    assert list(doc) == ["format_version", "skills", "summary"] and doc["format_version"] == "1"
    assert [(s["slug"], s["path"]) for s in doc["skills"]] == [("bad", "skills/bad"), ("good", "skills/good")]
    assert doc["skills"][0]["findings"] == [
        {
            "rule": "spec.needs-quotes",
            "severity": "error",
            "path": "skills/bad/SKILL.md",
            "line": 3,
            "message": doc["skills"][0]["findings"][0]["message"],
            "hint": doc["skills"][0]["findings"][0]["hint"],
            "targets": ["agentskills"],
        }
    ]
    assert doc["summary"] == {"skills": 2, "errors": 1, "warnings": 0, "infos": 0}
    assert Cli(tmp_path)("validate", "--format", "json").output == result.output
    assert Cli(tmp_path)("validate", "--json", "--format", "json").output == result.output


def test_json_and_another_format_is_a_usage_error(tmp_path: Path) -> None:
    write_skill(tmp_path, "skills/good")
    for other in ("text", "github", "sarif"):
        result = Cli(tmp_path)("validate", "--json", "--format", other)
        assert result.exit_code == 2, result.output
        doc = json.loads(result.stdout)
        assert doc["error"]["code"] == 2 and f"--format {other}" in doc["error"]["message"]


def test_good_workspace_exits_0_and_strict_fails_on_warnings(tmp_path: Path) -> None:
    write_skill(tmp_path, "s1")
    assert Cli(tmp_path)("validate").exit_code == 0
    write_skill(tmp_path, "s2", body="no heading\n")
    assert Cli(tmp_path)("validate").exit_code == 0
    result = Cli(tmp_path)("validate", "--strict")
    assert result.exit_code == 1 and "seren.display-name" in result.output


def test_text_is_grouped_by_skill_without_colour_when_piped(tmp_path: Path) -> None:
    out = Cli(_ws(tmp_path))("validate").output
    assert "bad (skills/bad):\n  skills/bad/SKILL.md:3: error:" in out
    assert "good (skills/good): ok" in out and "\x1b[" not in out
    assert out.rstrip().endswith("2 skills checked: 1 error, 0 warnings, 0 info")


def test_github_annotations(tmp_path: Path) -> None:
    out = Cli(_ws(tmp_path))("validate", "--format", "github").output.strip().splitlines()
    assert len(out) == 1
    assert out[0].startswith("::error file=skills/bad/SKILL.md,line=3,title=spec.needs-quotes::")


def test_sarif_structure(tmp_path: Path) -> None:
    result = Cli(_ws(tmp_path))("validate", "--format", "sarif")
    assert result.exit_code == 1
    log = json.loads(result.output)
    assert log["version"] == "2.1.0" and "sarif-2.1.0" in log["$schema"]
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "skillsync" and [r["id"] for r in driver["rules"]] == list(RULES)
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["defaultConfiguration"]["level"] in (
            "error",
            "warning",
            "note",
        )
    (res,) = run["results"]
    assert res["ruleId"] == "spec.needs-quotes" and driver["rules"][res["ruleIndex"]]["id"] == res["ruleId"]
    assert res["level"] == "error" and res["message"]["text"]
    loc = res["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "skills/bad/SKILL.md" and loc["region"]["startLine"] == 3


def test_paths_map_to_skills_once_and_ignore_other_files(tmp_path: Path) -> None:
    root = _ws(tmp_path)
    (root / "skills/good/notes.md").write_text("n\n")
    cli = Cli(root)
    doc = json.loads(
        cli(
            "validate", "--json", "skills/good/SKILL.md", "skills/good/notes.md", "README.md", "skills/good"
        ).output
    )
    assert [s["slug"] for s in doc["skills"]] == ["good"]
    only_outside = cli("validate", "--json", "README.md")
    assert only_outside.exit_code == 0 and json.loads(only_outside.output)["skills"] == []
    assert [s["slug"] for s in json.loads(cli("validate", "--json", "skills").output)["skills"]] == [
        "bad",
        "good",
    ]
    assert cli("validate", "nope.md").exit_code == 2


def test_config_severity_override_and_unknown_rule(tmp_path: Path) -> None:
    root = _ws(tmp_path)
    (root / "skillsync.toml").write_text(
        '[[validate.overrides]]\npaths = ["skills/bad/**"]\nrules = { "spec.needs-quotes" = "warning" }\n'
    )
    doc = json.loads(Cli(root)("validate", "--json").output)
    assert doc["summary"]["errors"] == 0 and doc["summary"]["warnings"] == 1
    (root / "skillsync.toml").write_text('[validate.rules]\n"spec.no-such-rule" = "off"\n')
    result = Cli(root)("validate")
    assert result.exit_code == 4 and "spec.no-such-rule" in result.output


def test_rules_command_and_docs_match_the_registry(tmp_path: Path) -> None:
    doc = json.loads(Cli(tmp_path)("rules", "--json").output)
    assert [r["id"] for r in doc["rules"]] == list(RULES)
    assert all(r["severity"] in ("error", "warning", "info") and r["description"] for r in doc["rules"])
    text = Cli(tmp_path)("rules").output
    assert all(rid in text for rid in RULES)
    committed = (Path(__file__).parents[1] / "docs" / "rules.md").read_text("utf-8")
    assert committed == markdown(), "regenerate: python -m skillsync.rules --markdown > docs/rules.md"


def test_fix_dry_run_then_fix_keeps_every_other_byte(tmp_path: Path) -> None:
    root = _ws(tmp_path)
    md = root / "skills/bad/SKILL.md"
    original = (
        b"\xef\xbb\xbf---\r\nname: bad\r\ndescription: It's for: reports\r\n  and more  \r\n"
        b"license: MIT\r\n---\r\n# Bad\r\n"
    )
    md.write_bytes(original)
    md.chmod(0o640)
    cli = Cli(root)
    dry = cli("fix", "--dry-run")
    assert dry.exit_code == 0 and md.read_bytes() == original
    assert (
        "-description: It's for: reports" in dry.output and "+description: 'It''s for: reports" in dry.output
    )
    as_json = json.loads(cli("fix", "--dry-run", "--json").output)
    assert as_json["dry_run"] is True and as_json["files"][0]["fixed"] == [
        {"rule": "spec.needs-quotes", "field": "description", "line": 3}
    ]
    assert cli("fix").exit_code == 0
    fixed = md.read_bytes()
    assert fixed == original.replace(
        b"It's for: reports\r\n  and more", b"'It''s for: reports\r\n  and more'"
    )
    assert md.stat().st_mode & 0o777 == 0o640
    assert skillmd.parse(fixed.decode()).data["description"] == "It's for: reports and more"
    assert json.loads(cli("validate", "--json").output)["summary"]["errors"] == 0


def test_fix_leaves_comments_alone(tmp_path: Path) -> None:
    text = "---\nname: a\ndescription: Use: x # note\n---\n"
    new, fixed, skipped = fixmod.fix_text(text)
    assert new == text and fixed == [] and len(skipped) == 1


_WORDS = st.sampled_from(
    ["Use", "when:", "x", "it's", "a:b", ": ", "@at", "`tick`", "*", "[b]", "ok", "é", '"q"']
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_WORDS, min_size=1, max_size=8).map(" ".join), st.sampled_from(["\n", "\r\n"]))
def test_fix_property(value: str, nl: str) -> None:
    """After fix: the value parses to what was written, and only that line changed."""
    value = value.strip()
    text = nl.join(["---", "name: a", f"description: {value}", "license: MIT", "---", "# T", ""])
    new, fixed, _skipped = fixmod.fix_text(text)
    before, after = text.split(nl), new.split(nl)
    assert len(before) == len(after)
    assert [i for i, (x, y) in enumerate(zip(before, after, strict=True)) if x != y] in ([], [2])
    if fixed:
        md = skillmd.parse(new)
        assert md.problems == [] and md.data["description"] == value


def test_validate_does_not_import_network_or_server_modules(tmp_path: Path) -> None:
    write_skill(tmp_path, "s1")
    code = (
        "import sys\nfrom skillsync.cli.main import run\n"
        f"rc = run(['-C', {str(tmp_path)!r}, 'validate', '--json'])\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('httpx', 'watchfiles', 'fastapi', 'uvicorn')"
        " or m.startswith(('skillsync.remote', 'skillsync.emulator', 'skillsync.sync',"
        " 'skillsync.mirror'))]\n"
        "print('BAD', bad, 'RC', rc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "BAD [] RC 0" in out


HOSTILE = {
    "unclosed": (b"---\nname: hh\ndescription: d\n", "spec.frontmatter-unclosed"),
    "bom-crlf-tabs": (b"\xef\xbb\xbf---\r\nname:\thh\r\n---\r\n", "spec.yaml-invalid"),
    "alias-bomb": (b"---\na: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n---\n", "spec.yaml-alias"),
    "not-mapping": (b"---\n- a\n- b\n---\n", "spec.frontmatter-not-mapping"),
    "duplicate": (b"---\nname: hh\nname: hh\ndescription: d\n---\n", "spec.yaml-duplicate-key"),
    "binary": (b"---\nname: hh\x00\xff\xfe\ndescription: d\n---\n", "files.skill-md-encoding"),
    "frontmatter-only": (b"---\nname: hh\ndescription: d\n---", "seren.display-name"),
    "huge": (
        b"---\nname: hh\ndescription: d\n---\n# H\n" + b"word " * (10 * 1024 * 1024),
        "files.body-too-long",
    ),
}


def test_hostile_skill_md_gives_findings_not_crashes(tmp_path: Path) -> None:
    for case, (content, rule) in HOSTILE.items():
        folder = tmp_path / case / "hh"
        folder.mkdir(parents=True)
        (folder / "SKILL.md").write_bytes(content)
        result = Cli(folder.parent)("validate", "--json")
        assert result.exit_code in (0, 1), (case, result.output)
        rules = {f["rule"] for s in json.loads(result.output)["skills"] for f in s["findings"]}
        assert rule in rules, (case, rules)


def test_fix_that_cannot_write_is_a_one_line_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A read-only folder (injected: tests may run as root) gives exit 4 naming the file."""
    write_skill(tmp_path, "skills/bad", description="Use: this")

    def refuse(path: Path, data: bytes, *, mode: int = 0o644) -> None:
        raise PermissionError(13, "Permission denied", str(path.parent))

    monkeypatch.setattr(fixmod, "atomic_write_bytes", refuse)
    result = Cli(tmp_path)("fix")
    assert result.exit_code == 4, result.output
    assert "skills/bad/SKILL.md: cannot write: Permission denied" in result.output
    assert "Traceback" not in result.output


def test_fix_writes_through_a_symlinked_skill_md(tmp_path: Path) -> None:
    folder = write_skill(tmp_path, "skills/bad", description="Use: this")
    (folder / "docs").mkdir()
    (folder / "SKILL.md").rename(folder / "docs" / "real.md")
    (folder / "SKILL.md").symlink_to("docs/real.md")
    assert Cli(tmp_path)("fix").exit_code == 0
    assert (folder / "SKILL.md").is_symlink()
    assert "description: 'Use: this'" in (folder / "docs" / "real.md").read_text()


def test_files_map_to_the_workspace_nearest_above_them(tmp_path: Path) -> None:
    """As pre-commit runs the hook: from the top, with paths from there. A subfolder with its own
    skillsync.toml is its own workspace (its config applies); without one, the top's applies."""
    sub = tmp_path / "content"
    sub.mkdir()
    (sub / "skillsync.toml").write_text('[validate.rules]\n"spec.needs-quotes" = "warning"\n')
    for root in (sub, tmp_path):
        bad = root / "skills" / "bad"
        bad.mkdir(parents=True)
        (bad / "SKILL.md").write_text(BAD_MD)
    result = Cli(tmp_path)("validate", "--json", "content/skills/bad/SKILL.md", "skills/bad/SKILL.md")
    doc = json.loads(result.stdout)
    found = {(s["path"], f["severity"]) for s in doc["skills"] for f in s["findings"]}
    assert found == {("skills/bad", "warning"), ("skills/bad", "error")}
    assert result.exit_code == 1  # the top's skill, under the default severity
