"""The emulator's webhooks: signed (Standard Webhooks), valid against the AsyncAPI spec, in
order per run, retried with backoff, never blocking a crew."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema
import pytest
from crewai_amp import webhooks
from crewai_amp.testing import AmpEmulator, default_crew
from crewai_amp.testing._server import BackgroundServer
from crewai_amp_events import CrewCompletedPayload, StepEventPayload, TaskCompletedPayload
from standardwebhooks import Webhook
from starlette.applications import Starlette
from support.emulator import (
    INPUTS,
    SCALE,
    Delivery,
    Receiver,
    client_for,
    recording_receiver,
    wait_for,
    with_options,
)
from support.paths import EVENTS_SPEC, load_yaml

META = {"requestId": "7a2c-9f1b", "nested": {"n": 1, "none": None}}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with recording_receiver() as started:
        yield started


@pytest.fixture
def emulator(request: pytest.FixtureRequest) -> Iterator[AmpEmulator]:
    options = {"scale": SCALE, "webhook_hosts": {"127.0.0.1"}, **getattr(request, "param", {})}
    with AmpEmulator(**options) as started:
        yield started


@pytest.fixture
def http(emulator: AmpEmulator) -> Iterator[httpx.Client]:
    with client_for(emulator) as client:
        yield client


def kickoff(http: httpx.Client, receiver: Receiver, **extra: Any) -> str:
    body = {
        "inputs": INPUTS,
        "meta": META,
        "taskWebhookUrl": receiver.url("/task"),
        "stepWebhookUrl": receiver.url("/step"),
        "crewWebhookUrl": receiver.url("/crew"),
        **extra,
    }
    response = http.post("/kickoff", json=body)
    assert response.status_code == 200, response.text
    kickoff_id: str = response.json()["kickoff_id"]
    return kickoff_id


_EVENTS = load_yaml(EVENTS_SPEC)


def assert_valid_event(payload: dict[str, Any], schema_name: str) -> None:
    """Validate against the AsyncAPI spec as written (formats checked)."""
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": _EVENTS["components"]}
    jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(payload)


def assert_signed(delivery: Delivery, secret: str) -> None:
    assert delivery.headers["content-type"] == "application/json"
    assert delivery.headers["webhook-id"].startswith("msg_")
    assert delivery.headers["webhook-signature"].startswith("v1,")
    webhooks.verify(delivery.body, delivery.headers, secret=secret)  # the SDK's verifier
    Webhook(secret).verify(delivery.body, delivery.headers)  # the reference implementation


# --- a full run ------------------------------------------------------------------------------------


def test_a_run_sends_signed_valid_events_in_order(
    emulator: AmpEmulator, http: httpx.Client, receiver: Receiver
) -> None:
    kickoff_id = kickoff(http, receiver)
    wait_for(lambda: receiver.accepted("/crew"), what="the crew event")
    deliveries = receiver.all()
    crew = default_crew()

    assert all(d.status == 200 for d in deliveries)
    for delivery in deliveries:
        assert_signed(delivery, emulator.webhook_secret)
    assert len({d.headers["webhook-id"] for d in deliveries}) == len(deliveries)

    # One queue per run: steps of a task, then the task event; the crew event last.
    expected: list[tuple[str, str | None]] = []
    for task in crew.tasks:
        expected += [("/step", task.id)] * len(task.steps) + [("/task", task.id)]
    expected.append(("/crew", None))
    assert [(d.path, d.payload.get("task_id")) for d in deliveries] == expected

    steps = [d.payload for d in receiver.accepted("/step")]
    for payload in steps:
        assert_valid_event(payload, "StepEventPayload")
        event = StepEventPayload.model_validate(payload)
        assert event.kickoff_id == kickoff_id
        assert event.timestamp is not None
    assert [p["step"]["type"] for p in steps[:4]] == ["thought", "tool_call", "tool_result", "thought"]
    assert steps[1]["step"] == {
        "type": "tool_call",
        "tool": "search_web",
        "input": {"query": "AI latest developments"},
    }
    assert steps[0]["agent"] == "Senior Research Analyst"

    tasks = [d.payload for d in receiver.accepted("/task")]
    for payload, task in zip(tasks, crew.tasks, strict=True):
        assert_valid_event(payload, "TaskCompletedPayload")
        event = TaskCompletedPayload.model_validate(payload)
        assert (event.kickoff_id, event.task_id, event.agent) == (kickoff_id, task.id, task.agent)
        assert event.status == "completed"
        assert event.output and "AI" in event.output
        assert isinstance(event.execution_time, float)
        assert event.meta == META  # echoed as given, nulls included

    (crew_payload,) = [d.payload for d in receiver.accepted("/crew")]
    assert_valid_event(crew_payload, "CrewCompletedPayload")
    event = CrewCompletedPayload.model_validate(crew_payload)
    assert event.status == "completed"
    assert event.meta == META
    assert event.result is not None and event.result.tasks is not None
    assert [t.task_id for t in event.result.tasks] == [t.id for t in crew.tasks]
    status = http.get(f"/status/{kickoff_id}").json()
    assert event.result.output == status["result"]["output"]
    assert event.execution_time == status["execution_time"]
    assert emulator.stats.webhooks_delivered == len(deliveries)


def test_only_the_urls_given_get_events(
    emulator: AmpEmulator, http: httpx.Client, receiver: Receiver
) -> None:
    response = http.post("/kickoff", json={"inputs": INPUTS, "crewWebhookUrl": receiver.url("/crew")})
    kickoff_id = response.json()["kickoff_id"]
    wait_for(lambda: receiver.accepted("/crew"), what="the crew event")
    assert [d.path for d in receiver.all()] == ["/crew"]
    payload = receiver.all()[0].payload
    assert payload["kickoff_id"] == kickoff_id
    assert "meta" not in payload  # none given, none sent (not null)


@with_options(crew=default_crew(fail_at="write"))
def test_a_failed_run_sends_error_events(
    emulator: AmpEmulator, http: httpx.Client, receiver: Receiver
) -> None:
    kickoff(http, receiver)
    wait_for(lambda: receiver.accepted("/crew"), what="the crew event")
    tasks = [d.payload for d in receiver.accepted("/task")]
    assert [(t["task_id"], t["status"]) for t in tasks] == [
        ("research", "completed"),
        ("outline", "completed"),
        ("write", "error"),
    ]
    assert_valid_event(tasks[-1], "TaskCompletedPayload")
    (crew_payload,) = [d.payload for d in receiver.accepted("/crew")]
    assert_valid_event(crew_payload, "CrewCompletedPayload")
    assert crew_payload["status"] == "error"
    assert crew_payload["error"] == "Tool timeout in step 4"
    assert crew_payload["meta"] == META
    for delivery in receiver.all():
        assert_signed(delivery, emulator.webhook_secret)


# --- human review ----------------------------------------------------------------------------------


@with_options(crew=default_crew(review=["write"]))
def test_review_events_and_webhooks_given_on_resume(
    emulator: AmpEmulator, http: httpx.Client, receiver: Receiver
) -> None:
    kickoff_id = kickoff(http, receiver)

    def awaiting() -> list[dict[str, Any]]:
        return [
            d.payload for d in receiver.accepted("/task") if d.payload["status"] == "awaiting_human_feedback"
        ]

    (first,) = wait_for(awaiting, what="the review event")
    assert_valid_event(first, "TaskCompletedPayload")
    assert first["task_id"] == "write"
    assert first["output"] == "Draft report on AI for devs (short)."
    assert first["meta"] == META

    # Retry; the URLs given on resume replace those given at kickoff.
    response = http.post(
        "/resume",
        json={
            "execution_id": kickoff_id,
            "task_id": "write",
            "human_feedback": "More formal.",
            "is_approve": False,
            "taskWebhookUrl": receiver.url("/task2"),
            "crewWebhookUrl": receiver.url("/crew2"),
        },
    )
    assert response.json()["status"] == "retrying"
    second = wait_for(
        lambda: [d.payload for d in receiver.accepted("/task2")], what="the second review event"
    )[0]
    assert second["status"] == "awaiting_human_feedback"
    assert second["output"].endswith("Revised after human feedback: More formal.")

    http.post(
        "/resume",
        json={"execution_id": kickoff_id, "task_id": "write", "human_feedback": "ok", "is_approve": True},
    )
    wait_for(lambda: receiver.accepted("/crew2"), what="the crew event at the new URL")
    assert receiver.accepted("/crew") == []
    statuses = [(d.payload["task_id"], d.payload["status"]) for d in receiver.accepted("/task2")]
    assert statuses == [
        ("write", "awaiting_human_feedback"),
        ("write", "completed"),
        ("review", "completed"),
    ]
    assert receiver.accepted("/step")  # the step URL from kickoff still applies


# --- delivery: retries, never blocking ---------------------------------------------------------------


def test_retried_after_a_receiver_failure(
    emulator: AmpEmulator, http: httpx.Client, receiver: Receiver
) -> None:
    receiver.failures["/crew"] = 2
    kickoff(http, receiver)
    wait_for(lambda: receiver.accepted("/crew"), what="the crew event, delivered on the third attempt")
    attempts = [d for d in receiver.all() if d.path == "/crew"]
    assert [d.status for d in attempts] == [500, 500, 200]
    # One event: one webhook-id on every attempt (receivers deduplicate on it), each signed.
    assert len({d.headers["webhook-id"] for d in attempts}) == 1
    for delivery in attempts:
        assert_signed(delivery, emulator.webhook_secret)
    assert emulator.stats.webhooks_failed == 0


@with_options(webhook_attempts=3)
def test_gives_up_after_the_last_attempt_and_never_blocks_the_crew(
    emulator: AmpEmulator, http: httpx.Client, receiver: Receiver
) -> None:
    receiver.failures["/task"] = 10**6  # the task receiver is down for good
    kickoff_id = kickoff(http, receiver)
    wait_for(lambda: receiver.accepted("/crew"), what="the crew event")
    assert emulator.status_of(kickoff_id) == "completed"
    stats = emulator.stats
    assert stats.webhooks_failed == 4  # four task events, each given up on
    assert len([d for d in receiver.all() if d.path == "/task"]) == 4 * 3


def test_an_unreachable_receiver_never_blocks_the_crew(emulator: AmpEmulator, http: httpx.Client) -> None:
    closed = BackgroundServer(Starlette())
    port = closed.start()
    closed.stop()  # nothing listens there any more
    response = http.post(
        "/kickoff", json={"inputs": INPUTS, "taskWebhookUrl": f"http://127.0.0.1:{port}/task"}
    )
    kickoff_id = response.json()["kickoff_id"]
    wait_for(lambda: emulator.status_of(kickoff_id) != "running", what="the crew to finish")
    assert emulator.status_of(kickoff_id) == "completed"
    wait_for(lambda: emulator.stats.webhooks_failed == 4, what="the deliveries to be given up")


@with_options(webhook_hosts={"localhost"})
def test_webhook_hosts_allow_list(emulator: AmpEmulator, http: httpx.Client, receiver: Receiver) -> None:
    kickoff_id = kickoff(http, receiver)  # receiver is on 127.0.0.1, not "localhost"
    wait_for(lambda: emulator.status_of(kickoff_id) != "running", what="the crew to finish")
    events = sum(len(task.steps) + 1 for task in emulator.crew.tasks) + 1  # steps, tasks, crew
    wait_for(lambda: emulator.stats.webhooks_skipped == events, what="every event to be skipped")
    assert receiver.all() == []
