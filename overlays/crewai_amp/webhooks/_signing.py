"""Standard Webhooks signatures, and AMP's static bearer and basic credentials.

Signatures follow Standard Webhooks (https://www.standardwebhooks.com): the headers
``webhook-id``, ``webhook-timestamp`` (Unix seconds) and ``webhook-signature``
(space-separated ``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``).

Headers are read strictly: around ``webhook-id`` and ``webhook-timestamp`` only SP and HTAB
(RFC 9110 optional whitespace) are stripped, ``webhook-signature`` is split only on SP, and any
other whitespace or control character (``\\x85``, ``\\xa0``, ``\\x1c``, U+2028, a tab inside a
value, ...) is refused. So one delivery has exactly one spelling of its id, and a replay cannot
slip past a dedupe on the id by padding it.

Secrets: a ``str`` is ``whsec_`` followed by the base64 of the key; without the prefix the
whole string is read as base64, like the reference ``standardwebhooks`` package (padding may be
left off). ``bytes`` are the raw key. A string that is not base64 is refused, never used as is.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import time
from binascii import b2a_base64
from collections.abc import Iterable, Mapping
from hmac import digest as hmac_digest
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

from ..errors import WebhookVerificationError

__all__ = [
    "DEFAULT_TOLERANCE",
    "SECRET_PREFIX",
    "Secret",
    "Verified",
    "Verifier",
    "generate_secret",
    "read_headers",
    "required_header",
    "sign",
    "verifier_for",
    "verify",
    "verify_basic",
    "verify_bearer",
    "verify_url_token",
]

Secret = str | bytes
"""One webhook secret: ``"whsec_<base64>"``, bare base64, or the raw key as bytes."""

SECRET_PREFIX = "whsec_"  # noqa: S105 - a format prefix, not a secret
"""The prefix of a Standard Webhooks secret string (the base64 of the key follows it)."""
DEFAULT_TOLERANCE = 300
"""Seconds a signed delivery's timestamp may be from now, either way, and still verify."""
MAX_SIGNATURE_HEADER = 8192
MAX_TIMESTAMP_DIGITS = 12  # Unix seconds up to the year 33658
SIGNATURE_B64_LEN = 44  # base64 of a 32-byte HMAC-SHA256 digest, with its one "=" of padding
OWS = " \t"  # RFC 9110 optional whitespace: the only characters stripped from a header value
HEADERS_READ = frozenset(
    {
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
        "authorization",
        "x-crewai-signature",
        "x-crewai-timestamp",
    }
)


class Verified(NamedTuple):
    """What [verify][crewai_amp.webhooks.verify] checked: the message id (dedupe on it) and its Unix
    timestamp."""

    id: str
    timestamp: int


def _key(secret: object) -> bytes:
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


def _keys(secret: object) -> list[bytes]:
    if isinstance(secret, (str, bytes)):
        return [_key(secret)]
    if isinstance(secret, Mapping) or not isinstance(secret, Iterable):
        raise WebhookVerificationError("the webhook secret must be a str, bytes or a list of them")
    keys = [_key(one) for one in secret]
    if not keys:
        raise WebhookVerificationError("no webhook secret given")
    return keys


def as_bytes(body: object) -> bytes:
    """The body as bytes: bytes-like as is, str as UTF-8; anything else is refused."""
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


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):  # raw ASGI headers
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return bytes(value).decode("latin-1")
    raise WebhookVerificationError("header names and values must be str or bytes")


def read_headers(headers: object) -> dict[str, str]:
    """The headers this package reads, by lower-case name, from a Mapping, httpx/starlette/
    werkzeug headers, or (name, value) pairs (str or bytes). A repeated webhook-signature is
    joined with SP (more candidates); any other repeated header read here is refused."""
    found: dict[str, str] = {}
    try:
        items: Any = headers.items() if hasattr(headers, "items") else headers
        for name, value in items:
            lower = (name if type(name) is str else _text(name)).lower()
            if lower not in HEADERS_READ:
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


