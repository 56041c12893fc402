"""End to end: the SDK client against the emulator: kickoff → wait, reviews, failures, faults
survived with no duplicate kickoff, and signed webhooks received by the SDK's own receiver."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any, TypeVar

import pytest
from crewai_amp import (
    AmpClient,
    APIConnectionError,
    AsyncAmpClient,
    ExecutionError,
    InternalServerError,
    RateLimitError,
    StatusCompleted,
    StatusRunning,
    UnprocessableEntityError,
    webhooks,
)
from crewai_amp.testing import AmpEmulator, Faults, default_crew
from crewai_amp.testing._server import BackgroundServer
from crewai_amp_events import CrewCompletedPayload, StepEventPayload, TaskCompletedPayload
from support.emulator import INPUTS, SCALE, paused_status, wait_for, with_options

T = TypeVar("T")


@pytest.fixture
def emulator(request: pytest.FixtureRequest) -> Iterator[AmpEmulator]:
    options = {"scale": SCALE, "webhook_hosts": {"127.0.0.1"}, **getattr(request, "param", {})}
    with AmpEmulator(**options) as started:
        yield started


@pytest.fixture
def client(emulator: AmpEmulator) -> Iterator[AmpClient]:
    with AmpClient(base_url=emulator.base_url, token=emulator.token, timeout=10) as sdk:
        yield sdk


def test_kickoff_then_wait(emulator: AmpEmulator, client: AmpClient) -> None:
    assert client.inputs() == ["topic", "target_audience", "depth"]
    kicked = client.kickoff(INPUTS, meta={"requestId": "r-1"})
    seen: list[Any] = []
    done = client.wait(kicked.kickoff_id, timeout=30, on_status=seen.append)
    assert isinstance(done, StatusCompleted)
    assert done.status == "completed"
    assert [task.task_id for task in done.result.tasks] == ["research", "outline", "write", "review"]
    assert "AI" in done.result.output
    assert isinstance(seen[-1], StatusCompleted)
    assert all(isinstance(status, StatusRunning) for status in seen[:-1])
    assert emulator.kickoff_count == 1


def test_missing_inputs_surface_as_a_typed_error(client: AmpClient) -> None:
    with pytest.raises(UnprocessableEntityError) as caught:
        client.kickoff({"topic": "AI"})
    assert caught.value.status_code == 422


@with_options(crew=default_crew(fail_at="write"))
def test_a_failed_crew_raises_execution_error(client: AmpClient) -> None:
    with pytest.raises(ExecutionError) as caught:
        client.run(INPUTS, timeout=30)
    assert caught.value.status.error == "Tool timeout in step 4"


@with_options(crew=default_crew(review=["write"]))
def test_review_retried_then_approved(emulator: AmpEmulator, client: AmpClient) -> None:
    kickoff_id = client.kickoff(INPUTS).kickoff_id
    wait_for(lambda: emulator.awaiting_review(kickoff_id), what="the review")
    assert client.status(kickoff_id).status == paused_status()
    assert client.resume(kickoff_id, "write", "More formal.", False).status == "retrying"
    wait_for(lambda: emulator.awaiting_review(kickoff_id), what="the second review")
    assert client.resume(kickoff_id, "write", "Good.", True).status == "resumed"
    done = client.wait(kickoff_id, timeout=30)
    assert done.result.tasks[2].output.endswith("Revised after human feedback: More formal.")


# --- faults survived, kickoffs never duplicated --------------------------------------------------


@with_options(
    seed=3,
    faults=Faults(
        error_rate=0.2, unavailable_rate=0.1, drop_rate=0.1, retry_after=0, routes=frozenset({"status"})
    ),
)
def test_wait_survives_a_flaky_status_route(emulator: AmpEmulator) -> None:
    with AmpClient(base_url=emulator.base_url, token=emulator.token, timeout=10, max_retries=6) as client:
        done = client.run(INPUTS, timeout=60)
    assert done.status == "completed"
    stats = emulator.stats
    assert sum(stats.faults.values()) > 0  # the faults did happen, and were survived
    assert emulator.kickoff_count == 1
    assert stats.kickoffs_started == 1


@pytest.mark.parametrize(
    ("kind", "error"),
    [("error", InternalServerError), ("rate_limit", RateLimitError), ("unavailable", InternalServerError)],
)
def test_a_refused_kickoff_is_not_retried(
    emulator: AmpEmulator, client: AmpClient, kind: Any, error: type[Exception]
) -> None:
    emulator.faults.retry_after = 0
    emulator.faults.inject(kind, route="kickoff")
    with pytest.raises(error):
        client.kickoff(INPUTS)
    assert emulator.kickoff_count == 1  # sent once
    assert emulator.kickoff_ids == []


def test_a_dropped_kickoff_is_not_retried(emulator: AmpEmulator, client: AmpClient) -> None:
    emulator.faults.inject("drop", route="kickoff")
    with pytest.raises(APIConnectionError):
        client.kickoff(INPUTS)
    # The server ran it and the answer was lost: a retry would have started a second crew.
    assert emulator.kickoff_count == 1
    assert len(emulator.kickoff_ids) == 1


async def test_many_concurrent_runs_on_one_async_client(emulator: AmpEmulator) -> None:
    async with AsyncAmpClient(base_url=emulator.base_url, token=emulator.token, timeout=30) as client:
        results = await asyncio.gather(*(client.run(INPUTS, timeout=60) for _ in range(50)))
    assert {result.status for result in results} == {"completed"}
    assert emulator.kickoff_count == 50
    assert len(set(emulator.kickoff_ids)) == 50


# --- webhooks received by the SDK's receiver ---------------------------------------------------


class Inbox:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.events: list[Any] = []

    def add(self, event: Any) -> None:
        with self.lock:
            self.events.append(event)

    def of(self, kind: type[T]) -> list[T]:
        with self.lock:
            return [event for event in self.events if isinstance(event, kind)]


def serve(app: Any) -> tuple[BackgroundServer, str]:
    server = BackgroundServer(app)
    port = server.start()
    return server, f"http://127.0.0.1:{port}"


def test_signed_webhooks_received_and_verified_by_asgi_app(emulator: AmpEmulator, client: AmpClient) -> None:
    inbox = Inbox()
    receiver = webhooks.asgi_app(
        secret=emulator.webhook_secret, on_task=inbox.add, on_step=inbox.add, on_crew=inbox.add
    )
    server, url = serve(receiver)
    try:
        done = client.run(
            INPUTS,
            timeout=30,
            meta={"requestId": "r-7"},
            task_webhook_url=f"{url}/task",
            step_webhook_url=f"{url}/step",
            crew_webhook_url=f"{url}/crew",
        )
        (crew_event,) = wait_for(lambda: inbox.of(CrewCompletedPayload), what="the crew event")
    finally:
        server.stop()
    crew = default_crew()
    assert crew_event.status == "completed"
    assert crew_event.meta is not None
    meta = dict(crew_event.meta)
    assert meta.pop("crewai_amp_correlation_id")  # every kickoff carries one (docs/client.md)
    assert meta == {"requestId": "r-7"}
    assert crew_event.result is not None
    assert crew_event.result.output == done.result.output
    assert [e.task_id for e in inbox.of(TaskCompletedPayload)] == [task.id for task in crew.tasks]
    assert len(inbox.of(StepEventPayload)) == sum(len(task.steps) for task in crew.tasks)
    assert emulator.stats.webhooks_failed == 0


@with_options(webhook_attempts=2)
def test_a_receiver_with_another_secret_rejects_every_event(emulator: AmpEmulator, client: AmpClient) -> None:
    inbox = Inbox()
    receiver = webhooks.asgi_app(secret=webhooks.generate_secret(), on_crew=inbox.add)
    server, url = serve(receiver)
    try:
        client.run(INPUTS, timeout=30, crew_webhook_url=f"{url}/crew")
        wait_for(lambda: emulator.stats.webhooks_failed == 1, what="the delivery to be given up")
    finally:
        server.stop()
    assert inbox.events == []  # 401 before any handler ran
    assert emulator.stats.webhook_attempts == 2
