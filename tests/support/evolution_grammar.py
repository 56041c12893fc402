"""The grammar of additive spec updates `nox -s evolution` draws from a seed (GRAMMAR).

A drawn update is a pure function of ``(seed, index)``: its kind comes from the seed's plan, its
choices from ``random.Random(f"{seed}:{index}")`` over the *base* specs (never over what other
updates added), and its names carry its index. So updates compose (several share one
regenerate/build/venv cycle) and each one replays alone, identically
(``nox -s evolution -- --seed N --updates K --only I``).

Adding a kind is adding a function to GRAMMAR (and, if a generic probe does not cover it, a
probe in evolution_probe.py).
"""

from __future__ import annotations

import copy
import json
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from support.evolution import Spec, _deref, _operations, _schemas, _snake


@dataclass
class Draw:
    """What one drawn update may look at and change."""

    rest: Spec  # the documents to patch (earlier updates of the batch included)
    events: Spec
    base_rest: Spec  # the specs before any update: every choice is made among these
    base_events: Spec
    rng: random.Random
    tag: str  # e.g. "u7": in every name the update adds, so updates never collide
    overlays: list[Spec] = field(default_factory=list)  # the spec overlays (parsed YAML)

    def name(self, base: str) -> str:
        return f"{base}_{self.tag}"

    def camel(self, base: str) -> str:
        return f"{base}{self.tag.capitalize()}"

    def choice(self, items: list[Any]) -> Any:
        if not items:
            raise LookupError("nothing in the base spec to draw from")
        return items[self.rng.randrange(len(items))]


Kind = Callable[[Draw], dict[str, Any]]

FORMATS = ("date-time", "date", "uuid", "uri")


def draw_schema(draw: Draw, depth: int = 0) -> dict[str, Any]:
    """A random schema for a new field: scalars, formats, enums, 3.1 nullable unions, nested
    objects of integers, arrays of objects."""
    options = [
        "integer",
        "number",
        "boolean",
        "string",
        "format",
        "enum",
        "nullable",
        "int-nullable",
        "anyof-null",
        "const",
        "int-enum",
        "enum-array",
    ]
    if depth < 2:
        options += ["object", "array-of-objects", "array"]
    kind = draw.choice(options)
    if kind == "format":
        return {"type": "string", "format": draw.choice(list(FORMATS))}
    if kind == "enum":
        return {"type": "string", "enum": [draw.name("low"), draw.name("high")]}
    if kind == "nullable":
        return {"type": ["string", "null"]}
    if kind == "int-nullable":
        return {"type": ["integer", "null"], "minimum": 0}
    if kind == "anyof-null":  # the other spelling of a 3.1 nullable
        return {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]}
    if kind == "const":
        return {"type": "string", "const": draw.name("v")}
    if kind == "int-enum":
        return {"type": "integer", "enum": [1, 2, 3]}
    if kind == "enum-array":
        return {"type": "array", "items": {"type": "string", "enum": [draw.name("a"), draw.name("b")]}}
    if kind == "object":
        return {
            "type": "object",
            "properties": {
                "count": {"type": "integer", "minimum": 0},
                "limit": {"type": "integer"},
                "detail": draw_schema(draw, depth + 1),
            },
        }
    if kind == "array-of-objects":
        return {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id"],
                "properties": {"id": {"type": "integer"}, "label": {"type": "string"}},
            },
        }
    if kind == "array":
        return {"type": "array", "items": draw_schema(draw, depth + 1)}
    return {"type": kind}


def _object_models(spec: Spec) -> list[str]:
    """Component schemas that are plain objects with properties (not unions, not enums)."""
    return sorted(
        name
        for name, schema in _schemas(spec).items()
        if isinstance(schema, dict)
        and isinstance(schema.get("properties"), dict)
        and not any(k in schema for k in ("oneOf", "anyOf", "allOf"))
    )


def _add_field(draw: Draw, spec: Spec, model: str, schema: dict[str, Any], base: str) -> dict[str, Any]:
    name = draw.name(base)
    _schemas(spec)[model].setdefault("properties", {})[name] = schema
    return {"model": model, "field": name, "schema": schema}


def _rest_field(draw: Draw, schema: dict[str, Any], base: str) -> dict[str, Any]:
    model = draw.choice(_object_models(draw.base_rest))
    return {"spec": "rest", **_add_field(draw, draw.rest, model, schema, base)}


def kind_nested_object(draw: Draw) -> dict[str, Any]:
    """A new optional nested object of integers (with an object inside) on a REST model."""
    schema = {
        "type": "object",
        "description": "Counters.",
        "properties": {
            "attempts": {"type": "integer", "minimum": 0},
            "tokens": {
                "type": "object",
                "properties": {"prompt": {"type": "integer"}, "total": {"type": "integer"}},
            },
        },
    }
    return _rest_field(draw, schema, "counters")


def kind_array_of_objects(draw: Draw) -> dict[str, Any]:
    """A new optional array of objects on a REST model."""
    schema = {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string"},
                "score": {"type": "number"},
                "ok": {"type": "boolean"},
            },
        },
    }
    return _rest_field(draw, schema, "findings")


def kind_nullable_union(draw: Draw) -> dict[str, Any]:
    """A new OpenAPI 3.1 nullable union field, `type: [X, "null"]`, on a REST model."""
    kind = draw.choice(["string", "integer", "number", "boolean", "object"])
    schema: dict[str, Any] = {"type": [kind, "null"]}
    if kind == "object":
        schema["properties"] = {"value": {"type": "integer"}}
    return _rest_field(draw, schema, "maybe")


# A value of each format as upstream's examples write it (an RFC 3339 date-time ends in "Z").
EXAMPLES = {
    "date-time": "2026-10-01T12:00:00Z",
    "date": "2026-10-01",
    "uuid": "0b5f0f9e-0000-4000-8000-000000000001",
    "uri": "https://example.com/runs/1",
}


