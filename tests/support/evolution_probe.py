"""Did each additive update reach the users of the wheel built from the updated specs?

Run by test_evolution_flow.py inside the venv holding that wheel:
``python evolution_probe.py SPECS_DIR ADDED_JSON``. ADDED_JSON holds the fixed cases (kind ->
what it added) and the drawn updates (a list of {index, kind, added}). Prints one JSON object,
case -> "ok" or "FAIL: why". Each probe goes through the public API a user would use (the
generated client, the hand-written AmpClient, the emulator, parse_event), knowing the change
only from ADDED_JSON; instances come from the shipped schemas (support.instances).
"""

from __future__ import annotations

import enum
import http.server
import importlib
import inspect
import json
import re
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: `support` is importable
from support import instances

Probe = Callable[[dict[str, Any]], None]
PROBES: dict[str, Probe] = {}


def probe(kind: str) -> Callable[[Probe], Probe]:
    def register(function: Probe) -> Probe:
        PROBES[kind] = function
        return function

    return register


@contextmanager
def answering(
    body: Any,
    status: int = 200,
    headers: dict[str, str] | None = None,
    seen: list[Any] | None = None,
    content_type: str = "application/json",
) -> Iterator[str]:
    """A 127.0.0.1 server answering every request with ``body`` as JSON (as it is, if
    ``content_type`` is not JSON) and ``status``, ``headers``, recording (method, path with query,
    headers) in ``seen``; yields its base URL."""
    payload = json.dumps(body).encode() if content_type == "application/json" else str(body).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            if seen is not None:
                seen.append((self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(payload)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@probe("operation")
def _operation(added: dict[str, Any]) -> None:
    from crewai_amp_api import AuthenticatedClient

    module = importlib.import_module(added["module"])
    with answering(added["example"]) as url:
        client = AuthenticatedClient(base_url=url, token="t")
        response = module.sync_detailed("run-1", client=client)
    assert response.status_code == 200, response
    assert response.parsed.to_dict() == added["example"], response.parsed


@probe("status-variant")
def _status_variant(added: dict[str, Any]) -> None:
    from crewai_amp import AmpClient

    models = importlib.import_module("crewai_amp_api.models")
    assert getattr(models, added["model"]).from_dict(added["example"]).to_dict() == added["example"]
    with answering(added["example"]) as url, AmpClient(base_url=url, token="t") as client:
        status = client.status("k-1")
    assert getattr(status, added["property"]) == added["value"], status


def _emulator_kickoff(field: str, value: Any, dialect: str = "spec") -> httpx.Response:
    from crewai_amp import AmpClient
    from crewai_amp.testing import AmpEmulator

    # webhook_hosts=(): a drawn value may name any host; no delivery leaves the machine.
    with AmpEmulator(scale=0.01, dialect=dialect, webhook_hosts=()) as amp:  # type: ignore[arg-type]
        with AmpClient(base_url=amp.base_url, token=amp.token) as client:
            names = client.inputs()
        body = {"inputs": {name: "x" for name in names}, field: value}
        return httpx.post(
            f"{amp.base_url}/kickoff", json=body, headers={"authorization": f"Bearer {amp.token}"}, timeout=30
        )


@probe("request-field")
def _request_field(added: dict[str, Any]) -> None:
    models = importlib.import_module("crewai_amp_api.models")
    model = getattr(models, added["model"])
    assert added["field"] in inspect.signature(model).parameters, "the generated model lacks the field"
    accepted = _emulator_kickoff(added["field"], added["value"])
    assert accepted.status_code == 200, f"emulator answered {accepted.status_code}: {accepted.text[:200]}"
    refused = _emulator_kickoff(added["field"], 12345)
    assert 400 <= refused.status_code < 500, f"a wrong type got {refused.status_code}: {refused.text[:200]}"


@probe("response-field")
def _response_field(added: dict[str, Any]) -> None:
    from crewai_amp import AmpClient
    from crewai_amp.testing import AmpEmulator

    models = importlib.import_module("crewai_amp_api.models")
    for model_name, field in added["fields"].items():
        assert field in inspect.signature(getattr(models, model_name)).parameters, (model_name, field)
    with AmpEmulator(scale=0.01) as amp, AmpClient(base_url=amp.base_url, token=amp.token) as client:
        names = client.inputs()
        result = client.run({name: "x" for name in names}, timeout=60)
    assert result.status == "completed", result


@probe("enum-value")
def _enum_value(added: dict[str, Any]) -> None:
    from crewai_amp.webhooks import parse_event

    spec = yaml.safe_load((SPECS / "crewai-amp-webhooks.asyncapi.yml").read_text("utf-8"))
    payload = instances.instance(spec, {"$ref": f"#/components/schemas/{added['schema']}"}, full=True)
    node = payload
    for key in added["path"][:-1]:
        node = node[key]
    node[added["path"][-1]] = added["value"]
    event = parse_event(json.dumps(payload))
    dumped = event.model_dump(by_alias=True, mode="json")
    for key in added["path"]:
        dumped = dumped[key]
    assert dumped == added["value"], dumped


@probe("query-parameter")
def _query_parameter(added: dict[str, Any]) -> None:
    api = importlib.import_module("crewai_amp_api.api")
    import pkgutil

    for tag in pkgutil.iter_modules(api.__path__):
        for op in pkgutil.iter_modules(importlib.import_module(f"crewai_amp_api.api.{tag.name}").__path__):
            module = importlib.import_module(f"crewai_amp_api.api.{tag.name}.{op.name}")
            if added["name"] in inspect.signature(module.sync_detailed).parameters:
                return
    raise AssertionError(f"no generated operation takes {added['name']!r}")


@probe("asyncapi-message")
def _message_model(added: dict[str, Any]) -> None:
    events = importlib.import_module("crewai_amp_events")
    model = getattr(events, added["payload"])
    assert model.model_validate(added["example"]).model_dump(by_alias=True, mode="json") == added["example"]


@probe("asyncapi-message-parse")
def _message_parse(added: dict[str, Any]) -> None:
    from crewai_amp.webhooks import parse_message

    event = parse_message(json.dumps(added["example"]), added["message"])
    assert type(event).__name__ == added["payload"], type(event).__name__


SPECS = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("specs")


# --- the drawn updates: generic probes by what they add ------------------------------------------

DRAWN: dict[str, Probe] = {}


def drawn(*kinds: str) -> Callable[[Probe], Probe]:
    def register(function: Probe) -> Probe:
        for kind in kinds:
            DRAWN[kind] = function
        return function

    return register


def shipped_rest() -> dict[str, Any]:
    from importlib import resources

    document: dict[str, Any] = json.loads(
        resources.files("crewai_amp_api").joinpath("openapi.json").read_text("utf-8")
    )
    return document


def shipped_events() -> dict[str, Any]:
    from importlib import resources

    document: dict[str, Any] = json.loads(
        resources.files("crewai_amp_events").joinpath("events.schema.json").read_text("utf-8")
    )
    return document


def snake(name: str) -> str:
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name))
    return re.sub(r"[^0-9a-zA-Z]+", "_", words).strip("_").lower()


