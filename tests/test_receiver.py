"""The ASGI webhook receiver, driven through httpx.ASGITransport."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from crewai_amp.webhooks import asgi_app, sign
from crewai_amp_events import CrewCompletedPayload, StepEventPayload, TaskCompletedPayload

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
TASK = json.dumps({"kickoff_id": "k", "task_id": "t", "status": "completed"}).encode()
STEP = json.dumps({"kickoff_id": "k", "step": {"type": "tool_call", "tool": "search"}}).encode()
CREW = json.dumps({"kickoff_id": "k", "status": "error", "error": "boom"}).encode()


class Recorder:
    def __init__(self, fail_times: int = 0) -> None:
        self.events: list[Any] = []
        self.fail_times = fail_times

    def __call__(self, event: Any) -> None:
        if self.fail_times:
            self.fail_times -= 1
            raise RuntimeError("handler crashed")
        self.events.append(event)


async def post(
    app: Any, body: bytes, headers: dict[str, str] | None = None, method: str = "POST"
) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://receiver.test") as client:
        return await client.request(method, "/hooks", content=body, headers=headers or {})


async def test_each_channel_reaches_its_handler_sync_and_async() -> None:
    task, crew = Recorder(), Recorder()
    steps: list[Any] = []

    async def on_step(event: StepEventPayload) -> None:
        steps.append(event)

    app = asgi_app(secret=SECRET, on_task=task, on_step=on_step, on_crew=crew)
    for body in (TASK, STEP, CREW):
        response = await post(app, body, sign(body, secret=SECRET))
        assert response.status_code == 200, response.text
    assert isinstance(task.events[0], TaskCompletedPayload)
    assert isinstance(steps[0], StepEventPayload)
    assert isinstance(crew.events[0], CrewCompletedPayload)


async def test_status_codes() -> None:
    handler = Recorder()
    app = asgi_app(secret=SECRET, on_task=handler, max_body=1024)
    assert (await post(app, b"", method="GET")).status_code == 405
    assert (await post(app, TASK, {"webhook-id": "x"})).status_code == 401
    tampered = sign(TASK, secret=SECRET)
    assert (await post(app, TASK + b" ", tampered)).status_code == 401
    junk = b'{"not": "an event"'
    assert (await post(app, junk, sign(junk, secret=SECRET))).status_code == 400
    big = b"x" * 2048
    assert (await post(app, big, sign(big, secret=SECRET))).status_code == 413
    assert handler.events == []


async def test_oversized_streamed_body_without_content_length() -> None:
    app = asgi_app(secret=SECRET, max_body=100)

    async def chunks() -> Any:
        for _ in range(10):
            yield b"x" * 50

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://r.test") as client:
        response = await client.post("/", content=chunks(), headers=sign(b"", secret=SECRET))
    assert response.status_code == 413


async def test_duplicate_ids_are_acknowledged_but_handled_once() -> None:
    handler = Recorder()
    app = asgi_app(secret=SECRET, on_task=handler)
    headers = sign(TASK, secret=SECRET, msg_id="msg_dup")
    first, second = await post(app, TASK, headers), await post(app, TASK, headers)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json()["status"] == "duplicate"
    assert len(handler.events) == 1


async def test_a_failing_handler_is_500_and_the_retry_is_processed() -> None:
    handler = Recorder(fail_times=1)
    app = asgi_app(secret=SECRET, on_task=handler)
    headers = sign(TASK, secret=SECRET, msg_id="msg_retry")
    failed = await post(app, TASK, headers)
    assert failed.status_code == 500
    assert "handler crashed" not in failed.text  # no internals leak
    assert (await post(app, TASK, headers)).status_code == 200
    assert len(handler.events) == 1


async def test_concurrent_deliveries_of_one_id_run_the_handler_once() -> None:
    calls: list[Any] = []

    async def slow(event: Any) -> None:
        calls.append(event)
        await asyncio.sleep(0.01)

    app = asgi_app(secret=SECRET, on_task=slow)
    headers = sign(TASK, secret=SECRET, msg_id="msg_race")
    responses = await asyncio.gather(*(post(app, TASK, headers) for _ in range(5)))
    assert all(r.status_code == 200 for r in responses)
    assert len(calls) == 1


async def test_bearer_strategy() -> None:
    handler = Recorder()
    app = asgi_app(bearer_token="amp-token", on_crew=handler)
    assert (await post(app, CREW, {"authorization": "Bearer wrong"})).status_code == 401
    assert (await post(app, CREW, {"authorization": "Bearer amp-token"})).status_code == 200
    assert len(handler.events) == 1


def test_an_unauthenticated_receiver_is_refused() -> None:
    with pytest.raises(ValueError, match="secret"):
        asgi_app()