def _examples_of(spec: Spec, model: str) -> Iterator[dict[str, Any]]:
    """The example values (objects) of every request or response body that is ``model``, or a
    union member ``model`` by its discriminator value."""
    for _, _, op in _operations(spec):
        bodies = [op.get("requestBody", {}), *op.get("responses", {}).values()]
        for body in bodies:
            content = body.get("content", {}).get("application/json", {}) if isinstance(body, dict) else {}
            name, schema = _deref(spec, content.get("schema"))
            discriminator = schema.get("discriminator", {}) if isinstance(schema, dict) else {}
            mapping = {v.rsplit("/", 1)[-1]: k for k, v in discriminator.get("mapping", {}).items()}
            for example in content.get("examples", {}).values():
                value = example.get("value") if isinstance(example, dict) else None
                if not isinstance(value, dict):
                    continue
                if name == model or value.get(discriminator.get("propertyName")) == mapping.get(
                    model, object()
                ):
                    yield value


def kind_format_field(draw: Draw) -> dict[str, Any]:
    """A new optional string with a format (date-time, date, uuid, uri) on a REST model, written
    into the spec's examples of that model too (as upstream documents a new field)."""
    fmt = draw.choice(list(FORMATS))
    added = _rest_field(draw, {"type": "string", "format": fmt}, "stamp")
    for example in _examples_of(draw.rest, added["model"]):
        example[added["field"]] = EXAMPLES[fmt]
    return added


def kind_random_field(draw: Draw) -> dict[str, Any]:
    """A new optional field of a random schema on a REST model."""
    return _rest_field(draw, draw_schema(draw), "extra")


def _operations_of(spec: Spec) -> list[tuple[str, str]]:
    return sorted((path, method) for path, method, _ in _operations(spec))


def kind_query_parameter(draw: Draw) -> dict[str, Any]:
    """A new optional query parameter (a random scalar, enum or format) on a random operation."""
    path, method = draw.choice(_operations_of(draw.base_rest))
    schema = draw.choice(
        [
            {"type": "integer", "minimum": 0},
            {"type": "boolean"},
            {"type": "string"},
            {"type": "string", "enum": [draw.name("a"), draw.name("b")]},
            {"type": "string", "format": "date-time"},
        ]
    )
    name = draw.name("filter")
    draw.rest["paths"][path][method].setdefault("parameters", []).append(
        {"in": "query", "name": name, "required": False, "schema": schema}
    )
    return {
        "spec": "rest",
        "path": path,
        "method": method,
        "operation_id": draw.rest["paths"][path][method].get("operationId"),
        "parameter": name,
        "in": "query",
    }


def kind_header_parameter(draw: Draw) -> dict[str, Any]:
    """A new optional request header on a random operation."""
    path, method = draw.choice(_operations_of(draw.base_rest))
    name = f"X-Amp-{draw.tag.capitalize()}-Trace"
    draw.rest["paths"][path][method].setdefault("parameters", []).append(
        {"in": "header", "name": name, "required": False, "schema": {"type": "string"}}
    )
    return {
        "spec": "rest",
        "path": path,
        "method": method,
        "operation_id": draw.rest["paths"][path][method].get("operationId"),
        "parameter": name,
        "in": "header",
    }


def _new_operation(
    draw: Draw,
    method: str,
    path: str,
    parameters: list[dict[str, Any]],
    response: dict[str, Any],
    *,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    tags = sorted({t for _, _, op in _operations(draw.base_rest) for t in op.get("tags", [])})
    tag = draw.choice([*tags, draw.camel("Extra")]) if tags else draw.camel("Extra")
    operation_id = draw.camel(f"{method}Runs")
    model = draw.camel("RunsAnswer")
    _schemas(draw.rest)[model] = response
    operation: dict[str, Any] = {
        "tags": [tag],
        "operationId": operation_id,
        "summary": "A new operation",
        "parameters": parameters,
        "responses": {
            "200": {
                "description": "OK.",
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model}"}}},
            },
            "404": {
                "description": "Not found.",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
            if "Error" in _schemas(draw.base_rest)
            else {"description": "Not found."},
        },
    }
    if body is not None:
        request_model = draw.camel("RunsRequest")
        _schemas(draw.rest)[request_model] = body
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{request_model}"}}},
        }
    draw.rest["paths"][path] = {method: operation}
    module = f"crewai_amp_api.api.{_snake(tag)}.{_snake(operation_id)}"
    return {
        "spec": "rest",
        "path": path,
        "method": method,
        "operation_id": operation_id,
        "module": module,
        "model": model,
    }


def kind_get_operation(draw: Draw) -> dict[str, Any]:
    """A new GET operation with a query parameter, answering an array of objects."""
    response = {
        "type": "object",
        "required": ["runs"],
        "properties": {
            "runs": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "kickoff_id": {"type": "string", "format": "uuid"},
                        "started": {"type": "string", "format": "date-time"},
                    },
                },
            },
            "total": {"type": "integer", "minimum": 0},
        },
    }
    params = [
        {"in": "query", "name": "limit", "required": False, "schema": {"type": "integer", "minimum": 1}}
    ]
    return _new_operation(draw, "get", f"/runs-{draw.tag}", params, response)


def kind_path_parameters(draw: Draw) -> dict[str, Any]:
    """A new operation under two path parameters (/runs-uN/{kickoff_id}/tasks/{task_id})."""
    params = [
        {
            "in": "path",
            "name": "kickoff_id",
            "required": True,
            "schema": {"type": "string", "format": "uuid"},
        },
        {"in": "path", "name": "task_id", "required": True, "schema": {"type": "string"}},
    ]
    response = {
        "type": "object",
        "properties": {"task_id": {"type": "string"}, "output": {"type": ["string", "null"]}},
    }
    return _new_operation(draw, "get", f"/runs-{draw.tag}/{{kickoff_id}}/tasks/{{task_id}}", params, response)


