"""AMP's documented platform contract, through the sync and async clients: the platform status
body (PAUSED, progress, null progress and events, result_json, usage_metrics, the status
message of a failed run, who and where), NOT FOUND polled through a grace after the kickoff,
error bodies (missing_inputs, FastAPI detail, the errors envelope), the first request's longer
timeout, and resume() sending the kickoff's webhook URLs again. Bodies come from the public
sources' own examples (tests/fixtures/platform/contract-examples.json names them)."""

from __future__ import annotations

import copy
import json
import pickle
from collections.abc import Callable, Iterator
from typing import Any

import crewai_amp
import httpx
import pytest
from crewai_amp import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ExecutionError,
    InternalServerError,
    NotFoundError,
    RunNotFoundError,
    StatusCompleted,
    StatusError,
    StatusPendingHumanInput,
    StatusRunning,
    UnprocessableEntityError,
    WaitTimeout,
    raw_body,
)
from crewai_amp_api.models import UsageMetrics
from support import instances
from support.client import KICKOFF_ID, FakeClock, Script, async_client, call, json_response, sync_client
from support.emulator import shipped_spec
from support.paths import REPO

FACTORIES = pytest.mark.parametrize("factory", [sync_client, async_client], ids=["sync", "async"])
Factory = Callable[..., Any]
EXAMPLES: dict[str, Any] = json.loads((REPO / "tests/fixtures/platform/contract-examples.json").read_text())
STATUS = EXAMPLES["status"]
ERRORS = EXAMPLES["errors"]


def platform(state: str, **fields: Any) -> dict[str, Any]:
    """A platform-guide status body with every documented field, null unless given."""
    body: dict[str, Any] = dict.fromkeys(
        (
            "status",
            "result",
            "result_json",
            "usage_metrics",
            "progress",
            "last_event",
            "events",
            "events_count",
            "events_by_type",
            "triggered_by",
            "execution_origin",
            "last_step",
            "last_executed_task",
            "flow_id",
            "source",
        )
    )
    return {"state": state, **body, **fields}


def status_of(factory: Factory, body: Any, **kwargs: Any) -> Any:
    return call(factory(Script(json_response(body)), **kwargs), "status", KICKOFF_ID)


# --- the platform status body -----------------------------------------------------------------


@FACTORIES
@pytest.mark.parametrize("state", ["PAUSED", "paused"])
def test_paused_is_a_run_waiting_for_a_human_and_wait_polls_through_it(factory: Factory, state: str) -> None:
    paused = platform(state, last_step={"task_id": "t-2"}, last_executed_task={"name": "write_task"})
    status = status_of(factory, paused)
    assert isinstance(status, StatusPendingHumanInput)
    assert (status.task_id, status.current_task) == ("t-2", "write_task")
    script = Script(json_response(paused), json_response(platform("SUCCESS", result="done")))
    seen: list[Any] = []
    final = call(factory(script), "wait", KICKOFF_ID, on_status=seen.append)
    assert final.result.output == "done"
    assert isinstance(seen[0], StatusPendingHumanInput)


@FACTORIES
def test_crew_progress_fills_the_runs_progress(factory: Factory) -> None:
    progress = {**STATUS["live_crew_progress"], "current_agent": "Writer", "duration_seconds": 12.5}
    status = status_of(factory, platform("RUNNING", status=STATUS["live_running_message"], progress=progress))
    assert isinstance(status, StatusRunning)
    assert (status.progress.completed_tasks, status.progress.total_tasks) == (1, 2)
    assert (status.progress.unit, status.progress.completed, status.progress.total) == ("task", 1, 2)
    assert (status.progress.remaining, status.progress.current) == (1, "summary_task")
    assert (status.progress.current_agent, status.progress.duration_seconds) == ("Writer", 12.5)
    assert status.current_task == "summary_task"


@FACTORIES
def test_flow_progress_counts_steps_with_no_total(factory: Factory) -> None:
    progress = {**STATUS["live_flow_progress"], "completed": 3}
    status = status_of(factory, platform("RUNNING", progress=progress))
    assert (status.progress.unit, status.progress.completed) == ("step", 3)
    assert status.progress.total is None and status.progress.remaining is None
    # completed_tasks/total_tasks count tasks: a flow's steps are not reported as tasks.
    assert raw_body(status)["progress"] == progress


@FACTORIES
@pytest.mark.parametrize(
    "body",
    [
        platform("RUNNING"),
        platform("PENDING", status=STATUS["live_pending_message"]),
        platform("PAUSED"),
        platform("SUCCESS", result="ok"),
        STATUS["live_failed"],
        {"status": "running", "progress": None},
        {"status": "pending_human_input", "progress": None},
        {"status": "completed", "result": None, "progress": None},
    ],
    ids=[
        "running",
        "pending",
        "paused",
        "success",
        "failed",
        "spec-running",
        "spec-paused",
        "spec-completed",
    ],
)
def test_null_progress_events_last_event_and_last_step_are_fine(factory: Factory, body: Any) -> None:
    status = status_of(factory, body)
    assert not isinstance(status, (StatusError,)) or body.get("state") == "FAILED"
    assert status.progress is None
    assert raw_body(status) == body


