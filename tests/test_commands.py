"""The use-case layer called directly, as watch mode and the mirror call it (no click involved)."""

from __future__ import annotations

from pathlib import Path

from skillsync.commands.events import PushEvents
from skillsync.commands.push import PushOptions, push
from skillsync.sync.push import PushItem, PushPlan
from skillsync.workspace import open_workspace
from tests.conftest import write_skill


class _Recorder(PushEvents):
    def __init__(self, answer: bool = True) -> None:
        self.answer = answer
        self.seen: list[str] = []

    def planned(self, plan: PushPlan) -> None:
        self.seen.append("planned:" + ",".join(i.slug for i in plan.items))

    def confirm(self, plan: PushPlan, remote: str) -> bool:
        self.seen.append(f"confirm:{remote}")
        return self.answer

    def done(self, item: PushItem) -> None:
        self.seen.append(f"done:{item.slug}:{item.result}")


def test_push_one_chosen_skill_then_the_rest(tmp_path: Path) -> None:
    (tmp_path / "skillsync.toml").write_text("")
    for name in ("alpha", "beta"):
        write_skill(tmp_path, f"skills/{name}")
    ws = open_workspace(tmp_path)
    alpha = ws.skills()[0]

    events = _Recorder()
    res = push(ws, [alpha], PushOptions(), events)  # what watch mode does when one skill changes
    assert events.seen == ["planned:alpha", "confirm:local", "done:alpha:created"]
    assert res.exit_code == 0 and [i["result"] for i in res.to_json()["skills"]] == ["created"]

    declined = _Recorder(answer=False)
    rest = push(ws, ws.skills(), PushOptions(), declined)
    assert [(i.slug, i.decision.action) for i in rest.items] == [("alpha", "skip"), ("beta", "create")]
    assert declined.seen == ["planned:alpha,beta", "confirm:local"]  # nothing applied
    assert not rest.proceeded and rest.exit_code == 1
