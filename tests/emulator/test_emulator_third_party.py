"""Two public clients of deployed crews, their requests and their reading reproduced with httpx
(neither package is a dependency), against the emulator's observed dialect: a crew that
succeeds reads as its output, one that fails reads as failed, and each kicks off with its own
defaults.

- Semantic Kernel's CrewAIEnterprise (microsoft/semantic-kernel,
  python/semantic_kernel/core_plugins/crew_ai: crew_ai_enterprise_client.py, crew_ai_models.py,
  crew_ai_enterprise.py): a kickoff with null webhook URLs, every answer validated by its
  pydantic models (the state one of its enum, result a string or null, last_step an object or
  null, inputs a name -> string map), polled until SUCCESS, FAILED, FAILURE or NOT FOUND;
- crewai-tools' InvokeCrewAIAutomationTool (crewAIInc/crewAI,
  lib/crewai-tools/src/crewai_tools/tools/invoke_crewai_automation_tool): a kickoff of
  ``{"inputs": ...}``, then ``state.lower()`` compared with "success" and "failed";
- AMP's reference client (crewAIInc/skills, skills/call-deployed-crew/references/python-client.md,
  its rules in tests/support/reference_client.py), in both dialects: inputs checked against
  ``GET /inputs``, values stringified, ``state`` else ``status`` lower-cased, a few 404s
  tolerated, the result from ``result_json`` else ``result``.
"""

from __future__ import annotations

import asyncio
import enum
import re
import time
from typing import Any

import httpx
import pytest
from crewai_amp import AmpClient, StatusPendingHumanInput
from crewai_amp.testing import AmpEmulator, Crew, Task, default_crew
from pydantic import BaseModel
from support import reference_client as reference
from support.emulator import INPUTS, SCALE

OUTPUT = "Final report on AI for devs"
FAILURE_TEXT = "Tool timeout in step 4"


class SemanticKernelState(str, enum.Enum):  # CrewAIEnterpriseKickoffState
    Pending = "PENDING"
    Started = "STARTED"
    Running = "RUNNING"
    Success = "SUCCESS"
    Failed = "FAILED"
    Failure = "FAILURE"
    Not_Found = "NOT FOUND"


class SemanticKernelStatus(BaseModel):  # CrewAIStatusResponse
    state: SemanticKernelState
    result: str | None = None
    last_step: dict[str, Any] | None = None


class SemanticKernelInputs(BaseModel):  # CrewAIRequiredInputs
    inputs: dict[str, str]


class SemanticKernelKickoff(BaseModel):  # CrewAIKickoffResponse
    kickoff_id: str


FINAL = [
    SemanticKernelState.Failed,
    SemanticKernelState.Failure,
    SemanticKernelState.Success,
    SemanticKernelState.Not_Found,
]


async def semantic_kernel(amp: AmpEmulator, inputs: dict[str, Any] | None) -> SemanticKernelStatus:
    """CrewAIEnterprise: get_inputs, kickoff(inputs) with no webhook URLs, then
    wait_for_crew_completion as it polls (its interval scaled to the emulator's pace)."""
    headers = {
        "Authorization": f"Bearer {amp.token}",
        "Content-Type": "application/json",
        "user_agent": "semantic-kernel",
    }
    async with httpx.AsyncClient(base_url=amp.base_url, headers=headers, trust_env=False) as session:
        response = await session.get("/inputs")
        response.raise_for_status()
        SemanticKernelInputs.model_validate_json(response.text)
        content = {"inputs": inputs, "taskWebhookUrl": None, "stepWebhookUrl": None, "crewWebhookUrl": None}
        response = await session.post("/kickoff", json=content)
        response.raise_for_status()
        task_id = SemanticKernelKickoff.model_validate_json(response.text).kickoff_id
        assert re.fullmatch(r"[A-Za-z0-9_-]+", task_id)  # what its get_status insists on
        status = SemanticKernelStatus(state=SemanticKernelState.Pending)
        while status.state not in FINAL:
            await asyncio.sleep(SCALE)
            response = await session.get(f"/status/{task_id}")
            response.raise_for_status()
            status = SemanticKernelStatus.model_validate_json(response.text)
        return status


def crewai_tools(amp: AmpEmulator, inputs: dict[str, Any], max_polling_time: int = 1000) -> str:
    """InvokeCrewAIAutomationTool._run, its one-second sleep scaled to the emulator's pace."""
    headers = {"Authorization": f"Bearer {amp.token}", "Content-Type": "application/json"}
    with httpx.Client(base_url=amp.base_url, headers=headers, timeout=30, trust_env=False) as http:
        response = http.post("/kickoff", json={"inputs": inputs}).json()
        if response.get("kickoff_id") is None:
            return f"Error: Failed to kickoff crew. Response: {response}"
        kickoff_id = response.get("kickoff_id")
        for _ in range(max_polling_time):
            status_response = http.get(f"/status/{kickoff_id}").json()
            if status_response.get("state", "").lower() == "success":
                return str(status_response.get("result", "No result returned"))
            if status_response.get("state", "").lower() == "failed":
                return f"Error: Crew task failed. Response: {status_response}"
            time.sleep(SCALE)
    return f"Error: Crew did not complete within {max_polling_time} seconds"


def observed(**options: Any) -> AmpEmulator:
    return AmpEmulator(dialect="observed", scale=SCALE, **options)


