"""Webhooks: Standard Webhooks signatures, AMP's bearer token, typed events and a receiver.

    headers = sign(body, secret="whsec_...")
    verify(body, headers, secret="whsec_...")            # or [old_secret, new_secret]
    event = unwrap(body, headers, secret="whsec_...")    # verify, then parse

Every malformed input raises :class:`WebhookVerificationError` or :class:`EventParseError`
with a short reason; secrets never appear in a message.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets as _secrets
import time
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from .errors import EventParseError, WebhookVerificationError

if TYPE_CHECKING:
    from crewai_amp_events import CrewCompletedPayload, StepEventPayload, TaskCompletedPayload

    from ._webhook_receiver import asgi_app as asgi_app

    Event: TypeAlias = TaskCompletedPayload | StepEventPayload | CrewCompletedPayload

__all__ = [
    "EventParseError",
    "WebhookVerificationError",
    "asgi_app",
    "parse_event",
    "sign",
    "unwrap",
    "verify",
    "verify_bearer",
]

Channel = Literal["task", "step", "crew"]
SECRET_PREFIX = "whsec_"  # noqa: S105 - a format prefix, not a secret
MAX_SIGNATURE_HEADER = 4096


# --- secrets and signatures -------------------------------------------------------------


@lru_cache(maxsize=64)
def _key(secret: str) -> bytes:
    """`whsec_<base64>` (or bare base64, like the reference package) -> key bytes."""
    if not isinstance(secret, str) or not secret:
        raise WebhookVerificationError("the webhook secret is empty or not a string")
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise WebhookVerificationError(
            "the webhook secret is not valid base64 (expected whsec_<base64>)"
        ) from None
    if not key:
        raise WebhookVerificationError("the webhook secret decodes to an empty key")
    return key


def generate_secret() -> str:
    """A new random secret in the Standard Webhooks format."""
    return SECRET_PREFIX + base64.b64encode(_secrets.token_bytes(32)).decode()


def _as_bytes(body: bytes | bytearray | memoryview | str) -> bytes:
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    raise WebhookVerificationError(f"the body must be bytes or str, not {type(body).__name__}")


def _digest(key: bytes, msg_id: str, timestamp: str, body: bytes) -> bytes:
    return hmac.new(key, b"%s.%s.%s" % (msg_id.encode(), timestamp.encode(), body), hashlib.sha256).digest()


def sign(
    body: bytes | str,
    *,
    secret: str,
    msg_id: str | None = None,
    timestamp: int | None = None,
) -> dict[str, str]:
    """Standard Webhooks headers (webhook-id, webhook-timestamp, webhook-signature) for a body."""
    msg_id = msg_id or f"msg_{_secrets.token_hex(12)}"
    stamp = str(int(time.time()) if timestamp is None else int(timestamp))
    signature = base64.b64encode(_digest(_key(secret), msg_id, stamp, _as_bytes(body))).decode()
    return {"webhook-id": msg_id, "webhook-timestamp": stamp, "webhook-signature": f"v1,{signature}"}


def _header_lookup(headers: Any) -> dict[str, str]:
    """Case-insensitive view of a Mapping, httpx/starlette Headers or a list of pairs."""
    try:
        items = headers.items() if hasattr(headers, "items") else headers
        found: dict[str, str] = {}
        for name, value in items:
            if isinstance(name, bytes):
                name = name.decode("latin-1")
            if isinstance(value, bytes):
                value = value.decode("latin-1")
            if not isinstance(name, str) or not isinstance(value, str):
                raise WebhookVerificationError("header names and values must be strings")
            found.setdefault(name.lower(), value)
        return found
    except WebhookVerificationError:
        raise
    except (TypeError, ValueError, AttributeError):
        raise WebhookVerificationError("headers must be a mapping or a list of (name, value) pairs") from None


def _required(found: Mapping[str, str], name: str) -> str:
    value = found.get(name, "").strip()
    if not value:
        raise WebhookVerificationError(f"missing {name} header")
    return value


def _canonical_b64(text: str) -> bytes | None:
    """Decode base64 only if it is canonical (re-encodes to the same text)."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if base64.b64encode(raw).decode() == text else None


