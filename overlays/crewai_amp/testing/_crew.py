"""Scripted crews: what the emulator runs. Plain data, no server imports, so cheap to import.

A crew declares its inputs and a list of tasks. Each task belongs to an agent, takes a
`duration` (seconds at scale 1.0), emits a few agent steps, and produces an output rendered
from the kickoff inputs. A task can fail (the crew ends in `error`) or ask for human review
(the crew pauses until `POST /resume`).

Templates use ``{name}`` placeholders filled from the kickoff inputs (plus ``{output}`` and
``{human_feedback}`` in `Task.retry_output`); a placeholder with no value is left as written.
Only plain names are substituted, never attributes or indexes, so an input value can never
reach into Python objects.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Crew", "Step", "Task", "default_crew", "render"]

STEP_TYPES = frozenset({"thought", "action", "observation", "tool_call", "tool_result"})
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def render(template: str, values: Mapping[str, Any]) -> str:
    """Fill ``{name}`` placeholders from `values`; unknown placeholders stay as written."""

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in values and values[name] is not None:
            return str(values[name])
        return match.group(0)

    return _PLACEHOLDER.sub(substitute, template)


def render_value(value: Any, values: Mapping[str, Any]) -> Any:
    """`render` applied to every string inside a JSON-like value (for tool inputs)."""
    if isinstance(value, str):
        return render(value, values)
    if isinstance(value, Mapping):
        return {str(key): render_value(item, values) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [render_value(item, values) for item in value]
    return value


@dataclass(frozen=True)
class Step:
    """One agent step, sent to the step webhook. `type` is one of the spec's step types:
    thought, action, observation, tool_call, tool_result. String fields are templates."""

    type: str = "thought"
    content: str | None = None
    tool: str | None = None
    input: Mapping[str, Any] | None = None
    output: str | None = None

    def __post_init__(self) -> None:
        if self.type not in STEP_TYPES:
            raise ValueError(f"Step.type must be one of {sorted(STEP_TYPES)}, not {self.type!r}")

    @classmethod
    def thought(cls, content: str) -> Step:
        return cls("thought", content=content)

    @classmethod
    def action(cls, content: str) -> Step:
        return cls("action", content=content)

    @classmethod
    def observation(cls, content: str) -> Step:
        return cls("observation", content=content)

    @classmethod
    def tool_call(cls, tool: str, input: Mapping[str, Any] | None = None, content: str | None = None) -> Step:
        return cls("tool_call", content=content, tool=tool, input=input)

    @classmethod
    def tool_result(cls, tool: str, output: str, content: str | None = None) -> Step:
        return cls("tool_result", content=content, tool=tool, output=output)


@dataclass(frozen=True)
class Task:
    """One task of a scripted crew.

    - `id`: the task id (in status results, webhooks and `POST /resume`).
    - `agent`: the agent role that runs it.
    - `output`: template of the task's output.
    - `name`: what `GET /status` shows as `current_task` (a template; defaults to `id`).
    - `duration`: seconds at scale 1.0, spread evenly over the steps.
    - `steps`: agent steps sent to the step webhook while the task runs.
    - `fail`: if set, the task fails with this error message and the crew ends in `error`.
    - `human_review`: pause after the task until a human approves it (`POST /resume`).
    - `retry_output`: template of the output when a reviewer asks for a retry; gets
      ``{output}`` (the task's normal output) and ``{human_feedback}``.
    """

    id: str
    agent: str
    output: str
    name: str | None = None
    duration: float = 1.0
    steps: tuple[Step, ...] = ()
    fail: str | None = None
    human_review: bool = False
    retry_output: str = "{output}\n\nRevised after human feedback: {human_feedback}"

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("Task.id must not be empty")
        if self.duration < 0:
            raise ValueError(f"Task.duration must be >= 0, not {self.duration!r}")
        object.__setattr__(self, "steps", tuple(self.steps))


@dataclass(frozen=True)
class Crew:
    """A scripted crew: the inputs it declares (`GET /inputs`, 422 when missing) and its tasks.
    `output` is the template of the crew's final output (defaults to the last task's output)."""

    inputs: tuple[str, ...]
    tasks: tuple[Task, ...]
    output: str | None = None
    name: str = "crew"
    _index: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "inputs", tuple(self.inputs))
        object.__setattr__(self, "tasks", tuple(self.tasks))
        if not self.tasks:
            raise ValueError("a Crew needs at least one task")
        ids = [task.id for task in self.tasks]
        duplicates = sorted({task_id for task_id in ids if ids.count(task_id) > 1})
        if duplicates:
            raise ValueError(f"duplicate task ids: {', '.join(duplicates)}")
        object.__setattr__(self, "_index", {task_id: index for index, task_id in enumerate(ids)})

    def task(self, task_id: str) -> Task:
        """The task with this id (KeyError if there is none)."""
        return self.tasks[self._index[task_id]]

    def _replace_task(self, task_id: str, **changes: Any) -> Crew:
        if task_id not in self._index:
            raise KeyError(f"no task {task_id!r} in this crew (tasks: {', '.join(self._index)})")
        tasks = [dataclasses.replace(task, **changes) if task.id == task_id else task for task in self.tasks]
        return dataclasses.replace(self, tasks=tuple(tasks))

    def with_review(self, *task_ids: str) -> Crew:
        """A copy of this crew where these tasks wait for human review."""
        crew = self
        for task_id in task_ids:
            crew = crew._replace_task(task_id, human_review=True)
        return crew

    def failing_at(self, task_id: str, error: str = "Tool timeout in step 4") -> Crew:
        """A copy of this crew that fails at this task with this error message."""
        return self._replace_task(task_id, fail=error)

    def scaled(self, factor: float) -> Crew:
        """A copy with every task's duration multiplied by `factor`."""
        return dataclasses.replace(
            self,
            tasks=tuple(dataclasses.replace(task, duration=task.duration * factor) for task in self.tasks),
        )

    @property
    def duration(self) -> float:
        """Total scripted duration in seconds at scale 1.0 (human review time excluded)."""
        return sum(task.duration for task in self.tasks)