@pytest.mark.parametrize(
    "inputs", [INPUTS, {**INPUTS, "depth": 3}], ids=["strings", "a-number-stringified-as-live"]
)
def test_semantic_kernel_kicks_off_with_its_defaults_and_reads_the_output(inputs: dict[str, Any]) -> None:
    with observed() as amp:
        final = asyncio.run(semantic_kernel(amp, inputs))
    assert final.state is SemanticKernelState.Success
    # A value that is no string is stringified, as a live deployment does (AUDIENCE=3).
    assert final.result is not None and final.result.startswith(f"{OUTPUT} ({inputs['depth']})")


@pytest.mark.parametrize("failed_state", ["FAILED", "FAILURE"])
def test_semantic_kernel_reads_a_failing_crew_as_failed(failed_state: str) -> None:
    with observed(crew=default_crew(fail_at="write"), failed_state=failed_state) as amp:
        final = asyncio.run(semantic_kernel(amp, INPUTS))
    assert final.state.value == failed_state and final.result is None


def test_semantic_kernel_without_inputs_gets_the_live_422() -> None:
    with observed() as amp, pytest.raises(httpx.HTTPStatusError) as raised:
        asyncio.run(semantic_kernel(amp, None))
    assert raised.value.response.status_code == 422
    assert raised.value.response.json() == {"detail": "Missing inputs: topic, target_audience, depth"}


def test_semantic_kernel_reads_an_old_deployments_run() -> None:
    with observed(old_deployment=True) as amp:
        final = asyncio.run(semantic_kernel(amp, INPUTS))
    assert final.state is SemanticKernelState.Success and final.result is not None


def test_the_crewai_tools_automation_tool_returns_the_output() -> None:
    with observed() as amp:
        assert crewai_tools(amp, INPUTS).startswith(OUTPUT)


def test_the_crewai_tools_automation_tool_sees_a_failing_crew_fail() -> None:
    with observed(crew=default_crew(fail_at="write")) as amp:
        answer = crewai_tools(amp, INPUTS)
    assert answer.startswith("Error: Crew task failed.") and FAILURE_TEXT in answer


def test_failure_is_the_opt_in_that_the_automation_tool_does_not_read() -> None:
    # Why FAILED is the default: the tool compares with "failed" only, so it polls a FAILURE
    # run until its time is up.
    with observed(crew=default_crew(fail_at="outline"), failed_state="FAILURE") as amp:
        answer = crewai_tools(amp, INPUTS, max_polling_time=60)
    assert answer == "Error: Crew did not complete within 60 seconds"


# --- AMP's reference client ------------------------------------------------------------------------

DIALECTS = pytest.mark.parametrize("dialect", ["observed", "spec"])


def emulator(dialect: str, **options: Any) -> AmpEmulator:
    return AmpEmulator(dialect=dialect, scale=SCALE, **options)  # type: ignore[arg-type]


def reference_client(amp: AmpEmulator) -> reference.ReferenceClient:
    return reference.ReferenceClient(amp.base_url, amp.token, pace=SCALE)


@DIALECTS
@pytest.mark.parametrize("options", [{}, {"not_found_polls": 2}], ids=["plain", "not-found-first"])
def test_the_reference_client_reads_the_output(dialect: str, options: dict[str, Any]) -> None:
    # In the observed dialect NOT FOUND is a 200 the reference polls through as "in progress";
    # in the spec dialect a 404, within its grace of 3.
    with emulator(dialect, **options) as amp, reference_client(amp) as client:
        result = client.run({**INPUTS, "depth": 3})  # a number, sent as JSON text
    assert isinstance(result, str) and result.startswith(f"{OUTPUT} (3)")


def test_the_reference_client_reads_an_old_deployment_and_result_json() -> None:
    crew = Crew(
        inputs=("topic",), tasks=(Task(id="t", agent="A", output='{"topic": "{topic}"}', duration=1.0),)
    )
    with observed(crew=crew, old_deployment=True) as amp, reference_client(amp) as client:
        assert client.run({"topic": "AI"}) == {"topic": "AI"}


@DIALECTS
def test_the_reference_client_sees_a_failing_crew_fail(dialect: str) -> None:
    with (
        emulator(dialect, crew=default_crew(fail_at="write")) as amp,
        reference_client(amp) as client,
        pytest.raises(reference.RunFailed) as raised,
    ):
        client.run(INPUTS)
    assert FAILURE_TEXT in str(raised.value)


def test_the_reference_client_reads_failure_as_failed() -> None:
    with (
        observed(crew=default_crew(fail_at="write"), failed_state="FAILURE") as amp,
        reference_client(amp) as client,
        pytest.raises(reference.RunFailed) as raised,
    ):
        client.run(INPUTS)
    assert "ended failure" in str(raised.value)


def test_the_reference_client_stops_at_a_pause_and_the_sdk_resumes_it() -> None:
    with observed(crew=default_crew(review=["write"])) as amp, reference_client(amp) as client:
        kickoff_id = client.kickoff(INPUTS, client.inputs())
        with pytest.raises(reference.RunPaused):
            client.wait(kickoff_id)
        with AmpClient(base_url=amp.base_url, token=amp.token) as sdk:
            paused = sdk.status(kickoff_id)
            assert isinstance(paused, StatusPendingHumanInput) and isinstance(paused.task_id, str)
            sdk.resume(kickoff_id, paused.task_id, "ok", True)
        assert client.wait(kickoff_id)["state"] == "SUCCESS"


def test_the_reference_client_refuses_missing_inputs_before_any_kickoff() -> None:
    with observed() as amp, reference_client(amp) as client:
        with pytest.raises(reference.ReferenceClientError, match="missing required inputs"):
            client.run({"topic": "AI"})
        assert amp.kickoff_ids == []
