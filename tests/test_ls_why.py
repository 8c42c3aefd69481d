"""skillsync ls and why: odd trees and odd paths give one-line errors with the documented exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import skillsync.commands.listing as ls_cmd
from skillsync.selection import SelectedFile
from tests.conftest import Cli, write_skill


def _workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "skillsync.toml").write_text("")
    write_skill(root, "acme/pdf", name="pdf", extra={"notes.md": "notes\n"})
    return root


def test_ls_file_that_cannot_be_stated_is_a_local_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file gone (or in a folder without search permission) after the walk was an internal error (70)."""
    root = _workspace(tmp_path)
    real_select = ls_cmd.select

    def select_then_delete(*args: object, **kwargs: object) -> list[SelectedFile]:
        files = real_select(*args, **kwargs)  # type: ignore[arg-type]
        (root / "acme" / "pdf" / "notes.md").unlink()
        return files

    monkeypatch.setattr(ls_cmd, "select", select_then_delete)
    result = Cli(root)("ls", "--json")
    assert result.exit_code == 4, result.output + result.stderr
    assert "acme/pdf/notes.md" in result.stderr and "Traceback" not in result.stderr
    assert json.loads(result.stdout)["error"]["code"] == 4


def test_why_accepts_the_workspace_through_another_spelling(tmp_path: Path) -> None:
    """`why "$PWD/..."` after `cd` through a link (macOS: /tmp is /private/tmp) said 'not inside a skill'."""
    root = _workspace(tmp_path)
    link = tmp_path / "link"
    link.symlink_to(root, target_is_directory=True)
    # started in the real folder, given the linked spelling
    result = Cli(root)("why", "--json", str(link / "acme" / "pdf" / ".env"))
    assert result.exit_code == 0, result.output + result.stderr
    doc = json.loads(result.stdout)
    assert (doc["path"], doc["skill"], doc["shipped"]) == (".env", "acme-pdf", False)
    # -C through the link, given the real spelling
    result = Cli(tmp_path)("-C", str(link), "why", "--json", str(root / "acme" / "pdf" / "notes.md"))
    assert result.exit_code == 0, result.output + result.stderr
    assert json.loads(result.stdout)["shipped"] is True
    # outside the workspace is still a usage error
    outside = tmp_path / "elsewhere.md"
    outside.write_text("x")
    assert Cli(root)("why", str(outside)).exit_code == 2
