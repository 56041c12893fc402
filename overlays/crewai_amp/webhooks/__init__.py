"""Webhooks: Standard Webhooks signatures, AMP's bearer/basic credentials, typed events, a receiver.

    headers = sign(body, secret="whsec_...")
    verified = verify(body, headers, secret="whsec_...")   # or [old, new]; .id, .timestamp
    event = unwrap(body, headers, secret="whsec_...")      # verify, then parse
    events = parse_stream(body)                            # a streamed batch, in received order
    app = asgi_app(secret=... | bearer_token=... | basic_auth=(user, pw),
                   on_task=..., on_step=..., on_crew=..., on_event=..., dedupe=RedisDedupe(url))

Modules: ``_signing`` (signatures and credentials), ``_events`` (parsing, from the generated
registry), ``_dedupe`` (the stores), ``_receiver`` (the ASGI app). pydantic, the event models,
the stores and the receiver load when first used, so signing and verifying stay cheap to import.

Every malformed input raises :class:`WebhookVerificationError` or :class:`EventParseError`
with a short reason; secrets never appear in a message.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .._lazy import lazy
from ..errors import EventParseError, WebhookVerificationError
from ._events import (
    Channel,
    channel_of,
    delivery_key,
    parse_event,
    parse_message,
    parse_stream,
    registry,
    sorted_by_time,
)
from ._signing import (
    DEFAULT_TOLERANCE,
    SECRET_PREFIX,
    Secret,
    Verified,
    Verifier,
    generate_secret,
    sign,
    verify,
    verify_basic,
    verify_bearer,
)

if TYPE_CHECKING:
    from ._dedupe import DedupeFull, DedupeStore, MemoryDedupe, RedisDedupe
    from ._events import Event, StreamedEvent
    from ._receiver import WebhookReceiver, asgi_app

__all__ = [
    "DEFAULT_TOLERANCE",
    "SECRET_PREFIX",
    "Channel",
    "DedupeFull",
    "DedupeStore",
    "Event",
    "EventParseError",
    "MemoryDedupe",
    "RedisDedupe",
    "Secret",
    "StreamedEvent",
    "Verified",
    "Verifier",
    "WebhookReceiver",
    "WebhookVerificationError",
    "asgi_app",
    "channel_of",
    "delivery_key",
    "generate_secret",
    "parse_event",
    "parse_message",
    "parse_stream",
    "registry",
    "sign",
    "sorted_by_time",
    "unwrap",
    "verify",
    "verify_basic",
    "verify_bearer",
]

__getattr__, __dir__ = lazy(
    __name__,
    globals(),
    {
        "DedupeFull": "._dedupe",
        "DedupeStore": "._dedupe",
        "MemoryDedupe": "._dedupe",
        "RedisDedupe": "._dedupe",
        "WebhookReceiver": "._receiver",
        "asgi_app": "._receiver",
        "Event": "._types",
        "StreamedEvent": "._types",
    },
    __all__,
)


def unwrap(
    body: bytes | str,
    headers: Any,
    *,
    secret: Secret | Iterable[Secret] | Verifier,
    channel: Channel | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> Event:
    """Verify the signature (see :func:`verify`), then parse the event (see :func:`parse_event`).
    With a :class:`Verifier` as ``secret`` the keys are decoded once, not on every call."""
    verify(body, headers, secret=secret, tolerance=tolerance, now=now)
    return parse_event(body, channel=channel)