# A null where a body has no value (the platform guide shows its fields so) is no value, in every
# shape: every optional property of every variant GET /status answers with and of every schema it
# reaches (progress, a task result, token counts...), read from the shipped spec, so a field a
# spec update adds is covered too (the status-nulls overlay is a rule over the same set).
SHIPPED = shipped_spec()
STATUS_SCHEMA = SHIPPED["paths"]["/status/{kickoff_id}"]["get"]["responses"]["200"]["content"][
    "application/json"
]["schema"]


def status_variants(schema: dict[str, Any]) -> list[str]:
    """The named object shapes of the status answer: every union (the spec's StatusResponse,
    its or ObservedStatus) opened to its members."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        resolved = instances.resolve(SHIPPED, schema)
        return status_variants(resolved) if "oneOf" in resolved else [name]
    return [name for member in schema.get("oneOf", []) for name in status_variants(member)]


def optional_paths(schema: dict[str, Any], value: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Where ``value`` (an instance of ``schema``) holds an optional property, at any depth:
    through $ref, the union member ``value`` is an instance of, and array items."""
    schema = instances.resolve(SHIPPED, schema)
    for key in ("oneOf", "anyOf", "allOf"):
        for member in schema.get(key, []):
            if key == "allOf" or instances.validator(SHIPPED, member).is_valid(value):
                yield from optional_paths(member, value, at)
    if isinstance(value, dict):
        required = schema.get("required", [])
        for name, sub in (schema.get("properties") or {}).items():
            if name in value:
                if name not in required:
                    yield (*at, name)
                yield from optional_paths(sub, value[name], (*at, name))
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            yield from optional_paths(schema["items"], item, (*at, index))


def never_null(node: Any) -> Any:
    """The document with null taken out of every union (a null type, a null member, ``nullable``):
    its full instances have every property present and set, so the walk reaches every depth."""
    if isinstance(node, list):
        return [never_null(item) for item in node if item != {"type": "null"}]
    if not isinstance(node, dict):
        return node
    out = {key: never_null(value) for key, value in node.items() if key != "nullable"}
    if isinstance(node.get("properties"), dict):
        out["properties"] = {name: never_null(sub) for name, sub in node["properties"].items()}
    if isinstance(out.get("type"), list):
        out["type"] = [kind for kind in out["type"] if kind != "null"]
    return out


def with_null(body: Any, at: tuple[Any, ...]) -> Any:
    body = copy.deepcopy(body)
    node = body
    for step in at[:-1]:
        node = node[step]
    node[at[-1]] = None
    return body


NULL_CASES: dict[str, tuple[str, dict[str, Any]]] = {}
for _variant in status_variants(STATUS_SCHEMA):
    # Every property present (full), drawn from the schema, then one optional property at a time null.
    _full = instances.instance(never_null(SHIPPED), instances.schema_ref(_variant, SHIPPED), full=True)
    assert instances.validator(SHIPPED, instances.schema_ref(_variant, SHIPPED)).is_valid(_full)
    for _at in dict.fromkeys(optional_paths(instances.schema_ref(_variant, SHIPPED), _full)):
        NULL_CASES[f"{_variant}." + ".".join(map(str, _at))] = (_variant, with_null(_full, _at))
# A platform body is read into a spec variant: a field of that variant it carries may be null too.
_OBSERVED = set(SHIPPED["components"]["schemas"]["ObservedStatus"]["properties"])
for _state, _variant in {
    "RUNNING": "StatusRunning",
    "SUCCESS": "StatusCompleted",
    "PAUSED": "StatusPendingHumanInput",
    "FAILED": "StatusError",
}.items():
    _schema = SHIPPED["components"]["schemas"][_variant]
    for _name in sorted(set(_schema["properties"]) - set(_schema.get("required", [])) - _OBSERVED):
        NULL_CASES[f"{_state}.{_name}"] = (_variant, platform(_state, **{_name: None}))


def test_the_walk_reaches_every_variant_and_the_schemas_they_reach() -> None:
    variants = {variant for variant, _ in NULL_CASES.values()}
    assert {"StatusRunning", "StatusCompleted", "StatusError", "StatusPendingHumanInput"} <= variants
    assert "ObservedStatus" in variants
    for case in (
        "StatusRunning.current_task",
        "StatusRunning.progress.completed_tasks",  # an inline object
        "StatusCompleted.result.tasks.0.agent",  # an array's item through $ref
        "StatusError.usage_metrics.total_tokens",  # a oneOf's member through $ref
        "ObservedStatus.progress.current",
    ):
        assert case in NULL_CASES, sorted(NULL_CASES)


def read_as(variant: str, status: Any) -> None:
    expected = getattr(crewai_amp, variant, None)
    assert expected is None or isinstance(status, expected), (variant, type(status))


@FACTORIES
@pytest.mark.parametrize(("variant", "body"), list(NULL_CASES.values()), ids=list(NULL_CASES))
def test_a_null_in_any_optional_field_is_no_value(
    factory: Factory, variant: str, body: dict[str, Any]
) -> None:
    status = status_of(factory, body)
    read_as(variant, status)
    assert raw_body(status) == body


