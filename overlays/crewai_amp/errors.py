"""The exceptions this SDK raises. Every one is an [AmpError][crewai_amp.errors.AmpError].

Nothing else escapes the public API: a malformed response, a tampered webhook or a crew that
failed each has its own type, and every error keeps the raw data it was built from so nothing
is lost.

Messages are safe to log: server text in them is capped (``MAX_SERVER_TEXT`` characters, with
how much was cut), any ``Bearer <token>`` and any URL's ``user:password@`` are masked, and the
client masks its configured token and the secrets of the call. The raw data (``body``,
``raw``, ``response``) stays as received. Every error pickles, so it crosses a
``ProcessPoolExecutor`` or multiprocessing boundary with its message and attributes; a pickled
error's httpx request (its own, or its response's) keeps no credential header.

One masking rule, here and in the CLI: a secret of 8 characters or more is
masked wherever it appears; a shorter one only where it stands alone (not inside a longer word),
so a short token can never garble a message (``--token e`` must not turn "error" into "***rror").
"""

from __future__ import annotations

import copy
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

__all__ = [
    "MAX_SERVER_TEXT",
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
    "JournalBusy",
    "JournalError",
    "JournalMismatch",
    "KickoffMayHaveStarted",
    "NotFoundError",
    "RateLimitError",
    "ResponseTooLarge",
    "ResponseValidationError",
    "RunNotFoundError",
    "UnprocessableEntityError",
    "WaitTimeout",
    "WebhookVerificationError",
]


MAX_SERVER_TEXT = 2048
"""The most characters of server text an error message carries; the rest is cut, and the
message says how many characters were (``body`` or ``raw`` keeps it all)."""
MASK = "***"
# A credential after "Bearer": anything but a placeholder ("Bearer <token>") or one of the words
# prose puts after "bearer" ("Invalid bearer token", "bearer authentication is required").
_PROSE = (
    "a|an|and|auth|authentication|authorization|credential|credentials|expected|for|format|header|in|"
    "invalid|is|missing|must|not|of|only|or|realm|required|scheme|strategy|the|to|token|tokens|was|with"
)
_PROSE_END = r"(?:[\s,;:!?)\]\"']|\.(?:\s|$)|$)"  # the word ends there: "token-x1" is no word
_BEARER = re.compile(rf"(?i)\b(bearer)(\s+)(?!(?:{_PROSE}){_PROSE_END})[^\s\"',;<>]+")
# userinfo ends at the first "@" before the path; it may hold (unencoded) spaces.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#@\r\n]*@")


# A secret shorter than this is masked only where it stands as a word of its own.
_WHOLE_WORD_BELOW = 8

# The response header read as the request id of an error (and of RawResponse). AMP documents no
# request id header; x-request-id is the common convention (gateways and proxies set it), so it
# is the one read, here and nowhere else.
REQUEST_ID_HEADER = "x-request-id"
_MAX_REQUEST_ID = 200  # characters of a request id kept (a header is not a place for prose)


def request_id_of(response: httpx.Response | None) -> str | None:
    """The response's request id (the ``x-request-id`` header), or None when it sends none."""
    if response is None:
        return None
    value = response.headers.get(REQUEST_ID_HEADER, "").strip()
    return clip(value, _MAX_REQUEST_ID) if value else None


def clip(text: str, limit: int = MAX_SERVER_TEXT) -> str:
    """``text`` cut to ``limit`` characters, saying how many were cut."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... [{len(text) - limit} more characters cut]"


# What a clause may end with that reads wrong before "; " or "(request id ...)": "response.;".
_CLAUSE_END = " \t\r\n.;,:"


def unended(text: str) -> str:
    """``text`` without the punctuation it ends with, for something to follow it: a server's
    "Not found." or httpx's "...without sending a response." before "; ..." or "(request id ...)"."""
    return text.rstrip(_CLAUSE_END)


def clauses(*parts: str) -> str:
    """``parts`` as one sentence, joined with ``"; "``: each but the last without the
    punctuation it ended with (see ``unended``), so never "response.; the"; the last keeps its
    own (a server's text stays as it was written); empty ones left out."""
    kept = [part.strip() for part in parts if part.strip()]
    head = [unended(part) for part in kept[:-1]]
    return "; ".join([part for part in head if part] + kept[-1:])


