"""The emulator checks requests against the spec the wheel carries, not a hand-written list:
expectations here are derived from that document (or from a patched copy of it handed to
`AmpEmulator(spec=...)`), so they hold for fields, operations and variants the spec grows."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from crewai_amp.testing import AmpEmulator, default_crew
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import instances
from support.emulator import (
    INPUTS,
    SCALE,
    client_for,
    paused_status,
    schema_validator,
    shipped_spec,
    wait_for,
)

SPEC = shipped_spec()


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    return instances.resolve(document, schema)


def json_bodies(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, resolved body schema) of every operation with a JSON body that the emulator
    implements (an operation a newer spec adds answers a clear 501 or its declared 404 until then)."""
    missing = set(AmpEmulator(spec=document, scale=SCALE).unimplemented_operations)
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            content = (
                operation.get("requestBody", {}).get("content", {}) if isinstance(operation, dict) else {}
            )
            if "application/json" in content and operation.get("operationId") not in missing:
                found.append((method.upper(), path, resolve(document, content["application/json"]["schema"])))
    return found


def minimal(schema: dict[str, Any]) -> dict[str, Any]:
    """The simplest valid body (hypothesis-jsonschema draws it from the spec)."""
    body: dict[str, Any] = instances.instance(SPEC, schema)
    return body


FIELD_CASES = [
    (method, path, name, instances.wrong_value(SPEC, prop), schema)
    for method, path, schema in json_bodies(SPEC)
    for name, prop in schema.get("properties", {}).items()
]


@pytest.fixture(scope="module")
def emulator() -> Iterator[AmpEmulator]:
    with AmpEmulator(scale=SCALE, webhook_hosts=()) as started:
        yield started


@pytest.fixture
def http(emulator: AmpEmulator) -> Iterator[httpx.Client]:
    with client_for(emulator) as client:
        yield client