def _visible(value: str) -> bool:
    """Printable and without SP: no control, separator or other whitespace character."""
    return value.isprintable() and " " not in value


def required_header(found: Mapping[str, str], name: str, *, spaces: bool = False) -> str:
    """A header read strictly: only SP/HTAB stripped, nothing invisible inside (nor SP, unless
    ``spaces``), not empty, not over MAX_SIGNATURE_HEADER characters."""
    value = found.get(name, "").strip(OWS)
    if not value:
        raise WebhookVerificationError(f"missing {name} header")
    if len(value) > MAX_SIGNATURE_HEADER:
        raise WebhookVerificationError(f"{name} header is too long")
    if not (value.isprintable() if spaces else _visible(value)):
        raise WebhookVerificationError(f"{name} holds whitespace or a control character")
    return value


def _candidates(header: str) -> list[str]:
    """The well-formed ``v1`` signatures of a webhook-signature header (split on SP only; the
    header was read by ``required_header``, so no entry holds another invisible character)."""
    single = " " not in header and len(header) == SIGNATURE_B64_LEN + 3  # the usual case
    if single and header.startswith("v1,") and header[-1] == "=" != header[-2] and header.isascii():
        return [header[3:]]
    candidates: list[str] = []
    for entry in header.split(" "):
        if entry.startswith("v1,"):
            value = entry[3:]
            # Only canonical base64 counts: 32 bytes encode to 43 characters and exactly one "=".
            if len(value) == SIGNATURE_B64_LEN and value[-1] == "=" != value[-2] and value.isascii():
                candidates.append(value)
    if not candidates:
        raise WebhookVerificationError("webhook-signature holds no valid v1 signature")
    return candidates


