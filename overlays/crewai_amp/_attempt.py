"""One attempt of a request, as it is reported: a DEBUG record on the ``crewai_amp`` logger and,
with the ``otel`` extra and an SDK, an HTTP client span.

The client's decisions (``_base``) record what the attempt found (a status code, a transport
error) and what came of it (kept, retried after a delay, raised); closing the attempt (the end
of its ``with``) reports it once, whatever ended it. Reporting is the only job here: nothing in
this module decides anything about the request.

Log records keep their message text and carry the same facts as ``extra`` fields, with stable
names (``LOG_FIELDS``): a formatter reads ``record.status``, a JSON formatter gets them all.
Every field is present on every record (None when it does not apply). No field holds a token, a
header, a body or an error message.
"""

from __future__ import annotations

import logging
import time
from types import TracebackType
from typing import TYPE_CHECKING, Any

from . import _tracing
from ._tracing import (
    ATTEMPT,
    CORRELATION_ID,
    HTTP_METHOD,
    HTTP_RESEND_COUNT,
    HTTP_STATUS,
    KICKOFF_ID,
    OPERATION,
    SERVER_ADDRESS,
    SERVER_PORT,
    URL_FULL,
    URL_TEMPLATE,
)

if TYPE_CHECKING:
    from ._operations import Call

__all__ = ["LOG_FIELDS", "Attempt", "logger"]

logger = logging.getLogger("crewai_amp")

# The extra fields of every request record, in this order (docs/observability.md says what
# each holds). A retry record adds "delay_s".
LOG_FIELDS = (
    "operation",
    "method",
    "path",
    "status",
    "error_type",
    "elapsed_ms",
    "attempt",
    "kickoff_id",
    "correlation_id",
    "outcome",
)


class Attempt:
    """One attempt: ``number`` 1 for the first try. ``found`` / ``failed`` record the answer
    or the transport error, ``retry`` / ``kept`` what came of it; closing reports it."""

    __slots__ = (
        "_delay",
        "_elapsed",
        "_error",
        "_max_retries",
        "_outcome",
        "_path_from",
        "_span",
        "_started",
        "_status",
        "args",
        "call",
        "kickoff_id",
        "number",
    )

    def __init__(
        self,
        call: Call[Any],
        args: dict[str, Any],
        number: int,
        *,
        base_url: str,
        server: tuple[str, int],
        max_retries: int,
    ) -> None:
        self.call = call
        self.args = args
        self.number = number
        self.kickoff_id: str | None = call.kickoff_id
        self._path_from = len(base_url)
        self._max_retries = max_retries
        self._status: int | None = None
        self._error: str | None = None
        self._outcome: str | None = None
        self._delay: float | None = None
        self._elapsed: float | None = None
        self._started = time.perf_counter()
        self._span = _tracing.span(
            f"{args['method'].upper()} {call.route}",
            lambda: self._attributes(server),
            client=True,
        )

    def _attributes(self, server: tuple[str, int]) -> dict[str, str | int]:
        """The span's attributes at its start (what a sampler sees)."""
        attributes: dict[str, str | int] = {
            HTTP_METHOD: self.args["method"].upper(),
            SERVER_ADDRESS: server[0],
            SERVER_PORT: server[1],
            URL_FULL: self.args["url"],  # the base URL holds no credentials (ClientConfig refuses them)
            URL_TEMPLATE: self.call.route,
            OPERATION: self.call.op.name,
            ATTEMPT: self.number,
        }
        if self.number > 1:
            attributes[HTTP_RESEND_COUNT] = self.number - 1
        if self.kickoff_id is not None:
            attributes[KICKOFF_ID] = self.kickoff_id
        if self.call.correlation_id is not None:
            attributes[CORRELATION_ID] = self.call.correlation_id
        return attributes

    def _arrived(self) -> None:
        self._elapsed = (time.perf_counter() - self._started) * 1000

    def found(self, status: int) -> None:
        """An answer with this status code arrived."""
        self._arrived()
        self._status = status

    def failed(self, exc: BaseException) -> None:
        """The request failed without an answer (a transport error)."""
        self._arrived()
        self._error = _tracing.error_type(exc)

    def retry(self, delay: float) -> None:
        """It will be tried again after ``delay`` seconds."""
        self._outcome = "retry"
        self._delay = delay

    def kept(self, value: object) -> None:
        """Its answer was read into ``value``: a kickoff's id is known from here on."""
        self._outcome = "ok"
        if self.kickoff_id is None and self.call.op.starts_run:
            kickoff_id = getattr(value, "kickoff_id", None)
            self.kickoff_id = kickoff_id if isinstance(kickoff_id, str) else None

    def __enter__(self) -> Attempt:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._elapsed is None:
            self._arrived()
        status = self._status
        if status is None and exc is not None:
            sent = getattr(exc, "status_code", None)  # an answer read no further (ResponseTooLarge)
            status = sent if isinstance(sent, int) else None
        if self._outcome is None:
            self._outcome = _tracing.outcome_of(_cause(exc))
        error = None
        if self._outcome != "ok":
            if status is not None and status >= 400:
                error = str(status)
            elif self._error is not None:
                error = self._error
            elif exc is not None:
                error = _tracing.error_type(_cause(exc) or exc)
        if logger.isEnabledFor(logging.DEBUG) and (status is not None or self._error is not None):
            self._log(status)
        span = self._span
        if span is not _tracing.NOOP:
            span.set(HTTP_STATUS, status)
            span.set(KICKOFF_ID, self.kickoff_id)
            span.outcome(self._outcome, error)
            span.__exit__(None, None, None)

    def _log(self, status: int | None) -> None:
        method = self.args["method"].upper()
        path = self.args["url"][self._path_from :]
        fields: dict[str, Any] = {
            "operation": self.call.op.name,
            "method": method,
            "path": path,
            "status": status,
            "error_type": self._error,
            "elapsed_ms": round(self._elapsed or 0.0, 3),
            "attempt": self.number,
            "kickoff_id": self.kickoff_id,
            "correlation_id": self.call.correlation_id,
            "outcome": self._outcome,
        }
        answer = status if status is not None else self._error
        logger.debug(
            "%s %s -> %s in %.1f ms (retry %d)",
            method,
            path,
            answer,
            self._elapsed,
            self.number - 1,
            extra=fields,
        )
        if self._outcome == "retry" and self._delay is not None:
            logger.debug(
                "retrying %s %s in %.2f s after %s (retry %d of %d)",
                method,
                path,
                self._delay,
                answer,
                self.number,
                self._max_retries,
                extra={**fields, "delay_s": round(self._delay, 3)},
            )


def _cause(exc: BaseException | None) -> BaseException | None:
    """The error OutOfTime carries (a status check cut short by wait()'s deadline), else ``exc``."""
    from ._base import OutOfTime

    return exc.error if isinstance(exc, OutOfTime) else exc
