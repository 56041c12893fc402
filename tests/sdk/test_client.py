"""AmpClient and AsyncAmpClient against an in-process transport (httpx.MockTransport): every
operation, sync and async — success, each error status, malformed bodies, forward compatibility,
configuration, secrets and with_raw_response. Retries, wait() and fuzzing have their own files.
Bodies come from the spec's examples, read at test time."""

from __future__ import annotations

import datetime
import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from crewai_amp import (
    AmpClient,
    AmpError,
    APIStatusError,
    AsyncAmpClient,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    InternalServerError,
    KickoffMayHaveStarted,
    KickoffResponse,
    NotFoundError,
    RateLimitError,
    RawResponse,
    ResponseValidationError,
    ResumeResponse,
    RunNotFoundError,
    StatusCompleted,
    StatusRunning,
    StatusUnknown,
    UnprocessableEntityError,
    __version__,
    raw_body,
)
from crewai_amp._models import UnknownEnumValue
from support.client import (
    BASE,
    COMPLETED,
    KICKOFF_ID,
    OPERATIONS,
    PATHS,
    REST,
    RUNNING,
    TOKEN,
    Script,
    as_read,
    async_client,
    call,
    json_response,
    request_examples,
    response_examples,
    sent_kickoff,
    sync_client,
)
from support.instances import resolve, same_data, unknown_enum_value

FACTORIES = pytest.mark.parametrize("factory", [sync_client, async_client], ids=["sync", "async"])
Factory = Callable[..., Any]


# --- success -------------------------------------------------------------------------------


@FACTORIES
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_each_operation_returns_its_model_and_sends_auth(factory: Factory, operation: str) -> None:
    args, body = OPERATIONS[operation]
    script = Script(json_response(body))
    result = call(factory(script), operation, *args)
    (request,) = script.requests
    assert request.url == httpx.URL(BASE + PATHS[operation])
    assert request.method == ("GET" if operation in ("inputs", "status") else "POST")
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["user-agent"].startswith(f"crewai-amp-client/{__version__} ")
    assert request.headers["accept"] == "application/json"
    if operation == "inputs":
        assert result == body["inputs"]
    else:
        assert same_data(result, body)


def status_model(value: str) -> type[Any]:
    """The generated model the spec's discriminator names for a status value, or StatusUnknown."""
    import crewai_amp_api.models as generated

    mapping = REST["components"]["schemas"]["StatusResponse"]["discriminator"]["mapping"]
    ref = mapping.get(value)
    return StatusUnknown if ref is None else getattr(generated, ref.rsplit("/", 1)[-1])


@FACTORIES
@pytest.mark.parametrize("name", list(response_examples("/status/{kickoff_id}", "get")))
def test_every_status_example_parses_to_its_model(factory: Factory, name: str) -> None:
    body = response_examples("/status/{kickoff_id}", "get")[name]
    status = call(factory(Script(json_response(body))), "status", KICKOFF_ID)
    assert type(status) is status_model(body["status"])
    assert raw_body(status) == body
    assert same_data(status, as_read(body))


def test_the_models_are_the_generated_ones() -> None:
    import crewai_amp_api.models as generated

    assert StatusRunning is generated.StatusRunning
    assert StatusCompleted is generated.StatusCompleted
    assert KickoffResponse is generated.KickoffResponse
    assert ResumeResponse is generated.ResumeResponse


@FACTORIES
@pytest.mark.parametrize("name", list(request_examples("/kickoff", "post")))
def test_kickoff_sends_the_body_the_spec_describes(factory: Factory, name: str) -> None:
    example = request_examples("/kickoff", "post")[name]
    script = Script(json_response({"kickoff_id": KICKOFF_ID}))
    kicked = call(
        factory(script),
        "kickoff",
        example["inputs"],
        meta=example.get("meta"),
        task_webhook_url=example.get("taskWebhookUrl"),
        step_webhook_url=example.get("stepWebhookUrl"),
        crew_webhook_url=example.get("crewWebhookUrl"),
    )
    assert kicked.kickoff_id == KICKOFF_ID
    # What kickoff() sends is the example's (a field the spec adds later, which kickoff() has no
    # parameter for, is not sent, or is sent as the spec's own default), the required ones included.
    sent = sent_kickoff(script.requests[0])
    assert sent_as_described(sent, example, "KickoffRequest")
    assert script.requests[0].headers["content-type"] == "application/json"