@FACTORIES
@pytest.mark.parametrize(("variant", "body"), list(NULL_CASES.values()), ids=list(NULL_CASES))
def test_wait_reads_a_status_with_a_null_to_the_end(
    factory: Factory, variant: str, body: dict[str, Any]
) -> None:
    script = Script(json_response(body), json_response({"status": "completed", "result": None}))
    seen: list[Any] = []
    try:
        final = call(factory(script), "wait", KICKOFF_ID, on_status=seen.append)
    except ExecutionError as exc:  # the body was a failed run: read, and reported as such
        final = exc.status
    assert seen and raw_body(seen[0]) == body
    read_as(variant, seen[0])
    assert isinstance(final, (StatusCompleted, StatusError))


@FACTORIES
@pytest.mark.parametrize("error", [None, ""], ids=["null", "empty"])
def test_a_failed_state_with_no_error_still_says_something(factory: Factory, error: Any) -> None:
    status = status_of(factory, platform("FAILED", error=error, execution_time=None))
    assert isinstance(status, StatusError) and status.error  # the state, when nothing else


@FACTORIES
def test_result_json_is_the_output_json_and_result_the_text(factory: Factory) -> None:
    text = '{"title": "AI", "score": 0.9}'
    status = status_of(factory, platform("SUCCESS", result=text, result_json={"title": "AI", "score": 0.9}))
    assert isinstance(status, StatusCompleted)
    assert status.result.output == text
    assert status.result.output_json == {"title": "AI", "score": 0.9}


@FACTORIES
@pytest.mark.parametrize(
    "body",
    [
        platform("SUCCESS"),
        platform("SUCCESS", result=None, result_json=None),
        {"status": "completed"},
        {"status": "completed", "result": None},
        {"status": "completed", "result": {"tasks": []}},
        {"status": "SUCCESS"},
    ],
    ids=[
        "platform",
        "platform-nulls",
        "spec-no-result",
        "spec-null-result",
        "spec-no-output",
        "status-success",
    ],
)
def test_a_success_without_a_result_has_output_none(factory: Factory, body: Any) -> None:
    status = status_of(factory, body)
    assert isinstance(status, StatusCompleted)
    assert status.result.output is None
    assert status.result.output_json is None


@FACTORIES
def test_usage_metrics_are_typed_and_unknown_keys_kept(factory: Factory) -> None:
    usage = {
        "total_tokens": 120,
        "prompt_tokens": 100,
        "cached_prompt_tokens": 10,
        "completion_tokens": 20,
        "reasoning_tokens": 5,
        "cache_creation_tokens": 2,
        "successful_requests": 3,
        "cost_usd": 0.01,
    }
    status = status_of(factory, platform("SUCCESS", result="ok", usage_metrics=usage))
    assert isinstance(status.usage_metrics, UsageMetrics)
    assert (status.usage_metrics.total_tokens, status.usage_metrics.successful_requests) == (120, 3)
    assert status.usage_metrics.additional_properties == {"cost_usd": 0.01}


@FACTORIES
def test_who_and_where_fields_are_reachable(factory: Factory) -> None:
    body = platform(
        "RUNNING",
        triggered_by={"type": "service_account", "id": "sa-1"},
        execution_origin="api",
        flow_id="flow-7",
        source="memory",
        events=[{"type": "task_started"}],
        events_count=4,
        events_by_type={"task_started": 2, "task_completed": 2},
        last_event={"type": "task_started"},
        last_executed_task={
            "name": "research_task",
            "output": "x",
            "kickoff_id": KICKOFF_ID,
            "meta": {"r": 1},
        },
    )
    status = status_of(factory, body)
    assert (status.triggered_by.type_, status.triggered_by.id) == ("service_account", "sa-1")
    assert (status.execution_origin, status.flow_id, status.source) == ("api", "flow-7", "memory")
    assert (status.events_count, status.events_by_type) == (4, {"task_started": 2, "task_completed": 2})
    assert (status.events, status.last_event) == ([{"type": "task_started"}], {"type": "task_started"})
    assert (status.last_executed_task.name, status.last_executed_task.meta) == ("research_task", {"r": 1})
    assert status.additional_properties["state"] == "RUNNING"


@FACTORIES
def test_a_failed_runs_reason_is_its_status_message(factory: Factory) -> None:
    script = Script(json_response(platform("RUNNING")), json_response(STATUS["live_failed"]))
    with pytest.raises(ExecutionError) as raised:
        call(factory(script), "wait", KICKOFF_ID)
    assert raised.value.status.error == "ValueError: ..."
    assert "ValueError: ..." in str(raised.value)


# --- NOT FOUND right after a kickoff --------------------------------------------------------------

NOT_FOUND_ANSWERS = {
    "200": json_response(STATUS["live_not_found"]),
    "404": json_response(ERRORS["reference_404"], 404),
}


