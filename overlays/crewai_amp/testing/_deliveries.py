"""What a run sends out, and where: the `Events` a crew run reports, turned into deliveries.

- The task/step/crew webhook URLs of a kickoff get one payload per event, in the emulator's
  dialect, authenticated as the dialect does it (signed, or a static bearer/basic credential).
- A kickoff's `webhooks` option (CrewAI's webhook streaming) gets batches
  `{"events": [{"id", "execution_id", "timestamp", "type", "data"}]}`: one per event when
  `realtime`, else one per finished task and one at the end; only the listed `events` types.
- A kickoff's `humanInputWebhook` gets one delivery each time a review pause starts.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ._crew import Step, Task
from ._dialect import Dialect, legacy_step
from ._options import HumanInputWebhook, StreamingWebhooks
from ._runner import Run, dumps
from ._webhook_sender import Auth, NoAuth, WebhookSender

__all__ = ["Deliveries", "Hooks"]

# The streamed event type for each scripted step type.
_STEP_EVENTS = {
    "thought": "llm_call_completed",
    "action": "agent_execution_started",
    "observation": "llm_call_completed",
    "tool_call": "tool_usage_started",
    "tool_result": "tool_usage_finished",
}


@dataclass
class Hooks:
    """Where one run's deliveries go. URLs given on resume replace those given at kickoff."""

    task_url: str | None = None
    step_url: str | None = None
    crew_url: str | None = None
    streaming: StreamingWebhooks | None = None
    human_input: HumanInputWebhook | None = None
    batch: list[dict[str, Any]] = field(default_factory=list)

    def replace_urls(self, *, task_url: str | None, step_url: str | None, crew_url: str | None) -> None:
        self.task_url = task_url or self.task_url
        self.step_url = step_url or self.step_url
        self.crew_url = crew_url or self.crew_url


class Deliveries:
    """The `Events` of every run: builds payloads with the dialect, hands them to the sender."""

    def __init__(self, dialect: Dialect, sender: WebhookSender, auth: Auth) -> None:
        self._dialect = dialect
        self._sender = sender
        self._auth = auth
        self.hooks: dict[str, Hooks] = {}

    def _send(self, run: Run, url: str | None, body: bytes, auth: Auth | None = None) -> None:
        if url:
            self._sender.send(run.kickoff_id, url, body, auth if auth is not None else self._auth)

    def _hooks(self, run: Run) -> Hooks:
        return self.hooks.setdefault(run.kickoff_id, Hooks())

    # --- Events ----------------------------------------------------------------------------

    def crew_started(self, run: Run) -> None:
        self._stream(run, "crew_kickoff_started", {"crew_name": run.crew.name, "inputs": run.inputs})

    def task_started(self, run: Run, task: Task) -> None:
        self._stream(
            run, "task_started", {"task_id": task.id, "task_name": run.current_task, "agent": task.agent}
        )

    def step(self, run: Run, task: Task, step: Step) -> None:
        self._send(run, self._hooks(run).step_url, self._dialect.step_payload(run, task, step))
        data = {"task_id": task.id, "agent": task.agent, **legacy_step(run, step)}
        self._stream(run, _STEP_EVENTS.get(step.type, "agent_execution_step"), data)

    def task_finished(self, run: Run, task: Task, status: str, output: str | None, elapsed: float) -> None:
        hooks = self._hooks(run)
        self._send(run, hooks.task_url, self._dialect.task_payload(run, task, status, output, elapsed))
        data = {"task_id": task.id, "task_name": run.current_task, "agent": task.agent, "output": output}
        if status == "awaiting_human_feedback":
            if hooks.human_input is not None:
                # What a live deployment sent: kickoff_id, execution_id, task_id, task_output, meta.
                body = dumps(
                    {
                        "kickoff_id": run.kickoff_id,
                        "execution_id": run.kickoff_id,
                        **data,
                        "task_output": output,
                        "meta": run.meta,
                    }
                )
                self._send(run, hooks.human_input.url, body, _auth_of(hooks.human_input))
            self._flush(run)
            return
        self._stream(run, "task_completed" if status == "completed" else "task_failed", data)
        self._flush(run)

    def crew_finished(self, run: Run) -> None:
        hooks = self._hooks(run)
        self._send(run, hooks.crew_url, self._dialect.crew_payload(run))
        if run.status == "completed":
            self._stream(run, "crew_kickoff_completed", {"output": run.output})
        else:
            self._stream(run, "crew_kickoff_failed", {"error": run.error})
        self._flush(run)
        self.hooks.pop(run.kickoff_id, None)

    # --- streaming ---------------------------------------------------------------------------

    def _stream(self, run: Run, event_type: str, data: dict[str, Any]) -> None:
        run.noted(event_type)
        hooks = self._hooks(run)
        streaming = hooks.streaming
        if streaming is None or (streaming.events is not None and event_type not in streaming.events):
            return
        hooks.batch.append(
            {
                "id": str(uuid.uuid4()),
                "execution_id": run.kickoff_id,
                "timestamp": datetime.now(timezone.utc).isoformat(),
                "type": event_type,
                "data": data,
            }
        )
        if streaming.realtime:
            self._flush(run)

    def _flush(self, run: Run) -> None:
        hooks = self._hooks(run)
        if hooks.streaming is None or not hooks.batch:
            return
        body = dumps({"events": hooks.batch})
        hooks.batch = []
        self._send(run, hooks.streaming.url, body, _auth_of(hooks.streaming))


def _auth_of(option: StreamingWebhooks | HumanInputWebhook) -> Auth:
    return option.auth() or NoAuth()
