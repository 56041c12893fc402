"""How the CLI shows what AMP says: statuses, final results, webhook events; prose or JSON.

Statuses are read through `StatusView`, a flat, defensive view of whatever `status()` returned
(running, completed, error, or a status this version does not know), so an unset field or a new
status never breaks rendering, and the JSON output is always the status's own `to_dict()`.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._output import Output

__all__ = [
    "PAUSED",
    "StatusView",
    "event_data",
    "render_event",
    "render_final",
    "render_status",
    "status_document",
    "summary",
    "view_of",
]


def _given(value: Any) -> Any:
    """None for the generated models' UNSET sentinel (falsy, of type Unset), else the value."""
    if value is None or type(value).__name__ == "Unset":
        return None
    return value


def _text(value: Any) -> str | None:
    value = _given(value)
    if value is None:
        return None
    if isinstance(value, enum.Enum):
        value = value.value
    return str(value)


def _number(value: Any) -> float | None:
    value = _given(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _count(value: Any) -> int | None:
    value = _given(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


# The status of a run paused for a human review (StatusPendingHumanInput, either dialect).
PAUSED = "pending_human_input"


@dataclass(frozen=True)
class StatusView:
    """What the CLI needs from one status, every field optional but `state`."""

    state: str
    current_task: str | None = None
    completed_tasks: int | None = None
    total_tasks: int | None = None
    output: str | None = None
    tasks: list[dict[str, Any]] = field(default_factory=list)
    execution_time: float | None = None
    error: str | None = None
    document: dict[str, Any] = field(default_factory=dict)
    task_id: str | None = None  # the task a paused run waits on
    # What the platform's progress counts ("task" for crews, "step" for flows) and its counts,
    # when they are not tasks (a flow's total is null: its steps are counted, never a share).
    unit: str | None = None
    completed: int | None = None
    total: int | None = None

    def counts(self) -> tuple[int | None, int | None, str]:
        """(done, total, what): a flow's steps, else the crew's tasks."""
        if self.unit is not None and self.unit != "task":
            return self.completed, self.total, f"{self.unit}s"
        return self.completed_tasks, self.total_tasks, "tasks"

    def count_text(self) -> str | None:
        """`1/4 tasks done`, `3 steps done` (no total), or None when nothing is counted."""
        done, total, what = self.counts()
        if done is None or (total is None and what == "tasks"):
            return None
        return f"{done}/{total} {what} done" if total is not None else f"{done} {what} done"


def _document(status: Any) -> dict[str, Any]:
    to_dict = getattr(status, "to_dict", None)
    if callable(to_dict):
        data = to_dict()
        if isinstance(data, Mapping):
            return dict(data)
    raw = getattr(status, "raw", None)
    if isinstance(raw, Mapping):
        return dict(raw)
    return {"status": _text(getattr(status, "status", None)) or "unknown"}


def view_of(status: Any) -> StatusView:
    """A StatusView of any status object `AmpClient.status()` returns."""
    state = _text(getattr(status, "status", None)) or "unknown"
    progress = _given(getattr(status, "progress", None))
    result = _given(getattr(status, "result", None))
    tasks: list[dict[str, Any]] = []
    for task in _given(getattr(result, "tasks", None)) or []:
        tasks.append(_document(task))
    document = _document(status)
    # The spec gives execution_time on a finished run; a server may send it while running too.
    execution_time = _number(getattr(status, "execution_time", None))
    if execution_time is None:
        execution_time = _number(document.get("execution_time"))
    return StatusView(
        state=state,
        current_task=_text(getattr(status, "current_task", None)),
        completed_tasks=_count(getattr(progress, "completed_tasks", None)),
        total_tasks=_count(getattr(progress, "total_tasks", None)),
        output=_text(getattr(result, "output", None)),
        tasks=tasks,
        execution_time=execution_time,
        error=_text(getattr(status, "error", None)),
        document=document,
        task_id=_text(getattr(status, "task_id", None)),
        unit=_text(getattr(progress, "unit", None)),
        completed=_count(getattr(progress, "completed", None)),
        total=_count(getattr(progress, "total", None)),
    )


def status_document(kickoff_id: str, status: Any) -> dict[str, Any]:
    """The --json form of a status: the API's own fields, plus the kickoff id."""
    return {"kickoff_id": kickoff_id, **view_of(status).document}


def summary(view: StatusView) -> str:
    """One line: `running: Research AI (1/4 tasks done)`, a flow's `running: summarize (3 steps
    done)`, `completed in 1.23 s`..."""
    counted = view.count_text()
    if view.state == "running":
        line = "running"
        if view.current_task:
            line += f": {view.current_task}"
        if counted:
            line += f" ({counted})"
        return line
    if view.state == "completed":
        line = "completed"
        if view.execution_time is not None:
            line += f" in {view.execution_time:.2f} s"
        if view.tasks:
            line += f" ({len(view.tasks)} tasks)"
        return line
    if view.state == PAUSED:
        line = "waiting for human input"
        task = view.current_task or view.task_id
        if task:
            line += f" on {task}"
        if counted:
            line += f" ({counted})"
        return line
    if view.state == "error":
        return f"ended in error: {view.error or 'no error message given'}"
    return f"status {view.state!r} (not known to this version of crewai-amp)"


def render_status(out: Output, kickoff_id: str, status: Any) -> None:
    """`crewai-amp status`: the summary line, then the output of a completed run."""
    if out.json_mode:
        out.document(status_document(kickoff_id, status))
        return
    view = view_of(status)
    out.print(summary(view))
    if view.output is not None:
        out.print(view.output)


def render_final(out: Output, kickoff_id: str, status: Any) -> None:
    """The end of `kickoff --wait` / `wait`: the final output (a panel on a terminal)."""
    if out.json_mode:
        out.document(status_document(kickoff_id, status))
        return
    view = view_of(status)
    console = out.console() if out.stdout_is_terminal else None
    if console is None:  # the progress lines already ended with the summary
        if view.output is not None:
            out.print(view.output)
        return
    from rich.panel import Panel
    from rich.text import Text

    body = Text(out.clean(view.output if view.output is not None else "(no output)"))
    style = "green" if view.state == "completed" else "red"
    title = Text.assemble((out.clean(view.state), "bold"), " ", out.clean(kickoff_id))  # never markup
    console.print(Panel(body, title=title, subtitle=Text(out.clean(summary(view))), border_style=style))


# --- webhook events -----------------------------------------------------------------------------


def event_data(event: Any) -> dict[str, Any]:
    """A webhook event (a pydantic model, or already a dict) as JSON-ready data."""
    dump = getattr(event, "model_dump", None)
    if callable(dump):
        data = dump(mode="json", by_alias=True, exclude_none=True)
        if isinstance(data, Mapping):
            return dict(data)
    if isinstance(event, Mapping):
        return dict(event)
    return {"event": str(event)}


def _seconds(value: Any) -> str:
    number = _number(value)
    return f" in {number:.2f} s" if number is not None else ""


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _event_lines(channel: str, data: Mapping[str, Any]) -> tuple[str, list[str]]:
    """A headline and body lines for one event (the spec's shapes, the legacy ones, a streamed one)."""
    kickoff = str(data.get("kickoff_id", data.get("execution_id", "?")))
    if channel == "task":
        head = f"task {data.get('task_id', data.get('name', '?'))} {data.get('status', '')}".rstrip()
        if data.get("agent"):
            head += f" by {data['agent']}"
        head += _seconds(data.get("execution_time"))
        body = [str(data["output"])] if data.get("output") is not None else []
    elif channel == "step":
        step = _mapping(data.get("step")) or {
            "type": "tool" if data.get("tool") else "thought",
            "content": data.get("thought"),
            "tool": data.get("tool"),
        }
        head = f"step {data.get('task_id', '?')} {step.get('type', '?')}"
        detail = step.get("content")
        if step.get("tool"):
            detail = f"{step['tool']}" + (f" {json.dumps(step['input'])}" if step.get("input") else "")
            if step.get("output", data.get("result")) is not None:
                detail += f" -> {step.get('output', data.get('result'))}"
        body = [str(detail)] if detail else []
    elif channel == "crew":
        head = f"crew {data.get('status', 'finished')}{_seconds(data.get('execution_time'))}"
        result = data.get("result")
        output = result if isinstance(result, str) else _mapping(result).get("output")
        body = [str(text) for text in (data.get("error"), output) if text]
    elif channel == "stream":
        head, body = f"{data.get('type', '?')} {data.get('id', '')}".rstrip(), [json.dumps(data.get("data"))]
    else:
        head, body = f"{channel} event", [str(dict(data))]
    return f"{head}  [kickoff {kickoff}]", body


def render_event(out: Output, channel: str, event: Any) -> None:
    """`webhooks listen`: one verified event; with --json one line {"channel", "event"}."""
    data = event_data(event)
    if out.json_mode:
        out.json_line({"channel": channel, "event": data})
        return
    head, body = _event_lines(channel, data)
    console = out.console() if out.stdout_is_terminal else None
    if console is None:
        out.print(head)
        for text in body:
            for line in text.splitlines() or [""]:
                out.print(f"    {line}")
        return
    from rich.text import Text

    colour = {"task": "cyan", "step": "dim", "crew": "green"}.get(channel, "yellow")
    console.print(Text(out.clean(head), style=f"bold {colour}"))
    for text in body:
        for line in text.splitlines() or [""]:
            console.print(Text("    " + out.clean(line)))
