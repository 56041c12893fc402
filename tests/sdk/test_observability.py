"""What the client tells an operator: DEBUG records on the ``crewai_amp`` logger with structured
``extra`` fields of stable names (the message text unchanged), and the request id of every
error built from a response (``x-request-id``), in the attribute and in the message."""

from __future__ import annotations

import gzip
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from crewai_amp import (
    AmpError,
    APIStatusError,
    ResponseTooLarge,
    ResponseValidationError,
    RunNotFoundError,
)
from crewai_amp._attempt import LOG_FIELDS
from support.client import (
    KICKOFF_ID,
    RUNNING,
    TOKEN,
    FakeClock,
    Script,
    async_client,
    call,
    json_response,
    sync_client,
)

FACTORIES = pytest.mark.parametrize("factory", [sync_client, async_client], ids=["sync", "async"])
Factory = Callable[..., Any]
REQUEST_ID = "req-7f3a9c"


def records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "crewai_amp"]


def fields(record: logging.LogRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in LOG_FIELDS}


@FACTORIES
def test_every_request_record_carries_the_fields(factory: Factory, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="crewai_amp")
    script = Script(httpx.Response(503), json_response(RUNNING))
    call(factory(script), "status", KICKOFF_ID)
    first, retrying, second = records(caplog)
    assert first.getMessage().startswith(f"GET /status/{KICKOFF_ID} -> 503 in ")
    assert retrying.getMessage().startswith(f"retrying GET /status/{KICKOFF_ID} in ")
    assert second.getMessage().endswith("(retry 1)")
    assert all(set(LOG_FIELDS) <= set(vars(record)) for record in (first, retrying, second))
    common = {
        "operation": "status",
        "method": "GET",
        "path": f"/status/{KICKOFF_ID}",
        "kickoff_id": KICKOFF_ID,
    }
    assert {k: fields(first)[k] for k in common} == common
    assert (fields(first)["status"], fields(first)["attempt"], fields(first)["outcome"]) == (503, 1, "retry")
    assert fields(first)["error_type"] is None and fields(first)["correlation_id"] is None
    assert isinstance(fields(first)["elapsed_ms"], float) and fields(first)["elapsed_ms"] >= 0
    assert fields(retrying) == fields(first) and retrying.delay_s >= 0  # type: ignore[attr-defined]
    assert (fields(second)["status"], fields(second)["attempt"], fields(second)["outcome"]) == (200, 2, "ok")


@FACTORIES
def test_a_kickoff_record_names_the_run_it_started(
    factory: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="crewai_amp")
    script = Script(json_response({"kickoff_id": KICKOFF_ID}))
    call(factory(script), "kickoff", {"topic": "AI"})
    (record,) = records(caplog)
    assert fields(record)["operation"] == "kickoff" and fields(record)["kickoff_id"] == KICKOFF_ID
    assert (
        fields(record)["correlation_id"]
        and fields(record)["correlation_id"] in script.requests[0].content.decode()
    )


@FACTORIES
def test_a_transport_error_record_names_its_type(factory: Factory, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="crewai_amp")
    with pytest.raises(AmpError):
        call(factory(Script(httpx.ConnectError("refused")), max_retries=0), "inputs")
    (record,) = records(caplog)
    assert record.getMessage().startswith("GET /inputs -> ConnectError in ")
    assert (fields(record)["status"], fields(record)["error_type"], fields(record)["outcome"]) == (
        None,
        "ConnectError",
        "error",
    )
    assert fields(record)["kickoff_id"] is None


def test_no_record_field_holds_the_token(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="crewai_amp")
    script = Script(json_response({"error": f"Bearer {TOKEN}"}, 401))
    with pytest.raises(AmpError):
        call(sync_client(script), "inputs")
    assert records(caplog)
    assert all(TOKEN not in str(vars(record)) for record in records(caplog))


# --- request ids ---------------------------------------------------------------------------------


def _with_id(response: httpx.Response) -> httpx.Response:
    return httpx.Response(
        response.status_code,
        headers={**response.headers, "x-request-id": REQUEST_ID},
        content=response.content,
    )


def _gzipped(headers: dict[str, str]) -> Callable[[httpx.Request], httpx.Response]:
    """A gzip body that inflates past the limit: counted as it is decoded, not announced."""
    body = gzip.compress(b"x" * 64)
    return lambda request: httpx.Response(200, content=body, headers={"content-encoding": "gzip", **headers})


@FACTORIES
@pytest.mark.parametrize(
    ("method", "args", "answer", "kind"),
    [
        ("inputs", (), json_response({"error": "bad token"}, 401), APIStatusError),
        ("inputs", (), json_response({"error": "boom"}, 500), APIStatusError),
        ("status", (KICKOFF_ID,), json_response({"error": "no such run"}, 404), RunNotFoundError),
        (
            "status",
            (KICKOFF_ID,),
            json_response({"state": "NOT FOUND", "status": "Task not found"}),
            RunNotFoundError,
        ),
        ("inputs", (), httpx.Response(200, text="not json"), ResponseValidationError),
        ("inputs", (), httpx.Response(200, content=b"x" * 64), ResponseTooLarge),
        ("inputs", (), None, ResponseTooLarge),
    ],
    ids=["401", "500", "404", "200-not-found", "not-json", "too-large-announced", "too-large-read"],
)
def test_every_error_built_from_a_response_carries_its_request_id(
    factory: Factory, method: str, args: tuple[Any, ...], answer: httpx.Response | None, kind: type[AmpError]
) -> None:
    limits = {"max_response_bytes": 32} if kind is ResponseTooLarge else {}
    cases = (
        ((_with_id(answer), REQUEST_ID), (answer, None))
        if answer is not None
        else ((_gzipped({"x-request-id": REQUEST_ID}), REQUEST_ID), (_gzipped({}), None))
    )
    for response, expected in cases:
        client = factory(Script(response), max_retries=0, **limits)
        with pytest.raises(kind) as caught:
            call(client, method, *args)
        assert caught.value.request_id == expected
        assert (f"(request id {REQUEST_ID})" in str(caught.value)) is (expected is not None)
        if answer is None:
            assert "stopped after" in str(caught.value)  # read, not announced


@FACTORIES
def test_a_run_seen_then_not_found_names_the_request_id(factory: Factory) -> None:
    script = Script(json_response(RUNNING), _with_id(json_response({"error": "gone"}, 404)))
    with pytest.raises(RunNotFoundError) as caught:
        call(factory(script, clock=FakeClock()), "wait", KICKOFF_ID, not_found_grace=0)
    assert caught.value.request_id == REQUEST_ID and f"(request id {REQUEST_ID})" in str(caught.value)


def test_errors_without_a_response_have_no_request_id() -> None:
    with pytest.raises(AmpError) as caught:
        call(sync_client(Script(httpx.ConnectError("refused")), max_retries=0), "inputs")
    assert caught.value.request_id is None and "request id" not in str(caught.value)


def test_a_long_request_id_is_cut() -> None:
    script = Script(json_response({"error": "x"}, 400, headers={"x-request-id": "r" * 5000}))
    with pytest.raises(APIStatusError) as caught:
        call(sync_client(script), "inputs")
    assert caught.value.request_id is not None and len(caught.value.request_id) < 300
    assert caught.value.request_id.startswith("r" * 200)
