"""parse_event: payloads built from the AsyncAPI spec's schemas (its `required`, `properties`,
types, formats and enums), channel inference, invalid payloads naming the field, and forward
compatibility (unknown fields and enum values are kept)."""

from __future__ import annotations

import copy
import json
import types
from collections import OrderedDict
from importlib import resources
from typing import Any

import pytest
from crewai_amp import AmpError, EventParseError
from crewai_amp.webhooks import parse_event
from crewai_amp_events import (
    CrewCompletedPayload,
    CrewCompletedPayloadStatus,
    StepEventPayload,
    StepEventPayloadStepType,
    TaskCompletedPayload,
    TaskCompletedPayloadStatus,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import instances

CHANNELS = {
    "task": ("TaskCompletedPayload", TaskCompletedPayload),
    "step": ("StepEventPayload", StepEventPayload),
    "crew": ("CrewCompletedPayload", CrewCompletedPayload),
}
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
json_scalars = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20)
json_values = st.recursive(
    json_scalars | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def schema_of(spec: dict[str, Any], channel: str) -> dict[str, Any]:
    """The channel's payload schema as the models were generated from it (the spec's, overlaid)."""
    assert CHANNELS[channel][0] in spec["components"]["schemas"]  # the spec still defines it
    schema: dict[str, Any] = DOCUMENT["$defs"][CHANNELS[channel][0]]
    return schema


# The JSON Schema the event models were generated from (the spec's payloads with the spec
# overlays applied); instances are drawn from it by hypothesis-jsonschema (support.instances).
DOCUMENT = json.loads(resources.files("crewai_amp_events").joinpath("events.schema.json").read_text("utf-8"))


def example(schema: dict[str, Any]) -> Any:
    """The simplest valid value of a schema: required properties only."""
    return instances.instance(DOCUMENT, schema)


def full_example(schema: dict[str, Any]) -> Any:
    """A valid value with every property filled in (arrays non-empty)."""
    return instances.instance(DOCUMENT, schema, full=True)


def strategy(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Valid values of a schema with only the properties it declares, as hypothesis draws them."""
    return instances.strategy(DOCUMENT, schema, closed=True)


def wrong_value(schema: dict[str, Any]) -> Any:
    """A value the schema refuses (of the wrong JSON type)."""
    return instances.wrong_value(DOCUMENT, schema)


def forms(payload: dict[str, Any]) -> list[Any]:
    text = json.dumps(payload)
    return [
        payload,
        text,
        text.encode(),
        bytearray(text.encode()),
        memoryview(text.encode()),
        types.MappingProxyType(payload),
        OrderedDict(payload),
    ]


# --- valid payloads from the spec --------------------------------------------------------------


@pytest.mark.parametrize("channel", list(CHANNELS))
def test_minimal_and_full_examples_parse_in_every_form(events_spec: dict[str, Any], channel: Any) -> None:
    schema, model = schema_of(events_spec, channel), CHANNELS[channel][1]
    for payload in (example(schema), full_example(schema)):
        for form in forms(payload):
            assert type(parse_event(form)) is model, (payload, type(form))
            assert type(parse_event(form, channel=channel)) is model


@pytest.mark.parametrize("channel", list(CHANNELS))
@settings(FUZZ, max_examples=100)
@given(data=st.data())
def test_generated_payloads_are_inferred_and_nothing_is_lost(
    events_spec: dict[str, Any], channel: Any, data: st.DataObject
) -> None:
    payload = data.draw(strategy(schema_of(events_spec, channel)), label="payload")
    body = json.dumps(payload).encode()
    event = parse_event(body)
    assert type(event) is CHANNELS[channel][1]
    assert parse_event(body, channel=channel) == event == parse_event(payload)
    dumped = json.loads(event.model_dump_json(by_alias=True, exclude_unset=True))
    # Nothing is lost: every field comes back, valid, and parses to the same event (a date-time
    # may be re-spelt, "+00:00" as "Z").
    assert set(dumped) == set(payload)
    instances.validator(DOCUMENT, schema_of(events_spec, channel)).validate(dumped)
    assert type(event).model_validate(dumped) == event


# --- inference ------------------------------------------------------------------------------------

K = {"kickoff_id": "0b5f0f9e-0000-4000-8000-000000000001"}


@pytest.mark.parametrize(
    ("payload", "model"),
    [
        ({**K, "step": {"type": "thought"}}, StepEventPayload),
        ({**K, "step": {}}, StepEventPayload),
        ({**K, "task_id": "t", "status": "completed", "step": {"type": "action"}}, StepEventPayload),
        ({**K, "task_id": "t", "status": "completed", "step": "not an object"}, TaskCompletedPayload),
        ({**K, "task_id": "t", "status": "completed"}, TaskCompletedPayload),
        ({**K, "status": "completed", "result": {"tasks": [{"task_id": "t"}]}}, CrewCompletedPayload),
        ({**K, "status": "completed", "step": None}, CrewCompletedPayload),
        ({**K, "status": "error", "error": "boom"}, CrewCompletedPayload),
    ],
)
def test_inference_rules(payload: dict[str, Any], model: type) -> None:
    for form in forms(payload):
        assert type(parse_event(form)) is model


def test_a_null_task_id_still_means_a_task_event_and_is_named() -> None:
    with pytest.raises(EventParseError, match=r"TaskCompletedPayload: task_id"):
        parse_event({**K, "task_id": None, "status": "completed"})


@pytest.mark.parametrize(
    ("payload", "channel", "field"),
    [
        ({**K, "step": {"type": "thought"}}, "crew", "status"),
        ({**K, "step": {"type": "thought"}}, "task", "task_id"),
        ({**K, "task_id": "t", "status": "completed"}, "step", "step"),
    ],
)
def test_a_given_channel_is_obeyed(payload: dict[str, Any], channel: Any, field: str) -> None:
    with pytest.raises(EventParseError, match=field):
        parse_event(json.dumps(payload), channel=channel)


def test_a_crew_event_parsed_as_a_task_keeps_its_fields_when_valid() -> None:
    payload = {**K, "task_id": "t", "status": "completed", "result": {"output": "x"}}
    event = parse_event(payload, channel="crew")
    assert isinstance(event, CrewCompletedPayload) and event.model_extra == {"task_id": "t"}


# --- invalid payloads name the field ---------------------------------------------------------------


@pytest.mark.parametrize("channel", list(CHANNELS))
def test_each_missing_required_field_is_named(events_spec: dict[str, Any], channel: Any) -> None:
    schema = schema_of(events_spec, channel)
    name = CHANNELS[channel][0]
    for field in schema["required"]:
        payload = full_example(schema)
        del payload[field]
        with pytest.raises(EventParseError, match=rf"{name}: {field}: Field required") as raised:
            parse_event(json.dumps(payload).encode(), channel=channel)
        assert isinstance(raised.value, ValueError) and isinstance(raised.value, AmpError)


@pytest.mark.parametrize("channel", list(CHANNELS))
def test_each_wrongly_typed_field_is_named(events_spec: dict[str, Any], channel: Any) -> None:
    schema = schema_of(events_spec, channel)
    for field, sub in schema["properties"].items():
        payload = full_example(schema)
        payload[field] = wrong_value(sub)
        body = json.dumps(payload).encode()
        with pytest.raises(EventParseError, match=rf": {field}(\.\w+)*: ") as raised:
            parse_event(body, channel=channel)
        assert raised.value.raw is body
        # inferred: the same, unless the change moved the payload to another channel
        if not (field == "step" or (channel == "step" and field == "task_id")):
            with pytest.raises(EventParseError, match=rf": {field}"):
                parse_event(body)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**K, "step": {"type": 5}}, "step.type"),
        ({**K, "step": {"input": "not an object"}}, "step.input"),
        ({**K, "status": "completed", "result": {"tasks": 5}}, "result.tasks"),
        (
            {**K, "status": "completed", "result": {"tasks": [{"execution_time": "x"}]}},
            "result.tasks.0.execution_time",
        ),
        ({**K, "status": "completed", "result": {"tasks": [{}, {"agent": 3}]}}, "result.tasks.1.agent"),
        ({**K, "task_id": "t", "status": 7}, "status"),
    ],
)
def test_nested_invalid_fields_are_named_by_path(payload: dict[str, Any], field: str) -> None:
    with pytest.raises(EventParseError) as raised:
        parse_event(json.dumps(payload))
    message = str(raised.value)
    assert f": {field}: " in message and "[" not in message.split(": ")[1], message


def test_every_error_is_named_and_kept() -> None:
    with pytest.raises(EventParseError) as raised:
        parse_event({"task_id": "t"})  # kickoff_id and status
    assert "kickoff_id: Field required" in str(raised.value) and "status: Field required" in str(raised.value)
    assert [e["field"] for e in raised.value.errors] == ["kickoff_id", "status"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "not JSON"),
        (b"{", "not JSON"),
        (b"not json", "not JSON"),
        (b'{"a": 1} trailing', "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b'{"kickoff_id": "\xff"}', "not JSON"),
        (b"[" * 100_000, "nested too deeply"),  # deep nesting: refused, not a RecursionError
        (b"null", "JSON object"),
        (b"[1, 2]", "JSON object"),
        (b'"str"', "JSON object"),
        (b"12", "JSON object"),
        ("text \udc80", "valid text"),
    ],
)
def test_not_an_event_at_all(body: Any, reason: str) -> None:
    for channel in (None, "task", "step", "crew"):
        with pytest.raises(EventParseError, match=reason) as raised:
            parse_event(body, channel=channel)  # type: ignore[arg-type]
        assert raised.value.raw is body


@pytest.mark.parametrize("body", [None, 12, 1.5, ["a"], object()])
def test_bodies_of_the_wrong_type(body: Any) -> None:
    with pytest.raises(EventParseError, match="bytes, str or a mapping"):
        parse_event(body)


def test_an_unknown_channel_is_refused() -> None:
    with pytest.raises(EventParseError, match="unknown channel"):
        parse_event(b"{}", channel="tasks")  # type: ignore[arg-type]


@settings(FUZZ, max_examples=200)
@given(
    body=st.binary(max_size=200)
    | json_values.map(json.dumps)
    | st.dictionaries(st.text(max_size=10), json_values, max_size=5)
)
def test_fuzz_only_events_or_event_parse_errors(body: Any) -> None:
    for channel in (None, "crew"):
        try:
            event = parse_event(body, channel=channel)  # type: ignore[arg-type]
        except EventParseError as exc:
            assert str(exc) and exc.raw is body
        else:
            assert isinstance(event, (TaskCompletedPayload, StepEventPayload, CrewCompletedPayload))


# --- forward compatibility -------------------------------------------------------------------------


@pytest.mark.parametrize("channel", list(CHANNELS))
def test_unknown_fields_are_kept_at_every_level(events_spec: dict[str, Any], channel: Any) -> None:
    payload = copy.deepcopy(full_example(schema_of(events_spec, channel)))
    payload["cost_usd"] = 0.42
    payload["labels"] = {"team": "research"}
    if channel == "step":
        payload["step"]["tokens"] = 17
    if channel == "crew":
        payload["result"]["summary"] = "short"
        payload["result"]["tasks"][0]["retries"] = 2
    event: Any = parse_event(json.dumps(payload))
    assert event.model_extra == {"cost_usd": 0.42, "labels": {"team": "research"}}
    if channel == "step":
        assert event.step.model_extra == {"tokens": 17}
    if channel == "crew":
        assert event.result.model_extra == {"summary": "short"}
        assert event.result.tasks[0].model_extra == {"retries": 2}
    assert json.loads(event.model_dump_json(by_alias=True, exclude_unset=True))["cost_usd"] == 0.42


def enum_fields(spec: dict[str, Any]) -> list[tuple[str, tuple[str, ...], list[str]]]:
    """(channel, path, values) of every enum in the three payload schemas."""
    found = []

    def walk(channel: str, schema: dict[str, Any], path: tuple[str, ...]) -> None:
        # An enum the generator kept open for new values is `anyOf: [{enum}, {type: string}]`.
        for node in [schema, *schema.get("anyOf", [])]:
            if "enum" in node:
                found.append((channel, path, node["enum"]))
        for name, sub in schema.get("properties", {}).items():
            walk(channel, sub, (*path, name))

    for channel in CHANNELS:
        walk(channel, schema_of(spec, channel), ())
    return found


def test_unknown_enum_values_are_kept_as_plain_strings(events_spec: dict[str, Any]) -> None:
    fields = enum_fields(events_spec)
    assert {channel for channel, _, _ in fields} == set(CHANNELS)  # every channel has one to check
    for channel, path, values in fields:
        for value, known in [(values[0], True), (instances.unknown_enum_value(values), False)]:
            payload = full_example(schema_of(events_spec, channel))
            target = payload
            for name in path[:-1]:
                target = target[name]
            target[path[-1]] = value
            event: Any = parse_event(json.dumps(payload).encode())
            for name in path:
                event = getattr(event, name)
            assert event == value
            assert (type(event) is not str) is known  # known values are enum members, new ones str


def test_known_enum_values_become_the_generated_enums() -> None:
    task: Any = parse_event({**K, "task_id": "t", "status": "awaiting_human_feedback"})
    step: Any = parse_event({**K, "step": {"type": "tool_result"}})
    crew: Any = parse_event({**K, "status": "error"})
    assert task.status is TaskCompletedPayloadStatus.awaiting_human_feedback
    assert step.step.type is StepEventPayloadStepType.tool_result
    assert crew.status is CrewCompletedPayloadStatus.error


def test_kickoff_ids_need_not_be_uuids() -> None:
    event = parse_event({"kickoff_id": "kick-42", "status": "completed"})
    assert event.kickoff_id == "kick-42"
