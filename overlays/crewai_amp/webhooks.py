"""Webhooks: Standard Webhooks signatures, AMP's bearer token, typed events and a receiver.

    headers = sign(body, secret="whsec_...")
    verify(body, headers, secret="whsec_...")            # or [old_secret, new_secret]
    event = unwrap(body, headers, secret="whsec_...")    # verify, then parse
    app = asgi_app(secret="whsec_...", on_task=..., on_step=..., on_crew=...)

Signatures follow Standard Webhooks (https://www.standardwebhooks.com): the headers
``webhook-id``, ``webhook-timestamp`` (Unix seconds) and ``webhook-signature``
(space-separated ``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``).

Secrets: a ``str`` is ``whsec_`` followed by the base64 of the key; without the prefix the
whole string is read as base64, like the reference ``standardwebhooks`` package (padding may be
left off). ``bytes`` are the raw key. A string that is not base64 is refused, never used as is.

Every malformed input raises :class:`WebhookVerificationError` or :class:`EventParseError`
with a short reason; secrets never appear in a message. This module loads pydantic and the
event models only on the first parse, so ``sign``/``verify`` stay cheap to import.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import time
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal, cast

from .errors import EventParseError, WebhookVerificationError

if TYPE_CHECKING:
    from typing import TypeAlias

    from crewai_amp_events import CrewCompletedPayload, StepEventPayload, TaskCompletedPayload
    from pydantic import ValidationError

    from ._webhook_receiver import WebhookReceiver as WebhookReceiver
    from ._webhook_receiver import asgi_app as asgi_app

    Event: TypeAlias = TaskCompletedPayload | StepEventPayload | CrewCompletedPayload

__all__ = [
    "Channel",
    "EventParseError",
    "Secret",
    "WebhookReceiver",
    "WebhookVerificationError",
    "asgi_app",
    "channel_of",
    "generate_secret",
    "parse_event",
    "sign",
    "unwrap",
    "verify",
    "verify_bearer",
]

Channel = Literal["task", "step", "crew"]
Secret = str | bytes
"""One webhook secret: ``"whsec_<base64>"``, bare base64, or the raw key as bytes."""

SECRET_PREFIX = "whsec_"  # noqa: S105 - a format prefix, not a secret
DEFAULT_TOLERANCE = 300
MAX_SIGNATURE_HEADER = 8192
MAX_TIMESTAMP_DIGITS = 12  # Unix seconds up to the year 33658
_SIGNATURE_B64_LEN = 44  # base64 of a 32-byte HMAC-SHA256 digest, with its one "=" of padding
_CHANNELS = ("task", "step", "crew")
_WANTED = frozenset({"webhook-id", "webhook-timestamp", "webhook-signature", "authorization"})

# --- secrets and signatures -------------------------------------------------------------


def _key(secret: Secret) -> bytes:
    """The HMAC key of a secret (see the module docstring); _mac caches the result."""
    if isinstance(secret, bytes):
        if not secret:
            raise WebhookVerificationError("the webhook secret is empty")
        return secret
    if not isinstance(secret, str):
        raise WebhookVerificationError("the webhook secret must be a str or bytes")
    encoded = secret.removeprefix(SECRET_PREFIX)
    if not encoded:
        raise WebhookVerificationError("the webhook secret is empty")
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise WebhookVerificationError(
            "the webhook secret is not valid base64 (expected whsec_<base64>)"
        ) from None
    if not key:
        raise WebhookVerificationError("the webhook secret decodes to an empty key")
    return key


_BLOCK = 64  # SHA-256 block size
_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))


class _Mac:
    """HMAC-SHA256 under one key, with the padded-key states hashed once (RFC 2104): each
    message then costs two hash copies instead of a fresh HMAC set-up, which halves the time
    for webhook-sized bodies. Equal to ``hmac.digest(key, msg, "sha256")`` (tested)."""

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes) -> None:
        if len(key) > _BLOCK:
            key = hashlib.sha256(key).digest()
        key = key.ljust(_BLOCK, b"\0")
        self._inner = hashlib.sha256(key.translate(_IPAD))
        self._outer = hashlib.sha256(key.translate(_OPAD))

    def __repr__(self) -> str:
        return "<_Mac>"

    def digest(self, *parts: bytes) -> bytes:
        inner = self._inner.copy()
        for part in parts:
            inner.update(part)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()


@lru_cache(maxsize=64)
def _mac(secret: Secret) -> _Mac:
    return _Mac(_key(secret))


def _macs(secret: Secret | Iterable[Secret]) -> list[_Mac]:
    try:
        if isinstance(secret, (str, bytes)):
            return [_mac(secret)]
        macs = [_mac(one) for one in secret]
    except TypeError:  # not iterable, or an unhashable item reaching the cache
        raise WebhookVerificationError("the webhook secret must be a str, bytes or a list of them") from None
    if not macs:
        raise WebhookVerificationError("no webhook secret given")
    return macs


def generate_secret() -> str:
    """A new random secret in the Standard Webhooks format (``whsec_`` + 32 random bytes)."""
    return SECRET_PREFIX + base64.b64encode(os.urandom(32)).decode("ascii")


def _as_bytes(body: object) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        try:
            return body.encode("utf-8")
        except UnicodeEncodeError:
            raise WebhookVerificationError("the body is not valid text (lone surrogates)") from None
    if isinstance(body, (bytearray, memoryview)):
        return bytes(body)
    raise WebhookVerificationError(f"the body must be bytes or str, not {type(body).__name__}")


def _signature(mac: _Mac, msg_id: str, timestamp: str, body: bytes) -> str:
    """The canonical base64 of HMAC-SHA256(key, "id.timestamp.body")."""
    try:
        prefix = f"{msg_id}.{timestamp}.".encode()
    except UnicodeEncodeError:
        raise WebhookVerificationError("webhook-id is not valid text") from None
    return binascii.b2a_base64(mac.digest(prefix, body), newline=False).decode("ascii")


def sign(
    body: bytes | str,
    *,
    secret: Secret,
    msg_id: str | None = None,
    timestamp: int | None = None,
) -> dict[str, str]:
    """Standard Webhooks headers (webhook-id, webhook-timestamp, webhook-signature) for a body.

    ``msg_id`` defaults to a random ``msg_<hex>``; ``timestamp`` (Unix seconds) to now.
    """
    if msg_id is None or msg_id == "":
        msg_id = f"msg_{os.urandom(12).hex()}"
    elif not isinstance(msg_id, str):
        raise WebhookVerificationError("msg_id must be a str")
    try:
        stamp = str(int(time.time()) if timestamp is None else int(timestamp))
    except (TypeError, ValueError, OverflowError):
        raise WebhookVerificationError("timestamp must be an integer (Unix seconds)") from None
    try:
        mac = _mac(secret)
    except TypeError:  # unhashable: not a single secret
        raise WebhookVerificationError("the webhook secret must be a str or bytes") from None
    signature = _signature(mac, msg_id, stamp, _as_bytes(body))
    return {"webhook-id": msg_id, "webhook-timestamp": stamp, "webhook-signature": f"v1,{signature}"}


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):  # raw ASGI headers
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return bytes(value).decode("latin-1")
    raise WebhookVerificationError("header names and values must be str or bytes")


def _header_lookup(headers: object) -> dict[str, str]:
    """The headers this module reads, by lower-case name, from a Mapping, httpx/starlette/
    werkzeug headers, or (name, value) pairs (str or bytes). A repeated webhook-signature is
    joined (more candidates); any other repeated header this module reads is refused."""
    found: dict[str, str] = {}
    try:
        items: Any = headers.items() if hasattr(headers, "items") else headers
        for name, value in items:
            lower = (name if type(name) is str else _text(name)).lower()
            if lower not in _WANTED:
                continue
            text = value if type(value) is str else _text(value)
            if lower in found:
                if lower != "webhook-signature":
                    raise WebhookVerificationError(f"repeated {lower} header")
                text = f"{found[lower]} {text}"
            found[lower] = text
    except WebhookVerificationError:
        raise
    except (TypeError, ValueError, AttributeError):
        raise WebhookVerificationError("headers must be a mapping or a list of (name, value) pairs") from None
    return found


def _required(found: Mapping[str, str], name: str) -> str:
    value = found.get(name, "").strip()
    if not value:
        raise WebhookVerificationError(f"missing {name} header")
    return value


def _verify(
    body: object,
    headers: object,
    secret: Secret | Iterable[Secret],
    tolerance: float,
    now: float | None,
) -> str:
    """verify(); returns the webhook-id that was checked (the receiver dedupes on it)."""
    found = _header_lookup(headers)
    msg_id = _required(found, "webhook-id")
    stamp = _required(found, "webhook-timestamp")
    signature_header = _required(found, "webhook-signature")
    if len(stamp) > MAX_TIMESTAMP_DIGITS or not (stamp.isascii() and stamp.isdigit()):
        raise WebhookVerificationError("webhook-timestamp is not a Unix timestamp in seconds")
    current = time.time() if now is None else now
    try:
        stale = not abs(current - int(stamp)) <= tolerance  # NaN counts as stale
    except TypeError:
        raise WebhookVerificationError("tolerance and now must be numbers") from None
    if stale:
        raise WebhookVerificationError(
            "webhook-timestamp is outside the tolerance (too old or in the future)"
        )
    if len(signature_header) > MAX_SIGNATURE_HEADER:
        raise WebhookVerificationError("webhook-signature header is too long")
    # Only canonical base64 counts: compare the canonical encoding of the expected digest with
    # each candidate's text, so no decoding is needed and no other spelling can match.
    candidates: list[str] = []
    for entry in signature_header.split():
        if entry.startswith("v1,"):
            value = entry[3:]
            # 32 bytes encode to 43 characters and exactly one "=".
            if len(value) == _SIGNATURE_B64_LEN and value[-1] == "=" != value[-2] and value.isascii():
                candidates.append(value)
    if not candidates:
        raise WebhookVerificationError("webhook-signature holds no valid v1 signature")
    data = _as_bytes(body)
    for mac in _macs(secret):
        expected = _signature(mac, msg_id, stamp, data)
        matched = False
        for candidate in candidates:  # no early exit: each comparison is constant-time
            matched |= hmac.compare_digest(expected, candidate)
        if matched:
            return msg_id
    raise WebhookVerificationError("no signature matches")


def verify(
    body: bytes | str,
    headers: Any,
    *,
    secret: Secret | Iterable[Secret],
    tolerance: float = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> None:
    """Check a Standard Webhooks signature. Returns None, or raises WebhookVerificationError.

    ``headers``: a Mapping, httpx/starlette/werkzeug headers, or (name, value) pairs; names are
    case-insensitive. ``secret`` may be a list (key rotation: any one may match). The signature
    header may hold several space-separated ``v1,<base64>`` entries; only canonical base64
    counts. The timestamp must be within ``tolerance`` seconds of ``now`` (default: the clock),
    either way; exactly ``tolerance`` is accepted.
    """
    _verify(body, headers, secret, tolerance, now)


def verify_bearer(headers: Any, *, token: str) -> None:
    """AMP's bearer strategy: ``Authorization: Bearer <token>`` must match, in constant time."""
    if not isinstance(token, str) or not token:
        raise WebhookVerificationError("no bearer token configured")
    value = _header_lookup(headers).get("authorization", "").strip()
    scheme, _, given = value.partition(" ")
    given = given.strip()
    if scheme.lower() != "bearer" or not given:
        raise WebhookVerificationError("missing bearer token")
    # Compare fixed-length digests: constant time, and the token's length does not leak either.
    expected = hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
    offered = hashlib.sha256(given.encode("utf-8", "surrogatepass")).digest()
    if not hmac.compare_digest(expected, offered):
        raise WebhookVerificationError("bearer token does not match")


