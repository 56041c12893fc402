"""The two ways an emulator speaks: the shapes of its answers and of its webhook payloads.

- `spec`: what the REST and AsyncAPI specs declare, built with the generated models
  (`crewai_amp_api`, `crewai_amp_events`) so it stays valid when the specs are regenerated.
  A review pause is the spec's `pending_human_input` status variant when the spec has one,
  else `running` (the only state the spec then allows).
- `observed`: what deployed AMP crews are observed to send (Semantic Kernel's CrewAI client,
  crewai-tools, CrewAI's webhook-automation guide): status as `{"state", "result",
  "last_step"}`, inputs as a name → type map, legacy webhook payloads with no type field and
  the kickoff's `meta` echoed.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Literal

from crewai_amp_api.models import (
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

__all__ = ["DIALECTS", "Dialect", "DialectName", "ObservedDialect", "SpecDialect", "dialect_for"]

DialectName = Literal["spec", "observed"]
DIALECTS: tuple[DialectName, ...] = ("spec", "observed")
PAUSED = "pending_human_input"


class SpecDialect:
    name: DialectName = "spec"

    def __init__(self, status_variants: frozenset[str]) -> None:
        self._pause_variant = PAUSED in status_variants

    def inputs_body(self, crew: Crew) -> bytes:
        return dumps(InputsResponse(inputs=list(crew.inputs)).to_dict())

    def not_found(self, kickoff_id: str) -> tuple[int, dict[str, Any]] | None:
        """The answer to a status check of an unknown id, or None for the emulator's 404."""
        return None

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
    name: DialectName = "observed"

    def inputs_body(self, crew: Crew) -> bytes:
        return dumps({"inputs": dict.fromkeys(crew.inputs, "str")})

    def not_found(self, kickoff_id: str) -> tuple[int, dict[str, Any]] | None:
        # Semantic Kernel's client raises for an HTTP error and then reads this state from the
        # body: deployed AMP answers an unknown id with 200 and `NOT FOUND`.
        return 200, {"state": "NOT FOUND", "result": None, "last_step": None}

    def status_body(self, run: Run) -> bytes:
        last_step = step_summary(run)
        if run.status == "completed":
            return dumps({"state": "SUCCESS", "result": run.output or "", "last_step": last_step})
        if run.status == "error":
            return dumps({"state": "FAILURE", "result": run.error or "unknown error", "last_step": last_step})
        if run.review is not None:
            return dumps(
                {
                    "state": "PENDING HUMAN INPUT",
                    "result": None,
                    "last_step": {**(last_step or {}), "task_id": run.review.task_id},
                }
            )
        return dumps({"state": "RUNNING", "result": None, "last_step": last_step})

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
                "result_json": None,
                "token_usage": usage,
                "meta": run.meta,
            }
        )


Dialect = SpecDialect | ObservedDialect


def dialect_for(name: str, status_variants: frozenset[str]) -> Dialect:
    if name == "spec":
        return SpecDialect(status_variants)
    if name == "observed":
        return ObservedDialect()
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
    data: bytes = payload.model_dump_json(exclude_none=True).encode()
    return data
