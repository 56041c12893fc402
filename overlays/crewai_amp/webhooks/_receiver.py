"""A plain ASGI webhook receiver: authenticate, parse, hand to a handler, once per delivery key.

No framework needed: mount it in Starlette/FastAPI (``app.mount("/hooks", receiver)``) or run it
with uvicorn. See :class:`WebhookReceiver` (also spelled ``asgi_app``).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from typing import Any

from ..errors import ConfigurationError, EventParseError, WebhookVerificationError
from ._dedupe import DedupeFull, DedupeStore, MemoryDedupe
from ._events import Channel, channel_of_event, delivery_key, parse_event, registry
from ._signing import (
    DEFAULT_TOLERANCE,
    Secret,
    Verifier,
    read_headers,
    required_header,
    verify_basic_found,
    verify_bearer_found,
)

__all__ = ["WebhookReceiver", "asgi_app"]

Handler = Callable[[Any], Any]
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

MiB = 1024 * 1024
CLOSE = (b"connection", b"close")
logger = logging.getLogger("crewai_amp.webhooks")


class _TooLarge(Exception):
    pass


class _Disconnected(Exception):
    pass


class _Busy(Exception):
    """Another receiver is still handling this key after the wait: the sender should retry."""


async def _respond(
    send: Send, status: int, payload: dict[str, Any], headers: Iterable[tuple[bytes, bytes]] = ()
) -> None:
    body = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge  # stop reading: the rest is never pulled in
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _header(raw_headers: Iterable[tuple[bytes, bytes]], wanted: bytes) -> bytes | None:
    for name, value in raw_headers:
        if name.lower() == wanted:
            return bytes(value)
    return None


def _is_json(content_type: bytes | None) -> bool:
    """No Content-Type, ``application/json`` or ``application/<anything>+json`` (parameters allowed)."""
    if content_type is None:
        return True
    media = content_type.split(b";", 1)[0].strip(b" \t").lower()
    return media == b"application/json" or (media.startswith(b"application/") and media.endswith(b"+json"))


def _declared_length(raw_headers: Iterable[tuple[bytes, bytes]]) -> int | None:
    value = _header(raw_headers, b"content-length")
    if value is None:
        return None
    text = value.strip(b" \t")
    return int(text) if text.isdigit() else None


class WebhookReceiver:
    """An ASGI app receiving AMP webhooks. Mount it in Starlette/FastAPI or run it with uvicorn.

    Authentication: ``secret`` checks Standard Webhooks signatures (one secret or a list, for
    rotation); ``bearer_token`` checks ``Authorization: Bearer``; ``basic_auth=(user, password)``
    checks ``Authorization: Basic`` (both compared in constant time). Given several, all must pass.

    Responses (JSON). Refused before the body is read, with ``connection: close`` (the rest of
    the body is never read): 405 for anything but POST (with ``Allow: POST``); 415 for a
    Content-Type that is not JSON; 413 when Content-Length passes ``max_body``; 401 when a bearer
    or basic credential fails (no ``secret`` configured). Then: 413 as soon as a streamed body
    passes ``max_body`` (also closing); 401 for a bad signature; 400 for a payload that is not a
    valid event; 503 when the in-memory dedupe store is full of fresh keys; 409 when another
    receiver is still handling the same delivery after ``dedupe_wait`` seconds; 500 if a handler
    raised (logged on the ``crewai_amp.webhooks`` logger; the key is released, so the sender's
    retry is handled); else 200 ``{"status": "ok" | "duplicate", "channel": ...}``.

    Handlers: ``on_task``, ``on_step``, ``on_crew`` get single events (spec or legacy shapes; the
    channel is inferred, or fixed by ``channel=`` when one receiver serves one AMP webhook URL).
    A streamed batch goes event by event, in the order received, to ``on_events[event.type]``
    or else ``on_event``. Events without a handler are acknowledged and dropped. ``async def``
    handlers run on the loop, others in a worker thread.

    Duplicates: each delivery is handled at most once per key, recorded in ``dedupe`` (a
    :class:`DedupeStore`; default an in-memory :class:`MemoryDedupe` of ``dedupe_size`` keys kept
    ``dedupe_ttl`` seconds, by ``clock``; ``dedupe_size=0`` turns dedupe off). The key is the
    verified ``webhook-id`` (or, with bearer/basic auth, the ``webhook-id`` header if sent); for a
    delivery without one and for each streamed event, the payload's key
    (:func:`~crewai_amp.webhooks.delivery_key`).

    Raises ConfigurationError (a ValueError) for an unusable configuration. The repr never
    shows a secret.
    """

    def __init__(
        self,
        *,
        secret: Secret | Iterable[Secret] | None = None,
        bearer_token: str | None = None,
        basic_auth: tuple[str, str] | None = None,
        on_task: Handler | None = None,
        on_step: Handler | None = None,
        on_crew: Handler | None = None,
        on_event: Handler | None = None,
        on_events: Mapping[str, Handler] | None = None,
        channel: Channel | None = None,
        max_body: int = MiB,
        tolerance: float = DEFAULT_TOLERANCE,
        dedupe: DedupeStore | None = None,
        dedupe_size: int = 100_000,
        dedupe_ttl: float | None = None,
        dedupe_wait: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if secret is None and bearer_token is None and basic_auth is None:
            raise ConfigurationError(
                "asgi_app needs a secret (Standard Webhooks), a bearer_token or basic_auth to authenticate"
            )
        self._verifier: Verifier | None = None
        if secret is not None:
            try:
                self._verifier = Verifier(secret, tolerance=tolerance)
            except WebhookVerificationError as exc:
                raise ConfigurationError(str(exc)) from None
        if bearer_token is not None and (not isinstance(bearer_token, str) or not bearer_token.strip()):
            raise ConfigurationError("bearer_token must be a non-empty string")
        if basic_auth is not None and not (
            isinstance(basic_auth, tuple)
            and len(basic_auth) == 2
            and all(isinstance(part, str) for part in basic_auth)
            and basic_auth[0]
            and ":" not in basic_auth[0]
        ):
            raise ConfigurationError("basic_auth must be a (username, password) pair of strings")
        channels = registry().channels
        if channel is not None and channel not in channels:
            raise ConfigurationError(f"unknown channel {channel!r}; expected one of {', '.join(channels)}")
        handlers: dict[str, Handler | None] = {"task": on_task, "step": on_step, "crew": on_crew}
        handlers["event"] = on_event
        for name, handler in handlers.items():
            if handler is not None and not callable(handler):
                raise ConfigurationError(f"on_{name} must be callable")
        by_type = dict(on_events or {})
        for name, handler in by_type.items():
            if not isinstance(name, str) or not callable(handler):
                raise ConfigurationError("on_events must map event type names to callables")
        if isinstance(max_body, bool) or not isinstance(max_body, int) or max_body <= 0:
            raise ConfigurationError("max_body must be a positive number of bytes")
        self._bearer_token = bearer_token
        self._basic_auth = basic_auth
        self._handlers = handlers
        self._by_type = by_type
        self.channel = channel
        self.max_body = max_body
        self.tolerance = tolerance
        self.dedupe_wait = dedupe_wait
        self._dedupe: DedupeStore | None = dedupe
        if dedupe is None and dedupe_size:
            ttl = {} if dedupe_ttl is None else {"ttl": dedupe_ttl}
            self._dedupe = MemoryDedupe(max_entries=dedupe_size, protect=2 * tolerance, clock=clock, **ttl)

    def __repr__(self) -> str:
        methods = (
            ("signature", self._verifier is not None),
            ("bearer", self._bearer_token is not None),
            ("basic", self._basic_auth is not None),
        )
        auth = " + ".join(name for name, on in methods if on)
        handled = [name for name, h in self._handlers.items() if h is not None] + list(self._by_type)
        return (
            f"<WebhookReceiver auth={auth} handlers={', '.join(handled) or 'none'} max_body={self.max_body}>"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        elif kind == "websocket":
            await send({"type": "websocket.close", "code": 1008})

    def _check_credentials(self, found: Mapping[str, str]) -> None:
        if self._bearer_token is not None:
            verify_bearer_found(found, self._bearer_token)
        if self._basic_auth is not None:
            verify_basic_found(found, *self._basic_auth)

    async def _refuse_early(self, send: Send, raw_headers: list[tuple[bytes, bytes]]) -> bool:
        """The checks made from the headers alone; True when the request was answered."""
        if self._verifier is None:  # credentials alone: refuse before reading anything
            try:
                self._check_credentials(read_headers(raw_headers))
            except WebhookVerificationError as exc:
                await _respond(send, 401, {"error": str(exc)}, [self._challenge(), CLOSE])
                return True
        if not _is_json(_header(raw_headers, b"content-type")):
            await _respond(send, 415, {"error": "the body must be JSON (application/json)"}, [CLOSE])
            return True
        declared = _declared_length(raw_headers)
        if declared is not None and declared > self.max_body:
            await _respond(send, 413, {"error": f"body larger than {self.max_body} bytes"}, [CLOSE])
            return True
        return False

    def _challenge(self) -> tuple[bytes, bytes]:
        return (b"www-authenticate", b"Basic" if self._basic_auth is not None else b"Bearer")

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method") != "POST":
            await _respond(send, 405, {"error": "method not allowed; use POST"}, [(b"allow", b"POST"), CLOSE])
            return
        raw_headers: list[tuple[bytes, bytes]] = list(scope.get("headers") or [])
        if await self._refuse_early(send, raw_headers):
            return
        try:
            body = await _read_body(receive, self.max_body)
        except _TooLarge:
            await _respond(send, 413, {"error": f"body larger than {self.max_body} bytes"}, [CLOSE])
            return
        except _Disconnected:
            return

        # 1. Authenticate, before anything else looks at the body.
        try:
            found = read_headers(raw_headers)
            if self._verifier is not None:
                msg_id: str | None = self._verifier.verify_found(body, found).id
                self._check_credentials(found)
            else:
                msg_id = self._sent_id(found)
        except WebhookVerificationError as exc:
            extra = [] if self._verifier is not None else [self._challenge()]
            await _respond(send, 401, {"error": str(exc)}, extra)
            return

        # 2. Parse.
        try:
            event = parse_event(body, channel=self.channel)
        except EventParseError as exc:
            await _respond(send, 400, {"error": str(exc)})
            return
        channel = channel_of_event(event)

        # 3. Handle, at most once per key.
        if channel == "stream":
            units = [(delivery_key(item), getattr(item, "type", ""), item) for item in event.events]  # type: ignore[union-attr]
        else:
            units = [(msg_id or delivery_key(event), channel, event)]
        handled = duplicates = 0
        for key, name, item in units:
            try:
                fresh = await self._claim(key)
            except DedupeFull as exc:
                await _respond(send, 503, {"error": str(exc)}, [(b"retry-after", b"60")])
                return
            except _Busy:
                await _respond(send, 409, {"error": "this delivery is being handled; retry later"})
                return
            except Exception:  # the store is unreachable: nothing was handled, the sender retries
                logger.exception("webhook dedupe store failed to claim %s", key)
                await _respond(
                    send, 503, {"error": "the dedupe store is unavailable"}, [(b"retry-after", b"10")]
                )
                return
            if not fresh:
                duplicates += 1
                continue
            try:
                await self._run(channel, name, item)
            except Exception as exc:
                await self._release(key)
                logger.exception("webhook handler for %s event (key %s) failed", name, key)
                await _respond(send, 500, {"error": f"the {name} handler failed ({type(exc).__name__})"})
                return
            except BaseException:  # cancelled (the client left, shutdown): the retry must be handled
                await asyncio.shield(self._release(key))
                raise
            await self._complete(key)
            handled += 1
        status = "duplicate" if duplicates and not handled else "ok"
        answer: dict[str, Any] = {"status": status, "channel": channel}
        if channel == "stream":
            answer.update(handled=handled, duplicates=duplicates)
        await _respond(send, 200, answer)

    def _sent_id(self, found: Mapping[str, str]) -> str | None:
        """The webhook-id header of a delivery authenticated by a credential, read as strictly
        as a signed one; None when absent (the payload's key is used)."""
        if not found.get("webhook-id", "").strip(" \t"):
            return None
        return required_header(found, "webhook-id")

    async def _claim(self, key: str) -> bool:
        if self._dedupe is None:
            return True
        waited, pause = 0.0, 0.01
        while True:
            fresh = await self._dedupe.claim(key)
            if fresh is not None:
                return fresh
            if waited >= self.dedupe_wait:
                raise _Busy
            await asyncio.sleep(pause)
            waited += pause
            pause = min(pause * 2, 0.25)

    async def _complete(self, key: str) -> None:
        # The handler ran: its answer stands even if the store cannot record it (a claim then
        # lapses after the store's own expiry, and a later retry may be handled again).
        if self._dedupe is not None:
            try:
                await self._dedupe.complete(key)
            except Exception:
                logger.exception("webhook dedupe store failed to complete %s", key)

    async def _release(self, key: str) -> None:
        if self._dedupe is not None:
            try:
                await self._dedupe.release(key)
            except Exception:
                logger.exception("webhook dedupe store failed to release %s", key)

    async def _run(self, channel: str, name: str, event: Any) -> None:
        if channel == "stream":
            handler = self._by_type.get(name)
            if handler is None:
                handler = self._handlers["event"]
        else:
            handler = self._handlers.get(channel)
        if handler is None:
            return  # no handler for this event: acknowledged, nothing to do
        if inspect.iscoroutinefunction(handler):
            await handler(event)
            return
        result = await asyncio.to_thread(handler, event)  # sync handlers don't block the loop
        if inspect.isawaitable(result):
            await result


# The documented spelling: `asgi_app(...)` is the receiver's constructor, one signature for both.
asgi_app = WebhookReceiver
