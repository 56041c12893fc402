"""When to retry, and how long to wait first.

Reads (GET /inputs, GET /status) are idempotent: they retry on connection errors, timeouts, 408,
429 and 5xx. POST /kickoff and POST /resume are not — a repeated kickoff is a second, paid crew
run — so they retry only when the request provably never left this machine: the connection could
not be made (refused, DNS failure, connect timeout) or no pooled connection was free in time.
Once a single byte may have been written (a read timeout, a dropped connection, any status), they
are never retried; a kickoff that failed that way may have started a run (``may_have_been_sent``).
"""

from __future__ import annotations

import email.utils
import math
import random
import ssl
import time

import httpx

__all__ = [
    "BASE_DELAY",
    "MAX_DELAY",
    "MAX_RETRY_AFTER",
    "backoff",
    "delay_for",
    "may_have_been_sent",
    "retry_after",
    "should_retry_exception",
    "should_retry_status",
]

BASE_DELAY = 0.5
MAX_DELAY = 8.0
MAX_RETRY_AFTER = 60.0

# Raised before a single byte of the request was written.
NEVER_SENT: tuple[type[httpx.HTTPError], ...] = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Also raised before our request reached the server: httpx refused to build or write it, or a
# proxy refused to connect us.
REFUSED_LOCALLY: tuple[type[httpx.HTTPError], ...] = (
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
    httpx.ProxyError,
)
# Worth another try for a request that is safe to repeat. Not: LocalProtocolError (our request is
# invalid), UnsupportedProtocol, ProxyError, DecodingError, TooManyRedirects — repeating changes
# nothing.
TRANSIENT: tuple[type[httpx.HTTPError], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
)


def _certificate_rejected(exc: BaseException) -> bool:
    """A TLS verification failure is a ConnectError too, but retrying it cannot help."""
    seen: BaseException | None = exc
    for _ in range(8):  # the chain is short; never loop on a cycle
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def should_retry_exception(exc: httpx.HTTPError, *, idempotent: bool) -> bool:
    if isinstance(exc, NEVER_SENT):
        return not _certificate_rejected(exc)
    return idempotent and isinstance(exc, TRANSIENT)


def may_have_been_sent(exc: httpx.HTTPError) -> bool:
    """Whether the request may have reached the server: anything but a failure to connect (or
    to write a request httpx refused)."""
    return not isinstance(exc, NEVER_SENT + REFUSED_LOCALLY)


def should_retry_status(status_code: int, *, idempotent: bool) -> bool:
    return idempotent and (status_code >= 500 or status_code in (408, 429))


def backoff(attempt: int) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(8, 0.5 * 2**attempt)] seconds
    (attempt 0 is the first retry)."""
    # The exponent is bounded: 2**1100 overflows a float (OverflowError) once a caller who set
    # a huge max_retries has retried long enough; the cap is reached long before 2**32.
    return random.uniform(0, min(MAX_DELAY, BASE_DELAY * 2 ** min(attempt, 32)))


def retry_after(response: httpx.Response, *, now: float | None = None) -> float | None:
    """``Retry-After`` in seconds — delta-seconds or an HTTP date — capped at 60 s; None when
    absent or unreadable."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if parsed.tzinfo is None:  # not a valid HTTP date (which says GMT)
            return None
        seconds = parsed.timestamp() - (time.time() if now is None else now)
    if not math.isfinite(seconds):
        return None
    return max(0.0, min(seconds, MAX_RETRY_AFTER))


def delay_for(response: httpx.Response, attempt: int) -> float:
    """How long to wait before retry number ``attempt + 1``: the server's Retry-After when it
    gave one, else the backoff."""
    hinted = retry_after(response)
    return backoff(attempt) if hinted is None else hinted
