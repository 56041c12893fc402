"""The receiver with deployed AMP's deliveries: bearer and basic credentials (no signature, no
webhook-id), legacy payloads, streamed batches to per-type or catch-all handlers, payload-derived
dedupe keys, and the early refusals (405, 415, 413, 401) that close the connection."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from crewai_amp import ConfigurationError
from crewai_amp.webhooks import MemoryDedupe, asgi_app, sign
from crewai_amp_events import LegacyCrewCompletedPayload, LegacyStepEventPayload, LegacyTaskCompletedPayload

TOKEN = "amp-bearer-t0ken"
USER, PASSWORD = "amp", "pa:ss wörd"
SECRET = "whsec_" + base64.b64encode(b"receiver-observed-secret-32-byte").decode()
K = "abcd1234-5678-90ef-ghij-klmnopqrstuv"
TASK = {
    "description": "d",
    "name": "research",
    "expected_output": "e",
    "output": "o",
    "kickoff_id": K,
    "meta": None,
}
STEP = {"prompt": "p", "thought": "t", "tool": None, "tool_input": None, "result": "r", "kickoff_id": K}
CREW = {"kickoff_id": K, "result": "done", "result_json": None, "token_usage": {"total_tokens": 3}}


def basic(user: str = USER, password: str = PASSWORD) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


BEARER = {"authorization": f"Bearer {TOKEN}"}


def batch(*events: tuple[str, str], execution: str = "exec-1") -> bytes:
    return json.dumps(
        {
            "events": [
                {
                    "id": i,
                    "execution_id": execution,
                    "timestamp": "2026-01-01T00:00:00Z",
                    "type": t,
                    "data": {},
                }
                for i, t in events
            ]
        }
    ).encode()


async def post(
    app: Any, body: Any, headers: dict[str, Any] | None = None, method: str = "POST"
) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://receiver.test") as client:
        return await client.request(method, "/hooks", content=body, headers=headers or {})


class Calls(list[Any]):
    def __call__(self, event: Any) -> None:
        self.append(event)


@pytest.mark.parametrize("auth", ["bearer", "basic"])
async def test_legacy_payloads_reach_their_handlers_with_either_credential(auth: str) -> None:
    task, step, crew = Calls(), Calls(), Calls()
    kwargs: dict[str, Any] = {"bearer_token": TOKEN} if auth == "bearer" else {"basic_auth": (USER, PASSWORD)}
    app = asgi_app(**kwargs, on_task=task, on_step=step, on_crew=crew)
    headers = BEARER if auth == "bearer" else basic()
    for payload in (TASK, STEP, CREW):
        response = await post(app, json.dumps(payload).encode(), headers)
        assert response.status_code == 200 and response.json()["status"] == "ok", response.text
    assert [type(e) for e in (*task, *step, *crew)] == [
        LegacyTaskCompletedPayload,
        LegacyStepEventPayload,
        LegacyCrewCompletedPayload,
    ]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        basic(password="wrong"),
        basic(user="other"),
        {"authorization": "Basic not-base64!"},
        {"authorization": "Bearer " + TOKEN},
        {"authorization": "Basic " + base64.b64encode(USER.encode()).decode()},
    ],
)
async def test_basic_auth_refuses_before_reading_the_body_and_closes(headers: dict[str, str]) -> None:
    calls = Calls()
    app = asgi_app(basic_auth=(USER, PASSWORD), on_task=calls)
    response = await post(app, json.dumps(TASK).encode(), headers)
    assert response.status_code == 401 and response.headers["connection"] == "close"
    assert response.headers["www-authenticate"] == "Basic" and PASSWORD not in response.text
    assert calls == []


async def test_credentials_are_checked_without_reading_the_body() -> None:
    """Raw ASGI: a refused credential never pulls a single body message."""
    pulled: list[Any] = []
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        pulled.append(1)
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "headers": [(b"authorization", b"Bearer nope")]}
    await asgi_app(bearer_token=TOKEN)(scope, receive, send)
    assert pulled == [] and sent[0]["status"] == 401 and (b"connection", b"close") in sent[0]["headers"]


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        ("application/json", 200),
        ("application/json; charset=utf-8", 200),
        ("Application/JSON", 200),
        ("application/cloudevents+json", 200),
        ("text/plain", 415),
        ("application/x-www-form-urlencoded", 415),
        ("multipart/form-data; boundary=x", 415),
        ("application/jsonp", 415),
        ("", 415),
    ],
)
async def test_a_non_json_content_type_is_415_and_closes(content_type: str, status: int) -> None:
    app = asgi_app(bearer_token=TOKEN, on_task=Calls())
    response = await post(app, json.dumps(TASK).encode(), {**BEARER, "content-type": content_type})
    assert response.status_code == status
    if status == 415:
        assert response.headers["connection"] == "close"


async def test_every_early_refusal_closes_the_connection() -> None:
    app = asgi_app(secret=SECRET, max_body=10)
    assert (await post(app, b"{}", method="GET")).headers["connection"] == "close"
    assert (await post(app, b"x" * 11)).headers["connection"] == "close"

    async def chunks() -> Any:
        for _ in range(5):
            yield b"x" * 5

    assert (await post(app, chunks())).headers["connection"] == "close"  # no Content-Length: streamed


async def test_a_streamed_batch_goes_event_by_event_to_per_type_then_catch_all_handlers() -> None:
    completed, everything = Calls(), Calls()
    app = asgi_app(bearer_token=TOKEN, on_events={"task_completed": completed}, on_event=everything)
    body = batch(("e1", "crew_kickoff_started"), ("e2", "task_completed"), ("e3", "brand_new_type"))
    response = await post(app, body, BEARER)
    assert response.json() == {"status": "ok", "channel": "stream", "handled": 3, "duplicates": 0}
    assert [e.id for e in completed] == ["e2"] and [e.id for e in everything] == ["e1", "e3"]
    again = await post(app, body, BEARER)
    assert again.json() == {"status": "duplicate", "channel": "stream", "handled": 0, "duplicates": 3}
    overlapping = await post(app, batch(("e3", "brand_new_type"), ("e4", "task_completed")), BEARER)
    assert overlapping.json()["handled"] == 1 and [e.id for e in completed] == ["e2", "e4"]
    other_run = await post(app, batch(("e1", "crew_kickoff_started"), execution="exec-2"), BEARER)
    assert other_run.json()["handled"] == 1  # keys are execution_id + id


async def test_a_failing_event_in_a_batch_leaves_the_rest_for_the_retry() -> None:
    seen: list[str] = []
    fail = {"e2"}

    def handler(event: Any) -> None:
        if event.id in fail:
            fail.discard(event.id)
            raise RuntimeError("boom")
        seen.append(event.id)

    app = asgi_app(bearer_token=TOKEN, on_event=handler)
    body = batch(("e1", "a"), ("e2", "b"), ("e3", "c"))
    assert (await post(app, body, BEARER)).status_code == 500
    retry = await post(app, body, BEARER)
    assert retry.json()["handled"] == 2 and retry.json()["duplicates"] == 1
    assert seen == ["e1", "e2", "e3"]


async def test_legacy_deliveries_without_an_id_dedupe_on_the_payload_key() -> None:
    task, step = Calls(), Calls()
    app = asgi_app(basic_auth=(USER, PASSWORD), on_task=task, on_step=step)
    for _ in range(3):
        await post(app, json.dumps(TASK).encode(), basic())
        await post(app, json.dumps(STEP).encode(), basic())
    await post(app, json.dumps({**STEP, "thought": "another step"}).encode(), basic())
    await post(app, json.dumps({**TASK, "name": "write"}).encode(), basic())
    assert len(task) == 2 and len(step) == 2


async def test_a_sent_webhook_id_is_the_key_and_is_read_strictly() -> None:
    calls = Calls()
    app = asgi_app(bearer_token=TOKEN, on_crew=calls)
    body = json.dumps(CREW).encode()
    assert (await post(app, body, {**BEARER, "webhook-id": "msg_1"})).json()["status"] == "ok"
    assert (await post(app, body, {**BEARER, "webhook-id": "msg_2"})).json()["status"] == "ok"
    assert (await post(app, body, {**BEARER, "webhook-id": " msg_2\t"})).json()["status"] == "duplicate"
    padded = await post(app, body, {**BEARER, "webhook-id": "msg_2\u00a0".encode()})
    assert padded.status_code == 401 and len(calls) == 2


async def test_signed_deliveries_may_also_need_a_credential() -> None:
    calls = Calls()
    app = asgi_app(secret=SECRET, basic_auth=(USER, PASSWORD), on_task=calls)
    body = json.dumps(TASK).encode()
    assert (await post(app, body, sign(body, secret=SECRET))).status_code == 401
    assert (await post(app, body, {**sign(body, secret=SECRET), **basic()})).status_code == 200
    assert len(calls) == 1


async def test_a_custom_store_is_used() -> None:
    store = MemoryDedupe(max_entries=5)
    app = asgi_app(bearer_token=TOKEN, on_crew=Calls(), dedupe=store)
    await post(app, json.dumps(CREW).encode(), BEARER)
    assert "entries=1/5" in repr(store)


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"basic_auth": ("user",)}, "basic_auth"),
        ({"basic_auth": ("us:er", "pw")}, "basic_auth"),
        ({"basic_auth": ("", "pw")}, "basic_auth"),
        ({"basic_auth": ["user", "pw"]}, "basic_auth"),
        ({"bearer_token": TOKEN, "on_events": {"x": 5}}, "on_events"),
        ({"bearer_token": TOKEN, "on_event": "nope"}, "on_event"),
        ({"bearer_token": TOKEN, "channel": "streams"}, "unknown channel"),
        ({"bearer_token": TOKEN, "dedupe_ttl": 1}, "replay window"),
    ],
)
def test_unusable_configurations_are_refused(kwargs: dict[str, Any], reason: str) -> None:
    with pytest.raises(ConfigurationError, match=reason):
        asgi_app(**kwargs)


def test_the_repr_shows_no_credential() -> None:
    app = asgi_app(bearer_token=TOKEN, basic_auth=(USER, PASSWORD), on_event=Calls())
    assert TOKEN not in repr(app) and PASSWORD not in repr(app) and "bearer + basic" in repr(app)


class BrokenStore:
    """A DedupeStore whose claim works but whose complete and release fail."""

    async def claim(self, key: str, *, replay_until: float | None = None) -> str | bool | None:
        return "token"

    async def renew(self, key: str, token: str) -> bool:
        return True

    async def complete(self, key: str, token: str) -> None:
        raise ConnectionError("store down")

    async def release(self, key: str, token: str) -> None:
        raise ConnectionError("store down")


async def test_a_store_that_cannot_record_the_outcome_is_logged_and_the_answer_stands(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls = Calls()

    def failing(event: Any) -> None:
        raise RuntimeError("handler failed")

    body = json.dumps(CREW).encode()
    ok = asgi_app(bearer_token=TOKEN, on_crew=calls, dedupe=BrokenStore())
    failed = asgi_app(bearer_token=TOKEN, on_crew=failing, dedupe=BrokenStore())
    with caplog.at_level("ERROR", logger="crewai_amp.webhooks"):
        assert (await post(ok, body, BEARER)).status_code == 200
        assert (await post(failed, body, BEARER)).status_code == 500
    assert len(calls) == 1 and "failed to complete" in caplog.text and "failed to release" in caplog.text
