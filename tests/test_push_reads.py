"""How often a push reads each shipped file: once to hash and validate, once to stream the upload.

Counts every ``os.open`` and ``io.open`` of a path inside the skill during a real ``skillsync push``
(the CLI in process, the embedded local registry); before validation ran over the manifest, each
file was opened three times (SKILL.md four).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli, write_skill


def _count_opens(monkeypatch: pytest.MonkeyPatch, under: Path) -> Counter[str]:
    seen: Counter[str] = Counter()
    prefix = str(under) + os.sep
    real_os_open, real_io_open = os.open, io.open

    def note(path: Any) -> None:
        if isinstance(path, (str, os.PathLike)):
            p = os.fspath(path)
            if isinstance(p, str) and p.startswith(prefix) and not os.path.isdir(p):
                seen[os.path.relpath(p, under)] += 1

    def os_open(path: Any, *args: Any, **kwargs: Any) -> int:
        note(path)
        return real_os_open(path, *args, **kwargs)

    def io_open(path: Any, *args: Any, **kwargs: Any) -> Any:
        note(path)
        return real_io_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(io, "open", io_open)
    return seen


@pytest.mark.parametrize("warm", [False, True], ids=["new-skill", "changed-skill"])
def test_push_opens_each_file_at_most_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, warm: bool
) -> None:
    cli = Cli(tmp_path)
    assert cli("init").exit_code == 0
    folder = write_skill(
        tmp_path,
        "acme/report-kit",
        extra={"scripts/run.py": "print('hi')\n", "assets/logo.bin": b"\x00\x01" * 5000, "README.txt": "x\n"},
    )
    if warm:  # pushed once; then one file changes: the others come from the stat cache
        assert cli("push", "--yes").exit_code == 0
        (folder / "scripts" / "run.py").write_text("print('changed')\n")
    seen = _count_opens(monkeypatch, folder)
    result = cli("push", "--yes", "--json")
    monkeypatch.undo()
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [i["result"] for i in doc["skills"]] == ["revised" if warm else "created"]
    shipped = {"SKILL.md", "scripts/run.py", "assets/logo.bin", "README.txt"}
    assert set(seen) == shipped
    assert max(seen.values()) <= 2, seen


def test_validation_over_a_manifest_finds_what_the_walk_finds(tmp_path: Path) -> None:
    from skillsync.manifest import build_manifests
    from skillsync.validate import check_skill, load_policy
    from skillsync.workspace import open_workspace

    (tmp_path / "skillsync.toml").write_text("")
    write_skill(
        tmp_path,
        "acme/mixed",
        name="Mixed",  # spec.name finding
        extra={
            "run.sh": "#!/bin/sh\necho hi\n",
            "notes.md": "token = 'AKIA" + "ABCDEFGHIJKLMNOP'\n",
            "blob.bin": b"\x00" * 9000 + b"AKIA" + b"ABCDEFGHIJKLMNOP",
            "bad.txt": b"\xff\xfe not utf-8\n",
        },
    )
    (tmp_path / "acme/mixed/run.sh").chmod(0o755)
    ws = open_workspace(tmp_path)
    (skill,) = ws.skills()
    policy = load_policy(ws)
    walked = check_skill(ws, skill, policy).findings
    assert walked
    for keep in (True, False):  # bytes kept while hashing, or read again from disk
        (manifest,) = build_manifests(ws, [skill], keep_contents=keep, use_cache=False)
        assert bool(manifest.contents) == keep
        assert check_skill(ws, skill, policy, manifest=manifest).findings == walked


def test_noop_push_reads_no_skill_md_and_an_edited_description_is_pushed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The display name and description are cached by SKILL.md's sha256 (.skillsync/skill-meta.json)."""
    cli = Cli(tmp_path)
    assert cli("init").exit_code == 0
    folder = write_skill(tmp_path, "acme/meta-kit", description="First words.", body="# Meta Kit\n\nUse.\n")
    assert cli("push", "--yes").exit_code == 0
    cache = json.loads((tmp_path / ".skillsync" / "skill-meta.json").read_text())
    sha = hashlib.sha256((folder / "SKILL.md").read_bytes()).hexdigest()
    assert cache["skills"] == {"acme-meta-kit": [sha, "Meta Kit", "First words."]}

    seen = _count_opens(monkeypatch, folder)
    result = cli("push", "--yes", "--json")
    monkeypatch.undo()
    assert result.exit_code == 0, result.output
    assert [(i["action"], i["update"]) for i in json.loads(result.stdout)["skills"]] == [("skip", [])]
    assert "SKILL.md" not in seen, seen

    # Same size, same second: the stat cache's racy rule still sees the edit, so the new sha256
    # misses the cached meta and the new description is sent with the new revision.
    md = folder / "SKILL.md"
    md.write_text(md.read_text().replace("First words.", "Fresh words."))
    doc = json.loads(cli("push", "--yes", "--json").stdout)
    assert [(i["result"], i["update"]) for i in doc["skills"]] == [("revised", ["description"])]
    assert json.loads(cli("log", "acme-meta-kit", "--json").stdout)["revisions"][0]["number"] == 2

    async def remote_description() -> str | None:
        from skillsync.remote import open_remote
        from skillsync.workspace import open_workspace

        async with open_remote(open_workspace(tmp_path)) as s:
            [skill] = await s.client.list_custom_skills(s.org_id)
            return skill.description

    import asyncio

    assert asyncio.run(remote_description()) == "Fresh words."


def test_a_meta_change_alone_is_pushed_after_the_cache_was_filled(tmp_path: Path) -> None:
    """An edit of only the heading: new sha256, new meta, sent as an update (no cached value used)."""
    cli = Cli(tmp_path)
    assert cli("init").exit_code == 0
    folder = write_skill(tmp_path, "acme/titled", body="# Old Title\n\nUse.\n")
    assert cli("push", "--yes").exit_code == 0
    assert cli("push", "--yes").exit_code == 0  # no-op, meta from the cache
    (folder / "SKILL.md").write_text((folder / "SKILL.md").read_text().replace("Old Title", "New Title"))
    doc = json.loads(cli("push", "--yes", "--json").stdout)
    assert [i["update"] for i in doc["skills"]] == [["display_name"]]
    cache = json.loads((tmp_path / ".skillsync" / "skill-meta.json").read_text())
    assert cache["skills"]["acme-titled"][1] == "New Title"