def kicked_then(*statuses: httpx.Response) -> Callable[[httpx.Request], httpx.Response]:
    answers = iter(statuses)
    last = statuses[-1]

    def crew(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/kickoff":
            return json_response({"kickoff_id": KICKOFF_ID})
        answer = next(answers, last)
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    return crew


@FACTORIES
@pytest.mark.parametrize("form", list(NOT_FOUND_ANSWERS))
def test_not_found_right_after_a_kickoff_is_polled_through(factory: Factory, form: str) -> None:
    missing = NOT_FOUND_ANSWERS[form]
    crew = kicked_then(missing, missing, json_response(platform("SUCCESS", result="done")))
    final = call(factory(Script(crew)), "run", {"topic": "AI"})
    assert isinstance(final, StatusCompleted) and final.result.output == "done"


@FACTORIES
@pytest.mark.parametrize("form", list(NOT_FOUND_ANSWERS))
def test_not_found_past_the_grace_raises_run_not_found_with_the_kickoff_id(
    factory: Factory, form: str
) -> None:
    clock = FakeClock()
    client = factory(Script(kicked_then(NOT_FOUND_ANSWERS[form])), clock, not_found_grace=20)
    with pytest.raises(RunNotFoundError) as raised:
        call(client, "run", {"topic": "AI"}, timeout=600)
    assert raised.value.kickoff_id == KICKOFF_ID
    assert 20 <= clock.now - 1000.0 < 30  # the grace, counted from the kickoff
    assert "human input" in str(raised.value)


@FACTORIES
def test_the_grace_counts_from_this_clients_kickoff(factory: Factory) -> None:
    clock = FakeClock()
    client = factory(Script(kicked_then(NOT_FOUND_ANSWERS["200"])), clock, not_found_grace=10)
    call(client, "kickoff", {"topic": "AI"})
    clock.now += 60  # the caller waits on the run a minute later: its grace is over
    with pytest.raises(RunNotFoundError):
        call(client, "wait", KICKOFF_ID)
    assert clock.slept == []


@FACTORIES
def test_a_per_call_grace_and_a_deadline_inside_it(factory: Factory) -> None:
    clock = FakeClock()
    script = Script(json_response(STATUS["live_not_found"]))
    with pytest.raises(WaitTimeout) as raised:
        call(factory(script, clock), "wait", KICKOFF_ID, timeout=5, not_found_grace=60)
    assert isinstance(raised.value.__cause__, RunNotFoundError)
    assert raised.value.kickoff_id == KICKOFF_ID


@FACTORIES
@pytest.mark.parametrize("form", list(NOT_FOUND_ANSWERS))
def test_status_alone_raises_not_found_at_once(factory: Factory, form: str) -> None:
    script = Script(NOT_FOUND_ANSWERS[form])
    with pytest.raises(RunNotFoundError) as raised:
        call(factory(script), "status", KICKOFF_ID)
    assert raised.value.kickoff_id == KICKOFF_ID
    assert len(script.requests) == 1


@pytest.mark.parametrize("grace", [-1, "30", True])
def test_a_bad_grace_is_refused_before_any_kickoff(grace: Any) -> None:
    from crewai_amp import ConfigurationError

    script = Script(json_response({"kickoff_id": KICKOFF_ID}))
    with pytest.raises(ConfigurationError):
        sync_client(script).run({"topic": "AI"}, not_found_grace=grace)
    assert script.requests == []
    with pytest.raises(ConfigurationError):
        sync_client(script, not_found_grace=grace)


# --- error bodies ---------------------------------------------------------------------------------


@FACTORIES
@pytest.mark.parametrize(
    ("body", "missing"),
    [
        (ERRORS["reference_422"], ["budget", "interests"]),
        (ERRORS["live_422"], ["audience", "topic"]),
        (ERRORS["reference_422_invalid_inputs_id"], []),
        ({"error": "Validation Error"}, []),
        ("plain text", []),
    ],
    ids=["documented", "live", "invalid-inputs-id", "none", "text"],
)
def test_a_422_names_the_missing_inputs(factory: Factory, body: Any, missing: list[str]) -> None:
    answer = json_response(body, 422) if isinstance(body, dict) else httpx.Response(422, text=body)
    with pytest.raises(UnprocessableEntityError) as raised:
        call(factory(Script(answer)), "kickoff", {"topic": "AI"})
    assert raised.value.missing_inputs == missing
    for text in [*(body.values() if isinstance(body, dict) else []), *missing]:
        if isinstance(text, str):
            assert text in str(raised.value)


ENVELOPE = {
    "errors": [
        {
            "type": "about:blank",
            "code": "deployment_asleep",
            "title": "Deployment unavailable",
            "status": "503",
        },
        {"code": 42, "title": "Quota", "detail": "Monthly run quota exceeded", "status": 429},
    ]
}


@FACTORIES
@pytest.mark.parametrize("code", [400, 401, 403, 409, 429, 503])
def test_the_error_envelope_gives_the_message_and_code_for_any_status(factory: Factory, code: int) -> None:
    with pytest.raises(APIStatusError) as raised:
        call(factory(Script(json_response(ENVELOPE, code)), max_retries=0), "inputs")
    error = raised.value
    assert error.code == "deployment_asleep"
    assert "Deployment unavailable" in str(error) and "Quota: Monthly run quota exceeded" in str(error)
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert (copy.code, copy.missing_inputs, str(copy)) == (error.code, [], str(error))


@FACTORIES
def test_the_platform_apis_envelope_is_read_as_documented(factory: Factory) -> None:
    # crewAIInc/crewAI docs/edge/openapi/platform-v1.yaml: {"errors": [{type, code, title, status,
    # detail}]}, status an integer and code one of bad_request/not_found/validation_error/internal_error.
    with pytest.raises(UnprocessableEntityError) as raised:
        call(factory(Script(json_response(ERRORS["platform_envelope_422"], 422))), "kickoff", {"topic": "AI"})
    assert (raised.value.code, raised.value.missing_inputs) == ("validation_error", [])
    assert "Validation error: The request is invalid." in str(raised.value)
    # A 404 to a status check in this envelope is NOT FOUND: polled through the grace, then raised.
    clock = FakeClock()
    missing = json_response(ERRORS["platform_envelope_404"], 404)
    with pytest.raises(RunNotFoundError) as not_found:
        call(factory(Script(missing), clock), "wait", KICKOFF_ID, not_found_grace=10)
    assert (not_found.value.code, not_found.value.kickoff_id) == ("not_found", KICKOFF_ID)
    assert clock.now - 1000.0 >= 10


@FACTORIES
@pytest.mark.parametrize(
    ("body", "said"),
    [
        (ERRORS["live_401_bad_token"], "Invalid or missing authentication credentials"),
        (
            {"detail": [{"loc": ["body", "executionId"], "msg": "Field required", "type": "missing"}]},
            "executionId: Field required",
        ),
        (ERRORS["reference_404"], "No execution found with ID"),
    ],
    ids=["fastapi-detail", "fastapi-problems", "message"],
)
def test_other_error_shapes_are_in_the_message(factory: Factory, body: Any, said: str) -> None:
    with pytest.raises(APIStatusError) as raised:
        call(factory(Script(json_response(body, 401))), "inputs")
    assert said in str(raised.value) and raised.value.code is None


# --- the first request ----------------------------------------------------------------------------


def test_the_first_request_gets_a_longer_read_timeout_then_the_configured_one() -> None:
    from crewai_amp import AmpClient

    script = Script(json_response({"inputs": []}))
    client = AmpClient(
        base_url="https://crew.test", token="sk-test-token", timeout=20, first_request_timeout=240
    )
    client._http._transport = httpx.MockTransport(script)
    client.inputs()
    client.inputs()
    first, second = (request.extensions["timeout"] for request in script.requests)
    assert (first["read"], first["connect"]) == (240, 20)
    assert second["read"] == 20
    assert client.first_request_timeout == 240


async def test_the_async_clients_first_request_gets_it_too() -> None:
    from crewai_amp import AsyncAmpClient

    script = Script(json_response({"inputs": []}))
    client = AsyncAmpClient(base_url="https://crew.test", token="sk-test-token")
    client._http._transport = httpx.MockTransport(script)
    await client.inputs()
    await client.inputs()
    assert [r.extensions["timeout"]["read"] for r in script.requests] == [180.0, 30.0]
    await client.close()


# --- resume ---------------------------------------------------------------------------------------

URLS = {
    "task_webhook_url": "https://hooks.test/task",
    "step_webhook_url": "https://hooks.test/step",
    "crew_webhook_url": "https://hooks.test/crew",
}
CAMEL = {
    "task_webhook_url": "taskWebhookUrl",
    "step_webhook_url": "stepWebhookUrl",
    "crew_webhook_url": "crewWebhookUrl",
}


def resume_bodies(script: Script) -> list[dict[str, Any]]:
    return [json.loads(r.content) for r in script.requests if r.url.path == "/resume"]


def crew_with_resume(answer: dict[str, Any]) -> Callable[[httpx.Request], httpx.Response]:
    def crew(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/kickoff":
            return json_response({"kickoff_id": KICKOFF_ID})
        return json_response(answer)

    return crew


@FACTORIES
def test_resume_sends_the_kickoffs_webhook_urls_again(factory: Factory) -> None:
    script = Script(crew_with_resume(EXAMPLES["resume"]["reference"]))
    client = factory(script)
    call(client, "kickoff", {"topic": "AI"}, **URLS)
    call(client, "resume", KICKOFF_ID, "t-2", "ok", True)
    call(
        client,
        "resume",
        KICKOFF_ID,
        "t-3",
        "ok",
        False,
        crew_webhook_url="https://hooks.test/new",
        step_webhook_url=None,
    )
    call(client, "resume", KICKOFF_ID, "t-4", "ok", True)
    first, second, third = resume_bodies(script)
    assert {CAMEL[k]: v for k, v in URLS.items()}.items() <= first.items()
    assert second["crewWebhookUrl"] == "https://hooks.test/new" and "stepWebhookUrl" not in second
    assert (
        third["crewWebhookUrl"] == "https://hooks.test/new"
        and third["taskWebhookUrl"] == URLS["task_webhook_url"]
    )


@FACTORIES
def test_resume_of_a_run_this_client_did_not_start_sends_only_what_is_passed(factory: Factory) -> None:
    script = Script(json_response(EXAMPLES["resume"]["reference"]))
    call(factory(script), "resume", "someone-elses-run", "t-1", "ok", True)
    (body,) = resume_bodies(script)
    assert not {"taskWebhookUrl", "stepWebhookUrl", "crewWebhookUrl"} & set(body)


@FACTORIES
@pytest.mark.parametrize("name", ["reference_resumed", "reference_retrying"])
def test_the_documented_resume_answers_parse(factory: Factory, name: str) -> None:
    # The API reference's POST /resume examples (crewAIInc/crewAI docs/edge/enterprise-api.en.yaml).
    answer = EXAMPLES["resume"][name]
    resumed = call(factory(Script(json_response(answer))), "resume", KICKOFF_ID, "research_task", "ok", False)
    assert (resumed.status, resumed.message) == (answer["status"], answer["message"])


@FACTORIES
def test_the_live_resume_answer_parses(factory: Factory) -> None:
    script = Script(crew_with_resume(EXAMPLES["resume"]["live"]))
    client = factory(script)
    call(client, "kickoff", {"topic": "AI"}, **URLS)
    resumed = call(client, "resume", KICKOFF_ID, "t-2", "ok", True)
    assert resumed.kickoff_id == "<new id>"
    call(client, "resume", "<new id>", "t-2", "ok", True)  # the run it started got the URLs too
    assert resume_bodies(script)[-1]["taskWebhookUrl"] == URLS["task_webhook_url"]


def test_the_run_memory_is_bounded() -> None:
    from crewai_amp._runs import RunMemory

    memory = RunMemory(limit=3)
    for number in range(5):
        memory.kicked(f"run-{number}", float(number), {"task_webhook_url": f"https://h.test/{number}"})
    assert len(memory) == 3
    assert memory.kicked_at("run-0") is None and memory.kicked_at("run-4") == 4.0
    assert memory.resume_urls("run-1", {}) == {}
    assert memory.resume_urls("run-3", {}) == {"task_webhook_url": "https://h.test/3"}


# --- depth ----------------------------------------------------------------------------------------


@FACTORIES
def test_a_success_nested_5000_deep_parses(factory: Factory) -> None:
    from crewai_amp import _deepjson

    deep: Any = {"task_id": "t-0"}
    for depth in range(5000):
        deep = {"step": depth, "previous": deep}
    body = platform("SUCCESS", result={"report": deep}, last_step=deep)
    answer = httpx.Response(200, content=_deepjson.dumps(body).encode())
    status = call(factory(Script(answer)), "status", KICKOFF_ID)
    assert isinstance(status, StatusCompleted)
    copy = raw_body(status)["last_step"]
    for _ in range(5000):
        copy = copy["previous"]
    assert copy == {"task_id": "t-0"}
    assert status.result.output.startswith('{"report": {"step": 4999, "previous": {"step": 4998')
    assert status.result.output_json["report"]["step"] == 4999


# --- the result, by the reading rule in every shape ------------------------------------------------


@FACTORIES
@pytest.mark.parametrize(
    ("body", "output", "output_json"),
    [
        ({"status": "completed", "result": "The report."}, "The report.", None),
        ({"status": "completed", "result": "", "result_json": {"a": 1}}, '{"a": 1}', {"a": 1}),
        (platform("SUCCESS", result="", result_json={"a": 1}), '{"a": 1}', {"a": 1}),
        (platform("SUCCESS", result="", result_json=None), "", None),
        (platform("SUCCESS", result='{"a": 1}', result_json='{"a": 1}'), '{"a": 1}', {"a": 1}),
        (platform("SUCCESS", result=None, result_json='{"a": [1, 2]}'), '{"a": [1, 2]}', {"a": [1, 2]}),
        (platform("SUCCESS", result="[1, 2]", result_json=[1, 2]), "[1, 2]", [1, 2]),
        (platform("SUCCESS", result="plain", result_json="plain"), "plain", "plain"),
        (platform("SUCCESS", result="2024", result_json="2024"), "2024", "2024"),
        (
            {"status": "completed", "result": {"output": "o"}, "result_json": '{"a": 1}'},
            "o",
            {"a": 1},
        ),
    ],
    ids=[
        "spec-status-text-result",
        "spec-status-empty-text-and-json",
        "empty-text-and-json",
        "empty-text",
        "json-text-twice",
        "json-text-only",
        "array",
        "text-json-not-json",
        "text-json-a-number",
        "spec-result-json-text",
    ],
)
def test_a_completed_runs_output_is_text_and_its_json_the_parsed_result_json(
    factory: Factory, body: Any, output: str, output_json: Any
) -> None:
    status = status_of(factory, body)
    assert isinstance(status, StatusCompleted)
    assert (status.result.output, status.result.output_json) == (output, output_json)
    assert raw_body(status) == body


@FACTORIES
def test_the_references_result_with_a_null_output_keeps_its_tasks(factory: Factory) -> None:
    tasks = [{"task_id": "research_task", "output": "x", "agent": "Researcher", "execution_time": 45.2}]
    status = status_of(factory, platform("SUCCESS", result={"output": None, "tasks": tasks}))
    assert isinstance(status, StatusCompleted)
    assert status.result.output is None and status.result.output_json is None
    assert [task.task_id for task in status.result.tasks] == ["research_task"]


@FACTORIES
@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ({"status": "running", "state": ["x"]}, StatusRunning),
        ({"status": "completed", "state": {"name": "SUCCESS"}}, StatusCompleted),
        ({"status": "running", "state": ""}, StatusRunning),
        ({"status": "Success", "state": "  "}, StatusCompleted),
    ],
    ids=["array", "object", "empty", "blank"],
)
def test_a_state_that_is_no_name_leaves_the_reading_to_the_status(
    factory: Factory, body: Any, kind: type
) -> None:
    status = status_of(factory, body)
    assert isinstance(status, kind)
    assert raw_body(status) == body


