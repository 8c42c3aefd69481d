"""The file-selection engine on real folders: sources and their order, `why`, symlinks, bad input."""

from __future__ import annotations

import json
import os
import socket
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skillsync import ignore, selection, workspace
from skillsync.errors import LocalError
from skillsync.selection import Rule, explain, select
from skillsync.workspace import Skill, Workspace, open_workspace
from tests.conftest import Cli, git, write_skill


def _ws(root: Path, toml: str = "") -> Workspace:
    (root / "skillsync.toml").write_text(toml)
    return open_workspace(root)


def _only(ws: Workspace) -> Skill:
    skills = ws.skills()
    assert len(skills) == 1
    return skills[0]


def _rels(ws: Workspace, skill: Skill | None = None) -> list[str]:
    return [f.rel for f in select(ws, skill or _only(ws))]


def test_builtin_excludes_never_ship(tmp_path: Path) -> None:
    extra = {
        ".git/config": "x",
        ".hg/store": "x",
        "__pycache__/m.cpython-311.pyc": b"\0",
        "lib/m.pyc": b"\0",
        "lib/m.py": "print(1)\n",
        ".DS_Store": b"\0",
        "scripts/.run.py.swp": b"\0",
        "scripts/run.py~": "old",
        "scripts/#run.py#": "auto",
        "scripts/run.py": "print(1)\n",
        "node_modules/x/index.js": "x",
        ".venv/bin/python": "x",
        "my-env/pyvenv.cfg": "home = /usr",
        "my-env/lib/site.py": "x",
        ".skillsync/state.json": "{}",
        ".skillignore": "# nothing\n",
    }
    write_skill(tmp_path, "skills/demo", extra=extra)
    ws = _ws(tmp_path)
    assert _rels(ws) == ["SKILL.md", "lib/m.py", "scripts/run.py"]
    skill = _only(ws)
    assert explain(ws, skill, "node_modules/x/index.js").rule == Rule("built-in", None, "node_modules/")
    assert explain(ws, skill, "lib/m.pyc").rule == Rule("built-in", None, "*.pyc")
    venv = explain(ws, skill, "my-env/lib/site.py")
    assert not venv.shipped and venv.rule is not None and venv.rule.source == "built-in"


def test_gitignore_above_skill_and_skillignore_reinclude(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / ".gitignore").write_text("# build output\ndist/\n*.log\n")
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / ".gitignore").write_text("notes.txt\n")
    write_skill(tmp_path, "acme/pdf", extra={
        "dist/app.js": "js", "run.log": "log", "keep.log": "log", "notes.txt": "n", "ok.txt": "ok",
        ".skillignore": "!dist/\n!keep.log\nok.txt\n",
    })  # fmt: skip
    ws = _ws(tmp_path)
    skill = _only(ws)
    assert _rels(ws) == ["SKILL.md", "dist/app.js", "keep.log"]
    assert explain(ws, skill, "run.log") == selection.Verdict(
        "run.log", False, Rule(".gitignore", 3, "*.log")
    )
    assert explain(ws, skill, "notes.txt").rule == Rule("acme/.gitignore", 1, "notes.txt")
    assert explain(ws, skill, "keep.log") == selection.Verdict(
        "keep.log", True, Rule("acme/pdf/.skillignore", 2, "!keep.log")
    )
    assert explain(ws, skill, "ok.txt").rule == Rule("acme/pdf/.skillignore", 3, "ok.txt")
    # git itself agrees about the .gitignore part
    shipped_by_git = git(tmp_path, "ls-files", "--others", "--exclude-standard", "acme/pdf").split()
    assert "acme/pdf/run.log" not in shipped_by_git and "acme/pdf/ok.txt" in shipped_by_git


def test_gitignore_switch_and_config_exclude(tmp_path: Path) -> None:
    write_skill(tmp_path, "demo", extra={"a.log": "x", "tests/t.py": "x", "b.py": "x"})
    (tmp_path / ".gitignore").write_text("*.log\n")
    on = _ws(tmp_path, '[selection]\nexclude = ["tests/"]\n')
    assert _rels(on) == ["SKILL.md", "b.py"]
    assert explain(on, _only(on), "tests/t.py").rule == Rule("config:selection.exclude", None, "tests/")
    off = _ws(tmp_path, "[selection]\ngitignore = false\n")
    assert _rels(off) == ["SKILL.md", "a.log", "b.py", "tests/t.py"]


