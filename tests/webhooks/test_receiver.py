"""The ASGI webhook receiver, driven through httpx.ASGITransport (and raw ASGI where the
transport cannot show a detail, e.g. how much of a body was read)."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from crewai_amp import ConfigurationError
from crewai_amp.webhooks import MemoryDedupe, WebhookReceiver, asgi_app, sign
from crewai_amp_events import CrewCompletedPayload, StepEventPayload, TaskCompletedPayload

SECRET = "whsec_" + base64.b64encode(b"receiver-test-secret-32-bytes!!!").decode()
OTHER = "whsec_" + base64.b64encode(b"a-different-secret-for-rotation!").decode()
TOKEN = "amp-bearer-t0ken"
TASK = json.dumps({"kickoff_id": "k", "task_id": "t", "status": "completed"}).encode()
STEP = json.dumps({"kickoff_id": "k", "step": {"type": "tool_call", "tool": "search"}}).encode()
CREW = json.dumps({"kickoff_id": "k", "status": "error", "error": "boom"}).encode()


class Recorder:
    """A sync handler: records events and the thread it ran on; fails the first `fail` calls."""

    def __init__(self, fail: int = 0) -> None:
        self.events: list[Any] = []
        self.threads: list[threading.Thread] = []
        self.fail = fail
        self.calls = 0

    def __call__(self, event: Any) -> None:
        self.calls += 1
        self.threads.append(threading.current_thread())
        if self.fail:
            self.fail -= 1
            raise RuntimeError("handler crashed: internal detail")
        self.events.append(event)


async def post(
    app: Any,
    body: bytes | Any,
    headers: dict[str, str] | None = None,
    method: str = "POST",
    path: str = "/hooks",
) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://receiver.test") as client:
        return await client.request(method, path, content=body, headers=headers or {})


def signed(body: bytes, **kw: Any) -> dict[str, str]:
    return sign(body, secret=kw.pop("secret", SECRET), **kw)


# --- 2xx: each channel reaches its handler -----------------------------------------------------


async def test_each_channel_reaches_its_handler_sync_in_a_thread_async_on_the_loop() -> None:
    task, crew = Recorder(), Recorder()
    steps: list[Any] = []
    loop_thread: list[threading.Thread] = []

    async def on_step(event: StepEventPayload) -> None:
        loop_thread.append(threading.current_thread())
        steps.append(event)

    app = asgi_app(secret=SECRET, on_task=task, on_step=on_step, on_crew=crew)
    for body, channel in ((TASK, "task"), (STEP, "step"), (CREW, "crew")):
        response = await post(app, body, signed(body))
        assert response.status_code == 200, response.text
        assert response.json() == {"status": "ok", "channel": channel}
        assert response.headers["content-type"] == "application/json"
    assert [type(e) for e in (*task.events, *steps, *crew.events)] == [
        TaskCompletedPayload,
        StepEventPayload,
        CrewCompletedPayload,
    ]
    assert loop_thread == [threading.current_thread()]
    assert task.threads[0] is not threading.current_thread()  # sync handlers don't block the loop


async def test_the_response_comes_after_the_handler_returned() -> None:
    finished: list[str] = []

    async def slow(event: Any) -> None:
        await asyncio.sleep(0)
        finished.append(event.task_id)

    response = await post(asgi_app(secret=SECRET, on_task=slow), TASK, signed(TASK))
    assert response.status_code == 200 and finished == ["t"]


async def test_a_sync_handler_returning_an_awaitable_is_awaited() -> None:
    done: list[str] = []

    class CallableObject:  # an object with an async __call__: not a coroutine function
        async def __call__(self, event: Any) -> None:
            done.append(event.kickoff_id)

    response = await post(asgi_app(secret=SECRET, on_crew=CallableObject()), CREW, signed(CREW))
    assert response.status_code == 200 and done == ["k"]


async def test_an_event_without_a_handler_is_acknowledged() -> None:
    task = Recorder()
    response = await post(asgi_app(secret=SECRET, on_task=task), STEP, signed(STEP))
    assert response.status_code == 200 and task.events == []


async def test_a_channel_per_mount_parses_every_payload_as_that_event() -> None:
    task = Recorder()
    app = asgi_app(secret=SECRET, on_task=task, channel="task")
    assert (await post(app, TASK, signed(TASK))).status_code == 200
    wrong = await post(app, STEP, signed(STEP))
    assert wrong.status_code == 400 and "TaskCompletedPayload" in wrong.json()["error"]
    assert len(task.events) == 1


async def test_rotation_and_secrets_as_a_list() -> None:
    task = Recorder()
    app = asgi_app(secret=[OTHER, SECRET], on_task=task)
    for secret in (SECRET, OTHER):
        assert (await post(app, TASK, signed(TASK, secret=secret))).status_code == 200
    assert len(task.events) == 2


# --- 405, 413, 401, 400 ----------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"])
async def test_anything_but_post_is_405_with_allow(method: str) -> None:
    task = Recorder()
    response = await post(asgi_app(secret=SECRET, on_task=task), TASK, signed(TASK), method=method)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST" and "error" in response.json()
    assert task.calls == 0


async def test_oversized_body_with_content_length_is_413() -> None:
    task = Recorder()
    app = asgi_app(secret=SECRET, on_task=task, max_body=len(TASK) - 1)
    response = await post(app, TASK, signed(TASK))
    assert response.status_code == 413 and "larger than" in response.json()["error"]
    exact = asgi_app(secret=SECRET, on_task=task, max_body=len(TASK))
    assert (await post(exact, TASK, signed(TASK))).status_code == 200  # exactly the limit: fine


async def test_oversized_streamed_body_without_content_length_is_413_and_reading_stops() -> None:
    pulled: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        for index in range(100):
            pulled.append(index)
            yield b"x" * 50

    app = asgi_app(secret=SECRET, max_body=120)
    response = await post(app, chunks(), signed(b""))
    assert response.status_code == 413
    assert len(pulled) <= 4  # 3 chunks pass 120 bytes; the rest is never pulled


async def raw_asgi(
    app: Any, messages: list[dict[str, Any]], headers: list[tuple[bytes, bytes]]
) -> tuple[list[dict[str, Any]], int]:
    """Call the app with scripted receive() messages; returns what it sent and how many it read."""
    sent: list[dict[str, Any]] = []
    queue = list(messages)
    read = 0

    async def receive() -> dict[str, Any]:
        nonlocal read
        read += 1
        return queue.pop(0) if queue else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers}
    await app(scope, receive, send)
    return sent, read


async def test_content_length_over_the_limit_is_refused_before_reading() -> None:
    app = asgi_app(secret=SECRET, max_body=10)
    sent, read = await raw_asgi(
        app, [{"type": "http.request", "body": b"x" * 5}], [(b"content-length", b"11")]
    )
    assert sent[0]["status"] == 413 and read == 0


async def test_streamed_body_stops_being_read_past_the_limit() -> None:
    app = asgi_app(secret=SECRET, max_body=10)
    messages = [{"type": "http.request", "body": b"x" * 6, "more_body": True} for _ in range(5)]
    sent, read = await raw_asgi(app, messages, [])
    assert sent[0]["status"] == 413 and read == 2


async def test_a_client_that_disconnects_gets_no_response_and_no_handler() -> None:
    task = Recorder()
    app = asgi_app(secret=SECRET, on_task=task)
    sent, _ = await raw_asgi(app, [{"type": "http.request", "body": b"{", "more_body": True}], [])
    assert sent == [] and task.calls == 0


@pytest.mark.parametrize(
    ("body", "headers", "reason"),
    # Headers are signed when the test runs, not at collection: a long run must not age them
    # past the tolerance.
    [
        (TASK, lambda: {}, "missing webhook-id"),
        (TASK, lambda: {"webhook-id": "x"}, "missing webhook-timestamp"),
        (TASK + b" ", lambda: signed(TASK), "no signature matches"),
        (TASK, lambda: signed(TASK, secret=OTHER), "no signature matches"),
        (TASK, lambda: signed(TASK, timestamp=1_000_000_000), "tolerance"),
        (b"not json at all", lambda: signed(b"not json"), "no signature matches"),  # 401 before parsing
        (TASK, lambda: {**signed(TASK), "webhook-signature": "v1,junk"}, "no valid"),
    ],
)
async def test_failed_checks_are_401_before_any_handler(
    body: bytes, headers: Callable[[], dict[str, str]], reason: str
) -> None:
    task = Recorder()
    response = await post(asgi_app(secret=SECRET, on_task=task), body, headers())
    assert response.status_code == 401
    assert reason in response.json()["error"]
    assert SECRET[6:20] not in response.text
    assert task.calls == 0


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"not": "an event"', "not JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"task_id": "t", "status": "completed"}', "kickoff_id"),
        (b'{"kickoff_id": "k", "step": {"type": 5}}', "step.type"),
        (b"\xff\xfe", "not JSON"),
    ],
)
async def test_a_verified_but_invalid_event_is_400_naming_the_problem(body: bytes, reason: str) -> None:
    task, crew = Recorder(), Recorder()
    response = await post(asgi_app(secret=SECRET, on_task=task, on_crew=crew), body, signed(body))
    assert response.status_code == 400
    assert reason in response.json()["error"]
    assert task.calls == crew.calls == 0


async def test_a_400_does_not_mark_the_id() -> None:
    task = Recorder()
    app = asgi_app(secret=SECRET, on_task=task)
    bad = b'{"task_id": "t"}'
    assert (await post(app, bad, signed(bad, msg_id="msg_same"))).status_code == 400
    assert (await post(app, TASK, signed(TASK, msg_id="msg_same"))).status_code == 200
    assert len(task.events) == 1


# --- duplicates and failures -------------------------------------------------------------------------


async def test_duplicate_ids_are_acknowledged_but_handled_once() -> None:
    task = Recorder()
    app = asgi_app(secret=SECRET, on_task=task)
    first = await post(app, TASK, signed(TASK, msg_id="msg_dup"))
    again = await post(app, TASK, signed(TASK, msg_id="msg_dup"))  # AMP's retry: fresh signature
    other = await post(app, TASK, signed(TASK, msg_id="msg_other"))
    assert (first.status_code, again.status_code, other.status_code) == (200, 200, 200)
    assert first.json()["status"] == "ok" and again.json()["status"] == "duplicate"
    assert len(task.events) == 2


async def test_a_cancelled_handler_leaves_the_delivery_to_its_retry() -> None:
    started, calls = asyncio.Event(), []

    async def slow(event: Any) -> None:
        calls.append(event)
        if len(calls) == 1:
            started.set()
            await asyncio.sleep(3600)

    app = asgi_app(secret=SECRET, on_task=slow, dedupe_wait=5.0)
    first = asyncio.create_task(post(app, TASK, signed(TASK, msg_id="msg_cancel")))
    await asyncio.wait_for(started.wait(), 30)
    first.cancel()  # the sender hung up mid-handler, or the server is shutting down
    with pytest.raises(asyncio.CancelledError):
        await first
    retry = await asyncio.wait_for(post(app, TASK, signed(TASK, msg_id="msg_cancel")), 30)
    assert (retry.status_code, retry.json()["status"]) == (200, "ok")
    assert len(calls) == 2


async def test_a_delivery_still_being_handled_is_409_after_dedupe_wait() -> None:
    release, started = asyncio.Event(), asyncio.Event()

    async def held(event: Any) -> None:
        started.set()
        await release.wait()

    app = asgi_app(secret=SECRET, on_task=held, dedupe_wait=0.3)
    first = asyncio.create_task(post(app, TASK, signed(TASK, msg_id="msg_held")))
    await asyncio.wait_for(started.wait(), 30)
    again = await asyncio.wait_for(post(app, TASK, signed(TASK, msg_id="msg_held")), 30)
    assert again.status_code == 409
    release.set()
    assert (await first).status_code == 200


async def test_the_dedupe_window_is_bounded_by_size_and_time_but_never_inside_the_replay_window() -> None:
    task = Recorder()
    now = [1000.0]
    wall = [time.time()]
    # tolerance 10 s: a signed id can be replayed until 10 s after its timestamp.
    store = MemoryDedupe(max_entries=2, ttl=60, tolerance=10, clock=lambda: now[0], wall=lambda: wall[0])
    app = asgi_app(secret=SECRET, on_task=task, tolerance=10, dedupe=store)

    async def deliver(msg_id: str) -> int | str:
        response = await post(app, TASK, signed(TASK, msg_id=msg_id))
        return str(response.json()["status"]) if response.status_code == 200 else response.status_code

    assert [await deliver(i) for i in ("a", "b", "a")] == ["ok", "ok", "duplicate"]
    assert await deliver("c") == 503  # full of ids still inside the replay window: refused, not evicted
    assert await deliver("a") == "duplicate"
    wall[0] += 11
    assert await deliver("c") == "ok"  # a and b can no longer be replayed: dropped to make room
    now[0] += 61
    assert await deliver("c") == "ok"  # expired by time
    assert len(task.events) == 4


async def test_dedupe_can_be_turned_off() -> None:
    task = Recorder()
    app = asgi_app(secret=SECRET, on_task=task, dedupe_size=0)
    for _ in range(2):
        assert (await post(app, TASK, signed(TASK, msg_id="msg_1"))).json()["status"] == "ok"
    assert len(task.events) == 2


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_a_failing_handler_is_500_and_the_retry_is_processed(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = Recorder(fail=1)

    async def async_handler(event: Any) -> None:
        recorder(event)

    handler: Callable[[Any], Any] = recorder if kind == "sync" else async_handler
    app = asgi_app(secret=SECRET, on_task=handler)
    with caplog.at_level(logging.ERROR, logger="crewai_amp.webhooks"):
        failed = await post(app, TASK, signed(TASK, msg_id="msg_retry"))
    assert failed.status_code == 500
    assert failed.json() == {"error": "the task handler failed (RuntimeError)"}  # no internals leak
    assert "msg_retry" in caplog.text and "handler crashed" in caplog.text  # but they are logged
    retry = await post(app, TASK, signed(TASK, msg_id="msg_retry"))
    assert retry.status_code == 200 and retry.json()["status"] == "ok"
    assert (await post(app, TASK, signed(TASK, msg_id="msg_retry"))).json()["status"] == "duplicate"
    assert recorder.calls == 2 and len(recorder.events) == 1


async def test_concurrent_deliveries_of_one_id_run_the_handler_once() -> None:
    gate, started = asyncio.Event(), asyncio.Event()
    calls: list[Any] = []

    async def slow(event: Any) -> None:
        calls.append(event)
        started.set()
        await gate.wait()

    app = asgi_app(secret=SECRET, on_task=slow)
    deliveries = [asyncio.ensure_future(post(app, TASK, signed(TASK, msg_id="msg_race"))) for _ in range(5)]
    await started.wait()
    for _ in range(20):  # let the others arrive and wait on the first
        await asyncio.sleep(0)
    gate.set()
    responses = await asyncio.gather(*deliveries)
    assert sorted(r.json()["status"] for r in responses) == ["duplicate"] * 4 + ["ok"]
    assert len(calls) == 1


async def test_a_concurrent_duplicate_of_a_failed_delivery_is_handled_itself() -> None:
    gate, started = asyncio.Event(), asyncio.Event()
    outcomes = iter([RuntimeError("first fails"), None])
    calls = 0

    async def flaky(event: Any) -> None:
        nonlocal calls
        calls += 1
        started.set()
        outcome = next(outcomes)
        await gate.wait()
        if outcome is not None:
            raise outcome

    app = asgi_app(secret=SECRET, on_task=flaky)
    first = asyncio.ensure_future(post(app, TASK, signed(TASK, msg_id="msg_flaky")))
    await started.wait()
    second = asyncio.ensure_future(post(app, TASK, signed(TASK, msg_id="msg_flaky")))
    for _ in range(20):
        await asyncio.sleep(0)
    assert calls == 1  # the second waits for the first's outcome
    gate.set()
    responses = await asyncio.gather(first, second)
    assert [r.status_code for r in responses] == [500, 200]
    assert responses[1].json()["status"] == "ok" and calls == 2


# --- the bearer strategy -----------------------------------------------------------------------------


async def test_bearer_strategy() -> None:
    crew = Recorder()
    app = asgi_app(bearer_token=TOKEN, on_crew=crew)
    for headers in ({}, {"authorization": "Bearer wrong"}, {"authorization": f"Basic {TOKEN}"}):
        response = await post(app, CREW, headers)
        assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
        assert TOKEN not in response.text
    ok = {"authorization": f"Bearer {TOKEN}"}
    assert (await post(app, CREW, ok)).status_code == 200
    assert len(crew.events) == 1
    # A webhook-id, when the sender gives one, still dedupes.
    for _ in range(2):
        await post(app, CREW, {**ok, "webhook-id": "msg_b"})
    assert len(crew.events) == 2


async def test_secret_and_bearer_together_need_both() -> None:
    task = Recorder()
    app = asgi_app(secret=SECRET, bearer_token=TOKEN, on_task=task)
    assert (await post(app, TASK, signed(TASK))).status_code == 401
    assert (await post(app, TASK, {"authorization": f"Bearer {TOKEN}"})).status_code == 401
    both = {**signed(TASK), "authorization": f"Bearer {TOKEN}"}
    assert (await post(app, TASK, both)).status_code == 200


# --- configuration, repr, ASGI protocol ------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({}, "secret"),
        ({"secret": "whsec_not base64!"}, "base64"),
        ({"secret": []}, "no webhook secret"),
        ({"secret": [SECRET, None]}, "secret"),
        ({"bearer_token": ""}, "bearer_token"),
        ({"bearer_token": 5}, "bearer_token"),
        ({"secret": SECRET, "on_task": "print"}, "callable"),
        ({"secret": SECRET, "channel": "tasks"}, "channel"),
        ({"secret": SECRET, "max_body": 0}, "max_body"),
    ],
)
def test_an_unusable_configuration_is_refused(kwargs: dict[str, Any], reason: str) -> None:
    with pytest.raises(ConfigurationError, match=reason) as raised:
        asgi_app(**kwargs)
    assert isinstance(raised.value, ValueError)
    assert "not base64!" not in str(raised.value)


def test_a_misspelt_handler_is_refused_as_python_refuses_an_unknown_keyword() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'on_taks'"):
        asgi_app(secret=SECRET, on_taks=print)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected keyword argument 'max_bodyy'"):
        WebhookReceiver(secret=SECRET, max_bodyy=5)  # type: ignore[call-arg]


def test_the_repr_shows_no_secret() -> None:
    app = asgi_app(secret=[SECRET, OTHER], bearer_token=TOKEN, on_task=print)
    assert isinstance(app, WebhookReceiver)
    text = repr(app)
    assert "signature + bearer" in text and "task" in text
    for secret in (SECRET, OTHER, TOKEN, SECRET[6:20], OTHER[6:20]):
        assert secret not in text


async def test_lifespan_and_websocket_scopes() -> None:
    app = asgi_app(secret=SECRET)
    inbox = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return inbox.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app({"type": "lifespan"}, receive, send)
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    sent.clear()
    await app({"type": "websocket"}, receive, send)
    assert sent == [{"type": "websocket.close", "code": 1008}]


async def test_mounted_in_starlette() -> None:
    starlette_applications = pytest.importorskip("starlette.applications")
    routing = pytest.importorskip("starlette.routing")
    task = Recorder()
    app = starlette_applications.Starlette(
        routes=[routing.Mount("/amp-webhooks", app=asgi_app(secret=SECRET, on_task=task))]
    )
    response = await post(app, TASK, signed(TASK), path="/amp-webhooks/task")
    assert response.status_code == 200 and len(task.events) == 1