class Verifier:
    """Standard Webhooks signing and checking with decoded keys: build one per secret (or list
    of secrets, for rotation) and reuse it; each message then costs one HMAC (OpenSSL's one-shot
    ``hmac.digest``) per key. The repr never shows a key."""

    __slots__ = ("_keys", "tolerance")

    def __init__(self, secret: Secret | Iterable[Secret], *, tolerance: float = DEFAULT_TOLERANCE) -> None:
        self._keys = _keys(secret)
        self.tolerance = tolerance

    def __repr__(self) -> str:
        return f"<Verifier keys={len(self._keys)} tolerance={self.tolerance!r}>"

    @staticmethod
    def _signature(key: bytes, msg_id: str, timestamp: str, body: bytes) -> str:
        try:
            signed = f"{msg_id}.{timestamp}.".encode() + body
        except UnicodeEncodeError:
            raise WebhookVerificationError("webhook-id is not valid text") from None
        return binascii.b2a_base64(hmac.digest(key, signed, "sha256"), newline=False).decode("ascii")

    def sign(
        self, body: bytes | str, *, msg_id: str | None = None, timestamp: int | None = None
    ) -> dict[str, str]:
        """Headers for ``body`` signed with the first key; see [sign][crewai_amp.webhooks.sign]."""
        if msg_id is None or msg_id == "":
            msg_id = f"msg_{os.urandom(12).hex()}"
        elif not isinstance(msg_id, str):
            raise WebhookVerificationError("msg_id must be a str")
        try:
            stamp = str(int(time.time()) if timestamp is None else int(timestamp))
        except (TypeError, ValueError, OverflowError):
            raise WebhookVerificationError("timestamp must be an integer (Unix seconds)") from None
        signature = self._signature(self._keys[0], msg_id, stamp, as_bytes(body))
        return {"webhook-id": msg_id, "webhook-timestamp": stamp, "webhook-signature": f"v1,{signature}"}

    def verify(self, body: bytes | str, headers: Any, *, now: float | None = None) -> Verified:
        """Check the signature; see [verify][crewai_amp.webhooks.verify]."""
        return self.verify_found(body, read_headers(headers), now=now)

    def verify_found(self, body: object, found: Mapping[str, str], *, now: float | None = None) -> Verified:
        """``verify`` on headers already read by ``read_headers``."""
        msg_id = found.get("webhook-id", "").strip(OWS)
        stamp = found.get("webhook-timestamp", "").strip(OWS)
        signature_header = found.get("webhook-signature", "").strip(OWS)
        if not (
            0 < len(msg_id) <= MAX_SIGNATURE_HEADER
            and 0 < len(stamp) <= MAX_TIMESTAMP_DIGITS
            and 0 < len(signature_header) <= MAX_SIGNATURE_HEADER
            and msg_id.isprintable()
            and " " not in msg_id
            and stamp.isascii()
            and stamp.isdigit()
            and signature_header.isprintable()
        ):  # something is wrong: the strict readers name it
            msg_id = required_header(found, "webhook-id")
            stamp = required_header(found, "webhook-timestamp")
            signature_header = required_header(found, "webhook-signature", spaces=True)
            raise WebhookVerificationError("webhook-timestamp is not a Unix timestamp in seconds")
        signed_at = int(stamp)
        current = time.time() if now is None else now
        try:
            stale = not abs(current - signed_at) <= self.tolerance  # NaN counts as stale
        except TypeError:
            raise WebhookVerificationError("tolerance and now must be numbers") from None
        if stale:
            raise WebhookVerificationError(
                "webhook-timestamp is outside the tolerance (too old or in the future)"
            )
        candidates = _candidates(signature_header)
        try:
            signed = f"{msg_id}.{stamp}.".encode() + (body if type(body) is bytes else as_bytes(body))
        except UnicodeEncodeError:
            raise WebhookVerificationError("webhook-id is not valid text") from None
        for key in self._keys:
            expected = b2a_base64(hmac_digest(key, signed, "sha256"), newline=False).decode("ascii")
            matched = False
            for candidate in candidates:  # no early exit: each comparison is constant-time
                matched |= hmac.compare_digest(expected, candidate)
            if matched:
                return Verified(msg_id, signed_at)
        raise WebhookVerificationError("no signature matches")


_VERIFIERS: dict[tuple[object, object], Verifier] = {}
MAX_CACHED_VERIFIERS = 16


def verifier_for(secret: Secret | Iterable[Secret] | Verifier, tolerance: float) -> Verifier:
    """A Verifier for ``secret``; the same one for the same secret again (its keys decoded once, up
    to MAX_CACHED_VERIFIERS secrets), so a call of [verify][crewai_amp.webhooks.verify] or
    ``unwrap`` with a secret string costs what a reused Verifier does."""
    if type(secret) is Verifier:
        return secret
    key = (tuple(secret) if isinstance(secret, (list, tuple)) else secret, tolerance)
    try:
        found = _VERIFIERS.get(key)
    except TypeError:  # unhashable: any other iterable, or a tolerance Verifier will refuse
        return Verifier(secret, tolerance=tolerance)  # type: ignore[arg-type]
    if found is None:
        found = Verifier(secret, tolerance=tolerance)  # type: ignore[arg-type]
        if len(_VERIFIERS) >= MAX_CACHED_VERIFIERS:
            _VERIFIERS.pop(next(iter(_VERIFIERS)))
        _VERIFIERS[key] = found
    return found


def generate_secret() -> str:
    """A new random secret in the Standard Webhooks format (``whsec_`` + 32 random bytes)."""
    return SECRET_PREFIX + base64.b64encode(os.urandom(32)).decode("ascii")


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
    if not isinstance(secret, (str, bytes)):
        raise WebhookVerificationError("the webhook secret must be a str or bytes")
    return Verifier(secret).sign(body, msg_id=msg_id, timestamp=timestamp)


