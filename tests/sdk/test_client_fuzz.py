"""Hypothesis: whatever AMP (or a proxy in front of it) answers — any JSON body, any status code,
any bytes — each operation returns a model, StatusUnknown, or raises an AmpError subclass.
Nothing else (no KeyError, TypeError, ValueError, JSONDecodeError) reaches the caller."""

from __future__ import annotations

from typing import Any

import httpx
from crewai_amp import (
    AmpError,
    APIStatusError,
    KickoffResponse,
    ResponseValidationError,
    ResumeResponse,
    StatusCompleted,
    StatusError,
    StatusRunning,
    StatusUnknown,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from support.client import OPERATIONS, Script, async_client, call, sync_client

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=10,
)
# Bodies that look like the spec's, so the fuzz reaches the field checks and not only "not an
# object": known and unknown statuses with any value in any field.
status_bodies = st.fixed_dictionaries(
    {"status": st.sampled_from(["running", "completed", "error", "resumed", "other"]) | st.text(max_size=5)},
    optional={
        "current_task": json_values,
        "progress": json_values
        | st.fixed_dictionaries({}, optional={"completed_tasks": json_values, "total_tasks": json_values}),
        "result": json_values
        | st.fixed_dictionaries({}, optional={"output": json_values, "tasks": json_values}),
        "error": json_values,
        "execution_time": json_values,
        "message": json_values,
    },
)
other_bodies = st.fixed_dictionaries(
    {}, optional={"kickoff_id": json_values, "inputs": json_values, "status": json_values}
)
CODES = st.sampled_from(
    [200, 201, 202, 204, 206, 301, 304, 400, 401, 403, 404, 409, 418, 422, 429, 500, 502, 503]
)
EXPECTED = {
    "inputs": list,
    "kickoff": KickoffResponse,
    "status": (StatusRunning, StatusCompleted, StatusError, StatusUnknown),
    "resume": ResumeResponse,
}


def outcome(operation: str, response: httpx.Response, *, asynchronous: bool = False) -> None:
    factory = async_client if asynchronous else sync_client
    client = factory(Script(response), max_retries=0)
    try:
        result = call(client, operation, *OPERATIONS[operation][0])
    except APIStatusError as error:
        assert not response.is_success or isinstance(error, ResponseValidationError)
        assert error.status_code == response.status_code
        return
    except AmpError:
        return
    assert response.is_success
    assert isinstance(result, EXPECTED[operation])


@settings(max_examples=400, deadline=None)
@given(
    operation=st.sampled_from(list(OPERATIONS)),
    body=json_values | status_bodies | other_bodies,
    code=CODES,
)
def test_any_json_body_and_status_gives_a_model_or_a_typed_error(
    operation: str, body: Any, code: int
) -> None:
    outcome(operation, httpx.Response(code, json=body))


@settings(max_examples=200, deadline=None)
@given(
    operation=st.sampled_from(list(OPERATIONS)),
    content=st.binary(max_size=64) | st.text(max_size=32).map(str.encode),
    content_type=st.sampled_from(["application/json", "text/html", "application/octet-stream", ""]),
    code=CODES,
)
def test_any_bytes_give_a_model_or_a_typed_error(
    operation: str, content: bytes, content_type: str, code: int
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    outcome(operation, httpx.Response(code, content=content, headers=headers))


@settings(max_examples=100, deadline=None)
@given(operation=st.sampled_from(list(OPERATIONS)), body=json_values | status_bodies, code=CODES)
def test_the_async_client_behaves_the_same(operation: str, body: Any, code: int) -> None:
    outcome(operation, httpx.Response(code, json=body), asynchronous=True)


@settings(max_examples=100, deadline=None)
@given(
    body=st.dictionaries(st.text(max_size=6), json_values, max_size=4).map(
        lambda extra: {"status": "running", **extra}
    )
)
def test_unknown_fields_never_break_a_known_status(body: dict[str, Any]) -> None:
    body["status"] = "running"
    known = {"current_task", "progress"}
    if known & body.keys():
        return  # typed fields with arbitrary values are the first test's business
    status = sync_client(Script(httpx.Response(200, json=body))).status("k-1")
    assert isinstance(status, StatusRunning)
    assert status.to_dict() == body
