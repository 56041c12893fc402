"""The entry point: parse, dispatch to a command, turn any failure into one line and an exit code."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from ._errors import INTERNAL, OUTPUT_FAILED, Failure, describe
from ._output import Output, OutputFailed
from ._parser import parse_args
from ._signals import interrupts

__all__ = ["main"]

Command = Callable[[argparse.Namespace, Output], int]


def _command(name: str) -> Command:
    """The function behind a command, imported on demand (so --help stays fast)."""
    if name == "batch":
        from ._batch import run_batch

        return run_batch
    if name in ("mock serve", "webhooks listen"):
        from . import _servers

        return _servers.run_mock_serve if name == "mock serve" else _servers.run_webhooks_listen
    if name == "webhooks inbox":
        from ._inbox import run_webhooks_inbox

        return run_webhooks_inbox
    from . import _commands

    commands: dict[str, Command] = {
        "inputs": _commands.run_inputs,
        "kickoff": _commands.run_kickoff,
        "status": _commands.run_status,
        "wait": _commands.run_wait,
        "resume": _commands.run_resume,
    }
    return commands[name]


def main(argv: Sequence[str] | None = None) -> int:
    """Run `crewai-amp` with `argv` (default: sys.argv[1:]) and return the exit code:
    0 success, 1 the crew ended in error, 2 usage error, 3 API or auth error, 4 timeout,
    74 stdout could not be written, 130/143/129 interrupted by SIGINT (Ctrl-C)/SIGTERM/SIGHUP.
    Never raises (but SystemExit from --help/--version is turned into its code)."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    # Before parsing, --json anywhere decides how a usage error is shown.
    out = Output(json_mode="--json" in arguments, stdout=sys.stdout, stderr=sys.stderr)
    base_url_flag: str | None = None
    kickoff_id: str | None = None
    try:
        try:
            args = parse_args(arguments)
        except SystemExit as exc:  # --help, --version: argparse printed them
            return exc.code if isinstance(exc.code, int) else 0
        out.json_mode = bool(getattr(args, "json", False))
        base_url_flag = getattr(args, "base_url", None)
        kickoff_id = getattr(args, "kickoff_id", None)
        with interrupts():
            return _command(args.run)(args, out)
    except OutputFailed as exc:
        _silence_stdout()
        if exc.broken_pipe:  # e.g. `crewai-amp status ID | head -1`: the reader left, nothing lost
            return 0
        failure = describe(exc)
        return _report(out, failure, kickoff_id)
    except BrokenPipeError:  # from rich, which writes to the terminal itself
        _silence_stdout()
        return 0
    except (Exception, KeyboardInterrupt) as exc:
        failure = describe(exc, base_url_flag=base_url_flag)
        if failure.code == OUTPUT_FAILED:
            _silence_stdout()
        return _report(out, failure, kickoff_id)


def _report(out: Output, failure: Failure, kickoff_id: str | None) -> int:
    """Write the failure on stderr and return its exit code. The kickoff id the command was
    about goes into the --json error, so a script always knows which run the error concerns."""
    if kickoff_id is not None:
        failure.details.setdefault("kickoff_id", kickoff_id)
    try:
        out.error(failure.message, code=failure.code, kind=failure.kind, hint=failure.hint, **failure.details)
    except Exception:  # the error stream itself failed; the exit code still tells
        return failure.code or INTERNAL
    return failure.code


def _silence_stdout() -> None:
    """Point stdout at devnull so the interpreter's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
