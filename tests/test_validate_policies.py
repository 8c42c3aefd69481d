"""Organization policies ([[validate.policy]]), the waivers file and `validate --write-baseline`."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Cli, write_skill
from tests.rules_helpers import rules

POLICY = """
[[validate.policy]]
id = "trading.dry-run"
severity = "error"
files = ["trading-*/scripts/*.py"]
require = ["DRY_RUN"]
forbid = ['place_order\\(\\s*live\\s*=\\s*True']
message = "trading scripts default to a dry run and never place live orders"
hint = "read DRY_RUN from the environment; pass live=False"
"""


def _ws(tmp_path: Path, config: str = POLICY) -> Path:
    (tmp_path / "skillsync.toml").write_text(config)
    write_skill(
        tmp_path,
        "trading-bot",
        extra={
            "scripts/run.py": "import os\nDRY = os.environ.get('DRY_RUN')\nplace_order(live=False)\n",
            "scripts/live.py": "x = 1\nplace_order( live = True)\n",
            "references/notes.md": "place_order(live=True) is forbidden\n",
        },
    )
    write_skill(tmp_path, "reports", extra={"scripts/live.py": "place_order(live=True)\n"})
    return tmp_path


def test_policy_require_and_forbid_on_matching_files_only(tmp_path: Path) -> None:
    got = rules(_ws(tmp_path), "policy.")
    assert got == {
        ("policy.trading.dry-run", "trading-bot/scripts/live.py", None),  # no DRY_RUN
        ("policy.trading.dry-run", "trading-bot/scripts/live.py", 2),  # a live order
    }


def test_policy_json_sarif_severity_and_message(tmp_path: Path) -> None:
    root = _ws(tmp_path, POLICY.replace('severity = "error"', 'severity = "warning"'))
    cli = Cli(root)
    result = cli("validate", "--json")
    assert result.exit_code == 0
    found = [
        f
        for s in json.loads(result.output)["skills"]
        for f in s["findings"]
        if f["rule"].startswith("policy.")
    ]
    assert {f["severity"] for f in found} == {"warning"}
    assert all(f["hint"] == "read DRY_RUN from the environment; pass live=False" for f in found)
    assert cli("validate", "--strict").exit_code == 1
    log = json.loads(cli("validate", "--format", "sarif").output)
    driver_rules = [r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]]
    res = [r for r in log["runs"][0]["results"] if r["ruleId"] == "policy.trading.dry-run"]
    assert res and all(driver_rules[r["ruleIndex"]] == "policy.trading.dry-run" for r in res)


def test_policy_config_errors_name_the_key(tmp_path: Path) -> None:
    bad = POLICY.replace('require = ["DRY_RUN"]', 'require = ["DRY_(RUN"]')
    result = Cli(_ws(tmp_path, bad))("validate")
    assert result.exit_code == 4 and "validate.policy[0].require[0]" in result.output
    none = POLICY.replace('require = ["DRY_RUN"]\n', "").replace(
        "forbid = ['place_order\\(\\s*live\\s*=\\s*True']\n", ""
    )
    (tmp_path / "skillsync.toml").write_text(none)
    result = Cli(tmp_path)("validate")
    assert result.exit_code == 4 and "require" in result.output
    (tmp_path / "skillsync.toml").write_text(POLICY + '[validate.rules]\n"policy.trading.*" = "off"\n')
    assert rules(tmp_path, "policy.") == set()


def test_waivers_silence_by_rule_and_path_and_expired_ones_are_findings(tmp_path: Path) -> None:
    root = _ws(tmp_path)
    (root / "skillsync-waivers.toml").write_text(
        "# reviewed\n"
        '[[waiver]]\nrule = "policy.*"\npath = "trading-bot/scripts/live.py"\nreason = "paper account"\n'
        "expires = 2999-01-01\n\n"
        '[[waiver]]\nrule = "files.exec-bit"\npath = "reports/**"\nreason = "old"\nexpires = 2020-01-01\n'
    )
    got = rules(root)
    assert not {g for g in got if g[0].startswith("policy.")}
    assert ("waiver.expired", "skillsync-waivers.toml", 8) in got
    result = Cli(root)("validate", "--json")
    assert result.exit_code == 1 and "expired on 2020-01-01" in result.output
    (root / "skillsync-waivers.toml").write_text(
        '[[waiver]]\nrule = "supply.nope"\npath = "x"\nreason = "r"\n'
    )
    bad = Cli(root)("validate")
    assert bad.exit_code == 4 and "supply.nope" in bad.output and "skillsync-waivers.toml" in bad.output
    (root / "skillsync-waivers.toml").write_text('[[waiver]]\nrule = "supply.*"\npath = "x"\n')
    assert "'reason' is required" in Cli(root)("validate").output


def test_write_baseline_then_clean_then_new_findings_show(tmp_path: Path) -> None:
    root = _ws(tmp_path)
    cli = Cli(root)
    assert cli("validate").exit_code == 1
    wrote = cli("validate", "--write-baseline", "--json")
    assert wrote.exit_code == 0
    (row,) = json.loads(wrote.output)["baselines"]
    assert row["waivers"] == 1 and row["findings"] == 2
    assert Path(row["baseline"]).name == "skillsync-baseline.toml"
    text = (root / "skillsync-baseline.toml").read_text()
    assert 'rule = "policy.trading.dry-run"' in text and 'path = "trading-bot/scripts/live.py"' in text
    assert cli("validate", "--strict").exit_code == 0  # everything of today is waived
    (root / "reports/scripts/new.py").write_text("place_order(live=True)\n")
    (root / "trading-bot/scripts/new.py").write_text("place_order(live=True)\n")
    again = rules(root, "policy.")
    assert again == {
        ("policy.trading.dry-run", "trading-bot/scripts/new.py", None),
        ("policy.trading.dry-run", "trading-bot/scripts/new.py", 1),
    }
    assert cli("validate", "--write-baseline", "reports").exit_code == 2


def test_baseline_paths_with_pattern_characters_match_only_themselves(tmp_path: Path) -> None:
    write_skill(tmp_path, "s1", extra={"references/[draft]*.md": "", "references/d.md": ""})
    cli = Cli(tmp_path)
    cli("validate", "--write-baseline")
    assert "references/\\\\[draft]\\\\*.md" in (tmp_path / "skillsync-baseline.toml").read_text()
    assert cli("validate", "--strict").exit_code == 0
    (tmp_path / "s1/references/other.md").write_text("")
    assert rules(tmp_path, "files.empty") == {("files.empty", "s1/references/other.md", None)}