@FACTORIES
def test_a_pause_names_the_task_under_review_from_the_last_executed_task(factory: Factory) -> None:
    # A crew pauses after the task whose output awaits review: the last one it executed.
    body = platform(
        "PAUSED",
        last_executed_task={"name": "write_task", "description": "Write", "output": "draft", "meta": None},
    )
    status = status_of(factory, body)
    assert isinstance(status, StatusPendingHumanInput)
    assert (status.task_id, status.current_task) == ("write_task", "write_task")


# --- a run seen, then NOT FOUND: the live human-input pause -------------------------------------


@FACTORIES
@pytest.mark.parametrize("form", list(NOT_FOUND_ANSWERS))
def test_not_found_after_the_run_was_seen_names_the_human_input_pause_past_the_grace(
    factory: Factory, form: str
) -> None:
    clock = FakeClock()
    running = json_response(platform("RUNNING", status=STATUS["live_running_message"]))
    client = factory(Script(kicked_then(running, NOT_FOUND_ANSWERS[form])), clock, not_found_grace=20)
    seen: list[Any] = []
    with pytest.raises(RunNotFoundError) as raised:
        call(client, "run", {"topic": "AI"}, on_status=seen.append)
    error = raised.value
    assert [type(status) for status in seen] == [StatusRunning]
    assert 20 <= clock.now - 1000.0 < 30  # the grace, counted from the kickoff, as before
    assert (error.kickoff_id, error.status_code) == (KICKOFF_ID, NOT_FOUND_ANSWERS[form].status_code)
    assert "'RUNNING'" in str(error) and "waiting for human input" in str(error)
    assert isinstance(error.__cause__, RunNotFoundError)