def round_trips(model: Any, value: dict[str, Any]) -> Any:
    parsed = model.from_dict(value)
    again = model.from_dict(parsed.to_dict())
    assert again == parsed, (value, parsed.to_dict())
    assert set(parsed.to_dict()) >= set(value), (value, parsed.to_dict())
    return parsed


@drawn(
    "rest-nested-object",
    "rest-array-of-objects",
    "rest-nullable-union",
    "rest-format-field",
    "rest-random-field",
    "rest-component-ref",
    "rest-allof-field",
    "rest-oneof-field",
    "rest-map-field",
    "rest-numeric-field",
    "rest-constrained-field",
    "rest-read-write-only",
)
def _rest_field(added: dict[str, Any]) -> None:
    models = importlib.import_module("crewai_amp_api.models")
    model = getattr(models, added["model"])
    assert snake(added["field"]) in inspect.signature(model).parameters, "the generated model lacks the field"
    document = shipped_rest()
    value = instances.instance(document, {"$ref": f"#/components/schemas/{added['model']}"}, full=True)
    assert added["field"] in value
    parsed = round_trips(model, value)
    assert added["field"] in parsed.to_dict()
    if added["model"] == "KickoffRequest":  # the emulator takes it, and refuses a wrong one
        field_value = value[added["field"]]
        accepted = _emulator_kickoff(added["field"], field_value)
        assert accepted.status_code == 200, f"emulator answered {accepted.status_code}: {accepted.text[:300]}"
        wrong = instances.wrong_value(
            document, document["components"]["schemas"]["KickoffRequest"]["properties"][added["field"]]
        )
        refused = _emulator_kickoff(added["field"], wrong)
        assert 400 <= refused.status_code < 500, (
            f"a wrong value got {refused.status_code}: {refused.text[:300]}"
        )


