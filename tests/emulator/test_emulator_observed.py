"""`AmpEmulator(dialect="observed")`: answers and deliveries in the shapes deployed AMP crews
are observed to use (status `{"state", "result", "last_step"}`, inputs as a name → type map,
legacy webhook payloads with a static bearer/basic credential, streamed event batches, the
human-input webhook), and the kickoff options that turn them on, in both dialects."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from crewai_amp.testing import AmpEmulator, default_crew
from crewai_amp.webhooks import verify
from support.emulator import INPUTS, SCALE, Receiver, client_for, paused_status, recording_receiver, wait_for

META = {"requestId": "r-7"}
LEGACY_TASK = {
    "description",
    "name",
    "expected_output",
    "summary",
    "agent",
    "output",
    "output_json",
    "kickoff_id",
    "meta",
}
LEGACY_STEP = {"prompt", "thought", "tool", "tool_input", "result", "kickoff_id", "meta"}
LEGACY_CREW = {"kickoff_id", "result", "result_json", "token_usage", "meta"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with recording_receiver() as started:
        yield started


@pytest.fixture
def emulator(request: pytest.FixtureRequest) -> Iterator[AmpEmulator]:
    options = {
        "dialect": "observed",
        "scale": SCALE,
        "webhook_hosts": {"127.0.0.1"},
        **getattr(request, "param", {}),
    }
    with AmpEmulator(**options) as started:
        yield started


@pytest.fixture
def http(emulator: AmpEmulator) -> Iterator[httpx.Client]:
    with client_for(emulator) as client:
        yield client


def options(**given: Any) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("emulator", [given], indirect=True, ids=[""])


def kickoff(http: httpx.Client, **extra: Any) -> str:
    response = http.post("/kickoff", json={"inputs": INPUTS, **extra})
    assert response.status_code == 200, response.text
    kickoff_id: str = response.json()["kickoff_id"]
    return kickoff_id


def final_state(http: httpx.Client, kickoff_id: str, path: str = "/status/{}") -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        body: dict[str, Any] = http.get(path.format(kickoff_id)).json()
        return body if body["state"] in ("SUCCESS", "FAILED", "FAILURE") else None

    return wait_for(done, what="the crew to finish")


# --- answers ----------------------------------------------------------------------------------


def test_inputs_is_a_map_of_name_to_type(emulator: AmpEmulator, http: httpx.Client) -> None:
    assert http.get("/inputs").json() == {"inputs": dict.fromkeys(emulator.crew.inputs, "str")}


@pytest.mark.parametrize("path", ["/status/{}", "/{}/status"])
def test_status_ends_in_success_with_the_text(http: httpx.Client, path: str) -> None:
    kickoff_id = kickoff(http)
    done = final_state(http, kickoff_id, path)
    assert {"state", "result", "last_step"} <= set(done)  # what Semantic Kernel's client reads
    assert done["state"] == "SUCCESS"
    assert done["status"] is None  # the platform's message is null on SUCCESS
    assert isinstance(done["result"], str) and "AI" in done["result"]
    assert done["last_step"]["task_id"] == "review"


@options(crew=default_crew(fail_at="write"))
def test_status_ends_in_failed_with_the_error_as_its_message(http: httpx.Client) -> None:
    done = final_state(http, kickoff(http))
    assert done["state"] == "FAILED"  # the platform guide's state, which crewai-tools waits for
    assert (done["status"], done["result"], done["progress"]) == ("Tool timeout in step 4", None, None)


@options(crew=default_crew(fail_at="write"), failed_state="FAILURE")
def test_failure_is_an_opt_in_failed_state(http: httpx.Client) -> None:
    assert final_state(http, kickoff(http))["state"] == "FAILURE"


@options(scale=1.0)
def test_status_is_running_while_the_crew_works(http: httpx.Client) -> None:
    body = http.get(f"/status/{kickoff(http)}").json()
    assert body["state"] == "RUNNING" and body["result"] is None


@pytest.mark.parametrize("path", ["/status/{}", "/{}/status"])
def test_unknown_id_is_state_not_found(http: httpx.Client, path: str) -> None:
    response = http.get(path.format("7c6d8f8e-0d7b-4f57-9c55-3f3a36a3c0a1"))
    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["result"], body["last_step"]) == ("NOT FOUND", None, None)
    assert body["status"] == "Task not found or Invalid kickoff id"  # what a live deployment says


def test_the_old_status_path_needs_the_token_too(emulator: AmpEmulator) -> None:
    with httpx.Client(base_url=emulator.base_url, trust_env=False) as raw:
        assert raw.get("/anything/status").status_code == 401


def test_the_old_status_path_is_observed_only() -> None:
    with AmpEmulator(scale=SCALE) as amp, client_for(amp) as http:
        assert http.get("/x/status").status_code == 404


@options(crew=default_crew(review=["write"]))
def test_review_pause_in_both_dialects(emulator: AmpEmulator, http: httpx.Client) -> None:
    kickoff_id = kickoff(http)
    wait_for(lambda: emulator.awaiting_review(kickoff_id), what="the review")
    paused = http.get(f"/status/{kickoff_id}").json()
    assert paused["state"] == "PAUSED"  # the platform guide's state for a run waiting for a human
    assert paused["result"] is None
    assert paused["last_step"]["task_id"] == "write"
    resumed = http.post(
        "/resume",
        json={"execution_id": kickoff_id, "task_id": "write", "human_feedback": "ok", "is_approve": True},
    )
    assert resumed.status_code == 200
    assert final_state(http, kickoff_id)["state"] == "SUCCESS"

    with (
        AmpEmulator(default_crew(review=["write"]), scale=SCALE) as spec_amp,
        client_for(spec_amp) as spec_http,
    ):
        spec_id = kickoff(spec_http)
        wait_for(lambda: spec_amp.awaiting_review(spec_id), what="the review")
        assert spec_http.get(f"/status/{spec_id}").json()["status"] == paused_status()


# --- legacy webhooks, with a static credential --------------------------------------------------


def hooks(receiver: Receiver) -> dict[str, str]:
    return {
        "taskWebhookUrl": receiver.url("/task"),
        "stepWebhookUrl": receiver.url("/step"),
        "crewWebhookUrl": receiver.url("/crew"),
    }


def all_delivered(emulator: AmpEmulator, receiver: Receiver) -> list[Any]:
    steps = sum(len(task.steps) for task in emulator.crew.tasks)
    expected = steps + len(emulator.crew.tasks) + 1
    return wait_for(
        lambda: len(receiver.accepted()) == expected and receiver.accepted(), what="every delivery"
    )


def test_legacy_payloads_with_a_bearer_token(
    emulator: AmpEmulator, http: httpx.Client, receiver: Receiver
) -> None:
    kickoff_id = kickoff(http, meta=META, **hooks(receiver))
    deliveries = all_delivered(emulator, receiver)
    assert emulator.webhook_token
    for delivery in deliveries:
        assert delivery.headers["authorization"] == f"Bearer {emulator.webhook_token}"
        assert "webhook-id" not in delivery.headers and "webhook-signature" not in delivery.headers
        assert "type" not in delivery.payload
        assert delivery.payload["kickoff_id"] == kickoff_id
        assert delivery.payload["meta"] == META
    task = receiver.accepted("/task")[0].payload
    assert set(task) == LEGACY_TASK
    assert task["name"] == "research" and task["agent"] == "Senior Research Analyst"
    step = receiver.accepted("/step")[1].payload
    assert set(step) == LEGACY_STEP
    assert step["tool"] == "search_web" and "AI" in step["tool_input"]
    (crew,) = [d.payload for d in receiver.accepted("/crew")]
    assert set(crew) == LEGACY_CREW
    assert set(crew["token_usage"]) == {"total_tokens", "prompt_tokens", "completion_tokens"}
    assert "AI" in crew["result"]


@options(webhook_basic_auth=("amp", "s3cret:with colon"))
def test_legacy_payloads_with_basic_auth(
    emulator: AmpEmulator, http: httpx.Client, receiver: Receiver
) -> None:
    kickoff(http, **hooks(receiver))
    expected = "Basic " + base64.b64encode(b"amp:s3cret:with colon").decode()
    assert all(d.headers["authorization"] == expected for d in all_delivered(emulator, receiver))
    assert emulator.webhook_token is None and emulator.webhook_basic_auth == ("amp", "s3cret:with colon")
    assert "s3cret" not in repr(emulator)


def test_spec_dialect_still_signs(receiver: Receiver) -> None:
    with AmpEmulator(scale=SCALE, webhook_hosts={"127.0.0.1"}) as amp, client_for(amp) as http:
        kickoff(http, crewWebhookUrl=receiver.url("/crew"))
        (crew,) = wait_for(lambda: receiver.accepted("/crew"), what="the crew event")
        verify(crew.body, crew.headers, secret=amp.webhook_secret)
        assert crew.payload["status"] == "completed"


def test_a_token_and_basic_auth_together_are_refused() -> None:
    with pytest.raises(ValueError, match="not both"):
        AmpEmulator(dialect="observed", webhook_token="t", webhook_basic_auth=("u", "p"))


def test_an_unknown_dialect_is_refused() -> None:
    with pytest.raises(ValueError, match="dialect"):
        AmpEmulator(dialect="legacy")  # type: ignore[arg-type]


# --- streamed batches and the human-input webhook (kickoff options, both dialects) -------------


@pytest.mark.parametrize("dialect", ["observed", "spec"])
def test_streamed_batches_realtime_with_a_bearer_token(receiver: Receiver, dialect: str) -> None:
    with (
        AmpEmulator(dialect=dialect, scale=SCALE, webhook_hosts={"127.0.0.1"}) as amp,
        client_for(amp) as http,
    ):  # type: ignore[arg-type]
        streaming = {
            "url": receiver.url("/stream"),
            "realtime": True,
            "authentication": {"strategy": "bearer", "token": "stream-token"},
        }
        kickoff_id = kickoff(http, webhooks=streaming)

        def finished() -> list[Any] | None:
            events = [e for d in receiver.accepted("/stream") for e in d.payload["events"]]
            return events if any(e["type"] == "crew_kickoff_completed" for e in events) else None

        events = wait_for(finished, what="the crew_kickoff_completed event")
    batches = receiver.accepted("/stream")
    assert all(d.headers["authorization"] == "Bearer stream-token" for d in batches)
    assert all(len(d.payload["events"]) == 1 for d in batches)  # realtime: one event a batch
    for event in events:
        assert set(event) == {"id", "execution_id", "timestamp", "type", "data"}
        assert event["execution_id"] == kickoff_id
    types = [event["type"] for event in events]
    assert types[0] == "crew_kickoff_started"
    assert types.count("task_started") == types.count("task_completed") == 4
    assert {"tool_usage_started", "tool_usage_finished", "llm_call_completed"} <= set(types)
    assert len({event["id"] for event in events}) == len(events)


def test_streamed_batches_only_the_listed_events_with_basic_auth(
    emulator: AmpEmulator, http: httpx.Client, receiver: Receiver
) -> None:
    streaming = {
        "url": receiver.url("/stream"),
        "events": ["task_completed", "crew_kickoff_completed"],
        "authentication": {"strategy": "basic", "username": "u", "password": "p"},
    }
    kickoff(http, webhooks=streaming)
    wait_for(
        lambda: any(
            e["type"] == "crew_kickoff_completed" for d in receiver.accepted() for e in d.payload["events"]
        ),
        what="the end of the stream",
    )
    batches = receiver.accepted("/stream")
    types = [e["type"] for d in batches for e in d.payload["events"]]
    assert types == ["task_completed"] * 4 + ["crew_kickoff_completed"]
    assert len(batches) == 5  # not realtime: one batch per finished task, one at the end
    assert all(d.headers["authorization"] == "Basic " + base64.b64encode(b"u:p").decode() for d in batches)


@options(crew=default_crew(review=["outline"]))
def test_human_input_webhook_gets_the_pause(
    emulator: AmpEmulator, http: httpx.Client, receiver: Receiver
) -> None:
    human = {"url": receiver.url("/human"), "authentication": {"strategy": "bearer", "token": "hi-token"}}
    kickoff_id = kickoff(
        http, humanInputWebhook=human, meta=META, restoreFromStateId="5b9c2a9e-0000-4000-8000-000000000000"
    )
    (delivery,) = wait_for(lambda: receiver.accepted("/human"), what="the human-input delivery")
    assert delivery.headers["authorization"] == "Bearer hi-token"
    assert delivery.payload["kickoff_id"] == kickoff_id
    assert delivery.payload["task_id"] == "outline"
    assert delivery.payload["meta"] == META
    assert emulator.awaiting_review(kickoff_id) == "outline"


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"webhooks": "https://example.com"}, "webhooks"),
        ({"webhooks": {"realtime": True}}, "webhooks.url"),
        (
            {"webhooks": {"url": "https://e.com", "authentication": {"strategy": "oauth"}}},
            "webhooks.authentication.strategy",
        ),
        ({"webhooks": {"url": "https://e.com", "authentication": {"strategy": "bearer"}}}, "webhooks"),
        ({"humanInputWebhook": {"url": 5}}, "humanInputWebhook.url"),
        ({"restoreFromStateId": 7}, "restoreFromStateId"),
    ],
)
def test_bad_kickoff_options_are_400_naming_the_field(
    emulator: AmpEmulator, http: httpx.Client, extra: dict[str, Any], field: str
) -> None:
    response = http.post("/kickoff", json={"inputs": INPUTS, **extra})
    assert response.status_code == 400, response.text
    assert field in response.json()["error"]
    assert emulator.kickoff_ids == []
    assert "s3cret" not in response.text


# --- the fixture's marker ------------------------------------------------------------------------


@pytest.mark.amp_emulator(dialect="observed")
def test_the_fixture_marker_picks_the_dialect(amp_emulator: AmpEmulator) -> None:
    assert amp_emulator.dialect == "observed"
    with client_for(amp_emulator) as http:
        assert http.get("/inputs").json()["inputs"] == dict.fromkeys(amp_emulator.crew.inputs, "str")
