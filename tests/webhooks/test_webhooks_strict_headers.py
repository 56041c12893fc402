"""Strict Standard Webhooks headers: only SP/HTAB (RFC 9110 OWS) is stripped from webhook-id and
webhook-timestamp, webhook-signature is split on SP only, and any other whitespace or control
character is refused, so a replay cannot reach a handler twice by padding its id. verify()
returns the id it verified, and the documented own-route pattern dedupes on it."""

from __future__ import annotations

import base64
import json
import sys

import pytest
import standardwebhooks
from crewai_amp.webhooks import Verified, Verifier, WebhookVerificationError, sign, unwrap, verify
from hypothesis import given, settings
from hypothesis import strategies as st

SECRET = "whsec_" + base64.b64encode(b"strict-headers-test-secret-32b!!").decode()
NOW = 1_700_000_000
BODY = json.dumps({"kickoff_id": "k", "task_id": "t", "status": "completed"}).encode()

# Every non-OWS character Python's str.strip()/split() treats as whitespace, the C0/C1 controls,
# and the Unicode separators: none may pad or sit inside a header value.
PYTHON_WHITESPACE = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace() and chr(c) not in " \t"]
CONTROLS = [chr(c) for c in (*range(0x00, 0x20), *range(0x7F, 0xA0)) if chr(c) not in "\t"]
PADDING = sorted(set(PYTHON_WHITESPACE + CONTROLS + ["\u200b", "\ufeff", "\u2028", "\u2029", "\xa0"]))
OWS = st.text(alphabet=" \t", max_size=4)


def headers(msg_id: str = "msg_strict") -> dict[str, str]:
    return sign(BODY, secret=SECRET, msg_id=msg_id, timestamp=NOW)


def test_the_padding_set_has_the_kinds_the_issue_names() -> None:
    assert {"\x85", "\xa0", "\x1c", "\x1d", "\x1e", "\x1f", "\u2028", "\x0b", "\x0c"} <= set(PADDING)


@settings(deadline=None, max_examples=300)
@given(
    pad=st.lists(st.sampled_from(PADDING), min_size=1, max_size=3).map("".join),
    where=st.sampled_from(["before", "after", "inside"]),
    name=st.sampled_from(["webhook-id", "webhook-timestamp"]),
)
def test_any_padding_but_ows_on_id_or_timestamp_is_refused(pad: str, where: str, name: str) -> None:
    sent = headers()
    value = sent[name]
    sent[name] = {"before": pad + value, "after": value + pad, "inside": value[:3] + pad + value[3:]}[where]
    with pytest.raises(WebhookVerificationError):
        verify(BODY, sent, secret=SECRET, now=NOW)


@settings(deadline=None, max_examples=200)
@given(pad=st.lists(st.sampled_from(PADDING), min_size=1, max_size=3).map("".join))
def test_any_padding_but_sp_in_the_signature_header_is_refused(pad: str) -> None:
    sent = headers()
    signature = sent["webhook-signature"]
    for value in (pad + signature, signature + pad, f"v1,{'A' * 43}={pad}{signature}"):
        sent["webhook-signature"] = value
        with pytest.raises(WebhookVerificationError):
            verify(BODY, sent, secret=SECRET, now=NOW)


@settings(deadline=None, max_examples=200)
@given(left=OWS, right=OWS, gap=st.text(alphabet=" ", min_size=1, max_size=3))
def test_ows_around_values_and_sp_between_signatures_are_accepted(left: str, right: str, gap: str) -> None:
    sent = headers()
    other = sign(
        BODY, secret="whsec_" + base64.b64encode(b"x" * 32).decode(), msg_id="msg_strict", timestamp=NOW
    )
    padded = {
        "webhook-id": left + sent["webhook-id"] + right,
        "webhook-timestamp": left + sent["webhook-timestamp"] + right,
        "webhook-signature": left + other["webhook-signature"] + gap + sent["webhook-signature"] + right,
    }
    assert verify(BODY, padded, secret=SECRET, now=NOW) == Verified("msg_strict", NOW)


@settings(deadline=None, max_examples=200)
@given(pad=st.sampled_from(PADDING))
def test_we_refuse_what_the_reference_library_refuses_for_the_signature(pad: str) -> None:
    """The reference splits the signature header on SP only: a padded entry never matches there
    either; we refuse it outright."""
    sent = headers()
    sent["webhook-signature"] = sent["webhook-signature"] + pad
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        _reference(sent)
    with pytest.raises(WebhookVerificationError):
        verify(BODY, sent, secret=SECRET, now=NOW)


def _reference(sent: dict[str, str]) -> None:
    import time

    real = time.time
    time.time = lambda: float(NOW)  # type: ignore[assignment]
    try:
        standardwebhooks.Webhook(SECRET).verify(BODY, sent)
    finally:
        time.time = real  # type: ignore[assignment]


def test_a_padded_replay_cannot_reach_the_own_route_handler_twice() -> None:
    """The documented own-route pattern: unwrap, then dedupe on verify()'s id, not the raw header."""
    verifier = Verifier(SECRET)
    seen: set[str] = set()
    handled: list[str] = []

    def route(body: bytes, sent: dict[str, str]) -> int:
        try:
            verified = verifier.verify(body, sent, now=NOW)
        except WebhookVerificationError:
            return 401
        if verified.id in seen:
            return 200
        unwrap(body, sent, secret=verifier, now=NOW)
        seen.add(verified.id)
        handled.append(verified.id)
        return 200

    original = headers()
    assert route(BODY, original) == 200
    for pad in PADDING:
        replay = {**original, "webhook-id": original["webhook-id"] + pad}
        assert route(BODY, replay) == 401, repr(pad)
    assert route(BODY, {**original, "webhook-id": " \t" + original["webhook-id"] + "\t "}) == 200
    assert handled == ["msg_strict"]


def test_verify_returns_the_verified_id_and_timestamp() -> None:
    result = verify(BODY, headers("msg_returned"), secret=SECRET, now=NOW)
    assert result == Verified(id="msg_returned", timestamp=NOW)
    assert (result.id, result.timestamp) == ("msg_returned", NOW)


def test_the_verifier_is_reusable_and_shows_no_key() -> None:
    verifier = Verifier([SECRET, "whsec_" + base64.b64encode(b"y" * 32).decode()], tolerance=5)
    assert verifier.verify(BODY, headers(), now=NOW).id == "msg_strict"
    assert verifier.verify(BODY, verifier.sign(BODY, msg_id="m2", timestamp=NOW), now=NOW).id == "m2"
    with pytest.raises(WebhookVerificationError, match="tolerance"):
        verifier.verify(BODY, headers(), now=NOW + 6)
    assert SECRET[6:] not in repr(verifier) and "keys=2" in repr(verifier)


def test_raw_asgi_header_bytes_with_a_c1_control_are_refused() -> None:
    sent = [(k.encode(), v.encode()) for k, v in headers().items() if k != "webhook-id"]
    for raw in (b"msg_strict\x85", b"msg_strict\xc2\xa0", b"\xe2\x80\xa8msg_strict"):
        with pytest.raises(WebhookVerificationError, match="whitespace or a control"):
            verify(BODY, [*sent, (b"webhook-id", raw)], secret=SECRET, now=NOW)
