"""Responses as the clients hand them back: a parsed value, a ``RawResponse``, or a typed error.

Every message built here is safe to show: server text is capped (``errors.clip``), and the
configured token, the call's secrets, any ``Bearer <token>`` and URL credentials are masked
(``errors.safe_text``). The error's ``body`` / ``raw`` keep the server's text as received.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

import httpx

from . import _deepjson
from ._operations import CORRELATION_ID_KEY
from .errors import (
    AmpError,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    KickoffMayHaveStarted,
    ResponseTooLarge,
    ResponseValidationError,
    RunNotFoundError,
    clauses,
    clip,
    request_id_of,
    safe_text,
    status_error_class,
    unended,
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
    """What the plain call returns."""
    http_response: httpx.Response
    """The ``httpx.Response`` the value was parsed from."""
    retries: int
    """How many times the request was retried before this response."""

    @property
    def status_code(self) -> int:
        """The response's HTTP status code."""
        return self.http_response.status_code

    @property
    def headers(self) -> httpx.Headers:
        """The response's headers."""
        return self.http_response.headers

    @property
    def request_id(self) -> str | None:
        """The response's ``x-request-id`` header, when AMP sends one."""
        return request_id_of(self.http_response)


def _sent_path(request: httpx.Request) -> str:
    """The path as sent, escapes included: an id "a/../x" went out as a%2F..%2Fx, and a message
    showing the decoded form would misreport the request."""
    return request.url.raw_path.decode("ascii", "replace").partition("?")[0]


def _said(message: str, response: httpx.Response) -> str:
    """``message``, naming the response's request id when it sent one."""
    request_id = request_id_of(response)
    return f"{unended(message)} (request id {request_id})" if request_id else message


def _request_of(response: httpx.Response) -> httpx.Request | None:
    try:
        return response.request
    except RuntimeError:  # a response built by hand carries no request
        return None


def _request_line(response: httpx.Response) -> str:
    request = _request_of(response)
    return "" if request is None else f"{request.method} {clip(_sent_path(request), 200)} "


# Why a status check can keep failing with 5xx, said in its error (the platform's client rules:
# a /status that keeps answering 5xx can mean the run itself failed).
STATUS_5XX_HINT = (
    "a status check that keeps failing can mean the run itself failed: check the deployment's logs "
    "(the run may also still be going: wait on its kickoff id again later)"
)


def status_error(response: httpx.Response, secrets: Iterable[str] = (), *, hint: str = "") -> APIStatusError:
    body = _error_body(response)
    said = ErrorBody.read(body)
    message = f"{_request_line(response)}answered {response.status_code} {response.reason_phrase}".rstrip()
    if said.text:
        message += f": {clip(said.text)}"
    return status_error_class(response.status_code)(
        safe_text(_said(clauses(message, hint), response), secrets),
        response=response,
        body=body,
        code=said.code,
        missing_inputs=said.missing_inputs,
    )


def _error_body(response: httpx.Response) -> object:
    try:
        return _deepjson.loads(response.content)
    except PARSE_ERRORS:
        return response.text


# "Missing inputs: audience, topic" (a live 422's detail) or "Missing required inputs: a, b".
_MISSING = re.compile(r"missing(?: required)? inputs?\s*:\s*(.+)", re.IGNORECASE | re.DOTALL)
# How many errors of an envelope, or FastAPI problems, a message names.
_SHOWN = 3


