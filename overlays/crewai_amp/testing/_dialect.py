"""The two ways an emulator speaks: the shapes of its answers and of its webhook payloads.

- `spec`: what the REST and AsyncAPI specs declare, built with the generated models
  (`crewai_amp_api`, `crewai_amp_events`) so it stays valid when the specs are regenerated.
  A review pause is the spec's `pending_human_input` status variant when the spec has one,
  else `running` (the only state the spec then allows).
- `observed`: what deployed AMP crews send (AMP's platform guide, with the live observations
  summarised in crewAIInc/skills, skills/call-deployed-crew; Semantic Kernel's CrewAI client,
  crewai-tools, CrewAI's webhook-automation guide): the platform's status body (`state`
  RUNNING/PAUSED/SUCCESS/FAILED, a `status` message, `result`/`result_json`, `progress`,
  `usage_metrics`, events, `last_step`...), inputs as a name → type map, legacy webhook payloads
  with no type field and the kickoff's `meta` echoed, and the live error bodies.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Literal

from crewai_amp_api.models import (
    Error,
    InputsResponse,
    StatusCompleted,
    StatusCompletedResult,
    StatusCompletedStatus,
    StatusError,
    StatusErrorStatus,
    StatusRunning,
    StatusRunningProgress,
    StatusRunningStatus,
    TaskResult,
)
from crewai_amp_events import (
    CrewCompletedPayload,
    CrewCompletedPayloadResult,
    CrewCompletedPayloadResultTask,
    CrewCompletedPayloadStatus,
    StepEventPayload,
    StepEventPayloadStep,
    TaskCompletedPayload,
    TaskCompletedPayloadStatus,
)

from ._crew import Crew, Step, Task, render, render_value
from ._runner import Run, dumps

__all__ = [
    "DIALECTS",
    "FAILED_STATES",
    "Dialect",
    "DialectName",
    "FailedState",
    "ObservedDialect",
    "SpecDialect",
    "dialect_for",
]

DialectName = Literal["spec", "observed"]
DIALECTS: tuple[DialectName, ...] = ("spec", "observed")
PAUSED = "pending_human_input"


class SpecDialect:
    name: DialectName = "spec"

    def __init__(self, status_variants: frozenset[str]) -> None:
        self._pause_variant = PAUSED in status_variants

    def inputs_body(self, crew: Crew) -> bytes:
        return dumps(InputsResponse(inputs=list(crew.inputs)).to_dict())

    def kickoff_body(self, data: Any) -> Any:
        """The kickoff body as validated: the spec's, as sent."""
        return data

    def missing_inputs(self, missing: list[str], required: list[str]) -> tuple[int, dict[str, Any]]:
        # The kickoff reference's 422 body (error, message, details.missing_inputs).
        return 422, {
            "error": f"Missing required inputs: {', '.join(missing)}",
            "message": "Missing required inputs",
            "details": {"missing_inputs": missing, "required": required},
        }

    def not_found(self, kickoff_id: str) -> tuple[int, dict[str, Any]] | None:
        """The answer to a status check of an unknown id, or None for the emulator's 404."""
        return None

    def unauthorized(self, *, token_given: bool) -> dict[str, Any]:
        """The 401 body for a request without a bearer token, or with a wrong one."""
        if token_given:
            return Error(error="Invalid bearer token").to_dict()
        return Error(error="Missing bearer token (Authorization: Bearer <token>)").to_dict()

    def status_body(self, run: Run) -> bytes:
        progress = {"completed_tasks": len(run.results), "total_tasks": len(run.crew.tasks)}
        if run.status == "completed":
            return dumps(
                StatusCompleted(
                    status=StatusCompletedStatus.COMPLETED,
                    result=StatusCompletedResult(
                        output=run.output or "",
                        tasks=[
                            TaskResult(
                                task_id=done.task_id,
                                agent=done.agent,
                                output=done.output,
                                execution_time=done.execution_time,
                            )
                            for done in run.results
                        ],
                    ),
                    execution_time=run.execution_time or 0.0,
                ).to_dict()
            )
        if run.status == "error":
            return dumps(
                StatusError(
                    status=StatusErrorStatus.ERROR,
                    error=run.error or "unknown error",
                    execution_time=run.execution_time or 0.0,
                ).to_dict()
            )
        if run.review is not None and self._pause_variant:
            return dumps(
                {
                    "status": PAUSED,
                    "task_id": run.review.task_id,
                    "current_task": run.current_task,
                    "progress": progress,
                }
            )
        return dumps(
            StatusRunning(
                status=StatusRunningStatus.RUNNING,
                current_task=run.current_task,
                progress=StatusRunningProgress.from_dict(progress),
            ).to_dict()
        )

    def task_payload(self, run: Run, task: Task, status: str, output: str | None, elapsed: float) -> bytes:
        return _model_json(
            TaskCompletedPayload(
                kickoff_id=run.kickoff_id,
                task_id=task.id,
                agent=task.agent,
                status=TaskCompletedPayloadStatus(status),
                output=output,
                execution_time=elapsed,
                meta=run.meta,
            )
        )

    def step_payload(self, run: Run, task: Task, step: Step) -> bytes:
        values = run.inputs
        return _model_json(
            StepEventPayload(
                kickoff_id=run.kickoff_id,
                task_id=task.id,
                agent=task.agent,
                step=StepEventPayloadStep(
                    type=step.type,
                    content=render(step.content, values) if step.content is not None else None,
                    tool=step.tool,
                    input=render_value(step.input, values) if step.input is not None else None,
                    output=render(step.output, values) if step.output is not None else None,
                ),
                timestamp=datetime.now(timezone.utc),
            )
        )

    def crew_payload(self, run: Run) -> bytes:
        if run.status == "completed":
            payload = CrewCompletedPayload(
                kickoff_id=run.kickoff_id,
                status=CrewCompletedPayloadStatus.completed,
                result=CrewCompletedPayloadResult(
                    output=run.output,
                    tasks=[
                        CrewCompletedPayloadResultTask(
                            task_id=done.task_id,
                            agent=done.agent,
                            output=done.output,
                            execution_time=done.execution_time,
                        )
                        for done in run.results
                    ],
                ),
                execution_time=run.execution_time,
                meta=run.meta,
            )
        else:
            payload = CrewCompletedPayload(
                kickoff_id=run.kickoff_id,
                status=CrewCompletedPayloadStatus.error,
                error=run.error,
                execution_time=run.execution_time,
                meta=run.meta,
            )
        return _model_json(payload)


