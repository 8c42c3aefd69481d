"""Where `pull` puts a skill that is not in the workspace yet: a folder the layouts map back to
the same slug, named as its SKILL.md `name`, so the pulled skill validates and pushes back as itself.

Two workspaces share one registry over loopback HTTP (fixtures from test_sync_flows).
"""

from __future__ import annotations

from pathlib import Path

from skillsync.sync.pull import default_dest
from skillsync.workspace import open_workspace
from tests.conftest import Cli, write_skill
from tests.test_sync_flows import js, make_ws, ok, registry, states, wss

__all__ = ["registry", "wss"]  # fixtures used by name


def test_pull_into_an_org_folder_beside_its_siblings(wss: tuple[Cli, Cli, Path, Path]) -> None:
    alice, bob, a, b = wss
    write_skill(a, "acme/report-kit")
    ok(alice("push", "--yes"))
    write_skill(b, "acme/other")  # bob's monorepo already has an acme/ org folder
    r = ok(bob("pull", "--json", "acme-report-kit"))
    assert js(r)["path"] == "acme/report-kit"
    assert (b / "acme" / "report-kit" / "SKILL.md").is_file()
    assert not (b / "acme-report-kit").exists()
    ok(bob("validate", "--strict", "acme/report-kit"))  # name == folder: no spec.name-mismatch
    assert states(bob, "acme-report-kit") == {"acme-report-kit": "unchanged"}


def test_pull_into_the_org_folder_the_slug_implies(wss: tuple[Cli, Cli, Path, Path]) -> None:
    alice, bob, a, b = wss
    write_skill(a, "acme/report-kit")
    ok(alice("push", "--yes"))
    ok(bob("pull", "acme-report-kit"))  # bob's workspace is empty
    assert (b / "acme" / "report-kit" / "SKILL.md").is_file()
    ok(bob("validate", "--strict"))
    assert states(bob) == {"acme-report-kit": "unchanged"}


def test_flat_layout_keeps_skills_folder(wss: tuple[Cli, Cli, Path, Path]) -> None:
    alice, bob, a, b = wss
    write_skill(a, "skills/helper")
    ok(alice("push", "--yes"))
    (b / "skills").mkdir()
    ok(bob("pull", "helper"))
    assert (b / "skills" / "helper" / "SKILL.md").is_file()
    assert states(bob) == {"helper": "unchanged"}


def test_default_dest_rules(tmp_path: Path) -> None:
    root = make_ws(tmp_path / "ws", "http://127.0.0.1:9")
    write_skill(root, "acme/one")
    write_skill(root, "acme/two")
    write_skill(root, "beta/three")
    ws = open_workspace(root)
    assert default_dest(ws, "acme-one", "one") == root / "acme" / "one"  # exists: its own folder
    assert default_dest(ws, "acme-new", "new") == root / "acme" / "new"  # beside its siblings
    assert default_dest(ws, "gamma-x", "x") == root / "gamma" / "x"  # the org the slug implies
    assert default_dest(ws, "solo", "solo") == root / "solo"  # flat: top level
    # a name that does not render back to the slug, or an unsafe one: the old fallback
    assert default_dest(ws, "acme-new", "other") == root / "acme-new"
    assert default_dest(ws, "acme-new", "../new") == root / "acme-new"
    assert default_dest(ws, "acme-new", None) == root / "acme-new"


def test_default_dest_never_nests_inside_a_skill(tmp_path: Path) -> None:
    root = make_ws(tmp_path / "ws", "http://127.0.0.1:9")
    write_skill(root, "acme")  # a skill folder named like the org
    ws = open_workspace(root)
    assert default_dest(ws, "acme-one", "one") == root / "acme-one"


def test_explicit_slug_mapping_wins(tmp_path: Path) -> None:
    root = make_ws(tmp_path / "ws", "http://127.0.0.1:9")
    (root / "skillsync.toml").write_text(
        (root / "skillsync.toml").read_text() + '\n[workspace.slugs]\n"tools/kit" = "acme-kit"\n'
    )
    ws = open_workspace(root)
    assert default_dest(ws, "acme-kit", "kit") == root / "tools" / "kit"