def test_nested_skillignore_deeper_overrides_shallower(tmp_path: Path) -> None:
    write_skill(tmp_path, "demo", extra={
        ".skillignore": "*.txt\n", "a.txt": "x", "docs/b.txt": "x", "docs/.skillignore": "!b.txt\n",
    })  # fmt: skip
    ws = _ws(tmp_path)
    assert _rels(ws) == ["SKILL.md", "docs/b.txt"]


SECRETS = [".env", ".env.local", "certs/server.pem", "tls.key", "store.p12", "id_rsa", "id_rsa.pub",
           "id_ed25519", "credentials-prod.json", ".npmrc", ".pypirc",
           # issue 13: each of these shipped (with only a warning) before
           "prod.env", "config/staging.env", "aws/credentials", "credentials",
           "gcloud/application_default_credentials.json", "app.keystore", "release.jks", "cert.pfx",
           "id_ecdsa", "id_dsa", ".git-credentials", ".netrc"]  # fmt: skip


@pytest.mark.parametrize("rel", SECRETS)
def test_each_secret_name_is_denied_by_default_deny(tmp_path: Path, rel: str) -> None:
    write_skill(tmp_path, "demo", extra={rel: "aws_secret_access_key = x\n"})
    ws = _ws(tmp_path)
    assert _rels(ws) == ["SKILL.md"]
    decision = explain(ws, _only(ws), rel)
    assert not decision.shipped and decision.rule is not None and decision.rule.source == "default-deny"


def test_default_deny_lifted_only_by_config_allow(tmp_path: Path) -> None:
    extra: dict[str, bytes | str] = dict.fromkeys(SECRETS, "secret")
    extra[".env.example"] = "KEY="
    extra[".skillignore"] = "".join(f"!{s}\n" for s in SECRETS)  # a `!` must not lift the deny
    write_skill(tmp_path, "demo", extra=extra)
    ws = _ws(tmp_path)
    assert _rels(ws) == [".env.example", "SKILL.md"]
    deny = explain(ws, _only(ws), "certs/server.pem")
    assert deny == selection.Verdict("certs/server.pem", False, Rule("default-deny", None, "*.pem"))
    allowed = _ws(tmp_path, '[selection]\nallow = ["certs/*.pem", ".npmrc"]\n')
    assert _rels(allowed) == [".env.example", ".npmrc", "SKILL.md", "certs/server.pem"]
    lift = explain(allowed, _only(allowed), "certs/server.pem")
    assert lift.shipped and lift.rule == Rule("config:selection.allow", None, "certs/*.pem")


def test_sorted_by_utf8_bytes(tmp_path: Path) -> None:
    names = ["c", "B", "é", "z", "a-b", "a/b", "ä/x", "a.b"]
    write_skill(tmp_path, "demo", extra={n: "x" for n in names})
    rels = _rels(_ws(tmp_path))
    assert rels == sorted(rels, key=lambda r: r.encode("utf-8"))
    assert set(rels) == {"SKILL.md", *names}


# --- explain agrees with select, for every file of random trees -------------------------------

NAMES = ["a.txt", "b.md", ".env", "k.pem", "c.log", "x.pyc"]
DIRNAMES = ["d", "build", "node_modules"]
LINES = ["*.txt", "!a.txt", "build/", "!build/", "d/", "*.log", "!*.pem", "/b.md", "d/**", "!d/c.log"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    files=st.sets(
        st.tuples(st.lists(st.sampled_from(DIRNAMES), max_size=2).map(tuple), st.sampled_from(NAMES)),
        min_size=1,
    ),
    gitignore=st.lists(st.sampled_from(LINES), max_size=4),
    skillignore=st.lists(st.sampled_from(LINES), max_size=4),
    allow=st.lists(st.sampled_from(["*.pem", ".env"]), max_size=1),
)
def test_explain_agrees_with_select(
    tmp_path_factory: pytest.TempPathFactory,
    files: set[tuple[tuple[str, ...], str]],
    gitignore: list[str],
    skillignore: list[str],
    allow: list[str],
) -> None:
    root = tmp_path_factory.mktemp("ws")
    rels = {"/".join([*ds, n]) for ds, n in files}
    write_skill(root, "org/demo", extra={**dict.fromkeys(rels, "x"), ".skillignore": "\n".join(skillignore)})
    (root / ".gitignore").write_text("\n".join(gitignore))
    ws = _ws(root, f"[selection]\nallow = {json.dumps(allow)}\n")
    skill = _only(ws)
    shipped = set(_rels(ws, skill))
    for rel in [*rels, "SKILL.md", ".skillignore"]:
        decision = explain(ws, skill, rel)
        assert decision.shipped == (rel in shipped), (rel, decision)
        if not decision.shipped:
            assert decision.rule is not None


