"""A plain ASGI webhook receiver: authenticate, parse, hand to a handler, at most once per id."""

from __future__ import annotations

import asyncio
import inspect
import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from .errors import EventParseError, WebhookVerificationError
from .webhooks import parse_event, verify, verify_bearer

Handler = Callable[[Any], Any | Awaitable[Any]]
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

__all__ = ["asgi_app"]


class _TooLarge(Exception):
    pass


class _SeenIds:
    """A bounded LRU of handled webhook-ids (AMP delivers at least once)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.done: OrderedDict[str, None] = OrderedDict()
        self.in_flight: set[str] = set()

    def claim(self, msg_id: str) -> bool:
        if msg_id in self.done or msg_id in self.in_flight:
            return False
        self.in_flight.add(msg_id)
        return True

    def finish(self, msg_id: str, *, handled: bool) -> None:
        self.in_flight.discard(msg_id)
        if handled:
            self.done[msg_id] = None
            while len(self.done) > self.size:
                self.done.popitem(last=False)


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
            raise ConnectionError("client disconnected")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def asgi_app(
    *,
    secret: str | list[str] | None = None,
    bearer_token: str | None = None,
    on_task: Handler | None = None,
    on_step: Handler | None = None,
    on_crew: Handler | None = None,
    max_body: int = 1024 * 1024,
    tolerance: int = 300,
    dedupe_size: int = 10_000,
) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """An ASGI app receiving AMP webhooks. Mount it in Starlette/FastAPI or run it with uvicorn.

    405 for non-POST, 413 over ``max_body``, 401 when the signature (``secret``) or the bearer
    token (``bearer_token``) check fails — before any handler runs — 400 for an unparseable
    event, 200 once the handler returned, 500 if it raised (the id is then not marked handled,
    so AMP's retry is processed). A ``webhook-id`` already handled is acknowledged with 200 and
    not handled again. Handlers get the parsed event; they may be sync (run in a thread) or async.
    """
    if secret is None and bearer_token is None:
        raise ValueError("asgi_app needs a secret (Standard Webhooks) or a bearer_token to authenticate")
    handlers = {"task": on_task, "step": on_step, "crew": on_crew}
    seen = _SeenIds(dedupe_size)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            return
        if scope["method"] != "POST":
            await _respond(send, 405, {"error": "method not allowed"}, [(b"allow", b"POST")])
            return
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope.get("headers", [])]
        length = next((v for k, v in headers if k.lower() == "content-length"), None)
        if length is not None and length.isdigit() and int(length) > max_body:
            await _respond(send, 413, {"error": f"body larger than {max_body} bytes"})
            return
        try:
            body = await _read_body(receive, max_body)
        except _TooLarge:
            await _respond(send, 413, {"error": f"body larger than {max_body} bytes"})
            return
        except ConnectionError:
            return
        try:
            if secret is not None:
                verify(body, headers, secret=secret, tolerance=tolerance)
            if bearer_token is not None:
                verify_bearer(headers, token=bearer_token)
        except WebhookVerificationError as exc:
            await _respond(send, 401, {"error": str(exc)})
            return
        try:
            event = parse_event(body)
        except EventParseError as exc:
            await _respond(send, 400, {"error": str(exc)})
            return
        channel = {"StepEventPayload": "step", "TaskCompletedPayload": "task"}.get(
            type(event).__name__, "crew"
        )
        msg_id = next((v for k, v in headers if k.lower() == "webhook-id"), "")
        if msg_id and not seen.claim(msg_id):
            await _respond(send, 200, {"status": "duplicate"})
            return
        handler = handlers[channel]
        try:
            if handler is not None:
                if inspect.iscoroutinefunction(handler):
                    await handler(event)
                else:
                    result = await asyncio.to_thread(handler, event)
                    if inspect.isawaitable(result):
                        await result
        except Exception as exc:
            if msg_id:
                seen.finish(msg_id, handled=False)
            await _respond(send, 500, {"error": f"handler failed: {type(exc).__name__}"})
            return
        if msg_id:
            seen.finish(msg_id, handled=True)
        await _respond(send, 200, {"status": "ok", "channel": channel})

    return app
