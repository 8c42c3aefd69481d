"""Text output a person reads: status fits the terminal, counts agree in number, push ends with one
summary line, init's next step fits the folder, the no-layout warning says how to fix it.
JSON shapes only gain fields."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from skillsync.textfit import plural, truncate_middle
from tests.conftest import Cli, write_skill
from tests.test_sync_flows import js, ok, registry, wss

__all__ = ["registry", "wss"]  # fixtures used by name


@given(st.text(min_size=0, max_size=80), st.integers(0, 100))
def test_truncate_middle_keeps_both_ends(text: str, width: int) -> None:
    out = truncate_middle(text, width)
    assert len(out) <= max(width, 0) or out == text
    if len(text) <= width:
        assert out == text
    elif width > 3:
        assert len(out) == width and "..." in out
        head, _, tail = out.partition("...")
        assert text.startswith(head) and text.endswith(tail) and len(head) >= len(tail) - 1


def test_plural() -> None:
    assert (plural(1, "file"), plural(0, "file"), plural(2, "file")) == ("1 file", "0 files", "2 files")


LONG = "departments/finance-and-accounting/quarterly-reporting/automation/skills-for-close"


def test_status_fits_the_terminal(wss: tuple[Cli, Cli, Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    alice, _bob, a, _b = wss
    (a / "skillsync.toml").write_text(
        (a / "skillsync.toml").read_text() + '\n[workspace.slugs]\n"' + LONG + '/report" = "report"\n'
    )
    write_skill(a, f"{LONG}/report", name="report")
    write_skill(a, "short")
    ok(alice("push", "--yes"))
    monkeypatch.setenv("COLUMNS", "72")
    lines = ok(alice("status")).stdout.splitlines()
    assert len(lines) == 2 and all(len(line) <= 72 for line in lines), lines
    row = next(line for line in lines if " report " in line)
    assert ("departments/" in row and "...s-for-close/report" in row.replace("...", "...", 1)) or "..." in row
    assert row.split()[0] == "unchanged" and row.rstrip().endswith("(draft)")
    monkeypatch.delenv("COLUMNS")
    piped = ok(alice("status")).stdout  # not a terminal: nothing is cut
    assert f"{LONG}/report" in piped
    assert "skills" in js(alice("status", "--json"))  # JSON unchanged


def test_push_ends_with_one_summary_line_and_pull_counts_files(wss: tuple[Cli, Cli, Path, Path]) -> None:
    alice, bob, a, b = wss
    write_skill(a, "one")
    write_skill(a, "two")
    first = ok(alice("push", "--yes")).stdout.splitlines()
    assert first[-1] == "push: 2 created, 0 updated, 0 unchanged, 0 blocked, 0 failed"
    (a / "two" / "notes.md").write_text("more\n")
    bad = a / "three"
    bad.mkdir()
    (bad / "SKILL.md").write_text("---\nname: three\ndescription: Use when: x\n---\n# T\n")
    second = alice("push", "--yes")
    assert second.exit_code == 1
    assert second.stdout.splitlines()[-1] == "push: 0 created, 1 updated, 1 unchanged, 1 blocked, 0 failed"
    doc = js(alice("push", "--yes", "--json", "one", "two"))
    assert doc["summary"] == {"created": 0, "updated": 0, "unchanged": 2, "blocked": 0, "failed": 0,
                              "skipped": 0}
    assert {"slug", "action", "result"} <= set(doc["skills"][0])  # the old shape, plus a field
    (b / "skills").mkdir()
    pulled = ok(bob("pull", "one")).stdout
    assert "(1 file written, 0 removed)" in pulled


def test_init_next_step_depends_on_existing_skills(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    assert "next: skillsync new NAME" in ok(Cli(tmp_path)("init", "empty")).stdout
    assert empty.is_dir()
    full = tmp_path / "full"
    write_skill(full, "skills/alpha")
    write_skill(full, "skills/beta")
    out = ok(Cli(tmp_path)("init", "full")).stdout
    assert "skillsync new" not in out and "(2 skills found); next: skillsync validate" in out


def test_no_layout_warning_says_how_to_fix_it(tmp_path: Path) -> None:
    (tmp_path / "skillsync.toml").write_text("")
    write_skill(tmp_path, "content/skills/deep")
    result = Cli(tmp_path)("validate")  # a seren.layout finding (the skill is judged too)
    assert "folder content/skills/deep/ matches no workspace layout" in result.stdout
    assert '[[workspace.layouts]] glob = "content/skills/*"' in result.stdout
    # The fix, as the warning says it, works.
    (tmp_path / "skillsync.toml").write_text('[[workspace.layouts]]\nglob = "content/skills/*"\n')
    fixed = Cli(tmp_path)("validate")
    assert "no workspace layout" not in fixed.stdout and "deep" in fixed.stdout
    # A SKILL.md under a folder with its own skillsync.toml: point at that workspace instead.
    (tmp_path / "skillsync.toml").write_text("")
    (tmp_path / "content" / "skillsync.toml").write_text("")
    hint = Cli(tmp_path)("validate").stdout
    assert "it belongs to the workspace in content/: run skillsync -C content" in hint
