"""Webhook signing, verification and parsing; standardwebhooks is the oracle."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import standardwebhooks
from crewai_amp import AmpError, EventParseError, WebhookVerificationError
from crewai_amp.webhooks import generate_secret, parse_event, sign, unwrap, verify, verify_bearer
from crewai_amp_events import (
    CrewCompletedPayload,
    StepEventPayload,
    StepEventPayloadStepType,
    TaskCompletedPayload,
)
from hypothesis import given, settings
from hypothesis import strategies as st

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
OTHER = "whsec_" + base64.b64encode(b"another-secret-key-for-rotation!").decode()
NOW = 1_700_000_000
TASK = {"kickoff_id": "k-1", "task_id": "t-1", "status": "completed", "agent": "Researcher", "output": "done"}
STEP = {"kickoff_id": "k-1", "task_id": "t-1", "step": {"type": "thought", "content": "hmm"}}
CREW = {
    "kickoff_id": "k-1",
    "status": "completed",
    "result": {"output": "report", "tasks": [{"task_id": "t-1"}]},
}


def body_of(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode()


def test_we_sign_and_standardwebhooks_verifies() -> None:
    body = body_of(TASK)
    headers = sign(body, secret=SECRET)
    assert standardwebhooks.Webhook(SECRET).verify(body, headers) == TASK


def test_standardwebhooks_signs_and_we_verify_and_parse() -> None:
    body = body_of(STEP)
    oracle = standardwebhooks.Webhook(SECRET)
    import datetime

    timestamp = datetime.datetime.now(tz=datetime.timezone.utc)
    signature = oracle.sign("msg_1", timestamp, body.decode())
    headers = {
        "Webhook-Id": "msg_1",
        "Webhook-Timestamp": str(int(timestamp.timestamp())),
        "Webhook-Signature": signature,
    }
    event = unwrap(body, headers, secret=SECRET)
    assert isinstance(event, StepEventPayload)
    assert event.step.type is StepEventPayloadStepType.thought


def test_tolerance_edges_both_ways() -> None:
    body = body_of(TASK)
    headers = sign(body, secret=SECRET, timestamp=NOW)
    verify(body, headers, secret=SECRET, now=NOW + 300)
    verify(body, headers, secret=SECRET, now=NOW - 300)
    for now in (NOW + 301, NOW - 301):
        with pytest.raises(WebhookVerificationError, match="tolerance"):
            verify(body, headers, secret=SECRET, now=now)


def test_rotation_and_multiple_signatures() -> None:
    body = body_of(CREW)
    headers = sign(body, secret=OTHER, msg_id="m", timestamp=NOW)
    verify(body, headers, secret=[SECRET, OTHER], now=NOW)
    with pytest.raises(WebhookVerificationError):
        verify(body, headers, secret=SECRET, now=NOW)
    old = sign(body, secret=SECRET, msg_id="m", timestamp=NOW)["webhook-signature"]
    both = {**headers, "webhook-signature": f"v1,junk {old} {headers['webhook-signature']}"}
    verify(body, both, secret=SECRET, now=NOW)


def test_header_names_are_case_insensitive_and_pairs_work() -> None:
    body = body_of(TASK)
    headers = sign(body, secret=SECRET, timestamp=NOW)
    verify(body, {k.upper(): v for k, v in headers.items()}, secret=SECRET, now=NOW)
    verify(body, list(headers.items()), secret=SECRET, now=NOW)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"webhook-id": ""}, "missing webhook-id"),
        ({"webhook-timestamp": "abc"}, "timestamp"),
        ({"webhook-timestamp": "9" * 400}, "timestamp"),
        ({"webhook-timestamp": "-5"}, "timestamp"),
        ({"webhook-signature": "v1,not base64!!"}, "no valid"),
        ({"webhook-signature": "v1,"}, "no valid"),
        ({"webhook-signature": "v2,abc="}, "no valid"),
        ({"webhook-signature": "v1," + base64.b64encode(b"short").decode()}, "no valid"),
    ],
)
def test_malformed_headers_raise_a_typed_error_with_a_reason(change: dict[str, str], reason: str) -> None:
    body = body_of(TASK)
    headers = {**sign(body, secret=SECRET, timestamp=NOW), **change}
    with pytest.raises(WebhookVerificationError, match=reason):
        verify(body, headers, secret=SECRET, now=NOW)


def test_non_canonical_base64_is_refused() -> None:
    body = body_of(TASK)
    headers = sign(body, secret=SECRET, timestamp=NOW)
    good = headers["webhook-signature"].removeprefix("v1,")
    # Same bytes, non-canonical spelling: padding bits flipped in the last character.
    raw = base64.b64decode(good)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = good.rstrip("=")[-1]
    twin = good.rstrip("=")[:-1] + alphabet[alphabet.index(last) + 1] + "="
    assert base64.b64decode(twin) == raw
    with pytest.raises(WebhookVerificationError):
        verify(body, {**headers, "webhook-signature": f"v1,{twin}"}, secret=SECRET, now=NOW)


@pytest.mark.parametrize("secret", ["", "whsec_", "whsec_***", "not base64 at all"])
def test_bad_secrets_are_typed_errors_that_do_not_echo_the_secret(secret: str) -> None:
    with pytest.raises(WebhookVerificationError) as raised:
        sign(b"{}", secret=secret)
    assert secret not in str(raised.value) or not secret


def test_non_utf8_and_odd_types_are_typed_errors() -> None:
    headers = sign(b"\xff\xfe", secret=SECRET, timestamp=NOW)
    verify(b"\xff\xfe", headers, secret=SECRET, now=NOW)  # bytes are bytes: signature still checks
    with pytest.raises(EventParseError):
        parse_event(b"\xff\xfe")
    with pytest.raises(WebhookVerificationError):
        verify(b"{}", {"webhook-id": 5}, secret=SECRET)
    with pytest.raises(WebhookVerificationError):
        verify(b"{}", 42, secret=SECRET)


sig_headers = st.fixed_dictionaries(
    {
        "webhook-id": st.text(max_size=20),
        "webhook-timestamp": st.text(max_size=25) | st.integers().map(str),
        "webhook-signature": st.text(max_size=120),
    }
)


@settings(max_examples=1500, deadline=None)
@given(body=st.binary(max_size=200), headers=sig_headers, secret=st.text(max_size=60))
def test_fuzz_junk_never_escapes_untyped(body: bytes, headers: dict[str, str], secret: str) -> None:
    try:
        verify(body, headers, secret=secret or SECRET, now=NOW)
    except WebhookVerificationError:
        return
    raise AssertionError("junk was accepted")


@settings(max_examples=1000, deadline=None)
@given(
    body=st.binary(min_size=1, max_size=100),
    tampered=st.binary(min_size=1, max_size=100),
    field=st.sampled_from(["body", "id", "timestamp"]),
)
def test_fuzz_nothing_changed_is_accepted(body: bytes, tampered: bytes, field: str) -> None:
    headers = sign(body, secret=SECRET, msg_id="msg_x", timestamp=NOW)
    if field == "body":
        if tampered == body:
            return
        body = tampered
    elif field == "id":
        headers["webhook-id"] = "msg_" + tampered.hex()
    else:
        headers["webhook-timestamp"] = str(NOW - 1 - len(tampered))
    with pytest.raises(WebhookVerificationError):
        verify(body, headers, secret=SECRET, now=NOW)


def test_bearer() -> None:
    verify_bearer({"Authorization": "Bearer tok"}, token="tok")
    for headers in ({}, {"authorization": "Bearer nope"}, {"authorization": "Basic tok"}):
        with pytest.raises(WebhookVerificationError) as raised:
            verify_bearer(headers, token="tok")
        assert "tok" not in str(raised.value).replace("token", "")


@pytest.mark.parametrize(
    ("payload", "channel", "model"),
    [
        (TASK, None, TaskCompletedPayload),
        (STEP, None, StepEventPayload),
        (CREW, None, CrewCompletedPayload),
        (CREW, "crew", CrewCompletedPayload),
        (STEP, "step", StepEventPayload),
    ],
)
def test_parse_event_infers_or_is_told_the_channel(
    payload: dict[str, Any], channel: Any, model: type
) -> None:
    for form in (payload, json.dumps(payload), body_of(payload)):
        assert isinstance(parse_event(form, channel=channel), model)


def test_parse_event_keeps_new_fields_and_enum_values() -> None:
    event = parse_event({**TASK, "status": "cancelled", "cost_usd": 0.4})
    assert isinstance(event, TaskCompletedPayload)
    assert event.status == "cancelled"
    assert event.model_extra == {"cost_usd": 0.4}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"task_id": "t", "status": "completed"}, "kickoff_id"),
        ({"kickoff_id": "k", "step": {"type": 5}}, "step.type"),
        ({"kickoff_id": "k", "status": "completed", "execution_time": "slow"}, "execution_time"),
    ],
)
def test_invalid_payloads_name_the_field(payload: dict[str, Any], field: str) -> None:
    with pytest.raises(EventParseError, match=field) as raised:
        parse_event(payload)
    assert isinstance(raised.value, ValueError) and isinstance(raised.value, AmpError)


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'"str"', b""])
def test_non_object_payloads(body: bytes) -> None:
    with pytest.raises(EventParseError):
        parse_event(body)


def test_generated_secrets_round_trip() -> None:
    secret = generate_secret()
    body = body_of(CREW)
    assert isinstance(unwrap(body, sign(body, secret=secret), secret=secret), CrewCompletedPayload)
