"""The Seren API client: one ``httpx.AsyncClient``, typed models in and out, errors and retries.

Every call goes through :meth:`SerenClient._open`, which counts requests (``request_count``), maps
failures to :mod:`skillsync.remote.errors` and retries only what is safe to repeat: GET, PATCH and
PUT on connect errors, dropped connections, timeouts, 429 (after ``Retry-After``) and 502/503/504,
with exponential backoff and full jitter. POST is never retried: a create whose answer was lost may
have happened, and the sync engine reconciles by reading the remote state again.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import IO, TYPE_CHECKING, Any, Final, TypeVar
from urllib.parse import quote

import httpx

from skillsync import __version__
from skillsync.errors import LocalError, RemoteError
from skillsync.redact import redact
from skillsync.remote.body import StreamedJsonBody, UploadFile, create_skill_body, revision_body
from skillsync.remote.errors import ApiError, NetworkError, RequestTimeout, error_class

if TYPE_CHECKING:
    from pydantic import BaseModel

    from skillsync.remote.models import (
        Organization,
        OrganizationCustomSkill,
        OrganizationCustomSkillFileContent,
        OrganizationCustomSkillRevision,
        OrganizationCustomSkillRevisionSummary,
        OrganizationCustomSkillStatus,
        OrganizationInvite,
        OrganizationMemberWithUser,
        OrganizationPrivateChatPolicy,
        PaginationMeta,
        PublisherEarningsResponse,
        PublisherPayoutResponse,
        PublisherResponse,
    )

M = TypeVar("M", bound="BaseModel")

RETRY_METHODS: Final = frozenset({"GET", "PATCH", "PUT"})
RETRY_STATUSES: Final = frozenset({429, 502, 503, 504})
PAGE_LIMIT: Final = 50
# Largest JSON answer read (docs/remotes.md): the biggest legitimate one is a file's content in
# base64 (the 50 MiB file limit), far above any list or revision.
MAX_JSON_ANSWER_BYTES: Final = 80 * 1024 * 1024
MAX_ERROR_BYTES: Final = 64 * 1024  # of an error answer's body
# Validation errors a newer API could cause (a field gone, a new enum value); any other is a bad value.
_DRIFT_ERRORS: Final = frozenset({"missing", "literal_error", "enum"})

# operation id (as in the contract) -> (method, path template, name of the model of `data` in
# skillsync.remote.models, is a list). Names, not classes: importing pydantic is left to the calls
# that validate with it (an unchanged status or push never does; see plain_check).
# tests/test_remote_models.py checks each entry against the contract's paths and response schemas.
OPERATIONS: Final[dict[str, tuple[str, str, str | None, bool]]] = {
    "list_organizations": ("GET", "/organizations", "Organization", True),
    "list_custom_skills": (
        "GET",
        "/organizations/{organization_id}/custom-skills",
        "OrganizationCustomSkill",
        True,
    ),
    "create_custom_skill": (
        "POST",
        "/organizations/{organization_id}/custom-skills",
        "OrganizationCustomSkill",
        False,
    ),
    "get_custom_skill": (
        "GET",
        "/organizations/{organization_id}/custom-skills/{skill_id}",
        "OrganizationCustomSkill",
        False,
    ),
    "update_custom_skill": (
        "PATCH",
        "/organizations/{organization_id}/custom-skills/{skill_id}",
        "OrganizationCustomSkill",
        False,
    ),
    "list_custom_skill_revisions": (
        "GET",
        "/organizations/{organization_id}/custom-skills/{skill_id}/revisions",
        "OrganizationCustomSkillRevisionSummary",
        True,
    ),
    "create_custom_skill_revision": (
        "POST",
        "/organizations/{organization_id}/custom-skills/{skill_id}/revisions",
        "OrganizationCustomSkillRevision",
        False,
    ),
    "get_custom_skill_revision": (
        "GET",
        "/organizations/{organization_id}/custom-skills/{skill_id}/revisions/{revision_id}",
        "OrganizationCustomSkillRevision",
        False,
    ),
    "publish_custom_skill_revision": (
        "POST",
        "/organizations/{organization_id}/custom-skills/{skill_id}/revisions/{revision_id}/publish",
        "OrganizationCustomSkill",
        False,
    ),
    "get_custom_skill_revision_file": (
        "GET",
        "/organizations/{organization_id}/custom-skills/{skill_id}/revisions/{revision_id}/file",
        "OrganizationCustomSkillFileContent",
        False,
    ),
    "download_custom_skill_revision_bundle": (
        "GET",
        "/organizations/{organization_id}/custom-skills/{skill_id}/revisions/{revision_id}/bundle",
        None,
        False,
    ),
    "list_members": ("GET", "/organizations/{organization_id}/members", "OrganizationMemberWithUser", True),
    "list_invites": ("GET", "/organizations/{organization_id}/invites", "OrganizationInvite", True),
    "get_private_chat_policy": (
        "GET",
        "/organizations/{organization_id}/private-chat-policy",
        "OrganizationPrivateChatPolicy",
        False,
    ),
    "list_org_publishers": ("GET", "/organizations/{organization_id}/publishers", "PublisherResponse", True),
    "get_org_publisher": (
        "GET",
        "/organizations/{organization_id}/publishers/{publisher_id}",
        "PublisherResponse",
        False,
    ),
    "get_org_publisher_earnings": (
        "GET",
        "/organizations/{organization_id}/publishers/{publisher_id}/earnings",
        "PublisherEarningsResponse",
        True,
    ),
    "list_org_publisher_payouts": (
        "GET",
        "/organizations/{organization_id}/publishers/{publisher_id}/payouts",
        "PublisherPayoutResponse",
        True,
    ),
    "get_revenue_metrics": (
        "GET",
        "/organizations/{organization_id}/publishers/{publisher_id}/analytics/revenue",
        "RevenueMetrics",
        False,
    ),
    "get_revenue_by_day": (
        "GET",
        "/organizations/{organization_id}/publishers/{publisher_id}/analytics/revenue-by-day",
        "RevenueByDay",
        True,
    ),
    "get_top_agents": (
        "GET",
        "/organizations/{organization_id}/publishers/{publisher_id}/analytics/top-agents",
        "TopAgent",
        True,
    ),
}


class _Unset:
    """Marks a PATCH field as omitted (leave unchanged), as opposed to ``None`` (clear)."""

    _instance: _Unset | None = None

    def __new__(cls) -> _Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Final = _Unset()

Sleep = Callable[[float], Awaitable[None]]


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date), or None."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            import email.utils  # lazy: only a Retry-After date needs it

            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def backoff_delay(attempt: int, *, base: float, cap: float, rand: Callable[[], float]) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
    return float(rand() * min(cap, base * (2**attempt)))


def _path(template: str, **params: str) -> str:
    return template.format(**{k: quote(v, safe="") for k, v in params.items()})


def _error_fields(raw: bytes) -> tuple[str | None, str | None]:
    """The server's ``error`` and ``message`` (``detail`` for FastAPI-style bodies), or a text snippet."""
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):
        text = raw.decode("utf-8", "replace").strip().replace("\n", " ")
        return None, (text[:200] or None)
    if not isinstance(doc, dict):
        return None, None
    error = doc.get("error")
    message = doc.get("message")
    if message is None and "detail" in doc:
        message = str(doc["detail"])[:300]
    return (error if isinstance(error, str) else None), (message if isinstance(message, str) else None)


