"""What deployed AMP sends: the legacy task/step/crew payloads and streamed event batches, parsed
into the models generated from the observed-shapes AsyncAPI overlay; the registry built from
the generated code; the payload-derived dedupe keys; junk of every kind as EventParseError."""

from __future__ import annotations

import contextlib
import datetime
import json
from importlib import resources
from typing import Any

import pytest
from crewai_amp import EventParseError
from crewai_amp.webhooks import (
    channel_of,
    delivery_key,
    parse_event,
    parse_message,
    parse_stream,
    sorted_by_time,
)
from crewai_amp_events import (
    CrewCompletedPayload,
    LegacyCrewCompletedPayload,
    LegacyStepEventPayload,
    LegacyTaskCompletedPayload,
    StepEventPayload,
    StreamedEventBatch,
    TaskCompletedPayload,
)
from crewai_amp_events.registry import CHANNELS, MESSAGES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import instances

META = {"requestId": "r-1"}
LEGACY_TASK = {
    "description": "Research AI",
    "name": "research",
    "expected_output": "A summary",
    "summary": "AI is...",
    "agent": "Researcher",
    "output": "AI is moving fast.",
    "output_json": None,
    "kickoff_id": "abcd1234-5678-90ef-ghij-klmnopqrstuv",
    "meta": META,
}
LEGACY_STEP = {
    "prompt": "Research AI",
    "thought": "I should search",
    "tool": "search",
    "tool_input": '{"q": "AI"}',
    "result": "3 results",
    "kickoff_id": "abcd1234-5678-90ef-ghij-klmnopqrstuv",
    "meta": META,
}
LEGACY_CREW = {
    "kickoff_id": "abcd1234-5678-90ef-ghij-klmnopqrstuv",
    "result": "Final report",
    "result_json": {"score": 1},
    "token_usage": {"total_tokens": 30, "prompt_tokens": 20, "completion_tokens": 10},
    "meta": META,
}
LEGACY = [
    (LEGACY_TASK, "task", LegacyTaskCompletedPayload),
    (LEGACY_STEP, "step", LegacyStepEventPayload),
    (LEGACY_CREW, "crew", LegacyCrewCompletedPayload),
]


def event(index: int, kind: str, stamp: str) -> dict[str, Any]:
    return {
        "id": f"ev-{index}",
        "execution_id": "exec-1",
        "timestamp": stamp,
        "type": kind,
        "data": {"n": index},
    }


BATCH = {
    "events": [
        event(1, "task_completed", "2026-01-01T10:00:02Z"),
        event(2, "crew_kickoff_started", "2026-01-01T10:00:00Z"),
        event(3, "a_type_amp_adds_next_year", "2026-01-01T10:00:01+00:00"),
    ]
}


@pytest.mark.parametrize(("payload", "channel", "model"), LEGACY, ids=["task", "step", "crew"])
def test_legacy_payloads_parse_inferred_or_by_channel_in_every_form(
    payload: dict[str, Any], channel: Any, model: type
) -> None:
    body = json.dumps(payload)
    for form in (body, body.encode(), bytearray(body.encode()), payload):
        assert type(parse_event(form)) is model
        assert type(parse_event(form, channel=channel)) is model
    parsed = parse_event(body)
    assert parsed.kickoff_id == payload["kickoff_id"] and parsed.meta == META  # type: ignore[union-attr]
    assert parsed.model_dump(by_alias=True) == payload and channel_of(payload) == channel


def test_legacy_fields_may_be_null_and_unknown_fields_are_kept() -> None:
    nulls = {key: None for key in LEGACY_TASK} | {"kickoff_id": "k", "added_later": [1]}
    parsed = parse_event(nulls)
    assert isinstance(parsed, LegacyTaskCompletedPayload) and parsed.model_extra == {"added_later": [1]}
    crew = parse_event({**LEGACY_CREW, "token_usage": {"total_tokens": 1, "cached_tokens": 4}})
    assert isinstance(crew, LegacyCrewCompletedPayload) and crew.token_usage is not None
    assert crew.token_usage.model_extra == {"cached_tokens": 4}


def test_spec_shapes_still_win_over_legacy_ones() -> None:
    assert (
        type(parse_event({"kickoff_id": "k", "task_id": "t", "status": "completed"})) is TaskCompletedPayload
    )
    assert type(parse_event({"kickoff_id": "k", "step": {"type": "thought"}})) is StepEventPayload
    assert type(parse_event({"kickoff_id": "k", "status": "completed", "result": {}})) is CrewCompletedPayload
    # A channel whose spec message lacks its required fields reports them, not the legacy shape's.
    with pytest.raises(EventParseError, match="TaskCompletedPayload: task_id: Field required"):
        parse_event({"kickoff_id": "k", "status": "completed"}, channel="task")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**LEGACY_TASK, "output": 5}, "output"),
        ({**LEGACY_STEP, "tool_input": {"not": "a string"}}, "tool_input"),
        ({**LEGACY_CREW, "token_usage": {"total_tokens": "many"}}, "token_usage.total_tokens"),
        ({**LEGACY_CREW, "kickoff_id": None}, "kickoff_id"),
    ],
)
def test_invalid_legacy_fields_are_named(payload: dict[str, Any], field: str) -> None:
    with pytest.raises(EventParseError, match=rf"Legacy\w+: {field}: ") as raised:
        parse_event(json.dumps(payload))
    assert field in [error["field"] for error in raised.value.errors]