@FACTORIES
@pytest.mark.parametrize("name", list(request_examples("/resume", "post")))
def test_resume_sends_the_body_the_spec_describes(factory: Factory, name: str) -> None:
    example = request_examples("/resume", "post")[name]
    script = Script(json_response({"status": "resumed"}))
    call(
        factory(script),
        "resume",
        example["execution_id"],
        example["task_id"],
        example["human_feedback"],
        example["is_approve"],
    )
    # What resume() sends is the example's (a field the spec adds later, which resume() has no
    # parameter for, is not sent, or is sent as the spec's own default), the required ones included.
    sent = json.loads(script.requests[0].content)
    assert sent_as_described(sent, example, "ResumeRequest")


def sent_as_described(sent: dict[str, Any], example: dict[str, Any], schema: str) -> bool:
    """Each field sent is the example's, or one the example leaves out sent as its schema's
    default (a generated request model writes a field's default); every required field is sent."""
    model = REST["components"]["schemas"][schema]
    properties = model.get("properties", {})
    for name, value in sent.items():
        if name in example:
            if example[name] != value:
                return False
        else:
            field = resolve(REST, properties.get(name, {}))
            if "default" not in field or field["default"] != value:
                return False
    return set(model.get("required", [])) <= set(sent)


def test_resume_passes_webhook_urls_by_their_spec_names() -> None:
    script = Script(json_response({"status": "retrying"}))
    sync_client(script).resume(KICKOFF_ID, "t-1", "redo", False, crew_webhook_url="https://h.test/crew")
    assert json.loads(script.requests[0].content)["crewWebhookUrl"] == "https://h.test/crew"


def test_kickoff_ids_are_escaped_into_the_path() -> None:
    script = Script(json_response(RUNNING))
    sync_client(script).status("a/b?c")
    assert script.requests[0].url.raw_path == b"/status/a%2Fb%3Fc"
    # Errors name the path as it was sent, not a decoded one that reads like another request.
    with pytest.raises(NotFoundError, match=r"GET /status/a%2F\.\.%2Finputs answered 404"):
        sync_client(Script(json_response({"error": "no"}, 404))).status("a/../inputs")


@pytest.mark.parametrize(
    ("method", "args", "error"),
    [
        ("kickoff", (["topic"],), TypeError),
        ("kickoff", ("topic=AI",), TypeError),
        ("status", ("",), ValueError),
        ("status", (None,), ValueError),
        ("resume", (KICKOFF_ID, "t-1", "ok", "yes"), TypeError),
        ("kickoff", ({"when": datetime.date(2026, 1, 1)},), TypeError),  # not JSON
        ("kickoff", ({"score": float("nan")},), ValueError),  # not valid JSON either
    ],
)
def test_wrong_arguments_fail_before_anything_is_sent(
    method: str, args: tuple[Any, ...], error: type
) -> None:
    script = Script(json_response({}))
    with pytest.raises(error):
        getattr(sync_client(script), method)(*args)
    assert script.requests == []


# --- errors --------------------------------------------------------------------------------