def kind_post_operation(draw: Draw) -> dict[str, Any]:
    """A new POST operation with a JSON body of random fields and a path parameter."""
    body = {
        "type": "object",
        "required": ["reason"],
        "properties": {"reason": {"type": "string"}, "options": draw_schema(draw)},
    }
    response = {
        "type": "object",
        "properties": {"accepted": {"type": "boolean"}, "at": {"type": "string", "format": "date-time"}},
    }
    params = [{"in": "path", "name": "kickoff_id", "required": True, "schema": {"type": "string"}}]
    return _new_operation(
        draw, "post", f"/runs-{draw.tag}/{{kickoff_id}}/cancel", params, response, body=body
    )


def _rest_enums(spec: Spec) -> list[tuple[str, list[str]]]:
    """(model, path to a string enum) in the REST models, discriminator values left out."""
    discriminated = {
        (ref.rsplit("/", 1)[-1], schema["discriminator"]["propertyName"])
        for schema in _schemas(spec).values()
        if isinstance(schema, dict) and isinstance(schema.get("discriminator"), dict)
        for ref in schema["discriminator"].get("mapping", {}).values()
    }
    found = []
    for name, schema in _schemas(spec).items():
        for key, prop in (schema.get("properties") or {}).items() if isinstance(schema, dict) else []:
            if (
                isinstance(prop, dict)
                and isinstance(prop.get("enum"), list)
                and (name, key) not in discriminated
            ):
                found.append((name, [key]))
    return sorted(found)


def kind_rest_enum_value(draw: Draw) -> dict[str, Any]:
    """A new value in a REST string enum (one that is not a discriminator)."""
    model, where = draw.choice(_rest_enums(draw.base_rest))
    node = _schemas(draw.rest)[model]["properties"][where[0]]
    value = draw.name("queued")
    node["enum"].append(value)
    return {"spec": "rest", "model": model, "path": where, "value": value}


def kind_status_variant(draw: Draw) -> dict[str, Any]:
    """A new variant in a discriminated union, with fields of random schemas."""
    unions = sorted(
        name
        for name, schema in _schemas(draw.base_rest).items()
        if isinstance(schema, dict) and schema.get("discriminator") and schema.get("oneOf")
    )
    union_name = draw.choice(unions)
    union = _schemas(draw.rest)[union_name]
    prop = union["discriminator"]["propertyName"]
    value = draw.name("paused")
    model = draw.camel("StatusVariant")
    _schemas(draw.rest)[model] = {
        "type": "object",
        "required": [prop],
        "properties": {
            prop: {"type": "string", "enum": [value]},
            "detail": draw_schema(draw),
            "since": {"type": "string", "format": "date-time"},
        },
    }
    union["oneOf"].append({"$ref": f"#/components/schemas/{model}"})
    union["discriminator"].setdefault("mapping", {})[value] = f"#/components/schemas/{model}"
    return {"spec": "rest", "union": union_name, "model": model, "property": prop, "value": value}


def kind_error_response(draw: Draw) -> dict[str, Any]:
    """A new error answer (409, 429 or 503) with a header and the Error body, on an operation."""
    candidates = [(p, m) for p, m in _operations_of(draw.base_rest)]
    path, method = draw.choice(candidates)
    responses = draw.rest["paths"][path][method].setdefault("responses", {})
    code = draw.choice([c for c in ("409", "429", "503") if c not in responses] or ["418"])
    header = draw.choice(["Retry-After", f"X-Amp-{draw.tag.capitalize()}-Reason"])
    body = (
        {"$ref": "#/components/schemas/Error"}
        if "Error" in _schemas(draw.base_rest)
        else {"type": "object", "properties": {"error": {"type": "string"}}}
    )
    responses[code] = {
        "description": "A new refusal.",
        "headers": {
            header: {
                "description": "Why, or when to retry.",
                "schema": {"type": "integer" if header == "Retry-After" else "string"},
            }
        },
        "content": {"application/json": {"schema": body}},
    }
    return {
        "spec": "rest",
        "path": path,
        "method": method,
        "operation_id": draw.rest["paths"][path][method].get("operationId"),
        "status": code,
        "header": header,
    }


def kind_deprecated(draw: Draw) -> dict[str, Any]:
    """A `deprecated: true` flag on an operation, a parameter or a model property."""
    where = draw.choice(["operation", "property"])
    if where == "operation":
        path, method = draw.choice(_operations_of(draw.base_rest))
        draw.rest["paths"][path][method]["deprecated"] = True
        return {"spec": "rest", "what": "operation", "path": path, "method": method}
    model = draw.choice(_object_models(draw.base_rest))
    prop = draw.choice(sorted(_schemas(draw.base_rest)[model]["properties"]))
    _schemas(draw.rest)[model]["properties"][prop]["deprecated"] = True
    return {"spec": "rest", "what": "property", "model": model, "field": prop}


# --- AsyncAPI --------------------------------------------------------------------------------


def _payloads(events: Spec) -> list[str]:
    """Payload schemas messages refer to (their component names)."""
    names = set()
    for message in events.get("components", {}).get("messages", {}).values():
        ref = message.get("payload", {}).get("$ref", "") if isinstance(message, dict) else ""
        if ref.startswith("#/components/schemas/"):
            names.add(ref.rsplit("/", 1)[-1])
    return sorted(
        n for n in names if isinstance(_schemas(events).get(n), dict) and "properties" in _schemas(events)[n]
    )


def _new_message(draw: Draw, channel: str | None) -> dict[str, Any]:
    messages = draw.events.setdefault("components", {}).setdefault("messages", {})
    message = draw.camel("RunEvent")
    payload = f"{message}Payload"
    _schemas(draw.events)[payload] = {
        "type": "object",
        "required": ["kickoff_id", "event_id"],
        "properties": {
            "kickoff_id": {"type": "string", "format": "uuid"},
            "event_id": {"type": "string"},
            "at": {"type": "string", "format": "date-time"},
            "detail": draw_schema(draw),
        },
    }
    messages[message] = {
        "name": message,
        "title": "A new event",
        "contentType": "application/json",
        "payload": {"$ref": f"#/components/schemas/{payload}"},
    }
    if channel is None:
        channel = f"run{draw.tag.capitalize()}Events"  # parse_event(channel=...) drops "Events"
        draw.events.setdefault("channels", {})[channel] = {
            "address": f"{{{channel}Url}}",
            "parameters": {f"{channel}Url": {"description": "Where these events go."}},
            "messages": {message: {"$ref": f"#/components/messages/{message}"}},
        }
        draw.events.setdefault("operations", {})[draw.camel("receiveRunEvents")] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{channel}"},
        }
    else:
        draw.events["channels"][channel]["messages"][draw.name("runEvent")] = {
            "$ref": f"#/components/messages/{message}"
        }
    return {"spec": "events", "message": message, "payload": payload, "channel": channel}


