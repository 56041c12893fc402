"""Kickoff options (declared once, filling the generated KickoffRequest) and raw responses
(derived from the client's own methods), through the public API only."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any

import httpx
import pytest
from crewai_amp import (
    AmpClient,
    APIStatusError,
    AsyncAmpClient,
    ConfigurationError,
    KickoffOptions,
    KickoffResponse,
    RawResponse,
    WebhookUrls,
    with_raw_response,
)
from crewai_amp_api.models import BasicAuthentication, HumanInputWebhook, StreamingWebhooks
from support.client import (
    COMPLETED,
    KICKOFF_ID,
    OPERATIONS,
    Script,
    async_client,
    call,
    json_response,
    sent_kickoff,
    sync_client,
)

ACCEPTED = OPERATIONS["kickoff"][1]
STATE_ID = "9b2f6c1e-7d4a-4c3b-8e5f-0a1b2c3d4e5f"
HOOK_TOKEN = "hook-bearer-8d7c6b"
HOOK_PASSWORD = "basic-pw-1a2b3c"
STREAMING = {
    "events": ["crew_kickoff_completed", "task_completed"],
    "url": "https://hooks.example/stream",
    "realtime": True,
    "authentication": {"strategy": "bearer", "token": HOOK_TOKEN},
}
HUMAN = {
    "url": "https://hooks.example/human",
    "authentication": {"strategy": "basic", "username": "ops", "password": HOOK_PASSWORD},
}


@pytest.fixture(params=[sync_client, async_client], ids=["sync", "async"])
def factory(request: pytest.FixtureRequest) -> Any:
    return request.param


def sent_body(script: Script) -> dict[str, Any]:
    request = script.requests[0]
    if request.url.path == "/kickoff":
        return sent_kickoff(request)
    body: dict[str, Any] = json.loads(request.content)
    return body


def test_every_documented_kickoff_option_reaches_the_request_body(factory: Any) -> None:
    script = Script(json_response(ACCEPTED))
    call(
        factory(script),
        "kickoff",
        {"topic": "AI"},
        meta={"user": 7},
        task_webhook_url="https://hooks.example/task",
        step_webhook_url="https://hooks.example/step",
        crew_webhook_url="https://hooks.example/crew",
        webhooks=STREAMING,
        human_input_webhook=HUMAN,
        restore_from_state_id=STATE_ID,
    )
    assert sent_body(script) == {
        "inputs": {"topic": "AI"},
        "meta": {"user": 7},
        "taskWebhookUrl": "https://hooks.example/task",
        "stepWebhookUrl": "https://hooks.example/step",
        "crewWebhookUrl": "https://hooks.example/crew",
        "webhooks": STREAMING,
        "humanInputWebhook": HUMAN,
        "restoreFromStateId": STATE_ID,
    }


def test_options_may_be_the_generated_models(factory: Any) -> None:
    script = Script(json_response(ACCEPTED))
    human = HumanInputWebhook(
        url="https://hooks.example/human",
        authentication=BasicAuthentication.from_dict(HUMAN["authentication"]),
    )
    call(
        factory(script),
        "kickoff",
        {"topic": "AI"},
        webhooks=StreamingWebhooks.from_dict(STREAMING),
        human_input_webhook=human,
        restore_from_state_id=uuid.UUID(STATE_ID),
    )
    body = sent_body(script)
    assert body["webhooks"] == STREAMING and body["humanInputWebhook"] == HUMAN
    assert body["restoreFromStateId"] == STATE_ID


def test_unset_options_are_left_out_of_the_body(factory: Any) -> None:
    script = Script(json_response(ACCEPTED))
    call(factory(script), "kickoff", {"topic": "AI"}, webhooks=None, meta=None)
    assert sent_body(script) == {"inputs": {"topic": "AI"}}


def test_run_passes_the_options_to_its_kickoff(factory: Any) -> None:
    script = Script(json_response(ACCEPTED), json_response(COMPLETED))
    call(factory(script), "run", {"topic": "AI"}, timeout=5, webhooks=STREAMING, meta={"m": 1})
    assert sent_body(script)["webhooks"] == STREAMING
    assert sent_body(script)["meta"] == {"m": 1}


def test_resume_takes_the_webhook_urls(factory: Any) -> None:
    script = Script(json_response(OPERATIONS["resume"][1]))
    call(factory(script), "resume", KICKOFF_ID, "t-1", "ok", True, crew_webhook_url="https://hooks.example/c")
    assert sent_body(script)["crewWebhookUrl"] == "https://hooks.example/c"


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"webhooks": {"events": ["x"]}}, "webhooks"),  # no url
        ({"webhooks": "https://hooks.example"}, "webhooks must be a StreamingWebhooks"),
        ({"webhooks": {"url": 5}}, "webhooks"),
        ({"human_input_webhook": {"url": "https://h", "authentication": 3}}, "human_input_webhook"),
        ({"restore_from_state_id": "not-a-uuid"}, "restore_from_state_id must be a UUID"),
        ({"restore_from_state_id": 12}, "restore_from_state_id must be a UUID"),
    ],
)
def test_a_bad_option_is_a_configuration_error_before_any_request(
    factory: Any, options: dict[str, Any], problem: str
) -> None:
    script = Script(json_response(ACCEPTED))
    with pytest.raises(ConfigurationError, match=problem):
        call(factory(script), "kickoff", {"topic": "AI"}, **options)
    assert script.requests == []


@pytest.mark.parametrize("method", ["kickoff", "run"])
def test_an_unknown_option_is_refused_like_an_unknown_keyword(factory: Any, method: str) -> None:
    script = Script(json_response(ACCEPTED))
    with pytest.raises(TypeError, match="unexpected keyword argument 'task_webhook'"):
        call(factory(script), method, {"topic": "AI"}, task_webhook="https://x")
    assert script.requests == []


def test_resume_refuses_kickoff_only_options(factory: Any) -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'webhooks'"):
        call(factory(Script(json_response({}))), "resume", KICKOFF_ID, "t", "ok", True, webhooks=STREAMING)


def test_webhook_secrets_never_reach_an_error_or_a_log(
    factory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        return json_response({"error": f"bad body {request.content.decode()}"}, 400)

    caplog.set_level(logging.DEBUG, logger="crewai_amp")
    with pytest.raises(APIStatusError) as caught:
        call(factory(Script(echo)), "kickoff", {"topic": "AI"}, webhooks=STREAMING, human_input_webhook=HUMAN)
    shown = str(caught.value) + repr(caught.value) + caplog.text
    assert HOOK_TOKEN not in shown and HOOK_PASSWORD not in shown
    assert caught.value.body["error"].count(HOOK_TOKEN) == 1  # the body itself stays as received


def test_the_option_bundles_are_public_typed_dicts() -> None:
    assert set(WebhookUrls.__annotations__) == {"task_webhook_url", "step_webhook_url", "crew_webhook_url"}
    assert set(KickoffOptions.__annotations__) >= set(WebhookUrls.__annotations__) | {
        "meta",
        "webhooks",
        "human_input_webhook",
        "restore_from_state_id",
    }


# --- raw responses ------------------------------------------------------------------------


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_with_raw_response_function_wraps_any_client_method(factory: Any, operation: str) -> None:
    args, body = OPERATIONS[operation]
    answer = json_response(body, headers={"x-request-id": "req-42"})
    wrapped = with_raw_response(getattr(factory(Script(answer)), operation))
    raw = wrapped(*args)
    if asyncio.iscoroutine(raw):
        raw = asyncio.run(raw)
    assert isinstance(raw, RawResponse)
    assert raw.status_code == 200 and raw.request_id == "req-42" and raw.retries == 0
    assert raw.http_response.json() == body


def test_raw_kickoff_keeps_the_options_signature() -> None:
    script = Script(json_response(ACCEPTED))
    raw = sync_client(script).with_raw_response.kickoff({"topic": "AI"}, webhooks=STREAMING)
    assert isinstance(raw.parsed, KickoffResponse)
    assert sent_body(script)["webhooks"] == STREAMING


def test_async_raw_responses_are_awaitable_and_independent_per_task() -> None:
    async def main() -> list[RawResponse[Any]]:
        counter = 0

        def handle(request: httpx.Request) -> httpx.Response:
            nonlocal counter
            counter += 1
            return json_response(COMPLETED, headers={"x-request-id": f"req-{counter}"})

        client = async_client(handle)
        return list(await asyncio.gather(*(client.with_raw_response.status(f"k{n}") for n in range(5))))

    raws = asyncio.run(main())
    assert sorted(r.request_id or "" for r in raws) == [f"req-{n}" for n in range(1, 6)]


def test_clients_accept_the_limits_as_settings() -> None:
    client = AmpClient(
        base_url="https://crew.test", token="t0k3n-value", max_concurrency=7, max_response_bytes=1234
    )
    assert client.max_concurrency == 7 and client.max_response_bytes == 1234
    aclient = AsyncAmpClient(base_url="https://crew.test", token="t0k3n-value", max_concurrency=3)
    assert aclient.max_concurrency == 3
    assert "t0k3n-value" not in repr(client) + repr(client._config)