class SerenClient:
    """Async client for the Seren custom-skill, organization and publisher endpoints.

    ``remote`` names the remote in messages; ``host`` is what :class:`NetworkError` names (the URL
    host, or e.g. "the embedded registry"). ``sleep``/``rand`` are injectable so tests can check the
    requested backoff without waiting.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        remote: str = "seren",
        host: str | None = None,
        timeout: float = 30.0,
        retries: int = 4,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        rand: Callable[[], float] = random.random,
        backoff_base: float = 0.5,
        backoff_cap: float = 20.0,
        max_retry_after: float = 120.0,
    ) -> None:
        self.remote = remote
        self.base_url = base_url.rstrip("/")
        self.host = host or (httpx.URL(self.base_url).host or self.base_url)
        self.timeout = timeout
        self.retries = retries
        self.request_count = 0
        self._sleep = sleep
        self._rand = rand
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._max_retry_after = max_retry_after
        if transport is None and self.base_url.startswith("http://"):
            # A plain-http remote is a loopback host (remotes.check_url): no httpcore needed there.
            from skillsync.remote.loopback import LoopbackTransport

            transport = LoopbackTransport()
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers={
                "Authorization": f"Bearer {api_key}",
                "Accept": "application/json",
                "User-Agent": f"skillsync/{__version__}",
            },
            timeout=httpx.Timeout(timeout),
            transport=transport,
            follow_redirects=False,
            # A plain-http remote (loopback only, see remotes.py) never makes a TLS connection:
            # no redirects are followed and every request goes to base_url. Loading the CA bundle
            # for it would cost ~0.05 s of every command's start-up.
            verify=not self.base_url.startswith("http://"),
        )

    def __repr__(self) -> str:
        return f"SerenClient(remote={self.remote!r}, base_url={self.base_url!r})"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> SerenClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- transport, errors, retries ------------------------------------------------------------

    def _url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def _transport_error(self, exc: BaseException, method: str, url: str) -> RemoteError:
        if isinstance(exc, httpx.TimeoutException):
            return RequestTimeout(
                remote=self.remote, method=method, url=url, host=self.host, timeout=self.timeout
            )
        if isinstance(exc, httpx.ConnectError):
            reason = f"connection failed: {redact(str(exc)) or type(exc).__name__}"
        elif isinstance(
            exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError | ConnectionError
        ):
            reason = "connection dropped before the answer arrived"
        else:
            reason = redact(str(exc)) or type(exc).__name__
        return NetworkError(remote=self.remote, method=method, url=url, host=self.host, reason=reason)

    def _status_error(
        self, response: httpx.Response, raw: bytes, method: str, url: str, attempts: int
    ) -> ApiError:
        error, message = _error_fields(raw)
        return error_class(response.status_code)(
            status=response.status_code,
            method=method,
            url=url,
            error=error,
            message=message,
            remote=self.remote,
            attempts=attempts,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )

    def _retry_delay(self, err: RemoteError, method: str, attempt: int) -> float | None:
        """Seconds to wait before retrying after ``err``, or None to give up."""
        if method not in RETRY_METHODS or attempt >= self.retries:
            return None
        if isinstance(err, ApiError):
            if err.status not in RETRY_STATUSES:
                return None
            if err.retry_after is not None:
                return err.retry_after if err.retry_after <= self._max_retry_after else None
        elif not isinstance(err, NetworkError | RequestTimeout):
            return None
        return backoff_delay(attempt, base=self._backoff_base, cap=self._backoff_cap, rand=self._rand)

    @asynccontextmanager
    async def _open(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
        body: StreamedJsonBody | None = None,
    ) -> AsyncIterator[httpx.Response]:
        """Send one request (retrying where safe) and yield the 2xx response, body not yet read."""
        url = self._url(path)
        shown = url if not params else str(httpx.URL(url, params=params))
        attempt = 0
        while True:
            self.request_count += 1
            err: RemoteError
            try:
                request = self._http.build_request(
                    method,
                    path,
                    params=params,
                    json=json,
                    content=body,
                    headers=body.headers if body is not None else None,
                )
                response = await self._http.send(request, stream=True)
            except (httpx.HTTPError, OSError) as exc:
                err = self._transport_error(exc, method, shown)
            else:
                if response.is_success:
                    try:
                        yield response
                    except httpx.HTTPError as exc:  # reading the body; OSError there is the caller's own
                        raise self._transport_error(exc, method, shown) from exc
                    finally:
                        await response.aclose()
                    return
                raw = bytearray()
                try:
                    async for chunk in response.aiter_bytes():
                        raw += chunk
                        if len(raw) >= MAX_ERROR_BYTES:  # only its error and message are shown
                            break
                except (httpx.HTTPError, OSError) as exc:
                    err = self._transport_error(exc, method, shown)
                else:
                    err = self._status_error(
                        response, bytes(raw[:MAX_ERROR_BYTES]), method, shown, attempt + 1
                    )
                finally:
                    await response.aclose()
            delay = self._retry_delay(err, method, attempt)
            if delay is None:
                raise err
            await self._sleep(delay)
            attempt += 1

    def _too_large(self, method: str, path: str, what: str, limit: int) -> RemoteError:
        return RemoteError(
            f"{self.remote}: {method} {self._url(path)}: {what} exceeds {limit} bytes; nothing was kept",
            hint="the remote sent far more than the API allows; check the remote URL (skillsync whoami)",
        )

    async def _request_json(self, method: str, path: str, *, limit: int | None = None, **kwargs: Any) -> Any:
        """The JSON answer, read as it streams and refused once past ``limit`` bytes."""
        limit = MAX_JSON_ANSWER_BYTES if limit is None else limit
        async with self._open(method, path, **kwargs) as response:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise self._too_large(method, path, "the answer", limit)
            body = bytearray()
            try:
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > limit:
                        raise self._too_large(method, path, "the answer", limit)
            except (httpx.HTTPError, OSError) as exc:
                raise self._transport_error(exc, method, self._url(path)) from exc
        try:
            return json.loads(body)
        except RecursionError:
            raise RemoteError(
                f"{self.remote}: {method} {self._url(path)}: the answer nests too deeply"
            ) from None
        except ValueError:
            raise RemoteError(
                f"{self.remote}: {method} {self._url(path)}: the answer is not JSON",
                hint="is the remote URL a Seren API? (skillsync whoami)",
            ) from None

    def _envelope(self, doc: Any, method: str, path: str) -> tuple[Any, PaginationMeta | None]:
        if not isinstance(doc, dict) or "data" not in doc:
            raise RemoteError(f"{self.remote}: {method} {self._url(path)}: the answer has no 'data' member")
        page = doc.get("pagination")
        if page is None:
            return doc["data"], None
        from skillsync.remote.models import PaginationMeta

        return doc["data"], self._validate(PaginationMeta, page, method, path)

    def _validate(self, model: type[M], data: Any, method: str, path: str) -> M:
        from pydantic import ValidationError

        try:
            return model.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "(top level)"
            raise RemoteError(
                f"{self.remote}: {method} {self._url(path)}: unexpected answer: {model.__name__}.{where}: "
                f"{first['msg']}",
                hint="the server may speak a newer API; upgrade skillsync"
                if first["type"] in _DRIFT_ERRORS
                else "the answer breaks the API's rules; check the remote URL (skillsync whoami)",
            ) from None

    async def _one(self, op: str, model: type[M], *, path: dict[str, str] | None = None, **kw: Any) -> M:
        method, template, _, _ = OPERATIONS[op]
        url_path = _path(template, **(path or {}))
        data, _ = self._envelope(await self._request_json(method, url_path, **kw), method, url_path)
        return self._validate(model, data, method, url_path)

    async def _fetch(
        self, op: str, *, path: dict[str, str] | None = None, **kw: Any
    ) -> tuple[Any, PaginationMeta | None, str, str]:
        """``data`` and pagination of ``op``'s answer, with its method and path (for messages)."""
        method, template, _, _ = OPERATIONS[op]
        url_path = _path(template, **(path or {}))
        data, page = self._envelope(await self._request_json(method, url_path, **kw), method, url_path)
        return data, page, method, url_path

    def _validate_list(self, model: type[M], data: Any, method: str, path: str) -> list[M]:
        from pydantic import TypeAdapter, ValidationError

        try:
            return TypeAdapter(list[model]).validate_python(data)  # type: ignore[valid-type]
        except ValidationError:
            if not isinstance(data, list):
                raise RemoteError(
                    f"{self.remote}: {method} {self._url(path)}: 'data' is not a list"
                ) from None
            return [self._validate(model, item, method, path) for item in data]

    async def _many(
        self, op: str, model: type[M], *, path: dict[str, str] | None = None, **kw: Any
    ) -> tuple[list[M], PaginationMeta | None]:
        data, page, method, url_path = await self._fetch(op, path=path, **kw)
        return self._validate_list(model, data, method, url_path), page

    # -- organizations ---------------------------------------------------------------------------

    async def list_organizations(self) -> list[Organization]:
        from skillsync.remote.models import Organization

        return (await self._many("list_organizations", Organization))[0]

    # -- custom skills ---------------------------------------------------------------------------

    @staticmethod
    def _listing_params(q: str | None, include_archived: bool) -> dict[str, str] | None:
        params: dict[str, str] = {}
        if q is not None:
            params["q"] = q
        if include_archived:
            params["include_archived"] = "true"
        return params or None

    async def list_custom_skills(
        self, org_id: str, *, q: str | None = None, include_archived: bool = False
    ) -> list[OrganizationCustomSkill]:
        from skillsync.remote.models import OrganizationCustomSkill

        items, _ = await self._many(
            "list_custom_skills",
            OrganizationCustomSkill,
            path={"organization_id": org_id},
            params=self._listing_params(q, include_archived),
        )
        return items

    async def list_custom_skill_docs(
        self, org_id: str, *, q: str | None = None, include_archived: bool = False
    ) -> list[dict[str, Any]]:
        """:meth:`list_custom_skills` as plain JSON objects, checked against the same schema.

        Items that :func:`~skillsync.remote.plain_check.custom_skill_ok` accepts are returned as
        sent, without importing pydantic (the hot path of ``status`` and ``push``); otherwise the
        models judge the whole list (the same errors as :meth:`list_custom_skills`) and their
        values are returned, dumped to dicts with every field.
        """
        from skillsync.remote.plain_check import custom_skill_ok

        data, _, method, url_path = await self._fetch(
            "list_custom_skills",
            path={"organization_id": org_id},
            params=self._listing_params(q, include_archived),
        )
        if type(data) is list and all(custom_skill_ok(item) for item in data):
            return data
        from skillsync.remote.models import OrganizationCustomSkill

        items = self._validate_list(OrganizationCustomSkill, data, method, url_path)
        return [item.model_dump() for item in items]

    async def get_custom_skill(self, org_id: str, skill_id: str) -> OrganizationCustomSkill:
        from skillsync.remote.models import OrganizationCustomSkill

        return await self._one(
            "get_custom_skill",
            OrganizationCustomSkill,
            path={"organization_id": org_id, "skill_id": skill_id},
        )

    async def create_custom_skill(
        self,
        org_id: str,
        *,
        slug: str,
        display_name: str,
        description: str | None,
        files: Sequence[UploadFile],
        publish: bool = False,
    ) -> OrganizationCustomSkill:
        from skillsync.remote.models import OrganizationCustomSkill

        body = create_skill_body(
            slug=slug, display_name=display_name, description=description, files=files, publish=publish
        )
        return await self._one(
            "create_custom_skill", OrganizationCustomSkill, path={"organization_id": org_id}, body=body
        )

    async def update_custom_skill(
        self,
        org_id: str,
        skill_id: str,
        *,
        display_name: str | _Unset | None = UNSET,
        description: str | _Unset | None = UNSET,
        status: OrganizationCustomSkillStatus | _Unset | None = UNSET,
    ) -> OrganizationCustomSkill:
        from skillsync.remote.models import OrganizationCustomSkill, UpdateOrganizationCustomSkillRequest

        fields = {
            k: v
            for k, v in (("display_name", display_name), ("description", description), ("status", status))
            if not isinstance(v, _Unset)
        }
        payload = UpdateOrganizationCustomSkillRequest.model_validate(fields).model_dump(exclude_unset=True)
        return await self._one(
            "update_custom_skill",
            OrganizationCustomSkill,
            path={"organization_id": org_id, "skill_id": skill_id},
            json=payload,
        )

    # -- revisions -------------------------------------------------------------------------------

    async def list_revisions(
        self, org_id: str, skill_id: str
    ) -> list[OrganizationCustomSkillRevisionSummary]:
        from skillsync.remote.models import OrganizationCustomSkillRevisionSummary

        items, _ = await self._many(
            "list_custom_skill_revisions",
            OrganizationCustomSkillRevisionSummary,
            path={"organization_id": org_id, "skill_id": skill_id},
        )
        return items

    async def create_revision(
        self, org_id: str, skill_id: str, *, files: Sequence[UploadFile], publish: bool = False
    ) -> OrganizationCustomSkillRevision:
        from skillsync.remote.models import OrganizationCustomSkillRevision

        return await self._one(
            "create_custom_skill_revision",
            OrganizationCustomSkillRevision,
            path={"organization_id": org_id, "skill_id": skill_id},
            body=revision_body(files, publish=publish),
        )

    async def get_revision(
        self, org_id: str, skill_id: str, revision_id: str
    ) -> OrganizationCustomSkillRevision:
        from skillsync.remote.models import OrganizationCustomSkillRevision

        return await self._one(
            "get_custom_skill_revision",
            OrganizationCustomSkillRevision,
            path={"organization_id": org_id, "skill_id": skill_id, "revision_id": revision_id},
        )

    async def publish_revision(self, org_id: str, skill_id: str, revision_id: str) -> OrganizationCustomSkill:
        from skillsync.remote.models import OrganizationCustomSkill

        return await self._one(
            "publish_custom_skill_revision",
            OrganizationCustomSkill,
            path={"organization_id": org_id, "skill_id": skill_id, "revision_id": revision_id},
        )

    async def get_revision_file(
        self, org_id: str, skill_id: str, revision_id: str, path: str
    ) -> OrganizationCustomSkillFileContent:
        from skillsync.remote.models import OrganizationCustomSkillFileContent

        return await self._one(
            "get_custom_skill_revision_file",
            OrganizationCustomSkillFileContent,
            path={"organization_id": org_id, "skill_id": skill_id, "revision_id": revision_id},
            params={"path": path},
        )

    async def download_bundle(
        self, org_id: str, skill_id: str, revision_id: str, dest: IO[bytes], *, max_bytes: int | None = None
    ) -> int:
        """Stream the revision's tar.gz into ``dest``; return the number of bytes written.

        Retried (GET) only until the body starts; a connection dropped mid-body raises
        :class:`NetworkError` with ``dest`` holding a partial file the caller should discard.
        Past ``max_bytes`` (see :func:`bundle_bound`) it stops with a RemoteError before writing more.
        """
        method, template, _, _ = OPERATIONS["download_custom_skill_revision_bundle"]
        url_path = _path(template, organization_id=org_id, skill_id=skill_id, revision_id=revision_id)
        written = 0
        async with self._open(method, url_path) as response:
            declared = response.headers.get("content-length", "")
            if max_bytes is not None and declared.isdigit() and int(declared) > max_bytes:
                raise self._too_large(method, url_path, "the bundle", max_bytes)
            async for chunk in response.aiter_raw():
                if max_bytes is not None and written + len(chunk) > max_bytes:
                    raise self._too_large(method, url_path, "the bundle", max_bytes)
                try:
                    dest.write(chunk)
                except OSError as exc:
                    raise LocalError(f"cannot write the downloaded bundle: {exc.strerror or exc}") from None
                written += len(chunk)
        return written

    # -- read side for the mirror ----------------------------------------------------------------

    async def list_members(self, org_id: str) -> list[OrganizationMemberWithUser]:
        from skillsync.remote.models import OrganizationMemberWithUser

        return (
            await self._many("list_members", OrganizationMemberWithUser, path={"organization_id": org_id})
        )[0]

    async def list_invites(self, org_id: str) -> list[OrganizationInvite]:
        from skillsync.remote.models import OrganizationInvite

        return (await self._many("list_invites", OrganizationInvite, path={"organization_id": org_id}))[0]

    async def get_private_chat_policy(self, org_id: str) -> OrganizationPrivateChatPolicy:
        from skillsync.remote.models import OrganizationPrivateChatPolicy

        return await self._one(
            "get_private_chat_policy", OrganizationPrivateChatPolicy, path={"organization_id": org_id}
        )

    async def list_publishers(self, org_id: str) -> list[PublisherResponse]:
        from skillsync.remote.models import PublisherResponse

        return (await self._many("list_org_publishers", PublisherResponse, path={"organization_id": org_id}))[
            0
        ]

    async def get_publisher(self, org_id: str, publisher_id: str) -> PublisherResponse:
        from skillsync.remote.models import PublisherResponse

        return await self._one(
            "get_org_publisher",
            PublisherResponse,
            path={"organization_id": org_id, "publisher_id": publisher_id},
        )

    async def get_publisher_earnings(self, org_id: str, publisher_id: str) -> list[PublisherEarningsResponse]:
        from skillsync.remote.models import PublisherEarningsResponse

        items, _ = await self._many(
            "get_org_publisher_earnings",
            PublisherEarningsResponse,
            path={"organization_id": org_id, "publisher_id": publisher_id},
        )
        return items

    async def list_payouts(
        self, org_id: str, publisher_id: str, *, page_size: int = PAGE_LIMIT
    ) -> list[PublisherPayoutResponse]:
        """Every payout, following ``limit``/``offset`` pages until ``has_more`` is false."""
        from skillsync.remote.models import PublisherPayoutResponse

        out: list[PublisherPayoutResponse] = []
        offset = 0
        while True:
            items, page = await self._many(
                "list_org_publisher_payouts",
                PublisherPayoutResponse,
                path={"organization_id": org_id, "publisher_id": publisher_id},
                params={"limit": str(page_size), "offset": str(offset)},
            )
            out.extend(items)
            if page is None or not page.has_more or not items:
                return out
            offset += len(items)

    async def read_data(
        self, op: str, *, path: dict[str, str] | None = None, params: dict[str, str] | None = None
    ) -> tuple[Any, PaginationMeta | None]:
        """The ``data`` (and pagination) of a GET operation as the server sent it.

        Checked against the operation's model, but returned whole: the mirror stores every field,
        including ones this client's models do not know yet. Refuses anything but a JSON GET.
        """
        from skillsync.remote import models

        method, template, name, many = OPERATIONS[op]
        if method != "GET" or name is None:
            raise ValueError(f"{op} is not a JSON read operation")
        url_path = _path(template, **(path or {}))
        doc = await self._request_json(method, url_path, params=params)
        data, page = self._envelope(doc, method, url_path)
        if many and not isinstance(data, list):
            raise RemoteError(f"{self.remote}: {method} {self._url(url_path)}: 'data' is not a list")
        for item in data if many else [data]:
            self._validate(getattr(models, name), item, method, url_path)
        return data, page