def verify(
    body: bytes | str,
    headers: Any,
    *,
    secret: Secret | Iterable[Secret] | Verifier,
    tolerance: float = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> Verified:
    """Check a Standard Webhooks signature; return the verified ``Verified(id, timestamp)``, or
    raise WebhookVerificationError.

    ``headers``: a Mapping, httpx/starlette/werkzeug headers, or (name, value) pairs; names are
    case-insensitive. ``secret`` may be a list (key rotation: any one may match) or a
    [Verifier][crewai_amp.webhooks.Verifier] (then its own tolerance applies). The signature header
    may hold several SP-separated ``v1,<base64>`` entries; only canonical base64 counts. The
    timestamp must be within ``tolerance`` seconds of ``now`` (default: the clock), either way;
    exactly ``tolerance`` is accepted. Deduplicate on the returned ``.id``, never on the raw header.
    """
    return verifier_for(secret, tolerance).verify(body, headers, now=now)


def _digest(text: str | bytes) -> bytes:
    raw = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    return hashlib.sha256(raw).digest()


def _credential(found: Mapping[str, str], scheme: str) -> str:
    value = found.get("authorization", "").strip(OWS)
    given_scheme, _, given = value.partition(" ")
    given = given.strip(OWS)
    if given_scheme.lower() != scheme or not given:
        raise WebhookVerificationError(f"missing {scheme} credentials")
    return given


def verify_bearer_found(found: Mapping[str, str], token: str) -> None:
    """[verify_bearer][crewai_amp.webhooks.verify_bearer] on headers already read by
    ``read_headers``."""
    if not isinstance(token, str) or not token:
        raise WebhookVerificationError("no bearer token configured")
    given = _credential(found, "bearer")
    # Compare fixed-length digests: constant time, and the token's length does not leak either.
    if not hmac.compare_digest(_digest(token), _digest(given)):
        raise WebhookVerificationError("bearer token does not match")


def verify_basic_found(found: Mapping[str, str], username: str, password: str) -> None:
    """[verify_basic][crewai_amp.webhooks.verify_basic] on headers already read by
    ``read_headers``."""
    if not isinstance(username, str) or not isinstance(password, str) or not (username or password):
        raise WebhookVerificationError("no basic credentials configured")
    given = _credential(found, "basic")
    try:
        decoded = base64.b64decode(given, validate=True)
    except (binascii.Error, ValueError):
        raise WebhookVerificationError("basic credentials are not base64") from None
    expected = f"{username}:{password}".encode("utf-8", "surrogatepass")
    if not hmac.compare_digest(_digest(expected), _digest(decoded)):
        raise WebhookVerificationError("basic credentials do not match")


def verify_url_token(query_string: bytes | str, token: str) -> None:
    """A ``token`` query parameter must match ``token`` (constant time): for webhooks whose
    sender adds no credential of its own, the secret travels in the URL given to it."""
    if not isinstance(token, str) or not token:
        raise WebhookVerificationError("no url token configured")
    query = (
        query_string.decode("latin-1") if isinstance(query_string, (bytes, bytearray)) else str(query_string)
    )
    given = [value for name, value in parse_qsl(query, keep_blank_values=True) if name == "token"]
    if len(given) > 1:
        raise WebhookVerificationError("repeated token query parameter")
    if not given or not given[0]:
        raise WebhookVerificationError("missing token query parameter")
    if not hmac.compare_digest(_digest(token), _digest(given[0])):
        raise WebhookVerificationError("url token does not match")


def verify_bearer(headers: Any, *, token: str) -> None:
    """AMP's bearer strategy: ``Authorization: Bearer <token>`` must match, in constant time."""
    verify_bearer_found(read_headers(headers), token)


def verify_basic(headers: Any, *, username: str, password: str) -> None:
    """AMP's basic strategy: ``Authorization: Basic base64(username:password)`` (RFC 7617, UTF-8)
    must match, in constant time."""
    verify_basic_found(read_headers(headers), username, password)
