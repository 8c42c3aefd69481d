"""Issue 13, unpacker: bounded headers, output size and entry count; control characters in names.

Each case goes through the real `skillsync unpack` command: exit 4, a one-line message, nothing
written (no destination, no leftover temp folder).
"""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.hostile_server import tar_gz

SKILL = b"---\nname: x\ndescription: y\n---\n"


def _archive(path: Path, members: list[tuple[tarfile.TarInfo, bytes]], fmt: int = tarfile.GNU_FORMAT) -> Path:
    path.write_bytes(tar_gz(members, fmt))
    return path


def _refused(tmp_path: Path, archive: Path, *options: str) -> str:
    result = Cli(tmp_path)("unpack", str(archive), "out", *options)
    assert result.exit_code == 4, result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.unpack-")]
    return result.output


def test_a_huge_pax_record_is_refused_before_it_is_read(tmp_path: Path) -> None:
    info = tarfile.TarInfo("SKILL.md")
    info.pax_headers = {"comment": "x" * (3 << 20)}  # 3 MiB of header in a few KiB of archive
    archive = _archive(tmp_path / "pax.tar.gz", [(info, SKILL)], fmt=tarfile.PAX_FORMAT)
    assert archive.stat().st_size < 64 * 1024
    out = _refused(tmp_path, archive)
    assert "extended tar header" in out and "limit 1048576" in out


def test_a_huge_gnu_long_name_is_refused_before_it_is_read(tmp_path: Path) -> None:
    archive = _archive(tmp_path / "long.tar.gz", [(tarfile.TarInfo("a/" * (1 << 20) + "x"), b"x")])
    assert "extended tar header" in _refused(tmp_path, archive)


def test_output_size_is_bounded_before_writing(tmp_path: Path) -> None:
    bomb = _archive(
        tmp_path / "bomb.tar.gz",
        [(tarfile.TarInfo("SKILL.md"), SKILL), (tarfile.TarInfo("z"), bytes(8 << 20))],
    )
    assert bomb.stat().st_size < 64 * 1024
    out = _refused(tmp_path, bomb, "--max-bytes", str(1 << 20))
    assert "'z'" in out and "more than 1048576 bytes" in out
    ok = Cli(tmp_path)("unpack", str(bomb), "fine", "--max-bytes", str(9 << 20))
    assert ok.exit_code == 0, ok.output


def test_entry_count_is_bounded(tmp_path: Path) -> None:
    many = _archive(tmp_path / "many.tar.gz", [(tarfile.TarInfo(f"f{i}"), b"") for i in range(50)])
    assert "more than 10 entries" in _refused(tmp_path, many, "--max-files", "10")


@pytest.mark.parametrize(
    "name", ["a\x1b[31mred.md", "new\nline.md", "tab\there.md", "c1\x9b.md", "del\x7f.md"]
)
def test_names_with_control_characters_are_refused_as_selection_refuses_them(
    tmp_path: Path, name: str
) -> None:
    archive = _archive(
        tmp_path / "ctl.tar.gz", [(tarfile.TarInfo("SKILL.md"), SKILL), (tarfile.TarInfo(name), b"x")]
    )
    out = _refused(tmp_path, archive)
    assert "control character" in out and "\x1b" not in out and "\n" not in out.strip()