# --- events -----------------------------------------------------------------------------


def channel_of(data: object) -> Channel | None:
    """The channel a decoded payload belongs to: a ``step`` object means a step event, a
    ``task_id`` a task event, any other object a crew event; None if it is not an object."""
    if not isinstance(data, Mapping):
        return None
    if isinstance(data.get("step"), Mapping):
        return "step"
    if "task_id" in data:
        return "task"
    return "crew"


class _Parsers:
    """pydantic and the event models, loaded on the first parse (import cost)."""

    def __init__(self) -> None:
        import crewai_amp_events as events
        from pydantic import ValidationError
        from pydantic_core import from_json

        self.ValidationError: type[ValidationError] = ValidationError
        self.from_json: Callable[[bytes | str], Any] = from_json
        self.models: dict[str, Any] = {
            "task": events.TaskCompletedPayload,
            "step": events.StepEventPayload,
            "crew": events.CrewCompletedPayload,
        }


@lru_cache(maxsize=1)
def _parsers() -> _Parsers:
    return _Parsers()


def _field(loc: tuple[int | str, ...]) -> str:
    # pydantic adds union-member labels such as 'str-enum[StepEventPayloadStepType]' after the
    # field name; they are not part of the payload's path.
    parts: list[str] = []
    for item in loc:
        if isinstance(item, str) and "[" in item:
            break
        parts.append(str(item))
    return ".".join(parts)


