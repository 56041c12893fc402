"""The observed dialect through the sync and async clients: inputs as a name -> type map, status
as {"state", "result", "last_step"} mapped onto the generated variants, NOT FOUND raising at
once, a paused run reported and waited through, junk refused with ResponseValidationError, and
the body as received reachable through raw_body() on every status of both dialects."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import crewai_amp
import httpx
import pytest
from crewai_amp import (
    AmpError,
    ExecutionError,
    NotFoundError,
    ResponseValidationError,
    RunNotFoundError,
    StatusCompleted,
    StatusError,
    StatusPendingHumanInput,
    StatusRunning,
    StatusUnknown,
    raw_body,
)
from crewai_amp_api.types import Unset
from support.client import (
    COMPLETED,
    ERROR,
    KICKOFF_ID,
    RUNNING,
    FakeClock,
    Script,
    async_client,
    call,
    json_response,
    sync_client,
)
from support.observed import (
    FAILED_STATES,
    JUNK_INPUTS,
    JUNK_STATUS,
    NOT_FOUND_STATES,
    OBSERVED_INPUTS,
    OBSERVED_PAUSE,
    OTHER_INPUT_VALUES,
    PAUSED_STATES,
    RUNNING_STATES,
    SPEC_PAUSE,
    SUCCESS_STATES,
    UNKNOWN_STATES,
    observed,
)

FACTORIES = pytest.mark.parametrize("factory", [sync_client, async_client], ids=["sync", "async"])
Factory = Callable[..., Any]


def status_of(factory: Factory, body: Any) -> Any:
    return call(factory(Script(json_response(body))), "status", KICKOFF_ID)


# --- inputs ----------------------------------------------------------------------------------


@FACTORIES
def test_inputs_map_gives_the_names_in_order(factory: Factory) -> None:
    names = call(factory(Script(json_response(OBSERVED_INPUTS))), "inputs")
    assert names == ["topic", "target_audience", "depth"]


@FACTORIES
@pytest.mark.parametrize("body", [{"inputs": {}}, {"inputs": []}], ids=["empty-map", "empty-list"])
def test_no_inputs_in_either_shape_is_an_empty_list(factory: Factory, body: Any) -> None:
    assert call(factory(Script(json_response(body))), "inputs") == []


@FACTORIES
@pytest.mark.parametrize("value", OTHER_INPUT_VALUES, ids=lambda value: json.dumps(value))
def test_the_inputs_map_gives_its_names_whatever_it_says_of_them(factory: Factory, value: Any) -> None:
    body = {"inputs": {"topic": value, "depth": "str"}}
    assert call(factory(Script(json_response(body))), "inputs") == ["topic", "depth"]


@FACTORIES
@pytest.mark.parametrize("body", JUNK_INPUTS, ids=lambda body: json.dumps(body))
def test_a_junk_inputs_map_is_a_response_validation_error(factory: Factory, body: Any) -> None:
    with pytest.raises(ResponseValidationError) as raised:
        call(factory(Script(json_response(body))), "inputs")
    assert json.loads(raised.value.raw) == body
    assert "inputs" in str(raised.value)


# --- status: each documented state, several spellings ------------------------------------------


@FACTORIES
@pytest.mark.parametrize("state", SUCCESS_STATES)
def test_success_is_completed_with_the_text(factory: Factory, state: str) -> None:
    body = observed(state, "The final report.", {"task": "Write", "output": "The final report."})
    status = status_of(factory, body)
    assert isinstance(status, StatusCompleted)
    assert status.result.output == "The final report."
    assert status.additional_properties["state"] == state
    assert status.additional_properties["last_step"] == body["last_step"]
    assert raw_body(status) == body


@FACTORIES
@pytest.mark.parametrize(
    "result",
    [{"summary": "ok", "score": 0.9}, {"output": {"nested": [1, 2]}}, {}],
    ids=["object", "output-key", "empty"],
)
def test_a_structured_result_is_output_as_json_text_and_kept(factory: Factory, result: Any) -> None:
    status = status_of(factory, observed("SUCCESS", result))
    assert isinstance(status, StatusCompleted)
    assert json.loads(status.result.output) == result
    assert raw_body(status)["result"] == result


@FACTORIES
def test_success_without_a_result_is_completed_with_no_output(factory: Factory) -> None:
    status = status_of(factory, observed("SUCCESS"))
    assert isinstance(status, StatusCompleted)
    assert status.result.output is None
    assert status.result.output_json is None
    assert raw_body(status) == observed("SUCCESS")


@FACTORIES
@pytest.mark.parametrize("state", FAILED_STATES)
def test_failed_states_are_errors_with_the_text_from_result(factory: Factory, state: str) -> None:
    status = status_of(factory, observed(state, "Tool timeout in step 4"))
    assert isinstance(status, StatusError)
    assert status.error == "Tool timeout in step 4"
    assert status.additional_properties["state"] == state


@FACTORIES
@pytest.mark.parametrize(
    ("result", "last_step", "expected"),
    [
        (None, {"error": "rate limited by the LLM"}, "rate limited by the LLM"),
        ({"error": "bad tool input"}, None, "bad tool input"),
        (None, {"message": "stopped by a user"}, "stopped by a user"),
        (None, None, "FAILED"),
        ("   ", {"task": "Research"}, "FAILED"),
    ],
    ids=["last_step.error", "result.error", "last_step.message", "nothing", "blank"],
)
def test_a_failure_finds_its_error_text_or_names_the_state(
    factory: Factory, result: Any, last_step: Any, expected: str
) -> None:
    status = status_of(factory, observed("FAILED", result, last_step))
    assert isinstance(status, StatusError)
    assert expected in status.error


@FACTORIES
@pytest.mark.parametrize("state", RUNNING_STATES)
def test_pending_started_running_are_running(factory: Factory, state: str) -> None:
    status = status_of(factory, observed(state, None, {"task_name": "Research AI"}))
    assert isinstance(status, StatusRunning)
    assert status.current_task == "Research AI"
    assert status.additional_properties["state"] == state


@FACTORIES
def test_running_without_a_last_step_has_no_current_task(factory: Factory) -> None:
    status = status_of(factory, observed("RUNNING"))
    assert isinstance(status, StatusRunning)
    assert isinstance(status.current_task, Unset)


@FACTORIES
@pytest.mark.parametrize("state", PAUSED_STATES)
def test_paused_states_are_pending_human_input(factory: Factory, state: str) -> None:
    body = observed(state, "Approve the draft?", {"task_id": "t-2", "task": "Write the report"})
    status = status_of(factory, body)
    assert isinstance(status, StatusPendingHumanInput)
    assert status.task_id == "t-2"
    assert status.current_task == "Write the report"
    assert status.message == "Approve the draft?"
    assert raw_body(status) == body


@FACTORIES
def test_the_emulators_observed_pause_names_the_task(factory: Factory) -> None:
    status = status_of(factory, OBSERVED_PAUSE)
    assert isinstance(status, StatusPendingHumanInput)
    assert status.task_id == "t-2"
    assert crewai_amp.StatusPendingHumanInput is StatusPendingHumanInput


@FACTORIES
def test_the_spec_dialect_pause_is_pending_human_input(factory: Factory) -> None:
    status = status_of(factory, SPEC_PAUSE)
    assert isinstance(status, StatusPendingHumanInput)
    assert (status.task_id, status.current_task) == ("t-2", "Write the report")
    assert (status.progress.completed_tasks, status.progress.total_tasks) == (1, 3)
    assert status.to_dict() == SPEC_PAUSE


@FACTORIES
@pytest.mark.parametrize("state", NOT_FOUND_STATES)
def test_not_found_raises_a_typed_error_with_the_kickoff_id(factory: Factory, state: str) -> None:
    body = observed(state)
    with pytest.raises(RunNotFoundError) as raised:
        status_of(factory, body)
    error = raised.value
    assert isinstance(error, NotFoundError) and isinstance(error, AmpError)
    assert error.kickoff_id == KICKOFF_ID
    assert error.body == body
    assert error.status_code == 200
    assert KICKOFF_ID in str(error) and state in str(error)


@FACTORIES
@pytest.mark.parametrize("state", UNKNOWN_STATES)
def test_an_unknown_state_is_kept_as_status_unknown(factory: Factory, state: str) -> None:
    body = observed(state, None, {"task": "x"}, eta=12)
    status = status_of(factory, body)
    assert isinstance(status, StatusUnknown)
    assert status.status == state
    assert status.raw == body
    assert raw_body(status) == body


@FACTORIES
def test_new_observed_fields_are_kept(factory: Factory) -> None:
    body = observed("RUNNING", None, None, progress_pct=40, trace_id="abc")
    status = status_of(factory, body)
    assert isinstance(status, StatusRunning)
    assert status.additional_properties["progress_pct"] == 40
    assert status.additional_properties["trace_id"] == "abc"


@FACTORIES
@pytest.mark.parametrize("body", JUNK_STATUS, ids=lambda body: json.dumps(body))
def test_junk_status_bodies_are_response_validation_errors(factory: Factory, body: Any) -> None:
    with pytest.raises(ResponseValidationError) as raised:
        status_of(factory, body)
    assert json.loads(raised.value.raw) == body


# --- the body as received ----------------------------------------------------------------------


@FACTORIES
@pytest.mark.parametrize(
    "body",
    [
        RUNNING,
        COMPLETED,
        ERROR,
        SPEC_PAUSE,
        {"status": "reviewing", "reviewer": "ana"},
        observed("SUCCESS", "done", {"task": "t"}),
        observed("FAILED", "boom"),
        observed("RUNNING"),
        OBSERVED_PAUSE,
        observed("SOMETHING NEW"),
    ],
    ids=lambda body: str(body.get("status", body.get("state"))),
)
def test_raw_body_is_the_body_as_received_in_both_dialects(factory: Factory, body: Any) -> None:
    status = status_of(factory, body)
    assert raw_body(status) == body
    raw = call(factory(Script(json_response(body))).with_raw_response, "status", KICKOFF_ID)
    assert raw_body(raw.parsed) == body == raw.http_response.json()


def test_raw_body_is_a_copy_and_a_hand_built_status_gives_its_to_dict() -> None:
    status = status_of(sync_client, observed("SUCCESS", {"a": [1]}))
    raw_body(status)["result"]["a"].append(2)
    assert raw_body(status)["result"] == {"a": [1]}
    built = StatusRunning.from_dict({"status": "running", "current_task": "x"})
    assert raw_body(built) == {"status": "running", "current_task": "x"}


# --- wait() and run() ------------------------------------------------------------------------


@FACTORIES
@pytest.mark.parametrize("state", NOT_FOUND_STATES[:2])
def test_wait_without_a_grace_raises_not_found_at_once(factory: Factory, state: str) -> None:
    script = Script(json_response(observed(state)))
    clock = FakeClock()
    with pytest.raises(RunNotFoundError) as raised:
        call(factory(script, clock), "wait", KICKOFF_ID, timeout=600, not_found_grace=0)
    assert raised.value.kickoff_id == KICKOFF_ID
    assert len(script.requests) == 1
    assert clock.slept == []


@FACTORIES
def test_wait_reports_the_pause_and_keeps_waiting_until_success(factory: Factory) -> None:
    script = Script(
        json_response(observed("PENDING")),
        json_response(observed("RUNNING", None, {"task": "Research"})),
        json_response(OBSERVED_PAUSE),
        json_response(OBSERVED_PAUSE),
        json_response(observed("Running", None, {"task": "Write"})),
        json_response(observed("success", "All done.")),
    )
    seen: list[Any] = []
    final = call(factory(script), "wait", KICKOFF_ID, timeout=600, on_status=seen.append)
    assert isinstance(final, StatusCompleted)
    assert final.result.output == "All done."
    assert [type(s).__name__ for s in seen] == [
        "StatusRunning",
        "StatusRunning",
        "StatusPendingHumanInput",
        "StatusPendingHumanInput",
        "StatusRunning",
        "StatusCompleted",
    ]
    assert seen[2].task_id == "t-2"


@FACTORIES
def test_wait_keeps_waiting_through_a_spec_dialect_pause(factory: Factory) -> None:
    script = Script(json_response(RUNNING), json_response(SPEC_PAUSE), json_response(COMPLETED))
    seen: list[Any] = []
    final = call(factory(script), "wait", KICKOFF_ID, on_status=seen.append)
    assert isinstance(final, StatusCompleted)
    assert any(isinstance(s, StatusPendingHumanInput) for s in seen)


@FACTORIES
@pytest.mark.parametrize("state", ["FAILED", "failure", "Revoked"])
def test_wait_raises_execution_error_for_observed_failures(factory: Factory, state: str) -> None:
    script = Script(json_response(observed("RUNNING")), json_response(observed(state, "LLM quota exceeded")))
    with pytest.raises(ExecutionError) as raised:
        call(factory(script), "wait", KICKOFF_ID)
    assert "LLM quota exceeded" in str(raised.value)
    assert isinstance(raised.value.status, StatusError)
    assert raw_body(raised.value.status)["state"] == state


@FACTORIES
def test_wait_keeps_waiting_on_an_unknown_observed_state(factory: Factory) -> None:
    script = Script(json_response(observed("CANCELLING")), json_response(observed("SUCCESS", "ok")))
    seen: list[Any] = []
    final = call(factory(script), "wait", KICKOFF_ID, on_status=seen.append)
    assert final.result.output == "ok"
    assert isinstance(seen[0], StatusUnknown) and seen[0].status == "CANCELLING"


@FACTORIES
def test_run_returns_the_text_against_an_observed_crew(factory: Factory) -> None:
    def crew(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/kickoff":
            return json_response({"kickoff_id": KICKOFF_ID})
        return json_response(observed("SUCCESS", "Report on AI."))

    final = call(factory(Script(crew)), "run", {"topic": "AI"}, timeout=60)
    assert isinstance(final, StatusCompleted)
    assert final.result.output == "Report on AI."


def test_changing_a_status_does_not_change_its_raw_body() -> None:
    body = observed("RUNNING", None, {"task": "Research", "tools": ["search"]})
    status = status_of(sync_client, body)
    status.additional_properties["last_step"]["tools"].append("scrape")
    assert raw_body(status) == body


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"state": 3}, "state: expected a string, got int"),
        ({"state": "SUCCESS", "result": 5}, "result: expected null, an object or a string, got int"),
        ({"state": "RUNNING", "last_step": "a step"}, "last_step: expected null or an object, got str"),
        ({"inputs": 3}, "inputs: expected an array, got int"),
    ],
)
def test_a_junk_field_is_named_with_every_kind_it_may_be(body: Any, message: str) -> None:
    operation, args = ("inputs", ()) if "inputs" in body else ("status", (KICKOFF_ID,))
    with pytest.raises(ResponseValidationError) as raised:
        call(sync_client(Script(json_response(body))), operation, *args)
    assert str(raised.value).endswith(message)


@FACTORIES
@pytest.mark.parametrize("status", ["success", None, "SUCCESS", 7])
def test_the_state_decides_when_a_status_beside_it_is_no_spec_variant(factory: Factory, status: Any) -> None:
    body = {"state": "SUCCESS", "result": "done", "status": status}
    completed = status_of(factory, body)
    assert isinstance(completed, StatusCompleted)
    assert completed.result.output == "done"
    assert raw_body(completed) == body


@pytest.mark.parametrize("status", [["running"], {"v": 1}])
def test_a_state_beside_an_unhashable_status_is_still_read_by_its_state(status: Any) -> None:
    completed = status_of(sync_client, {"state": "SUCCESS", "result": "done", "status": status})
    assert isinstance(completed, StatusCompleted)