def verify(
    body: bytes | str,
    headers: Any,
    *,
    secret: str | Iterable[str],
    tolerance: int = 300,
    now: float | None = None,
) -> None:
    """Check a Standard Webhooks signature. Returns None, or raises WebhookVerificationError.

    ``secret`` may be a list (key rotation: any one may match). The signature header may hold
    several space-separated ``v1,<base64>`` entries. The timestamp must be within ``tolerance``
    seconds of now, either way (replay protection).
    """
    found = _header_lookup(headers)
    msg_id = _required(found, "webhook-id")
    stamp = _required(found, "webhook-timestamp")
    signature_header = _required(found, "webhook-signature")
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
        raise WebhookVerificationError("webhook-timestamp is not a valid Unix timestamp")
    current = time.time() if now is None else now
    if abs(current - int(stamp)) > tolerance:
        raise WebhookVerificationError("webhook-timestamp is outside the tolerance (stale or in the future)")
    if len(signature_header) > MAX_SIGNATURE_HEADER:
        raise WebhookVerificationError("webhook-signature header is too long")
    candidates = []
    for entry in signature_header.split():
        version, _, value = entry.partition(",")
        if version == "v1":
            decoded = _canonical_b64(value)
            if decoded is not None and len(decoded) == hashlib.sha256().digest_size:
                candidates.append(decoded)
    if not candidates:
        raise WebhookVerificationError("webhook-signature holds no valid v1 signature")
    keys = [_key(secret)] if isinstance(secret, str) else [_key(s) for s in secret]
    if not keys:
        raise WebhookVerificationError("no webhook secret given")
    data = _as_bytes(body)
    for key in keys:
        expected = _digest(key, msg_id, stamp, data)
        # Compare against every candidate (no early exit) in constant time per comparison.
        if any([hmac.compare_digest(expected, candidate) for candidate in candidates]):
            return
    raise WebhookVerificationError("no signature matches")


def verify_bearer(headers: Any, *, token: str) -> None:
    """AMP's bearer strategy: `Authorization: Bearer <token>` must match, in constant time."""
    if not token:
        raise WebhookVerificationError("no bearer token configured")
    value = _header_lookup(headers).get("authorization", "")
    scheme, _, given = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not given:
        raise WebhookVerificationError("missing bearer token")
    if not hmac.compare_digest(given.strip().encode("utf-8", "replace"), token.encode("utf-8")):
        raise WebhookVerificationError("bearer token does not match")


# --- events -----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _models() -> dict[str, Any]:
    # pydantic and the event models load on first parse, not on import (import cost).
    import crewai_amp_events as events
    from pydantic import ValidationError

    return {
        "error": ValidationError,
        "task": events.TaskCompletedPayload,
        "step": events.StepEventPayload,
        "crew": events.CrewCompletedPayload,
    }


def _infer_channel(data: Mapping[str, Any]) -> Channel:
    if isinstance(data.get("step"), Mapping):
        return "step"
    if "task_id" in data:
        return "task"
    return "crew"


def parse_event(body: bytes | str | Mapping[str, Any], *, channel: Channel | None = None) -> Event:
    """Parse a payload into TaskCompletedPayload, StepEventPayload or CrewCompletedPayload.

    With ``channel`` ("task", "step", "crew") it parses as that; without, it infers: a ``step``
    object means a step event, a ``task_id`` a task event, anything else a crew event.
    Unknown fields and enum values are kept. Invalid payloads raise EventParseError.
    """
    models = _models()
    validation_error = models["error"]
    if channel is not None and channel not in _CHANNELS:
        raise EventParseError(f"unknown channel {channel!r}; expected task, step or crew", raw=body)
    if isinstance(body, Mapping):
        model = models[channel or _infer_channel(body)]
        try:
            event: Event = model.model_validate(body)
        except validation_error as exc:
            raise _parse_error(model, exc, body) from None
        return event
    if channel is not None:
        # One pass in pydantic-core: JSON parsing and validation together (the fast path).
        model = models[channel]
        try:
            event = model.model_validate_json(body)
        except validation_error as exc:
            raise _parse_error(model, exc, body) from None
        return event
    try:
        data = json.loads(body)
    except (ValueError, TypeError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise EventParseError(f"the payload is not JSON: {exc}", raw=body) from None
    if not isinstance(data, Mapping):
        raise EventParseError(f"the payload must be a JSON object, not {type(data).__name__}", raw=body)
    return parse_event(data, channel=_infer_channel(data))


_CHANNELS = ("task", "step", "crew")


def _parse_error(model: Any, exc: Any, body: object) -> EventParseError:
    first = exc.errors()[0]
    if first["type"] == "json_invalid":
        return EventParseError(f"the payload is not JSON: {first['msg']}", raw=body)
    if first["type"] == "model_type":
        return EventParseError("the payload must be a JSON object", raw=body)
    field = ".".join(str(p) for p in first["loc"]) or "payload"
    return EventParseError(f"invalid {model.__name__}: {field}: {first['msg']}", raw=body)


def unwrap(
    body: bytes | str,
    headers: Any,
    *,
    secret: str | Iterable[str],
    channel: Channel | None = None,
    tolerance: int = 300,
) -> Event:
    """Verify the signature, then parse the event."""
    verify(body, headers, secret=secret, tolerance=tolerance)
    return parse_event(body, channel=channel)


def __getattr__(name: str) -> Any:
    if name == "asgi_app":
        from ._webhook_receiver import asgi_app

        return asgi_app
    raise AttributeError(f"module 'crewai_amp.webhooks' has no attribute {name!r}")
