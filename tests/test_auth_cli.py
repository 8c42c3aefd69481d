"""``skillsync login``, ``logout`` and ``whoami`` through the real CLI against the local registry.

Bad input ends with exit 3 and one line naming the remote or host, never a traceback, and no part
of a key ever reaches the output.
"""

from __future__ import annotations

import json
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from skillsync.remote import credentials
from tests.conftest import Cli
from tests.emulator_server import serve_app as serve
from tests.test_remote_client import TOKEN


class Server:
    def __init__(self, app: object, url: str) -> None:
        self.app = app
        self.url = url


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    from skillsync.emulator import create_app

    app = create_app(tmp_path / "srv.sqlite3", tokens=[TOKEN])
    with serve(app) as url:
        yield Server(app, url)


def workspace(tmp_path: Path, url: str, *, retries: int = 0) -> Cli:
    ws = tmp_path / "ws"
    ws.mkdir(exist_ok=True)
    (ws / "skillsync.toml").write_text(f'[remotes.test]\nurl = "{url}"\nretries = {retries}\n')
    return Cli(ws)


def assert_clean(output: str) -> None:
    assert "Traceback" not in output
    assert TOKEN not in output
    assert TOKEN[-8:] not in output


def test_login_whoami_logout(server: Server, tmp_path: Path) -> None:
    cli = workspace(tmp_path, server.url)
    result = cli("login", "--remote", "test", input=TOKEN + "\n")
    assert result.exit_code == 0, result.output
    assert "Logged in to test (http://127.0.0.1:" in result.output
    assert_clean(result.output)
    path = credentials.credentials_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert credentials.get_key("test") == TOKEN

    result = cli("whoami", "--remote", "test", "--json")
    assert result.exit_code == 0, result.output
    assert_clean(result.output)
    doc = json.loads(result.output)
    assert doc["format_version"] == "1"
    assert (doc["remote"], doc["url"], doc["embedded"], doc["credential_source"]) == (
        "test",
        server.url,
        False,
        "stored",
    )
    personal = [o for o in doc["organizations"] if o["is_personal"]]
    assert len(personal) == 1 and personal[0]["selected"] and doc["organization"] == personal[0]["id"]

    text = cli("whoami", "--remote", "test")
    assert text.exit_code == 0 and "remote: test (http://127.0.0.1:" in text.output
    assert_clean(text.output)

    result = cli("logout", "--remote", "test", "--json")
    assert json.loads(result.output)["removed"] is True
    assert credentials.get_key("test") is None
    assert cli("logout", "--remote", "test").output.startswith("No stored key for test")


