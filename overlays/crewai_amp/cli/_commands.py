"""The commands that talk to AMP: inputs, kickoff, status, wait, resume.

Each takes the parsed arguments and an Output, returns an exit code, and lets failures
propagate (as AmpError, UsageError or Failure) for the entry point to report.
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from typing import TYPE_CHECKING, Any

from .._config import ENV_BASE_URL, ENV_TOKEN
from .._operations import CORRELATION_ID_KEY
from ._errors import (
    CREW_ERROR,
    OK,
    OUTPUT_FAILED,
    Failure,
    UsageError,
    describe,
    resume_command,
    wait_command,
)
from ._output import Output, OutputFailed
from ._parser import DEFAULT_TIMEOUT
from ._progress import display_for
from ._render import PAUSED, render_final, render_status, status_document, view_of
from ._signals import exit_code
from ._values import load_inputs_file

if TYPE_CHECKING:
    from .._client import AmpClient

__all__ = ["connect", "run_inputs", "run_kickoff", "run_resume", "run_status", "run_wait"]


def connect(args: argparse.Namespace, out: Output) -> AmpClient:
    """An AmpClient from --base-url/--token or the environment; UsageError if either is missing."""
    base_url = getattr(args, "base_url", None) or os.environ.get(ENV_BASE_URL)
    token = getattr(args, "token", None) or os.environ.get(ENV_TOKEN)
    out.add_secret(token)
    if not base_url:
        raise UsageError(f"no AMP URL: pass --base-url or set {ENV_BASE_URL}")
    if not token:
        raise UsageError(f"no API token: pass --token or set {ENV_TOKEN}")
    from .._client import AmpClient

    try:
        return AmpClient(base_url=base_url, token=token)
    except (ValueError, TypeError) as exc:  # ConfigurationError: names what is wrong, never the token
        raise UsageError(f"invalid --base-url/--token (or {ENV_BASE_URL}/{ENV_TOKEN}): {exc}") from None


def _wait_command(args: argparse.Namespace, kickoff_id: str) -> str:
    return wait_command(kickoff_id, getattr(args, "base_url", None))


def _resume_waiting(args: argparse.Namespace, kickoff_id: str) -> str:
    return f"keep waiting with: {_wait_command(args, kickoff_id)}"


def _announce_pause(args: argparse.Namespace, out: Output, kickoff_id: str, task_id: str | None) -> None:
    """Say that the run waits for a human review, with the command that answers it."""
    command = resume_command(kickoff_id, task_id, getattr(args, "base_url", None))
    if out.json_mode:
        out.stderr_json(
            {
                "notice": "waiting for human input",
                "kickoff_id": kickoff_id,
                "task_id": task_id,
                "resume": command,
            }
        )
    else:
        out.note(f"the run is waiting for human input; answer the review with: {command}")


def run_inputs(args: argparse.Namespace, out: Output) -> int:
    with connect(args, out) as client:
        inputs = client.inputs()
    if out.json_mode:
        out.document({"inputs": list(inputs)})
    else:
        for name in inputs:
            out.print(name)
    return OK


def _kickoff_inputs(args: argparse.Namespace) -> dict[str, Any]:
    """--inputs-file first, then each --input on top (the command line wins)."""
    inputs: dict[str, Any] = load_inputs_file(args.inputs_file) if args.inputs_file else {}
    inputs.update(args.inputs)
    return inputs


def run_kickoff(args: argparse.Namespace, out: Output) -> int:
    if args.timeout is not None and not args.wait:
        raise UsageError("--timeout only applies with --wait")
    inputs = _kickoff_inputs(args)
    meta = dict(args.meta)
    # Chosen here, so an interrupted kickoff can still name it.
    correlation_id = meta.setdefault(CORRELATION_ID_KEY, str(uuid.uuid4()))
    with connect(args, out) as client:
        started = time.monotonic()
        try:
            kickoff = client.kickoff(
                inputs,
                meta=meta,
                task_webhook_url=args.task_webhook,
                step_webhook_url=args.step_webhook,
                crew_webhook_url=args.crew_webhook,
            )
        except KeyboardInterrupt as exc:
            raise Failure(
                "interrupted before AMP confirmed the kickoff; a paid crew run may have started",
                exit_code(exc),
                "Interrupted",
                hint=f"look for meta {CORRELATION_ID_KEY}={correlation_id} in AMP's webhooks or dashboard "
                "before kicking off again",
                details={"correlation_id": correlation_id, "may_have_started": True},
            ) from None
        kickoff_id = kickoff.kickoff_id
        try:
            _announce_kickoff(args, out, kickoff_id, correlation_id)
            return _after_kickoff(client, kickoff_id, started, args, out)
        except KeyboardInterrupt as exc:  # a signal at any point once the id is known
            raise Failure(
                f"stopped; the crew {kickoff_id} keeps running",
                exit_code(exc),
                "Interrupted",
                hint=_resume_waiting(args, kickoff_id),
                details={"kickoff_id": kickoff_id},
            ) from None
        except OutputFailed as exc:
            # A crew is running (and paid for) that only this id can find: stderr gets it.
            raise Failure(
                f"kicked off {kickoff_id}, but cannot write to stdout: {exc.reason}",
                OUTPUT_FAILED,
                "OutputError",
                hint=f"follow it with: {_wait_command(args, kickoff_id)}",
                details={"kickoff_id": kickoff_id},
            ) from None
        except Exception as exc:  # whatever went wrong, the report names the run it concerns
            failure = describe(exc, base_url_flag=getattr(args, "base_url", None))
            failure.details.setdefault("kickoff_id", kickoff_id)
            raise failure from None


def _announce_kickoff(args: argparse.Namespace, out: Output, kickoff_id: str, correlation_id: str) -> None:
    """The kickoff id on stderr, the moment it is known and before anything else is written:
    whatever happens next (a signal, a closed stdout), the paid run can be found."""
    try:
        if out.json_mode:
            out.stderr_json(
                {"notice": "kicked off", "kickoff_id": kickoff_id, "correlation_id": correlation_id}
            )
        else:
            out.note(f"kicked off {kickoff_id}; follow it with: {_wait_command(args, kickoff_id)}")
    except (OSError, ValueError):  # no stderr (closed): stdout still gets the id
        pass


def _after_kickoff(
    client: AmpClient, kickoff_id: str, started: float, args: argparse.Namespace, out: Output
) -> int:
    if not args.wait:
        if out.json_mode:
            out.document({"kickoff_id": kickoff_id})
        else:
            out.print(kickoff_id)
        return OK
    if not out.json_mode:
        out.print(f"kicked off {kickoff_id}")
    timeout = args.timeout if args.timeout is not None else DEFAULT_TIMEOUT
    return _wait(client, kickoff_id, timeout, args, out, started=started)


def run_status(args: argparse.Namespace, out: Output) -> int:
    with connect(args, out) as client:
        status = client.status(args.kickoff_id)
    render_status(out, args.kickoff_id, status)
    view = view_of(status)
    if view.state == PAUSED:
        _announce_pause(args, out, args.kickoff_id, view.task_id)
    return CREW_ERROR if view.state == "error" else OK


def run_wait(args: argparse.Namespace, out: Output) -> int:
    with connect(args, out) as client:
        return _wait(client, args.kickoff_id, args.timeout, args, out)


def _wait(
    client: AmpClient,
    kickoff_id: str,
    timeout: float,
    args: argparse.Namespace,
    out: Output,
    *,
    started: float | None = None,
) -> int:
    """Wait with live progress, then show the final output. Ctrl-C stops waiting (not the
    crew) and says how to pick it up again. `started` is when this process kicked the run
    off (time.monotonic()), None when attaching to a run started elsewhere."""
    from ..errors import AmpError, ExecutionError, NotFoundError, WaitTimeout

    display = display_for(out, started=started)
    announced: set[str | None] = set()  # the reviews already announced, by task id

    def seen(status: Any) -> None:
        display.update(status)
        view = view_of(status)
        if view.state == PAUSED and view.task_id not in announced:
            announced.add(view.task_id)
            _announce_pause(args, out, kickoff_id, view.task_id)

    try:
        with display:
            try:
                final = client.wait(
                    kickoff_id,
                    timeout=timeout,
                    on_status=seen,
                    not_found_grace=getattr(args, "not_found_grace", None),
                )
            except ExecutionError as exc:
                display.update(exc.status)
                raise
            display.update(final)
    except KeyboardInterrupt as exc:
        raise Failure(
            f"stopped waiting for {kickoff_id}; the crew keeps running",
            exit_code(exc),
            "Interrupted",
            hint=_resume_waiting(args, kickoff_id),
            details={"kickoff_id": kickoff_id},
        ) from None
    except ExecutionError as exc:
        if out.json_mode:  # the result document still goes to stdout; the error to stderr
            out.document(status_document(kickoff_id, exc.status))
        raise
    except WaitTimeout:
        raise
    except AmpError as exc:
        # An API error while waiting (the crew may well still be running): the report must
        # carry the kickoff id, or `kickoff --wait --json` leaves no way to find the paid run.
        failure = describe(exc, base_url_flag=getattr(args, "base_url", None))
        failure.details.setdefault("kickoff_id", kickoff_id)
        if not isinstance(exc, NotFoundError):  # an unknown id: waiting again would not help
            resume = _resume_waiting(args, kickoff_id)
            failure.hint = f"{failure.hint}; {resume}" if failure.hint else resume
        raise failure from None
    render_final(out, kickoff_id, final)
    return OK


def run_resume(args: argparse.Namespace, out: Output) -> int:
    with connect(args, out) as client:
        response = client.resume(args.kickoff_id, args.task, args.feedback, args.approve)
    view = view_of(response)
    if out.json_mode:
        out.document({"kickoff_id": args.kickoff_id, "task_id": args.task, **view.document})
    else:
        message = view.document.get("message")
        out.print(f"{view.state}: {message}" if isinstance(message, str) and message else view.state)
        decision = "approved" if args.approve else "sent back for a retry"
        out.note(f"task {args.task} {decision}; follow the run with: {_wait_command(args, args.kickoff_id)}")
    return OK