def python_value(schema: dict[str, Any], value: Any) -> Any:
    """A drawn JSON value as the generated client takes it (a uuid as UUID, a date-time as datetime)."""
    import datetime
    import uuid

    from dateutil.parser import isoparse

    fmt = schema.get("format")
    if isinstance(schema.get("enum"), list):  # the generated Enum whose values these are
        models = importlib.import_module("crewai_amp_api.models")
        for name in dir(models):
            candidate = getattr(models, name)
            is_enum = isinstance(candidate, type) and issubclass(candidate, enum.Enum)
            if is_enum and {member.value for member in candidate} == set(schema["enum"]):
                return candidate(value)
    if isinstance(value, str) and fmt == "uuid":
        return uuid.UUID(value)
    if isinstance(value, str) and fmt == "date-time":
        return isoparse(value)
    if isinstance(value, str) and fmt == "date":
        return datetime.date.fromisoformat(value)
    return value


def operation_of(path: str, method: str) -> tuple[dict[str, Any], Any]:
    document = shipped_rest()
    op = document["paths"][path][method]
    tag = (op.get("tags") or ["default"])[0]
    return op, importlib.import_module(f"crewai_amp_api.api.{snake(tag)}.{snake(op['operationId'])}")


def call(
    path: str,
    method: str,
    *,
    status: int = 200,
    answer: Any = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
    content_type: str = "application/json",
) -> tuple[Any, list[Any]]:
    """Call an operation through the generated client with drawn arguments against a server
    answering ``answer`` (default: a drawn 200 body); returns (response, requests seen)."""
    from crewai_amp_api import AuthenticatedClient

    document = shipped_rest()
    op, module = operation_of(path, method)
    kwargs: dict[str, Any] = {}
    for param in op.get("parameters", []):
        param = instances.resolve(document, param)
        if param.get("required") or param.get("in") == "path":
            schema = param.get("schema", {"type": "string"})
            value = instances.instance(document, schema)
            if param.get("in") == "path" and isinstance(value, str) and not value:
                value = "p-1"
            kwargs[snake(param["name"])] = python_value(instances.resolve(document, schema), value)
    body = op.get("requestBody", {}).get("content", {}).get("application/json")
    if body:
        ref = body["schema"]["$ref"].rsplit("/", 1)[-1]
        kwargs["body"] = getattr(importlib.import_module("crewai_amp_api.models"), ref).from_dict(
            instances.instance(document, body["schema"], full=True)
        )
    kwargs.update(extra or {})
    if answer is None:
        content = op["responses"].get("200", {}).get("content", {}).get("application/json")
        answer = instances.instance(document, content["schema"], full=True) if content else {}
    seen: list[Any] = []
    with answering(answer, status, headers, seen, content_type) as url:
        client = AuthenticatedClient(base_url=url, token="t")
        response = module.sync_detailed(client=client, **kwargs)
    return response, seen