def kind_asyncapi_message(draw: Draw) -> dict[str, Any]:
    """A new message (kickoff_id declared a uuid, a date-time, a random field) on a new channel."""
    return _new_message(draw, None)


def kind_asyncapi_second_message(draw: Draw) -> dict[str, Any]:
    """A second message on an existing channel."""
    return _new_message(draw, draw.choice(sorted(draw.base_events.get("channels", {}))))


def kind_asyncapi_field(draw: Draw) -> dict[str, Any]:
    """A new optional field of a random schema on a webhook payload."""
    payload = draw.choice(_payloads(draw.base_events))
    return {"spec": "events", **_add_field(draw, draw.events, payload, draw_schema(draw), "extra")}


def kind_asyncapi_enum_value(draw: Draw) -> dict[str, Any]:
    """A new value in a webhook payload's enum (at any depth of its properties)."""
    found = []
    for name in _payloads(draw.base_events):

        def walk(node: Any, where: list[str], name: str = name) -> None:
            if isinstance(node, dict):
                if isinstance(node.get("enum"), list):
                    found.append((name, where))
                for key, value in (node.get("properties") or {}).items():
                    walk(value, [*where, key])

        walk(_schemas(draw.base_events)[name], [])
    model, where = draw.choice(sorted(found))
    node = _schemas(draw.events)[model]
    for key in where:
        node = node["properties"][key]
    value = draw.name("handoff")
    node["enum"].append(value)
    return {"spec": "events", "schema": model, "path": where, "value": value}


# --- upstream starts defining what a spec overlay adds ------------------------------------------


def _overlay_view(draw: Draw) -> tuple[Spec, list[tuple[str, str]]]:
    """The base REST spec with the schemas the spec overlays add (to resolve their ``$ref``s), and
    the (model, property) pairs the overlays add to existing models."""
    view = copy.deepcopy(draw.base_rest)
    added: list[tuple[str, str]] = []
    for document in draw.overlays:
        if not str(document.get("extends", "")).endswith(".openapi.yml"):
            continue
        for action in document.get("actions", []):
            target, update = str(action.get("target", "")), action.get("update")
            if not isinstance(update, dict):
                continue
            if target == "$.components.schemas":
                _schemas(view).update(copy.deepcopy(update))
            match = re.fullmatch(r"\$\.components\.schemas\.(\w+)\.properties", target)
            if match and match.group(1) in _schemas(draw.base_rest):
                known = _schemas(draw.base_rest)[match.group(1)].get("properties", {})
                added += [(match.group(1), name) for name in update if name not in known]
                _schemas(view)[match.group(1)].setdefault("properties", {}).update(copy.deepcopy(update))
    return view, sorted(added)


def _resolve(view: Spec, node: Any, seen: frozenset[str] = frozenset()) -> Any:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"] not in seen:
        seen = seen | {node["$ref"]}
        node = _schemas(view).get(node["$ref"].rsplit("/", 1)[-1], {})
    return node


def _alternative(view: Spec, node: Any, pick: int) -> Any:
    """``node`` inlined with one alternative kept at every choice: the first (``pick=0``: what a
    narrower upstream might define) or the last (``pick=-1``: what only the wider one allows)."""
    node = _resolve(view, node)
    if not isinstance(node, dict):
        return node
    for key in ("oneOf", "anyOf"):
        if isinstance(node.get(key), list) and node[key]:
            return _alternative(view, node[key][pick], pick)
    out = {k: copy.deepcopy(v) for k, v in node.items() if k not in ("properties", "items", "enum")}
    if isinstance(node.get("enum"), list) and node["enum"]:
        out["enum"] = [node["enum"][pick]]
    if isinstance(node.get("properties"), dict):
        out["properties"] = {k: _alternative(view, v, pick) for k, v in node["properties"].items()}
    if "items" in node:
        out["items"] = _alternative(view, node["items"], pick)
    return out


def _has_choice(view: Spec, node: Any, depth: int = 0) -> bool:
    node = _resolve(view, node)
    if not isinstance(node, dict) or depth > 8:
        return False
    if any(isinstance(node.get(k), list) and len(node[k]) > 1 for k in ("oneOf", "anyOf", "enum")):
        return True
    subs = [*(node.get("properties") or {}).values(), *([node["items"]] if "items" in node else [])]
    return any(_has_choice(view, sub, depth + 1) for sub in subs)


def kind_upstream_overlap(draw: Draw) -> dict[str, Any]:
    """Upstream starts defining, narrower, a field a spec overlay adds: it keeps one alternative
    of each union and enum (a webhooks.authentication that is bearer only, where the overlay
    allows bearer or basic). The overlap rule must keep what the overlay allows, and the diff
    must report the overlap."""
    view, added = _overlay_view(draw)
    model, prop = draw.choice(
        [(m, p) for m, p in added if _has_choice(view, _schemas(view)[m]["properties"][p])]
    )
    definition = _schemas(view)[model]["properties"][prop]
    narrowed = _alternative(view, definition, 0)
    _schemas(draw.rest)[model].setdefault("properties", {})[prop] = narrowed
    return {
        "spec": "rest",
        "model": model,
        "field": prop,
        "upstream": narrowed,
        "overlay_only": _alternative(view, definition, -1),
        "at": f"/components/schemas/{model}/properties/{prop}",
    }


# --- more shapes upstream APIs add every month ---------------------------------------------------


def _component(draw: Draw, spec: Spec, base: str, schema: dict[str, Any]) -> str:
    """A new component schema named after ``base`` and the update; returns its name."""
    name = draw.camel(base)
    _schemas(spec)[name] = schema
    return name


