"""security.* rules: kinds, lines, allow-lists, and that no output ever contains the secret."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillsync.rules.security import entropy, scan
from tests.conftest import Cli, write_skill
from tests.rules_helpers import rules

# Built at run time so the literals in this file do not look like secrets to scanners.
SEREN = "seren_" + "Zk3p9QwErTy7UiOp2AsDf"
AWS = "AKIA" + "Q3EGRB5XZ7MN4PLT"
GH = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"
SLACK = "xoxb-" + "1234567890-abcdefghij"
GENERIC = "9f8A7b6C5d4E3f2A1b0C"
PEM = "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n"


def _workspace(tmp_path: Path) -> Path:
    write_skill(
        tmp_path,
        "s1",
        extra={
            "scripts/config.py": f"HOST = 'x'\nSEREN_API_KEY = '{SEREN}'\naws = \"{AWS}\"\n",
            "references/notes.md": f"token {GH}\n\nslack: {SLACK}\n",
            "assets/settings.env.txt": f"DB_PASSWORD={GENERIC}\n",
            "keys/id.txt": PEM,
        },
    )
    return tmp_path


def test_each_kind_at_its_line(tmp_path: Path) -> None:
    got = rules(_workspace(tmp_path), "security.")
    assert got == {
        ("security.seren-key", "s1/scripts/config.py", 2),
        ("security.aws-key", "s1/scripts/config.py", 3),
        ("security.github-token", "s1/references/notes.md", 1),
        ("security.slack-token", "s1/references/notes.md", 3),
        ("security.generic-secret", "s1/assets/settings.env.txt", 1),
        ("security.private-key", "s1/keys/id.txt", 1),
    }


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
def test_no_output_format_prints_a_secret(tmp_path: Path, fmt: str) -> None:
    root = _workspace(tmp_path)
    result = Cli(root)("validate", "--format", fmt)
    assert result.exit_code == 1
    for secret in (SEREN, AWS, GH, SLACK, GENERIC, "MIIB"):
        assert secret not in result.output
    if fmt != "text":
        assert "security.aws-key" in result.output


def test_inline_and_config_allow(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    cfg = root / "s1/scripts/config.py"
    cfg.write_text(cfg.read_text().replace(f'"{AWS}"', f'"{AWS}"  # skillsync: allow security.aws-key'))
    (root / "skillsync.toml").write_text(
        '[[validate.allow]]\nrule = "security.*"\npaths = ["s1/references/**"]\n'
        '[validate.rules]\n"security.private-key" = "off"\n'
    )
    got = {r for r, _, _ in rules(root, "security.")}
    assert got == {"security.seren-key", "security.generic-secret"}


def test_placeholders_and_prose_are_not_secrets() -> None:
    text = (
        b"API_KEY = 'your-api-key-goes-here'\nTOKEN=xxxxxxxxxxxxxxxxxxxxxxxx\n"
        b"secret: this_is_not_a_real_value\nkey: 0000000000000000\nseren_api_key_name_here\n"
    )
    assert list(scan(text)) == []


def test_entropy() -> None:
    assert entropy(b"aaaaaaaa") == 0
    assert entropy(GENERIC.encode()) > 3.5


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_scan_never_raises(data: bytes) -> None:
    for rule, kind, pos in scan(data):
        assert rule.startswith("security.") and 0 <= pos <= len(data)
        assert isinstance(kind, str)


def test_json_shape_for_secret(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    doc = json.loads(Cli(root)("validate", "--json").output)
    f = next(f for f in doc["skills"][0]["findings"] if f["rule"] == "security.aws-key")
    assert set(f) == {"rule", "severity", "path", "line", "message", "hint", "targets"}
    assert f["path"] == "s1/scripts/config.py" and f["line"] == 3


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
def test_secret_echoed_by_another_rule_is_masked(tmp_path: Path, fmt: str) -> None:
    """name-mismatch, unknown-field and broken-link messages quote the author's text."""
    (tmp_path / "s1").mkdir()
    (tmp_path / "s1" / "SKILL.md").write_text(
        f"---\nname: {GH}\ndescription: ok\n{SEREN}: 1\n---\n# T\n\nSee [x]({AWS}.md).\n"
    )
    result = Cli(tmp_path)("validate", "--format", fmt)
    assert result.exit_code == 1
    assert "spec.name-mismatch" in result.output and "files.broken-link" in result.output
    for secret in (SEREN, AWS, GH):
        assert secret not in result.output