@drawn(
    "rest-get-operation",
    "rest-post-operation",
    "rest-path-parameters",
    "rest-required-request-body",
    "rest-api-key-operation",
)
def _new_operation(added: dict[str, Any]) -> None:
    models = importlib.import_module("crewai_amp_api.models")
    document = shipped_rest()
    answer = instances.instance(document, {"$ref": f"#/components/schemas/{added['model']}"}, full=True)
    response, seen = call(added["path"], added["method"], answer=answer)
    assert response.status_code == 200, response
    assert type(response.parsed).__name__ == added["model"], response.parsed
    assert response.parsed == getattr(models, added["model"]).from_dict(answer)
    assert seen[0][0] == added["method"].upper()


@drawn("rest-query-parameter", "rest-header-parameter")
def _new_parameter(added: dict[str, Any]) -> None:
    document = shipped_rest()
    op, module = operation_of(added["path"], added["method"])
    name = snake(added["parameter"])
    assert name in inspect.signature(module.sync_detailed).parameters, f"no {name} parameter"
    param = next(p for p in op["parameters"] if p.get("name") == added["parameter"])
    value = instances.instance(
        document,
        {**param["schema"], "minLength": 1}
        if param["schema"].get("type") == "string"
        and "enum" not in param["schema"]
        and "format" not in param["schema"]
        else param["schema"],
    )
    response, seen = call(added["path"], added["method"], extra={name: python_value(param["schema"], value)})
    assert response.status_code == 200
    _, target, headers = seen[0]
    if added["in"] == "query":
        assert f"{added['parameter']}=" in target, target
    else:
        assert added["parameter"].lower() in headers, headers


@drawn("rest-enum-value")
def _rest_enum_value(added: dict[str, Any]) -> None:
    models = importlib.import_module("crewai_amp_api.models")
    document = shipped_rest()
    model = getattr(models, added["model"])
    value = instances.instance(document, {"$ref": f"#/components/schemas/{added['model']}"}, full=True)
    value[added["path"][0]] = added["value"]
    parsed = model.from_dict(value)
    field_value = getattr(parsed, snake(added["path"][0]))
    assert field_value == added["value"] and type(field_value).__name__ != "UnknownEnumValue", field_value
    assert parsed.to_dict()[added["path"][0]] == added["value"]


@drawn("rest-status-variant")
def _rest_status_variant(added: dict[str, Any]) -> None:
    from crewai_amp import AmpClient

    models = importlib.import_module("crewai_amp_api.models")
    document = shipped_rest()
    value = instances.instance(document, {"$ref": f"#/components/schemas/{added['model']}"}, full=True)
    round_trips(getattr(models, added["model"]), value)
    if added["union"] == "StatusResponse":
        with answering(value) as url, AmpClient(base_url=url, token="t") as client:
            status = client.status("k-1")
        assert getattr(status, added["property"]) == added["value"], status


@drawn("rest-error-response")
def _rest_error_response(added: dict[str, Any]) -> None:
    document = shipped_rest()
    op, _ = operation_of(added["path"], added["method"])
    schema = op["responses"][added["status"]]["content"]["application/json"]["schema"]
    body = instances.instance(document, schema, full=True)
    response, _ = call(
        added["path"],
        added["method"],
        status=int(added["status"]),
        answer=body,
        headers={added["header"]: "7"},
    )
    assert response.status_code == int(added["status"])
    assert response.headers[added["header"]] == "7"
    assert response.parsed is not None and type(response.parsed).from_dict(body) == response.parsed, (
        response.parsed
    )


@drawn("rest-deprecated")
def _rest_deprecated(added: dict[str, Any]) -> None:
    document = shipped_rest()
    if added["what"] == "operation":
        op, _module = operation_of(added["path"], added["method"])
        assert op.get("deprecated") is True
        response, _ = call(added["path"], added["method"])
        assert response.status_code == 200  # still generated and callable
    else:
        models = importlib.import_module("crewai_amp_api.models")
        value = instances.instance(document, {"$ref": f"#/components/schemas/{added['model']}"}, full=True)
        round_trips(getattr(models, added["model"]), value)


