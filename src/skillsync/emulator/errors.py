"""The registry's one error type: an HTTP status plus the ``{"error", "message"}`` body clients read."""

from __future__ import annotations


class ApiError(Exception):
    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"{what} not found")


def invalid(message: str, error: str = "invalid_request") -> ApiError:
    return ApiError(400, error, message)


def unprocessable(message: str) -> ApiError:
    return ApiError(422, "validation_error", message)
