"""A plain ASGI webhook receiver: authenticate, parse, hand to a handler, once per webhook-id.

No framework needed: mount it in Starlette/FastAPI (``app.mount("/hooks", receiver)``) or run it
with uvicorn. See :class:`WebhookReceiver` (also spelled ``asgi_app``).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from .errors import ConfigurationError, EventParseError, WebhookVerificationError
from .webhooks import (
    _CHANNELS,
    DEFAULT_TOLERANCE,
    Channel,
    Secret,
    _header_lookup,
    _macs,
    _parsers,
    _verify,
    parse_event,
    verify_bearer,
)

__all__ = ["WebhookReceiver", "asgi_app"]

Handler = Callable[[Any], Any]
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

MiB = 1024 * 1024
logger = logging.getLogger("crewai_amp.webhooks")


class _TooLarge(Exception):
    pass


class _Disconnected(Exception):
    pass


class _Dedupe:
    """webhook-ids handled recently, and the ones being handled right now. AMP delivers at least
    once; this makes handling at most once per id within the window: the last ``size`` ids seen,
    each forgotten ``ttl`` seconds after it was last seen. Entries stay in time order (oldest
    first), so eviction by size or age pops from the front."""

    def __init__(self, size: int, ttl: float | None, clock: Callable[[], float]) -> None:
        self.size = size
        self.ttl = ttl
        self.clock = clock
        self.done: OrderedDict[str, float] = OrderedDict()
        self.in_flight: dict[str, asyncio.Future[bool]] = {}

    def _handled(self, msg_id: str) -> bool:
        """Seen within the window? A hit counts as a sighting: it moves to the fresh end."""
        stamp = self.done.get(msg_id)
        if stamp is None:
            return False
        now = self.clock()
        if self.ttl is not None and now - stamp > self.ttl:
            del self.done[msg_id]
            return False
        self._seen_at(msg_id, now)
        return True

    def _seen_at(self, msg_id: str, now: float) -> None:
        self.done[msg_id] = now
        self.done.move_to_end(msg_id)

    async def claim(self, msg_id: str) -> bool:
        """Take `msg_id` for handling (then call finish), or False if it was handled already.
        While the same id is being handled by a concurrent delivery, wait for its outcome
        (handled: False; failed: try again here)."""
        while not self._handled(msg_id):
            pending = self.in_flight.get(msg_id)
            if pending is None:
                self.in_flight[msg_id] = asyncio.get_running_loop().create_future()
                return True
            await asyncio.shield(pending)
        return False

    def finish(self, msg_id: str, *, handled: bool) -> None:
        future = self.in_flight.pop(msg_id, None)
        if handled and self.size > 0:
            now = self.clock()
            self._seen_at(msg_id, now)
            while len(self.done) > self.size:
                self.done.popitem(last=False)
            if self.ttl is not None:  # drop expired entries from the old end
                while self.done:
                    oldest, stamp = next(iter(self.done.items()))
                    if now - stamp <= self.ttl:
                        break
                    del self.done[oldest]
        if future is not None and not future.done():
            future.set_result(handled)


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


def _content_length(raw_headers: Iterable[tuple[bytes, bytes]]) -> int | None:
    for name, value in raw_headers:
        if name.lower() == b"content-length":
            text = value.strip()
            return int(text) if text.isdigit() else None
    return None


class WebhookReceiver:
    """An ASGI app receiving AMP webhooks. Mount it in Starlette/FastAPI or run it with uvicorn.

    Authentication: ``secret`` checks Standard Webhooks signatures (one secret or a list, for
    rotation); ``bearer_token`` checks ``Authorization: Bearer``; given both, both must pass.

    Responses (JSON): 405 for anything but POST (with ``Allow: POST``); 413 over ``max_body``
    bytes (refused from Content-Length, or as soon as the streamed body passes the limit); 401
    when authentication fails, before any handler runs; 400 for a payload that is not a valid
    event; 200 ``{"status": "ok"}`` once the handler returned; 500 if it raised (logged on the
    ``crewai_amp.webhooks`` logger; the id is not marked handled, so AMP's retry is processed).

    Channels: the handler is picked from the parsed event (a step object → ``on_step``, a
    ``task_id`` → ``on_task``, else ``on_crew``). Give ``channel="task"`` (or step, crew) to
    mount one receiver per AMP webhook URL and parse every payload as that event type. Events
    without a handler are acknowledged and dropped.

    Duplicates: a ``webhook-id`` already handled is acknowledged with 200
    ``{"status": "duplicate"}`` and not handled again, within a window: the last ``dedupe_size``
    ids (0 turns dedupe off), each forgotten ``dedupe_ttl`` seconds (by ``clock``) after it was
    last seen. A delivery arriving while the same id is being handled waits for that outcome
    (handled: duplicate; failed: it is handled anew). The window is in memory, per process.

    Handlers get the parsed event; ``async def`` handlers run on the loop, others in a worker
    thread. Raises ConfigurationError (a ValueError) for an unusable configuration. The repr
    never shows a secret.
    """

    def __init__(
        self,
        *,
        secret: Secret | Iterable[Secret] | None = None,
        bearer_token: str | None = None,
        on_task: Handler | None = None,
        on_step: Handler | None = None,
        on_crew: Handler | None = None,
        channel: Channel | None = None,
        max_body: int = MiB,
        tolerance: float = DEFAULT_TOLERANCE,
        dedupe_size: int = 10_000,
        dedupe_ttl: float | None = 24 * 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if secret is None and bearer_token is None:
            raise ConfigurationError(
                "asgi_app needs a secret (Standard Webhooks) or a bearer_token to authenticate"
            )
        if secret is not None:
            secret = secret if isinstance(secret, (str, bytes)) else tuple(secret)
            try:
                _macs(secret)
            except WebhookVerificationError as exc:
                raise ConfigurationError(str(exc)) from None
        if bearer_token is not None and (not isinstance(bearer_token, str) or not bearer_token.strip()):
            raise ConfigurationError("bearer_token must be a non-empty string")
        if channel is not None and channel not in _CHANNELS:
            raise ConfigurationError(f"unknown channel {channel!r}; expected task, step or crew")
        handlers = {"task": on_task, "step": on_step, "crew": on_crew}
        for name, handler in handlers.items():
            if handler is not None and not callable(handler):
                raise ConfigurationError(f"on_{name} must be callable")
        if isinstance(max_body, bool) or not isinstance(max_body, int) or max_body <= 0:
            raise ConfigurationError("max_body must be a positive number of bytes")
        self._secret = secret
        self._bearer_token = bearer_token
        self._handlers = handlers
        self._is_async = {name: inspect.iscoroutinefunction(h) for name, h in handlers.items()}
        self.channel = channel
        self.max_body = max_body
        self.tolerance = tolerance
        self._seen = _Dedupe(dedupe_size, dedupe_ttl, clock)

    def __repr__(self) -> str:
        auth = " + ".join(
            name
            for name, on in (("signature", self._secret is not None), ("bearer", self._bearer_token))
            if on
        )
        handled = ", ".join(name for name, h in self._handlers.items() if h is not None) or "none"
        return f"<WebhookReceiver auth={auth} handlers={handled} max_body={self.max_body}>"

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

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method") != "POST":
            await _respond(send, 405, {"error": "method not allowed; use POST"}, [(b"allow", b"POST")])
            return
        raw_headers: list[tuple[bytes, bytes]] = list(scope.get("headers") or [])
        too_large = {"error": f"body larger than {self.max_body} bytes"}
        declared = _content_length(raw_headers)
        if declared is not None and declared > self.max_body:
            await _respond(send, 413, too_large)
            return
        try:
            body = await _read_body(receive, self.max_body)
        except _TooLarge:
            await _respond(send, 413, too_large)
            return
        except _Disconnected:
            return

        # 1. Authenticate, before anything else looks at the body.
        msg_id: str | None = None
        try:
            found = _header_lookup(raw_headers)  # the few headers read below, scanned once
            if self._secret is not None:
                msg_id = _verify(body, found, self._secret, self.tolerance, None)
            if self._bearer_token is not None:
                verify_bearer(found, token=self._bearer_token)
                if msg_id is None:
                    msg_id = found.get("webhook-id", "").strip() or None
        except WebhookVerificationError as exc:
            extra = [(b"www-authenticate", b"Bearer")] if self._secret is None else []
            await _respond(send, 401, {"error": str(exc)}, extra)
            return

        # 2. Parse.
        try:
            event = parse_event(body, channel=self.channel)
        except EventParseError as exc:
            await _respond(send, 400, {"error": str(exc)})
            return
        channel = self.channel or _channel_of_event(event)

        # 3. Handle, at most once per webhook-id.
        if msg_id is not None and not await self._seen.claim(msg_id):
            await _respond(send, 200, {"status": "duplicate", "channel": channel})
            return
        handled = False
        try:
            await self._run(channel, event)
            handled = True
        except Exception as exc:
            logger.exception("webhook handler for %s event (webhook-id %s) failed", channel, msg_id)
            await _respond(send, 500, {"error": f"the {channel} handler failed ({type(exc).__name__})"})
            return
        finally:
            if msg_id is not None:
                self._seen.finish(msg_id, handled=handled)
        await _respond(send, 200, {"status": "ok", "channel": channel})

    async def _run(self, channel: str, event: Any) -> None:
        handler = self._handlers[channel]
        if handler is None:
            return  # no handler for this channel: acknowledged, nothing to do
        if self._is_async[channel]:
            await handler(event)
            return
        result = await asyncio.to_thread(handler, event)  # sync handlers don't block the loop
        if inspect.isawaitable(result):
            await result


def _channel_of_event(event: Any) -> str:
    for name, model in _parsers().models.items():
        if isinstance(event, model):
            return name
    raise AssertionError(f"unexpected event type {type(event).__name__}")  # pragma: no cover


# The documented spelling: `asgi_app(...)` is the receiver's constructor, one signature for both.
asgi_app = WebhookReceiver
