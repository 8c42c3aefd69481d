"""`pull` and file modes: Seren stores none, so pull keeps the local ones.

A file whose content pull leaves unchanged keeps its mode (and its inode: it is not rewritten); a
changed file keeps the mode it had; a file pull creates is executable when it starts with `#!`.
Two workspaces share one registry over loopback HTTP (fixtures from test_sync_flows).
"""

from __future__ import annotations

import stat
from pathlib import Path

from tests.conftest import Cli, write_skill
from tests.test_sync_flows import ok, registry, wss

__all__ = ["registry", "wss"]  # fixtures used by name

SCRIPT = "#!/bin/sh\necho polluter\n"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_pull_an_older_revision_keeps_modes_of_unchanged_files(wss: tuple[Cli, Cli, Path, Path]) -> None:
    alice, _bob, a, _b = wss
    skill = write_skill(a, "skills/tool", extra={"scripts/find-polluter.sh": SCRIPT, "notes.md": "one\n"})
    script = skill / "scripts" / "find-polluter.sh"
    script.chmod(0o755)
    ok(alice("push", "--yes"))
    (skill / "notes.md").write_text("two\n")
    (skill / "notes.md").chmod(0o600)  # a mode of the author's own choosing survives a content change
    ok(alice("push", "--yes"))
    inode = script.stat().st_ino

    ok(alice("pull", "tool", "--revision", "1"))
    assert (skill / "notes.md").read_text() == "one\n"
    assert _mode(script) == 0o755 and script.stat().st_ino == inode  # untouched
    assert _mode(skill / "notes.md") == 0o600
    ok(alice("pull", "tool"))  # and back to the latest
    assert _mode(script) == 0o755 and (skill / "notes.md").read_text() == "two\n"


def test_pull_makes_created_scripts_executable(wss: tuple[Cli, Cli, Path, Path]) -> None:
    alice, bob, a, b = wss
    files = {"run.sh": SCRIPT, "data.txt": "#not a shebang\n", "x.py": "print()\n"}
    write_skill(a, "skills/tool", extra=files)
    ok(alice("push", "--yes"))
    (b / "skills").mkdir()
    ok(bob("pull", "tool"))
    pulled = b / "skills" / "tool"
    assert _mode(pulled / "run.sh") & 0o111 == 0o111
    assert _mode(pulled / "data.txt") & 0o111 == 0 and _mode(pulled / "x.py") & 0o111 == 0
    ok(bob("validate", "--strict", "skills/tool"))  # files.exec-bit is satisfied

    # A script added to an existing local skill by pull is executable too.
    write_skill(a, "skills/tool", extra={**files, "more.sh": SCRIPT})
    ok(alice("push", "--yes"))
    ok(bob("pull", "tool"))
    assert _mode(pulled / "more.sh") & 0o111 == 0o111 and _mode(pulled / "run.sh") & 0o111 == 0o111
