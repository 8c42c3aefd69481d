"""spec.* rules through the engine: lines, hints, warnings (verdicts: test_skills_ref_parity.py)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import write_skill
from tests.rules_helpers import rules, run


def _skill_md(root: Path, folder: str, text: str | bytes) -> None:
    d = root / folder
    d.mkdir(parents=True, exist_ok=True)
    (d / "SKILL.md").write_bytes(text if isinstance(text, bytes) else text.encode())


def test_valid_skill_has_no_spec_findings(tmp_path: Path) -> None:
    write_skill(tmp_path, "pdf-report")
    assert rules(tmp_path, "spec.") == set()


def test_needs_quotes_points_at_the_key_line_with_a_hint(tmp_path: Path) -> None:
    _skill_md(tmp_path, "s1", "---\nname: s1\nlicense: MIT\ndescription: Use when: asked\n---\n# S\n")
    found = [f for f in run(tmp_path) if f.rule.startswith("spec.")]
    assert [(f.rule, f.path, f.line) for f in found] == [("spec.needs-quotes", "s1/SKILL.md", 4)]
    assert found[0].hint is not None and "quote" in found[0].hint and ">-" in found[0].hint


def test_unknown_fields_each_at_their_line(tmp_path: Path) -> None:
    _skill_md(tmp_path, "s1", "---\nname: s1\nversion: 1\ndescription: d\nauthor: me\n---\n# S\n")
    assert rules(tmp_path, "spec.") == {
        ("spec.unknown-field", "s1/SKILL.md", 3),
        ("spec.unknown-field", "s1/SKILL.md", 5),
    }


def test_bom_is_a_warning_only(tmp_path: Path) -> None:
    _skill_md(tmp_path, "s1", b"\xef\xbb\xbf---\nname: s1\ndescription: d\n---\n# S\n")
    found = [f for f in run(tmp_path) if f.rule.startswith("spec.")]
    assert [(f.rule, f.severity) for f in found] == [("spec.bom", "warning")]


def test_metadata_and_field_types(tmp_path: Path) -> None:
    _skill_md(
        tmp_path,
        "s1",
        "---\nname: s1\ndescription: d\nmetadata:\n  a:\n    - x\nlicense:\n  k: v\n"
        "allowed-tools:\n  k: v\n---\n# S\n",
    )
    assert rules(tmp_path, "spec.") == {
        ("spec.metadata-invalid", "s1/SKILL.md", 4),
        ("spec.field-type", "s1/SKILL.md", 7),
        ("spec.field-type", "s1/SKILL.md", 9),
    }


def test_name_mismatch_and_invalid_are_separate(tmp_path: Path) -> None:
    _skill_md(tmp_path, "s1", "---\nname: Other_Name\ndescription: d\n---\n# S\n")
    assert {r for r, _, _ in rules(tmp_path, "spec.")} == {"spec.name-invalid", "spec.name-mismatch"}