@dataclass(frozen=True, slots=True)
class ErrorBody:
    """What an error body says, in whichever shape it comes (see the platform-errors spec
    overlay): the seed spec's and the API reference's ``{"error", "message", "details":
    {"missing_inputs"}}``, FastAPI's ``{"detail": "..." | [{loc, msg, type}]}``, and the
    platform envelope ``{"errors": [{type, code, title, status, detail}]}``. Anything else in
    the body is left alone (it stays in the error's ``body``)."""

    text: str = ""
    code: str | None = None
    missing_inputs: tuple[str, ...] = ()

    @classmethod
    def read(cls, body: object) -> ErrorBody:
        if not isinstance(body, dict):
            return cls()
        parts: list[str] = []
        for key in ("error", "message"):
            _add(parts, body.get(key))
        detail = body.get("detail")
        _add(parts, detail if isinstance(detail, str) else _problems(detail))
        errors = body.get("errors")
        envelope = [item for item in errors if isinstance(item, dict)] if isinstance(errors, list) else []
        for item in envelope[:_SHOWN]:
            _add(parts, ": ".join(t for t in (_str(item.get("title")), _str(item.get("detail"))) if t))
        if len(envelope) > _SHOWN:
            parts.append(f"and {len(envelope) - _SHOWN} more")
        code = next((_str(item.get("code")) for item in envelope if _str(item.get("code"))), None)
        missing = _missing(body, parts)
        if missing and not any(name in "; ".join(parts) for name in missing):
            parts.append(f"missing inputs: {', '.join(missing)}")
        return cls(text=clauses(*parts), code=code, missing_inputs=missing)


def _str(value: object) -> str | None:
    """A text field as text: a string, or a number (JSON:API codes and statuses are strings,
    some servers send numbers)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (str, int)):
        text = str(value).strip()
        return text or None
    return None


def _add(parts: list[str], value: object) -> None:
    text = value.strip() if isinstance(value, str) else None
    if text and text not in parts:
        parts.append(text)


def _problems(detail: object) -> str | None:
    """FastAPI's list of validation problems as one line: ``executionId: Field required; ...``."""
    if not isinstance(detail, list):
        return None
    said = []
    for problem in detail[:_SHOWN]:
        if isinstance(problem, dict) and isinstance(problem.get("msg"), str):
            where = problem.get("loc")
            names = [str(part) for part in where if part != "body"] if isinstance(where, list) else []
            said.append(f"{'.'.join(names)}: {problem['msg']}" if names else problem["msg"])
    if len(detail) > _SHOWN and said:
        said.append(f"and {len(detail) - _SHOWN} more")
    return clauses(*said) or None


def _missing(body: dict[str, object], parts: list[str]) -> tuple[str, ...]:
    details = body.get("details")
    names = details.get("missing_inputs") if isinstance(details, dict) else None
    if isinstance(names, list):
        return tuple(name for name in names if isinstance(name, str))
    for text in parts:
        found = _MISSING.search(text)
        if found:
            return tuple(name.strip() for name in found.group(1).split(",") if name.strip())
    return ()


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
        safe_text(_said(message, response), secrets),
        raw=response.text,
        status_code=response.status_code,
        response=response,
    )


class UnknownRun(Exception):
    """The ``NOT FOUND`` state: AMP knows no run with this kickoff id. The client turns it into
    errors.RunNotFoundError, which carries the HTTP response."""

    def __init__(self, kickoff_id: str, state: str, body: dict[str, object]) -> None:
        super().__init__(f"no crew run {kickoff_id!r} (AMP answered state {state!r})")
        self.kickoff_id = kickoff_id
        self.state = state
        self.body = body


# Why a run can be "not found", said in every RunNotFoundError.
_NOT_FOUND_HINT = (
    "check that the base URL is the deployment that issued this id; "
    "deployed AMP also answers NOT FOUND for a run waiting for human input"
)


def run_not_found(
    response: httpx.Response, unknown: UnknownRun, secrets: Iterable[str] = ()
) -> RunNotFoundError:
    """A 200 ``NOT FOUND`` answer as RunNotFoundError."""
    message = clauses(f"{_request_line(response)}answered {response.status_code}: {unknown}", _NOT_FOUND_HINT)
    return RunNotFoundError(
        safe_text(_said(message, response), secrets),
        response=response,
        body=unknown.body,
        kickoff_id=unknown.kickoff_id,
    )


