"""The error boundary: exit codes, one-line errors, crash reports without secrets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Cli, write_skill


def test_version_and_help(tmp_path: Path) -> None:
    cli = Cli(tmp_path)
    result = cli("--version")
    assert result.exit_code == 0
    assert "skillsync" in result.output
    result = cli("--help")
    assert result.exit_code == 0
    assert "ls" in result.output


def test_unknown_command_is_usage_error(tmp_path: Path) -> None:
    result = Cli(tmp_path)("no-such-command")
    assert result.exit_code == 2


def test_bad_config_is_local_error_naming_key_and_file(tmp_path: Path) -> None:
    (tmp_path / "skillsync.toml").write_text("[workspace]\nlayout = []\n")
    result = Cli(tmp_path)("ls")
    assert result.exit_code == 4
    assert "skillsync.toml" in result.stderr
    assert "workspace.layout" in result.stderr
    assert "Traceback" not in result.stderr


def test_json_error_document(tmp_path: Path) -> None:
    (tmp_path / "skillsync.toml").write_text("not toml [")
    result = Cli(tmp_path)("ls", "--json")
    assert result.exit_code == 4
    doc = json.loads(result.stdout)
    assert doc["format_version"] == "1"
    assert doc["error"]["code"] == 4


def test_internal_error_writes_redacted_crash_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_skill(tmp_path, "skills/alpha")
    secret = "seren_live_abcdefghijklmnop1234"
    monkeypatch.setenv("SEREN_API_KEY", secret)

    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError(f"kaboom with {secret} and Bearer {secret}")

    monkeypatch.setattr("skillsync.commands.listing.select", boom)
    result = Cli(tmp_path)("ls")
    assert result.exit_code == 70
    assert secret not in result.stderr
    reports = list((Path(os.environ["XDG_CACHE_HOME"]) / "skillsync").glob("crash-*.txt"))
    assert len(reports) == 1
    text = reports[0].read_text()
    assert "RuntimeError" in text and "Traceback" in text
    assert secret not in text
    assert str(reports[0]) in result.stderr


def test_python_dash_m_entry_point(tmp_path: Path) -> None:
    from skillsync import __version__

    proc = subprocess.run([sys.executable, "-m", "skillsync", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"skillsync, version {__version__}"


def test_usage_error_with_json_prints_an_error_document(tmp_path: Path) -> None:
    result = Cli(tmp_path)("ls", "--json", "--no-such-option")
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    assert doc["format_version"] == "1" and doc["error"]["code"] == 2
    assert "no-such-option" in doc["error"]["message"]


def test_crash_report_hides_credential_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "plain-secret-token-value"

    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr("skillsync.emulator.create_app", boom)
    result = Cli(tmp_path)("serve", "--port", "0", "--token", secret)
    assert result.exit_code == 70
    reports = list((Path(os.environ["XDG_CACHE_HOME"]) / "skillsync").glob("crash-*.txt"))
    assert len(reports) == 1
    text = reports[0].read_text()
    assert "--token [REDACTED]" in text and secret not in text