@FACTORIES
def test_a_run_seen_then_not_found_within_the_grace_is_polled_through(factory: Factory) -> None:
    # A deployment's replicas may not agree right after a kickoff: the grace covers it.
    missing = NOT_FOUND_ANSWERS["200"]
    crew = kicked_then(json_response(platform("RUNNING")), missing, json_response(platform("SUCCESS")))
    final = call(factory(Script(crew)), "run", {"topic": "AI"}, not_found_grace=60)
    assert isinstance(final, StatusCompleted)


@FACTORIES
def test_not_found_before_the_run_is_seen_still_gets_its_grace(factory: Factory) -> None:
    missing = NOT_FOUND_ANSWERS["200"]
    script = Script(missing, missing, json_response(platform("RUNNING")), json_response(platform("SUCCESS")))
    final = call(factory(script), "wait", KICKOFF_ID, not_found_grace=60)
    assert isinstance(final, StatusCompleted) and len(script.requests) == 4


# --- a status check that keeps failing -------------------------------------------------------------


@FACTORIES
@pytest.mark.parametrize(
    "body", [ERRORS["reference_500"], ERRORS["live_500_text"]], ids=["reference", "live"]
)
def test_a_status_check_that_keeps_failing_stops_and_says_the_run_may_have_failed(
    factory: Factory, body: Any
) -> None:
    answer = json_response(body, 500) if isinstance(body, dict) else httpx.Response(500, text=body)
    script = Script(json_response(platform("RUNNING")), answer)
    with pytest.raises(InternalServerError) as raised:
        call(factory(script, max_retries=2), "wait", KICKOFF_ID)
    assert len(script.requests) == 1 + 3  # the first check, then one check and its two retries
    message = str(raised.value)
    assert "the run itself failed" in message and "logs" in message
    if isinstance(body, dict):
        assert body["message"] in message


