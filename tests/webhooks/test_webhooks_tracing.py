"""Webhook handling as OpenTelemetry spans and log records: the receiver's request
(``crewai_amp.webhooks.receive``: channel, delivery key, status, outcome), each handler call in
it (``crewai_amp.webhooks.handle``, the handler's own spans beneath), and each handler call of a
Redis inbox worker (``crewai_amp.webhooks.inbox``: entry id, attempt, outcome), sync and async;
never a secret or a body in an attribute or a log field."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from crewai_amp.webhooks import RedisInbox, asgi_app, sign
from opentelemetry import trace
from support.receiver import redis_server
from support.tracing import Spans, attrs, parent_of, values

SECRET = "whsec_" + base64.b64encode(b"tracing-test-secret-32-bytes-ok!").decode()
TOKEN = "tracing-bearer-t0ken"
BODY_TEXT = "task-output-text-kept-out-of-spans"
TASK = json.dumps({"kickoff_id": "k", "task_id": "t", "status": "completed", "output": BODY_TEXT}).encode()
CREW = json.dumps({"kickoff_id": "k-9", "result": BODY_TEXT, "token_usage": None}).encode()
DEADLINE = 60.0


async def post(app: Any, body: bytes, headers: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://receiver.test") as client:
        return await client.post("/hooks?token=not-logged", content=body, headers=headers)


def stream(*ids: str) -> bytes:
    events = [
        {
            "id": i,
            "execution_id": "exec-1",
            "timestamp": "2026-01-01T00:00:00Z",
            "type": "task_completed",
            "data": {},
        }
        for i in ids
    ]
    return json.dumps({"events": events}).encode()


async def test_a_delivery_is_a_receive_span_holding_the_handler_call_and_its_own_spans(spans: Spans) -> None:
    tracer = trace.get_tracer("app")

    def on_task(event: Any) -> None:
        with tracer.start_as_current_span("app work"):
            pass

    app = asgi_app(secret=SECRET, on_task=on_task)
    response = await post(app, TASK, sign(TASK, secret=SECRET, msg_id="msg_1"))
    assert response.status_code == 200
    every = spans.all()
    receive, handle, work = (
        spans.one("crewai_amp.webhooks.receive"),
        spans.one("crewai_amp.webhooks.handle"),
        spans.one("app work"),
    )
    assert parent_of(handle, every) is receive and parent_of(work, every) is handle
    assert attrs(receive) == {
        "crewai_amp.operation": "webhook.receive",
        "http.request.method": "POST",
        "http.response.status_code": 200,
        "crewai_amp.webhook.channel": "task",
        "crewai_amp.webhook.delivery_key": "h:msg_1",
        "crewai_amp.outcome": "ok",
    }
    assert attrs(handle) == {
        "crewai_amp.operation": "webhook.handle",
        "crewai_amp.webhook.channel": "task",
        "crewai_amp.webhook.event": "task",
        "crewai_amp.webhook.delivery_key": "h:msg_1",
        "crewai_amp.outcome": "ok",
    }
    spans.clear()
    again = await post(app, TASK, sign(TASK, secret=SECRET, msg_id="msg_1"))
    assert again.json()["status"] == "duplicate"
    assert attrs(spans.one("crewai_amp.webhooks.receive"))["crewai_amp.outcome"] == "duplicate"
    assert spans.named("crewai_amp.webhooks.handle") == []  # handled once


async def test_a_failing_handler_and_refused_requests_say_how(spans: Spans) -> None:
    def on_task(event: Any) -> None:
        raise RuntimeError(f"handler failed on {BODY_TEXT}")

    app = asgi_app(secret=SECRET, on_task=on_task)
    assert (await post(app, TASK, sign(TASK, secret=SECRET))).status_code == 500
    handle, receive = spans.one("crewai_amp.webhooks.handle"), spans.one("crewai_amp.webhooks.receive")
    assert (attrs(handle)["crewai_amp.outcome"], attrs(handle)["error.type"]) == ("error", "RuntimeError")
    assert (attrs(receive)["crewai_amp.outcome"], attrs(receive)["error.type"]) == ("error", "500")
    spans.clear()
    forged = sign(TASK, secret="whsec_" + base64.b64encode(b"some-other-secret-of-32-bytes!!!").decode())
    assert (await post(app, TASK, forged)).status_code == 401
    refused = spans.one("crewai_amp.webhooks.receive")
    assert attrs(refused)["crewai_amp.outcome"] == "unauthorized"
    assert attrs(refused)["http.response.status_code"] == 401 and "crewai_amp.webhook.channel" not in attrs(
        refused
    )
    assert "error.type" not in attrs(refused)  # the sender's mistake, not the receiver's
    text = values(spans.all())
    assert SECRET not in text and BODY_TEXT not in text and "not-logged" not in text


async def test_a_streamed_batch_counts_its_events(spans: Spans) -> None:
    seen: list[Any] = []
    app = asgi_app(bearer_token=TOKEN, on_event=seen.append)
    response = await post(app, stream("e1", "e2"), {"authorization": f"Bearer {TOKEN}"})
    assert response.json()["handled"] == 2
    receive = spans.one("crewai_amp.webhooks.receive")
    assert (
        attrs(receive)["crewai_amp.webhook.events"] == 2
        and attrs(receive)["crewai_amp.webhook.channel"] == "stream"
    )
    handles = spans.named("crewai_amp.webhooks.handle")
    assert sorted(attrs(h)["crewai_amp.webhook.event"] for h in handles) == [
        "task_completed",
        "task_completed",
    ]
    assert len({attrs(h)["crewai_amp.webhook.delivery_key"] for h in handles}) == 2
    assert TOKEN not in values(spans.all())


async def test_the_receiver_logs_each_request_with_fields(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="crewai_amp.webhooks")
    app = asgi_app(secret=SECRET, on_task=lambda event: None)
    await post(app, TASK, sign(TASK, secret=SECRET, msg_id="msg_7"))
    (record,) = [r for r in caplog.records if r.name == "crewai_amp.webhooks"]
    assert record.getMessage().startswith("webhook task delivery h:msg_7 -> 200 ok in ")
    found = {
        name: getattr(record, name)
        for name in ("operation", "method", "status", "channel", "delivery_key", "events", "outcome")
    }
    assert found == {
        "operation": "webhook.receive",
        "method": "POST",
        "status": 200,
        "channel": "task",
        "delivery_key": "h:msg_7",
        "events": None,
        "outcome": "ok",
    }
    assert record.elapsed_ms >= 0  # type: ignore[attr-defined]
    assert SECRET not in str(vars(record)) and BODY_TEXT not in str(vars(record))


# --- the Redis inbox --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture
def inbox(redis_url: str, request: pytest.FixtureRequest) -> Iterator[RedisInbox]:
    box = RedisInbox(
        redis_url,
        stream=f"tracing:{request.node.name}",
        claim_after=1.0,
        backoff=0.05,
        block=0.1,
        max_attempts=2,
    )
    yield box
    box.close()


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


class Failing:
    """A handler that fails every time; counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, event: Any) -> None:
        self.calls += 1
        raise ValueError(f"cannot handle {BODY_TEXT}")