def test_env_key_is_used_and_never_shown(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEREN_API_KEY", TOKEN)
    result = workspace(tmp_path, server.url)("whoami", "--remote", "test")
    assert result.exit_code == 0, result.output
    assert "key: SEREN_API_KEY" in result.output
    assert_clean(result.output)


def test_login_with_a_wrong_key_exits_3_and_stores_nothing(server: Server, tmp_path: Path) -> None:
    result = workspace(tmp_path, server.url)(
        "login", "--remote", "test", "--with-key-stdin", input="seren_nope_1234\n"
    )
    assert result.exit_code == 3
    assert "skillsync: error: authentication failed for test" in result.output
    assert "seren_nope_1234" not in result.output
    assert_clean(result.output)
    assert credentials.get_key("test") is None


def test_whoami_with_a_wrong_stored_key_exits_3(server: Server, tmp_path: Path) -> None:
    credentials.store_key("test", "seren_revoked_5678")
    result = workspace(tmp_path, server.url)("whoami", "--remote", "test", "--json")
    assert result.exit_code == 3
    doc = json.loads(result.stdout)
    assert doc["error"]["code"] == 3 and doc["error"]["message"].startswith("authentication failed for test")
    assert "seren_revoked_5678" not in result.output


def test_unreachable_host_exits_3_naming_the_host(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    credentials.store_key("test", TOKEN)
    result = workspace(tmp_path, f"http://127.0.0.1:{port}")("whoami", "--remote", "test")
    assert result.exit_code == 3
    assert "cannot reach 127.0.0.1" in result.output
    assert_clean(result.output)


def test_persistent_5xx_exits_3_with_the_servers_message(server: Server, tmp_path: Path) -> None:
    from skillsync.emulator import Fault

    server.app.state.faults[:] = [Fault(route="GET /organizations", status=503, retry_after=0)]  # type: ignore[attr-defined]
    credentials.store_key("test", TOKEN)
    result = workspace(tmp_path, server.url, retries=2)("whoami", "--remote", "test")
    assert result.exit_code == 3
    assert "injected fault: HTTP 503 for GET /organizations" in result.output
    assert "after 3 attempts" in result.output
    assert_clean(result.output)


def test_login_to_local_is_refused(tmp_path: Path) -> None:
    result = Cli(tmp_path)("login", "--remote", "local", input="x\n")
    assert result.exit_code == 2
    assert "embedded local registry: it needs no login" in result.output


def test_plain_http_remote_is_refused(tmp_path: Path) -> None:
    result = workspace(tmp_path, "http://registry.example.test")("whoami", "--remote", "test")
    assert result.exit_code == 2
    assert "refusing plain http:// for remote URL 'http://registry.example.test'" in result.output


def test_not_logged_in_says_how_to_log_in(server: Server, tmp_path: Path) -> None:
    result = workspace(tmp_path, server.url)("whoami", "--remote", "test")
    assert result.exit_code == 3
    assert "no API key for remote 'test'" in result.output
    assert "skillsync login --remote test" in result.output


def test_whoami_defaults_to_the_embedded_registry(tmp_path: Path) -> None:
    result = Cli(tmp_path)("whoami", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert (doc["remote"], doc["url"], doc["embedded"], doc["credential_source"]) == (
        "local",
        None,
        True,
        "local-token",
    )
    assert doc["organization"] is not None
    token = (tmp_path / ".skillsync" / "local-token").read_text().strip()
    assert token not in result.output
    again = json.loads(Cli(tmp_path)("whoami", "--json").output)
    assert again["organization"] == doc["organization"]  # same token, same user, same org


def test_whoami_refreshes_the_org_cache(tmp_path: Path) -> None:
    cache = tmp_path / ".skillsync" / "org-cache.json"
    doc = json.loads(Cli(tmp_path)("whoami", "--json").output)
    entries = json.loads(cache.read_text())
    assert list(entries.values()) == [doc["organization"]]
    cache.write_text(json.dumps(dict.fromkeys(entries, "stale-id")))
    Cli(tmp_path)("whoami")
    assert list(json.loads(cache.read_text()).values()) == [doc["organization"]]


def test_login_on_a_terminal_prompts_without_echo(server: Server, tmp_path: Path) -> None:
    """The hidden prompt path: a real pseudo-terminal, the key typed, never echoed back."""
    import os
    import pty
    import select
    import subprocess
    import sys

    cli = workspace(tmp_path, server.url)
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "skillsync", "-C", str(cli.cwd), "login", "--remote", "test"],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        close_fds=True,
    )
    os.close(secondary)
    seen = b""

    def read_until(marker: bytes, limit: float = 30.0) -> None:
        nonlocal seen
        while marker not in seen:
            ready, _, _ = select.select([primary], [], [], limit)
            assert ready, f"no {marker!r} in {seen!r}"
            try:
                chunk = os.read(primary, 1024)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk

    try:
        read_until(b":")  # the prompt
        os.write(primary, TOKEN.encode() + b"\n")
        read_until(b"Logged in")
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(primary)
    assert TOKEN.encode() not in seen and TOKEN[-8:].encode() not in seen
    assert credentials.get_key("test") == TOKEN


def test_login_tightens_an_existing_config_folder_to_0700(server: Server, tmp_path: Path) -> None:
    folder = credentials.config_dir()
    folder.mkdir(parents=True)
    folder.chmod(0o755)  # issue 13: an existing ~/.config/skillsync of mode 0755 stayed 0755
    result = workspace(tmp_path, server.url)("login", "--remote", "test", input=TOKEN + "\n")
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(credentials.credentials_path().stat().st_mode) == 0o600
    folder.chmod(0o750)
    assert workspace(tmp_path, server.url)("logout", "--remote", "test").exit_code == 0
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
