"""`init --ci github`: the workflow parses, has the jobs docs/ci.md promises, and its skillsync
steps run as written (bash, in the workflow's working directory) against the embedded registry."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from tests.conftest import Cli, git, write_skill

SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"


def _workflow(repo: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((repo / ".github" / "workflows" / "skillsync.yml").read_text())
    data["on"] = data.pop(True)  # YAML 1.1 reads the key `on` as a boolean
    return data


def _skillsync_steps(job: dict[str, Any]) -> list[str]:
    return [s["run"] for s in job["steps"] if "run" in s and s["run"].startswith("skillsync ")]


class _Done:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def _run(script: str, cwd: Path, temp: Path) -> _Done:
    """Run one `run:` script: a plain `skillsync ...` command in process (the suite must stay
    fast), anything with shell syntax through bash as the runner would."""
    if not any(c in script for c in "<>|&;$\"\'"):
        r = Cli(cwd)(*shlex.split(script)[1:])
        return _Done(r.exit_code, r.stdout, r.stderr)
    bin_dir = Path(sys.executable).parent
    env = {k: v for k, v in os.environ.items() if k != "SEREN_API_KEY"}  # no secret: embedded registry
    env |= {"RUNNER_TEMP": str(temp), "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"}
    done = subprocess.run(["bash", "-e", "-c", script], cwd=cwd, env=env, capture_output=True, text=True)
    return _Done(done.returncode, done.stdout, done.stderr)


def test_workflow_shape(git_repo: Path) -> None:
    result = Cli(git_repo)("init", "content", "--ci", "github", "--json")
    assert result.exit_code == 0, result.stderr
    actions = {f["path"]: f["action"] for f in json.loads(result.stdout)["files"]}
    assert actions["../.github/workflows/skillsync.yml"] == "created"
    wf = _workflow(git_repo)
    assert set(wf["on"]) >= {"pull_request", "push"}
    assert wf["defaults"]["run"]["working-directory"] == "content"
    validate, drift, publish = wf["jobs"]["validate"], wf["jobs"]["drift"], wf["jobs"]["publish"]
    assert validate["permissions"]["security-events"] == "write"
    upload = next(s for s in validate["steps"] if "codeql-action/upload-sarif" in s.get("uses", ""))
    assert upload["with"]["sarif_file"].endswith("/skillsync.sarif") and upload["if"] == "always()"
    assert "skillsync validate --format github" in _skillsync_steps(validate)
    assert drift["if"] == "github.event_name == 'pull_request'"
    assert "skillsync status" in _skillsync_steps(drift)
    assert "default_branch" in publish["if"] and "github.event_name == 'push'" in publish["if"]
    assert publish["env"]["SEREN_API_KEY"] == "${{ secrets.SEREN_API_KEY }}"
    assert drift["env"]["SEREN_API_KEY"] == "${{ secrets.SEREN_API_KEY }}"
    assert _skillsync_steps(publish) == ["skillsync push --publish --yes", "skillsync status --exit-code"]
    assert "SEREN_API_KEY" not in json.dumps(validate)  # validation needs no secret
    # Running init again keeps the (possibly edited) workflow.
    again = Cli(git_repo)("init", "content", "--ci", "github", "--force", "--json")
    assert {f["path"]: f["action"] for f in json.loads(again.stdout)["files"]}[
        "../.github/workflows/skillsync.yml"
    ] == "unchanged"


def test_workflow_steps_run_against_the_embedded_registry(git_repo: Path, tmp_path: Path) -> None:
    assert Cli(git_repo)("init", "content", "--ci", "github").exit_code == 0
    ws = git_repo / "content"
    write_skill(ws, "skills/report")
    git(git_repo, "add", "-A")
    wf = _workflow(git_repo)
    cwd = git_repo / wf["defaults"]["run"]["working-directory"]
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    schema = json.loads(SCHEMA.read_text())

    for job in ("validate", "drift", "publish"):
        for script in _skillsync_steps(wf["jobs"][job]):
            done = _run(script, cwd, temp)
            assert done.returncode == 0, (script, done.stdout, done.stderr)
    jsonschema.Draft4Validator(schema).validate(json.loads((temp / "skillsync.sarif").read_text()))

    # A pull request that breaks a skill: the SARIF step passes (the report is uploaded), the
    # annotations step fails the job and names the file from the repository root.
    bad = "---\nname: report\ndescription: Use when: x\n---\n# R\n"
    (ws / "skills" / "report" / "SKILL.md").write_text(bad)
    sarif_step, annotations_step = _skillsync_steps(wf["jobs"]["validate"])
    assert _run(sarif_step, cwd, temp).returncode == 0
    log = json.loads((temp / "skillsync.sarif").read_text())
    jsonschema.Draft4Validator(schema).validate(log)
    assert log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "content/skills/report/SKILL.md"
    )
    failed = _run(annotations_step, cwd, temp)
    assert failed.returncode == 1 and "::error file=content/skills/report/SKILL.md,line=3," in failed.stdout

    # Drift: the published skill changed here without a push -> the drift check fails.
    drift_check = _skillsync_steps(wf["jobs"]["publish"])[-1]
    assert _run(drift_check, cwd, temp).returncode == 1
