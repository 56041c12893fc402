"""One kickoff: its state (what `GET /status` answers) and the coroutine that plays its crew.

Every run is an asyncio task on the server's event loop (no thread per crew), so thousands of
concurrent kickoffs cost little. All state changes happen on that loop; the status answer is
rendered once per change and cached, so polling is cheap.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from crewai_amp_api.models import (
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
from pydantic import BaseModel

from ._crew import Crew, Step, Task, render, render_value

__all__ = ["Run", "execute"]

logger = logging.getLogger("crewai_amp.testing")

Emit = Callable[["Run", str, BaseModel], None]


def dumps(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass
class Review:
    task_id: str
    future: asyncio.Future[tuple[bool, str]]


@dataclass(frozen=True)
class Done:
    """A finished task, as status results and the crew event report it."""

    task_id: str
    agent: str
    output: str
    execution_time: float


class TaskFailed(Exception):
    def __init__(self, task: Task, message: str, elapsed: float) -> None:
        super().__init__(message)
        self.task = task
        self.message = message
        self.elapsed = elapsed


class Run:
    """The state of one kickoff. Mutated only on the server's event loop."""

    def __init__(
        self,
        kickoff_id: str,
        crew: Crew,
        inputs: Mapping[str, Any],
        *,
        meta: dict[str, Any] | None,
        task_url: str | None,
        step_url: str | None,
        crew_url: str | None,
    ) -> None:
        self.kickoff_id = kickoff_id
        self.crew = crew
        self.inputs = dict(inputs)
        self.meta = meta
        self.task_url = task_url
        self.step_url = step_url
        self.crew_url = crew_url
        self.status = "running"
        self.current_task = render(crew.tasks[0].name or crew.tasks[0].id, self.inputs)
        self.results: list[Done] = []
        self.output: str | None = None
        self.error: str | None = None
        self.execution_time: float | None = None
        self.review: Review | None = None
        self.started = time.monotonic()
        self._body: bytes | None = None

    # --- what GET /status answers -----------------------------------------------------

    def status_body(self) -> bytes:
        if self._body is None:
            self._body = dumps(self._status_model().to_dict())
        return self._body

    def _status_model(self) -> StatusRunning | StatusCompleted | StatusError:
        if self.status == "completed":
            return StatusCompleted(
                status=StatusCompletedStatus.COMPLETED,
                result=StatusCompletedResult(
                    output=self.output or "",
                    tasks=[
                        TaskResult(
                            task_id=done.task_id,
                            agent=done.agent,
                            output=done.output,
                            execution_time=done.execution_time,
                        )
                        for done in self.results
                    ],
                ),
                execution_time=self.execution_time or 0.0,
            )
        if self.status == "error":
            return StatusError(
                status=StatusErrorStatus.ERROR,
                error=self.error or "unknown error",
                execution_time=self.execution_time or 0.0,
            )
        return StatusRunning(
            status=StatusRunningStatus.RUNNING,
            current_task=self.current_task,
            progress=StatusRunningProgress(
                completed_tasks=len(self.results), total_tasks=len(self.crew.tasks)
            ),
        )

    def changed(self) -> None:
        self._body = None

    # --- human review -------------------------------------------------------------------

    @property
    def awaiting_task(self) -> str | None:
        """The id of the task waiting for human feedback, if any."""
        review = self.review
        return review.task_id if review is not None else None

    def resume(self, task_id: str, *, approve: bool, feedback: str) -> bool:
        """Deliver a review decision; False if `task_id` is not waiting for one."""
        review = self.review
        if review is None or review.task_id != task_id or review.future.done():
            return False
        self.review = None  # a second resume for the same pause is a 400
        review.future.set_result((approve, feedback))
        return True

    def set_webhooks(self, *, task_url: str | None, step_url: str | None, crew_url: str | None) -> None:
        """URLs given on resume replace those given at kickoff, for the rest of the run."""
        if task_url is not None:
            self.task_url = task_url
        if step_url is not None:
            self.step_url = step_url
        if crew_url is not None:
            self.crew_url = crew_url

    def elapsed(self) -> float:
        return round(time.monotonic() - self.started, 3)


