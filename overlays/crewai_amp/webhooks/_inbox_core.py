"""The Redis inbox's decisions, without I/O: key names, which Lua script (``_inbox_scripts``)
keeps each step atomic, how entries are read back, and the worker's loop as a generator of
effects (a Redis call to make, a handler to run, a pause). ``_inbox_worker`` runs that
generator twice: blocking, and on asyncio; only the I/O is written twice.

Layout in Redis, for a stream named S:

- ``S``: a stream of deliveries not yet handled: ``key`` (the delivery key), ``channel``,
  ``body`` (the raw JSON), ``meta`` (a few request headers, JSON). Workers read it through one
  consumer group. An entry is deleted when acknowledged, so the stream holds only work left.
- ``S:seen:<key>``: set with the entry, for ``ttl`` seconds: a key is stored once, so copies of a
  delivery sent to several receivers (or retried by the sender) make one entry.
- ``S:done:<key>``: set with the ack, in one script, for ``ttl`` seconds: a key is handled
  successfully once, whoever held it.
- ``S:failures``: a hash, entry id -> ``attempts|unix time|error`` of the last failure.
- ``S:dead``: the dead-letter stream: the entry's fields plus ``error``, ``attempts``,
  ``failed_at``, ``source_id``.

An entry being handled stays pending in the group. While a handler runs, its worker renews it
(``XCLAIM ... JUSTID`` resets its idle time), so entries idle longer than ``claim_after`` are
those whose worker died, or that waited behind a slow handler in a batch: any worker takes them
over with XAUTOCLAIM, which counts one more delivery (a worker renews an entry that waited,
checking that it still holds it, before running it). A failed entry is left pending with its idle time set so that it becomes claimable
after its backoff; the delivery count is the attempt number. Every write that depends on still
holding an entry (a failure, a renewal) first checks, inside its script, that the entry is
still pending for this consumer with this delivery count.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import EventParseError
from ._events import parse_event, parse_stream
from ._handlers import Handler, Handlers
from ._observe import Handling

__all__ = [
    "Call",
    "DeadLetter",
    "Entry",
    "Handle",
    "InboxConfig",
    "InboxStats",
    "Pause",
    "Read",
    "worker_loop",
]

logger = logging.getLogger("crewai_amp.webhooks")

MAX_ERROR = 2000  # characters of a handler's error kept with a failure


def text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, (bytes, bytearray)) else str(value)


def raw(value: Any) -> bytes:
    return bytes(value) if isinstance(value, (bytes, bytearray)) else str(value).encode("utf-8")


@dataclass(frozen=True)
class InboxConfig:
    """The inbox's settings (checked by RedisInbox) and the names derived from them."""

    stream: str
    group: str
    claim_after: float
    max_attempts: int
    backoff: float
    ttl: float
    block: float
    batch: int

    @property
    def dead(self) -> str:
        return self.stream + ":dead"

    @property
    def failures(self) -> str:
        return self.stream + ":failures"

    def seen(self, key: str) -> str:
        return f"{self.stream}:seen:{key}"

    def done(self, key: str) -> str:
        return f"{self.stream}:done:{key}"

    def retry_in(self, attempts: int) -> float:
        """Seconds before attempt ``attempts + 1``: doubling from ``backoff`` (±10 % jitter),
        never past ``claim_after`` (when any worker would take the entry over anyway)."""
        delay: float = self.backoff * 2 ** max(0, attempts - 1) * random.uniform(0.9, 1.1)
        return min(delay, self.claim_after)

    def put_call(self, items: list[tuple[str, str, bytes]], meta: Mapping[str, str]) -> Call:
        keys = [self.stream, *(self.seen(key) for key, _, _ in items)]
        argv: list[Any] = [int(self.ttl * 1000), json.dumps(dict(meta), sort_keys=True)]
        for key, channel, body in items:
            argv += [key, channel, body]
        return Call("script", ("put", keys, argv))


@dataclass(frozen=True)
class Entry:
    """One stored delivery (or one event of a streamed batch)."""

    id: str
    key: str
    channel: str
    body: bytes
    meta: str

    @classmethod
    def of(cls, entry_id: Any, fields: Mapping[Any, Any]) -> Entry:
        found = {text(name): value for name, value in fields.items()}
        return cls(
            text(entry_id),
            text(found.get("key", "")),
            text(found.get("channel", "")),
            raw(found.get("body", b"")),
            text(found.get("meta", "{}")),
        )


@dataclass(frozen=True)
class DeadLetter:
    """An entry that failed ``attempts`` times, with the last ``error``: list them with
    ``RedisInbox.dead()``, send them back with ``RedisInbox.replay()``."""

    id: str
    key: str
    channel: str
    body: bytes
    error: str
    attempts: int
    failed_at: float
    source_id: str

    @classmethod
    def of(cls, entry_id: Any, fields: Mapping[Any, Any]) -> DeadLetter:
        found = {text(name): value for name, value in fields.items()}

        def number(name: str) -> float:
            try:
                return float(text(found.get(name, 0)))
            except ValueError:
                return 0.0

        return cls(
            text(entry_id),
            text(found.get("key", "")),
            text(found.get("channel", "")),
            raw(found.get("body", b"")),
            text(found.get("error", "")),
            int(number("attempts")),
            number("failed_at"),
            text(found.get("source_id", "")),
        )


