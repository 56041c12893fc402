"""The exceptions this SDK raises. Every one is an :class:`AmpError`.

Nothing else escapes the public API: a malformed response, a tampered webhook or a crew that
failed each has its own type, and every error keeps the raw data it was built from so nothing
is lost.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AmpError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "EventParseError",
    "ExecutionError",
    "InternalServerError",
    "NotFoundError",
    "RateLimitError",
    "ResponseValidationError",
    "UnprocessableEntityError",
    "WaitTimeout",
    "WebhookVerificationError",
]


class AmpError(Exception):
    """Base class of every error raised by crewai_amp."""


class ConfigurationError(AmpError, ValueError):
    """The client is missing a base URL or token, or was given an invalid setting."""


class APIConnectionError(AmpError):
    """The request could not be completed: connection refused, reset, DNS failure..."""

    def __init__(self, message: str, *, request: httpx.Request | None = None) -> None:
        super().__init__(message)
        self.request = request


class APITimeoutError(APIConnectionError):
    """The request timed out (connect, read, write or pool timeout)."""


class APIStatusError(AmpError):
    """The API answered with a 4xx or 5xx status.

    ``body`` is the parsed JSON body when there is one, else the raw text.
    """

    status_code: int

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        body: object,
    ) -> None:
        super().__init__(message)
        self.response = response
        self.status_code = response.status_code
        self.body = body
        self.request_id: str | None = response.headers.get("x-request-id")


class BadRequestError(APIStatusError):
    """400: the request body was malformed or inputs were missing."""


class AuthenticationError(APIStatusError):
    """401: the bearer token was missing, wrong or expired."""


class NotFoundError(APIStatusError):
    """404: unknown crew or kickoff id."""


class UnprocessableEntityError(APIStatusError):
    """422: the inputs failed validation (e.g. a required input is missing)."""


class RateLimitError(APIStatusError):
    """429: too many requests."""


class InternalServerError(APIStatusError):
    """5xx: the server failed."""


class ResponseValidationError(AmpError):
    """A response body does not match the spec (not JSON, wrong shape, wrong types).

    ``raw`` holds the body text exactly as received, so nothing is lost.
    """

    def __init__(
        self,
        message: str,
        *,
        raw: str,
        status_code: int | None = None,
        response: httpx.Response | None = None,
    ) -> None:
        super().__init__(message)
        self.raw = raw
        self.status_code = status_code
        self.response = response


class ExecutionError(AmpError):
    """The crew execution ended with status ``error``. ``status`` is the final status."""

    def __init__(self, message: str, *, kickoff_id: str, status: Any) -> None:
        super().__init__(message)
        self.kickoff_id = kickoff_id
        self.status = status


class WaitTimeout(AmpError, TimeoutError):
    """``wait()`` gave up before the crew finished. ``last_status`` is the last one seen."""

    def __init__(self, message: str, *, kickoff_id: str, last_status: Any) -> None:
        super().__init__(message)
        self.kickoff_id = kickoff_id
        self.last_status = last_status


class WebhookVerificationError(AmpError):
    """A webhook failed authentication: bad or missing signature, stale timestamp, bad token."""


class EventParseError(AmpError, ValueError):
    """A webhook payload is not a valid event. ``raw`` holds the payload as received, ``errors``
    every problem found (pydantic's ``loc``/``msg``/``type`` dicts, plus ``field``: the dotted path)."""

    def __init__(self, message: str, *, raw: object = None, errors: Sequence[Mapping[str, Any]] = ()) -> None:
        super().__init__(message)
        self.raw = raw
        self.errors = [dict(error) for error in errors]


_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    404: NotFoundError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error_class(status_code: int) -> type[APIStatusError]:
    """The most specific APIStatusError subclass for an HTTP status code."""
    if status_code >= 500:
        return InternalServerError
    return _STATUS_ERRORS.get(status_code, APIStatusError)