class ObservedDialect:
    """What deployed AMP crews send: the platform guide's status body (state, status message,
    result/result_json, progress, usage_metrics, events, triggered_by, execution_origin,
    last_step, last_executed_task, flow_id, source), inputs as a name → type map, and legacy
    webhook payloads.

    - `failed_state`: the state of a failed run, `FAILED` (the platform guide, crewai-tools)
      or `FAILURE` (Semantic Kernel's client lists both);
    - `old_deployment`: answer as a deployment on crewai <= 1.15.21 does, with null progress
      and event data.
    """

    name: DialectName = "observed"

    def __init__(self, *, failed_state: FailedState = "FAILED", old_deployment: bool = False) -> None:
        if failed_state not in FAILED_STATES:
            raise ValueError(f"failed_state must be one of {', '.join(FAILED_STATES)}, not {failed_state!r}")
        self.failed_state = failed_state
        self.old_deployment = old_deployment

    def inputs_body(self, crew: Crew) -> bytes:
        return dumps({"inputs": dict.fromkeys(crew.inputs, "str")})

    def kickoff_body(self, data: Any) -> Any:
        """Deployed crews take null for an optional field (Semantic Kernel's client sends null
        webhook URLs), and a body without inputs as no inputs (then 422 if the crew needs some)."""
        if not isinstance(data, dict):
            return data
        body = {key: value for key, value in data.items() if value is not None or key == "inputs"}
        if body.get("inputs") is None:
            body["inputs"] = {}
        return body

    def missing_inputs(self, missing: list[str], required: list[str]) -> tuple[int, dict[str, Any]]:
        # What a live deployment answered (FastAPI's detail, a plain string).
        return 422, {"detail": f"Missing inputs: {', '.join(missing)}"}

    def unauthorized(self, *, token_given: bool) -> dict[str, Any]:
        # What live deployments answered (FastAPI's detail), SKILL.md section 1.
        return {
            "detail": "Invalid or missing authentication credentials" if token_given else "Not authenticated"
        }

    def not_found(self, kickoff_id: str) -> tuple[int, dict[str, Any]] | None:
        # Deployed AMP answers an unknown id with 200 and `NOT FOUND` (Semantic Kernel's client
        # reads the state from the body; live, the status message below).
        return 200, {
            "state": "NOT FOUND",
            "status": "Task not found or Invalid kickoff id",
            "result": None,
            "result_json": None,
            "last_step": None,
        }

    def status_body(self, run: Run) -> bytes:
        last_step = step_summary(run)
        body: dict[str, Any]
        if run.status == "completed":
            output = run.output or ""
            body = {"state": "SUCCESS", "status": None, "result": output, "result_json": _json_object(output)}
        elif run.status == "error":
            error = run.error or "unknown error"
            body = {"state": self.failed_state, "status": error, "result": None, "result_json": None}
        elif run.review is not None:
            body = {"state": "PAUSED", "status": None, "result": None, "result_json": None}
            last_step = {**(last_step or {}), "task_id": run.review.task_id}
        else:
            body = {"state": "RUNNING", "status": "Task is Running", "result": None, "result_json": None}
        body["last_step"] = last_step
        body["last_executed_task"] = _last_task(run)
        # The emulator calls no model, so it spends no tokens.
        body["usage_metrics"] = dict.fromkeys(_USAGE_FIELDS, 0)
        body["execution_origin"] = "api"
        body["triggered_by"] = {"type": "unknown", "id": None}
        body["flow_id"] = None
        body["source"] = "memory"
        body.update(self._progress_and_events(run))
        return dumps(body)

    def _progress_and_events(self, run: Run) -> dict[str, Any]:
        if self.old_deployment:
            return dict.fromkeys(("progress", "events", "events_count", "events_by_type", "last_event"))
        done, total = len(run.results), len(run.crew.tasks)
        progress = None
        if run.status != "error":  # live: a failed run's progress is null
            finished = run.status == "completed"
            progress = {
                "unit": "task",
                "completed": done,
                "total": total,
                "remaining": total - done,
                "current": None if finished else run.current.id,
                "current_agent": None if finished else run.current.agent,
                "started_at": run.started_at,
                "updated_at": run.updated_at,
                "duration_seconds": run.elapsed(),
            }
        return {
            "progress": progress,
            "events": list(run.events),
            "events_count": sum(run.events_by_type.values()),
            "events_by_type": dict(run.events_by_type),
            "last_event": run.events[-1] if run.events else None,
        }

    def task_payload(self, run: Run, task: Task, status: str, output: str | None, elapsed: float) -> bytes:
        values = run.inputs
        return dumps(
            {
                "description": render(task.name or task.id, values),
                "name": task.id,
                "expected_output": render(task.output, values),
                "summary": (output or "")[:80] or None,
                "agent": task.agent,
                "output": output,
                "output_json": None,
                "kickoff_id": run.kickoff_id,
                "meta": run.meta,
            }
        )

    def step_payload(self, run: Run, task: Task, step: Step) -> bytes:
        return dumps({**legacy_step(run, step), "kickoff_id": run.kickoff_id, "meta": run.meta})

    def crew_payload(self, run: Run) -> bytes:
        result = run.output if run.status == "completed" else run.error
        # The emulator calls no model, so it spends no tokens.
        usage = {"total_tokens": 0, "prompt_tokens": 0, "completion_tokens": 0}
        return dumps(
            {
                "kickoff_id": run.kickoff_id,
                "result": result,
                "result_json": _json_object(result) if run.status == "completed" else None,
                "token_usage": usage,
                "meta": run.meta,
            }
        )


