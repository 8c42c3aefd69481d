"""Issue 13, item 3: validate and push agree on frontmatter values YAML 1.1 turns into dates or ints.

``2001-02-30`` (an impossible date) and a 5,000-digit integer used to pass ``validate`` and crash
every ``push`` (exit 70); now they are a ``spec.yaml-value`` error, push is blocked (exit 1), and the
registry answers a direct upload with a 400 JSON error instead of a plain-text 500.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from skillsync import skillmd
from skillsync.emulator import create_app
from tests.conftest import Cli
from tests.emulator_helpers import client, files
from tests.emulator_server import serve_app

BAD = {
    "invalid date": "2001-02-30",
    "huge integer": "9" * 5000,
    "integer past 64 bits": str(2**64),
    "negative past 64 bits": str(-(2**63) - 1),
}


def _skill(tmp_path: Path, value: str) -> Path:
    folder = tmp_path / "hello"
    folder.mkdir(parents=True)
    (folder / "SKILL.md").write_text(
        f"---\nname: hello\ndescription: Says hello.\nmetadata:\n  released: {value}\n---\n# Hello\n"
    )
    return folder


@pytest.mark.parametrize("case", ["invalid date", "huge integer"])
def test_validate_finds_it_and_push_is_blocked_not_crashed(tmp_path: Path, case: str) -> None:
    _skill(tmp_path, BAD[case])
    cli = Cli(tmp_path)
    checked = cli("validate", "--json")
    assert checked.exit_code == 1, checked.output
    rules = [f["rule"] for s in json.loads(checked.output)["skills"] for f in s["findings"]]
    assert rules == ["spec.yaml-value"]
    pushed = cli("push", "--yes")
    assert pushed.exit_code == 1, pushed.output  # was 70
    assert "blocked" in pushed.output and "internal error" not in pushed.output


@pytest.mark.parametrize(
    "value", ["'2001-02-30'", '"99999"', "2001-02-28", "12", str(2**64 - 1), str(-(2**63)), "1e999"]
)
def test_quoted_or_representable_values_pass(value: str) -> None:
    md = skillmd.parse(f"---\nname: hello\ndescription: Says hello.\nmetadata:\n  released: {value}\n---\n")
    assert md.problems == []


@given(st.integers())
def test_integers_agree_with_the_64_bit_bound(n: int) -> None:
    fits = -(2**63) <= n <= 2**64 - 1
    assert (skillmd.unrepresentable(str(n)) is None) == fits


@pytest.mark.parametrize("case", ["invalid date", "huge integer", "integer past 64 bits"])
def test_registry_answers_a_direct_upload_with_a_json_400(tmp_path: Path, case: str) -> None:
    md = f"---\nname: demo\ndescription: A demo.\nmetadata:\n  released: {BAD[case]}\n---\n# Demo\n"
    with serve_app(create_app(tmp_path / "r.db", tokens=["t1"])) as url, client(url) as c:
        org = c.get("/organizations").json()["data"][0]["id"]
        body = {"slug": "demo", "display_name": "Demo", "initial_revision": {"files": files(skill_md=md)}}
        r = c.post(f"/organizations/{org}/custom-skills", json=body)
    assert r.status_code == 400, r.text  # was a plain-text 500
    assert r.json()["error"] == "invalid_skill_md" and "quote it" in r.json()["message"]
