"""Exit codes, and how each failure becomes one: every outcome maps to a code and one line.

0 success                       3 API or auth error (HTTP error, unreachable, bad response)
1 the crew ended in error       4 timeout (gave up waiting)
2 usage error                   74 stdout could not be written (closed, full); a kickoff id goes to stderr
130 interrupted (Ctrl-C)        70 internal error (a bug)
143 / 129 stopped by SIGTERM / SIGHUP, handled as Ctrl-C (see _signals)
"""

from __future__ import annotations

import shlex
from typing import Any

from .._config import ENV_BASE_URL, ENV_TOKEN
from ..errors import (
    AmpError,
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    ConfigurationError,
    ExecutionError,
    JournalError,
    KickoffMayHaveStarted,
    ResponseValidationError,
    WaitTimeout,
)
from ._output import OutputFailed
from ._signals import exit_code

__all__ = [
    "API_ERROR",
    "CREW_ERROR",
    "INTERNAL",
    "INTERRUPTED",
    "OK",
    "OUTPUT_FAILED",
    "TIMEOUT",
    "USAGE",
    "Failure",
    "UsageError",
    "describe",
]

OK = 0
CREW_ERROR = 1
USAGE = 2
API_ERROR = 3
TIMEOUT = 4
INTERNAL = 70
OUTPUT_FAILED = 74  # sysexits' EX_IOERR
INTERRUPTED = 130


class UsageError(Exception):
    """The command line, or what it points at, is wrong (exit code 2)."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


class Failure(Exception):
    """A failure with everything needed to report it: one message, the exit code, a type
    name, an optional hint, and details for --json (a kickoff id, an HTTP status...)."""

    def __init__(
        self,
        message: str,
        code: int,
        kind: str,
        hint: str | None = None,
        *,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.kind = kind
        self.hint = hint
        self.details: dict[str, Any] = details or {}


def _without_userinfo(url: str) -> str:
    """`url` without any user:password@ part."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, path = rest.partition("/")
    return f"{scheme}://{authority.rpartition('@')[2]}{slash}{path}"


def wait_command(kickoff_id: str, base_url_flag: str | None = None) -> str:
    """The command that resumes waiting for `kickoff_id` (never with the token)."""
    where = f" --base-url {_without_userinfo(base_url_flag)}" if base_url_flag else ""
    return f"crewai-amp wait {kickoff_id}{where}"


def resume_command(kickoff_id: str, task_id: str | None, base_url_flag: str | None = None) -> str:
    """The command that answers the human review of run `kickoff_id` (never with the token);
    a placeholder stands for a task id AMP did not name."""
    where = f" --base-url {_without_userinfo(base_url_flag)}" if base_url_flag else ""
    task = shlex.quote(task_id) if task_id else "TASK_ID"
    return f'crewai-amp resume {kickoff_id} --task {task} --feedback "..." --approve{where}'


def describe(exc: BaseException, *, base_url_flag: str | None = None) -> Failure:
    """The Failure for any exception a command lets through; an error built from a response
    gives its request id to --json as ``request_id`` (its message names it already)."""
    failure = _failure(exc, base_url_flag)
    if isinstance(exc, AmpError) and exc.request_id:
        failure.details.setdefault("request_id", exc.request_id)
    return failure


def _failure(exc: BaseException, base_url_flag: str | None) -> Failure:
    if isinstance(exc, Failure):
        return exc
    if isinstance(exc, OutputFailed):
        return Failure(f"cannot write to stdout: {exc.reason}", OUTPUT_FAILED, "OutputError")
    if isinstance(exc, UsageError):
        return Failure(str(exc), USAGE, "UsageError", exc.hint)
    if isinstance(exc, ExecutionError):
        from ._render import view_of

        reason = view_of(exc.status).error or str(exc)
        return Failure(
            f"the crew ended in error: {reason}",
            CREW_ERROR,
            "ExecutionError",
            details={"kickoff_id": exc.kickoff_id},
        )
    if isinstance(exc, WaitTimeout):
        return Failure(
            f"gave up waiting: {exc}",
            TIMEOUT,
            "WaitTimeout",
            hint=f"keep waiting with: {wait_command(exc.kickoff_id, base_url_flag)}",
            details={"kickoff_id": exc.kickoff_id},
        )
    if isinstance(exc, APIStatusError):
        message = str(exc)
        if str(exc.status_code) not in message:
            message = f"HTTP {exc.status_code}: {message}"
        hint = f"check --token or {ENV_TOKEN}" if isinstance(exc, AuthenticationError) else None
        return Failure(
            message,
            API_ERROR,
            type(exc).__name__,
            hint,
            details={"status_code": exc.status_code, "body": exc.body},
        )
    if isinstance(exc, KickoffMayHaveStarted):
        return Failure(
            str(exc),
            API_ERROR,
            "KickoffMayHaveStarted",
            hint="do not simply run it again: a second kickoff is a second paid run",
            details={"correlation_id": exc.correlation_id, "may_have_started": True},
        )
    if isinstance(exc, (JournalError, ConfigurationError)):  # what the command line gave is wrong
        return Failure(str(exc), USAGE, type(exc).__name__)
    if isinstance(exc, APIConnectionError):
        where = ""
        if exc.request is not None:
            url = exc.request.url
            port = f":{url.port}" if url.port else ""
            where = f" at {url.scheme}://{url.host}{port}"  # never userinfo
        return Failure(
            f"cannot reach AMP{where}: {exc}",
            API_ERROR,
            type(exc).__name__,
            hint=f"check --base-url or {ENV_BASE_URL}, and that the server is up",
        )
    if isinstance(exc, ResponseValidationError):
        return Failure(
            str(exc), API_ERROR, "ResponseValidationError", details={"status_code": exc.status_code}
        )
    if isinstance(exc, AmpError):
        return Failure(str(exc), API_ERROR, type(exc).__name__)
    if isinstance(exc, KeyboardInterrupt):
        return Failure("interrupted", exit_code(exc), "Interrupted")
    return Failure(
        f"unexpected {type(exc).__name__}: {exc}",
        INTERNAL,
        "InternalError",
        hint="this is a bug in crewai-amp; please report it",
    )