def default_crew(*, review: Iterable[str] = (), fail_at: str | None = None) -> Crew:
    """The embedded research crew: inputs `topic`, `target_audience`, `depth`; tasks
    `research`, `outline`, `write`, `review` (about 13 s at scale 1.0).

    `review`: ids of tasks that wait for human review; `fail_at`: id of a task that fails.
    """
    crew = Crew(
        name="research-crew",
        inputs=("topic", "target_audience", "depth"),
        tasks=(
            Task(
                id="research",
                agent="Senior Research Analyst",
                name="Research {topic}",
                duration=4.0,
                steps=(
                    Step.thought("I need recent, reliable sources on {topic}."),
                    Step.tool_call("search_web", {"query": "{topic} latest developments"}),
                    Step.tool_result("search_web", "Found 12 sources on {topic}."),
                    Step.thought("Selecting what matters to {target_audience}."),
                ),
                output="Key findings on {topic} for {target_audience}: adoption is growing, "
                "costs are falling, and regulation is catching up.",
            ),
            Task(
                id="outline",
                agent="Content Strategist",
                name="Outline the {depth} report",
                duration=2.0,
                steps=(
                    Step.thought("Structuring a {depth} report for {target_audience}."),
                    Step.action("Drafting section headings."),
                ),
                output="Outline: 1. Why {topic} matters 2. State of play 3. What to do next",
            ),
            Task(
                id="write",
                agent="Technical Writer",
                name="Write the report on {topic}",
                duration=5.0,
                steps=(
                    Step.thought("Writing for {target_audience}, keeping it {depth}."),
                    Step.tool_call("style_guide", {"audience": "{target_audience}"}),
                    Step.tool_result("style_guide", "Plain language, short paragraphs."),
                    Step.observation("Draft complete."),
                ),
                output="Draft report on {topic} for {target_audience} ({depth}).",
            ),
            Task(
                id="review",
                agent="Editor",
                name="Review the report",
                duration=2.0,
                steps=(Step.thought("Checking facts and tone."), Step.action("Applying final edits.")),
                output="Final report on {topic} for {target_audience} ({depth}): {topic} is moving "
                "fast; here is what {target_audience} should know and do next.",
            ),
        ),
    )
    crew = crew.with_review(*review)
    if fail_at is not None:
        crew = crew.failing_at(fail_at)
    return crew
