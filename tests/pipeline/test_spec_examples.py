"""Every example in both specs round-trips through the generated models.

Examples are read from specs/ at test time; none is copied into this file. The AsyncAPI spec
ships no examples today, so its payloads are also exercised with instances built from their
schemas (minimal: required fields only; full: every property).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from types import ModuleType
from typing import Any

import crewai_amp_api.api
import crewai_amp_api.models
import crewai_amp_events
import httpx
import pytest
from crewai_amp_api.client import Client
from support.paths import EVENTS_SPEC, REST_SPEC, load_yaml

REST = load_yaml(REST_SPEC)
EVENTS = load_yaml(EVENTS_SPEC)


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
        model_name = node["schema"]["$ref"].rsplit("/", 1)[-1]
        model = getattr(crewai_amp_api.models, model_name)
        assert model.from_dict(value).to_dict() == value
        return
    # A response: parse it exactly as the generated operation does, from an HTTP response.
    module = OPERATIONS[_snake(op_id)]
    response = httpx.Response(int(kind), json=value, request=httpx.Request("GET", "https://crew.test/"))
    parsed = module._parse_response(client=Client(base_url="https://crew.test"), response=response)
    assert parsed is not None
    assert parsed.to_dict() == value


# --- AsyncAPI payloads --------------------------------------------------------------------


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = EVENTS
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


_SAMPLE_SCALARS: dict[str, Any] = {"string": "x", "number": 1.5, "integer": 2, "boolean": True}


def _instance(schema: dict[str, Any], *, full: bool) -> Any:
    """A valid instance of a payload schema: required properties only, or all of them."""
    schema = _resolve(schema)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type", "object")
    if kind == "object":
        props = schema.get("properties", {})
        keys = props if full else schema.get("required", [])
        return {key: _instance(props[key], full=full) for key in keys} if props else {"k": "v"}
    if kind == "array":
        return [_instance(schema["items"], full=full)]
    if schema.get("format") == "date-time":
        return "2026-01-02T03:04:05Z"
    return _SAMPLE_SCALARS[kind]


def _event_cases() -> list[Any]:
    cases = []
    for name, message in EVENTS["components"]["messages"].items():
        payload = message["payload"]
        model_name = payload["$ref"].rsplit("/", 1)[-1]
        schema = _resolve(payload)
        for index, example in enumerate(message.get("examples", [])):
            cases.append(pytest.param(model_name, example["payload"], id=f"{name}-example-{index}"))
        for index, example in enumerate(schema.get("examples", [])):
            cases.append(pytest.param(model_name, example, id=f"{name}-schema-example-{index}"))
        cases.append(pytest.param(model_name, _instance(schema, full=False), id=f"{name}-minimal"))
        cases.append(pytest.param(model_name, _instance(schema, full=True), id=f"{name}-full"))
    return cases


@pytest.mark.parametrize(("model_name", "payload"), _event_cases())
def test_event_payload_round_trips(model_name: str, payload: dict[str, Any]) -> None:
    model = getattr(crewai_amp_events, model_name)
    parsed = model.model_validate(payload)
    assert parsed.model_dump(mode="json", exclude_unset=True) == payload
    assert model.model_validate_json(parsed.model_dump_json(exclude_unset=True)) == parsed


def test_every_message_payload_has_a_model() -> None:
    names = {m["payload"]["$ref"].rsplit("/", 1)[-1] for m in EVENTS["components"]["messages"].values()}
    assert names, "the AsyncAPI spec lists no messages"
    assert names <= set(crewai_amp_events.__all__)


def test_event_models_keep_unknown_fields_and_enum_values() -> None:
    event = crewai_amp_events.TaskCompletedPayload.model_validate(
        {"kickoff_id": "k", "task_id": "t", "status": "paused_for_lunch", "new_field": {"a": 1}}
    )
    assert event.status == "paused_for_lunch"
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