@FACTORIES
def test_a_kickoffs_5xx_does_not_speak_of_a_run(factory: Factory) -> None:
    with pytest.raises(InternalServerError) as raised:
        call(factory(Script(json_response(ERRORS["reference_500"], 500))), "kickoff", {"topic": "AI"})
    assert "the run itself failed" not in str(raised.value)


@FACTORIES
@pytest.mark.parametrize(
    ("name", "kind", "said"),
    [
        ("reference_resume_400", BadRequestError, "Execution is not in pending human input state"),
        ("reference_resume_404", NotFoundError, "Execution ID not found"),
        ("reference_401", AuthenticationError, "Invalid or missing bearer token"),
        ("live_401_no_token", AuthenticationError, "Not authenticated"),
    ],
)
def test_a_refused_resume_says_why(factory: Factory, name: str, kind: type, said: str) -> None:
    code = {"400": 400, "404": 404}.get(name[-3:], 401)
    with pytest.raises(kind) as raised:
        call(factory(Script(json_response(ERRORS[name], code))), "resume", KICKOFF_ID, "t-1", "ok", True)
    assert said in str(raised.value)
    assert not isinstance(raised.value, RunNotFoundError)  # the run id is not a status check's


# --- the reference client's reading, as an oracle ---------------------------------------------------