# --- the `why` command --------------------------------------------------------------------------


def test_why_cli_text_and_json(tmp_path: Path) -> None:
    write_skill(tmp_path, "acme/pdf", extra={"build/out.bin": b"\0", "run.py": "x", ".env": "K=1"})
    (tmp_path / "skillsync.toml").write_text("")
    (tmp_path / "acme" / ".gitignore").write_text("\nbuild/\n")
    cli = Cli(tmp_path / "acme")
    res = cli("why", "pdf/build/out.bin", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output) == {
        "format_version": "1",
        "path": "build/out.bin",
        "skill": "acme-pdf",
        "shipped": False,
        "rule": {"source": "acme/.gitignore", "line": 2, "pattern": "build/"},
    }
    res = cli("why", str(tmp_path / "acme/pdf/run.py"), "--json")
    assert json.loads(res.output)["shipped"] is True and json.loads(res.output)["rule"] is None
    res = cli("why", "pdf/.env")
    assert res.exit_code == 0 and "not shipped (default-deny: .env)" in res.output
    assert "selection.allow" in res.output


def test_why_outside_a_skill_is_a_usage_error(tmp_path: Path) -> None:
    write_skill(tmp_path, "acme/pdf")
    (tmp_path / "skillsync.toml").write_text("")
    (tmp_path / "README.md").write_text("x")
    res = Cli(tmp_path)("why", "README.md")
    assert res.exit_code == 2
    assert "README.md: not a path inside a skill folder" in res.output


# --- symlinks and special files -------------------------------------------------------------------


def test_symlink_inside_skill_ships_as_its_target(tmp_path: Path) -> None:
    skill_dir = write_skill(tmp_path, "demo", extra={"docs/guide.md": "guide", "shared/x.py": "x"})
    (skill_dir / "GUIDE.md").symlink_to("docs/guide.md")
    (skill_dir / "lib").symlink_to("shared", target_is_directory=True)
    ws = _ws(tmp_path)
    files = {f.rel: f.path for f in select(ws, _only(ws))}
    assert set(files) == {"GUIDE.md", "SKILL.md", "docs/guide.md", "lib/x.py", "shared/x.py"}
    assert files["GUIDE.md"].read_text() == "guide"


@pytest.mark.parametrize("target", ["../outside.md", "/etc/hostname", "missing.md"])
def test_escaping_or_dangling_symlink_is_an_error(tmp_path: Path, target: str) -> None:
    (tmp_path / "outside.md").write_text("x")
    skill_dir = write_skill(tmp_path, "demo")
    (skill_dir / "link.md").symlink_to(target)
    (tmp_path / "skillsync.toml").write_text("")
    res = Cli(tmp_path)("ls")
    assert res.exit_code == 4
    assert "demo/link.md" in res.output and target in res.output
    # excluded, the same link is fine
    (skill_dir / ".skillignore").write_text("link.md\n")
    assert Cli(tmp_path)("ls").exit_code == 0


def test_symlink_loop_is_an_error(tmp_path: Path) -> None:
    skill_dir = write_skill(tmp_path, "demo", extra={"sub/a.md": "x"})
    (skill_dir / "sub" / "back").symlink_to("..", target_is_directory=True)
    ws = _ws(tmp_path)
    with pytest.raises(LocalError, match=r"demo/sub/back: symlink loop"):
        select(ws, _only(ws))


