"""The Seren client: unit tests of single functions, then the real thing against the local registry.

Integration tests talk to ``skillsync.emulator`` over real loopback HTTP (uvicorn in a thread) and
through the embedded ASGI transport, with the registry's fault injection for each failure mode.
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
