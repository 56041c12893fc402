"""Live progress while waiting for a run: a rich bar on a terminal, plain lines otherwise.

A display is a context manager with `update(status)`, fed by `AmpClient.wait(on_status=...)`.

- terminal (and rich installed): a bar with tasks done / total, the current task, elapsed time;
- not a terminal (a pipe, a file, CI): one plain line per change of status, e.g.
  `[   1.3s] running: Research AI (1/4 tasks done)`;
- --json: nothing on stdout (it carries the one result document); the bar goes to stderr if
  stderr is a terminal.
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ._output import Output
from ._render import PAUSED, StatusView, summary, view_of

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

__all__ = ["Display", "NoDisplay", "PlainLines", "RichBar", "display_for"]


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
    """One line per change of status, with the seconds since waiting began."""

    def __init__(self, out: Output) -> None:
        self._out = out
        self._started = time.monotonic()
        self._last: str | None = None

    def update(self, status: Any) -> None:
        line = summary(view_of(status))
        if line != self._last:
            self._last = line
            self._out.print(f"[{time.monotonic() - self._started:7.1f}s] {line}")


class RichBar(Display):
    """rich's Progress: spinner, current task, bar, done/total, elapsed."""

    def __init__(self, console: Console) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self._progress: Progress = Progress(
            SpinnerColumn(finished_text="[green]✓[/]"),
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("tasks"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._task: TaskID = self._progress.add_task("waiting for the first status", total=None)

    def __enter__(self) -> RichBar:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def update(self, status: Any) -> None:
        view: StatusView = view_of(status)
        total = view.total_tasks
        done = view.completed_tasks
        if view.state == "completed":
            total = total if total is not None else (len(view.tasks) or None)
            done = total if total is not None else done
            description = "completed"
        elif view.state == "running":
            description = view.current_task or "running"
        else:
            description = summary(view)
        self._progress.update(
            self._task,
            description=description,
            total=total,
            completed=done or 0,
        )
        if view.state not in ("running", PAUSED):
            self._progress.stop_task(self._task)


def display_for(out: Output) -> Display:
    """The right display for where the output goes (see the module docstring)."""
    if out.json_mode:
        if out.stderr_is_terminal:
            console = out.console(stderr=True)
            if console is not None:
                return RichBar(console)
        return NoDisplay()
    if out.stdout_is_terminal:
        console = out.console()
        if console is not None:
            return RichBar(console)
    return PlainLines(out)