def assert_error(response: httpx.Response, status: int, *, naming: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    schema_validator(SPEC, "Error").validate(body)
    if naming is not None:
        assert naming in body["error"]
        assert naming in [problem["field"] for problem in body["details"]["errors"]]
    return body


def test_every_body_field_in_the_spec_is_checked() -> None:
    # The derived cases cover every operation with a JSON body (a spec that grows one grows these).
    assert {(m, p) for m, p, _, _, _ in FIELD_CASES} == {(m, p) for m, p, _ in json_bodies(SPEC)}


@pytest.mark.parametrize(
    ("method", "path", "field", "wrong", "schema"), FIELD_CASES, ids=lambda v: str(v)[:30]
)
def test_a_wrong_type_is_400_naming_the_field(
    http: httpx.Client, method: str, path: str, field: str, wrong: Any, schema: dict[str, Any]
) -> None:
    body = {**minimal(schema), field: wrong}
    assert_error(http.request(method, path, json=body), 400, naming=field)


@pytest.mark.parametrize(("method", "path", "schema"), json_bodies(SPEC), ids=lambda v: str(v)[:30])
def test_each_missing_required_field_is_400_naming_it(
    http: httpx.Client, method: str, path: str, schema: dict[str, Any]
) -> None:
    for name in schema.get("required", []):
        body = {key: value for key, value in minimal(schema).items() if key != name}
        assert_error(http.request(method, path, json=body), 400, naming=name)


def test_a_uri_field_refuses_a_non_uri(http: httpx.Client) -> None:
    kickoff = resolve(SPEC, {"$ref": "#/components/schemas/KickoffRequest"})
    uri_fields = [
        name for name, prop in kickoff["properties"].items() if resolve(SPEC, prop).get("format") == "uri"
    ]
    for name in uri_fields:
        assert_error(http.post("/kickoff", json={"inputs": INPUTS, name: "not a url"}), 400, naming=name)


def test_a_uri_the_spec_allows_but_no_one_can_post_to_is_accepted_and_skipped(
    emulator: AmpEmulator, http: httpx.Client
) -> None:
    before = emulator.stats.webhooks_skipped
    response = http.post("/kickoff", json={"inputs": INPUTS, "crewWebhookUrl": "ftp://example.com/hook"})
    assert response.status_code == 200, response.text
    wait_for(lambda: emulator.stats.webhooks_skipped > before, what="the crew event to be skipped")


def test_unknown_path_is_a_json_404_naming_it(http: httpx.Client) -> None:
    body = assert_error(http.get("/no/such/operation"), 404)
    assert "/no/such/operation" in body["error"]


# --- a patched copy of the spec: what an additive update brings -------------------------------


def patched(change: Any) -> dict[str, Any]:
    document = copy.deepcopy(SPEC)
    change(document)
    return document


def add_optional_field(document: dict[str, Any]) -> None:
    document["components"]["schemas"]["KickoffRequest"]["properties"]["priorityHint"] = {
        "type": "object",
        "properties": {"level": {"type": "integer"}},
    }


def test_a_new_optional_field_is_accepted_and_its_wrong_type_refused() -> None:
    with AmpEmulator(spec=patched(add_optional_field), scale=SCALE) as amp, client_for(amp) as http:
        accepted = http.post("/kickoff", json={"inputs": INPUTS, "priorityHint": {"level": 3}})
        assert accepted.status_code == 200, accepted.text
        refused = http.post("/kickoff", json={"inputs": INPUTS, "priorityHint": {"level": "high"}})
        assert_error(refused, 400, naming="priorityHint.level")
        assert len(amp.kickoff_ids) == 1


def add_operations(document: dict[str, Any]) -> None:
    responses = document["paths"]["/resume"]["post"]["responses"]
    document["paths"]["/cancel/{kickoff_id}"] = {
        "post": {
            "operationId": "cancelKickoff",
            "parameters": [
                {"in": "path", "name": "kickoff_id", "required": True, "schema": {"type": "string"}}
            ],
            "responses": responses,  # declares 404, not 501
        }
    }
    document["paths"]["/metrics"] = {
        "get": {"operationId": "getMetrics", "responses": {"200": {"description": "ok"}}}
    }


def test_an_operation_the_emulator_does_not_implement_is_a_clear_501_or_its_declared_404() -> None:
    with AmpEmulator(spec=patched(add_operations), scale=SCALE) as amp, client_for(amp) as http:
        body = assert_error(http.post("/cancel/abc"), 404)
        assert "cancelKickoff" in body["error"]
        body = assert_error(http.get("/metrics"), 501)
        assert "getMetrics" in body["error"]
        # What it lacks: the two new operations, beside whatever the shipped spec has that it lacks.
        baseline = set(AmpEmulator(spec=SPEC, scale=SCALE).unimplemented_operations)
        assert set(amp.unimplemented_operations) == baseline | {"cancelKickoff", "getMetrics"}
        assert http.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401


def add_pause_variant(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    if "pending_human_input" in schemas["StatusResponse"]["discriminator"]["mapping"]:
        return
    schemas["StatusPendingHumanInput"] = {
        "type": "object",
        "required": ["status"],
        "properties": {
            "status": {"type": "string", "enum": ["pending_human_input"]},
            "task_id": {"type": "string"},
            "current_task": {"type": "string"},
            "progress": schemas["StatusRunning"]["properties"]["progress"],
        },
    }
    status = schemas["StatusResponse"]
    status["oneOf"].append({"$ref": "#/components/schemas/StatusPendingHumanInput"})
    status["discriminator"]["mapping"]["pending_human_input"] = "#/components/schemas/StatusPendingHumanInput"


def remove_pause_variant(document: dict[str, Any]) -> None:
    status = document["components"]["schemas"]["StatusResponse"]
    ref = status["discriminator"]["mapping"].pop("pending_human_input", None)
    status["oneOf"] = [branch for branch in status["oneOf"] if branch.get("$ref") != ref]


@pytest.mark.parametrize(
    "document",
    [SPEC, patched(remove_pause_variant), patched(add_pause_variant)],
    ids=["shipped", "without-pause-variant", "with-pause-variant"],
)
def test_a_review_pause_answers_what_the_spec_allows(document: dict[str, Any]) -> None:
    crew = default_crew(review=["outline"])
    with AmpEmulator(crew, spec=document, scale=SCALE) as amp, client_for(amp) as http:
        kickoff_id = http.post("/kickoff", json={"inputs": INPUTS}).json()["kickoff_id"]
        wait_for(lambda: amp.awaiting_review(kickoff_id), what="the review")
        paused = http.get(f"/status/{kickoff_id}").json()
        schema_validator(document, "StatusResponse").validate(paused)
        assert paused["status"] == paused_status(document)
        assert paused["progress"] == {"completed_tasks": 1, "total_tasks": 4}
        if paused["status"] == "pending_human_input":
            assert paused["task_id"] == "outline"


def test_a_status_body_can_be_scripted(emulator: AmpEmulator, http: httpx.Client) -> None:
    kickoff_id = http.post("/kickoff", json={"inputs": INPUTS}).json()["kickoff_id"]
    variant = {"status": "cancelled", "reason": "user request", "extra": {"n": 1}}
    emulator.script_status(kickoff_id, variant)
    assert http.get(f"/status/{kickoff_id}").json() == variant
    emulator.script_status(kickoff_id, None)
    assert http.get(f"/status/{kickoff_id}").json()["status"] != "cancelled"


# --- abuse: nothing ever 500 ---------------------------------------------------------------------

SURROGATE_BODIES = [
    b'{"inputs": {"topic": "\\ud800", "target_audience": "devs", "depth": "short"}}',
    b'{"inputs": {"\\udfff": "x", "topic": "AI", "target_audience": "devs", "depth": "short"}}',
    b'{"inputs": {"topic": "AI", "target_audience": "devs", "depth": "short"}, "meta": {"k": "a\\uDC80b"}}',
]


@pytest.mark.parametrize("content", SURROGATE_BODIES, ids=range(len(SURROGATE_BODIES)))
def test_lone_surrogates_are_refused_with_400(
    emulator: AmpEmulator, http: httpx.Client, content: bytes
) -> None:
    started = len(emulator.kickoff_ids)
    response = http.post("/kickoff", content=content, headers={"content-type": "application/json"})
    body = assert_error(response, 400)
    assert "surrogate" in body["error"]
    assert len(emulator.kickoff_ids) == started


def test_a_lone_surrogate_in_a_resume_is_refused(http: httpx.Client) -> None:
    content = b'{"execution_id": "x", "task_id": "t", "human_feedback": "\\ud83d", "is_approve": true}'
    assert_error(http.post("/resume", content=content, headers={"content-type": "application/json"}), 400)


def test_a_paired_surrogate_escape_is_ordinary_text(http: httpx.Client) -> None:
    content = json.dumps({"inputs": {**INPUTS, "topic": "\U0001f600"}}).encode()  # \ud83d\ude00 on the wire
    assert (
        http.post("/kickoff", content=content, headers={"content-type": "application/json"}).status_code
        == 200
    )


# st.text() never draws lone surrogates: add some, so that abuse is in the mix.
TEXT = st.text() | st.sampled_from(["\ud800", "a\udfffb", "\udc80\ud800"])
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=5),
    max_leaves=12,
)
KNOWN = st.sampled_from(
    sorted({name for _, _, schema in json_bodies(SPEC) for name in schema.get("properties", {})})
)
BODIES = JSON | st.dictionaries(KNOWN | st.text(max_size=8), JSON, max_size=6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=BODIES, operation=st.sampled_from([(m, p) for m, p, _ in json_bodies(SPEC)]))
def test_no_body_ever_gets_a_server_error(http: httpx.Client, body: Any, operation: tuple[str, str]) -> None:
    method, path = operation
    # ensure_ascii: lone surrogates the text strategy draws travel as \\u escapes, as JSON allows.
    response = http.request(
        method, path, content=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )
    assert response.status_code < 500, response.text
    schema_validator(
        SPEC,
        "Error"
        if response.status_code >= 400
        else "KickoffResponse"
        if path == "/kickoff"
        else "ResumeResponse",
    ).validate(response.json())
