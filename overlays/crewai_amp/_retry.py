"""When to retry, and how long to wait first.

Reads (GET) retry on any transport failure and on 408, 429 and 5xx. POST /kickoff and
POST /resume are not idempotent — a repeated kickoff is a second, paid crew run — so they retry
only when the request provably never left this machine: the connection could not be made.
"""

from __future__ import annotations

import email.utils
import random
import time

import httpx

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
BASE_DELAY = 0.5
MAX_DELAY = 8.0
MAX_RETRY_AFTER = 60.0

# Raised before a single byte of the request was written.
NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def should_retry_exception(exc: Exception, *, idempotent: bool) -> bool:
    if isinstance(exc, NEVER_SENT):
        return True
    return idempotent and isinstance(exc, httpx.TransportError)


def should_retry_status(status_code: int, *, idempotent: bool) -> bool:
    return idempotent and status_code in RETRY_STATUSES


def backoff(attempt: int) -> float:
    """Exponential backoff with full jitter (attempt 0 is the first retry)."""
    return random.uniform(0, min(MAX_DELAY, BASE_DELAY * 2**attempt))


def retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds (delta-seconds or an HTTP date), capped; None if absent or junk."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        seconds = parsed.timestamp() - time.time()
    return max(0.0, min(seconds, MAX_RETRY_AFTER))


def delay_for(response: httpx.Response | None, attempt: int) -> float:
    if response is not None:
        hinted = retry_after(response)
        if hinted is not None:
            return hinted
    return backoff(attempt)
