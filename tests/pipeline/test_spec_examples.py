"""Every example in both specs round-trips through the generated models.

Examples are read from specs/ at test time; none is copied into this file. The AsyncAPI spec
ships no examples today, so its payloads are also exercised with instances hypothesis-jsonschema
draws from the schemas the models were generated from (minimal: required fields only; full:
every property).
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from importlib import resources
from types import ModuleType
from typing import Any

import crewai_amp_api.api
import crewai_amp_api.models
import crewai_amp_events
import httpx
import pytest
from crewai_amp_api.client import Client
from crewai_amp_events.registry import MESSAGES
from support.instances import instance, resolve, schema_ref, unknown_enum_value, validator
from support.paths import EVENTS_SPEC, REST_SPEC, load_yaml

REST = load_yaml(REST_SPEC)
EVENTS = load_yaml(EVENTS_SPEC)
SHIPPED_REST = json.loads(resources.files("crewai_amp_api").joinpath("openapi.json").read_text("utf-8"))
SHIPPED_EVENTS = json.loads(
    resources.files("crewai_amp_events").joinpath("events.schema.json").read_text("utf-8")
)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _operation_modules() -> dict[str, ModuleType]:
    found: dict[str, ModuleType] = {}
    for tag in pkgutil.iter_modules(crewai_amp_api.api.__path__):
        package = importlib.import_module(f"crewai_amp_api.api.{tag.name}")
        for op in pkgutil.iter_modules(package.__path__):
            found[op.name] = importlib.import_module(f"{package.__name__}.{op.name}")
    return found


OPERATIONS = _operation_modules()


def _rest_examples() -> list[tuple[str, str, str, dict[str, Any], Any]]:
    """(id, kind, operationId, spec node, example value) for every request and response example."""
    out = []
    for path, item in REST["paths"].items():
        for method, op in item.items():
            op_id = op["operationId"]
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            for name, example in body.get("examples", {}).items():
                out.append((f"{op_id}-request-{name}", "request", op_id, body, example["value"]))
            for status, response in op.get("responses", {}).items():
                content = response.get("content", {}).get("application/json", {})
                for name, example in content.get("examples", {}).items():
                    out.append((f"{op_id}-{status}-{name}", status, op_id, content, example["value"]))
            del path, method
    return out


REST_EXAMPLES = _rest_examples()


def test_the_rest_spec_has_examples_to_check() -> None:
    # A guard: if the spec lost its examples, the parametrized tests below would silently vanish.
    assert len(REST_EXAMPLES) >= 8


@pytest.mark.parametrize(
    ("kind", "op_id", "node", "value"),
    [pytest.param(*e[1:], id=e[0]) for e in REST_EXAMPLES],
)
def test_rest_example_round_trips(kind: str, op_id: str, node: dict[str, Any], value: Any) -> None:
    if kind == "request":
        if "$ref" in node["schema"]:  # a named model: the generated one takes it
            model = getattr(crewai_amp_api.models, node["schema"]["$ref"].rsplit("/", 1)[-1])
            assert same(model.from_dict(value), value)
        else:  # an inline schema: the spec the client was generated from (overlays applied) takes it
            validator(SHIPPED_REST, node["schema"]).validate(value)
        return
    # A response: parse it exactly as the generated operation does, from an HTTP response.
    module = OPERATIONS[_snake(op_id)]
    response = httpx.Response(int(kind), json=value, request=httpx.Request("GET", "https://crew.test/"))
    parsed = module._parse_response(client=Client(base_url="https://crew.test"), response=response)
    assert parsed is not None
    assert same(parsed, value)


def same(parsed: Any, value: Any) -> bool:
    """``parsed`` keeps everything ``value`` says: its dict is ``value`` itself, or (a date-time
    written with "Z" comes back "+00:00") parses to an equal model. A list answer (a top-level
    array) item by item; a plain value (text, a number) as it is."""
    if isinstance(parsed, list):
        return isinstance(value, list) and len(parsed) == len(value) and all(map(same, parsed, value))
    if not hasattr(parsed, "to_dict"):
        return bool(parsed == value)
    dumped = parsed.to_dict()
    return bool(dumped == value or type(parsed).from_dict(dumped) == type(parsed).from_dict(value))


# --- AsyncAPI payloads --------------------------------------------------------------------


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    return resolve(EVENTS, node)


def _messages() -> dict[str, dict[str, Any]]:
    """Every message of the spec by its name: the components' and those defined inline in a channel."""
    found = {
        message.get("name", key): message
        for key, message in EVENTS.get("components", {}).get("messages", {}).items()
    }
    for channel in EVENTS.get("channels", {}).values():
        for key, message in (channel.get("messages") or {}).items():
            if "$ref" not in message:
                found[message.get("name", key)] = message
    return found


