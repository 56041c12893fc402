"""The signature AMP puts on flows' human-feedback notifications (``X-CrewAI-Signature``).

Those webhooks, configured in the AMP dashboard, are not Standard Webhooks: crewAI pull request
6778 (https://github.com/crewAIInc/crewAI/pull/6778) found the implementation sends
``X-CrewAI-Signature`` and ``X-CrewAI-Timestamp``, and the Flow HITL Management page
(https://docs.crewai.com/en/enterprise/features/flow-hitl-management) gives the scheme:
HMAC-SHA256, keyed with the signing secret exactly as the dashboard shows it (``whsec_...``
included, UTF-8), of ``"{X-CrewAI-Timestamp}.{raw body}"``, sent as ``sha256=<hex>``.

That encoding is documented but not confirmed by the implementation, so a signature is accepted
as hex or base64 (standard or URL-safe), with or without the ``sha256=`` prefix; a header may
hold several, separated by spaces or commas. Every comparison is constant-time, and the
timestamp (Unix seconds) must be within ``tolerance`` seconds of now.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import time
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import WebhookVerificationError
from ._signing import DEFAULT_TOLERANCE, MAX_TIMESTAMP_DIGITS, as_bytes, read_headers, required_header

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "FeedbackVerifier", "is_feedback_delivery"]

SIGNATURE_HEADER = "x-crewai-signature"
TIMESTAMP_HEADER = "x-crewai-timestamp"
DIGEST_SIZE = 32
PREFIX = "sha256="


def is_feedback_delivery(found: Mapping[str, str]) -> bool:
    """Whether headers read by ``read_headers`` carry AMP's feedback signature (and no Standard
    Webhooks one)."""
    return SIGNATURE_HEADER in found and "webhook-signature" not in found


def _key(secret: object) -> bytes:
    if isinstance(secret, str):
        if not secret.strip():
            raise WebhookVerificationError("the webhook signing secret is empty")
        if secret != secret.strip():
            raise WebhookVerificationError("the webhook signing secret has whitespace around it")
        try:
            return secret.encode("utf-8")
        except UnicodeEncodeError:
            raise WebhookVerificationError("the webhook signing secret is not valid text") from None
    if isinstance(secret, bytes):
        if not secret:
            raise WebhookVerificationError("the webhook signing secret is empty")
        return secret
    raise WebhookVerificationError("the webhook signing secret must be a str or bytes")


def _keys(secret: object) -> list[bytes]:
    if isinstance(secret, (str, bytes)):
        return [_key(secret)]
    if isinstance(secret, Mapping) or not isinstance(secret, Iterable):
        raise WebhookVerificationError("the webhook signing secret must be a str, bytes or a list of them")
    keys = [_key(one) for one in secret]
    if not keys:
        raise WebhookVerificationError("no webhook signing secret given")
    return keys


def _decoded(candidate: str) -> bytes | None:
    """32 bytes from a hex or base64 spelling of a digest, else None."""
    value = candidate[len(PREFIX) :] if candidate[: len(PREFIX)].lower() == PREFIX else candidate
    if len(value) == 2 * DIGEST_SIZE:
        try:
            return bytes.fromhex(value)
        except ValueError:
            return None
    if not value.isascii() or len(value) not in (43, 44):
        return None
    try:
        padded = value + "=" * (-len(value) % 4)
        raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == DIGEST_SIZE else None


def _candidates(header: str) -> list[bytes]:
    found = [_decoded(part) for part in header.replace(",", " ").split(" ") if part]
    digests = [digest for digest in found if digest is not None]
    if not digests:
        raise WebhookVerificationError(
            "X-CrewAI-Signature holds no sha256 signature (hex or base64 of 32 bytes)"
        )
    return digests


class FeedbackVerifier:
    """Checks (and, for tests, makes) the ``X-CrewAI-Signature`` of a flow human-feedback
    notification. Give the signing secret shown in the AMP dashboard, or a list of them during a
    rotation. The repr never shows a secret."""

    __slots__ = ("_keys", "tolerance")

    def __init__(
        self, secret: str | bytes | Iterable[str | bytes], *, tolerance: float = DEFAULT_TOLERANCE
    ) -> None:
        self._keys = _keys(secret)
        self.tolerance = tolerance

    def __repr__(self) -> str:
        return f"<FeedbackVerifier keys={len(self._keys)} tolerance={self.tolerance!r}>"

    @staticmethod
    def _digest(key: bytes, timestamp: str, body: bytes) -> bytes:
        return hmac.digest(key, timestamp.encode("ascii") + b"." + body, "sha256")

    def sign(self, body: bytes | str, *, timestamp: int | None = None) -> dict[str, str]:
        """The two headers AMP sends, for ``body``, signed with the first secret (as documented:
        ``sha256=<hex>``)."""
        try:
            stamp = str(int(time.time()) if timestamp is None else int(timestamp))
        except (TypeError, ValueError, OverflowError):
            raise WebhookVerificationError("timestamp must be an integer (Unix seconds)") from None
        digest = self._digest(self._keys[0], stamp, as_bytes(body))
        return {"X-CrewAI-Signature": PREFIX + digest.hex(), "X-CrewAI-Timestamp": stamp}

    def verify(self, body: bytes | str, headers: Any, *, now: float | None = None) -> int:
        """The verified timestamp (Unix seconds), or WebhookVerificationError."""
        return self.verify_found(body, read_headers(headers), now=now)

    def verify_found(self, body: object, found: Mapping[str, str], *, now: float | None = None) -> int:
        """``verify`` on headers already read by ``read_headers``."""
        stamp = required_header(found, TIMESTAMP_HEADER)
        header = required_header(found, SIGNATURE_HEADER, spaces=True)
        if len(stamp) > MAX_TIMESTAMP_DIGITS or not (stamp.isascii() and stamp.isdigit()):
            raise WebhookVerificationError("X-CrewAI-Timestamp is not a Unix timestamp in seconds")
        current = time.time() if now is None else now
        try:
            stale = not abs(current - int(stamp)) <= self.tolerance  # NaN counts as stale
        except TypeError:
            raise WebhookVerificationError("tolerance and now must be numbers") from None
        if stale:
            raise WebhookVerificationError(
                "X-CrewAI-Timestamp is outside the tolerance (too old or in the future)"
            )
        candidates = _candidates(header)
        data = as_bytes(body)
        matched = False
        for key in self._keys:
            expected = self._digest(key, stamp, data)
            for candidate in candidates:  # no early exit: each comparison is constant-time
                matched |= hmac.compare_digest(expected, candidate)
        if not matched:
            raise WebhookVerificationError("no X-CrewAI-Signature matches")
        return int(stamp)
