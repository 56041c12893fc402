"""One kickoff: its state and the coroutine that plays its crew.

Every run is an asyncio task on the server's event loop (no thread per crew), so thousands of
concurrent kickoffs cost little. All state changes happen on that loop; what `GET /status`
answers is rendered (by the emulator's dialect) once per change and cached, so polling is cheap.
What a run reports to the outside (webhooks, streamed events) goes through an `Events` object,
so this module is only about timing and state.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Protocol

from ._crew import Crew, Step, Task, render

__all__ = ["Run", "execute"]

logger = logging.getLogger("crewai_amp.testing")


class Events(Protocol):
    """Told what happens in a run, as it happens (on the server's event loop; must not block)."""

    def crew_started(self, run: Run) -> None: ...
    def task_started(self, run: Run, task: Task) -> None: ...
    def step(self, run: Run, task: Task, step: Step) -> None: ...
    def task_finished(self, run: Run, task: Task, status: str, output: str | None, elapsed: float) -> None:
        """`status`: `completed`, `error`, or `awaiting_human_feedback` (a review pause starts)."""

    def crew_finished(self, run: Run) -> None: ...


MAX_EVENTS = 50


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat()


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
        render_status: Callable[[Run], bytes],
    ) -> None:
        self.kickoff_id = kickoff_id
        self.crew = crew
        self.inputs = dict(inputs)
        self.meta = meta
        self.status = "running"
        self.current = crew.tasks[0]
        self.current_task = render(crew.tasks[0].name or crew.tasks[0].id, self.inputs)
        self.last_step: Step | None = None
        self.results: list[Done] = []
        self.output: str | None = None
        self.error: str | None = None
        self.execution_time: float | None = None
        self.review: Review | None = None
        self.started = time.monotonic()
        self.started_at = self.updated_at = utc_now()
        self.scripted: bytes | None = None
        # Status checks still to answer NOT FOUND (the emulator's not_found_polls).
        self.not_found_left = 0
        # Event summaries, as the platform's status reports them: the last MAX_EVENTS, and
        # counts of every event by type.
        self.events: list[dict[str, Any]] = []
        self.events_by_type: dict[str, int] = {}
        self._render = render_status
        self._body: bytes | None = None

    # --- what GET /status answers -----------------------------------------------------

    def status_body(self) -> bytes:
        if self.scripted is not None:
            return self.scripted
        if self._body is None:
            self._body = self._render(self)
        return self._body

    def changed(self) -> None:
        self._body = None
        self.updated_at = utc_now()

    def noted(self, event_type: str) -> None:
        """An event happened (crew_kickoff_started, task_completed, ...): summarise it."""
        self.events.append({"type": event_type, "timestamp": utc_now()})
        del self.events[:-MAX_EVENTS]
        self.events_by_type[event_type] = self.events_by_type.get(event_type, 0) + 1
        self.changed()

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
        self.changed()
        review.future.set_result((approve, feedback))
        return True

    def elapsed(self) -> float:
        return round(time.monotonic() - self.started, 3)


async def execute(run: Run, *, scale: float, events: Events) -> None:
    """Play the crew: steps, task results, reviews, the end. Never raises (but cancellation)."""
    crew = run.crew
    events.crew_started(run)
    try:
        for task in crew.tasks:
            run.current = task
            run.current_task = render(task.name or task.id, run.inputs)
            run.changed()
            events.task_started(run, task)
            output, elapsed = await _run_task(run, task, scale=scale, events=events)
            run.results.append(Done(task.id, task.agent, output, elapsed))
            run.changed()
            events.task_finished(run, task, "completed", output, elapsed)
        run.output = render(crew.output, run.inputs) if crew.output else run.results[-1].output
        run.status = "completed"
    except TaskFailed as failure:
        run.error = failure.message
        run.status = "error"
        events.task_finished(run, failure.task, "error", None, failure.elapsed)
    except Exception as exc:  # a bug in the emulator must not leave a client polling forever
        logger.exception("emulator run %s crashed", run.kickoff_id)
        run.error = f"emulator internal error: {type(exc).__name__}"
        run.status = "error"
    run.execution_time = run.elapsed()
    run.review = None
    run.changed()
    events.crew_finished(run)


async def _run_task(run: Run, task: Task, *, scale: float, events: Events) -> tuple[str, float]:
    """Run `task` until it is done (and approved, if reviewed): its output and working time."""
    worked = 0.0
    feedback: str | None = None
    while True:
        started = time.monotonic()
        await _play_steps(run, task, scale=scale, events=events)
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
        run.changed()
        events.task_finished(run, task, "awaiting_human_feedback", output, elapsed)
        approved, given = await future
        if approved:
            return output, elapsed
        feedback = given


async def _play_steps(run: Run, task: Task, *, scale: float, events: Events) -> None:
    # The task's duration is spread evenly around its steps: pause, step, pause, ..., pause.
    pause = task.duration * scale / (len(task.steps) + 1)
    for step in task.steps:
        await asyncio.sleep(pause)
        run.last_step = step
        run.changed()
        events.step(run, task, step)
    await asyncio.sleep(pause)