def mask_secrets(text: str, secrets: Iterable[str]) -> str:
    """``text`` with each secret replaced by ``***``: one of 8 characters or more wherever it
    appears, a shorter one only where it stands alone (a short secret inside other words would
    garble them). Longest first, so no part of a longer secret is left behind."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        if len(secret) >= _WHOLE_WORD_BELOW:
            text = text.replace(secret, MASK)
        else:
            text = re.sub(rf"(?<![\w-]){re.escape(secret)}(?![\w-])", MASK, text)
    return text


def safe_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every secret in ``secrets`` (see ``mask_secrets``), every ``Bearer <token>``
    and every URL's credentials (``scheme://user:password@``) replaced by ``***``."""
    text = mask_secrets(text, secrets)
    text = _BEARER.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    return _USERINFO.sub(lambda m: f"{m.group(1)}{MASK}@", text)


# Headers that carry credentials: a pickled error's request keeps none of them.
_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})


def _scrubbed(value: object) -> object:
    """``value`` as an error pickles it: an httpx Request without its credential headers, an
    httpx Response with such a request; anything else unchanged."""
    httpx = sys.modules.get("httpx")  # an httpx object exists only if httpx is loaded
    if httpx is None:
        return value
    if isinstance(value, httpx.Request):
        clean = copy.copy(value)  # httpx's own pickling state: the body kept, the stream dropped
        clean.headers = httpx.Headers(
            [(k, v) for k, v in value.headers.multi_items() if k.lower() not in _CREDENTIAL_HEADERS]
        )
        return clean
    if isinstance(value, httpx.Response):
        clean = copy.copy(value)
        try:
            request = value.request
        except RuntimeError:  # a response built by hand carries no request
            return clean
        clean.request = _scrubbed(request)
        return clean
    return value


def _rebuild(cls: type[AmpError], args: tuple[Any, ...]) -> AmpError:
    """Unpickling: the instance without calling ``__init__`` (whose keyword-only arguments a
    plain exception's pickling cannot pass); its attributes come back from ``__dict__``."""
    error = cls.__new__(cls)
    error.args = args
    return error


class AmpError(Exception):
    """Base class of every error raised by crewai_amp. Its message never carries a bearer token
    or URL credentials."""

    request_id: str | None = None
    """The `x-request-id` header of the answer the error was built from (APIStatusError and its
    subclasses, ResponseValidationError, ResponseTooLarge), for AMP support; the message names
    it too. None when there was no answer or it sent no request id."""

    def __init__(self, message: str = "", *args: object) -> None:
        super().__init__(safe_text(message) if isinstance(message, str) else message, *args)

    def __reduce__(self) -> tuple[Any, ...]:
        state = {name: _scrubbed(value) for name, value in self.__dict__.items()}
        return (_rebuild, (type(self), self.args), state or None)


class ConfigurationError(AmpError, ValueError):
    """The client is missing a base URL or token, or was given an invalid setting."""


class APIConnectionError(AmpError):
    """The request could not be completed: connection refused, reset, DNS failure...

    ``may_have_started`` is True only for KickoffMayHaveStarted: a kickoff that failed with any
    other connection error provably never left the machine, so no run started.
    """

    may_have_started: bool = False

    def __init__(self, message: str, *, request: httpx.Request | None = None) -> None:
        super().__init__(message)
        self.request = request


class APITimeoutError(APIConnectionError):
    """The request timed out (connect, read, write or pool timeout)."""


class KickoffMayHaveStarted(APIConnectionError):
    """A kickoff's request may have reached AMP, but no kickoff id came back: the answer was
    lost (the connection dropped, the read timed out, the body could not be decoded), or AMP
    answered (2xx, 3xx or 5xx) with a body that could not be read (over
    ``max_response_bytes``, not JSON, no kickoff id). A paid crew run may have started, and only
    AMP knows its kickoff id. The SDK never retries it (a second kickoff is a second run) and
    the CLI says so. ``__cause__`` is the error it would otherwise have been (an
    APIConnectionError, ResponseTooLarge or ResponseValidationError, whose ``raw`` keeps the
    body as received).

    ``correlation_id`` is the value the client put in that kickoff's ``meta`` under
    ``"crewai_amp_correlation_id"`` (``crewai_amp.CORRELATION_ID_KEY``): AMP echoes ``meta`` in
    the run's webhooks and shows it in its dashboard, so look for the run there before kicking
    off again. ``may_have_started`` is True.
    """

    may_have_started = True

    def __init__(self, message: str, *, correlation_id: str, request: httpx.Request | None = None) -> None:
        super().__init__(message, request=request)
        self.correlation_id = correlation_id