def kind_component_ref(draw: Draw) -> dict[str, Any]:
    """A new component schema, referred to by ``$ref`` from a new field of an existing model."""
    name = _component(
        draw,
        draw.rest,
        "Budget",
        {
            "type": "object",
            "required": ["limit"],
            "properties": {
                "limit": {"type": "integer", "minimum": 0},
                "currency": {"type": "string"},
                "detail": draw_schema(draw, 1),
            },
        },
    )
    ref = {"$ref": f"#/components/schemas/{name}"}
    schema = draw.choice([ref, {"anyOf": [ref, {"type": "null"}]}])  # perhaps nullable
    return {**_rest_field(draw, schema, "budget"), "component": name}


def kind_allof_field(draw: Draw) -> dict[str, Any]:
    """A new field composed with ``allOf``: a new component extended by inline properties."""
    name = _component(
        draw,
        draw.rest,
        "Source",
        {
            "type": "object",
            "properties": {"origin": {"type": "string"}, "at": {"type": "string", "format": "date-time"}},
        },
    )
    schema = {
        "allOf": [
            {"$ref": f"#/components/schemas/{name}"},
            {
                "type": "object",
                "properties": {
                    "weight": {"type": "number"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                },
            },
        ]
    }
    return {**_rest_field(draw, schema, "source"), "component": name}


def kind_oneof_field(draw: Draw) -> dict[str, Any]:
    """A new field that is one of two new components, told apart by a discriminator."""
    kinds = [draw.name("text"), draw.name("file")]
    first = _component(
        draw,
        draw.rest,
        "TextAttachment",
        {
            "type": "object",
            "required": ["kind", "text"],
            "properties": {"kind": {"type": "string", "enum": [kinds[0]]}, "text": {"type": "string"}},
        },
    )
    second = _component(
        draw,
        draw.rest,
        "FileAttachment",
        {
            "type": "object",
            "required": ["kind", "url"],
            "properties": {
                "kind": {"type": "string", "enum": [kinds[1]]},
                "url": {"type": "string", "format": "uri"},
                "size": {"type": "integer", "format": "int64", "minimum": 0},
            },
        },
    )
    refs = [f"#/components/schemas/{first}", f"#/components/schemas/{second}"]
    schema = {
        "oneOf": [{"$ref": ref} for ref in refs],
        "discriminator": {"propertyName": "kind", "mapping": dict(zip(kinds, refs, strict=True))},
    }
    return {**_rest_field(draw, schema, "attachment"), "components": [first, second]}


def kind_map_field(draw: Draw) -> dict[str, Any]:
    """A new map field (``additionalProperties``): string keys to objects, or to scalars."""
    values = draw.choice(
        [
            {"type": "object", "properties": {"score": {"type": "number"}, "note": {"type": "string"}}},
            {"type": "object", "required": ["count"], "properties": {"count": {"type": "integer"}}},
            {"type": "string"},
            {"type": "integer", "format": "int64"},
        ]
    )
    return _rest_field(draw, {"type": "object", "additionalProperties": values}, "by_agent")


NUMERIC = (
    {"type": "integer", "format": "int64"},
    {"type": "integer", "format": "int32"},
    {"type": "number", "format": "float"},
    {"type": "number", "format": "double"},
    {"type": "boolean"},
)


def kind_numeric_field(draw: Draw) -> dict[str, Any]:
    """A new integer (int32/int64), number (float/double) or boolean field."""
    return _rest_field(draw, dict(draw.choice(list(NUMERIC))), "amount")


CONSTRAINED = (
    {"type": "string", "minLength": 3, "maxLength": 12},
    {"type": "string", "pattern": "^[a-z]{2}-[0-9]{2}$"},
    {"type": "integer", "minimum": 1, "maximum": 10, "default": 5},
    {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
    {"type": "string", "enum": ["fast", "thorough"], "default": "fast"},
    {"type": "array", "items": {"type": "string", "minLength": 1}, "maxItems": 3, "uniqueItems": True},
    {"type": "boolean", "default": False},
)


def kind_constrained_field(draw: Draw) -> dict[str, Any]:
    """A new field with constraints (minLength, maximum, pattern, ...) and perhaps a default."""
    return _rest_field(draw, copy.deepcopy(draw.choice(list(CONSTRAINED))), "limit")


def kind_read_write_only(draw: Draw) -> dict[str, Any]:
    """A new ``readOnly`` or ``writeOnly`` field (annotations: the wire still carries it)."""
    which = draw.choice(["readOnly", "writeOnly"])
    schema = {"type": draw.choice(["string", "integer"]), which: True}
    return {
        **_rest_field(draw, schema, "server_note" if which == "readOnly" else "client_note"),
        "which": which,
    }


# Property names a Python model cannot use as they are.
AWKWARD_NAMES = ("class", "from", "import", "x-rate", "global", "not", "self", "type", "2fa", "Rate-Limit")


def _awkward(draw: Draw, taken: Any) -> str:
    """A property name that is a Python keyword, has a dash, or would shadow something; never
    one ``taken`` holds. Unsuffixed: upstream names it so."""
    free = [name for name in AWKWARD_NAMES if name not in taken]
    return str(draw.choice(free))


def kind_awkward_name(draw: Draw) -> dict[str, Any]:
    """A new field named with a Python keyword or a dash (``class``, ``from``, ``x-rate``)."""
    model = draw.choice(_object_models(draw.base_rest))
    taken = set(_schemas(draw.rest)[model].get("properties", {}))
    name = _awkward(draw, taken)
    schema = dict(draw.choice([{"type": "string"}, {"type": "integer"}, {"type": "boolean"}]))
    _schemas(draw.rest)[model].setdefault("properties", {})[name] = schema
    return {"spec": "rest", "model": model, "field": name, "schema": schema}


def kind_shared_enum(draw: Draw) -> dict[str, Any]:
    """A new enum component, used by new fields of two models."""
    name = _component(
        draw, draw.rest, "Priority", {"type": "string", "enum": ["low", "normal", draw.name("urgent")]}
    )
    models = _object_models(draw.base_rest)
    first = draw.choice(models)
    second = draw.choice([m for m in models if m != first] or [first])
    fields = []
    for model in dict.fromkeys([first, second]):
        fields.append(
            _add_field(draw, draw.rest, model, {"$ref": f"#/components/schemas/{name}"}, "priority")
        )
    return {"spec": "rest", "component": name, "fields": fields, "model": first, "field": fields[0]["field"]}


def kind_array_response(draw: Draw) -> dict[str, Any]:
    """A new GET operation answering a top-level JSON array of a new component."""
    item = _component(
        draw,
        draw.rest,
        "Agent",
        {
            "type": "object",
            "required": ["role"],
            "properties": {
                "role": {"type": "string"},
                "tools": {"type": "array", "items": {"type": "string"}},
            },
        },
    )
    path = f"/agents-{draw.tag}"
    operation_id = draw.camel("listAgents")
    tags = sorted({t for _, _, op in _operations(draw.base_rest) for t in op.get("tags", [])})
    tag = draw.choice(tags) if tags else "default"
    draw.rest["paths"][path] = {
        "get": {
            "tags": [tag],
            "operationId": operation_id,
            "summary": "The crew's agents",
            "responses": {
                "200": {
                    "description": "The agents.",
                    "content": {
                        "application/json": {
                            "schema": {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}}
                        }
                    },
                }
            },
        }
    }
    module = f"crewai_amp_api.api.{_snake(tag)}.{_snake(operation_id)}"
    return {
        "spec": "rest",
        "path": path,
        "method": "get",
        "operation_id": operation_id,
        "module": module,
        "item": item,
    }


def kind_required_request_body(draw: Draw) -> dict[str, Any]:
    """A new POST operation whose body has several required fields of several types."""
    body = {
        "type": "object",
        "required": ["task_id", "rating", "approved", "labels"],
        "properties": {
            "task_id": {"type": "string", "minLength": 1},
            "rating": {"type": "integer", "minimum": 1, "maximum": 5},
            "approved": {"type": "boolean"},
            "labels": {"type": "array", "items": {"type": "string"}},
            "comment": {"type": "string"},
            "extra": draw_schema(draw, 1),
        },
    }
    response = {"type": "object", "required": ["accepted"], "properties": {"accepted": {"type": "boolean"}}}
    return _new_operation(draw, "post", f"/feedback-{draw.tag}", [], response, body=body)


def kind_api_key_operation(draw: Draw) -> dict[str, Any]:
    """A new security scheme (an API key in a header), required by a new operation."""
    scheme = draw.camel("apiKey")
    header = f"X-Amp-{draw.tag.capitalize()}-Key"
    draw.rest.setdefault("components", {}).setdefault("securitySchemes", {})[scheme] = {
        "type": "apiKey",
        "in": "header",
        "name": header,
        "description": "A key for the new admin operations.",
    }
    response = {"type": "object", "properties": {"quota": {"type": "integer"}, "used": {"type": "integer"}}}
    added = _new_operation(draw, "get", f"/quota-{draw.tag}", [], response)
    draw.rest["paths"][added["path"]]["get"]["security"] = [{scheme: []}]
    return {**added, "scheme": scheme, "header": header}


def kind_text_content(draw: Draw) -> dict[str, Any]:
    """A new error answer offered as ``text/plain`` beside JSON (or ``text/plain`` alone)."""
    path, method = draw.choice(_operations_of(draw.base_rest))
    responses = draw.rest["paths"][path][method].setdefault("responses", {})
    code = draw.choice([c for c in ("502", "503", "504", "409") if c not in responses] or ["418"])
    content: dict[str, Any] = {"text/plain": {"schema": {"type": "string"}}}
    if draw.choice([True, False]):
        error = (
            {"$ref": "#/components/schemas/Error"}
            if "Error" in _schemas(draw.base_rest)
            else {"type": "object", "properties": {"error": {"type": "string"}}}
        )
        content = {"application/json": {"schema": error}, **content}
    responses[code] = {"description": "Upstream unavailable.", "content": content}
    return {
        "spec": "rest",
        "path": path,
        "method": method,
        "operation_id": draw.rest["paths"][path][method].get("operationId"),
        "status": code,
        "types": sorted(content),
    }


def kind_response_header(draw: Draw) -> dict[str, Any]:
    """A new header on a success (2xx) answer of an operation."""
    path, method = draw.choice(_operations_of(draw.base_rest))
    responses = draw.rest["paths"][path][method]["responses"]
    code = sorted(c for c in responses if str(c).startswith("2"))[0]
    header = draw.choice([f"X-Amp-{draw.tag.capitalize()}-Remaining", "X-RateLimit-Remaining", "ETag"])
    responses[code].setdefault("headers", {})[header] = {
        "description": "What is left.",
        "schema": {"type": "integer"} if "Remaining" in header else {"type": "string"},
    }
    return {"spec": "rest", "path": path, "method": method, "status": code, "header": header}


def kind_docs_only(draw: Draw) -> dict[str, Any]:
    """Only words change: a summary, a description, a new tag, a new server entry, an example."""
    what = draw.choice(["summary", "description", "tag", "server", "example", "property-description"])
    path, method = draw.choice(_operations_of(draw.base_rest))
    operation = draw.rest["paths"][path][method]
    text = f"Reworded upstream ({draw.tag})."
    if what == "summary":
        operation["summary"] = text
    elif what == "description":
        operation["description"] = text
    elif what == "tag":
        draw.rest.setdefault("tags", []).append({"name": draw.camel("Docs"), "description": text})
    elif what == "server":
        draw.rest.setdefault("servers", []).append(
            {"url": f"https://{draw.tag}.eu.crewai.example", "description": text}
        )
    elif what == "property-description":
        model = draw.choice(_object_models(draw.base_rest))
        prop = draw.choice(sorted(_schemas(draw.base_rest)[model]["properties"]))
        _schemas(draw.rest)[model]["properties"][prop]["description"] = text
        return {"spec": "rest", "what": what, "model": model, "field": prop}
    else:  # an example of a JSON body, drawn from its own (base) schema
        from support import instances

        bodies = []
        for p, m, op in _operations(draw.base_rest):
            for code, response in sorted(op.get("responses", {}).items()):
                content = (
                    response.get("content", {}).get("application/json")
                    if isinstance(response, dict)
                    else None
                )
                if content and "schema" in content and "$ref" not in response:
                    bodies.append((p, m, code))
        p, m, code = draw.choice(sorted(bodies))
        content = draw.rest["paths"][p][m]["responses"][code]["content"]["application/json"]
        value = instances.instance(draw.base_rest, content["schema"], full=True)
        content.setdefault("examples", {})[draw.name("drawn")] = {"summary": text, "value": value}
        return {"spec": "rest", "what": what, "path": p, "method": m, "status": code}
    return {"spec": "rest", "what": what, "path": path, "method": method}


# --- AsyncAPI, more shapes ---------------------------------------------------------------------


def _event_field(draw: Draw, schema: dict[str, Any], base: str) -> dict[str, Any]:
    payload = draw.choice(_payloads(draw.base_events))
    return {"spec": "events", **_add_field(draw, draw.events, payload, schema, base)}


def kind_asyncapi_literal_channel(draw: Draw) -> dict[str, Any]:
    """A new channel with a fixed address of its own (no parameter), its operation and message."""
    added = _new_message(draw, None)
    channel = draw.events["channels"][added["channel"]]
    channel["address"] = f"/hooks/runs-{draw.tag}"
    del channel["parameters"]
    channel["description"] = "Run events at a fixed path."
    return added


def kind_asyncapi_message_headers(draw: Draw) -> dict[str, Any]:
    """A header schema on an existing message (or on a new one)."""
    headers = {
        "type": "object",
        "properties": {
            f"X-Amp-{draw.tag.capitalize()}-Event": {"type": "string"},
            "X-Amp-Delivery": {"type": "string", "format": "uuid"},
        },
    }
    if draw.choice([True, False]):
        added = _new_message(draw, None)
        draw.events["components"]["messages"][added["message"]]["headers"] = headers
        return {**added, "headers": sorted(headers["properties"])}
    messages = sorted(draw.base_events.get("components", {}).get("messages", {}))
    name = draw.choice(messages)
    message = draw.events["components"]["messages"][name]
    message["headers"] = headers
    payload = message["payload"]["$ref"].rsplit("/", 1)[-1]
    return {"spec": "events", "message": message.get("name", name), "payload": payload, "existing": True}


def kind_asyncapi_ref_field(draw: Draw) -> dict[str, Any]:
    """A new payload field that refers (``$ref``) to a new component schema, perhaps nullable:
    an object, an ``allOf`` of objects, or an enum, the last two without a ``type`` of their own
    (a nullable reference to one of those once made models that did not import)."""
    shape = draw.choice(["object", "all-of", "enum"])
    name = draw.camel("Currency" if shape == "enum" else "Cost")
    lines = {
        "type": "array",
        "items": {"type": "object", "properties": {"what": {"type": "string"}}},
    }
    if shape == "enum":
        component: dict[str, Any] = {"enum": ["USD", "EUR"]}
    elif shape == "all-of":
        component = {
            "allOf": [
                {"type": "object", "required": ["amount"], "properties": {"amount": {"type": "number"}}},
                {"properties": {"currency": {"type": "string", "enum": ["USD", "EUR"]}, "lines": lines}},
            ]
        }
    else:
        component = {
            "type": "object",
            "required": ["amount"],
            "properties": {
                "amount": {"type": "number"},
                "currency": {"type": "string", "enum": ["USD", "EUR"]},
                "lines": lines,
            },
        }
    _schemas(draw.events)[name] = component
    ref = {"$ref": f"#/components/schemas/{name}"}
    nullable = draw.choice(["", "anyOf", "oneOf"])
    schema = {nullable: [ref, {"type": "null"}]} if nullable else ref
    base = "currency" if shape == "enum" else "cost"
    return {**_event_field(draw, schema, base), "component": name, "shape": shape, "nullable": bool(nullable)}


def kind_asyncapi_oneof_payload(draw: Draw) -> dict[str, Any]:
    """A new message whose payload is one of two new component schemas (inline ``oneOf``)."""
    first, second = draw.camel("RunStarted"), draw.camel("RunSkipped")
    _schemas(draw.events)[first] = {
        "type": "object",
        "required": ["kickoff_id", "started_at"],
        "properties": {
            "kickoff_id": {"type": "string"},
            "started_at": {"type": "string", "format": "date-time"},
        },
    }
    _schemas(draw.events)[second] = {
        "type": "object",
        "required": ["kickoff_id", "reason"],
        "properties": {
            "kickoff_id": {"type": "string"},
            "reason": {"type": "string"},
            "retry": {"type": "boolean"},
        },
    }
    message = draw.camel("RunChange")
    draw.events.setdefault("components", {}).setdefault("messages", {})[message] = {
        "name": message,
        "title": "A run started or was skipped",
        "contentType": "application/json",
        "payload": {
            "oneOf": [{"$ref": f"#/components/schemas/{first}"}, {"$ref": f"#/components/schemas/{second}"}]
        },
    }
    channel = f"runChange{draw.tag.capitalize()}Events"
    draw.events.setdefault("channels", {})[channel] = {
        "address": f"{{{channel}Url}}",
        "parameters": {f"{channel}Url": {"description": "Where these events go."}},
        "messages": {message: {"$ref": f"#/components/messages/{message}"}},
    }
    draw.events.setdefault("operations", {})[draw.camel("receiveRunChange")] = {
        "action": "receive",
        "channel": {"$ref": f"#/channels/{channel}"},
    }
    return {"spec": "events", "message": message, "members": [first, second], "channel": channel}


def kind_asyncapi_format_field(draw: Draw) -> dict[str, Any]:
    """A new event field with a format (date-time, uuid, uri, date)."""
    return _event_field(draw, {"type": "string", "format": draw.choice(list(FORMATS))}, "seen")


def kind_asyncapi_nested_array(draw: Draw) -> dict[str, Any]:
    """A new event field: an array of objects, each holding an array of objects."""
    schema = {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string"},
                "calls": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"tool": {"type": "string"}, "ms": {"type": "integer", "minimum": 0}},
                    },
                },
            },
        },
    }
    return _event_field(draw, schema, "agents")


