"""The templates ship: a wheel built from this checkout, installed in a fresh virtual environment,
scaffolds every built-in template without the checkout on the path."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from skillsync.template_catalog import list_templates

REPO = Path(__file__).resolve().parent.parent


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done


@pytest.mark.slow
def test_wheel_ships_templates_and_new_works_for_each(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, REPO)
    (wheel,) = dist.glob("skillsync-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    builtins = [t.name for t in list_templates()]
    for name in builtins:
        assert f"skillsync/templates/{name}/template.toml" in names
        assert f"skillsync/templates/{name}/SKILL.md" in names

    # A fresh venv without pip; the wheel goes in with this pip, the dependencies come from the
    # test environment's site-packages through a .pth file (its editable .pth is NOT processed,
    # so the checkout's src/ stays off the path).
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    py = venv / "bin" / "python"
    purelib = Path(run(py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    (purelib / "zz_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(sys.executable, "-m", "pip", "--python", py, "install", "--no-deps", "-q", wheel)
    where = run(
        py,
        "-c",
        "import skillsync.template_catalog as s; print(s.__file__); print(s.builtin_templates_dir())",
    )
    module_file, templates_dir = where.stdout.split()
    assert Path(module_file).is_relative_to(venv) and Path(templates_dir).is_relative_to(venv)

    exe = venv / "bin" / "skillsync"
    ws = tmp_path / "ws"
    ws.mkdir()
    run(exe, "init", cwd=ws)
    listed = json.loads(run(exe, "templates", "--json", cwd=ws).stdout)
    assert sorted(t["name"] for t in listed["templates"]) == builtins
    assert {t["source"] for t in listed["templates"]} == {"built-in"}
    for name in builtins:
        doc = json.loads(run(exe, "new", f"acme/t-{name}", "-t", name, "--no-input", "--json", cwd=ws).stdout)
        folder = ws / doc["skill"]["path"]
        assert folder == ws / "acme" / f"t-{name}"
        assert sorted(doc["files"]) == sorted(
            p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()
        )
        assert (folder / "SKILL.md").read_text().startswith(f"---\nname: t-{name}\n")
        assert not (folder / "template.toml").exists()
    assert (ws / "acme" / "t-api-client" / ".env.example").is_file()
