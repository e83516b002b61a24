"""Errors the SDK raises. Every error carries a ``code``: the documented code of the LatteStream REST API
(``INVALID_CHANNEL``, ``RATE_LIMIT_EXCEEDED``…) when the server refused a request, the same code when the
SDK refused an argument before sending anything, and ``CONNECTION_ERROR`` / ``TIMEOUT`` / ``HTTP_ERROR``
when no documented answer came back."""

from __future__ import annotations

from typing import Any, Mapping, Optional


class ErrorCode:
    """The codes of the REST API (docs/rest-api.md, "Errors"), plus the SDK's own transport codes."""

    INVALID_JSON = "INVALID_JSON"
    MISSING_PARAMETER = "MISSING_PARAMETER"
    INVALID_REQUEST = "INVALID_REQUEST"
    INVALID_SOCKET_ID = "INVALID_SOCKET_ID"
    INVALID_CHANNEL = "INVALID_CHANNEL"
    INVALID_EVENT = "INVALID_EVENT"
    TOO_MANY_CHANNELS = "TOO_MANY_CHANNELS"
    TOO_MANY_EVENTS = "TOO_MANY_EVENTS"
    INVALID_EXPIRES_IN = "INVALID_EXPIRES_IN"
    INVALID_PERMISSIONS = "INVALID_PERMISSIONS"
    MISSING_USER_ID = "MISSING_USER_ID"
    INVALID_API_KEY = "INVALID_API_KEY"
    INVALID_SIGNATURE = "INVALID_SIGNATURE"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    REQUEST_TIMEOUT = "REQUEST_TIMEOUT"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    RATE_LIMIT_EXCEEDED = "RATE_LIMIT_EXCEEDED"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    #: The SDK's configuration is unusable (a key that is not ``lsk_…``, a bad endpoint URL).
    INVALID_CONFIG = "INVALID_CONFIG"
    #: The server could not be reached, or the connection broke.
    CONNECTION_ERROR = "CONNECTION_ERROR"
    #: No answer within the configured ``timeout``.
    TIMEOUT = "TIMEOUT"
    #: An answer that is not the documented error body (a proxy's 502 page, say).
    HTTP_ERROR = "HTTP_ERROR"


class LatteStreamError(Exception):
    """The base of every error this SDK raises, so one ``except`` catches them all."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class ValidationError(LatteStreamError):
    """An argument the SDK refused before sending anything (or, for local authorization, at all)."""


class ApiError(LatteStreamError):
    """The server answered with an error status; ``code`` and ``details`` are from its documented body."""

    def __init__(
        self, message: str, code: str, status: int, details: Optional[Mapping[str, Any]] = None
    ) -> None:
        super().__init__(message, code)
        self.status = status
        self.details = details


class RateLimitError(ApiError):
    """A 429 that was still refused after every retry the SDK was allowed."""

    def __init__(
        self, message: str, status: int, retry_after: float, details: Optional[Mapping[str, Any]] = None
    ) -> None:
        super().__init__(message, ErrorCode.RATE_LIMIT_EXCEEDED, status, details)
        #: Seconds the server asked to wait (``Retry-After``).
        self.retry_after = retry_after


class ConnectionError(LatteStreamError):  # noqa: A001 - the SDK's name, reached as lattestream.ConnectionError
    """No answer: the server was unreachable, the connection broke, or the timeout passed."""