def test_every_error_is_kept_never_summarised() -> None:
    bad = {**LEGACY_STEP, **{key: 1 for key in ("prompt", "thought", "tool", "tool_input", "result")}}
    with pytest.raises(EventParseError) as raised:
        parse_event(bad)
    assert sorted(e["field"] for e in raised.value.errors) == sorted(
        ["prompt", "thought", "tool", "tool_input", "result"]
    )
    assert "more" not in str(raised.value) and all(f in str(raised.value) for f in ("prompt", "result"))
    many = {"events": [{"id": i} for i in range(50)]}
    with pytest.raises(EventParseError, match="in all") as raised:
        parse_stream(many)
    assert len({e["field"] for e in raised.value.errors}) == 50 * 4  # id type + 3 missing, each event


# --- streamed batches ------------------------------------------------------------------------------


def test_a_streamed_batch_keeps_the_received_order_and_unknown_types() -> None:
    events = parse_stream(json.dumps(BATCH).encode())
    assert [e.id for e in events] == ["ev-1", "ev-2", "ev-3"]
    assert [e.type for e in events] == ["task_completed", "crew_kickoff_started", "a_type_amp_adds_next_year"]
    assert events[0].execution_id == "exec-1" and events[0].data == {"n": 1}
    assert isinstance(events[0].timestamp, datetime.datetime)
    assert isinstance(parse_event(BATCH), StreamedEventBatch) and channel_of(BATCH) == "stream"


def test_sorted_by_time_orders_by_timestamp_stably_and_mixes_naive_and_aware() -> None:
    events = parse_stream(BATCH)
    assert [e.id for e in sorted_by_time(events)] == ["ev-2", "ev-3", "ev-1"]
    tied = parse_stream(
        {
            "events": [
                event(1, "x", "2026-01-01T10:00:00"),  # no zone: UTC
                event(2, "x", "2026-01-01T09:00:00-01:00"),  # the same instant
                event(3, "x", "2026-01-01T09:59:59Z"),
            ]
        }
    )
    assert [e.id for e in sorted_by_time(tied)] == ["ev-3", "ev-1", "ev-2"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"events": "nope"}, "events"),
        ({"events": [{"id": "1"}]}, "events.0.execution_id"),
        ({"events": [{**event(1, "x", "not a time")}]}, "events.0.timestamp"),
        ({"events": [{**event(1, "x", "2026-01-01T00:00:00Z"), "type": 7}]}, "events.0.type"),
        ({"not_events": []}, "events: Field required"),
        (b"[]", "JSON object"),
    ],
)
def test_bad_batches_are_event_parse_errors(body: Any, reason: str) -> None:
    with pytest.raises(EventParseError, match=reason):
        parse_stream(body)


# --- the registry comes from the generated code ----------------------------------------------------


def test_every_generated_message_parses_by_name() -> None:
    assert {"TaskCompleted", "StepEvent", "CrewCompleted", "LegacyTaskCompleted", "StreamedEvents"} <= set(
        MESSAGES
    )
    assert type(parse_message(json.dumps(LEGACY_STEP), "LegacyStepEvent")) is LegacyStepEventPayload
    assert type(parse_message(BATCH, "StreamedEvents")) is StreamedEventBatch
    # Each message refuses a payload one of its fields makes invalid, naming its model: the
    # payload and the wrong value are drawn from the schema the models were generated from.
    schemas = json.loads(
        resources.files("crewai_amp_events").joinpath("events.schema.json").read_text("utf-8")
    )
    for name, model in MESSAGES.items():
        with pytest.raises(EventParseError, match=model.__name__):
            parse_message(refused_payload(schemas, model), name)
    with pytest.raises(EventParseError, match="unknown message 'Nope'"):
        parse_message(b"{}", "Nope")


def test_every_channel_of_the_spec_is_a_parse_channel() -> None:
    schemas = json.loads(
        resources.files("crewai_amp_events").joinpath("events.schema.json").read_text("utf-8")
    )
    for key, names in CHANNELS.items():
        channel = key.removesuffix("Events")
        assert all(name in MESSAGES for name in names)
        model = MESSAGES[names[0]]
        payload = refused_payload(schemas, model)
        body = payload if isinstance(payload, str) else json.dumps(payload)
        with pytest.raises(EventParseError, match=model.__name__):
            parse_event(body.encode(), channel=channel)  # type: ignore[arg-type]