def vanished(missing: RunNotFoundError, last_seen: str) -> RunNotFoundError:
    """NOT FOUND, past the grace, for a run a wait() has seen: no id this deployment does not
    know, but, on deployed AMP, a run waiting for human input (live: NOT FOUND, never PAUSED)."""
    message = (
        f"{_request_line(missing.response)}answered NOT FOUND for crew run {missing.kickoff_id!r}, which "
        f"answered {last_seen!r} earlier: deployed AMP answers NOT FOUND for a run waiting for human "
        "input; its humanInputWebhookUrl delivery names the task to resume"
    )
    return RunNotFoundError(
        _said(message, missing.response),
        response=missing.response,
        body=missing.body,
        kickoff_id=missing.kickoff_id,
        code=missing.code,
    )


def run_not_found_404(
    response: httpx.Response, kickoff_id: str, secrets: Iterable[str] = ()
) -> RunNotFoundError:
    """A 404 on a status check as RunNotFoundError (a NotFoundError, as every 404 is)."""
    body = _error_body(response)
    said = ErrorBody.read(body)
    message = f"{_request_line(response)}answered 404 {response.reason_phrase}".rstrip()
    message += f": {clip(said.text)}" if said.text else f": no crew run {kickoff_id!r}"
    return RunNotFoundError(
        safe_text(_said(clauses(message, _NOT_FOUND_HINT), response), secrets),
        response=response,
        body=body,
        kickoff_id=kickoff_id,
        code=said.code,
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


def refused(status_code: int) -> bool:
    """Whether a kickoff answered with this status provably started no run: AMP refused it
    (4xx). Any other status (2xx, 3xx, 5xx) may come with a run started."""
    return 400 <= status_code < 500


def _may_have_started(
    cause: AmpError, correlation_id: str, request: httpx.Request | None, what: str
) -> KickoffMayHaveStarted:
    """The error for a kickoff that got no kickoff id back (``what``: how), chained to
    ``cause``, the error it would otherwise have been."""
    error = KickoffMayHaveStarted(
        clauses(
            str(cause),
            f"{what}, so a paid crew run may have started: look for meta {CORRELATION_ID_KEY}="
            f"{correlation_id} in AMP's webhooks or dashboard before kicking off again",
        ),
        correlation_id=correlation_id,
        request=request,
    )
    error.request_id = cause.request_id
    error.__cause__ = cause
    return error


def lost_kickoff(
    exc: httpx.HTTPError, correlation_id: str, secrets: Iterable[str] = ()
) -> KickoffMayHaveStarted:
    """The error for a kickoff whose request may have reached AMP but whose answer was lost;
    its cause is the APIConnectionError the answer was lost with (itself caused by ``exc``)."""
    cause = transport_error(exc, secrets)
    cause.__cause__ = exc
    return _may_have_started(cause, correlation_id, cause.request, "the kickoff's answer was lost")


def unread_kickoff(
    cause: ResponseTooLarge | ResponseValidationError, correlation_id: str
) -> KickoffMayHaveStarted:
    """The error for a kickoff AMP answered, with a status that does not prove it refused (see
    ``refused``), in a body that could not be read: too large, not JSON, no kickoff id."""
    response = cause.response
    request = None if response is None else _request_of(response)
    accepted = cause.status_code is not None and 200 <= cause.status_code < 300
    what = (
        "AMP accepted the kickoff, but no kickoff id could be read from its answer"
        if accepted
        else "AMP's answer to the kickoff could not be read"
    )
    return _may_have_started(cause, correlation_id, request, what)


def too_large(response: httpx.Response, limit: int, received: int, *, announced: bool) -> ResponseTooLarge:
    seen = f"Content-Length says {received}" if announced else f"stopped after {received}"
    message = (
        f"{_request_line(response)}answered {response.status_code} with a body over "
        f"max_response_bytes ({limit} bytes; {seen}); the rest was not read"
    )
    return ResponseTooLarge(
        _said(message, response),
        limit=limit,
        received=received,
        status_code=response.status_code,
        request_id=request_id_of(response),
        response=response,
    )
