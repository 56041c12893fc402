"""AmpClient and AsyncAmpClient against an in-process transport (httpx.MockTransport)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import crewai_amp._client as client_module
import httpx
import pytest
from conftest import REST_SPEC, load_yaml
from crewai_amp import (
    AmpClient,
    AmpError,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncAmpClient,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ExecutionError,
    InternalServerError,
    NotFoundError,
    RateLimitError,
    ResponseValidationError,
    StatusCompleted,
    StatusRunning,
    StatusUnknown,
    UnprocessableEntityError,
    WaitTimeout,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

REST = load_yaml(REST_SPEC)
BASE = "https://crew.test"
TOKEN = "sk-secret-token-value"


def example(path: str, method: str, name: str, status: str = "200") -> Any:
    content = REST["paths"][path][method]["responses"][status]["content"]["application/json"]
    return content["examples"][name]["value"]


KICKOFF_ID = example("/kickoff", "post", "accepted")["kickoff_id"]
Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record sleeps instead of sleeping: retries and polling run instantly, never timed."""
    slept: list[float] = []

    async def fake_async_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(client_module.time, "sleep", slept.append)
    monkeypatch.setattr(client_module.asyncio, "sleep", fake_async_sleep)
    return slept


def sync_client(handler: Handler, **kwargs: Any) -> AmpClient:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return AmpClient(base_url=BASE, token=TOKEN, http_client=http, **kwargs)


def async_client(handler: Handler, **kwargs: Any) -> AsyncAmpClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return AsyncAmpClient(base_url=BASE, token=TOKEN, http_client=http, **kwargs)


