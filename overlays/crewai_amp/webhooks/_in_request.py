"""Handling deliveries inside their request (a receiver without an inbox): each unit, a
delivery or one event of a streamed batch, is claimed in the dedupe store, handled once and
settled, and the answer says what happened. Also the units themselves, their keys and log
fields, which the inbox path shares."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from ._asgi import Send, respond
from ._dedupe import DedupeFull, DedupeStore
from ._events import delivery_key
from ._handlers import Handlers, call_async
from ._observe import Handling

__all__ = ["InRequest", "Unit", "header_key", "log_fields", "payload_key", "unexpected", "units_of"]

logger = logging.getLogger("crewai_amp.webhooks")


class _Busy(Exception):
    """Another receiver is still handling this key after the wait: the sender should retry."""


@dataclass
class Unit:
    """One event to handle once: a delivery, or one event of a streamed batch."""

    key: str  # "h:" + the delivery's id header, or "p:" + the payload's delivery_key
    channel: str
    name: str  # the channel, or a streamed event's type
    event: Any
    replay_until: float | None


def header_key(msg_id: str) -> str:
    """Header ids and payload-derived keys live in separate namespaces: an id header spelling
    another event's payload key never suppresses that event."""
    return "h:" + msg_id


def payload_key(event: Any) -> str:
    return "p:" + delivery_key(event)


def units_of(event: Any, channel: str, msg_id: str | None, replay_until: float | None) -> list[Unit]:
    if channel == "stream":
        return [
            Unit(payload_key(item), channel, str(getattr(item, "type", "")), item, replay_until)
            for item in event.events
        ]
    key = header_key(msg_id) if msg_id else payload_key(event)
    return [Unit(key, channel, channel, event, replay_until)]


def log_fields(channel: str, units: list[Unit], outcome: str | None, error: str | None) -> dict[str, Any]:
    """The extra fields of a receiver's log record about these units (see _observe)."""
    single = units[0] if len(units) == 1 else None
    return {
        "operation": "webhook.receive",
        "channel": channel,
        "event": single.name if single is not None else None,
        "delivery_key": single.key if single is not None else None,
        "events": len(units) if channel == "stream" else None,
        "outcome": outcome,
        "error_type": error,
    }


def unexpected(exc: BaseException) -> bool:
    """Whether a store failure is more than the store being down or slow (then log its traceback)."""
    expected = isinstance(exc, (asyncio.TimeoutError, OSError)) or type(exc).__module__.startswith("redis")
    return not expected