def _event_cases() -> list[Any]:
    # The model of a message's payload is the generated registry's (a payload may be a $ref, an
    # inline schema or a oneOf of components).
    cases = []
    for name, message in _messages().items():
        model_name = MESSAGES[name].__name__
        schema = _resolve(message["payload"])
        for index, example in enumerate(message.get("examples", [])):
            cases.append(pytest.param(model_name, example["payload"], id=f"{name}-example-{index}"))
        for index, example in enumerate(schema.get("examples", [])):
            cases.append(pytest.param(model_name, example, id=f"{name}-schema-example-{index}"))
        # Instances drawn from the schema the models were generated from (the overlaid one).
        shipped = schema_ref(model_name, SHIPPED_EVENTS)
        cases.append(pytest.param(model_name, instance(SHIPPED_EVENTS, shipped), id=f"{name}-minimal"))
        cases.append(
            pytest.param(model_name, instance(SHIPPED_EVENTS, shipped, full=True), id=f"{name}-full")
        )
    return cases


@pytest.mark.parametrize(("model_name", "payload"), _event_cases())
def test_event_payload_round_trips(model_name: str, payload: dict[str, Any]) -> None:
    model = getattr(crewai_amp_events, model_name)
    parsed = model.model_validate(payload)
    dumped = parsed.model_dump(by_alias=True, mode="json", exclude_unset=True)
    # Every field is kept; a formatted value (a date-time, a uri) may be normalised, never lost.
    assert set(dumped) == set(payload)
    validator(SHIPPED_EVENTS, schema_ref(model_name, SHIPPED_EVENTS)).validate(dumped)
    assert model.model_validate(dumped) == parsed
    assert model.model_validate_json(parsed.model_dump_json(by_alias=True, exclude_unset=True)) == parsed


def test_every_message_payload_has_a_model() -> None:
    names = set(_messages())
    assert names, "the AsyncAPI spec lists no messages"
    assert names <= set(MESSAGES)
    assert {MESSAGES[name].__name__ for name in names} <= set(crewai_amp_events.__all__)
    for name, message in _messages().items():  # a payload named by $ref gives the model its name
        ref = message["payload"].get("$ref")
        if ref:
            assert MESSAGES[name].__name__ == ref.rsplit("/", 1)[-1]


def test_event_models_keep_unknown_fields_and_enum_values() -> None:
    unknown = unknown_enum_value(
        _resolve(EVENTS["components"]["schemas"]["TaskCompletedPayload"])["properties"]["status"]["enum"]
    )
    event = crewai_amp_events.TaskCompletedPayload.model_validate(
        {"kickoff_id": "k", "task_id": "t", "status": unknown, "new_field": {"a": 1}}
    )
    assert event.status == unknown
    assert event.model_extra == {"new_field": {"a": 1}}
    known = crewai_amp_events.TaskCompletedPayload.model_validate(
        {"kickoff_id": "k", "task_id": "t", "status": "completed"}
    )
    assert known.status is crewai_amp_events.TaskCompletedPayloadStatus.completed


def test_kickoff_ids_are_not_parsed_as_uuids() -> None:
    # The spec's own example id is not a UUID; the overlay keeps it a plain string.
    example = REST["paths"]["/kickoff"]["post"]["responses"]["200"]["content"]["application/json"]
    value = example["examples"]["accepted"]["value"]
    parsed = crewai_amp_api.models.KickoffResponse.from_dict(value)
    assert parsed.kickoff_id == value["kickoff_id"]
    assert isinstance(parsed.kickoff_id, str)
