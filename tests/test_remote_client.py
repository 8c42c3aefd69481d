"""The Seren client: unit tests of single functions, then the real thing against the local registry.

Integration tests talk to ``skillsync.emulator`` over real loopback HTTP (uvicorn in a thread) and
through the embedded ASGI transport, with the registry's fault injection for each failure mode.
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import hashlib
import io
import json
import socket
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skillsync import emulator
from skillsync.errors import LocalError, RemoteError
from skillsync.remote import models
from skillsync.remote.body import StreamedJsonBody, UploadFile, b64_length, create_skill_body, revision_body
from skillsync.remote.client import SerenClient, backoff_delay, parse_retry_after
from skillsync.remote.errors import (
    ApiError,
    AuthenticationError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    RequestTimeout,
    ServerError,
)
from tests.emulator_server import serve_app

KEY = "seren_secretkey_0123456789abcdef"


async def _collect(body: StreamedJsonBody) -> bytes:
    return b"".join([piece async for piece in body])


# -- Retry-After and backoff (pure functions) ------------------------------------------------------


def test_parse_retry_after_seconds_and_dates() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 0 ") == 0.0
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("") is None
    now = 1_800_000_000.0
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert parse_retry_after(date, now=now) == pytest.approx(30.0)
    assert parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now=now) == 0.0


@given(attempt=st.integers(0, 30), r=st.floats(0, 1))
def test_backoff_is_full_jitter_under_the_cap(attempt: int, r: float) -> None:
    delay = backoff_delay(attempt, base=0.5, cap=20.0, rand=lambda: r)
    assert 0 <= delay <= min(20.0, 0.5 * 2**attempt)
    assert delay == pytest.approx(r * min(20.0, 0.5 * 2**attempt))


# -- streamed bodies ---------------------------------------------------------------------------------

_names = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"),
    min_size=1,
    max_size=12,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    files=st.lists(
        st.tuples(
            st.lists(_names, min_size=1, max_size=3).map("/".join),
            st.binary(max_size=64),
            st.one_of(
                st.none(), st.sampled_from(["text/markdown", 'we"ird/\\type', "application/octet-stream"])
            ),
        ),
        max_size=5,
        unique_by=lambda t: t[0],
    ),
    publish=st.booleans(),
    description=st.one_of(st.none(), st.text(max_size=20)),
    chunk=st.sampled_from([3, 6, 9, 3 * 1024 * 1024]),
)
def test_streamed_body_equals_the_straightforward_body(
    tmp_path_factory: pytest.TempPathFactory,
    files: list[tuple[str, bytes, str | None]],
    publish: bool,
    description: str | None,
    chunk: int,
) -> None:
    root = tmp_path_factory.mktemp("up")
    uploads = []
    for i, (rel, data, ctype) in enumerate(files):
        path = root / f"f{i}"
        path.write_bytes(data)
        uploads.append(UploadFile(rel, path, ctype))
    inputs = [
        models.OrganizationCustomSkillFileInput(
            relative_path=rel,
            content_base64=base64.b64encode(data).decode(),
            **({"content_type": c} if c else {}),
        )
        for rel, data, c in files
    ]
    revision = models.CreateOrganizationCustomSkillRevisionRequest(files=inputs, publish=publish)
    expected_rev = revision.model_dump(exclude_unset=True) | {"publish": publish}
    body = StreamedJsonBody(b"", uploads, b"", chunk_bytes=chunk)  # framing-free: checks the length sum
    assert len(asyncio.run(_collect(body))) == body.length

    rev_body = revision_body(uploads, publish=publish)
    raw = asyncio.run(_collect(rev_body))
    assert len(raw) == rev_body.length == int(rev_body.headers["Content-Length"])
    assert json.loads(raw) == expected_rev

    create = create_skill_body(
        slug="my-skill", display_name='Name "quoted"', description=description, files=uploads, publish=publish
    )
    expected_create = models.CreateOrganizationCustomSkillRequest(
        slug="my-skill", display_name='Name "quoted"', description=description, initial_revision=revision
    ).model_dump(exclude_unset=True)
    expected_create["initial_revision"]["publish"] = publish
    expected_create["description"] = description
    raw = asyncio.run(_collect(create))
    assert len(raw) == create.length
    assert json.loads(raw) == expected_create


def test_b64_length_matches_base64() -> None:
    for n in range(0, 20):
        assert b64_length(n) == len(base64.b64encode(b"x" * n))


def test_body_refuses_a_file_that_changed_size(tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    path.write_bytes(b"abc")
    body = revision_body([UploadFile("a.bin", path)], publish=False)
    path.write_bytes(b"abcdef")
    with pytest.raises(LocalError, match="changed while it was being uploaded"):
        asyncio.run(_collect(body))


def test_body_of_a_missing_file_is_a_local_error(tmp_path: Path) -> None:
    with pytest.raises(LocalError, match="cannot read file"):
        revision_body([UploadFile("a.bin", tmp_path / "gone")], publish=False)


# -- error mapping (one function: _status_error / _transport_error, via MockTransport) --------------


def _mock_client(handler: Any, **kw: Any) -> SerenClient:
    async def no_sleep(_: float) -> None:
        return None

    return SerenClient(
        "https://api.example.test",
        KEY,
        remote="seren",
        transport=httpx.MockTransport(handler),
        sleep=no_sleep,
        **kw,
    )


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (401, AuthenticationError),
        (403, AuthenticationError),
        (404, NotFoundError),
        (429, RateLimitedError),
        (500, ServerError),
        (400, ApiError),
    ],
)
def test_status_maps_to_error_without_the_key(status: int, cls: type[ApiError]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        # A hostile server echoing the Authorization header must not get the key into our message.
        echoed = request.headers["Authorization"]
        return httpx.Response(status, json={"error": "boom", "message": f"bad header {echoed}"})

    async def go() -> None:
        async with _mock_client(handler, retries=0) as client:
            await client.list_organizations()

    with pytest.raises(cls) as info:
        asyncio.run(go())
    err = info.value
    assert isinstance(err, RemoteError)
    assert err.exit_code == 3
    assert (err.status, err.method, err.url) == (status, "GET", "https://api.example.test/organizations")
    assert err.error == "boom"
    for text in (str(err), repr(err), err.message, str(err.args)):
        assert KEY not in text
        assert "secretkey" not in text
    if cls is AuthenticationError:
        assert str(err).startswith("authentication failed for seren")
    assert KEY not in repr(_mock_client(handler))


def test_transport_errors_name_the_host() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async def go() -> None:
        async with _mock_client(handler, retries=0) as client:
            await client.list_organizations()

    with pytest.raises(NetworkError, match=r"cannot reach api\.example\.test"):
        asyncio.run(go())


def test_timeouts_are_request_timeout() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    async def go() -> None:
        async with _mock_client(handler, retries=0, timeout=1.5) as client:
            await client.list_organizations()

    with pytest.raises(RequestTimeout, match=r"within 1\.5 s"):
        asyncio.run(go())


def test_non_json_and_envelope_errors_are_remote_errors() -> None:
    answers = iter(
        [
            httpx.Response(200, text="<html>"),
            httpx.Response(200, json=[1]),
            httpx.Response(200, json={"data": [{"id": 1}]}),
        ]
    )

    def handler(request: httpx.Request) -> httpx.Response:
        return next(answers)

    async def go() -> list[str]:
        out = []
        async with _mock_client(handler, retries=0) as client:
            for _ in range(3):
                try:
                    await client.list_organizations()
                except RemoteError as exc:
                    out.append(str(exc))
        return out

    messages = asyncio.run(go())
    assert "not JSON" in messages[0]
    assert "no 'data'" in messages[1]
    assert "unexpected answer: Organization" in messages[2]


# -- integration: the local registry over real loopback HTTP and in process ------------------------

TOKEN = "seren_test_token_for_the_registry_0001"


serve = serve_app  # uvicorn on 127.0.0.1, port 0, in a thread; yields the base URL


class Registry:
    def __init__(self, app: Any, url: str) -> None:
        self.app = app
        self.url = url
        self.sleeps: list[float] = []

    def client(self, key: str = TOKEN, **kw: Any) -> SerenClient:
        async def record(delay: float) -> None:
            self.sleeps.append(delay)

        kw.setdefault("retries", 3)
        return SerenClient(self.url, key, remote="test", sleep=record, rand=lambda: 0.5, **kw)

    def fault(self, route: str, **kw: Any) -> None:
        self.app.state.faults[:] = [emulator.Fault(route=route, **kw)]


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    app = emulator.create_app(tmp_path / "registry.sqlite3", tokens=[TOKEN])
    with serve(app) as url:
        yield Registry(app, url)


def _skill_files(root: Path, extra: bytes = b"\x00\x01binary\xff" * 100) -> list[UploadFile]:
    root.mkdir(parents=True, exist_ok=True)
    (root / "SKILL.md").write_text("---\nname: demo\ndescription: Does a thing.\n---\n# Demo\n")
    (root / "data.bin").write_bytes(extra)
    return [
        UploadFile("SKILL.md", root / "SKILL.md", "text/markdown"),
        UploadFile("assets/data.bin", root / "data.bin"),
    ]


async def _lifecycle(client: SerenClient, files: list[UploadFile], tmp_path: Path) -> None:
    orgs = await client.list_organizations()
    org = next(o for o in orgs if o.is_personal)
    skill = await client.create_custom_skill(
        org.id, slug="demo", display_name="Demo", description="first", files=files
    )
    assert (skill.slug, skill.status, skill.published_revision_id) == ("demo", "active", None)
    assert skill.latest_revision_id is not None
    first = await client.get_revision(org.id, skill.id, skill.latest_revision_id)
    assert first.status == "draft"
    by_path = {f.relative_path: f for f in first.files}
    data = files[1].path.read_bytes()
    assert by_path["assets/data.bin"].size_bytes == len(data)
    assert by_path["assets/data.bin"].sha256 == hashlib.sha256(data).hexdigest()
    content = await client.get_revision_file(org.id, skill.id, first.id, "assets/data.bin")
    assert base64.b64decode(content.content_base64) == data

    second = await client.create_revision(org.id, skill.id, files=files[:1], publish=True)
    assert second.revision_number > first.revision_number and second.status == "published"
    revs = await client.list_revisions(org.id, skill.id)
    assert {r.id for r in revs} == {first.id, second.id}
    published = await client.publish_revision(org.id, skill.id, first.id)
    assert published.published_revision_id == first.id

    buf = io.BytesIO()
    written = await client.download_bundle(org.id, skill.id, first.id, buf)
    assert written == len(buf.getvalue()) > 0
    with tarfile.open(fileobj=io.BytesIO(buf.getvalue()), mode="r:gz") as tar:
        assert any(n.endswith("assets/data.bin") for n in tar.getnames())

    kept = await client.update_custom_skill(org.id, skill.id, display_name="Demo 2")
    assert (kept.display_name, kept.description) == ("Demo 2", "first")
    cleared = await client.update_custom_skill(org.id, skill.id, description=None, status="archived")
    assert (cleared.description, cleared.status) == (None, "archived")
    assert [s.id for s in await client.list_custom_skills(org.id)] == []
    assert [s.id for s in await client.list_custom_skills(org.id, include_archived=True)] == [skill.id]
    assert (await client.get_custom_skill(org.id, skill.id)).id == skill.id
    with pytest.raises(NotFoundError):
        await client.get_custom_skill(org.id, "00000000-0000-4000-8000-000000000000")


def test_lifecycle_over_loopback_http(registry: Registry, tmp_path: Path) -> None:
    files = _skill_files(tmp_path / "skill")

    async def go() -> int:
        async with registry.client() as client:
            await _lifecycle(client, files, tmp_path)
            return client.request_count

    assert asyncio.run(go()) == 14  # one HTTP request per call, no retries
    assert registry.sleeps == []


def test_lifecycle_through_the_embedded_registry(tmp_path: Path) -> None:
    from skillsync.remote import open_remote
    from skillsync.workspace import open_workspace

    ws = open_workspace(tmp_path)
    files = _skill_files(tmp_path / "skill")

    async def go() -> tuple[str, str, int]:
        async with open_remote(ws) as session:
            await _lifecycle(session.client, files, tmp_path)
            return session.display, session.org_id, session.client.request_count

    display, org_id, _ = asyncio.run(go())
    assert display == "local (embedded, .skillsync/registry.sqlite3)"
    assert (tmp_path / ".skillsync" / "registry.sqlite3").exists()

    async def again() -> tuple[str, int]:
        async with open_remote(ws) as session:
            skills = await session.client.list_custom_skills(session.org_id, include_archived=True)
            assert [s.slug for s in skills] == ["demo"]
            return session.org_id, session.client.request_count

    # Same token, same user, same org; the org id is cached, so this costs exactly one request.
    assert asyncio.run(again()) == (org_id, 1)


def test_latency_within_the_timeout_succeeds(registry: Registry) -> None:
    registry.fault("GET /organizations", mode="latency", latency_ms=50)

    async def go() -> int:
        async with registry.client() as client:
            assert await client.list_organizations()
            return client.request_count

    assert asyncio.run(go()) == 1


def test_latency_beyond_the_timeout_is_request_timeout(registry: Registry) -> None:
    registry.fault("GET /organizations", mode="latency", latency_ms=1000)

    async def go() -> None:
        async with registry.client(timeout=0.2, retries=1) as client:
            await client.list_organizations()

    with pytest.raises(RequestTimeout, match=r"no answer from 127\.0\.0\.1"):
        asyncio.run(go())
    assert len(registry.sleeps) == 1  # a GET that timed out is retried


def test_get_503_then_success_is_retried_with_backoff(registry: Registry) -> None:
    registry.fault("GET /organizations", mode="error", status=503, times=2)

    async def go() -> int:
        async with registry.client(retries=3) as client:
            assert await client.list_organizations()
            return client.request_count

    assert asyncio.run(go()) == 3
    assert registry.sleeps == [0.25, 0.5]  # full jitter with rand=0.5: 0.5 * 0.5 * 2**attempt


def test_429_retry_after_is_honoured(registry: Registry) -> None:
    registry.fault("GET /organizations", mode="error", status=429, retry_after=7, times=1)

    async def go() -> int:
        async with registry.client() as client:
            assert await client.list_organizations()
            return client.request_count

    assert asyncio.run(go()) == 2
    assert registry.sleeps == [7.0]


def test_patch_is_retried_but_post_is_not(registry: Registry, tmp_path: Path) -> None:
    files = _skill_files(tmp_path / "skill")

    async def go() -> tuple[int, int]:
        async with registry.client() as client:
            org = (await client.list_organizations())[0]
            skill = await client.create_custom_skill(
                org.id, slug="s1", display_name="S", description=None, files=files
            )
            registry.fault(
                "PATCH /organizations/{organization_id}/custom-skills/{skill_id}", status=502, times=1
            )
            before = client.request_count
            assert (await client.update_custom_skill(org.id, skill.id, display_name="T")).display_name == "T"
            patch_requests = client.request_count - before
            registry.fault("POST /organizations/{organization_id}/custom-skills", status=503, retry_after=0)
            before = client.request_count
            with pytest.raises(ServerError, match=r"HTTP 503 injected_fault"):
                await client.create_custom_skill(
                    org.id, slug="s2", display_name="S", description=None, files=files
                )
            return patch_requests, client.request_count - before

    assert asyncio.run(go()) == (2, 1)
    assert len(registry.sleeps) == 1


def test_dropped_connection_is_network_error(registry: Registry) -> None:
    registry.fault("GET /organizations", mode="drop")

    async def go() -> int:
        async with registry.client(retries=2) as client:
            with pytest.raises(NetworkError, match=r"cannot reach 127\.0\.0\.1: connection dropped"):
                await client.list_organizations()
            return client.request_count

    assert asyncio.run(go()) == 3


def test_commit_then_drop_on_post_is_not_retried(registry: Registry, tmp_path: Path) -> None:
    files = _skill_files(tmp_path / "skill")

    async def go() -> tuple[int, list[str]]:
        async with registry.client() as client:
            org = (await client.list_organizations())[0]
            registry.fault("POST /organizations/{organization_id}/custom-skills", mode="commit_then_drop")
            before = client.request_count
            with pytest.raises(NetworkError):
                await client.create_custom_skill(
                    org.id, slug="lost", display_name="L", description=None, files=files
                )
            posts = client.request_count - before
            registry.app.state.faults[:] = []
            return posts, [s.slug for s in await client.list_custom_skills(org.id)]

    # One attempt only; the skill exists, so a reconciling reader finds it.
    assert asyncio.run(go()) == (1, ["lost"])
    assert registry.sleeps == []


def test_drop_through_the_embedded_transport_is_network_error(tmp_path: Path) -> None:
    from skillsync.remote.remotes import make_client, resolve_remote
    from skillsync.workspace import open_workspace

    ws = open_workspace(tmp_path)
    client = make_client(resolve_remote(ws.config, "local"), ws.state_dir, retries=0)
    registry = client._http._transport.app  # type: ignore[attr-defined]  # an EmbeddedRegistry
    registry.full_app().state.faults[:] = [emulator.Fault(route="GET /organizations", mode="drop")]

    async def go() -> None:
        async with client:
            await client.list_organizations()

    with pytest.raises(NetworkError, match="cannot reach the embedded registry"):
        asyncio.run(go())


def test_wrong_key_is_authentication_error(registry: Registry) -> None:
    async def go() -> None:
        async with registry.client(key="seren_wrong_key_123456") as client:
            await client.list_organizations()

    with pytest.raises(AuthenticationError) as info:
        asyncio.run(go())
    assert str(info.value).startswith("authentication failed for test")
    assert "seren_wrong_key_123456" not in str(info.value)
    assert registry.sleeps == []


def test_unreachable_host_names_the_host() -> None:
    with socket.socket() as sock:  # a loopback port with nothing listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sleeps: list[float] = []

    async def record(delay: float) -> None:
        sleeps.append(delay)

    async def go() -> None:
        async with SerenClient(
            f"http://127.0.0.1:{port}", KEY, remote="test", retries=2, sleep=record
        ) as client:
            await client.list_organizations()

    with pytest.raises(NetworkError, match=rf"cannot reach 127\.0\.0\.1.*127\.0\.0\.1:{port}"):
        asyncio.run(go())
    assert len(sleeps) == 2


def test_read_side_and_payout_paging(tmp_path: Path) -> None:
    """list_payouts follows limit/offset pages until has_more is false; the mirror's reads parse."""
    seed = {
        "users": [{"email": "me@example.test", "token": TOKEN}],
        "organizations": [
            {
                "slug": "team",
                "name": "Team",
                "owner": "me@example.test",
                "invites": [{"email": "new@example.test"}],
                "publishers": [
                    {
                        "slug": "pub-one",
                        "name": "Pub One",
                        "wallet_address": "0x1234567890123456789012345678901234567890",
                        "wallet_network_id": "base",
                        "publisher_category": "integration",
                        "earnings": [{"total_revenue_atomic": 5000000}],
                        "payouts": [{"amount_atomic": 1000 + i} for i in range(5)],
                    }
                ],
            }
        ],
    }
    app = emulator.create_app(tmp_path / "seeded.sqlite3", tokens=[TOKEN], seed=seed)

    async def go(url: str) -> tuple[list[int], int, int]:
        async with SerenClient(url, TOKEN, remote="test") as client:
            team = next(o for o in await client.list_organizations() if o.slug == "team")
            assert [m.email for m in await client.list_members(team.id)] == ["me@example.test"]
            assert [i.email for i in await client.list_invites(team.id)] == ["new@example.test"]
            assert (await client.get_private_chat_policy(team.id)).organization_id == team.id
            (pub,) = await client.list_publishers(team.id)
            assert (await client.get_publisher(team.id, pub.id)).slug == "pub-one"
            assert [e.publisher_id for e in await client.get_publisher_earnings(team.id, pub.id)] == [pub.id]
            before = client.request_count
            payouts = await client.list_payouts(team.id, pub.id, page_size=2)
            paged_requests = client.request_count - before
            everything = await client.list_payouts(team.id, pub.id)
            return sorted(p.amount_atomic for p in payouts), paged_requests, len(everything)

    with serve(app) as url:
        amounts, requests, total = asyncio.run(go(url))
    assert amounts == [1000, 1001, 1002, 1003, 1004]
    assert requests == 3  # pages of 2, 2, 1
    assert total == 5


def test_a_failing_download_destination_is_a_local_error(registry: Registry, tmp_path: Path) -> None:
    files = _skill_files(tmp_path / "skill")

    class Full(io.RawIOBase):
        def write(self, _b: Any) -> int:
            raise OSError(28, "No space left on device")

    async def go() -> None:
        async with registry.client() as client:
            org = (await client.list_organizations())[0]
            skill = await client.create_custom_skill(
                org.id, slug="dl", display_name="D", description=None, files=files
            )
            assert skill.latest_revision_id is not None
            await client.download_bundle(org.id, skill.id, skill.latest_revision_id, Full())

    with pytest.raises(LocalError, match="No space left on device"):
        asyncio.run(go())