@drawn("asyncapi-message", "asyncapi-second-message", "asyncapi-literal-channel")
def _asyncapi_message(added: dict[str, Any]) -> None:
    from crewai_amp.webhooks import parse_event, parse_message

    document = shipped_events()
    payload = instances.instance(document, {"$ref": f"#/$defs/{added['payload']}"}, full=True)
    body = json.dumps(payload)
    assert type(parse_message(body, added["message"])).__name__ == added["payload"]
    channel = added["channel"].removesuffix("Events")
    assert parse_event(body, channel=channel) is not None  # type: ignore[arg-type]
    model = getattr(importlib.import_module("crewai_amp_events"), added["payload"])
    assert model.model_validate(
        model.model_validate(payload).model_dump(by_alias=True, mode="json")
    ) == model.model_validate(payload)
    # kickoff_id is an opaque string on every message, new ones included (the overlay rule).
    assert (
        model.model_validate({**payload, "kickoff_id": "abcd1234-not-a-uuid"}).kickoff_id
        == "abcd1234-not-a-uuid"
    )


@drawn("asyncapi-field", "asyncapi-ref-field", "asyncapi-format-field", "asyncapi-nested-array")
def _asyncapi_field(added: dict[str, Any]) -> None:
    from crewai_amp.webhooks import parse_message

    document = shipped_events()
    model = getattr(importlib.import_module("crewai_amp_events"), added["model"])
    assert added["field"] in model.model_fields, sorted(model.model_fields)
    payload = instances.instance(document, {"$ref": f"#/$defs/{added['model']}"}, full=True)
    assert added["field"] in payload
    messages = importlib.import_module("crewai_amp_events.registry").MESSAGES
    name = next(n for n, m in messages.items() if m is model)
    event = parse_message(json.dumps(payload), name)
    assert added["field"] in event.model_dump(by_alias=True, mode="json", exclude_unset=True)


@drawn("asyncapi-enum-value")
def _asyncapi_enum_value(added: dict[str, Any]) -> None:
    model = getattr(importlib.import_module("crewai_amp_events"), added["schema"])
    document = shipped_events()
    payload = instances.instance(document, {"$ref": f"#/$defs/{added['schema']}"}, full=True)
    node = payload
    for key in added["path"][:-1]:
        node = node[key]
    node[added["path"][-1]] = added["value"]
    event: Any = model.model_validate(payload)
    for key in added["path"]:
        event = getattr(event, key)
    assert event == added["value"] and type(event) is not str, (event, type(event))  # a known member now


@drawn("rest-upstream-overlap")
def _upstream_overlap(added: dict[str, Any]) -> None:
    document = shipped_rest()
    schema = document["components"]["schemas"][added["model"]]["properties"][added["field"]]
    # A value only the overlay's definition allows (basic auth where upstream says bearer only).
    witness = instances.instance({}, added["overlay_only"], full=True)
    assert not instances.validator({}, added["upstream"]).is_valid(witness), (
        "upstream's narrower form takes it too"
    )
    instances.validator(document, schema).validate(witness)  # the overlay won: the SDK's spec takes it
    models = importlib.import_module("crewai_amp_api.models")
    whole = instances.instance(document, {"$ref": f"#/components/schemas/{added['model']}"})
    round_trips(getattr(models, added["model"]), {**whole, added["field"]: witness})
    if added["model"] == "KickoffRequest":  # and so does the emulator, in both dialects
        for dialect in ("spec", "observed"):
            accepted = _emulator_kickoff(added["field"], witness, dialect)
            assert accepted.status_code == 200, f"{dialect}: {accepted.status_code}: {accepted.text[:300]}"


@drawn("rest-shared-enum")
def _rest_shared_enum(added: dict[str, Any]) -> None:
    models = importlib.import_module("crewai_amp_api.models")
    document = shipped_rest()
    values = document["components"]["schemas"][added["component"]]["enum"]
    classes = set()
    for field in added["fields"]:
        _rest_field(field)
        model = getattr(models, field["model"])
        whole = instances.instance(document, {"$ref": f"#/components/schemas/{field['model']}"}, full=True)
        for value in values:
            parsed = round_trips(model, {**whole, field["field"]: value})
            assert parsed.to_dict()[field["field"]] == value
            classes.add(type(getattr(parsed, snake(field["field"]))))
    assert len(classes) == 1, f"one enum type for both fields, got {classes}"