ERRORS: dict[int, type[APIStatusError]] = {
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
def test_each_error_status_raises_its_exception(factory: Factory, operation: str, code: int) -> None:
    body = {"error": "nope", "details": {"missing": ["topic"]}}
    script = Script(json_response(body, code, headers={"x-request-id": "req-1"}))
    with pytest.raises(ERRORS[code]) as raised:
        call(factory(script, max_retries=0), operation, *OPERATIONS[operation][0])
    error = raised.value
    # A 404 to a status check names the run it asked about: RunNotFoundError, a NotFoundError.
    expected = RunNotFoundError if (code, operation) == (404, "status") else ERRORS[code]
    assert type(error) is expected
    assert (error.status_code, error.body, error.request_id) == (code, body, "req-1")
    assert error.response.status_code == code
    assert "nope" in str(error) and str(code) in str(error) and PATHS[operation] in str(error)
    assert len(script.requests) == 1


@FACTORIES
def test_an_error_body_that_is_not_json_is_kept_as_text(factory: Factory) -> None:
    script = Script(httpx.Response(502, text="<html>Bad gateway</html>"))
    with pytest.raises(InternalServerError) as raised:
        call(factory(script, max_retries=0), "inputs")
    assert raised.value.body == "<html>Bad gateway</html>"


def test_a_redirect_is_an_error_not_a_success() -> None:
    script = Script(httpx.Response(301, headers={"location": "https://elsewhere.test/inputs"}))
    with pytest.raises(APIStatusError) as raised:
        sync_client(script).inputs()
    assert raised.value.status_code == 301


# --- malformed bodies ----------------------------------------------------------------------

MALFORMED_EVERYWHERE: dict[str, httpx.Response] = {
    "html": httpx.Response(200, text="<html>oops</html>"),
    "empty": httpx.Response(200),
    "no-content-204": httpx.Response(204),
    "json-list": json_response(["a", "list"]),
    "json-string": json_response("just a string"),
    "json-null": json_response(None),
    "empty-object": json_response({}),
    "truncated": httpx.Response(200, content=b'{"inputs": ["topic"'),
    "not-utf8": httpx.Response(200, content=b'{"x": "\xff\xfe"}'),
    "deeply-nested": httpx.Response(200, content=b"[" * 100_000 + b"]" * 100_000),
}


def read_error(operation: str, error: BaseException) -> ResponseValidationError:
    """The ResponseValidationError a malformed success body raised: for a kickoff, the cause of
    its KickoffMayHaveStarted (AMP accepted the kickoff, so a paid run may have started)."""
    if operation == "kickoff":
        assert isinstance(error, KickoffMayHaveStarted), error
        error = error.__cause__  # type: ignore[assignment]
    assert isinstance(error, ResponseValidationError), error
    return error


WRONG_TYPES: dict[str, list[Any]] = {
    "inputs": [{"inputs": "topic"}, {"inputs": [1, 2]}, {"inputs": 3}, {"inputs": None}],
    "kickoff": [{"kickoff_id": 5}, {"kickoff_id": ""}, {"kickoff_id": None}, {"kickoff_id": ["x"]}],
    "status": [
        {"status": 7},
        {"status": None},
        {"status": ["running"]},
        {"status": "running", "progress": {"completed_tasks": "2"}},
        {"status": "running", "progress": [2, 5]},
        {"status": "running", "progress": {"completed_tasks": True}},
        {"status": "running", "current_task": 5},
        {"status": "completed", "result": []},
        {"status": "completed", "result": {"tasks": {}}},
        {"status": "completed", "result": {"tasks": [["t-1"]]}},
        {"status": "completed", "result": {"tasks": [{"execution_time": "fast"}]}},
        {"status": "completed", "execution_time": "64.1"},
        {"status": "error", "error": {"message": "x"}},
    ],
    "resume": [{"status": 5}, {"status": None}, {"status": "resumed", "message": 5}, {"message": "hi"}],
}


@FACTORIES
@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize("name", list(MALFORMED_EVERYWHERE))
def test_malformed_bodies_raise_response_validation_error_with_the_raw_text(
    factory: Factory, operation: str, name: str
) -> None:
    response = MALFORMED_EVERYWHERE[name]
    with pytest.raises(AmpError) as raised:
        call(factory(Script(response)), operation, *OPERATIONS[operation][0])
    invalid = read_error(operation, raised.value)
    assert invalid.raw == response.text
    assert invalid.status_code == response.status_code
    assert "does not match the spec" in str(invalid)


@FACTORIES
@pytest.mark.parametrize(
    ("operation", "body"),
    [(operation, body) for operation, bodies in WRONG_TYPES.items() for body in bodies],
    ids=[f"{operation}-{i}" for operation, bodies in WRONG_TYPES.items() for i in range(len(bodies))],
)
def test_wrong_types_raise_response_validation_error(factory: Factory, operation: str, body: Any) -> None:
    response = json_response(body)
    with pytest.raises(AmpError) as raised:
        call(factory(Script(response)), operation, *OPERATIONS[operation][0])
    assert read_error(operation, raised.value).raw == response.text


def test_the_validation_error_names_the_field() -> None:
    body = {**COMPLETED, "result": {"tasks": [{"task_id": "t-1", "execution_time": "fast"}]}}
    with pytest.raises(
        ResponseValidationError, match=r"result\.tasks\[0\]\.execution_time: expected a number"
    ):
        sync_client(Script(json_response(body))).status(KICKOFF_ID)


# --- forward compatibility -----------------------------------------------------------------


@FACTORIES
def test_an_unknown_status_is_kept_not_a_crash(factory: Factory) -> None:
    body = {"status": "awaiting_review", "task": "write", "new": [1]}
    status = call(factory(Script(json_response(body))), "status", KICKOFF_ID)
    assert isinstance(status, StatusUnknown)
    assert (status.status, status.raw, status.to_dict()) == ("awaiting_review", body, body)
    assert status["task"] == "write" and "new" in status and "status" not in status
    assert status.additional_properties == {"task": "write", "new": [1]}


def test_unknown_fields_are_kept_on_known_models() -> None:
    body = {**RUNNING, "eta_seconds": 12, "progress": {**RUNNING["progress"], "stage": "draft"}}
    status = sync_client(Script(json_response(body))).status(KICKOFF_ID)
    assert isinstance(status, StatusRunning)
    assert status["eta_seconds"] == 12
    assert same_data(status, body)


@FACTORIES
def test_an_unknown_resume_status_is_kept_not_a_crash(factory: Factory) -> None:
    # A value the live spec's enum does not have (whatever values upstream adds).
    known = REST["components"]["schemas"]["ResumeResponse"]["properties"]["status"]["enum"]
    unknown = unknown_enum_value(known)
    body = {"status": unknown, "message": "behind 3 others"}
    answer = call(factory(Script(json_response(body))), "resume", KICKOFF_ID, "t-3", "ok", True)
    assert isinstance(answer, ResumeResponse)
    assert isinstance(answer.status, UnknownEnumValue)
    assert answer.status == unknown and answer.status.value == unknown and str(answer.status) == unknown
    assert answer.to_dict() == body


@FACTORIES
@pytest.mark.parametrize("code", [201, 202])
def test_any_2xx_with_a_valid_body_is_a_success(factory: Factory, code: int) -> None:
    kicked = call(
        factory(Script(json_response({"kickoff_id": KICKOFF_ID}, code))), "kickoff", {"topic": "AI"}
    )
    assert kicked.kickoff_id == KICKOFF_ID


# --- configuration -------------------------------------------------------------------------


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.delenv("CREWAI_AMP_BASE_URL", raising=False)
    monkeypatch.delenv("CREWAI_AMP_TOKEN", raising=False)
    return monkeypatch


@pytest.mark.parametrize("cls", [AmpClient, AsyncAmpClient])
def test_a_missing_url_or_token_is_an_error_at_construction(no_env: pytest.MonkeyPatch, cls: type) -> None:
    with pytest.raises(ConfigurationError, match="CREWAI_AMP_BASE_URL"):
        cls(token=TOKEN)
    with pytest.raises(ConfigurationError, match="CREWAI_AMP_TOKEN"):
        cls(crew="my-crew")
    with pytest.raises(ConfigurationError, match="empty"):
        cls(crew="my-crew", token="   ")
    no_env.setenv("CREWAI_AMP_TOKEN", "")
    with pytest.raises(ConfigurationError, match="CREWAI_AMP_TOKEN"):
        cls(crew="my-crew")


def test_configuration_comes_from_arguments_then_the_environment(no_env: pytest.MonkeyPatch) -> None:
    no_env.setenv("CREWAI_AMP_BASE_URL", "https://env-crew.crewai.com/")
    no_env.setenv("CREWAI_AMP_TOKEN", TOKEN)
    assert AmpClient().base_url == "https://env-crew.crewai.com"
    assert AmpClient(crew="my-crew").base_url == "https://my-crew.crewai.com"
    assert AmpClient("https://factory.example.com/crews/a/").base_url == "https://factory.example.com/crews/a"
    script = Script(json_response({"inputs": []}))
    client = AmpClient(
        token="explicit-token", http_client=httpx.Client(transport=httpx.MockTransport(script))
    )
    client.inputs()
    assert script.requests[0].headers["authorization"] == "Bearer explicit-token"
    assert script.requests[0].url == "https://env-crew.crewai.com/inputs"


def test_a_base_url_with_a_path_prefix_keeps_it() -> None:
    script = Script(json_response({"inputs": []}))
    http = httpx.Client(transport=httpx.MockTransport(script))
    AmpClient("https://factory.example.com/crews/a", token=TOKEN, http_client=http).inputs()
    assert script.requests[0].url == "https://factory.example.com/crews/a/inputs"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"base_url": "my-crew.crewai.com"},
        {"base_url": "ftp://my-crew.crewai.com"},
        {"base_url": "https://"},
        {"base_url": "https://exa mple.com"},
        {"base_url": "https://user:pw@my-crew.crewai.com"},
        {"base_url": "https://my-crew.crewai.com/?x=1"},
        {"base_url": "https://a.test", "crew": "a"},
        {"crew": "my crew"},
        {"crew": "my-crew.crewai.com/x"},
        {"crew": ""},
        {"base_url": "https://a.test", "max_retries": -1},
        {"base_url": "https://a.test", "max_retries": True},
        {"base_url": "https://a.test", "max_retries": 1.5},
        {"base_url": "https://a.test", "timeout": 0},
        {"base_url": "https://a.test", "timeout": "30"},
        {"base_url": "https://a.test", "http_client": httpx.AsyncClient()},
    ],
)
def test_invalid_settings_are_configuration_errors(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        AmpClient(token=TOKEN, **kwargs)


def test_an_async_client_refuses_a_sync_http_client() -> None:
    with pytest.raises(ConfigurationError):
        AsyncAmpClient(base_url=BASE, token=TOKEN, http_client=httpx.Client())  # type: ignore[arg-type]


@pytest.mark.parametrize("token", ["tok en", "tok\nen", "tøken", "tok\x00en"])
def test_a_token_a_header_cannot_carry_is_refused_without_showing_it(token: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        AmpClient(base_url=BASE, token=token)
    assert token not in str(raised.value)


def test_a_pasted_token_is_tidied() -> None:
    script = Script(json_response({"inputs": []}))
    http = httpx.Client(transport=httpx.MockTransport(script))
    AmpClient(base_url=BASE, token=f"  Bearer {TOKEN}\n", http_client=http).inputs()
    assert script.requests[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_timeout_defaults_and_overrides() -> None:
    client = AmpClient(base_url=BASE, token=TOKEN)
    assert client.timeout == httpx.Timeout(30.0, connect=5.0)
    assert client._http.timeout == httpx.Timeout(30.0, connect=5.0)
    assert client.max_retries == 2
    assert AmpClient(base_url=BASE, token=TOKEN, timeout=12).timeout == httpx.Timeout(12.0)
    custom = httpx.Timeout(60.0, connect=2.0)
    assert AmpClient(base_url=BASE, token=TOKEN, timeout=custom)._http.timeout == custom


def test_a_callers_http_client_keeps_its_settings_and_gets_our_headers() -> None:
    script = Script(json_response({"inputs": []}))
    http = httpx.Client(
        transport=httpx.MockTransport(script), headers={"X-Proxy-Auth": "p"}, timeout=httpx.Timeout(7.0)
    )
    AmpClient(base_url=BASE, token=TOKEN, http_client=http).inputs()
    AmpClient(base_url=BASE, token=TOKEN, http_client=http, timeout=3, first_request_timeout=None).inputs()
    first, second = script.requests
    assert first.headers["x-proxy-auth"] == "p"
    assert first.headers["authorization"] == f"Bearer {TOKEN}"
    assert first.headers["user-agent"].startswith("crewai-amp-client/")
    assert first.extensions["timeout"] == httpx.Timeout(7.0).as_dict()  # theirs, untouched
    assert second.extensions["timeout"] == httpx.Timeout(3.0).as_dict()  # ours, when given


def test_close_closes_our_http_client_but_never_the_callers() -> None:
    theirs = httpx.Client()
    with AmpClient(base_url=BASE, token=TOKEN, http_client=theirs) as client:
        assert isinstance(client, AmpClient)
    assert not theirs.is_closed
    with AmpClient(base_url=BASE, token=TOKEN) as ours:
        pass
    assert ours._http.is_closed
    theirs.close()


async def test_async_close_closes_our_http_client_but_never_the_callers() -> None:
    theirs = httpx.AsyncClient()
    async with AsyncAmpClient(base_url=BASE, token=TOKEN, http_client=theirs) as client:
        assert isinstance(client, AsyncAmpClient)
    assert not theirs.is_closed
    async with AsyncAmpClient(base_url=BASE, token=TOKEN) as ours:
        pass
    assert ours._http.is_closed
    await theirs.aclose()


# --- secrets and logging -------------------------------------------------------------------


def test_the_token_never_leaks(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, httpx's included
    script = Script(
        httpx.Response(503),
        json_response({"error": "bad token"}, 401),
        httpx.Response(200, text="not json"),
        httpx.ConnectError("refused"),
    )
    client = sync_client(script, max_retries=1)
    texts = [repr(client), str(client), repr(client._config), str(client._config)]
    for _ in range(3):
        with pytest.raises(Exception) as raised:
            client.inputs()
        texts += [str(raised.value), repr(raised.value), repr(getattr(raised.value, "response", None))]
        texts += [repr(getattr(raised.value, "request", None)), repr(raised.value.__cause__)]
    texts.append(caplog.text)
    assert [t for t in texts if TOKEN in t] == []
    assert "sk-secret" not in caplog.text


def test_debug_logs_name_method_path_status_time_and_retry(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="crewai_amp")
    script = Script(httpx.Response(503), json_response(RUNNING))
    sync_client(script).status(KICKOFF_ID)
    lines = [r.getMessage() for r in caplog.records if r.name == "crewai_amp"]
    assert lines[0].startswith(f"GET /status/{KICKOFF_ID} -> 503 in ") and lines[0].endswith("ms (retry 0)")
    assert lines[1].startswith(f"retrying GET /status/{KICKOFF_ID} in ") and "(retry 1 of 2)" in lines[1]
    assert lines[2].startswith(f"GET /status/{KICKOFF_ID} -> 200 in ") and lines[2].endswith("(retry 1)")


def test_nothing_is_logged_above_debug(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="crewai_amp")
    sync_client(Script(httpx.Response(503), json_response(RUNNING))).status(KICKOFF_ID)
    assert [r for r in caplog.records if r.name == "crewai_amp"] == []


# --- with_raw_response ---------------------------------------------------------------------


@FACTORIES
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_with_raw_response_returns_the_http_response_too(factory: Factory, operation: str) -> None:
    args, body = OPERATIONS[operation]
    ok = json_response(body, headers={"x-request-id": "req-9"})
    retried = operation in ("inputs", "status")  # reads retry a 503; kickoff and resume never do
    script = Script(httpx.Response(503), ok) if retried else Script(ok)
    raw = call(factory(script).with_raw_response, operation, *args)
    assert isinstance(raw, RawResponse)
    assert (raw.status_code, raw.request_id, raw.headers["x-request-id"]) == (200, "req-9", "req-9")
    assert raw.http_response.json() == body
    assert raw.retries == (1 if retried else 0)
    assert raw.parsed == body["inputs"] if operation == "inputs" else same_data(raw.parsed, body)


@FACTORIES
def test_with_raw_response_raises_like_the_plain_call(factory: Factory) -> None:
    with pytest.raises(NotFoundError):
        call(factory(Script(json_response({"error": "no"}, 404))).with_raw_response, "status", KICKOFF_ID)
