"""Validation targets: rule sets per host, the host-limit table, --target, validate.targets, rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from skillsync.rules import RULES, limits
from skillsync.rules.targets import MEMBERSHIP, TARGETS
from skillsync.validate import check_skills
from skillsync.workspace import open_workspace
from tests.conftest import Cli, write_skill

CC_MD = (
    "---\nname: deploy-helper\ndescription: Deploys.\nwhen_to_use: when asked to deploy\n"
    "argument-hint: '[env]'\ndisable-model-invocation: true\nuser-invocable: false\nmodel: haiku\n"
    "effort: high\ncontext: fork\nagent: Explore\nallowed-tools:\n  - Read\n  - Bash(git *)\n"
    "hooks:\n  PreToolUse:\n    - matcher: Bash\n---\n# Deploy\n"
)


def _found(root: Path, targets: tuple[str, ...] | None = None) -> set[tuple[str, tuple[str, ...]]]:
    ws = open_workspace(root)
    report = check_skills(ws, ws.skills(), targets=targets)
    return {(f.rule, f.targets) for r in report.skills for f in r.findings}


def _skill_md(root: Path, folder: str, text: str) -> Path:
    d = root / folder
    d.mkdir(parents=True)
    (d / "SKILL.md").write_text(text)
    return d


def test_every_target_rule_is_registered_and_every_host_rule_has_a_target() -> None:
    for t in TARGETS.values():
        assert t.rules and set(t.rules) <= set(RULES), t.name
        assert t.source and len(t.checked) == 10
    for rid in RULES:
        if rid.split(".")[0] in ("spec", "seren", "claude-code", "claude-api", "claude-ai"):
            assert rid in MEMBERSHIP, rid


def test_claude_code_fields_are_known_there_and_unknown_to_the_spec(tmp_path: Path) -> None:
    _skill_md(tmp_path, "deploy-helper", CC_MD)
    assert _found(tmp_path, ("claude-code",)) == set()
    got = _found(tmp_path, ("agentskills",))
    assert got == {("spec.unknown-field", ("agentskills",))}
    both = _found(tmp_path, ("agentskills", "claude-code"))
    assert both == {("spec.unknown-field", ("agentskills",))}  # one finding per key, not one per host


def test_one_key_unknown_to_two_targets_is_one_finding_listing_both(tmp_path: Path) -> None:
    _skill_md(tmp_path, "s1", "---\nname: s1\ndescription: d\nfavourite: blue\n---\n# S\n")
    ws = open_workspace(tmp_path)
    report = check_skills(ws, ws.skills(), targets=("agentskills", "claude-ai", "claude-code"))
    (f,) = [f for r in report.skills for f in r.findings if f.rule == "spec.unknown-field"]
    assert f.targets == ("agentskills", "claude-ai", "claude-code") and f.line == 4


def test_claude_code_name_defaults_to_the_folder_and_no_frontmatter_is_fine(tmp_path: Path) -> None:
    _skill_md(tmp_path, "plain", "# Just a body\n\nNo frontmatter at all.\n")
    _skill_md(tmp_path, "other", "---\ndescription: Only a description.\n---\n# O\n")
    assert _found(tmp_path, ("claude-code",)) == set()
    assert ("spec.frontmatter-missing", ("agentskills",)) in _found(tmp_path, ("agentskills",))
    assert ("spec.name-missing", ("claude-api",)) in _found(tmp_path, ("claude-api",))


def test_claude_code_listing_cut_and_field_values(tmp_path: Path) -> None:
    _skill_md(
        tmp_path,
        "s1",
        f"---\nname: s1\ndescription: {'x' * 251}\neffort: extreme\ncontext: fork\n"
        "user-invocable: nope\n---\n# S\n",
    )
    _skill_md(tmp_path, "s2", f"---\nname: s2\ndescription: {'y' * 250}\neffort: max\n---\n# S\n")
    ws = open_workspace(tmp_path)
    report = check_skills(ws, ws.skills(), targets=("claude-code",))
    got = {(r.skill.slug, f.rule, f.line, f.severity) for r in report.skills for f in r.findings}
    assert got == {
        ("s1", "claude-code.description-listing", 3, "warning"),
        ("s1", "claude-code.field-value", 4, "warning"),
        ("s1", "claude-code.field-value", 6, "warning"),
    }


def test_claude_api_name_rules_and_xml_tags(tmp_path: Path) -> None:
    _skill_md(tmp_path, "claude-helper", "---\nname: claude-helper\ndescription: Helps.\n---\n# H\n")
    _skill_md(tmp_path, "claudette", "---\nname: claudette\ndescription: Use <b>bold</b> text.\n---\n# H\n")
    _skill_md(tmp_path, "café", "---\nname: café\ndescription: Coffee when a < b and c > d.\n---\n# H\n")
    (tmp_path / "skillsync.toml").write_text('[workspace.slugs]\n"café" = "cafe"\n')
    ws = open_workspace(tmp_path)
    report = check_skills(ws, ws.skills(), targets=("claude-api",))
    got = {(r.skill.path.name, f.rule) for r in report.skills for f in r.findings}
    assert got == {
        ("claude-helper", "claude-api.reserved-word"),
        ("claudette", "claude-api.xml-tag"),  # 'claudette' is not the word 'claude'
        ("café", "claude-api.name-chars"),  # a < b and c > d is no tag
    }
    assert ("claude-api.name-chars", ()) not in _found(tmp_path, ("agentskills",))


def test_sizes_and_counts_per_host(tmp_path: Path) -> None:
    big = write_skill(tmp_path, "big", extra={"assets/blob.bin": b"\0" * 64})
    many = write_skill(tmp_path, "many")
    for n in range(200):
        (many / f"references/r{n}.md").parent.mkdir(exist_ok=True)
        (many / f"references/r{n}.md").write_text("r\n")
    assert big.exists()
    got = _found(tmp_path, ("claude-ai",))
    assert got == {("claude-ai.too-many-files", ("claude-ai",))}


def test_the_limit_table_drives_the_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_skill(tmp_path, "s1", extra={"assets/blob.bin": b"\0" * 5000})
    assert _found(tmp_path, ("claude-api", "claude-ai")) == set()
    table = tuple(
        limits.HostLimit(h.target, h.key, 4096, h.unit, h.source, h.checked)
        if h.key in ("upload_max_bytes", "max_uncompressed_bytes")
        else h
        for h in limits.LIMITS
    )
    monkeypatch.setattr(limits, "LIMITS", table)
    assert _found(tmp_path, ("claude-api", "claude-ai")) == {
        ("claude-api.upload-too-large", ("claude-api",)),
        ("claude-ai.too-large", ("claude-ai",)),
    }


def test_pinned_host_limits() -> None:
    """Changing a host limit is one line in rules/limits.py and this line (with source and date)."""
    got = {(h.target, h.key): h.value for h in limits.LIMITS}
    assert got == {
        ("claude-code", "description_listing_chars"): 250,
        ("claude-api", "upload_max_bytes"): 8 * 1024 * 1024,
        ("claude-ai", "max_files"): 200,
        ("claude-ai", "max_uncompressed_bytes"): 30 * 1024 * 1024,
    }
    assert all(h.source.startswith("https://") and h.checked for h in limits.LIMITS)


def test_cli_target_option_config_and_json_targets(tmp_path: Path) -> None:
    _skill_md(tmp_path, "deploy-helper", CC_MD)
    cli = Cli(tmp_path)
    default = json.loads(cli("validate", "--json").output)
    found = default["skills"][0]["findings"]
    assert len(found) == 9 and {(f["rule"], tuple(f["targets"])) for f in found} == {
        ("spec.unknown-field", ("agentskills",))
    }
    assert cli("validate", "--target", "claude-code").exit_code == 0
    assert cli("validate", "--target", "claude-code,seren").exit_code == 0
    bad = cli("validate", "--target", "claude-desktop")
    assert bad.exit_code == 2 and "claude-desktop" in bad.output
    (tmp_path / "skillsync.toml").write_text('[validate]\ntargets = ["claude-code"]\n')
    assert cli("validate").exit_code == 0
    (tmp_path / "skillsync.toml").write_text('[validate]\ntargets = ["nope"]\n')
    result = cli("validate")
    assert result.exit_code == 4 and "validate.targets" in result.output and "nope" in result.output


def test_sarif_carries_targets(tmp_path: Path) -> None:
    _skill_md(tmp_path, "deploy-helper", CC_MD)
    log = json.loads(Cli(tmp_path)("validate", "--format", "sarif").output)
    results = log["runs"][0]["results"]
    assert results and all(res["properties"]["targets"] == ["agentskills"] for res in results)
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["spec.unknown-field"]["properties"]["targets"] == ["agentskills", "claude-code", "claude-ai"]


def test_rules_target_lists_rules_source_and_limits(tmp_path: Path) -> None:
    cli = Cli(tmp_path)
    doc = json.loads(cli("rules", "--target", "claude-ai", "--json").output)
    assert {r["id"] for r in doc["rules"]} == set(TARGETS["claude-ai"].rules)
    assert doc["target"]["checked"] and doc["target"]["source"].startswith("https://")
    assert {lim["key"] for lim in doc["target"]["limits"]} == {"max_files", "max_uncompressed_bytes"}
    text = cli("rules", "--target", "claude-code").output
    assert "claude-code.description-listing" in text and "seren.slug-invalid" not in text
    assert "checked 2026-" in text
    assert cli("rules", "--target", "nope").exit_code == 2
