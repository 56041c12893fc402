"""`AmpEmulator(dialect="observed")` speaks AMP's platform contract, and the SDK reads it end
to end: the platform status body (PAUSED, FAILED, progress, result_json, usage_metrics, events),
an old deployment's null progress and events, NOT FOUND for a run's first checks, null optional
kickoff fields, and the live 422 body; the spec dialect keeps validating strictly."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from crewai_amp import (
    AmpClient,
    AsyncAmpClient,
    AuthenticationError,
    ExecutionError,
    RunNotFoundError,
    StatusCompleted,
    StatusPendingHumanInput,
    StatusRunning,
    UnprocessableEntityError,
)
from crewai_amp.testing import AmpEmulator, Crew, Task, default_crew
from support.emulator import INPUTS, SCALE, client_for, wait_for

# What Semantic Kernel's CrewAIEnterprise client sends when a caller gives no webhook URLs.
SEMANTIC_KERNEL_KICKOFF = {
    "inputs": INPUTS,
    "taskWebhookUrl": None,
    "stepWebhookUrl": None,
    "crewWebhookUrl": None,
}


def observed(**options: Any) -> AmpEmulator:
    return AmpEmulator(dialect="observed", scale=SCALE, **options)


def test_null_webhook_urls_are_accepted_in_the_observed_dialect_only() -> None:
    with observed() as amp, client_for(amp) as http:
        assert http.post("/kickoff", json=SEMANTIC_KERNEL_KICKOFF).status_code == 200
    with AmpEmulator(scale=SCALE) as amp, client_for(amp) as http:
        refused = http.post("/kickoff", json=SEMANTIC_KERNEL_KICKOFF)
        assert refused.status_code == 400 and "WebhookUrl" in refused.json()["error"]


def test_missing_inputs_are_the_live_422_and_the_client_names_them() -> None:
    with observed() as amp, client_for(amp) as http:
        answer = http.post("/kickoff", json={"inputs": {"topic": "AI"}})
        assert answer.status_code == 422
        assert answer.json() == {"detail": "Missing inputs: target_audience, depth"}
        bare = http.post("/kickoff", json={"topic": "AI"})  # no inputs wrapper: a live crew's 422
        assert bare.status_code == 422
        with (
            AmpClient(base_url=amp.base_url, token=amp.token) as client,
            pytest.raises(UnprocessableEntityError) as raised,
        ):
            client.kickoff({"topic": "AI"})
        assert raised.value.missing_inputs == ["target_audience", "depth"]


def test_a_run_reads_as_the_platform_documents_it() -> None:
    crew = Crew(
        inputs=("topic",),
        tasks=(
            Task(id="summary_task", agent="Writer", output='{"topic": "{topic}", "score": 1}', duration=1.0),
        ),
    )
    seen: list[Any] = []
    with observed(crew=crew) as amp, AmpClient(base_url=amp.base_url, token=amp.token) as client:
        final = client.run({"topic": "AI"}, on_status=seen.append)
    assert isinstance(final, StatusCompleted)
    assert final.result.output_json == {"topic": "AI", "score": 1}
    assert final.usage_metrics.total_tokens == 0 and final.execution_origin == "api"
    assert (final.progress.unit, final.progress.completed, final.progress.total) == ("task", 1, 1)
    assert (
        final.events_by_type["crew_kickoff_completed"] == 1
        and final.last_event["type"] == "crew_kickoff_completed"
    )
    assert final.last_executed_task.name == "summary_task"
    running = [status for status in seen if isinstance(status, StatusRunning)]
    assert all(status.progress.total_tasks == 1 for status in running)


async def test_a_failing_crew_is_failed_for_every_client() -> None:
    with observed(crew=default_crew(fail_at="outline")) as amp:
        async with AsyncAmpClient(base_url=amp.base_url, token=amp.token) as client:
            with pytest.raises(ExecutionError) as raised:
                await client.run(INPUTS)
            raw = await client.with_raw_response.status(raised.value.kickoff_id)
    body = raw.http_response.json()
    # crewai-tools' automation tool stops on state.lower() == "failed"; its reason is the message.
    assert body["state"].lower() == "failed" and body["status"] == "Tool timeout in step 4"
    assert raised.value.status.error == "Tool timeout in step 4"


def test_an_old_deployment_has_null_progress_and_events() -> None:
    with observed(old_deployment=True) as amp, AmpClient(base_url=amp.base_url, token=amp.token) as client:
        final = client.run(INPUTS)
        body = json.loads(
            httpx.get(
                f"{amp.base_url}/status/{amp.kickoff_ids[0]}",
                headers={"Authorization": f"Bearer {amp.token}"},
            ).content
        )
    assert final.progress is None and final.events is None and final.last_event is None
    assert {
        key: body[key] for key in ("progress", "events", "events_count", "events_by_type", "last_event")
    } == dict.fromkeys(("progress", "events", "events_count", "events_by_type", "last_event"))


@pytest.mark.parametrize("dialect", ["observed", "spec"])
def test_not_found_for_the_first_polls_is_waited_through(dialect: str) -> None:
    with (
        AmpEmulator(dialect=dialect, scale=SCALE, not_found_polls=2) as amp,  # type: ignore[arg-type]
        AmpClient(base_url=amp.base_url, token=amp.token) as client,
    ):
        kicked = client.kickoff(INPUTS)
        with pytest.raises(RunNotFoundError):
            client.status(kicked.kickoff_id)
        final = client.wait(kicked.kickoff_id)
    assert isinstance(final, StatusCompleted)


def test_a_review_pause_reads_paused() -> None:
    with (
        observed(crew=default_crew(review=["write"])) as amp,
        AmpClient(base_url=amp.base_url, token=amp.token) as client,
    ):
        kicked = client.kickoff(INPUTS)
        wait_for(lambda: amp.awaiting_review(kicked.kickoff_id), what="the review")
        paused = client.status(kicked.kickoff_id)
        assert isinstance(paused, StatusPendingHumanInput) and paused.task_id == "write"
        assert paused.additional_properties["state"] == "PAUSED"
        client.resume(kicked.kickoff_id, "write", "ok", True)
        assert isinstance(client.wait(kicked.kickoff_id), StatusCompleted)


@pytest.mark.parametrize("value", ["FAILURE", "PAUSED", "failed"])
def test_a_failed_state_that_is_no_option_is_refused(value: str) -> None:
    if value == "FAILURE":
        assert observed(failed_state=value)  # the opt-in variant
        return
    with pytest.raises(ValueError, match="failed_state"):
        observed(failed_state=value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("dialect", "missing", "wrong"),
    [
        # What live deployments answered (crewAIInc/skills, SKILL.md section 1).
        (
            "observed",
            {"detail": "Not authenticated"},
            {"detail": "Invalid or missing authentication credentials"},
        ),
        (
            "spec",
            {"error": "Missing bearer token (Authorization: Bearer <token>)"},
            {"error": "Invalid bearer token"},
        ),
    ],
)
def test_a_refused_token_gets_each_dialects_401_and_the_client_says_it(
    dialect: str, missing: dict[str, str], wrong: dict[str, str]
) -> None:
    with AmpEmulator(dialect=dialect, scale=SCALE) as amp:  # type: ignore[arg-type]
        without = httpx.get(f"{amp.base_url}/inputs")
        assert (without.status_code, without.json()) == (401, missing)
        with (
            AmpClient(base_url=amp.base_url, token="not-the-token") as client,
            pytest.raises(AuthenticationError) as raised,
        ):
            client.inputs()
    assert raised.value.body == wrong
    assert next(iter(wrong.values())) in str(raised.value)
