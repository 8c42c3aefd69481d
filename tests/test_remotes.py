"""Remote resolution, credentials storage, URL safety, organization choice and the local token."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from skillsync.config import parse_config
from skillsync.errors import LocalError, UsageError
from skillsync.remote import credentials
from skillsync.remote.errors import NotLoggedIn
from skillsync.remote.models import Organization
from skillsync.remote.remotes import (
    SEREN_URL,
    OrgCache,
    api_key,
    check_url,
    default_remote,
    local_token,
    pick_organization,
    resolve_remote,
)


def cfg(data: dict[str, Any] | None = None) -> Any:
    return parse_config(data or {}, "skillsync.toml")


# -- default remote --------------------------------------------------------------------------------


def test_local_is_the_default_until_seren_is_set_up() -> None:
    assert default_remote(cfg(), {}) == "local"
    assert default_remote(cfg(), {"SEREN_API_KEY": "seren_x"}) == "seren"
    assert default_remote(cfg(), {"SEREN_API_HOST": "api.example.test"}) == "seren"
    credentials.store_key("seren", "seren_stored")
    assert default_remote(cfg(), {}) == "seren"


def test_configured_default_wins() -> None:
    config = cfg({"remote": {"default": "local"}})
    credentials.store_key("seren", "seren_stored")
    assert default_remote(config, {"SEREN_API_KEY": "k"}) == "local"
    assert resolve_remote(config, None, env={"SEREN_API_HOST": "h.test"}).embedded


def test_resolution_of_builtins_and_configured_remotes() -> None:
    config = cfg(
        {
            "remotes": {
                "staging": {"url": "https://staging.example.test/", "org": "team", "timeout": 5, "retries": 1}
            },
            "remote": {"org": "fallback"},
        }
    )
    seren = resolve_remote(config, "seren", env={})
    assert (seren.url, seren.org, seren.retries) == (SEREN_URL, "fallback", 4)
    assert seren.display() == f"seren ({SEREN_URL})"
    staging = resolve_remote(config, "staging", env={})
    assert (staging.url, staging.org, staging.timeout, staging.retries) == (
        "https://staging.example.test",
        "team",
        5.0,
        1,
    )
    assert resolve_remote(config, "staging", org="other", env={}).org == "other"
    local = resolve_remote(config, "local", env={"SEREN_API_HOST": "ignored.test"})
    assert local.embedded
    assert local.display() == "local (embedded, .skillsync/registry.sqlite3)"
    with pytest.raises(UsageError, match=r"unknown remote 'nope' \(known: local, seren, staging\)"):
        resolve_remote(config, "nope", env={})


def test_seren_api_host_overrides_the_url() -> None:
    config = cfg({"remotes": {"staging": {"url": "https://staging.example.test"}}})
    assert (
        resolve_remote(config, None, env={"SEREN_API_HOST": "api.other.test"}).url == "https://api.other.test"
    )
    assert resolve_remote(config, None, env={"SEREN_API_HOST": "http://127.0.0.1:9"}).name == "seren"
    assert resolve_remote(config, "staging", env={"SEREN_API_HOST": "https://x.test"}).url == "https://x.test"


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:80", "https://api.serendb.com/"]
)
def test_urls_accepted(url: str) -> None:
    assert check_url(url, "test") == url.rstrip("/")


@pytest.mark.parametrize(
    "url", ["http://api.serendb.com", "http://10.0.0.1:80", "ftp://x.test", "api.serendb.com"]
)
def test_plain_http_to_other_hosts_is_refused(url: str) -> None:
    with pytest.raises(UsageError) as info:
        check_url(url, "[remotes.x] url")
    assert url in str(info.value)
    assert info.value.exit_code == 2


def test_env_plain_http_is_refused() -> None:
    with pytest.raises(UsageError, match=r"refusing plain http:// .*http://evil\.test"):
        resolve_remote(cfg(), None, env={"SEREN_API_HOST": "http://evil.test"})


# -- keys ------------------------------------------------------------------------------------------


def test_env_key_wins_over_stored_key_and_missing_key_is_an_error() -> None:
    seren = resolve_remote(cfg(), "seren", env={})
    with pytest.raises(NotLoggedIn, match="skillsync login --remote seren"):
        api_key(seren, {})
    credentials.store_key("seren", "seren_stored")
    assert api_key(seren, {}) == ("seren_stored", "stored")
    assert api_key(seren, {"SEREN_API_KEY": "seren_env"}) == ("seren_env", "env")


def test_credentials_file_is_private_and_round_trips() -> None:
    path = credentials.store_key("seren", "seren_one")
    credentials.store_key("staging", "seren_two")
    assert path == Path(os.environ["XDG_CONFIG_HOME"]) / "skillsync" / "credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert credentials.get_key("seren") == "seren_one"
    assert credentials.stored_remotes() == ["seren", "staging"]
    assert credentials.delete_key("seren") is True
    assert credentials.delete_key("seren") is False
    assert credentials.get_key("seren") is None
    assert credentials.get_key("staging") == "seren_two"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_damaged_credentials_file_names_the_file() -> None:
    path = credentials.credentials_path()
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    with pytest.raises(LocalError, match=r"credentials\.json: credentials file is damaged"):
        credentials.get_key("seren")


# -- organizations ---------------------------------------------------------------------------------


def _org(slug: str, personal: bool, n: int) -> Organization:
    return Organization(
        id=f"00000000-0000-4000-8000-00000000000{n}",
        name=slug.title(),
        slug=slug,
        is_personal=personal,
        created_by="00000000-0000-4000-8000-000000000000",
        created_at="t",
        updated_at="t",
    )


def test_org_resolution() -> None:
    me, team, other = _org("me", True, 1), _org("team", False, 2), _org("other", False, 3)
    assert pick_organization([team, me], None, "seren") is me
    assert pick_organization([team, me], "default", "seren") is me
    assert pick_organization([team], None, "seren") is team
    assert pick_organization([team, me], "team", "seren") is team
    assert pick_organization([team, me], team.id, "seren") is team
    with pytest.raises(UsageError) as info:
        pick_organization([team, other], None, "seren")
    assert f"team ({team.id})" in str(info.value) and f"other ({other.id})" in str(info.value)
    with pytest.raises(UsageError, match="no organization 'nope'"):
        pick_organization([team, me], "nope", "seren")


def test_org_cache_keys_by_account_without_storing_the_key(tmp_path: Path) -> None:
    remote = resolve_remote(cfg(), "seren", env={})
    cache = OrgCache(tmp_path / ".skillsync")
    cache.put("x", "y")
    assert not (tmp_path / ".skillsync").exists()  # no state folder, no cache file
    (tmp_path / ".skillsync").mkdir()
    a, b = OrgCache.entry(remote, None, "seren_key_a"), OrgCache.entry(remote, None, "seren_key_b")
    assert a != b
    cache.put(a, "org-a")
    assert cache.get(a) == "org-a"
    assert cache.get(b) is None
    assert "seren_key_a" not in cache.path.read_text()


# -- local token -----------------------------------------------------------------------------------


def test_local_token_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    state = tmp_path / ".skillsync"
    token = local_token(state)
    assert token.startswith("seren_local_")
    assert local_token(state) == token
    path = state / "local-token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in state.iterdir()] == ["local-token"]  # no temp files left behind


def _pushed_local_workspace(root: Path) -> Any:
    from tests.conftest import Cli, write_skill

    cli = Cli(root)
    assert cli("init").exit_code == 0
    write_skill(root, "alpha")
    assert cli("push", "--yes").exit_code == 0
    return cli


def test_embedded_registry_deleted_starts_empty(tmp_path: Path) -> None:
    cli = _pushed_local_workspace(tmp_path)
    # deleting the local registry starts an empty one; the cached organization id still holds
    for path in (tmp_path / ".skillsync").glob("registry.sqlite3*"):
        if path.is_file():
            path.unlink()
    r = cli("status", "--json")
    assert r.exit_code == 0, r.output
    assert [s["state"] for s in json.loads(r.stdout)["skills"]] == ["new"]
    assert cli("push", "--yes").exit_code == 0


def test_embedded_registry_damaged_is_a_local_error(tmp_path: Path) -> None:
    cli = _pushed_local_workspace(tmp_path)
    db = tmp_path / ".skillsync" / "registry.sqlite3"
    for path in db.parent.glob("registry.sqlite3-*"):
        path.unlink()
    db.write_bytes(b"this is not a database" * 100)
    r = cli("status")
    assert r.exit_code == 4, r.output
    assert "registry.sqlite3: cannot open the local registry database" in r.stderr
    assert "internal error" not in r.output and "Traceback" not in r.output
