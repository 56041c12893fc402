"""The webhook payloads a live CrewAI AMP deployment sent on 2026-10-01, as crewAIInc/skills
records them (skills/call-deployed-crew/SKILL.md section 4 and references/api-contract.md
sections 5 and 6): each parses into a typed model and reaches its handler, through the receiver
and through the inbox's channel routing."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from crewai_amp.webhooks import asgi_app, channel_of, delivery_key, parse_event, parse_stream, sorted_by_time
from crewai_amp_events import (
    HumanInputRequestedPayload,
    LegacyCrewCompletedPayload,
    LegacyTaskCompletedPayload,
    StreamedEventBatch,
)

TOKEN = "url-t0ken_A-z"
# taskWebhookUrl: name, description, expected_output, agent, output, output_json, summary, kickoff_id, meta
TASK = {
    "name": "summary_task",
    "description": "Summarize AI agents for engineers.",
    "expected_output": "A summary of AI agents.",
    "agent": "AI agents researcher",
    "output": "Agents plan, act and observe.",
    "output_json": None,
    "summary": "Summarize AI agents...",
    "kickoff_id": "3f1a0c52-6c8e-4a53-9f5e-0b6d2f1c9e77",
    "meta": {"requestId": "r-1"},
}
# crewWebhookUrl: kickoff_id, meta, result, result_json, token_usage
CREW = {
    "kickoff_id": "3f1a0c52-6c8e-4a53-9f5e-0b6d2f1c9e77",
    "meta": {"requestId": "r-1"},
    "result": "Agents plan, act and observe.",
    "result_json": None,
    "token_usage": {"total_tokens": 1520, "prompt_tokens": 1200, "completion_tokens": 320},
}
# humanInputWebhookUrl: kickoff_id, execution_id, task_id (a UUID), task_output, meta
HUMAN = {
    "kickoff_id": "3f1a0c52-6c8e-4a53-9f5e-0b6d2f1c9e77",
    "execution_id": "3f1a0c52-6c8e-4a53-9f5e-0b6d2f1c9e77",
    "task_id": "9b2e4c1d-0a7f-4e3b-8c6d-5f4a3b2c1d0e",
    "task_output": "Draft: agents plan, act and observe.",
    "meta": {"requestId": "r-1"},
}


def streamed(*events: tuple[str, str, str, int]) -> dict[str, Any]:
    return {
        "events": [
            {
                "id": eid,
                "execution_id": "x-1",
                "timestamp": at,
                "type": kind,
                "data": {"emission_sequence": seq},
            }
            for eid, kind, at, seq in events
        ]
    }


STREAM = streamed(
    ("e3", "task_completed", "2026-10-01T10:00:01Z", 3),
    ("e2", "task_started", "2026-10-01T10:00:01Z", 2),
    ("e1", "crew_kickoff_started", "2026-10-01T10:00:00Z", 1),
)


@pytest.mark.parametrize(
    ("payload", "model", "channel"),
    [
        (TASK, LegacyTaskCompletedPayload, "task"),
        (CREW, LegacyCrewCompletedPayload, "crew"),
        (HUMAN, HumanInputRequestedPayload, "humanInput"),
        (STREAM, StreamedEventBatch, "stream"),
    ],
    ids=["task", "crew", "human-input", "stream"],
)
def test_each_live_payload_parses_into_its_typed_model(
    payload: dict[str, Any], model: type, channel: str
) -> None:
    event = parse_event(json.dumps(payload).encode())
    assert type(event) is model and channel_of(payload) == channel
    assert event.model_dump(by_alias=True, mode="json", exclude_none=True) == {
        k: v for k, v in payload.items() if v is not None
    }


def test_the_human_input_request_is_typed_and_keyed_by_task_and_output() -> None:
    event = parse_event(HUMAN)
    assert isinstance(event, HumanInputRequestedPayload)
    assert (
        event.task_id == HUMAN["task_id"]
        and event.task_output == HUMAN["task_output"]
        and event.meta == HUMAN["meta"]
    )
    again = parse_event({**HUMAN, "task_output": {"structured": True}})  # any JSON value is kept
    assert again.task_output == {"structured": True}
    assert json.loads(delivery_key(event))[:3] == ["humanInput", HUMAN["kickoff_id"], HUMAN["task_id"]]
    assert delivery_key(event) != delivery_key(again)
    assert isinstance(parse_event(HUMAN, channel="humanInput"), HumanInputRequestedPayload)


def test_streamed_events_order_by_timestamp_then_emission_sequence() -> None:
    events = parse_stream(json.dumps(STREAM).encode())
    assert [e.id for e in sorted_by_time(events)] == ["e1", "e2", "e3"]
    assert events[0].data["emission_sequence"] == 3
    assert len({delivery_key(e) for e in events}) == 3  # execution_id + id


async def test_each_live_payload_reaches_its_handler_through_a_url_token() -> None:
    # Live, these POSTs carried no Authorization header: the secret travels in the URL given
    # to AMP (…?token=…).
    got: dict[str, list[Any]] = {"task": [], "crew": [], "human": [], "event": []}
    app = asgi_app(
        url_token=TOKEN,
        on_task=got["task"].append,
        on_crew=got["crew"].append,
        on_human_input=got["human"].append,
        on_event=got["event"].append,
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://receiver.test") as client:
        for payload in (TASK, CREW, HUMAN, STREAM):
            response = await client.post(f"/hooks?token={TOKEN}", json=payload)
            assert response.status_code == 200, response.text
        for query in ("", "?token=wrong", f"?token={TOKEN}&token={TOKEN}", "?token="):
            refused = await client.post(f"/hooks{query}", json=TASK)
            assert refused.status_code == 401 and TOKEN not in refused.text
    assert [type(e) for e in got["task"]] == [LegacyTaskCompletedPayload]
    assert [type(e) for e in got["crew"]] == [LegacyCrewCompletedPayload]
    assert [type(e) for e in got["human"]] == [HumanInputRequestedPayload]
    assert [e.id for e in got["event"]] == ["e3", "e2", "e1"]  # in the order received
