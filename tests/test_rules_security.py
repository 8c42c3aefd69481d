"""security.* rules: kinds, lines, allow-lists, and that no output ever contains the secret."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillsync.rules import security as sec
from skillsync.rules.security import credential_name, entropy, scan
from tests.conftest import Cli, write_skill
from tests.rules_helpers import rules

# Built at run time so the literals in this file do not look like secrets to scanners.
SEREN = "seren_" + "Zk3p9QwErTy7UiOp2AsDf"
AWS = "AKIA" + "Q3EGRB5XZ7MN4PLT"
GH = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"
SLACK = "xoxb-" + "2918374650-kq7vz3mw9p"
GENERIC = "9f8A7b6C5d4E3f2A1b0C"
PEM = "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n"


def _workspace(tmp_path: Path) -> Path:
    write_skill(
        tmp_path,
        "s1",
        extra={
            "scripts/config.py": f"HOST = 'x'\nSEREN_API_KEY = '{SEREN}'\naws = \"{AWS}\"\n",
            "references/notes.md": f"token {GH}\n\nslack: {SLACK}\n",
            "assets/settings.env.txt": f"DB_PASSWORD={GENERIC}\n",
            "keys/id.txt": PEM,
        },
    )
    return tmp_path


def test_each_kind_at_its_line(tmp_path: Path) -> None:
    got = rules(_workspace(tmp_path), "security.")
    assert got == {
        ("security.seren-key", "s1/scripts/config.py", 2),
        ("security.aws-key", "s1/scripts/config.py", 3),
        ("security.github-token", "s1/references/notes.md", 1),
        ("security.slack-token", "s1/references/notes.md", 3),
        ("security.generic-secret", "s1/assets/settings.env.txt", 1),
        ("security.private-key", "s1/keys/id.txt", 1),
    }


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
def test_no_output_format_prints_a_secret(tmp_path: Path, fmt: str) -> None:
    root = _workspace(tmp_path)
    result = Cli(root)("validate", "--format", fmt)
    assert result.exit_code == 1
    for secret in (SEREN, AWS, GH, SLACK, GENERIC, "MIIB"):
        assert secret not in result.output
    if fmt != "text":
        assert "security.aws-key" in result.output


def test_inline_and_config_allow(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    cfg = root / "s1/scripts/config.py"
    cfg.write_text(cfg.read_text().replace(f'"{AWS}"', f'"{AWS}"  # skillsync: allow security.aws-key'))
    (root / "skillsync.toml").write_text(
        '[[validate.allow]]\nrule = "security.*"\npaths = ["s1/references/**"]\n'
        '[validate.rules]\n"security.private-key" = "off"\n'
    )
    got = {r for r, _, _ in rules(root, "security.")}
    assert got == {"security.seren-key", "security.generic-secret"}


def test_placeholders_and_prose_are_not_secrets() -> None:
    text = (
        b"API_KEY = 'your-api-key-goes-here'\nTOKEN=xxxxxxxxxxxxxxxxxxxxxxxx\n"
        b"secret: this_is_not_a_real_value\nkey: 0000000000000000\nseren_api_key_name_here\n"
    )
    assert list(scan(text)) == []


def test_entropy() -> None:
    assert entropy(b"aaaaaaaa") == 0
    assert entropy(GENERIC.encode()) > 3.5


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_scan_never_raises(data: bytes) -> None:
    for rule, kind, pos in scan(data):
        assert rule.startswith("security.") and 0 <= pos <= len(data)
        assert isinstance(kind, str)


def test_json_shape_for_secret(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    doc = json.loads(Cli(root)("validate", "--json").output)
    f = next(f for f in doc["skills"][0]["findings"] if f["rule"] == "security.aws-key")
    assert set(f) == {"rule", "severity", "path", "line", "message", "hint", "targets"}
    assert f["path"] == "s1/scripts/config.py" and f["line"] == 3


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
def test_secret_echoed_by_another_rule_is_masked(tmp_path: Path, fmt: str) -> None:
    """name-mismatch, unknown-field and broken-link messages quote the author's text."""
    (tmp_path / "s1").mkdir()
    (tmp_path / "s1" / "SKILL.md").write_text(
        f"---\nname: {GH}\ndescription: ok\n{SEREN}: 1\n---\n# T\n\nSee [x]({AWS}.md).\n"
    )
    result = Cli(tmp_path)("validate", "--format", fmt)
    assert result.exit_code == 1
    assert "spec.name-mismatch" in result.output and "files.broken-link" in result.output
    for secret in (SEREN, AWS, GH):
        assert secret not in result.output


# Placeholders and identifiers seen in public skill collections, re-created in their shapes.
@pytest.mark.parametrize(
    "text",
    [
        b"url: https://hooks.slack.com/services/T00/B00/xxx\n",
        b"webhook = 'https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX'\n",
        b"SLACK_BOT_TOKEN=xoxb-123456789012-1234567890123-abcdefghijklmnopqrstuvwx\n",
        b"aws_access_key_id = " + b"AKIA" + b"IOSFODNN7EXAMPLE\n",
        b"GITHUB_TOKEN=" + b"ghp_" + b"x" * 36 + b"\n",
        b"  key: '3b7e1f20-5c4d-4e8a-9f61-0a2b3c4d5e6f',\n",
        b'"FolderKey": "9d8c7b6a-1e2f-4a3b-8c7d-6e5f4a3b2c1d"\n',
        b"wait({ connectorKey: 'acme-office-mail365', operation: 'MAIL_RECEIVED' })\n",
        b'"SlotKey": "FetchLatestMail_1",\n"ExportBucketKey": "fetchLatestMail_1",\n',
        b'"key": "Demo.process.DemoRpa_1_0_0"\n',
        b'artifact = store.get(key="runs/2025/batch_007/output.parquet")\n',
        b"export ROUTER_API_KEY='sk-rt-v1-teamalpha-key'\n",
        b'password: "BrandNewPass789!",\n',
        b"DB_PASSWORD=your_password_here_please\n",
        b"api_key: 'abcdefghijklmnopqrstuvwxyz012345'\n",
    ],
)
def test_collection_shapes_are_not_secrets(text: bytes) -> None:
    assert list(scan(text)) == []