def _inbox_spans(spans: Spans) -> list[Any]:
    return sorted(spans.named("crewai_amp.webhooks.inbox"), key=lambda s: attrs(s)["crewai_amp.attempt"])


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
async def test_an_inbox_worker_makes_a_span_per_handler_call_with_its_attempt(
    inbox: RedisInbox, spans: Spans, asynchronous: bool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="crewai_amp.webhooks")
    app = asgi_app(secret=SECRET, inbox=inbox)
    for msg_id, body in (("msg_ok", TASK), ("msg_bad", CREW)):
        assert (await post(app, body, sign(body, secret=SECRET, msg_id=msg_id))).json()["status"] == "queued"
    queued = [
        s for s in spans.named("crewai_amp.webhooks.receive") if attrs(s)["crewai_amp.outcome"] == "queued"
    ]
    assert len(queued) == 2
    handled: list[Any] = []
    failing = Failing()
    stop = threading.Event()

    def finished() -> bool:
        return len(handled) == 1 and failing.calls == 2 and inbox.stats().dead == 1

    if asynchronous:
        working = asyncio.ensure_future(inbox.awork(on_task=handled.append, on_crew=failing, stop=stop))
        deadline = time.monotonic() + DEADLINE
        while not finished():
            assert time.monotonic() < deadline, "timed out waiting for the worker"
            await asyncio.sleep(0.02)
        stop.set()
        await working
    else:
        worker = threading.Thread(
            target=inbox.work, kwargs={"on_task": handled.append, "on_crew": failing, "stop": stop}
        )
        worker.start()
        try:
            await asyncio.to_thread(wait_for, finished, "the worker")
        finally:
            stop.set()
            worker.join(DEADLINE)
    found = _inbox_spans(spans)
    ok = [s for s in found if attrs(s)["crewai_amp.webhook.channel"] == "task"]
    failed = [s for s in found if attrs(s)["crewai_amp.webhook.channel"] == "crew"]
    assert [attrs(s)["crewai_amp.outcome"] for s in ok] == ["ok"]
    assert attrs(ok[0])["crewai_amp.webhook.delivery_key"] == "h:msg_ok"
    assert (
        attrs(ok[0])["crewai_amp.operation"] == "webhook.inbox" and attrs(ok[0])["crewai_amp.inbox.entry_id"]
    )
    assert [(attrs(s)["crewai_amp.attempt"], attrs(s)["crewai_amp.outcome"]) for s in failed] == [
        (1, "retry"),
        (2, "dead_letter"),
    ]
    assert all(attrs(s)["error.type"] == "ValueError" for s in failed)
    assert BODY_TEXT not in values(spans.all()) and SECRET not in values(spans.all())
    handled_records = [
        r
        for r in caplog.records
        if getattr(r, "operation", None) == "webhook.inbox" and r.levelno == logging.DEBUG
    ]
    assert sorted((r.channel, r.attempt, r.outcome) for r in handled_records) == [  # type: ignore[attr-defined]
        ("crew", 1, "retry"),
        ("crew", 2, "dead_letter"),
        ("task", 1, "ok"),
    ]
    failures = [r for r in caplog.records if r.levelno >= logging.WARNING and getattr(r, "entry_id", None)]
    assert sorted(r.outcome for r in failures) == ["dead_letter", "retry"]  # type: ignore[attr-defined]
    assert all(r.delivery_key == "h:msg_bad" and r.error_type == "ValueError" for r in failures)  # type: ignore[attr-defined]
