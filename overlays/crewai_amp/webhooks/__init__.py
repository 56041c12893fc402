"""Webhooks: Standard Webhooks signatures, AMP's bearer/basic credentials, typed events, a receiver.

```python
headers = sign(body, secret="whsec_...")
verified = verify(body, headers, secret="whsec_...")  # or [old, new]; .id, .timestamp
event = unwrap(body, headers, secret="whsec_...")  # verify, then parse
events = parse_stream(body)  # a streamed batch, in received order
app = asgi_app(secret="whsec_...", on_task=print, on_crew=print)  # or bearer_token=...
inbox = RedisInbox("redis://localhost:6379/0")  # store first, handle after:
app = asgi_app(secret="whsec_...", inbox=inbox)  # the receiver only stores
inbox.work(on_task=print, on_crew=print)  # workers handle (awork: async)
respond_feedback(event, "Approved")  # answer a flow's feedback request
```

pydantic, the event models, the stores and the receiver load when first used, so signing and
verifying stay cheap to import. Every malformed input raises
[WebhookVerificationError][crewai_amp.errors.WebhookVerificationError] or
[EventParseError][crewai_amp.errors.EventParseError] with a short reason; secrets never appear
in a message.
"""

# Modules: _signing (Standard Webhooks signatures and credentials), _crewai_signing (the
# X-CrewAI-Signature of flow feedback notifications), _events (parsing, from the generated
# registry), _handlers (which handler gets which event), _dedupe (the stores), _asgi and
# _receiver (the ASGI app), _inbox, _inbox_core and _inbox_worker (the Redis inbox), _feedback
# (answering a flow's feedback request).

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .._lazy import lazy
from ..errors import EventParseError, WebhookVerificationError
from ._crewai_signing import FeedbackVerifier, is_feedback_delivery
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
    read_headers,
    sign,
    verifier_for,
    verify,
    verify_basic,
    verify_bearer,
)

if TYPE_CHECKING:
    from ._dedupe import DedupeFull, DedupeStore, MemoryDedupe, RedisDedupe
    from ._events import Event, StreamedEvent
    from ._feedback import arespond_feedback, respond_feedback
    from ._handlers import EventHandlers
    from ._inbox import DeadLetter, InboxStats, RedisInbox
    from ._receiver import WebhookReceiver, asgi_app

__all__ = [
    "DEFAULT_TOLERANCE",
    "SECRET_PREFIX",
    "Channel",
    "DeadLetter",
    "DedupeFull",
    "DedupeStore",
    "Event",
    "EventHandlers",
    "EventParseError",
    "FeedbackVerifier",
    "InboxStats",
    "MemoryDedupe",
    "RedisDedupe",
    "RedisInbox",
    "Secret",
    "StreamedEvent",
    "Verified",
    "Verifier",
    "WebhookReceiver",
    "WebhookVerificationError",
    "arespond_feedback",
    "asgi_app",
    "channel_of",
    "delivery_key",
    "generate_secret",
    "parse_event",
    "parse_message",
    "parse_stream",
    "registry",
    "respond_feedback",
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
        "EventHandlers": "._handlers",
        "DeadLetter": "._inbox",
        "InboxStats": "._inbox",
        "RedisInbox": "._inbox",
        "WebhookReceiver": "._receiver",
        "arespond_feedback": "._feedback",
        "respond_feedback": "._feedback",
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
    secret: Secret | Iterable[Secret] | Verifier | FeedbackVerifier,
    channel: Channel | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> Event:
    """Verify the signature (see [verify][crewai_amp.webhooks.verify]), then parse the event
    (see [parse_event][crewai_amp.webhooks.parse_event]).

    A flow's human-feedback notification (signed with `X-CrewAI-Signature`, not Standard
    Webhooks) is checked with AMP's scheme (see
    [FeedbackVerifier][crewai_amp.webhooks.FeedbackVerifier]; `secret` is the webhook's signing
    secret from the AMP dashboard) and parsed as a `FlowFeedbackRequestPayload`. A secret string
    is decoded once and reused on later calls; a [Verifier][crewai_amp.webhooks.Verifier] (or a
    `FeedbackVerifier`) may be passed instead."""
    found = read_headers(headers)
    if "x-crewai-signature" in found and is_feedback_delivery(found):
        if isinstance(secret, Verifier):
            raise WebhookVerificationError(
                "this delivery carries X-CrewAI-Signature (a flow feedback notification): pass its "
                "signing secret or a FeedbackVerifier, not a Verifier"
            )
        if channel not in (None, "flowFeedback"):
            raise WebhookVerificationError(f"an X-CrewAI-Signature delivery is not a {channel} event")
        checker = (
            secret if isinstance(secret, FeedbackVerifier) else FeedbackVerifier(secret, tolerance=tolerance)
        )
        checker.verify_found(body, found, now=now)
        return parse_event(body, channel="flowFeedback")
    if isinstance(secret, FeedbackVerifier):
        raise WebhookVerificationError(
            "a FeedbackVerifier checks X-CrewAI-Signature, and this delivery has none"
        )
    verifier_for(secret, tolerance).verify_found(body, found, now=now)
    return parse_event(body, channel=channel)