def _attribute_of(model: Any, whole: dict[str, Any], name: str) -> str:
    """The attribute a generated attrs model keeps JSON property ``name`` in (whatever the
    generator's naming rule): the one that changes when the property is left out."""
    import attrs

    with_it = model.from_dict(whole)
    without = model.from_dict({k: v for k, v in whole.items() if k != name})
    changed = [f.name for f in attrs.fields(model) if getattr(with_it, f.name) != getattr(without, f.name)]
    assert len(changed) == 1, f"{name!r} changed {changed}"
    return changed[0]


@drawn("rest-awkward-name")
def _rest_awkward_name(added: dict[str, Any]) -> None:
    models = importlib.import_module("crewai_amp_api.models")
    model = getattr(models, added["model"])
    document = shipped_rest()
    value = instances.instance(document, {"$ref": f"#/components/schemas/{added['model']}"}, full=True)
    assert added["field"] in value
    parsed = round_trips(model, value)
    attribute = _attribute_of(model, value, added["field"])
    assert attribute != "additional_properties", "kept as an unknown field"
    assert getattr(parsed, attribute) == value[added["field"]], (attribute, parsed)
    assert parsed.to_dict()[added["field"]] == value[added["field"]]
    assert added["field"] not in getattr(parsed, "additional_properties", {}), "kept as an unknown field"


@drawn("rest-array-response")
def _rest_array_response(added: dict[str, Any]) -> None:
    models = importlib.import_module("crewai_amp_api.models")
    document = shipped_rest()
    item = instances.instance(document, {"$ref": f"#/components/schemas/{added['item']}"}, full=True)
    response, seen = call(added["path"], added["method"], answer=[item, item])
    assert response.status_code == 200, response
    assert isinstance(response.parsed, list) and len(response.parsed) == 2, response.parsed
    assert response.parsed[0] == getattr(models, added["item"]).from_dict(item)
    assert seen[0][0] == "GET"


# Which AmpClient method calls each of the spec's first operations, and how.
def _amp_call(client: Any, operation_id: str) -> Callable[[], Any] | None:
    return {
        "listInputs": client.inputs,
        "kickoffCrew": lambda: client.kickoff({"topic": "x"}),
        "getKickoffStatus": lambda: client.status("k-1"),
        "resumeKickoff": lambda: client.resume("e-1", "t-1", "ok", True),
    }.get(operation_id)


@drawn("rest-text-content")
def _rest_text_content(added: dict[str, Any]) -> None:
    from crewai_amp import AmpClient
    from crewai_amp.errors import APIStatusError

    document = shipped_rest()
    status = int(added["status"])
    content = document["paths"][added["path"]][added["method"]]["responses"][added["status"]]["content"]
    assert sorted(content) == added["types"], sorted(content)
    if "application/json" in content:
        body = instances.instance(document, content["application/json"]["schema"], full=True)
        response, _ = call(added["path"], added["method"], status=status, answer=body)
        assert response.status_code == status
        assert type(response.parsed).from_dict(body) == response.parsed, response.parsed
    else:
        response, _ = call(
            added["path"], added["method"], status=status, answer="upstream down", content_type="text/plain"
        )
        assert response.status_code == status and response.parsed == "upstream down", response.parsed
    # A text answer reaches AmpClient's users as a typed status error with the text (no retry
    # loop forever: a few statuses are retried, then raised).
    with (
        answering("upstream down", status, content_type="text/plain") as url,
        AmpClient(base_url=url, token="t", max_retries=0) as client,
    ):
        method = _amp_call(client, added["operation_id"])
        if method is not None:
            try:
                method()
            except APIStatusError as exc:
                assert exc.status_code == status and "upstream down" in str(exc.body), exc
            else:
                raise AssertionError("a text error answer did not raise")


@drawn("rest-response-header")
def _rest_response_header(added: dict[str, Any]) -> None:
    op, _ = operation_of(added["path"], added["method"])
    assert added["header"] in op["responses"][added["status"]]["headers"]
    response, _ = call(
        added["path"], added["method"], status=int(added["status"]), headers={added["header"]: "41"}
    )
    assert response.status_code == int(added["status"]) and response.headers[added["header"]] == "41"
    assert response.parsed is not None