async def execute(run: Run, *, scale: float, emit: Emit) -> None:
    """Play the crew: steps, task results, reviews, the end. Never raises (but cancellation)."""
    crew = run.crew
    try:
        for task in crew.tasks:
            run.current_task = render(task.name or task.id, run.inputs)
            run.changed()
            output, elapsed = await _run_task(run, task, scale=scale, emit=emit)
            run.results.append(Done(task.id, task.agent, output, elapsed))
            run.changed()
            if run.task_url:
                emit(run, run.task_url, _task_event(run, task, "completed", output, elapsed))
        run.output = render(crew.output, run.inputs) if crew.output else run.results[-1].output
        run.status = "completed"
    except TaskFailed as failure:
        run.error = failure.message
        run.status = "error"
        if run.task_url:
            emit(run, run.task_url, _task_event(run, failure.task, "error", None, failure.elapsed))
    except Exception as exc:  # a bug in the emulator must not leave a client polling forever
        logger.exception("emulator run %s crashed", run.kickoff_id)
        run.error = f"emulator internal error: {type(exc).__name__}"
        run.status = "error"
    run.execution_time = run.elapsed()
    run.review = None
    run.changed()
    if run.crew_url:
        emit(run, run.crew_url, _crew_event(run))


async def _run_task(run: Run, task: Task, *, scale: float, emit: Emit) -> tuple[str, float]:
    """Run `task` until it is done (and approved, if reviewed): its output and working time."""
    worked = 0.0
    feedback: str | None = None
    while True:
        started = time.monotonic()
        await _play_steps(run, task, scale=scale, emit=emit)
        worked += time.monotonic() - started
        elapsed = round(worked, 3)
        if task.fail is not None:
            raise TaskFailed(task, render(task.fail, run.inputs), elapsed)
        output = render(task.output, run.inputs)
        if feedback is not None:
            output = render(task.retry_output, {**run.inputs, "output": output, "human_feedback": feedback})
        if not task.human_review:
            return output, elapsed
        future: asyncio.Future[tuple[bool, str]] = asyncio.get_running_loop().create_future()
        run.review = Review(task.id, future)
        if run.task_url:
            emit(run, run.task_url, _task_event(run, task, "awaiting_human_feedback", output, elapsed))
        approved, given = await future
        if approved:
            return output, elapsed
        feedback = given


async def _play_steps(run: Run, task: Task, *, scale: float, emit: Emit) -> None:
    # The task's duration is spread evenly around its steps: pause, step, pause, ..., pause.
    pause = task.duration * scale / (len(task.steps) + 1)
    for step in task.steps:
        await asyncio.sleep(pause)
        if run.step_url:
            emit(run, run.step_url, _step_event(run, task, step))
    await asyncio.sleep(pause)


# --- webhook payloads, built with the generated event models ------------------------------


def _task_event(
    run: Run, task: Task, status: str, output: str | None, elapsed: float
) -> TaskCompletedPayload:
    return TaskCompletedPayload(
        kickoff_id=run.kickoff_id,
        task_id=task.id,
        agent=task.agent,
        status=TaskCompletedPayloadStatus(status),
        output=output,
        execution_time=elapsed,
        meta=run.meta,
    )


def _step_event(run: Run, task: Task, step: Step) -> StepEventPayload:
    values = run.inputs
    return StepEventPayload(
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


def _crew_event(run: Run) -> CrewCompletedPayload:
    if run.status == "completed":
        return CrewCompletedPayload(
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
    return CrewCompletedPayload(
        kickoff_id=run.kickoff_id,
        status=CrewCompletedPayloadStatus.error,
        error=run.error,
        execution_time=run.execution_time,
        meta=run.meta,
    )
