"""Issue 13, client side: a hostile remote (real HTTP on 127.0.0.1) gets a remote error, never a crash.

Every malformed answer is refused at the boundary (exit 3, naming the remote and the field); JSON
answers and bundles are bounded while they stream; a non-ASCII key is a usage error.
"""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from tests.conftest import Cli, write_skill
from tests.hostile_server import SKILL_MD, Hostile, file_meta, hostile_remote, tar_gz

KEY = "seren_hostile_test_key"


def _ws(tmp_path: Path, url: str) -> Cli:
    ws = tmp_path / "ws"
    ws.mkdir(exist_ok=True)
    (ws / "skillsync.toml").write_text(
        f'[remote]\ndefault = "evil"\norg = "hostile"\n\n[remotes.evil]\nurl = "{url}"\nretries = 0\n'
    )
    write_skill(ws, "hello")
    return Cli(ws)


BAD_FILES = {
    "duplicate path": ([file_meta("SKILL.md"), file_meta("SKILL.md")], "files"),
    "short sha256": ([file_meta("SKILL.md", sha256="abc")], "sha256"),
    "negative size": ([file_meta("SKILL.md", size_bytes=-1)], "size_bytes"),
    "size 2^70": ([file_meta("SKILL.md", size_bytes=2**70)], "size_bytes"),
    "empty path": ([file_meta("")], "relative_path"),
    "escape in path": ([file_meta("SKILL.md"), file_meta("a\x1b[2Jb.md")], "relative_path"),
}


CASES = [(case, ("pull", "hello", "out")) for case in sorted(BAD_FILES)] + [
    ("duplicate path", ("status",)),
    ("size 2^70", ("push", "--dry-run")),
]


@pytest.mark.parametrize(("case", "command"), CASES)
def test_malformed_file_list_is_a_remote_error_naming_the_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str, command: tuple[str, ...]
) -> None:
    monkeypatch.setenv("SEREN_API_KEY", KEY)
    files, field = BAD_FILES[case]
    with hostile_remote(Hostile(files=files)) as url:
        result = _ws(tmp_path, url)(*command)
    assert result.exit_code == 3, result.output  # was 70 (ValueError in tree_digest) or a written file
    assert "evil:" in result.output and field in result.output, result.output
    assert "internal error" not in result.output and "upgrade skillsync" not in result.output
    assert not (tmp_path / "ws" / "out").exists()


def test_oversized_json_answer_stops_at_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from skillsync.remote import client

    monkeypatch.setenv("SEREN_API_KEY", KEY)
    monkeypatch.setattr(client, "MAX_JSON_ANSWER_BYTES", 1 << 20)
    h = Hostile(pad_bytes=8 << 20)
    with hostile_remote(h) as url:
        result = _ws(tmp_path, url)("pull", "hello", "out")
    assert result.exit_code == 3, result.output
    assert f"exceeds {1 << 20} bytes" in result.output


def test_bundle_larger_than_the_revision_declares_is_refused_while_streaming(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEREN_API_KEY", KEY)
    h = Hostile(bundle_zeros=32 << 20)  # 32 MiB for a revision of one small file
    with hostile_remote(h) as url:
        result = _ws(tmp_path, url)("pull", "hello", "out")
    assert result.exit_code == 3, result.output
    assert "the bundle exceeds" in result.output and not (tmp_path / "ws" / "out").exists()


def test_bundle_with_a_huge_pax_header_is_refused_before_reading_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEREN_API_KEY", KEY)
    info = tarfile.TarInfo("SKILL.md")
    info.pax_headers = {"comment": "x" * (2 << 20)}  # compresses to a few KiB
    bundle = tar_gz([(info, SKILL_MD)], fmt=tarfile.PAX_FORMAT)
    assert len(bundle) < 64 * 1024
    with hostile_remote(Hostile(bundle=bundle)) as url:
        result = _ws(tmp_path, url)("pull", "hello", "out")
    assert result.exit_code == 4, result.output
    assert "extended tar header" in result.output and not (tmp_path / "ws" / "out").exists()


def test_pull_of_a_good_bundle_still_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEREN_API_KEY", KEY)
    bundle = tar_gz([(tarfile.TarInfo("SKILL.md"), SKILL_MD)])
    with hostile_remote(Hostile(bundle=bundle)) as url:
        result = _ws(tmp_path, url)("pull", "hello", "out")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "ws" / "out" / "SKILL.md").read_bytes() == SKILL_MD


@pytest.mark.parametrize("key", ["seren_clé", "seren_\u201ckey\u201d"])
def test_non_ascii_key_is_a_usage_error_that_never_prints_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    with hostile_remote(Hostile()) as url:
        cli = _ws(tmp_path, url)
        monkeypatch.setenv("SEREN_API_KEY", key)
        env_result = cli("status")
        monkeypatch.delenv("SEREN_API_KEY")
        login = cli("login", "--remote", "evil", "--with-key-stdin", input=key + "\n")
    for result in (env_result, login):
        assert result.exit_code == 2, result.output  # was 70 (UnicodeEncodeError)
        assert "non-ASCII" in result.output and key not in result.output
    assert "SEREN_API_KEY" in env_result.output
