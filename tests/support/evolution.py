"""Additive spec updates for the whole-flow test (`nox -s evolution`): the seven fixed cases, and
the helpers the grammar of drawn updates (evolution_grammar.py) shares with them.

Every update finds its place by shape, not by name (the operation with a path parameter, the
``oneOf`` with a discriminator, the request body of a POST, ...), picks names the spec does not
use yet, applies the change and returns what it added (a JSON-able dict) for the probes that
check the change reached the users of the built wheel (evolution_probe.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

Spec = dict[str, Any]
Patch = Callable[[Spec, Spec], dict[str, Any]]
HTTP_METHODS = ("get", "put", "post", "delete", "patch")


def fresh(taken: Any, base: str) -> str:
    """``base``, or ``base2``, ``base3``... whichever ``taken`` does not hold yet."""
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}{n}"
    return name


def _schemas(spec: Spec) -> dict[str, Any]:
    schemas: dict[str, Any] = spec.setdefault("components", {}).setdefault("schemas", {})
    return schemas


def _deref(spec: Spec, node: Any) -> tuple[str | None, Any]:
    if isinstance(node, dict) and isinstance(node.get("$ref"), str):
        name = node["$ref"].rsplit("/", 1)[-1]
        return name, _schemas(spec).get(name, {})
    return None, node


def _operations(spec: Spec) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec.get("paths", {}).items():
        for method in HTTP_METHODS:
            if isinstance(item.get(method), dict):
                yield path, method, item[method]


def _json_body(node: dict[str, Any]) -> dict[str, Any]:
    content: dict[str, Any] = node.get("content", {}).get("application/json", {})
    return content


def _snake(name: str) -> str:
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name))
    return re.sub(r"[^0-9a-zA-Z]+", "_", words).strip("_").lower()


def new_operation(rest: Spec, events: Spec) -> dict[str, Any]:
    """A new POST operation with a path parameter and a new response model, under an existing tag."""
    tag = next((op["tags"][0] for _, _, op in _operations(rest) if op.get("tags")), "default")
    operation_ids = {op.get("operationId") for _, _, op in _operations(rest)}
    operation_id = fresh(operation_ids, "cancelKickoff")
    path = fresh(rest["paths"], f"/{_snake(operation_id).replace('_', '-')}/{{run_id}}")
    model = fresh(_schemas(rest), "CancelResult")
    _schemas(rest)[model] = {
        "type": "object",
        "required": ["cancelled"],
        "properties": {"cancelled": {"type": "boolean"}, "note": {"type": "string"}},
    }
    example = {"cancelled": True, "note": "stopped"}
    rest["paths"][path] = {
        "post": {
            "tags": [tag],
            "operationId": operation_id,
            "summary": "Cancel a run",
            "parameters": [{"in": "path", "name": "run_id", "required": True, "schema": {"type": "string"}}],
            "responses": {
                "200": {
                    "description": "Cancelled.",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": f"#/components/schemas/{model}"},
                            "examples": {"cancelled": {"value": example}},
                        }
                    },
                }
            },
        }
    }
    module = f"crewai_amp_api.api.{_snake(tag)}.{_snake(operation_id)}"
    return {"path": path, "operation_id": operation_id, "module": module, "model": model, "example": example}


def new_status_variant(rest: Spec, events: Spec) -> dict[str, Any]:
    """A new ``oneOf`` member with its own discriminator value, in the first discriminated union."""
    union_name, union = next(
        (name, schema)
        for name, schema in _schemas(rest).items()
        if isinstance(schema, dict) and schema.get("oneOf") and schema.get("discriminator")
    )
    prop = union["discriminator"]["propertyName"]
    mapping = union["discriminator"].setdefault("mapping", {})
    value = fresh(mapping, "paused")
    model = fresh(_schemas(rest), "StatusPaused")
    _schemas(rest)[model] = {
        "type": "object",
        "required": [prop],
        "properties": {
            prop: {"type": "string", "enum": [value]},
            "task_id": {"type": "string", "description": "The task awaiting human feedback."},
        },
    }
    union["oneOf"].append({"$ref": f"#/components/schemas/{model}"})
    mapping[value] = f"#/components/schemas/{model}"
    example = {prop: value, "task_id": "t-3"}
    for _, _, op in _operations(rest):
        body = _json_body(op.get("responses", {}).get("200", {}))
        if _deref(rest, body.get("schema"))[0] == union_name and "examples" in body:
            body["examples"][fresh(body["examples"], value)] = {"value": example}
    return {"union": union_name, "model": model, "value": value, "property": prop, "example": example}


def new_optional_request_field(rest: Spec, events: Spec) -> dict[str, Any]:
    """A new optional object field on the JSON body of the first POST that has one (kickoff)."""
    path, _, op = next(
        (p, m, o) for p, m, o in _operations(rest) if m == "post" and _json_body(o.get("requestBody", {}))
    )
    name, schema = _deref(rest, _json_body(op["requestBody"])["schema"])
    field = fresh(schema.setdefault("properties", {}), "options")
    schema["properties"][field] = {
        "type": "object",
        "description": "Run options.",
        "properties": {"priority": {"type": "string"}, "max_steps": {"type": "integer"}},
    }
    return {"path": path, "model": name, "field": field, "value": {"priority": "high", "max_steps": 3}}


def new_response_field(rest: Spec, events: Spec) -> dict[str, Any]:
    """A new optional field on every model a 200 response of a POST refers to."""
    added: dict[str, str] = {}
    for _, method, op in _operations(rest):
        name, schema = _deref(rest, _json_body(op.get("responses", {}).get("200", {})).get("schema"))
        if method == "post" and name and name not in added and "properties" in schema:
            added[name] = fresh(schema["properties"], "region")
            schema["properties"][added[name]] = {"type": "string", "description": "Where it ran."}
    return {"fields": added}


def new_enum_value(rest: Spec, events: Spec) -> dict[str, Any]:
    """A new value in the first multi-valued string enum of a webhook payload."""

    def enums(node: Any, where: list[str]) -> Iterator[tuple[list[str], dict[str, Any]]]:
        if isinstance(node, dict):
            if isinstance(node.get("enum"), list) and len(node["enum"]) > 1:
                yield where, node
            for key, value in node.get("properties", {}).items():
                yield from enums(value, [*where, key])

    for name, schema in _schemas(events).items():
        for where, node in enums(schema, []):
            value = fresh(node["enum"], "handoff")
            node["enum"].append(value)
            return {"schema": name, "path": where, "value": value}
    raise LookupError("no multi-valued enum in the webhook payloads")


def new_query_parameter(rest: Spec, events: Spec) -> dict[str, Any]:
    """A new optional query parameter on the first GET with a path parameter (status)."""
    path, _, op = next((p, m, o) for p, m, o in _operations(rest) if m == "get" and "{" in p)
    params = op.setdefault("parameters", [])
    name = fresh({p.get("name") for p in params if isinstance(p, dict)}, "verbose")
    params.append({"in": "query", "name": name, "required": False, "schema": {"type": "boolean"}})
    return {"path": path, "operation_id": op.get("operationId"), "name": name}


def new_asyncapi_message(rest: Spec, events: Spec) -> dict[str, Any]:
    """A new message with its payload schema, on a new channel, received by a new operation."""
    messages = events.setdefault("components", {}).setdefault("messages", {})
    message = fresh(messages, "CrewPaused")
    payload = fresh(_schemas(events), f"{message}Payload")
    channel = fresh(events.setdefault("channels", {}), "crewPausedEvents")
    _schemas(events)[payload] = {
        "type": "object",
        "required": ["kickoff_id", "paused_at"],
        "properties": {"kickoff_id": {"type": "string"}, "paused_at": {"type": "string"}},
    }
    messages[message] = {
        "name": message,
        "title": "Crew paused",
        "summary": "The crew paused for review.",
        "contentType": "application/json",
        "payload": {"$ref": f"#/components/schemas/{payload}"},
    }
    events["channels"][channel] = {
        "address": "{crewPausedWebhookUrl}",
        "parameters": {"crewPausedWebhookUrl": {"description": "Where paused events go."}},
        "messages": {message: {"$ref": f"#/components/messages/{message}"}},
    }
    operations = events.setdefault("operations", {})
    operations[fresh(operations, f"receive{message}")] = {
        "action": "receive",
        "channel": {"$ref": f"#/channels/{channel}"},
    }
    example = {"kickoff_id": "abcd1234-5678", "paused_at": "2030-01-01T00:00:00Z"}
    return {"message": message, "payload": payload, "channel": channel, "example": example}


FIXED: dict[str, Patch] = {
    "operation": new_operation,
    "status-variant": new_status_variant,
    "request-field": new_optional_request_field,
    "response-field": new_response_field,
    "enum-value": new_enum_value,
    "query-parameter": new_query_parameter,
    "asyncapi-message": new_asyncapi_message,
}


def apply_all(rest: Spec, events: Spec) -> dict[str, dict[str, Any]]:
    """Apply every fixed patch in order; returns what each added, by kind."""
    return {kind: patch(rest, events) for kind, patch in FIXED.items()}
