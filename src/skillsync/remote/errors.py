"""Errors of the Seren API client. All are :class:`skillsync.errors.RemoteError` (exit 3).

::

    RemoteError
    ├── ApiError(status, method, url, error, message)   the server answered with an error status
    │   ├── AuthenticationError    401 / 403: "authentication failed for <remote>"
    │   ├── NotFoundError          404
    │   ├── ConflictError          409
    │   ├── RateLimitedError       429 (``retry_after`` seconds, when the server said)
    │   └── ServerError            5xx
    ├── NetworkError               connect errors, dropped connections (names the host)
    ├── RequestTimeout             no answer within the configured timeout
    └── NotLoggedIn                no API key for a remote that needs one

Messages carry the method, URL and the server's ``error``/``message``; never the API key or the
``Authorization`` header (the key never reaches this module).
"""

from __future__ import annotations

from skillsync.errors import RemoteError
from skillsync.redact import redact


def _login_hint(remote: str) -> str:
    return f"check the key: run `skillsync login --remote {remote}` or set SEREN_API_KEY"


class ApiError(RemoteError):
    """The server answered ``status`` to ``method url``, with its ``error`` code and ``message``."""

    def __init__(
        self,
        *,
        status: int,
        method: str,
        url: str,
        error: str | None = None,
        message: str | None = None,
        remote: str = "remote",
        attempts: int = 1,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.method = method
        self.url = url
        self.error = error
        self.server_message = message
        self.remote = remote
        self.attempts = attempts
        self.retry_after = retry_after  # seconds the server asked to wait (429/503), if any
        super().__init__(redact(self._describe()))

    def _detail(self) -> str:
        parts = [p for p in (self.error, self.server_message) if p]
        detail = ": ".join(parts) if parts else "no error message"
        after = f" (after {self.attempts} attempts)" if self.attempts > 1 else ""
        return f"HTTP {self.status} {detail}{after}"

    def _describe(self) -> str:
        return f"{self.remote}: {self.method} {self.url} failed: {self._detail()}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, method={self.method!r}, url={self.url!r})"


class AuthenticationError(ApiError):
    """401 or 403: the key is wrong, expired, or lacks access."""

    def _describe(self) -> str:
        return (
            f"authentication failed for {self.remote}: {self.method} {self.url}: {self._detail()}; "
            f"{_login_hint(self.remote)}"
        )


class NotFoundError(ApiError):
    """404: the organization, skill, revision or file does not exist (or is not visible)."""


class ConflictError(ApiError):
    """409: the request clashes with existing state (e.g. a slug already taken)."""


class RateLimitedError(ApiError):
    """429: too many requests; ``retry_after`` is the server's wait in seconds, when given."""


class ServerError(ApiError):
    """5xx: the server failed. 502/503/504 are retried for GET/PATCH/PUT."""


class NetworkError(RemoteError):
    """The request did not complete: connection refused, DNS failure, connection dropped."""

    def __init__(self, *, remote: str, method: str, url: str, host: str, reason: str) -> None:
        self.remote = remote
        self.method = method
        self.url = url
        self.host = host
        super().__init__(
            redact(f"{remote}: cannot reach {host}: {reason} ({method} {url})"),
            hint="check the network and the remote URL; `skillsync whoami` shows it",
        )


class RequestTimeout(RemoteError):
    """No complete answer within the configured timeout (``[remotes.NAME] timeout``)."""

    def __init__(self, *, remote: str, method: str, url: str, host: str, timeout: float) -> None:
        self.remote = remote
        self.method = method
        self.url = url
        self.host = host
        super().__init__(
            f"{remote}: {method} {url}: no answer from {host} within {timeout:g} s",
            hint=f"raise [remotes.{remote}] timeout in skillsync.toml, or try again",
        )


class NotLoggedIn(RemoteError):
    """A remote that needs a key has none (no stored credential, no ``SEREN_API_KEY``)."""

    def __init__(self, remote: str) -> None:
        self.remote = remote
        super().__init__(
            f"no API key for remote '{remote}'",
            hint=f"run `skillsync login --remote {remote}` or set SEREN_API_KEY",
        )


STATUS_ERRORS: dict[int, type[ApiError]] = {
    401: AuthenticationError,
    403: AuthenticationError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitedError,
}


def error_class(status: int) -> type[ApiError]:
    if status >= 500:
        return ServerError
    return STATUS_ERRORS.get(status, ApiError)