@drawn("rest-docs-only")
def _rest_docs_only(added: dict[str, Any]) -> None:
    document = shipped_rest()
    models = importlib.import_module("crewai_amp_api.models")
    if added["what"] == "property-description":
        value = instances.instance(document, {"$ref": f"#/components/schemas/{added['model']}"}, full=True)
        round_trips(getattr(models, added["model"]), value)
        return
    if added["what"] == "example":
        content = document["paths"][added["path"]][added["method"]]["responses"][added["status"]]["content"]
        schema = content["application/json"]["schema"]
        for example in content["application/json"].get("examples", {}).values():
            instances.validator(document, schema).validate(example["value"])
    response, _ = call(added["path"], added["method"])
    assert response.status_code == 200, response


@drawn("asyncapi-message-headers")
def _asyncapi_message_headers(added: dict[str, Any]) -> None:
    from crewai_amp.webhooks import parse_message

    if not added.get("existing"):
        _asyncapi_message(added)
        return
    document = shipped_events()
    payload = instances.instance(document, {"$ref": f"#/$defs/{added['payload']}"}, full=True)
    assert type(parse_message(json.dumps(payload), added["message"])).__name__ == added["payload"]


@drawn("asyncapi-oneof-payload")
def _asyncapi_oneof_payload(added: dict[str, Any]) -> None:
    from crewai_amp.webhooks import parse_event, parse_message

    document = shipped_events()
    channel = added["channel"].removesuffix("Events")
    for member in added["members"]:
        payload = instances.instance(document, {"$ref": f"#/$defs/{member}"}, full=True)
        event = parse_message(json.dumps(payload), added["message"])
        inner = getattr(event, "root", event)
        assert type(inner).__name__ == member, (type(event).__name__, type(inner).__name__)
        assert inner.model_dump(by_alias=True, mode="json", exclude_unset=True).keys() >= payload.keys()
        assert parse_event(json.dumps(payload), channel=channel) is not None  # type: ignore[arg-type]


@drawn("asyncapi-awkward-name")
def _asyncapi_awkward_name(added: dict[str, Any]) -> None:
    from crewai_amp.webhooks import parse_message

    model = getattr(importlib.import_module("crewai_amp_events"), added["model"])
    fields = {(info.alias or name): name for name, info in model.model_fields.items()}
    assert added["field"] in fields, sorted(fields)
    document = shipped_events()
    payload = instances.instance(document, {"$ref": f"#/$defs/{added['model']}"}, full=True)
    assert added["field"] in payload
    messages = importlib.import_module("crewai_amp_events.registry").MESSAGES
    name = next(n for n, m in messages.items() if m is model)
    event = parse_message(json.dumps(payload), name)
    assert getattr(event, fields[added["field"]]) == payload[added["field"]]
    assert event.model_dump(mode="json", by_alias=True)[added["field"]] == payload[added["field"]]
    assert added["field"] not in (event.model_extra or {}), "kept as an unknown field"


def _outcome(function: Probe, added: dict[str, Any]) -> str:
    try:
        function(added)
        return "ok"
    except Exception as exc:  # every case is tried; each outcome is reported
        last = traceback.extract_tb(exc.__traceback__)[-1]
        return f"FAIL: {type(exc).__name__}: {exc} (line {last.lineno})"


def main() -> None:
    added = json.loads(Path(sys.argv[2]).read_text("utf-8"))
    results: dict[str, str] = {}
    fixed = added.get("fixed", {})
    if fixed:
        fixed["asyncapi-message-parse"] = fixed["asyncapi-message"]
        for kind, function in PROBES.items():
            results[f"fixed:{kind}"] = _outcome(function, fixed[kind])
    for update in added.get("drawn", []):
        results[f"u{update['index']}:{update['kind']}"] = _outcome(DRAWN[update["kind"]], update["added"])
    print(json.dumps(results))


if __name__ == "__main__":
    main()
