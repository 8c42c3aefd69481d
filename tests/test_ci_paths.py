"""CI formats name files the way CI resolves them: from the git top level, SARIF valid and encoded.

A workspace in a subfolder of a real git repository: GitHub annotations and SARIF results must
name `sub/.../SKILL.md`, not a workspace-relative path that lands on no line of a pull request.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from urllib.parse import urljoin, urlparse
from urllib.request import url2pathname

import jsonschema
import pytest

from tests.conftest import Cli, write_skill

SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
BAD_MD = "---\nname: report\ndescription: Use when: asked\n---\n# Report\n"
# Empty files give one files.empty finding each; their names need percent-encoding in a URI.
ODD_NAMES = ["my notes.md", "100%.md", "a#b.md", "why?.md", "café.md"]


def _workspace(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "skillsync.toml").write_text("")
    skill = write_skill(folder, "skills/report", extra={f"references/{n}": "" for n in ODD_NAMES})
    (skill / "SKILL.md").write_text(BAD_MD)
    return skill


def _sarif(cwd: Path, *args: str) -> dict[str, object]:
    result = Cli(cwd)("validate", "--format", "sarif", *args)
    assert result.exit_code == 1, result.stderr
    log: dict[str, object] = json.loads(result.output)
    jsonschema.Draft4Validator(json.loads(SCHEMA.read_text())).validate(log)
    return log


def _resolved(log: dict[str, object]) -> list[Path]:
    """Every result's file, resolved through originalUriBaseIds as a SARIF consumer does."""
    (run,) = log["runs"]  # type: ignore[misc]
    bases = {k: v["uri"] for k, v in run["originalUriBaseIds"].items()}
    out = []
    for res in run["results"]:
        loc = res["locations"][0]["physicalLocation"]["artifactLocation"]
        assert " " not in loc["uri"] and "#" not in loc["uri"] and "?" not in loc["uri"]
        assert loc["uri"].isascii()
        url = urljoin(bases[loc["uriBaseId"]], loc["uri"])
        out.append(Path(url2pathname(urlparse(url).path)))
    return out


@pytest.mark.parametrize("run_in", ["workspace", "skill", "top"])
def test_paths_are_relative_to_the_git_top_level(git_repo: Path, run_in: str) -> None:
    ws = git_repo / "content" / "my skills"
    skill = _workspace(ws)
    cwd = {"workspace": ws, "skill": skill, "top": git_repo}[run_in]
    args = ("content/my skills",) if run_in == "top" else ()

    annotations = Cli(cwd)("validate", "--format", "github", *args).output.splitlines()
    assert annotations[0].startswith(
        "::error file=content/my skills/skills/report/SKILL.md,line=3,title=spec.needs-quotes::"
    )
    assert any("file=content/my skills/skills/report/references/my notes.md," in a for a in annotations)

    log = _sarif(cwd, *args)
    (run,) = log["runs"]  # type: ignore[misc]
    assert run["originalUriBaseIds"]["SRCROOT"]["uri"] == git_repo.as_uri() + "/"
    first = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert first == {"uri": "content/my%20skills/skills/report/SKILL.md", "uriBaseId": "SRCROOT"}
    files = _resolved(log)
    assert {p.name for p in files} == {"SKILL.md", *ODD_NAMES}
    assert all(p.is_file() for p in files)
    # git agrees: these are the paths it knows the files by.
    subprocess.run(["git", "add", "-A"], cwd=git_repo, check=True)
    listed = subprocess.run(
        ["git", "-c", "core.quotePath=false", "ls-files"], cwd=git_repo, capture_output=True, text=True
    ).stdout.splitlines()
    assert "content/my skills/skills/report/references/my notes.md" in listed


def test_outside_git_paths_are_relative_to_the_workspace(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    _workspace(ws)
    annotations = Cli(ws)("validate", "--format", "github").output.splitlines()
    assert annotations[0].startswith("::error file=skills/report/SKILL.md,line=3,")
    log = _sarif(ws)
    (run,) = log["runs"]  # type: ignore[misc]
    assert run["originalUriBaseIds"]["SRCROOT"]["uri"] == ws.as_uri() + "/"
    assert all(p.is_file() for p in _resolved(log))


def test_sarif_with_no_findings_is_valid(tmp_path: Path) -> None:
    (tmp_path / "skillsync.toml").write_text("")
    write_skill(tmp_path, "skills/fine")
    result = Cli(tmp_path)("validate", "--format", "sarif")
    assert result.exit_code == 0
    jsonschema.Draft4Validator(json.loads(SCHEMA.read_text())).validate(json.loads(result.output))
