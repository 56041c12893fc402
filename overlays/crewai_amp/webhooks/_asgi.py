"""ASGI plumbing for the receiver: reading a bounded body under a deadline, answering in JSON,
and the header checks made before a body is read."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

__all__ = [
    "CLOSE",
    "Disconnected",
    "Receive",
    "Scope",
    "Send",
    "SlowBody",
    "TooLarge",
    "declared_length",
    "header",
    "is_json",
    "read_body",
    "respond",
]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

CLOSE = (b"connection", b"close")


class TooLarge(Exception):
    pass


class Disconnected(Exception):
    pass


class SlowBody(Exception):
    """The body did not arrive in full within the deadline."""


async def respond(
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


async def _read(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Disconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise TooLarge  # stop reading: the rest is never pulled in
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def read_body(receive: Receive, limit: int, deadline: float) -> bytes:
    """The whole body, at most ``limit`` bytes (TooLarge past it), within ``deadline`` seconds
    (SlowBody past it: a half-sent request does not hold the receiver forever)."""
    try:
        return await asyncio.wait_for(_read(receive, limit), deadline)
    except asyncio.TimeoutError:
        raise SlowBody from None


def header(raw_headers: Iterable[tuple[bytes, bytes]], wanted: bytes) -> bytes | None:
    for name, value in raw_headers:
        if name.lower() == wanted:
            return bytes(value)
    return None


def is_json(content_type: bytes | None) -> bool:
    """No Content-Type, ``application/json`` or ``application/<anything>+json`` (parameters allowed)."""
    if content_type is None:
        return True
    media = content_type.split(b";", 1)[0].strip(b" \t").lower()
    return media == b"application/json" or (media.startswith(b"application/") and media.endswith(b"+json"))


def declared_length(raw_headers: Iterable[tuple[bytes, bytes]]) -> int | None:
    value = header(raw_headers, b"content-length")
    if value is None:
        return None
    text = value.strip(b" \t")
    return int(text) if text.isdigit() else None