def kind_asyncapi_awkward_name(draw: Draw) -> dict[str, Any]:
    """A new event field named with a Python keyword or a dash."""
    payload = draw.choice(_payloads(draw.base_events))
    name = _awkward(draw, set(_schemas(draw.events)[payload].get("properties", {})))
    schema = dict(draw.choice([{"type": "string"}, {"type": "integer"}, {"type": "boolean"}]))
    _schemas(draw.events)[payload].setdefault("properties", {})[name] = schema
    return {"spec": "events", "model": payload, "field": name, "schema": schema}


GRAMMAR: dict[str, Kind] = {
    "rest-get-operation": kind_get_operation,
    "rest-post-operation": kind_post_operation,
    "rest-path-parameters": kind_path_parameters,
    "rest-query-parameter": kind_query_parameter,
    "rest-header-parameter": kind_header_parameter,
    "rest-nested-object": kind_nested_object,
    "rest-array-of-objects": kind_array_of_objects,
    "rest-nullable-union": kind_nullable_union,
    "rest-format-field": kind_format_field,
    "rest-random-field": kind_random_field,
    "rest-enum-value": kind_rest_enum_value,
    "rest-status-variant": kind_status_variant,
    "rest-error-response": kind_error_response,
    "rest-deprecated": kind_deprecated,
    "asyncapi-message": kind_asyncapi_message,
    "asyncapi-second-message": kind_asyncapi_second_message,
    "asyncapi-field": kind_asyncapi_field,
    "asyncapi-enum-value": kind_asyncapi_enum_value,
    "rest-upstream-overlap": kind_upstream_overlap,
    "rest-component-ref": kind_component_ref,
    "rest-allof-field": kind_allof_field,
    "rest-oneof-field": kind_oneof_field,
    "rest-map-field": kind_map_field,
    "rest-numeric-field": kind_numeric_field,
    "rest-constrained-field": kind_constrained_field,
    "rest-read-write-only": kind_read_write_only,
    "rest-awkward-name": kind_awkward_name,
    "rest-shared-enum": kind_shared_enum,
    "rest-array-response": kind_array_response,
    "rest-required-request-body": kind_required_request_body,
    "rest-api-key-operation": kind_api_key_operation,
    "rest-text-content": kind_text_content,
    "rest-response-header": kind_response_header,
    "rest-docs-only": kind_docs_only,
    "asyncapi-literal-channel": kind_asyncapi_literal_channel,
    "asyncapi-message-headers": kind_asyncapi_message_headers,
    "asyncapi-ref-field": kind_asyncapi_ref_field,
    "asyncapi-oneof-payload": kind_asyncapi_oneof_payload,
    "asyncapi-format-field": kind_asyncapi_format_field,
    "asyncapi-nested-array": kind_asyncapi_nested_array,
    "asyncapi-awkward-name": kind_asyncapi_awkward_name,
}


