"""Which file changes matter to watch (the selection engine decides), and the debounce arithmetic."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from skillsync.watch.loop import _Slot
from skillsync.watch.triage import ADDED, DELETED, MODIFIED, affected, config_touched, needs_rediscovery
from skillsync.workspace import Skill, open_workspace
from tests.conftest import write_skill


def test_only_shipped_files_and_ignore_files_mark_a_skill(tmp_path: Path) -> None:
    (tmp_path / "skillsync.toml").write_text("")
    a = write_skill(tmp_path, "skills/alpha", extra={"notes.md": "x", ".gitignore": "build/\n"})
    write_skill(tmp_path, "skills/beta")
    ws = open_workspace(tmp_path)
    skills = ws.skills()

    def slugs(*paths: Path, change: int = MODIFIED) -> set[str]:
        return set(affected(ws, skills, {(change, str(p)) for p in paths}))

    assert slugs(a / "notes.md") == {"alpha"}
    assert slugs(a / "gone.md", change=DELETED) == {"alpha"}  # a deleted file is judged as a file
    for ignored in ("x.swp", "x~", ".#SKILL.md", "build/out.txt", ".env", ".skillsync/state.json"):
        assert slugs(a / ignored) == set(), ignored
    assert slugs(tmp_path / ".git" / "index", tmp_path / ".skillsync" / "lock") == set()
    assert slugs(tmp_path / "README.md") == set()  # outside every skill
    assert slugs(a / ".gitignore") == {"alpha"}  # does not ship, changes what ships
    assert slugs(tmp_path / "skills" / ".skillignore") == {"alpha", "beta"}


def test_config_and_skill_set_changes(tmp_path: Path) -> None:
    (tmp_path / "skillsync.toml").write_text("")
    a = write_skill(tmp_path, "alpha")
    ws = open_workspace(tmp_path)
    known = ws.skills()
    assert config_touched(ws, {(MODIFIED, str(tmp_path / "skillsync.toml"))})
    assert not config_touched(ws, {(MODIFIED, str(a / "skillsync.toml"))})
    # saving an existing SKILL.md is not a new skill
    assert not needs_rediscovery(ws, known, {(MODIFIED, str(a / "SKILL.md"))})
    b = write_skill(tmp_path, "beta")
    assert needs_rediscovery(ws, known, {(ADDED, str(b / "SKILL.md"))})
    (a / "SKILL.md").unlink()  # left to the skill's run after its quiet period (editors rename)
    assert not needs_rediscovery(ws, known, {(DELETED, str(a / "SKILL.md"))})
    assert set(affected(ws, known, {(DELETED, str(a / "SKILL.md"))})) == {"alpha"}
    gone = tmp_path / "gone"
    assert not needs_rediscovery(ws, known, {(DELETED, str(gone))})
    assert needs_rediscovery(ws, [*known, Skill("gone", gone, "gone")], {(DELETED, str(gone))})


@given(
    quiet=st.floats(0, 5),
    ceiling=st.floats(0, 10),
    events=st.lists(st.floats(0, 100), min_size=1, max_size=20),
)
def test_due_is_quiet_after_the_last_change_but_never_past_the_ceiling(
    quiet: float, ceiling: float, events: list[float]
) -> None:
    slot = _Slot(Skill(slug="s", path=Path("/s"), rel="s"))
    times = sorted(events)
    for t in times:
        slot.mark(t, t)
    due = slot.due(quiet, ceiling)
    assert due <= times[-1] + quiet
    assert due <= times[0] + ceiling
    assert due == min(times[-1] + quiet, times[0] + ceiling)
    slot.retry_at = due + 1  # a remote that is down is not asked again before its backoff
    assert slot.due(quiet, ceiling) == due + 1