@dataclass(frozen=True)
class InboxStats:
    """``queued``: stored, not yet read by a worker; ``pending``: read and not yet acknowledged
    (being handled, or waiting to be retried); ``retrying``: of those, the ones that failed at
    least once; ``dead``: in the dead-letter stream."""

    queued: int
    pending: int
    retrying: int
    dead: int


def stats_of(length: Any, summary: Any, failures: Any, dead: Any) -> InboxStats:
    """From XLEN stream, XPENDING summary (or an error: no group yet), HLEN failures, XLEN dead."""
    pending = 0
    if isinstance(summary, dict):
        pending = int(summary.get("pending") or 0)
    elif isinstance(summary, (list, tuple)) and summary:
        pending = int(summary[0] or 0)
    stored = int(length) if isinstance(length, int) else 0
    return InboxStats(
        queued=max(0, stored - pending),
        pending=pending,
        retrying=int(failures) if isinstance(failures, int) else 0,
        dead=int(dead) if isinstance(dead, int) else 0,
    )


# --- the worker, as a generator of effects -------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """Run a redis-py client method (or ``"script"``: one of SCRIPTS, keys, argv); the result is
    sent back, a Redis error is thrown in."""

    method: str
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Read(Call):
    """A read of new work (XREADGROUP, XAUTOCLAIM): the driver stops the loop here instead when
    its ``stop`` is set."""


@dataclass(frozen=True)
class Handle:
    """Run ``handler(event)``, renewing ``renew`` while it runs; the outcome (None, or the
    exception it raised) is sent back. ``entry``, ``name`` (the handler's event name),
    ``attempt`` and ``last`` (a failure dead-letters it) are what the driver reports."""

    handler: Handler
    event: Any
    renew: Call
    every: float
    entry: Entry
    name: str
    attempt: int
    last: bool

    def handling(self) -> Handling:
        """The report of this handler call (a span, a DEBUG record)."""
        entry = self.entry
        return Handling(
            entry.channel, self.name, entry.key, entry_id=entry.id, attempt=self.attempt, last=self.last
        )


@dataclass(frozen=True)
class Pause:
    seconds: float


Effect = Call | Handle | Pause


def _event_of(entry: Entry) -> tuple[Any, str]:
    """The parsed event and its handler name (the channel, or a streamed event's type)."""
    if entry.channel == "stream":
        event = parse_stream(entry.body)[0]
        return event, str(event.type)
    return parse_event(entry.body, channel=entry.channel or None), entry.channel  # type: ignore[arg-type]


def _failure_record(attempts: int, error: str) -> str:
    return f"{attempts}|{time.time():.3f}|{error[:MAX_ERROR]}"


def _fields(
    entry: Entry, attempt: int, outcome: str, error: str | None = None, event: str | None = None
) -> dict[str, Any]:
    """The extra fields of an inbox log record about an entry (see _observe)."""
    return {
        "operation": "webhook.inbox",
        "channel": entry.channel,
        "event": event,
        "delivery_key": entry.key,
        "entry_id": entry.id,
        "attempt": attempt,
        "outcome": outcome,
        "error_type": error,
    }


def describe(error: BaseException) -> str:
    message = str(error)
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def _fail_call(
    config: InboxConfig, consumer: str, entry: Entry, deliveries: int, error: str, *, dead: bool
) -> Call:
    idle = int(max(0.0, config.claim_after - config.retry_in(deliveries)) * 1000)
    argv = [
        config.group, entry.id, consumer, deliveries, _failure_record(deliveries, error), idle,
        1 if dead else 0, error[:MAX_ERROR], f"{time.time():.3f}",
        entry.key, entry.channel, entry.body, entry.meta,
    ]  # fmt: skip
    return Call("script", ("fail", [config.stream, config.failures, config.dead], argv))


def _entries(reply: Any) -> list[Entry]:
    """Entries from XREADGROUP's ``[[stream, [(id, fields), ...]]]`` (or its dict form) or
    XAUTOCLAIM's ``[cursor, [(id, fields), ...], deleted]``."""
    found: list[Entry] = []
    for entry_id, fields in reply or []:
        if fields is not None:  # a pending entry deleted meanwhile has no fields
            found.append(Entry.of(entry_id, fields))
    return found


def _read_reply(reply: Any) -> list[Entry]:
    if isinstance(reply, dict):
        return [entry for batch in reply.values() for entry in _entries(batch[0] if batch else [])]
    return [entry for _, batch in reply or [] for entry in _entries(batch)]


def worker_loop(config: InboxConfig, consumer: str, handlers: Handlers) -> Generator[Effect, Any, None]:
    """The worker: read, run, acknowledge; forever (the driver closes it to stop). Redis being
    down, slow or restarted empty only pauses it."""
    cursor = "0-0"
    next_sweep = 0.0
    trouble = 0
    group_ready = False
    while True:
        try:
            if not group_ready:
                yield from _ensure_group(config)
                group_ready = True
            entries: list[Entry] = []
            if time.monotonic() >= next_sweep:  # entries whose worker died, and retries now due
                reply = yield Read(
                    "xautoclaim",
                    (config.stream, config.group, consumer, int(config.claim_after * 1000), cursor),
                    {"count": config.batch},
                )
                cursor = text(reply[0]) if reply else "0-0"
                entries = _entries(reply[1] if reply and len(reply) > 1 else [])
                if cursor == "0-0" and not entries:
                    next_sweep = time.monotonic() + min(1.0, config.claim_after / 4)
            if not entries:
                reply = yield Read(
                    "xreadgroup",
                    (config.group, consumer, {config.stream: ">"}),
                    {"count": config.batch, "block": int(config.block * 1000)},
                )
                entries = _read_reply(reply)
            if entries:
                yield from _run_batch(config, consumer, handlers, entries)
            trouble = 0
        except GeneratorExit:
            raise
        except Exception as exc:  # Redis unreachable or slow: wait, then go on (nothing is lost)
            trouble += 1
            pause = min(0.1 * 2**trouble, 5.0)
            logger.warning(
                "webhook inbox worker %s: %s; retrying in %.1f s",
                consumer,
                describe(exc),
                pause,
                extra={"operation": "webhook.inbox", "consumer": consumer, "error_type": type(exc).__name__},
            )
            yield Pause(pause)
            if "NOGROUP" in str(exc):  # a Redis that restarted empty, or a stream deleted by hand
                group_ready = False


def _ensure_group(config: InboxConfig) -> Generator[Effect, Any, None]:
    """Create the stream and its group (from the first entry), unless they exist."""
    try:
        yield Call("xgroup_create", (config.stream, config.group), {"id": "0", "mkstream": True})
    except Exception as exc:
        if "BUSYGROUP" not in str(exc):  # BUSYGROUP: another worker created it
            raise


def _run_batch(
    config: InboxConfig, consumer: str, handlers: Handlers, entries: list[Entry]
) -> Generator[Effect, Any, None]:
    keys = [config.stream, config.failures, *(config.done(entry.key) for entry in entries)]
    states = yield Call("script", ("start", keys, [config.group, consumer, *(e.id for e in entries)]))
    held = [
        (entry, int(deliveries), text(last))
        for entry, (state, deliveries, last) in zip(entries, states, strict=True)
        if int(state) == 1  # else handled already (acknowledged by the script), or taken over
    ]
    read_at = time.monotonic()  # the entries' idle time was reset by the read or the claim
    for entry, deliveries, last in held:
        renew = Call("script", ("renew", [config.stream], [config.group, consumer, entry.id, deliveries]))
        # Handlers before it took a while: another worker may have taken it over since.
        # Renewing checks that it is still this worker's and resets its idle time.
        if time.monotonic() - read_at > config.claim_after / 3 and not int((yield renew)):
            continue
        yield from _run_one(config, consumer, handlers, entry, deliveries, last, renew)


def _run_one(
    config: InboxConfig,
    consumer: str,
    handlers: Handlers,
    entry: Entry,
    deliveries: int,
    last: str,
    renew: Call,
) -> Generator[Effect, Any, None]:
    where = f"{entry.channel} entry {entry.id} (key {entry.key})"
    if deliveries > config.max_attempts:  # its workers kept dying while handling it
        previous = last.split("|", 2)[-1] if last else "none"
        error = (
            f"delivered {deliveries - 1} times without an outcome (a worker stopped); last error: {previous}"
        )
        logger.error(
            "webhook inbox: dead-lettering %s: %s",
            where,
            error,
            extra=_fields(entry, deliveries, "dead_letter"),
        )
        yield _fail_call(config, consumer, entry, deliveries, error, dead=True)
        return
    try:
        event, name = _event_of(entry)
    except EventParseError as exc:  # it parsed when stored: a model changed since; retrying cannot help
        logger.error(
            "webhook inbox: dead-lettering %s: %s",
            where,
            exc,
            extra=_fields(entry, deliveries, "dead_letter", "EventParseError"),
        )
        yield _fail_call(config, consumer, entry, deliveries, f"EventParseError: {exc}", dead=True)
        return
    handler = handlers.for_unit(entry.channel, name)
    dead = deliveries >= config.max_attempts  # a failure now dead-letters it
    outcome: BaseException | None = None
    if handler is not None:
        outcome = yield Handle(handler, event, renew, config.claim_after / 3, entry, name, deliveries, dead)
    if outcome is None:
        done = [config.stream, config.done(entry.key), config.failures]
        yield Call("script", ("succeed", done, [config.group, entry.id, int(config.ttl * 1000)]))
        return
    error = describe(outcome)
    log = logger.error if dead else logger.warning
    log(
        "webhook handler for %s failed (attempt %d of %d)%s",
        where,
        deliveries,
        config.max_attempts,
        "; dead-lettered" if dead else "",
        exc_info=outcome,
        extra=_fields(entry, deliveries, "dead_letter" if dead else "retry", type(outcome).__name__, name),
    )
    yield _fail_call(config, consumer, entry, deliveries, error, dead=dead)
