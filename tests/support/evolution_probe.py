"""Did each additive update reach the users of the wheel built from the updated specs?

Run by test_evolution_flow.py inside the fresh venv holding that wheel:
``python evolution_probe.py SPECS_DIR ADDED_JSON``. Prints one JSON object, kind -> "ok" or
"FAIL: why". Each probe goes through the public API a user would use (the generated client, the
hand-written AmpClient, the emulator, parse_event), knowing the change only from ADDED_JSON.
"""

from __future__ import annotations

import http.server
import importlib
import inspect
import json
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml

Probe = Callable[[dict[str, Any]], None]
PROBES: dict[str, Probe] = {}


def probe(kind: str) -> Callable[[Probe], Probe]:
    def register(function: Probe) -> Probe:
        PROBES[kind] = function
        return function

    return register


@contextmanager
def answering(body: Any) -> Iterator[str]:
    """A 127.0.0.1 server answering every request with ``body`` as JSON; yields its base URL."""
    payload = json.dumps(body).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _answer

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


def _emulator_kickoff(field: str, value: Any) -> httpx.Response:
    from crewai_amp import AmpClient
    from crewai_amp.testing import AmpEmulator

    with AmpEmulator(scale=0.01) as amp:
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


def _instance(spec: dict[str, Any], schema: dict[str, Any]) -> Any:
    """A minimal valid instance of a schema: its required properties, each minimal."""
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {name: _instance(spec, props[name]) for name in schema.get("required", []) if name in props}
    return {"integer": 1, "number": 1.5, "boolean": True, "array": [], "null": None}.get(kind, "x")


@probe("enum-value")
def _enum_value(added: dict[str, Any]) -> None:
    from crewai_amp.webhooks import parse_event

    spec = yaml.safe_load((SPECS / "crewai-amp-webhooks.asyncapi.yml").read_text("utf-8"))
    schema = spec["components"]["schemas"][added["schema"]]
    payload = _instance(spec, schema)
    node, sub = payload, schema
    for key in added["path"][:-1]:
        sub = sub["properties"][key]
        node = node.setdefault(key, _instance(spec, sub))
    node[added["path"][-1]] = added["value"]
    event = parse_event(json.dumps(payload))
    dumped = event.model_dump(mode="json")
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
    assert model.model_validate(added["example"]).model_dump(mode="json") == added["example"]


@probe("asyncapi-message-parse")
def _message_parse(added: dict[str, Any]) -> None:
    from crewai_amp.webhooks import parse_message

    event = parse_message(json.dumps(added["example"]), added["message"])
    assert type(event).__name__ == added["payload"], type(event).__name__


SPECS = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("specs")


def main() -> None:
    added = json.loads(Path(sys.argv[2]).read_text("utf-8"))
    added["asyncapi-message-parse"] = added["asyncapi-message"]
    results: dict[str, str] = {}
    for kind, function in PROBES.items():
        try:
            function(added[kind])
            results[kind] = "ok"
        except Exception as exc:  # every kind is tried; each outcome is reported
            last = traceback.extract_tb(exc.__traceback__)[-1]
            results[kind] = f"FAIL: {type(exc).__name__}: {exc} (line {last.lineno})"
    print(json.dumps(results))


if __name__ == "__main__":
    main()