def test_fifo_and_socket_are_errors_unless_excluded(tmp_path: Path) -> None:
    skill_dir = write_skill(tmp_path, "demo")
    os.mkfifo(skill_dir / "pipe")
    ws = _ws(tmp_path)
    with pytest.raises(LocalError, match=r"demo/pipe: not a regular file"):
        select(ws, _only(ws))
    (skill_dir / ".skillignore").write_text("pipe\n")
    assert _rels(ws) == ["SKILL.md"]
    sock_dir = write_skill(tmp_path / "s", "sock")  # short path: AF_UNIX paths are limited
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(sock_dir / "sk"))
        ws2 = _ws(tmp_path / "s")
        with pytest.raises(LocalError, match=r"sock/sk: not a regular file"):
            select(ws2, _only(ws2))


# --- bad names and unreadable input -------------------------------------------------------------


def test_name_not_utf8_is_an_error_naming_it(tmp_path: Path) -> None:
    skill_dir = write_skill(tmp_path, "demo")
    with open(os.path.join(os.fsencode(skill_dir), b"caf\xe9.md"), "wb") as fh:
        fh.write(b"x")
    (tmp_path / "skillsync.toml").write_text("")
    res = Cli(tmp_path)("ls")
    assert res.exit_code == 4
    assert "demo/caf\\xe9.md: file name is not valid UTF-8" in res.output
    assert "Traceback" not in res.output


def test_control_character_in_name_is_an_error(tmp_path: Path) -> None:
    write_skill(tmp_path, "demo", extra={"bad\x07name.md": "x"})
    ws = _ws(tmp_path)
    with pytest.raises(LocalError, match=r"demo/bad\\x07name\.md: file name contains a control character"):
        select(ws, _only(ws))


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Readme.md", "README.md"),
        (unicodedata.normalize("NFC", "café.md"), unicodedata.normalize("NFD", "café.md")),
    ],
)
def test_names_differing_only_in_case_or_normalisation(tmp_path: Path, first: str, second: str) -> None:
    write_skill(tmp_path, "demo", extra={first: "1", f"docs/{second}": "2", f"sub/{second}": "2"})
    (tmp_path / "demo" / "SUB").mkdir()
    (tmp_path / "demo" / "SUB" / "x").write_text("x")
    ws = _ws(tmp_path)
    with pytest.raises(LocalError, match=r"differ only in case or Unicode normalisation"):
        select(ws, _only(ws))


def test_folder_twins_collide_too(tmp_path: Path) -> None:
    write_skill(tmp_path, "demo", extra={"docs/a.md": "1", "Docs/b.md": "2"})
    ws = _ws(tmp_path)
    with pytest.raises(LocalError, match=r"demo/(Docs|docs) and demo/(docs|Docs)"):
        select(ws, _only(ws))


def test_unlistable_folder_injected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    skill_dir = write_skill(tmp_path, "demo", extra={"private/a.md": "x"})
    real = workspace.list_folder

    def deny(path: str) -> list[os.DirEntry[str]]:
        if path == str(skill_dir / "private"):
            raise PermissionError(13, "Permission denied", path)
        return real(path)

    monkeypatch.setattr(workspace, "list_folder", deny)  # discovery and selection both list here
    ws = _ws(tmp_path)
    with pytest.raises(LocalError, match=r"^demo/private: cannot list folder: Permission denied"):
        select(ws, _only(ws))


def test_unreadable_ignore_file_injected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_skill(tmp_path, "demo", extra={".skillignore": "x\n"})

    def deny(path: str, *_: str) -> ignore.IgnoreFile:
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(ignore, "load", deny)
    ws = _ws(tmp_path)
    with pytest.raises(LocalError, match=r"demo/\.skillignore: cannot read ignore file"):
        select(ws, _only(ws))


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads anything")
def test_unreadable_folder_real(tmp_path: Path) -> None:
    skill_dir = write_skill(tmp_path, "demo", extra={"private/a.md": "x"})
    (skill_dir / "private").chmod(0)
    try:
        (tmp_path / "skillsync.toml").write_text("")
        res = Cli(tmp_path)("ls")
        assert res.exit_code == 4 and "demo/private: cannot list folder" in res.output
    finally:
        (skill_dir / "private").chmod(0o755)