def answer(*responses: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    """A handler replaying responses in order (the last one repeats), recording requests."""
    seen: list[httpx.Request] = []
    queue: Iterator[httpx.Response | Exception] = iter(responses)
    last: list[httpx.Response | Exception] = [responses[-1]]

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        item = next(queue, last[0])
        if isinstance(item, Exception):
            raise item
        return item

    return handler, seen


def call(client: AmpClient | AsyncAmpClient, method: str, *args: Any, **kwargs: Any) -> Any:
    result = getattr(client, method)(*args, **kwargs)
    if asyncio.iscoroutine(result):
        return asyncio.run(result)
    return result


OPERATIONS: dict[str, tuple[tuple[Any, ...], Any]] = {
    "inputs": ((), example("/inputs", "get", "research")),
    "kickoff": (({"topic": "AI"},), example("/kickoff", "post", "accepted")),
    "status": ((KICKOFF_ID,), example("/status/{kickoff_id}", "get", "running")),
    "resume": ((KICKOFF_ID, "t-3", "ok", True), example("/resume", "post", "resumed")),
}
FACTORIES = pytest.mark.parametrize("factory", [sync_client, async_client], ids=["sync", "async"])


@FACTORIES
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_each_operation_succeeds_and_sends_auth(factory: Callable[..., Any], operation: str) -> None:
    args, body = OPERATIONS[operation]
    handler, seen = answer(httpx.Response(200, json=body))
    result = call(factory(handler), operation, *args)
    assert seen[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert seen[0].headers["user-agent"].startswith("crewai-amp-client/")
    if operation == "inputs":
        assert result == body["inputs"]
    else:
        assert result.to_dict() == body


def test_kickoff_sends_inputs_meta_and_webhooks_as_the_spec_names_them() -> None:
    handler, seen = answer(httpx.Response(200, json={"kickoff_id": KICKOFF_ID}))
    sync_client(handler).kickoff({"topic": "AI"}, meta={"req": 1}, crew_webhook_url="https://hooks.test/crew")
    assert json.loads(seen[0].content) == {
        "inputs": {"topic": "AI"},
        "meta": {"req": 1},
        "crewWebhookUrl": "https://hooks.test/crew",
    }
    assert (seen[0].method, seen[0].url.path) == ("POST", "/kickoff")


ERRORS = {
    400: BadRequestError,
    401: AuthenticationError,
    404: NotFoundError,
    418: APIStatusError,
    422: UnprocessableEntityError,
    429: RateLimitError,
    500: InternalServerError,
    503: InternalServerError,
}


@FACTORIES
@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize("code", list(ERRORS))
def test_each_error_status_raises_its_exception(
    factory: Callable[..., Any], operation: str, code: int
) -> None:
    handler, _ = answer(httpx.Response(code, json={"error": "nope", "details": {"missing": ["topic"]}}))
    with pytest.raises(ERRORS[code]) as raised:
        call(factory(handler, max_retries=0), operation, *OPERATIONS[operation][0])
    assert raised.value.status_code == code
    assert raised.value.body == {"error": "nope", "details": {"missing": ["topic"]}}
    assert "nope" in str(raised.value)


MALFORMED: list[dict[str, Any]] = [
    {"text": "<html>oops</html>"},
    {"json": ["a", "list"]},
    {"json": {}},
    {"json": {"inputs": 5, "kickoff_id": None, "status": 7}},
    {"json": "just a string"},
]


@FACTORIES
@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize("body", MALFORMED, ids=["html", "list", "empty", "wrong-types", "string"])
def test_malformed_bodies_raise_response_validation_error_with_the_raw_text(
    factory: Callable[..., Any], operation: str, body: dict[str, Any]
) -> None:
    response = httpx.Response(200, **body)
    handler, _ = answer(response)
    with pytest.raises(ResponseValidationError) as raised:
        call(factory(handler), operation, *OPERATIONS[operation][0])
    assert raised.value.raw == response.text


def test_an_unknown_status_is_kept_not_a_crash() -> None:
    body = {"status": "awaiting_review", "task": "write", "new": [1]}
    handler, _ = answer(httpx.Response(200, json=body))
    status = sync_client(handler).status(KICKOFF_ID)
    assert isinstance(status, StatusUnknown)
    assert status.status == "awaiting_review"
    assert status.raw == body


def test_unknown_fields_are_kept_on_known_models() -> None:
    body = {**example("/status/{kickoff_id}", "get", "running"), "eta_seconds": 12}
    status = sync_client(answer(httpx.Response(200, json=body))[0]).status(KICKOFF_ID)
    assert isinstance(status, StatusRunning)
    assert status["eta_seconds"] == 12


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
status_bodies = st.fixed_dictionaries(
    {"status": st.sampled_from(["running", "completed", "error", "resumed", "other"]) | st.text(max_size=5)},
    optional={
        "progress": json_values,
        "result": json_values,
        "error": json_values,
        "execution_time": json_values,
        "inputs": json_values,
        "kickoff_id": json_values,
    },
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    operation=st.sampled_from(list(OPERATIONS)),
    body=json_values | status_bodies,
    code=st.sampled_from([200, 200, 200, 201, 204, 301, 400, 401, 404, 418, 422, 429, 500, 503]),
)
def test_any_body_and_status_gives_a_model_or_a_typed_error(operation: str, body: Any, code: int) -> None:
    handler, _ = answer(httpx.Response(code, json=body))
    try:
        result = call(sync_client(handler, max_retries=0), operation, *OPERATIONS[operation][0])
    except AmpError:
        return
    assert result is not None
    if operation == "status":
        assert hasattr(result, "status")


# --- retries --------------------------------------------------------------------------


@FACTORIES
def test_transient_503_and_429_then_success(factory: Callable[..., Any], no_sleep: list[float]) -> None:
    ok = httpx.Response(200, json=example("/status/{kickoff_id}", "get", "completed"))
    handler, seen = answer(httpx.Response(503), httpx.Response(429, headers={"Retry-After": "3"}), ok)
    status = call(factory(handler), "status", KICKOFF_ID)
    assert isinstance(status, StatusCompleted)
    assert len(seen) == 3
    assert no_sleep[1] == 3.0  # Retry-After honoured
    assert 0 <= no_sleep[0] <= 0.5  # full jitter on the first backoff


def test_retry_after_http_date_and_cap(no_sleep: list[float]) -> None:
    ok = httpx.Response(200, json={"inputs": []})
    handler, _ = answer(
        httpx.Response(503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),
        httpx.Response(503, headers={"Retry-After": "100000"}),
        ok,
    )
    sync_client(handler).inputs()
    assert no_sleep == [0.0, 60.0]


def test_retries_stop_at_max_retries() -> None:
    handler, seen = answer(httpx.Response(500, json={"error": "down"}))
    with pytest.raises(InternalServerError):
        sync_client(handler, max_retries=2).inputs()
    assert len(seen) == 3


@FACTORIES
@pytest.mark.parametrize("operation", ["kickoff", "resume"])
def test_non_idempotent_calls_are_sent_once_when_the_connection_drops_after_sending(
    factory: Callable[..., Any], operation: str
) -> None:
    handler, seen = answer(httpx.RemoteProtocolError("Server disconnected without sending a response."))
    with pytest.raises(APIConnectionError):
        call(factory(handler), operation, *OPERATIONS[operation][0])
    assert len(seen) == 1


@pytest.mark.parametrize("operation", ["kickoff", "resume"])
def test_non_idempotent_calls_are_not_retried_on_5xx_or_read_timeout(operation: str) -> None:
    handler, seen = answer(httpx.Response(503))
    with pytest.raises(InternalServerError):
        call(sync_client(handler), operation, *OPERATIONS[operation][0])
    handler, seen2 = answer(httpx.ReadTimeout("slow"))
    with pytest.raises(APITimeoutError):
        call(sync_client(handler), operation, *OPERATIONS[operation][0])
    assert (len(seen), len(seen2)) == (1, 1)


def test_kickoff_is_retried_when_the_connection_was_never_made() -> None:
    handler, seen = answer(
        httpx.ConnectError("refused"), httpx.Response(200, json={"kickoff_id": KICKOFF_ID})
    )
    assert sync_client(handler).kickoff({"topic": "AI"}).kickoff_id == KICKOFF_ID
    assert len(seen) == 2


def test_a_real_refused_connection_raises_api_connection_error() -> None:
    client = AmpClient(base_url="http://127.0.0.1:9", token=TOKEN, max_retries=1)
    with pytest.raises(APIConnectionError):
        client.inputs()


# --- wait -----------------------------------------------------------------------------


def statuses(*bodies: dict[str, Any]) -> list[httpx.Response]:
    return [httpx.Response(200, json=b) for b in bodies]


RUNNING = example("/status/{kickoff_id}", "get", "running")
COMPLETED = example("/status/{kickoff_id}", "get", "completed")
ERROR = example("/status/{kickoff_id}", "get", "error")


@FACTORIES
def test_wait_sees_every_status_and_keeps_waiting_on_unknown(factory: Callable[..., Any]) -> None:
    handler, _ = answer(*statuses(RUNNING, {"status": "paused_for_review"}, RUNNING, COMPLETED))
    seen: list[Any] = []
    final = call(factory(handler), "wait", KICKOFF_ID, on_status=seen.append)
    assert isinstance(final, StatusCompleted)
    assert [type(s).__name__ for s in seen] == [
        "StatusRunning",
        "StatusUnknown",
        "StatusRunning",
        "StatusCompleted",
    ]


@FACTORIES
def test_wait_raises_execution_error_carrying_the_status(factory: Callable[..., Any]) -> None:
    handler, _ = answer(*statuses(RUNNING, ERROR))
    with pytest.raises(ExecutionError) as raised:
        call(factory(handler), "wait", KICKOFF_ID)
    assert raised.value.status.error == ERROR["error"]
    assert raised.value.kickoff_id == KICKOFF_ID


def test_wait_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter(range(0, 10_000, 7))
    monkeypatch.setattr(client_module.time, "monotonic", lambda: float(next(clock)))
    handler, _ = answer(*statuses(RUNNING))
    with pytest.raises(WaitTimeout) as raised:
        sync_client(handler).wait(KICKOFF_ID, timeout=30)
    assert isinstance(raised.value.last_status, StatusRunning)


def test_run_is_kickoff_then_wait() -> None:
    handler, seen = answer(
        httpx.Response(200, json={"kickoff_id": KICKOFF_ID}), *statuses(RUNNING, COMPLETED)
    )
    assert isinstance(sync_client(handler).run({"topic": "AI"}), StatusCompleted)
    assert [r.method for r in seen] == ["POST", "GET", "GET"]


def test_async_wait_cancellation_propagates() -> None:
    async def scenario() -> None:
        handler, _ = answer(*statuses(RUNNING))
        client = AsyncAmpClient(
            base_url=BASE, token=TOKEN, http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler))
        )
        task = asyncio.create_task(client.wait(KICKOFF_ID))
        for _ in range(5):
            await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await client.close()

    asyncio.run(scenario())