def plan(seed: int, count: int) -> list[str]:
    """The kinds of a run's updates: shuffled rounds of the grammar, so every kind comes up
    once per len(GRAMMAR) updates."""
    rng = random.Random(seed)
    kinds: list[str] = []
    while len(kinds) < count:
        round_ = sorted(GRAMMAR)
        rng.shuffle(round_)
        kinds.extend(round_)
    return kinds[:count]


@dataclass
class Update:
    seed: int
    index: int
    kind: str
    added: dict[str, Any] = field(default_factory=dict)
    patch: dict[str, Any] = field(default_factory=dict)  # JSON pointer -> what it added or changed

    @property
    def replay(self) -> str:
        return f"nox -s evolution -- --seed {self.seed} --updates {self.index + 1} --only {self.index}"

    def describe(self) -> str:
        return (
            f"update {self.index} of seed {self.seed}: {self.kind}\n"
            f"  replay alone: {self.replay}\n"
            f"  patch: {json.dumps(self.patch, indent=2, sort_keys=True)}"
        )


def changes(before: Any, after: Any, at: str = "") -> dict[str, Any]:
    """JSON pointer -> new value, for everything ``after`` adds to or changes in ``before``."""
    if isinstance(before, dict) and isinstance(after, dict):
        out: dict[str, Any] = {}
        for key, value in after.items():
            where = f"{at}/{str(key).replace('~', '~0').replace('/', '~1')}"
            out.update(changes(before[key], value, where) if key in before else {where: value})
        return out
    if isinstance(before, list) and isinstance(after, list) and after[: len(before)] == before:
        return {f"{at}/{len(before) + i}": v for i, v in enumerate(after[len(before) :])}
    return {} if before == after else {at or "/": after}


def apply_updates(
    seed: int,
    indexes: list[int],
    rest: Spec,
    events: Spec,
    kinds: list[str],
    base: tuple[Spec, Spec] | None = None,
    overlays: list[Spec] | None = None,
) -> list[Update]:
    """Apply the updates ``indexes`` of a run (``kinds`` is its plan) to the documents, in order.
    Choices are made among ``base`` (the specs before any update, the fixed cases left out;
    default: the documents as given) and the spec ``overlays``, so an update draws the same
    alone as in a batch."""
    base_rest, base_events = copy.deepcopy(base) if base else (copy.deepcopy(rest), copy.deepcopy(events))
    done = []
    for index in indexes:
        before = {"rest": copy.deepcopy(rest), "events": copy.deepcopy(events)}
        rng = random.Random(f"{seed}:{index}")
        draw = Draw(rest, events, base_rest, base_events, rng, f"u{index}", list(overlays or []))
        update = Update(seed, index, kinds[index], GRAMMAR[kinds[index]](draw))
        update.patch = changes(before, {"rest": rest, "events": events})
        done.append(update)
    return done
