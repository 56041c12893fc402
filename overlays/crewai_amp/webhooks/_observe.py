"""How webhook handling is reported: a DEBUG record on the ``crewai_amp.webhooks`` logger and,
with the ``otel`` extra and an SDK, a span (see ``crewai_amp._tracing``).

- ``Delivery``: one request to the receiver, from its first byte to its answer (span
  ``crewai_amp.webhooks.receive``): the channel, the delivery key (or the count of a streamed
  batch's events), the status code answered and the outcome.
- ``Handling``: one handler call on one event, in the receiver (``crewai_amp.webhooks.handle``)
  or in a Redis inbox worker (``crewai_amp.webhooks.inbox``, with the entry id and the attempt).
  The handler runs inside its span, so spans it makes are children of it.

Nothing decides here: the receiver and the inbox record what they did, and closing reports it
once. No field or attribute holds a secret, a header value or a body.
"""

from __future__ import annotations

import logging
import time
from collections.abc import MutableMapping
from types import TracebackType
from typing import Any

from .. import _tracing
from .._tracing import (
    ATTEMPT,
    CHANNEL,
    DELIVERY_KEY,
    ENTRY_ID,
    EVENT,
    EVENTS,
    HTTP_METHOD,
    HTTP_STATUS,
    OPERATION,
)
from ._asgi import Send

__all__ = ["Delivery", "Handling", "logger"]

logger = logging.getLogger("crewai_amp.webhooks")

# What a refused request's status code says, as the receiver's outcome (a 200 says more: the
# receiver records queued, duplicate or ok).
_REFUSED = {
    400: "invalid",
    401: "unauthorized",
    405: "refused",
    408: "refused",
    409: "busy",
    413: "refused",
    415: "refused",
    500: "error",
    503: "unavailable",
}


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


class Delivery:
    """One request to the receiver. ``parsed`` records what it holds, ``outcome`` what was done
    with it; ``send`` wraps the ASGI send to learn the status code answered."""

    __slots__ = ("_span", "_started", "channel", "events", "key", "method", "outcome", "status")

    def __init__(self, method: str) -> None:
        self.method = method
        self.channel: str | None = None
        self.key: str | None = None
        self.events: int | None = None
        self.outcome: str | None = None
        self.status: int | None = None
        self._started = time.perf_counter()
        self._span = _tracing.span(
            "crewai_amp.webhooks.receive", lambda: {OPERATION: "webhook.receive", HTTP_METHOD: method}
        )

    def __enter__(self) -> Delivery:
        return self

    def send(self, send: Send) -> Send:
        async def sending(message: MutableMapping[str, Any]) -> None:
            if message.get("type") == "http.response.start":
                self.status = int(message["status"])
            await send(message)

        return sending

    def parsed(self, channel: str, keys: list[str]) -> None:
        self.channel = channel
        if channel == "stream":
            self.events = len(keys)
        elif keys:
            self.key = keys[0]

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        outcome = self.outcome
        if outcome is None:
            if exc is not None:
                outcome = _tracing.outcome_of(exc)
            elif self.status is None:
                outcome = "disconnected"  # the sender left before the body arrived: no answer
            else:
                outcome = _REFUSED.get(self.status, "ok" if self.status < 400 else "refused")
        error = None
        if exc is not None:
            error = _tracing.error_type(exc)
        elif self.status is not None and self.status >= 500:
            error = str(self.status)
        fields = {
            "operation": "webhook.receive",
            "method": self.method,
            "status": self.status,
            "channel": self.channel,
            "delivery_key": self.key,
            "events": self.events,
            "outcome": outcome,
            "elapsed_ms": _ms(self._started),
        }
        if logger.isEnabledFor(logging.DEBUG):
            what = f"{self.channel} delivery" if self.channel else "delivery"
            if self.key is not None:
                what += f" {self.key}"
            elif self.events is not None:
                what += f" of {self.events} events"
            logger.debug(
                "webhook %s -> %s %s in %.1f ms",
                what,
                self.status,
                outcome,
                fields["elapsed_ms"],
                extra=fields,
            )
        span = self._span
        if span is not _tracing.NOOP:
            span.set(HTTP_STATUS, self.status)
            span.set(CHANNEL, self.channel)
            span.set(DELIVERY_KEY, self.key)
            span.set(EVENTS, self.events)
            span.outcome(outcome, error)
            span.__exit__(None, None, None)


class Handling:
    """One handler call on one event. ``done(error)`` records how it went: ``ok``, or ``error``
    in the receiver; ``retry`` or ``dead_letter`` (``last`` attempt) in an inbox worker, where
    closing also writes a DEBUG record."""

    __slots__ = ("_last", "_span", "_started", "attempt", "channel", "entry_id", "event", "key", "outcome")

    def __init__(
        self,
        channel: str,
        event: str,
        key: str,
        *,
        entry_id: str | None = None,
        attempt: int | None = None,
        last: bool = False,
    ) -> None:
        self.channel = channel
        self.event = event
        self.key = key
        self.entry_id = entry_id
        self.attempt = attempt
        self._last = last
        self.outcome: str | None = None
        self._started = time.perf_counter()
        inbox = entry_id is not None

        def attributes() -> dict[str, str | int]:
            found: dict[str, str | int] = {
                OPERATION: "webhook.inbox" if inbox else "webhook.handle",
                CHANNEL: channel,
                EVENT: event,
                DELIVERY_KEY: key,
            }
            if entry_id is not None:
                found[ENTRY_ID] = entry_id
            if attempt is not None:
                found[ATTEMPT] = attempt
            return found

        name = "crewai_amp.webhooks.inbox" if inbox else "crewai_amp.webhooks.handle"
        self._span = _tracing.span(name, attributes)

    def __enter__(self) -> Handling:
        return self

    def done(self, error: BaseException | None) -> None:
        """The handler returned (``error`` None) or raised ``error``."""
        if error is None:
            self.outcome = "ok"
        elif self.entry_id is None:
            self.outcome = "error"
        else:
            self.outcome = "dead_letter" if self._last else "retry"
        self._span.outcome(self.outcome, None if error is None else _tracing.error_type(error))

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.outcome is None:
            if exc is None:
                self.done(None)
            else:  # cancelled, or a crash outside the handler: the span records the exception
                self.outcome = _tracing.outcome_of(exc)
        if self.entry_id is not None and logger.isEnabledFor(logging.DEBUG):
            fields = {
                "operation": "webhook.inbox",
                "channel": self.channel,
                "event": self.event,
                "delivery_key": self.key,
                "entry_id": self.entry_id,
                "attempt": self.attempt,
                "outcome": self.outcome,
                "elapsed_ms": _ms(self._started),
            }
            logger.debug(
                "webhook inbox: %s entry %s (key %s) attempt %s -> %s in %.1f ms",
                self.event,
                self.entry_id,
                self.key,
                self.attempt,
                self.outcome,
                fields["elapsed_ms"],
                extra=fields,
            )
        self._span.__exit__(exc_type, exc, tb)