FailedState = Literal["FAILED", "FAILURE"]
FAILED_STATES: tuple[FailedState, ...] = ("FAILED", "FAILURE")
# crewai's UsageMetrics (crewAI lib/crewai/src/crewai/types/usage_metrics.py).
_USAGE_FIELDS = (
    "total_tokens",
    "prompt_tokens",
    "cached_prompt_tokens",
    "completion_tokens",
    "reasoning_tokens",
    "cache_creation_tokens",
    "successful_requests",
)


def _json_object(output: str | None) -> dict[str, Any] | None:
    """The output as JSON when it is a JSON object (the platform's result_json), else None."""
    if not output or not output.lstrip().startswith("{"):
        return None
    try:
        parsed = json.loads(output)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _last_task(run: Run) -> dict[str, Any] | None:
    """The last finished task as the platform reports it: name, description, output,
    kickoff_id, meta."""
    if not run.results:
        return None
    done = run.results[-1]
    task = run.crew.task(done.task_id)
    return {
        "name": task.id,
        "description": render(task.name or task.id, run.inputs),
        "output": done.output,
        "kickoff_id": run.kickoff_id,
        "meta": run.meta,
    }


Dialect = SpecDialect | ObservedDialect


def dialect_for(
    name: str,
    status_variants: frozenset[str],
    *,
    failed_state: FailedState = "FAILED",
    old_deployment: bool = False,
) -> Dialect:
    if name == "spec":
        return SpecDialect(status_variants)
    if name == "observed":
        return ObservedDialect(failed_state=failed_state, old_deployment=old_deployment)
    raise ValueError(f"dialect must be one of {', '.join(DIALECTS)}, not {name!r}")


def legacy_step(run: Run, step: Step) -> dict[str, Any]:
    """A step as the legacy step webhook carries it: prompt, thought, tool, tool_input, result."""
    values = run.inputs
    content = render(step.content, values) if step.content is not None else None
    tool_input = render_value(step.input, values) if step.input is not None else None
    return {
        "prompt": run.current_task,
        "thought": content if step.type in ("thought", "action", "observation") else None,
        "tool": step.tool,
        "tool_input": json.dumps(tool_input, ensure_ascii=False) if tool_input is not None else None,
        "result": render(step.output, values) if step.output is not None else content,
    }


def step_summary(run: Run) -> dict[str, Any] | None:
    step = run.last_step
    if step is None:
        return None
    return {"task_id": run.current.id, "agent": run.current.agent, **legacy_step(run, step)}


def _model_json(payload: Any) -> bytes:
    # exclude_none: optional fields the emulator has no value for are left out, not null.
    data: bytes = payload.model_dump_json(by_alias=True, exclude_none=True).encode()
    return data
