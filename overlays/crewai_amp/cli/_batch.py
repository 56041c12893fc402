"""`crewai-amp batch INPUTS.jsonl --journal runs.db`: many runs from a JSON Lines file.

One JSON object of inputs per line (blank lines are skipped; an input's index is its place among
the objects, from 0). The runs go through `AmpClient.run_many` (`--concurrency` at a time):

- stdout: one JSON line per outcome as it finishes (`index`, `ok`, `kickoff_id`,
  `correlation_id`, `inputs`, and the final `status` or the `error`), in both modes;
- stderr: each kickoff id the moment AMP answers (`kicked off #3: <id>`, or with --json
  `{"notice": "kicked off", "index", "kickoff_id"}`), one progress bar for the batch on a
  terminal (rich), a summary at the end;
- `--journal FILE` records every kickoff id and outcome: running the same command again resumes
  (finished runs are printed from the journal, started ones waited on, only the rest kicked
  off). A kickoff whose answer was lost is reported, never re-sent, unless `--retry-unknown`
  names it once AMP shows no run with its correlation id.

Exit code: 0 when every run completed, 1 when any did not (its outcome says why), 2 for a bad
file or a journal it cannot use (made for another batch, in use, damaged, or failing to write
mid-batch: the ids of runs already kicked off are in it or on stderr), 130/143/129 when stopped by a signal (kickoffs on
their way still report their ids, and the command to resume is printed).
"""

from __future__ import annotations

import argparse
import json
import threading
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ._commands import connect
from ._errors import CREW_ERROR, OK, Failure, UsageError
from ._output import Output, is_terminal
from ._render import status_document
from ._signals import exit_code
from ._values import no_constant, read_stdin, unencodable_at

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from .._fanout import RunOutcome

__all__ = ["load_jsonl", "outcome_document", "run_batch"]


def load_jsonl(path: str) -> list[dict[str, Any]]:
    """The inputs in a JSON Lines file (`-` reads stdin): one object per non-blank line. Any
    problem is a UsageError naming the line."""
    where = "stdin" if path == "-" else path
    try:
        text = read_stdin() if path == "-" else Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"inputs file {where} is not UTF-8 text (byte offset {exc.start})") from None
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UsageError(f"cannot read inputs file {where}: {reason}") from None
    inputs: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line, parse_constant=no_constant)
            bad = unencodable_at(data, "")
        except (ValueError, RecursionError) as exc:
            raise UsageError(f"{where}, line {number}: not a JSON object ({exc})") from None
        if not isinstance(data, dict):
            raise UsageError(
                f"{where}, line {number}: expected a JSON object of inputs, not {type(data).__name__}"
            )
        if bad is not None:
            raise UsageError(f"{where}, line {number}: a lone surrogate (not Unicode text) at {bad}")
        inputs.append(data)
    if not inputs:
        raise UsageError(f"inputs file {where} holds no inputs (one JSON object per line)")
    return inputs


def outcome_document(outcome: RunOutcome) -> dict[str, Any]:
    """One stdout line: which inputs, which run, and the final status or the error."""
    from ..errors import ExecutionError

    document: dict[str, Any] = {
        "index": outcome.index,
        "ok": outcome.ok,
        "kickoff_id": outcome.kickoff_id,
        "correlation_id": outcome.correlation_id,
        "inputs": dict(outcome.inputs),
    }
    if outcome.result is not None:
        document["status"] = status_document(outcome.kickoff_id or "", outcome.result)
    error = outcome.error
    if error is not None:
        document["error"] = {
            "type": type(error).__name__,
            "message": str(error),
            "may_have_started": bool(getattr(error, "may_have_started", False)),
        }
        if isinstance(error, ExecutionError):
            document["status"] = status_document(error.kickoff_id, error.status)
    return document


class _Bar:
    """One rich progress bar for the batch on stderr (a terminal), or nothing. Notices printed
    while it shows go above it."""

    def __init__(self, out: Output, total: int) -> None:
        self._out = out
        self._lock = threading.Lock()  # kickoff notices come from the runs' threads
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        console = out.console(stderr=True) if is_terminal(out.stderr) else None
        if console is not None:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("{task.description}", markup=False),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
            )
            self._task = self._progress.add_task("runs", total=total)

    def __enter__(self) -> _Bar:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def notice(self, text: str, document: dict[str, Any]) -> None:
        with self._lock:
            if self._out.json_mode:
                self._out.stderr_json(document)
            elif self._progress is not None:
                from rich.text import Text

                self._progress.console.print(Text(self._out.clean(text)))
            else:
                self._out.note(text)

    def advance(self, ok: int, failed: int) -> None:
        if self._progress is not None and self._task is not None:
            description = f"runs: {ok} completed" + (f", {failed} not" if failed else "")
            self._progress.update(self._task, advance=1, description=description)


def _retry_unknown(value: str | None) -> bool | list[int]:
    if value is None:
        return False
    if value == "all":
        return True
    try:
        return [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise UsageError(
            f"--retry-unknown takes input indexes like 3,17 (or nothing for all), got {value!r}"
        ) from None


def _resume_command(args: argparse.Namespace) -> str:
    parts = ["crewai-amp batch", args.inputs_file]
    if args.journal:
        parts += ["--journal", args.journal]
    return " ".join(parts)


def run_batch(args: argparse.Namespace, out: Output) -> int:
    inputs = load_jsonl(args.inputs_file)
    retry = _retry_unknown(args.retry_unknown)
    ok = failed = 0
    with connect(args, out) as client, _Bar(out, len(inputs)) as bar:

        def on_kickoff(index: int, kickoff_id: str) -> None:
            bar.notice(
                f"kicked off #{index}: {kickoff_id}",
                {"notice": "kicked off", "index": index, "kickoff_id": kickoff_id},
            )

        outcomes = client.run_many(
            inputs,
            concurrency=args.concurrency,
            timeout=args.timeout,
            journal=args.journal,
            on_kickoff=on_kickoff,
            retry_unknown=retry,
            meta=dict(args.meta) or None,
            task_webhook_url=args.task_webhook,
            step_webhook_url=args.step_webhook,
            crew_webhook_url=args.crew_webhook,
        )
        try:
            for outcome in outcomes:
                out.json_line(outcome_document(outcome))
                ok, failed = (ok + 1, failed) if outcome.ok else (ok, failed + 1)
                bar.advance(ok, failed)
        except KeyboardInterrupt as exc:
            outcomes.close()  # kicks off nothing more; kickoffs on their way report their ids
            saved = "their kickoff ids are in the journal" if args.journal else "their kickoff ids are above"
            raise Failure(
                f"stopped after {ok + failed} of {len(inputs)} outcomes; runs under way keep running on AMP "
                f"({saved})",
                exit_code(exc),
                "Interrupted",
                hint=f"resume with: {_resume_command(args)}" if args.journal else None,
            ) from None
    summary = f"{ok + failed} runs: {ok} completed" + (
        f", {failed} did not (see their outcomes)" if failed else ""
    )
    if out.json_mode:
        out.stderr_json({"notice": "done", "runs": ok + failed, "completed": ok, "failed": failed})
    else:
        out.note(summary)
    return OK if not failed else CREW_ERROR
