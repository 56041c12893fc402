"""Flows' human-feedback notifications: AMP's own signature (X-CrewAI-Signature over
"{timestamp}.{body}", keyed with the whole dashboard secret), the flat payload of crewAI pull
request 6778 and the Flow HITL Management page, the receiver, and answering by POSTing to
callback_url."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import pytest
from crewai_amp import APIConnectionError, APIStatusError, ConfigurationError
from crewai_amp.webhooks import (
    EventParseError,
    FeedbackVerifier,
    Verifier,
    WebhookVerificationError,
    arespond_feedback,
    asgi_app,
    channel_of,
    delivery_key,
    parse_event,
    respond_feedback,
    unwrap,
)
from crewai_amp_events import FlowFeedbackRequestPayload

SECRET = "whsec_flow-feedback-dashboard-secret"
CALLBACK = (
    "https://api.crewai.com/crewai_plus/api/v1/human_feedback_requests/550e8400/respond?token=tok-s3cret"
)
# The example of the Flow HITL Management page, fields as PR 6778 lists them.
DOCUMENTED = {
    "event_type": "new_request",
    "id": "550e8400-e29b-41d4-a716-446655440000",
    "status": "pending",
    "flow_id": "flow_abc123",
    "flow_class": "ContentReviewFlow",
    "method_name": "review_article",
    "message": "Please review this article for publication.",
    "output": "# Article Title\n\nThis is the content that needs review...",
    "emit": ["approve", "reject", "request_changes"],
    "default_outcome": None,
    "state": {"article_id": 12345, "author": "john@example.com", "category": "technology"},
    "metadata": {"priority": "high", "source": "cms"},
    "created_at": "2026-01-12T10:30:00Z",
    "callback_url": CALLBACK,
    "response_token": "tok-s3cret",
    "deployment_id": 12345,
    "deployment_name": "Content Review Crew",
    "flow_execution_id": "exec_789",
    "trace_batch_id": "trace_456",
    "organization_id": "org_123",
    "assigned_to": {"id": 42, "email": "reviewer@company.com", "name": "Jane Reviewer"},
    "assigned_at": "2026-01-12T10:30:05Z",
    "escalated_at": None,
    "sla_target_minutes": 120,
    "triggered_by_user_id": 99,
    "routing": {
        "effective_responders": [{"id": 42, "email": "reviewer@company.com", "name": "Jane Reviewer"}],
        "enforce_routing_rules": True,
    },
}
BODY = json.dumps(DOCUMENTED).encode()


def documented_verify(payload: bytes, signature: str, timestamp: str) -> bool:
    """The verification code of the Flow HITL Management page, as published."""
    if abs(time.time() - int(timestamp)) > 300:
        return False
    expected = hmac.new(
        SECRET.encode("utf-8"), f"{timestamp}.{payload.decode('utf-8')}".encode(), hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(f"sha256={expected}", signature)


def amp_headers(
    body: bytes, *, encoding: str = "hex", prefix: str = "sha256=", stamp: int | None = None
) -> dict[str, str]:
    timestamp = str(int(time.time()) if stamp is None else stamp)
    digest = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).digest()
    value = {
        "hex": digest.hex(),
        "HEX": digest.hex().upper(),
        "base64": base64.b64encode(digest).decode(),
        "base64url": base64.urlsafe_b64encode(digest).decode().rstrip("="),
    }[encoding]
    return {"X-CrewAI-Signature": prefix + value, "X-CrewAI-Timestamp": timestamp}


# --- the signature ----------------------------------------------------------------------------------


def test_signed_headers_pass_the_documented_verification() -> None:
    headers = FeedbackVerifier(SECRET).sign(BODY)
    assert set(headers) == {"X-CrewAI-Signature", "X-CrewAI-Timestamp"}
    assert documented_verify(BODY, headers["X-CrewAI-Signature"], headers["X-CrewAI-Timestamp"])


@pytest.mark.parametrize("encoding", ["hex", "HEX", "base64", "base64url"])
@pytest.mark.parametrize("prefix", ["sha256=", "", "SHA256="])
def test_every_plausible_encoding_verifies(encoding: str, prefix: str) -> None:
    headers = amp_headers(BODY, encoding=encoding, prefix=prefix)
    assert FeedbackVerifier(SECRET).verify(BODY, headers) == int(headers["X-CrewAI-Timestamp"])
    event = unwrap(BODY, {k.lower(): v for k, v in headers.items()}, secret=SECRET)
    assert isinstance(event, FlowFeedbackRequestPayload)


def test_rotation_and_several_candidates() -> None:
    headers = amp_headers(BODY)
    assert FeedbackVerifier(["whsec_old-one", SECRET]).verify(BODY, headers)
    headers["X-CrewAI-Signature"] = "sha256=" + "0" * 64 + ", " + headers["X-CrewAI-Signature"]
    assert FeedbackVerifier(SECRET).verify(BODY, headers)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            lambda h, b: ({**h, "X-CrewAI-Signature": "sha256=" + "a" * 64}, b),
            "no X-CrewAI-Signature matches",
        ),
        (lambda h, b: (h, b + b" "), "no X-CrewAI-Signature matches"),
        (lambda h, b: ({**h, "X-CrewAI-Timestamp": str(int(h["X-CrewAI-Timestamp"]) + 1)}, b), "matches"),
        (lambda h, b: (amp_headers(b, stamp=int(time.time()) - 301), b), "outside the tolerance"),
        (lambda h, b: (amp_headers(b, stamp=int(time.time()) + 301), b), "outside the tolerance"),
        (lambda h, b: ({"X-CrewAI-Signature": h["X-CrewAI-Signature"]}, b), "missing x-crewai-timestamp"),
        (lambda h, b: ({**h, "X-CrewAI-Timestamp": "12.5"}, b), "not a Unix timestamp"),
        (lambda h, b: ({**h, "X-CrewAI-Signature": "sha256=not-hex"}, b), "no sha256 signature"),
        (lambda h, b: ({**h, "X-CrewAI-Signature": "sha256=" + "ab" * 31}, b), "no sha256 signature"),
    ],
)
def test_anything_else_is_refused(change: Any, reason: str) -> None:
    headers, body = change(amp_headers(BODY), BODY)
    with pytest.raises(WebhookVerificationError, match=reason) as raised:
        FeedbackVerifier(SECRET).verify(body, headers)
    assert SECRET not in str(raised.value)
    with pytest.raises(WebhookVerificationError):
        unwrap(body, headers, secret=SECRET)


def test_the_key_is_the_secret_as_shown_not_its_base64() -> None:
    # The page keys the HMAC with the secret string itself, whsec_ included.
    decoded_key = base64.b64decode("Zmxvdy1mZWVkYmFjaw==")
    digest = hmac.new(decoded_key, b"1.", hashlib.sha256).hexdigest()
    with pytest.raises(WebhookVerificationError):
        FeedbackVerifier("whsec_Zmxvdy1mZWVkYmFjaw==").verify(
            b"", {"x-crewai-signature": digest, "x-crewai-timestamp": "1"}, now=1
        )


@pytest.mark.parametrize("secret", ["", " whsec_x", "whsec_x\n", b"", 5, [], None])
def test_unusable_secrets_are_refused(secret: Any) -> None:
    with pytest.raises(WebhookVerificationError):
        FeedbackVerifier(secret)
    assert "whsec_x" not in repr(FeedbackVerifier("whsec_x"))


def test_unwrap_keeps_the_schemes_apart() -> None:
    headers = amp_headers(BODY)
    with pytest.raises(WebhookVerificationError, match="FeedbackVerifier"):
        unwrap(BODY, headers, secret=Verifier("whsec_" + base64.b64encode(b"k" * 32).decode()))
    with pytest.raises(WebhookVerificationError, match="not a task event"):
        unwrap(BODY, headers, secret=SECRET, channel="task")
    assert (
        unwrap(BODY, headers, secret=FeedbackVerifier(SECRET), channel="flowFeedback").id == DOCUMENTED["id"]
    )
    with pytest.raises(WebhookVerificationError, match="has none"):
        unwrap(BODY, {"webhook-id": "x"}, secret=FeedbackVerifier(SECRET))


# --- the payload --------------------------------------------------------------------------------------


def test_the_documented_payload_is_typed() -> None:
    event = parse_event(DOCUMENTED)
    assert isinstance(event, FlowFeedbackRequestPayload) and channel_of(DOCUMENTED) == "flowFeedback"
    assert event.event_type == "new_request" and event.emit == ["approve", "reject", "request_changes"]
    assert event.callback_url == CALLBACK and event.deployment_id == 12345
    assert event.assigned_to is not None and event.assigned_to.email == "reviewer@company.com"
    assert event.routing is not None and event.routing.effective_responders[0].id == 42  # type: ignore[index]
    assert event.state == DOCUMENTED["state"]


@pytest.mark.parametrize(
    "payload",
    [
        {"event_type": "new_request", "callback_url": CALLBACK},
        {**DOCUMENTED, "event_type": "escalation", "escalated_at": "2026-01-12T12:30:00Z"},
        {**DOCUMENTED, "output": {"contacts": [1, 2]}, "state": None, "something_new": True},
        {**DOCUMENTED, "deployment_id": "dep-uuid", "organization_id": 7},
    ],
)
def test_variants_parse_and_keep_what_they_carry(payload: dict[str, Any]) -> None:
    event = parse_event(json.dumps(payload).encode())
    assert isinstance(event, FlowFeedbackRequestPayload)
    assert event.model_dump(by_alias=True, mode="json", exclude_none=True) == {
        k: v for k, v in payload.items() if v is not None
    }


def test_each_request_and_escalation_is_its_own_delivery() -> None:
    request = parse_event(DOCUMENTED)
    escalation = parse_event({**DOCUMENTED, "event_type": "escalation"})
    assert delivery_key(request) == delivery_key(parse_event(dict(DOCUMENTED)))
    assert delivery_key(request) != delivery_key(escalation)


# --- the receiver -------------------------------------------------------------------------------------


async def post(app: Any, body: bytes, headers: dict[str, str], path: str = "/hooks") -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://receiver.test") as client:
        return await client.post(path, content=body, headers=headers)


async def test_the_receiver_hands_a_verified_notification_to_on_flow_feedback() -> None:
    seen: list[Any] = []
    crews: list[Any] = []
    app = asgi_app(
        flow_feedback_secret=SECRET,
        bearer_token="crew-t0ken",
        on_flow_feedback=seen.append,
        on_crew=crews.append,
    )
    answer = await post(app, BODY, amp_headers(BODY))  # no bearer needed: the signature is the proof
    assert answer.status_code == 200 and answer.json() == {"status": "ok", "channel": "flowFeedback"}
    assert (await post(app, BODY, amp_headers(BODY))).json()["status"] == "duplicate"
    crew = json.dumps({"kickoff_id": "k", "result": "r", "token_usage": None}).encode()
    assert (await post(app, crew, {"authorization": "Bearer crew-t0ken"})).status_code == 200
    assert (await post(app, crew, {})).status_code == 401  # other deliveries still need the bearer
    forged = await post(app, BODY, {**amp_headers(BODY), "X-CrewAI-Signature": "sha256=" + "0" * 64})
    assert forged.status_code == 401 and "www-authenticate" not in forged.headers
    assert len(seen) == 1 and isinstance(seen[0], FlowFeedbackRequestPayload) and len(crews) == 1


async def test_a_receiver_without_the_secret_refuses_notifications() -> None:
    app = asgi_app(bearer_token="crew-t0ken", on_flow_feedback=print)
    response = await post(app, BODY, {**amp_headers(BODY), "authorization": "Bearer crew-t0ken"})
    assert response.status_code == 401 and "flow_feedback_secret" in response.json()["error"]
    only = asgi_app(flow_feedback_secret=SECRET, on_flow_feedback=print)
    assert (await post(only, BODY, {})).status_code == 401


async def test_a_notification_is_parsed_as_one_whatever_the_path() -> None:
    seen: list[Any] = []
    app = asgi_app(flow_feedback_secret=SECRET, on_flow_feedback=seen.append, channel="crew")
    assert (await post(app, BODY, amp_headers(BODY), path="/crew")).status_code == 200
    assert isinstance(seen[0], FlowFeedbackRequestPayload)
    bad = json.dumps({"event_type": "new_request"}).encode()  # no callback_url to answer
    assert (await post(app, bad, amp_headers(bad))).status_code == 400


# --- answering -------------------------------------------------------------------------------------------


def answering(status: int, reply: dict[str, Any], seen: list[httpx.Request]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, json=reply)

    return httpx.MockTransport(handler)


def test_respond_posts_feedback_and_source_to_the_callback_url() -> None:
    seen: list[httpx.Request] = []
    accepted = {"status": "accepted", "request": {"id": DOCUMENTED["id"], "status": "responded"}}
    with httpx.Client(transport=answering(200, accepted, seen)) as client:
        answer = respond_feedback(
            parse_event(DOCUMENTED), "Approved. Great article!", source="my_app", client=client
        )
    assert answer == accepted
    assert str(seen[0].url) == CALLBACK and seen[0].method == "POST"
    assert json.loads(seen[0].content) == {"feedback": "Approved. Great article!", "source": "my_app"}
    with httpx.Client(transport=answering(200, accepted, seen)) as client:
        respond_feedback(CALLBACK, "ok", source=None, client=client)
    assert json.loads(seen[1].content) == {"feedback": "ok"}


async def test_arespond_is_the_async_twin() -> None:
    seen: list[httpx.Request] = []
    async with httpx.AsyncClient(transport=answering(200, {"status": "accepted"}, seen)) as client:
        assert await arespond_feedback(parse_event(DOCUMENTED), "Looks good", client=client) == {
            "status": "accepted"
        }
    assert json.loads(seen[0].content) == {"feedback": "Looks good", "source": "crewai-amp-client"}


def test_a_refusal_is_a_typed_error_without_the_token() -> None:
    conflict = {"error": "already_responded", "message": "Feedback already provided via dashboard"}
    with (
        httpx.Client(transport=answering(409, conflict, [])) as client,
        pytest.raises(APIStatusError) as raised,
    ):
        respond_feedback(parse_event(DOCUMENTED), "late", client=client)
    assert raised.value.status_code == 409 and "already_responded" in str(raised.value)
    assert "tok-s3cret" not in str(raised.value)

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with (
        httpx.Client(transport=httpx.MockTransport(down)) as client,
        pytest.raises(APIConnectionError) as lost,
    ):
        respond_feedback(parse_event(DOCUMENTED), "x", client=client)
    assert "tok-s3cret" not in str(lost.value)


@pytest.mark.parametrize(
    "target", [None, "ftp://x/y", "not a url", parse_event({"event_type": "x", "callback_url": "/relative"})]
)
def test_nothing_to_answer_is_a_clear_error(target: Any) -> None:
    with pytest.raises(EventParseError, match="callback_url"):
        respond_feedback(target, "x")
    with pytest.raises(ConfigurationError):
        respond_feedback(CALLBACK, 5)  # type: ignore[arg-type]
