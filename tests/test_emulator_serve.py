"""``skillsync serve`` as a real subprocess: first line has the URL and token; the server answers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import Cli


@contextmanager
def serve(cwd: Path, *args: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "skillsync", "serve", "--port", "0", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout=60)
    try:
        assert lines and lines[0], (
            f"no first line; stderr: {proc.stderr.read() if proc.poll() is not None else ''}"
        )  # type: ignore[union-attr]
        yield lines[0].strip(), proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_serve_prints_url_and_generated_token_and_serves(tmp_path: Path) -> None:
    with serve(tmp_path) as (line, _):
        head, url, token_part = line.split(" ")
        assert head == "serving" and url.startswith("http://127.0.0.1:")
        token = token_part.removeprefix("token=")
        assert token.startswith("seren_local_") and len(token) > 20
        r = httpx.get(url + "/organizations", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200 and r.json()["data"][0]["is_personal"] is True
        assert httpx.get(url + "/organizations").status_code == 401
    assert (tmp_path / ".skillsync" / "registry.sqlite3").is_file()  # default db under the workspace


def test_serve_json_with_given_token_db_and_seed(tmp_path: Path) -> None:
    seed = Path(__file__).resolve().parent / "data" / "registry-seed.json"
    db = tmp_path / "elsewhere" / "r.db"
    with serve(tmp_path, "--json", "--token", "my-token", "--db", str(db), "--seed", str(seed)) as (line, _):
        doc = json.loads(line)
        assert doc["format_version"] == "1" and doc["token"] == "my-token" and doc["db"] == str(db)
        r = httpx.get(doc["url"] + "/organizations", headers={"Authorization": "Bearer seren_local_alice"})
        assert {o["slug"] for o in r.json()["data"]} >= {"acme"}


def test_bad_seed_is_a_one_line_local_error(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text('{"organizations": [\n  {"name": "x"\n')
    result = Cli(tmp_path)("serve", "--port", "0", "--seed", str(seed))
    assert result.exit_code == 4
    assert "seed.json:3" in result.output and "Traceback" not in result.output


def test_seed_missing_field_names_the_entry(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"organizations": [{"name": "x", "owner": "a@example.com"}]}))
    result = Cli(tmp_path)("serve", "--port", "0", "--seed", str(seed))
    assert result.exit_code == 4 and "organizations[0]: missing 'slug'" in result.output


@pytest.mark.parametrize(
    ("seed", "where"),
    [
        ({"users": {"email": "a@example.com"}}, "users"),
        (
            {"organizations": [{"name": "x", "slug": "xx", "owner": "a@example.com", "members": "bob"}]},
            "organizations[0].members",
        ),
        (
            {
                "organizations": [
                    {"name": "x", "slug": "xx", "owner": "a@example.com", "private_chat_policy": []}
                ]
            },
            "organizations[0].private_chat_policy",
        ),
        (
            {
                "organizations": [
                    {
                        "name": "x",
                        "slug": "xx",
                        "owner": "a@example.com",
                        "publishers": [{"slug": "p", "payouts": [1]}],
                    }
                ]
            },
            "organizations[0].publishers[0].payouts",
        ),
    ],
)
def test_seed_of_the_wrong_shape_is_a_one_line_error(
    tmp_path: Path, seed: dict[str, object], where: str
) -> None:
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(seed))
    result = Cli(tmp_path)("serve", "--port", "0", "--seed", str(path))
    assert result.exit_code == 4
    assert where in result.output and "Traceback" not in result.output


def test_serve_reuses_the_embedded_registry_token_of_the_workspace(tmp_path: Path) -> None:
    """`skillsync serve` in a workspace shows what the embedded `local` remote pushed."""
    from tests.conftest import write_skill

    (tmp_path / "skillsync.toml").write_text("")
    write_skill(tmp_path, "skills/alpha")
    assert Cli(tmp_path)("push", "--yes").exit_code == 0
    token = (tmp_path / ".skillsync" / "local-token").read_text().strip()
    proc = subprocess.Popen(
        [sys.executable, "-m", "skillsync", "-C", str(tmp_path), "serve", "--port", "0", "--json"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        doc = json.loads(proc.stdout.readline())
        assert doc["token"] == token
        headers = {"Authorization": f"Bearer {token}"}
        orgs = httpx.get(doc["url"] + "/organizations", headers=headers).json()["data"]
        skills = httpx.get(f"{doc['url']}/organizations/{orgs[0]['id']}/custom-skills", headers=headers)
        assert [s["slug"] for s in skills.json()["data"]] == ["alpha"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