# --- configuration and secrets ----------------------------------------------------------


def test_configuration_errors_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CREWAI_AMP_BASE_URL", raising=False)
    monkeypatch.delenv("CREWAI_AMP_TOKEN", raising=False)
    with pytest.raises(ConfigurationError, match="CREWAI_AMP_BASE_URL"):
        AmpClient(token=TOKEN)
    with pytest.raises(ConfigurationError, match="CREWAI_AMP_TOKEN"):
        AmpClient(crew="my-crew")
    monkeypatch.setenv("CREWAI_AMP_BASE_URL", "https://env-crew.crewai.com/")
    monkeypatch.setenv("CREWAI_AMP_TOKEN", TOKEN)
    assert AmpClient().base_url == "https://env-crew.crewai.com"
    assert AmpClient(crew="my-crew").base_url == "https://my-crew.crewai.com"


def test_the_token_never_leaks(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="crewai_amp")
    handler, _ = answer(httpx.Response(401, json={"error": "bad token"}))
    client = sync_client(handler, max_retries=0)
    with pytest.raises(AuthenticationError) as raised:
        client.inputs()
    texts = [repr(client), str(client), str(raised.value), repr(raised.value), caplog.text]
    texts.append(repr(client._config))
    assert not [t for t in texts if TOKEN in t]
    assert "GET /inputs -> 401" in caplog.text