def refused_payload(schemas: dict[str, Any], model: Any) -> Any:
    """A payload ``model`` refuses, drawn from the schema it was generated from: a valid one with
    its first field made wrong, or (a payload that is one of several schemas) a JSON text none
    of them takes."""
    ref = {"$ref": f"#/$defs/{model.__name__}"}
    properties = instances.resolve(schemas, ref).get("properties")
    if properties:
        field, sub = next(iter(properties.items()))
        return {**instances.instance(schemas, ref, full=True), field: instances.wrong_value(schemas, sub)}
    return json.dumps(instances.wrong_value(schemas, ref))


# --- dedupe keys without a webhook-id -------------------------------------------------------------


def test_delivery_keys_follow_the_documented_rule() -> None:
    task = parse_event(LEGACY_TASK)
    assert json.loads(delivery_key(task))[:4] == ["task", LEGACY_TASK["kickoff_id"], "research", None]
    assert delivery_key(parse_event({**LEGACY_TASK, "summary": "a retry may differ here"})) == delivery_key(
        task
    )
    assert delivery_key(parse_event({**LEGACY_TASK, "name": "write"})) != delivery_key(task)
    # The same task redone after a human review (a new output) is a new delivery.
    assert delivery_key(parse_event({**LEGACY_TASK, "output": "revised"})) != delivery_key(task)
    step = parse_event(LEGACY_STEP)
    assert json.loads(delivery_key(step))[:2] == ["step", LEGACY_STEP["kickoff_id"]]
    assert delivery_key(parse_event(dict(LEGACY_STEP))) == delivery_key(step)
    assert delivery_key(parse_event({**LEGACY_STEP, "thought": "next"})) != delivery_key(step)
    crew = parse_event(LEGACY_CREW)
    assert json.loads(delivery_key(crew)) == ["crew", LEGACY_CREW["kickoff_id"]]
    spec_task = parse_event({"kickoff_id": "k", "task_id": "t", "status": "completed"})
    assert json.loads(delivery_key(spec_task))[:4] == ["task", "k", "t", "completed"]
    streamed = parse_stream(BATCH)
    assert json.loads(delivery_key(streamed[0])) == ["stream", "exec-1", "ev-1"]
    assert len({delivery_key(e) for e in streamed}) == 3


# --- junk -----------------------------------------------------------------------------------------


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth):
        value = {"meta": value}
    return value


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe\x00",
        b"\xed\xa0\x80",  # an encoded lone surrogate
        '{"kickoff_id": "\udc80"}'.encode("utf-8", "surrogatepass"),
        "{}\udc80",
        b'{"events": [' * 5000,
        json.dumps({**LEGACY_CREW, "token_usage": {"total_tokens": 10**400}}).encode(),
        b'{"kickoff_id": "k", "result": 1e999999, "token_usage": null}',
        b'{"kickoff_id": "k", "description": "'
        + b"9" * 100
        + b'", "expected_output": 1'
        + b"0" * 5000
        + b"}",
        {**LEGACY_CREW, "meta": nested(100_000)},
        {"events": [{"id": object()}]},
    ],
)
def test_junk_is_always_an_event_parse_error(body: Any) -> None:
    for call in (parse_event, parse_stream, lambda b: parse_event(b, channel="crew")):
        with contextlib.suppress(EventParseError):
            call(body)


@settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.binary(max_size=300)
    | st.text(max_size=100)
    | st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
        max_leaves=12,
    ).map(lambda v: {"events": v} if not isinstance(v, dict) else v)
)
def test_fuzz_parse_stream_and_parse_event_raise_only_event_parse_error(body: Any) -> None:
    for call in (parse_event, parse_stream):
        try:
            call(body)
        except EventParseError as exc:
            assert exc.raw is body


def test_every_public_name_resolves() -> None:
    import crewai_amp.webhooks as webhooks

    namespace: dict[str, Any] = {}
    exec("from crewai_amp.webhooks import *", namespace)  # noqa: S102 - a fixed import statement
    assert set(webhooks.__all__) <= set(namespace)
    assert namespace["StreamedEvent"] is type(parse_stream(BATCH)[0])
    assert LegacyStepEventPayload in namespace["Event"].__args__


@pytest.mark.parametrize("channel", [[], {}, 3, b"task"])
def test_a_channel_that_is_not_a_name_is_an_event_parse_error(channel: Any) -> None:
    with pytest.raises(EventParseError, match="unknown channel"):
        parse_event(b'{"kickoff_id": "k", "task_id": "t", "status": "completed"}', channel=channel)