def test_ignore_files_compiled_once_until_changed(tmp_path: Path) -> None:
    path = tmp_path / ".gitignore"
    path.write_text("a\n")
    first = ignore.load(str(path), ".gitignore", "")
    assert ignore.load(str(path), ".gitignore", "") is first
    path.write_text("a\nb\n")
    os.utime(path, ns=(1, 1))
    second = ignore.load(str(path), ".gitignore", "")
    assert [p.text for p in second.patterns] == ["a", "b"]


def test_catastrophic_skillignore_patterns_do_not_hang(tmp_path: Path) -> None:
    """`**/**/...`, `*a*a*a...b`, `**/a/**/a/...b` once backtracked exponentially; `ls` answers."""
    folder = write_skill(tmp_path, "skills/alpha", extra={"/".join(["a"] * 34) + "/f": "x", "a" * 60: "y"})
    (folder / ".skillignore").write_text(
        "**/" * 40 + "x\n" + "*a" * 30 + "b\n" + "**/a/" * 17 + "b\n" + "a" * 100_000 + "\n"
    )
    import subprocess
    import sys

    # A hang guard (generous), not a speed assertion: before the fix this ran for hours.
    proc = subprocess.run(
        [sys.executable, "-m", "skillsync", "ls", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["skills"][0]["files"] == 3


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="*ab/?", min_size=1, max_size=16), st.text(alphabet="ab/", max_size=14))
def test_atomic_star_chunks_match_the_same_paths(pat: str, text: str) -> None:
    import re

    fast = ignore.translate(pat)
    saved = ignore._atomic_stars, ignore._atomic_dirs
    try:
        ignore._atomic_stars = ignore._atomic_dirs = lambda out: out  # type: ignore[assignment]
        slow = ignore.translate(pat)
    finally:
        ignore._atomic_stars, ignore._atomic_dirs = saved  # type: ignore[assignment]
    assert fast is not None and slow is not None
    assert bool(re.fullmatch(fast, text, re.DOTALL)) == bool(re.fullmatch(slow, text, re.DOTALL))


def test_fifo_ignore_file_is_an_error_not_a_hang(tmp_path: Path) -> None:
    folder = write_skill(tmp_path, "skills/alpha")
    os.mkfifo(folder / ".skillignore")
    result = Cli(tmp_path)("ls")
    assert result.exit_code == 4
    assert "skills/alpha/.skillignore: cannot read ignore file: not a regular file" in result.output


def test_first_walk_reuses_discovery_listings_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Discovery already listed every folder: the first walk of a skill lists nothing again,
    and a later walk in the same process lists afresh (so it sees files added since)."""
    write_skill(tmp_path, "skills/demo", extra={"sub/a.md": "a", "b.md": "b"})
    ws = _ws(tmp_path)
    skill = _only(ws)
    real = workspace.list_folder
    listed: list[str] = []

    def counting(path: str) -> list[os.DirEntry[str]]:
        listed.append(path)
        return real(path)

    monkeypatch.setattr(workspace, "list_folder", counting)
    assert [f.rel for f in select(ws, skill)] == ["SKILL.md", "b.md", "sub/a.md"]
    assert listed == []
    (skill.path / "sub" / "c.md").write_text("c")
    assert [f.rel for f in select(ws, skill)] == ["SKILL.md", "b.md", "sub/a.md", "sub/c.md"]
    assert sorted(listed) == [str(skill.path), str(skill.path / "sub")]


def test_cached_walk_never_uses_discovery_listings(tmp_path: Path) -> None:
    """A walk recorded in the stat cache stamps each folder before listing it, so it must not
    take the (older) discovery listing: a file added after discovery is seen."""
    from skillsync.manifest import build_manifest

    write_skill(tmp_path, "skills/demo", extra={"a.md": "a"})
    ws = _ws(tmp_path)
    skill = _only(ws)
    (skill.path / "new.md").write_text("new")
    assert [e.rel for e in build_manifest(ws, skill).entries] == ["SKILL.md", "a.md", "new.md"]
    assert ws.listing(str(skill.path)) is None  # dropped, not held for the rest of the run