# Bodies in every documented shape and spelling: the SDK must mean what the reference client
# (crewAIInc/skills, references/python-client.md; tests/support/reference_client.py) reads.
ORACLE_BODIES: list[dict[str, Any]] = [
    *(
        platform(state, result="out", status=message)
        for state in ("SUCCESS", "success", " Success ", "COMPLETED")
        for message in (None, "done")
    ),
    *(
        platform(state, status="ValueError: boom")
        for state in ("FAILED", "failed", "FAILURE", "Failure", "ERROR", "REVOKED", "revoked")
    ),
    platform("FAILED", error="the error", status="the message", result="the result"),
    platform("FAILED", result="only a result"),
    *(platform(state) for state in ("PAUSED", "paused", " Paused")),
    *(
        platform(state, status=STATUS["live_running_message"])
        for state in ("PENDING", "STARTED", "RUNNING", "running", "QUEUED", "CANCELLING")
    ),
    platform("SUCCESS", result="text", result_json={"a": 1}),
    platform("SUCCESS", result="[1]", result_json=[1]),
    platform("SUCCESS", result="", result_json=None),
    platform("SUCCESS", result=None, result_json=None),
    platform("SUCCESS", result={"output": "o", "tasks": []}),
    platform("SUCCESS", result={"raw": "no output key"}),
    {"state": "", "status": "completed", "result": {"output": "o"}},
    {"state": None, "status": "Completed", "result": "o"},
    {"state": "", "status": "Task is Running"},
    {"state": None, "status": "ERROR", "error": "e"},
    STATUS["reference_running"],
    STATUS["reference_completed"],
    STATUS["reference_error"],
    STATUS["live_failed"],
    {"status": "completed", "result": {"output": "o"}, "result_json": {"b": 2}},
    {"status": "SUCCESS", "result": "o"},
    {"status": "paused"},
]


def _same_result(reference: Any, status: StatusCompleted) -> bool:
    """The reference's result (result_json as sent, else the text or object) against the SDK's
    (output_json, else output): equal, the SDK's being the parsed form of JSON text, or the
    text of a structured result."""
    ours = status.result.output_json if status.result.output_json is not None else status.result.output
    if reference == ours:
        return True
    if isinstance(reference, str) and not isinstance(ours, str):
        return bool(json.loads(reference) == ours)
    return isinstance(reference, dict) and status.result.output_json == reference


@FACTORIES
@pytest.mark.parametrize("body", ORACLE_BODIES, ids=[json.dumps(body)[:60] for body in ORACLE_BODIES])
def test_the_sdk_means_what_the_reference_client_reads(factory: Factory, body: dict[str, Any]) -> None:
    from crewai_amp import StatusUnknown
    from support import reference_client as reference

    state = reference.state_of(body)
    status = status_of(factory, body)
    if state in reference.SUCCESS:
        assert isinstance(status, StatusCompleted)
        assert _same_result(reference.result_of(body), status)
    elif state in reference.FAILURE:
        assert isinstance(status, StatusError)
        assert status.error == reference.failure_reason(body)
    elif state in reference.PAUSED:
        assert isinstance(status, StatusPendingHumanInput)
    else:  # the reference keeps polling: so does wait(), on a running or unknown status
        assert isinstance(status, (StatusRunning, StatusUnknown))
    assert raw_body(status) == body


UNKNOWN = {"new_field": {"nested": [1, None]}, "priority": None, "reviewer": "ana"}


@FACTORIES
@pytest.mark.parametrize(
    "body",
    [
        platform("RUNNING", **UNKNOWN),
        platform("SUCCESS", result="ok", **UNKNOWN),
        platform("FAILED", status="boom", **UNKNOWN),
        platform("PAUSED", **UNKNOWN),
        {**STATUS["reference_running"], **UNKNOWN},
        {**STATUS["reference_completed"], **UNKNOWN},
        {**STATUS["reference_error"], **UNKNOWN},
    ],
    ids=["running", "success", "failed", "paused", "spec-running", "spec-completed", "spec-error"],
)
def test_unknown_fields_are_kept_in_every_shape(factory: Factory, body: dict[str, Any]) -> None:
    status = status_of(factory, body)
    assert {key: status.additional_properties[key] for key in UNKNOWN} == UNKNOWN
    assert raw_body(status) == body