class InRequest:
    """Runs the handlers in the request, once per delivery key: ``dedupe`` (None: no dedupe)
    records each key; a key another request still handles is waited for up to ``dedupe_wait``
    seconds; each store call may take ``store_timeout`` seconds."""

    def __init__(
        self, handlers: Handlers, dedupe: DedupeStore | None, *, store_timeout: float, dedupe_wait: float
    ) -> None:
        self._handlers = handlers
        self._dedupe = dedupe
        self.store_timeout = store_timeout
        self.dedupe_wait = dedupe_wait

    async def handle_all(self, send: Send, channel: str, units: list[Unit]) -> str:
        """Handle each unit once and answer; the outcome: ok, duplicate, busy, unavailable or
        error."""
        handled = duplicates = 0
        for unit in units:
            try:
                token = await self._claim(unit)
            except DedupeFull as exc:
                await respond(send, 503, {"error": str(exc)}, [(b"retry-after", b"60")])
                return "unavailable"
            except _Busy:
                error = "this delivery is being handled; retry later"
                await respond(send, 409, {"error": error}, [(b"retry-after", b"10")])
                return "busy"
            except Exception as exc:  # unreachable or too slow: nothing was handled, the sender retries
                logger.warning(
                    "webhook dedupe store failed to claim %s (%s)",
                    unit.key,
                    type(exc).__name__,
                    exc_info=unexpected(exc),
                    extra=log_fields(channel, [unit], "unavailable", type(exc).__name__),
                )
                await respond(
                    send, 503, {"error": "the dedupe store is unavailable"}, [(b"retry-after", b"10")]
                )
                return "unavailable"
            if token is False:
                duplicates += 1
                continue
            try:
                with Handling(unit.channel, unit.name, unit.key) as handling:
                    try:
                        await self._run(unit, token)
                    except Exception as exc:
                        handling.done(exc)
                        raise
            except Exception as exc:
                await self._settle(unit, token, handled=False)
                logger.exception(
                    "webhook handler for %s event (key %s) failed",
                    unit.name,
                    unit.key,
                    extra=log_fields(channel, [unit], "error", type(exc).__name__),
                )
                await respond(send, 500, {"error": f"the {unit.name} handler failed ({type(exc).__name__})"})
                return "error"
            except BaseException:  # cancelled (the client left, shutdown): the retry must be handled
                await asyncio.shield(self._settle(unit, token, handled=False))
                raise
            await self._settle(unit, token, handled=True)
            handled += 1
        status = "duplicate" if duplicates and not handled else "ok"
        answer: dict[str, Any] = {"status": status, "channel": channel}
        if channel == "stream":
            answer.update(handled=handled, duplicates=duplicates)
        await respond(send, 200, answer)
        return status

    async def _claim(self, unit: Unit) -> str | bool:
        """A token (handle it; True when there is no store), or False (handled already)."""
        if self._dedupe is None:
            return True
        waited, pause = 0.0, 0.01
        while True:
            claim = self._dedupe.claim(unit.key, replay_until=unit.replay_until)
            token = await asyncio.wait_for(claim, self.store_timeout)
            if token is not None:
                return token
            if waited >= self.dedupe_wait:
                raise _Busy
            await asyncio.sleep(pause)
            waited += pause
            pause = min(pause * 2, 0.25)

    async def _settle(self, unit: Unit, token: str | bool, *, handled: bool) -> None:
        # The handler ran: its answer stands even if the store cannot record it (a claim then
        # lapses after the store's lease, and a later retry may be handled again).
        if self._dedupe is None or not isinstance(token, str):
            return
        store = self._dedupe
        call = store.complete if handled else store.release
        try:
            await asyncio.wait_for(call(unit.key, token), self.store_timeout)
        except Exception as exc:
            verb = "complete" if handled else "release"
            logger.error(
                "webhook dedupe store failed to %s %s (%s)",
                verb,
                unit.key,
                type(exc).__name__,
                extra=log_fields(unit.channel, [unit], "ok" if handled else "error", type(exc).__name__),
            )

    async def _run(self, unit: Unit, token: str | bool) -> None:
        handler = self._handlers.for_unit(unit.channel, unit.name)
        if handler is None:
            return  # no handler for this event: acknowledged, nothing to do
        lease = getattr(self._dedupe, "lease", None)
        if not isinstance(token, str) or not isinstance(lease, (int, float)) or lease <= 0:
            await call_async(handler, unit.event)
            return
        running = asyncio.ensure_future(call_async(handler, unit.event))
        try:
            while not (await asyncio.wait({running}, timeout=lease / 3))[0]:
                await self._renew(unit, token)
        finally:
            if not running.done():
                running.cancel()
        running.result()

    async def _renew(self, unit: Unit, token: str) -> None:
        assert self._dedupe is not None
        try:
            kept = await asyncio.wait_for(self._dedupe.renew(unit.key, token), self.store_timeout)
        except Exception as exc:
            logger.warning(
                "webhook dedupe store failed to renew %s (%s)",
                unit.key,
                type(exc).__name__,
                extra=log_fields(unit.channel, [unit], None, type(exc).__name__),
            )
            return
        if not kept:
            logger.warning(
                "the claim on %s lapsed while its handler ran: it may be handled twice",
                unit.key,
                extra=log_fields(unit.channel, [unit], None, None),
            )