class APIStatusError(AmpError):
    """The API answered with a 4xx or 5xx status.

    ``body`` is the parsed JSON body when there is one, else the raw text. The message carries
    what the body says, in whichever documented shape: ``error`` and ``message``, FastAPI's
    ``detail``, or the platform envelope ``{"errors": [{type, code, title, status, detail}]}``
    (each error's title and detail). ``code`` is the envelope's first error code (None when
    the body has none); ``missing_inputs`` the input names AMP said were missing (from
    ``details.missing_inputs``, or a ``"Missing inputs: a, b"`` detail), else empty.
    """

    status_code: int

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        body: object,
        code: str | None = None,
        missing_inputs: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.response = response
        self.status_code = response.status_code
        self.body = body
        self.request_id = request_id_of(response)
        self.code = code
        self.missing_inputs: list[str] = list(missing_inputs)


class BadRequestError(APIStatusError):
    """400: the request body was malformed or inputs were missing."""


class AuthenticationError(APIStatusError):
    """401: the bearer token was missing, wrong or expired."""


class NotFoundError(APIStatusError):
    """404: unknown crew or kickoff id."""


class RunNotFoundError(NotFoundError):
    """AMP knows no run with this kickoff id: a status check answered ``404``, or (as deployed
    crews do) ``200 {"state": "NOT FOUND"}``. ``kickoff_id`` is the id asked about;
    ``status_code`` and ``body`` are the response's, as for every APIStatusError. Catching
    NotFoundError catches both forms.

    Deployed crews also answer NOT FOUND for a run that waits for human input (seen live,
    never PAUSED). ``wait()`` and ``run()`` poll through NOT FOUND for ``not_found_grace``
    seconds after the kickoff before raising this; ``status()`` raises it at once."""

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        body: object,
        kickoff_id: str,
        code: str | None = None,
    ) -> None:
        super().__init__(message, response=response, body=body, code=code)
        self.kickoff_id = kickoff_id


class UnprocessableEntityError(APIStatusError):
    """422: the inputs failed validation (e.g. a required input is missing: see
    ``missing_inputs``)."""


class RateLimitError(APIStatusError):
    """429: too many requests."""


class InternalServerError(APIStatusError):
    """5xx: the server failed."""


class ResponseTooLarge(AmpError):
    """A response body is larger than the client's ``max_response_bytes``; reading stopped
    there. ``limit`` is that setting, ``received`` the bytes read (or announced in
    Content-Length) when it stopped, ``status_code`` the response's status, ``response`` the
    response (its headers; its body was not kept).

    A kickoff's answer too large to read is not this error but
    [KickoffMayHaveStarted][crewai_amp.errors.KickoffMayHaveStarted] chained to it, unless its
    status is a 4xx (AMP refused the kickoff)."""

    def __init__(
        self,
        message: str,
        *,
        limit: int,
        received: int,
        status_code: int,
        request_id: str | None = None,
        response: httpx.Response | None = None,
    ) -> None:
        super().__init__(message)
        self.limit = limit
        self.received = received
        self.status_code = status_code
        self.request_id = request_id if request_id is not None else request_id_of(response)
        self.response = response


class ResponseValidationError(AmpError):
    """A response body does not match the spec (not JSON, wrong shape, wrong types).

    ``raw`` holds the body text exactly as received, so nothing is lost. A kickoff's 2xx
    answer that does not match (no kickoff id) is not this error but
    [KickoffMayHaveStarted][crewai_amp.errors.KickoffMayHaveStarted] chained to it.
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
        self.request_id = request_id_of(response)


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


class JournalError(AmpError):
    """The ``run_many`` journal file cannot be used: not a journal, unreadable, unwritable, or
    damaged (resuming from it could kick off a recorded run again); or a write to it failed
    mid-batch, which stops the batch (the message names a kickoff id it could not record)."""


class JournalBusy(JournalError):
    """Another process has the journal open: one batch runs per journal at a time."""


class JournalMismatch(JournalError):
    """The journal was made for other inputs (a different input at the same index) or other
    kickoff options: resuming with it would mix two batches. Use the same inputs and options,
    or a new journal."""


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