def _parse_error(exc: ValidationError, model: Any, raw: object) -> EventParseError:
    errors = exc.errors(include_url=False, include_context=False, include_input=False)
    first = errors[0]
    if first["type"] == "json_invalid":
        return EventParseError(f"the payload is not JSON: {first['msg']}", raw=raw)
    if first["type"] == "string_unicode":
        return EventParseError("the payload is not valid text (lone surrogates)", raw=raw)
    if first["type"] in ("model_type", "model_attributes_type") and not first["loc"]:
        return EventParseError("the payload must be a JSON object", raw=raw)
    fields = {_field(tuple(e["loc"])) for e in errors}
    # A union field reports once per member ('step.type', 'step.type.str'): count it once.
    more = sum(1 for f in fields if not any(f.startswith(g + ".") for g in fields)) - 1
    tail = f" (and {more} more)" if more > 0 else ""
    where = _field(tuple(first["loc"])) or "payload"
    return EventParseError(f"invalid {model.__name__}: {where}: {first['msg']}{tail}", raw=raw)


def parse_event(
    body: bytes | bytearray | memoryview | str | Mapping[str, Any], *, channel: Channel | None = None
) -> Event:
    """Parse a payload into TaskCompletedPayload, StepEventPayload or CrewCompletedPayload.

    With ``channel`` ("task", "step", "crew") it parses as that; without, it infers: a ``step``
    object means a step event, a ``task_id`` a task event, anything else a crew event.
    Unknown fields are kept (``event.model_extra``) and unknown enum values are kept as plain
    strings. An invalid payload raises EventParseError (a ValueError) naming the field.
    """
    parsers = _parsers()
    if channel is not None and channel not in parsers.models:
        raise EventParseError(f"unknown channel {channel!r}; expected task, step or crew", raw=body)
    if isinstance(body, (bytearray, memoryview)):
        body = bytes(body)
    try:
        if isinstance(body, (bytes, str)):
            if channel is not None:  # one pydantic-core pass: JSON parsing and validation
                model = parsers.models[channel]
                return cast("Event", model.model_validate_json(body))
            try:
                data = parsers.from_json(body)  # pydantic-core's JSON parser (faster than json)
            except ValueError as exc:
                raise EventParseError(f"the payload is not JSON: {exc}", raw=body) from None
            except TypeError:  # a str with lone surrogates
                raise EventParseError("the payload is not valid text (lone surrogates)", raw=body) from None
        elif isinstance(body, Mapping):
            data = body if isinstance(body, dict) else dict(body)
        else:
            raise EventParseError(
                f"the payload must be bytes, str or a mapping, not {type(body).__name__}", raw=body
            )
        found = channel or channel_of(data)
        if found is None:
            raise EventParseError(f"the payload must be a JSON object, not {type(data).__name__}", raw=body)
        model = parsers.models[found]
        return cast("Event", model.model_validate(data))
    except parsers.ValidationError as exc:
        raise _parse_error(exc, model, body) from None


def unwrap(
    body: bytes | str,
    headers: Any,
    *,
    secret: Secret | Iterable[Secret],
    channel: Channel | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> Event:
    """Verify the signature (see :func:`verify`), then parse the event (see :func:`parse_event`)."""
    _verify(body, headers, secret, tolerance, now)
    return parse_event(body, channel=channel)


def __getattr__(name: str) -> Any:
    # The receiver (and its imports) loads only when asked for.
    if name in ("asgi_app", "WebhookReceiver"):
        from . import _webhook_receiver

        return getattr(_webhook_receiver, name)
    raise AttributeError(f"module 'crewai_amp.webhooks' has no attribute {name!r}")
