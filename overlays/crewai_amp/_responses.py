"""Responses as the clients hand them back: a parsed value, a ``RawResponse``, or a typed error.

Every message built here is safe to show: server text is capped (``errors.clip``), and the
configured token, the call's secrets, any ``Bearer <token>`` and URL credentials are masked
(``errors.safe_text``). The error's ``body`` / ``raw`` keep the server's text as received.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

import httpx

from .errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    KickoffMayHaveStarted,
    ResponseTooLarge,
    ResponseValidationError,
    RunNotFoundError,
    clip,
    safe_text,
    status_error_class,
)

__all__ = ["RawResponse"]

T = TypeVar("T")

# Everything a generated from_dict or json.loads raises on data it cannot read
# (json.JSONDecodeError, UnicodeDecodeError and ModelError are ValueErrors).
PARSE_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError)


@dataclass(frozen=True, slots=True)
class RawResponse(Generic[T]):
    """What ``client.with_raw_response.<method>(...)`` returns: the parsed value and the
    ``httpx.Response`` it came from (headers, timing, the exact bytes)."""

    parsed: T
    http_response: httpx.Response
    retries: int  # how many times the request was retried before this response

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def headers(self) -> httpx.Headers:
        return self.http_response.headers

    @property
    def request_id(self) -> str | None:
        value: str | None = self.http_response.headers.get("x-request-id")
        return value


def _sent_path(request: httpx.Request) -> str:
    """The path as sent, escapes included: an id "a/../x" went out as a%2F..%2Fx, and a message
    showing the decoded form would misreport the request."""
    return request.url.raw_path.decode("ascii", "replace").partition("?")[0]


def _request_line(response: httpx.Response) -> str:
    try:
        request = response.request
    except RuntimeError:  # a response built by hand carries no request
        return ""
    return f"{request.method} {clip(_sent_path(request), 200)} "


def status_error(response: httpx.Response, secrets: Iterable[str] = ()) -> APIStatusError:
    try:
        body: object = response.json()
    except PARSE_ERRORS:
        body = response.text
    detail = body.get("error") if isinstance(body, dict) else None
    message = f"{_request_line(response)}answered {response.status_code} {response.reason_phrase}".rstrip()
    if isinstance(detail, str) and detail:
        message += f": {clip(detail)}"
    return status_error_class(response.status_code)(safe_text(message, secrets), response=response, body=body)


def validation_error(
    response: httpx.Response, exc: BaseException, secrets: Iterable[str] = ()
) -> ResponseValidationError:
    from ._models import ModelError

    if isinstance(exc, (json.JSONDecodeError, UnicodeDecodeError)):
        problem = "the body is not JSON"
    elif isinstance(exc, ModelError):
        problem = str(exc)
    else:  # what a generated from_dict raised
        problem = f"{type(exc).__name__}: {exc}"
    message = (
        f"{_request_line(response)}answered {response.status_code} with a body that does not match "
        f"the spec: {clip(problem)}"
    )
    return ResponseValidationError(
        safe_text(message, secrets), raw=response.text, status_code=response.status_code, response=response
    )


class UnknownRun(Exception):
    """The observed ``NOT FOUND`` state: AMP knows no run with this kickoff id. The client turns
    it into errors.RunNotFoundError, which carries the HTTP response."""

    def __init__(self, kickoff_id: str, state: str, body: dict[str, object]) -> None:
        super().__init__(f"no crew run {kickoff_id!r} (AMP answered state {state!r})")
        self.kickoff_id = kickoff_id
        self.state = state
        self.body = body


def run_not_found(
    response: httpx.Response, unknown: UnknownRun, secrets: Iterable[str] = ()
) -> RunNotFoundError:
    message = f"{_request_line(response)}answered {response.status_code}: {unknown}"
    return RunNotFoundError(
        safe_text(message, secrets), response=response, body=unknown.body, kickoff_id=unknown.kickoff_id
    )


def transport_error(exc: httpx.HTTPError, secrets: Iterable[str] = ()) -> APIConnectionError:
    try:
        request: httpx.Request | None = exc.request
    except RuntimeError:  # httpx raises when the exception carries no request
        request = None
    kind = APITimeoutError if isinstance(exc, httpx.TimeoutException) else APIConnectionError
    where = f"{request.method} {clip(_sent_path(request), 200)}: " if request is not None else ""
    text = f"{type(exc).__name__}: {clip(str(exc))}" if str(exc) else type(exc).__name__
    return kind(safe_text(f"{where}{text}", secrets), request=request)


def lost_kickoff(
    exc: httpx.HTTPError, correlation_id: str, secrets: Iterable[str] = ()
) -> KickoffMayHaveStarted:
    """The error for a kickoff whose request may have reached AMP but whose answer was lost."""
    cause = transport_error(exc, secrets)
    return KickoffMayHaveStarted(
        f"{cause}; the kickoff's answer was lost, so a paid crew run may have started: look for "
        f"meta crewai_amp_correlation_id={correlation_id} in AMP's webhooks or dashboard before "
        f"kicking off again",
        correlation_id=correlation_id,
        request=cause.request,
    )


def too_large(response: httpx.Response, limit: int, received: int, *, announced: bool) -> ResponseTooLarge:
    seen = f"Content-Length says {received}" if announced else f"stopped after {received}"
    return ResponseTooLarge(
        f"{_request_line(response)}answered {response.status_code} with a body over "
        f"max_response_bytes ({limit} bytes; {seen}); the rest was not read",
        limit=limit,
        received=received,
        status_code=response.status_code,
    )
