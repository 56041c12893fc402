"""Live progress while waiting for a run: a rich bar on a terminal, plain lines otherwise.

A display is a context manager with `update(status)`, fed by `AmpClient.wait(on_status=...)`.

- terminal (and rich installed): a bar with tasks done / total (a flow's steps done, which have
  no total), the current task, elapsed time;
- not a terminal (a pipe, a file, CI): one plain line per change of status, e.g.
  `[   1.3s] running: Research AI (1/4 tasks done)`;
- --json: nothing on stdout (it carries the one result document); the bar goes to stderr if
  stderr is a terminal.

While the bar is live, a notice (a run paused for review) is printed through its console, on a
line of its own above the bar (see `Output.live`), never into the bar's line.

Elapsed time is the run's own (see `Clock`); when nothing says when the run started, it counts
from when waiting began and says so: `[   1.3s since attach]`. It runs on through a pause for
review and stops when the run ends.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ._output import Output
from ._render import PAUSED, StatusView, summary, view_of

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, ProgressColumn, TaskID

__all__ = ["Clock", "Display", "NoDisplay", "PlainLines", "RichBar", "display_for"]

SINCE_ATTACH = "since attach"
_ENDED = frozenset({"completed", "error"})  # the states a run ends in (wait() returns or raises)


class Clock:
    """How long the run has been going. From its kickoff when this process made it (`started`,
    a time.monotonic()); else from the first status that says (`execution_time`: the run's
    seconds so far, or in all); else from when waiting began, and then `known` is False."""

    def __init__(self, started: float | None = None) -> None:
        self._origin = time.monotonic() if started is None else started
        self.known = started is not None
        self._stopped: float | None = None

    def learn(self, view: StatusView) -> None:
        if not self.known and view.execution_time is not None:
            self._origin = time.monotonic() - view.execution_time
            self.known = True
        if view.state in _ENDED and self._stopped is None:  # a pause, or a state not known: on
            self._stopped = self.seconds()

    def seconds(self) -> float:
        return self._stopped if self._stopped is not None else time.monotonic() - self._origin

    def suffix(self) -> str:
        return "" if self.known else f" {SINCE_ATTACH}"

    def stamp(self) -> str:
        """`[   1.3s]`, or `[   1.3s since attach]`."""
        return f"[{self.seconds():7.1f}s{self.suffix()}]"


class Display:
    """The interface: enter, update with each status seen, exit (also on Ctrl-C)."""

    def __enter__(self) -> Display:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None

    def update(self, status: Any) -> None:
        raise NotImplementedError


class NoDisplay(Display):
    def update(self, status: Any) -> None:
        return None


class PlainLines(Display):
    """One line per change of status, with the run's elapsed time (see `Clock`)."""

    def __init__(self, out: Output, clock: Clock | None = None) -> None:
        self._out = out
        self._clock = clock or Clock()
        self._last: str | None = None

    def update(self, status: Any) -> None:
        view = view_of(status)
        self._clock.learn(view)
        line = summary(view)
        if line != self._last:
            self._last = line
            self._out.print(f"{self._clock.stamp()} {line}")


class RichBar(Display):
    """rich's Progress: spinner, current task, bar, done/total, elapsed."""

    def __init__(
        self,
        console: Console,
        clean: Callable[[str], str] = str,
        clock: Clock | None = None,
        out: Output | None = None,
    ) -> None:
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn

        self._clean = clean  # server text (task names, errors) reaches the terminal escaped
        self._clock = clock or Clock()
        self._out = out  # its notices go through the bar's console while it is live
        self._progress: Progress = Progress(
            SpinnerColumn(finished_text="[green]✓[/]"),
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            _count_column(),
            _elapsed_column(self._clock),
            console=console,
            transient=False,
        )
        self._task: TaskID = self._progress.add_task("waiting for the first status", total=None, unit="tasks")

    def __enter__(self) -> RichBar:
        self._progress.start()
        if self._out is not None:
            self._out.live = self._progress.console
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._out is not None:
            self._out.live = None
        self._progress.stop()

    def update(self, status: Any) -> None:
        view: StatusView = view_of(status)
        self._clock.learn(view)
        done, total, unit = view.counts()
        if view.state == "completed":
            if unit == "tasks":
                total = total if total is not None else (len(view.tasks) or None)
            done = total if total is not None else done
            description = "completed"
        elif view.state == "running":
            description = view.current_task or "running"
        elif view.state == PAUSED:  # the counts are in their own column
            task = view.current_task or view.task_id
            description = f"waiting for human input on {task}" if task else "waiting for human input"
        else:
            description = summary(view)
        self._progress.update(
            self._task,
            description=self._clean(description),
            total=total,
            completed=done or 0,
            unit=unit,
        )
        if view.state not in ("running", PAUSED):
            self._progress.stop_task(self._task)


def _count_column() -> ProgressColumn:
    """Done / total and what is counted (`2/4 tasks`), or a flow's count alone (`3 steps`)."""
    from rich.progress import ProgressColumn, Task
    from rich.text import Text

    class CountColumn(ProgressColumn):
        def render(self, task: Task) -> Text:
            unit = task.fields.get("unit", "tasks")
            done = int(task.completed)
            shown = f"{done}/{int(task.total)}" if task.total is not None else f"{done}"
            return Text(f"{shown} {unit}", style="progress.download")

    return CountColumn()


def _elapsed_column(clock: Clock) -> ProgressColumn:
    """A rich column with the clock's elapsed time, e.g. `0:01:05` or `0:00:03 since attach`."""
    from rich.progress import ProgressColumn, Task
    from rich.text import Text

    class ElapsedColumn(ProgressColumn):
        def render(self, task: Task) -> Text:
            seconds = int(clock.seconds())
            hours, rest = divmod(seconds, 3600)
            return Text(f"{hours}:{rest // 60:02d}:{rest % 60:02d}{clock.suffix()}", style="progress.elapsed")

    return ElapsedColumn()


def display_for(out: Output, *, started: float | None = None) -> Display:
    """The right display for where the output goes (see the module docstring). `started` is
    when this process kicked the run off (time.monotonic()), None when attaching to a run."""
    clock = Clock(started)
    if out.json_mode:
        if out.stderr_is_terminal:
            console = out.console(stderr=True)
            if console is not None:
                return RichBar(console, out.clean, clock, out)
        return NoDisplay()
    if out.stdout_is_terminal:
        console = out.console()
        if console is not None:
            return RichBar(console, out.clean, clock, out)
    return PlainLines(out, clock)