@pytest.mark.parametrize(
    "text",
    [
        b"OPENAI_API_KEY = 'sk-proj-" + b"Q7fJ2kLmN9pR4sT6vW8xZ1aC3eG5hB0d" + b"'\n",
        b'{"client_secret": "' + b"9c4f1e7a2b8d6035fa1e94c7b2d80f36" + b'"}\n',
        b"STRIPE_KEY=" + b"rk3Vq8Lw2Xe9Tz5Ny1Bm7Pa4" + b"\n",
        b"auth_token: " + b"Zx81Qw3Er5Ty7Ui9Op2As4Df" + b"\n",
    ],
)
def test_credentials_are_found(text: bytes) -> None:
    assert [r for r, _, _ in scan(text)] == ["security.generic-secret"]


@pytest.mark.parametrize(
    "name",
    ["OPENAI_API_KEY", "apiKey", "x-api-key", "client_secret", "DB_PASSWORD", "STRIPE_KEY", "access_token"],
)
def test_credential_names(name: str) -> None:
    assert credential_name(name)


@pytest.mark.parametrize(
    "name", ["key", "connectorKey", "SlotKey", "folderKey", "CATALOG_KEY", "next_token", "monkey", "sortKey"]
)
def test_names_that_are_not_credentials(name: str) -> None:
    assert not credential_name(name)


# Content no scan may take quadratic time on: a pattern retried at every position of a long run
# (as a leading unbounded class is) takes hours on these; a linear scan takes well under a second.
# The bound is generous on purpose: it only catches that blow-up, not a slow machine.
_ADVERSARIAL = {
    "long identifiers": (b"a_really_long_identifier_with_key_token_secret_in_it_" * 200 + b"\n") * 960,
    "minified js": b'var a={apiKey:"x",token:b,c:function(e){return e.key=e.key||"q"}};' * 150_000,
    "key=key": b"key=" * (5 << 18),
    "one 5 MB line": b"apiKey: 'x' " + b"A" * (5 << 20),
    "prefixes": b"seren_AKIAghp_xoxb--------BEGIN hooks.slack.com/services/T" * 20_000,
}


@pytest.mark.parametrize("name", sorted(_ADVERSARIAL))
def test_scan_is_linear_on_adversarial_content(name: str) -> None:
    data = _ADVERSARIAL[name]
    start = time.process_time()
    list(scan(data))
    assert time.process_time() - start < 30, f"{name}: {len(data)} bytes"


# Issue 12 (speed): some patterns start at the first `find` of their literal, the generic check at
# the first find of its word, and the lower-cased bytes may come from the caller. The hits must be
# those of every pattern run from offset 0 over freshly lower-cased bytes.
def _plain_scan(data: bytes) -> list[tuple[str, str, int]]:
    out: list[tuple[str, str, int]] = []
    for rule, kind, _, rx, prefix, _ in sec._PATTERNS:
        for m in rx.finditer(data):
            if rule == "security.aws-key" and m.start() and data[m.start() - 1] in sec._UPPER_DIGITS:
                continue
            if rule == "security.seren-key" and not sec._seren_like(m.group(0)):
                continue
            if prefix and sec.placeholder(m.group(0)[prefix:]):
                continue
            out.append((rule, kind, m.start()))
    if b"=" in data or b":" in data:
        low = data.lower()
        for _, word in sec._CRED_WORDS:
            pos = 0
            while (m := word.search(low, pos)) is not None:
                pos = m.end()
                v = sec._VALUE.match(data, pos)
                if v is None:
                    continue
                pos = v.end()
                head = data[max(0, m.start() - sec._NAME_MAX) : m.start()]
                end = m.start() + len(m.group(0).rstrip(b"\"' \t:="))
                name = (head[len(head.rstrip(sec._NAME_CHARS)) :] + data[m.start() : end]).decode("ascii")
                value = v.group(0)
                if sec.credential_name(name) and not sec.placeholder(value) and sec._random_looking(value):
                    out.append((sec._GENERIC_RULE, f"high-entropy value assigned to {name}", v.start()))
    return out


_PIECES = [
    SEREN, AWS, GH, SLACK, GENERIC, PEM, "github_pat_" + "A1b2C3d4E5f6G7h8I9j0K1l2", "seren_",
    "-----BEGIN ", "hooks.slack.com/services/T" + "Q1W2E3R4/B5T6Y7U8/" + "Zx81Qw3Er5Ty7Ui9",
    "API_KEY", "Token", "SECRET", "password", "passphrase", "=", ": ", '"', "'", " ", "\n", "key=",
]  # fmt: skip
_SCAN_TEXT = st.lists(st.sampled_from(_PIECES), max_size=25).map(lambda xs: "".join(xs).encode())


@settings(max_examples=300, deadline=None)
@given(_SCAN_TEXT)
def test_scan_shortcuts_find_what_a_plain_scan_finds(data: bytes) -> None:
    assert list(scan(data)) == _plain_scan(data)
    assert list(scan(data, data.lower())) == _plain_scan(data)
