"""Everything AmpClient and AsyncAmpClient share: ``_Base`` builds requests, decides whether to
retry and how long to wait, turns responses into models or typed errors, and drives ``wait()``
through ``_Wait``. The clients only send, read, sleep and loop.

Requests are built by the generated operations (``_operations``), and responses loaded into the
generated models, so a regenerated spec flows through.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NoReturn, TypeAlias, TypeVar

import httpx

from . import _deepjson, _retry, _tracing
from ._attempt import Attempt
from ._body import Body
from ._config import ClientConfig, seconds
from ._operations import Call, Operation
from ._raw import record
from ._responses import (
    PARSE_ERRORS,
    STATUS_5XX_HINT,
    UnknownRun,
    lost_kickoff,
    refused,
    run_not_found,
    run_not_found_404,
    status_error,
    transport_error,
    unread_kickoff,
    validation_error,
    vanished,
)
from ._runs import RunMemory
from .errors import (
    AmpError,
    APITimeoutError,
    ConfigurationError,
    ExecutionError,
    ResponseTooLarge,
    ResponseValidationError,
    RunNotFoundError,
    WaitTimeout,
    clip,
    safe_text,
)

if TYPE_CHECKING:
    from ._status import KickoffResponse, ResumeResponse, Status, StatusCompleted

T = TypeVar("T")
StatusCallback: TypeAlias = "Callable[[Status], object]"


def check_wait_timeout(timeout: object, not_found_grace: object = None) -> None:
    """Refuses a bad ``timeout`` or ``not_found_grace`` of wait()/run() (before a kickoff)."""
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout >= 0
    ):
        raise ConfigurationError(f"timeout must be a non-negative number of seconds or None, got {timeout!r}")
    seconds("not_found_grace", not_found_grace, optional=True)


class _Wait:
    """The decisions of one ``wait()``: done, failed, timed out, not found, or how long to sleep.

    NOT FOUND (a 404, or deployed AMP's ``200 {"state": "NOT FOUND"}``) is polled through for
    ``not_found_grace`` seconds counted from ``since`` (this client's kickoff of the run, when
    it remembers one, else the start of the wait), then raised as RunNotFoundError; for a run
    this wait has seen, one that says what NOT FOUND then means on deployed AMP (a run waiting
    for human input).
    """

    __slots__ = ("deadline", "grace_ends", "kickoff_id", "last_seen", "plan", "secrets", "timeout")

    def __init__(
        self,
        kickoff_id: str,
        timeout: float | None,
        now: float,
        secrets: tuple[str, ...] = (),
        *,
        not_found_grace: float = 0.0,
        since: float | None = None,
    ) -> None:
        from ._polling import PollPlan

        check_wait_timeout(timeout)
        self.kickoff_id = kickoff_id
        self.secrets = secrets  # masked in the messages: a server may echo the token in a status
        self.timeout = timeout
        self.deadline = None if timeout is None else now + timeout
        self.grace_ends = (now if since is None else min(since, now)) + not_found_grace
        self.plan = PollPlan(started=now)
        self.last_seen: str | None = None  # the state last seen (as sent), once the run was seen

    def not_found(self, missing: RunNotFoundError, now: float) -> float:
        """The seconds to sleep before checking again, within the grace; past it, ``missing``
        is raised (WaitTimeout if the wait's own deadline comes first)."""
        if now >= self.grace_ends:
            if self.last_seen is not None:
                raise vanished(missing, self.last_seen) from missing
            raise missing
        if self.deadline is not None and now >= self.deadline:
            raise WaitTimeout(
                f"crew run {self.kickoff_id}: still not found after {self.timeout:g} s ({missing})",
                kickoff_id=self.kickoff_id,
                last_status=None,
            ) from missing
        delay = self.plan.backoff()
        ends = self.grace_ends if self.deadline is None else min(self.grace_ends, self.deadline)
        return max(min(delay, ends - now), 0.0)

    def expired(self, last_status: Status | None, cause: AmpError) -> WaitTimeout:
        """The WaitTimeout for a status check the deadline cut short (its retries, a request
        bounded by the time left, or the wait for a free slot)."""
        return WaitTimeout(
            f"crew run {self.kickoff_id}: no status within {self.timeout:g} s ({cause})",
            kickoff_id=self.kickoff_id,
            last_status=last_status,
        )

    def after(self, status: Status, now: float) -> StatusCompleted | float:
        """The final status, or the seconds to sleep before the next check. Raises
        ExecutionError if the crew failed, WaitTimeout once the deadline has passed."""
        from ._status import StatusCompleted, StatusError, status_value

        sent = getattr(status, "additional_properties", {}).get("state")
        self.last_seen = sent if isinstance(sent, str) else status_value(status)
        if isinstance(status, StatusCompleted):
            return status
        if isinstance(status, StatusError):
            message = status.error if isinstance(status.error, str) and status.error else "no error message"
            raise ExecutionError(
                safe_text(f"crew run {self.kickoff_id} ended in error: {clip(message)}", self.secrets),
                kickoff_id=self.kickoff_id,
                status=status,
            )
        if self.deadline is not None and now >= self.deadline:
            raise WaitTimeout(
                safe_text(
                    f"crew run {self.kickoff_id} still {clip(repr(status_value(status)))} after {self.timeout:g} s",
                    self.secrets,
                ),
                kickoff_id=self.kickoff_id,
                last_status=status,
            )
        delay = self.plan.next_delay(status, now)
        if self.deadline is not None:
            delay = min(delay, self.deadline - now)
        return max(float(delay), 0.0)


class OutOfTime(Exception):
    """Raised inside wait() when a status check cannot be retried (or finished) before the
    deadline; wait() turns it into WaitTimeout, chained to ``error``."""

    def __init__(self, error: AmpError) -> None:
        super().__init__(str(error))
        self.error = error


# A status check inside wait() may take the time left, but at least this long: a request needs
# some time to succeed at all (wait(timeout=0) still checks once).
MIN_REQUEST_TIMEOUT = 1.0


def _capped(timeout: httpx.Timeout, seconds: float) -> httpx.Timeout:
    """``timeout`` with no phase longer than ``seconds`` (a phase without a limit gets it)."""

    def cap(value: float | None) -> float:
        return seconds if value is None else min(value, seconds)

    return httpx.Timeout(
        connect=cap(timeout.connect), read=cap(timeout.read), write=cap(timeout.write), pool=cap(timeout.pool)
    )


class _Clock:
    """Time as the clients see it; tests swap in a fake one (never the global time module)."""

    __slots__ = ()

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    async def async_sleep(self, seconds: float) -> None:
        import asyncio  # only async clients sleep here; the sync client's import skips asyncio

        await asyncio.sleep(seconds)


SYSTEM_CLOCK = _Clock()


class _Base:
    """Configuration, request preparation, retry decisions and response handling."""

    _config: ClientConfig
    _http: httpx.Client | httpx.AsyncClient

    def __init__(self, config: ClientConfig, *, owns_http: bool) -> None:
        self._config = config
        self._owns_http = owns_http
        self._clock: _Clock = SYSTEM_CLOCK
        self._batches: set[Any] = set()  # run_many batches under way: closing the client stops them
        # Our own httpx client carries the headers and timeout; a caller's client gets them per
        # request (their other settings — proxies, TLS, transport, limits — stay theirs).
        self._extra_headers: dict[str, str] | None = None if owns_http else config.headers
        self._extra_timeout: httpx.Timeout | None = (
            config.timeout if not owns_http and config.timeout_given else None
        )
        # No answer yet from this deployment: its first request may wait longer (an idle
        # deployment is slow to wake). Set once any response arrives.
        self._warm = False
        self._runs = RunMemory()
        url = httpx.URL(config.base_url)
        self._server = (url.host, url.port or (443 if url.scheme == "https" else 80))  # for spans

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._config.base_url!r})"

    @property
    def base_url(self) -> str:
        """The crew's URL, without a trailing slash (never with credentials)."""
        return self._config.base_url

    @property
    def max_retries(self) -> int:
        """How many times each call may be retried (0: never)."""
        return self._config.max_retries

    @property
    def max_concurrency(self) -> int:
        """The most requests this client has in flight at once."""
        return self._config.max_concurrency

    @property
    def max_response_bytes(self) -> int:
        """The most bytes of body read from one response, on the wire and decoded."""
        return self._config.max_response_bytes

    @property
    def timeout(self) -> httpx.Timeout:
        """The timeout of each request."""
        return self._config.timeout

    @property
    def first_request_timeout(self) -> float | None:
        """The least read timeout until the deployment first answers (None: off)."""
        return self._config.first_request_timeout

    @property
    def not_found_grace(self) -> float:
        """Seconds ``wait()`` and ``run()`` poll through NOT FOUND after a kickoff."""
        return self._config.not_found_grace

    def _secrets(self, call: Call[Any]) -> tuple[str, ...]:
        return (self._config.token, *call.secrets)

    def _prepare(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """The generated kwargs (a fresh dict per call) made absolute, with our headers and
        timeout when the httpx client is the caller's."""
        kwargs["url"] = self._config.base_url + kwargs["url"]
        if self._extra_headers is not None:
            kwargs["headers"] = {**self._extra_headers, **kwargs.get("headers", {})}
        if self._extra_timeout is not None:
            kwargs["timeout"] = self._extra_timeout
        return kwargs

    def _attempt(self, call: Call[Any], args: dict[str, Any], retries: int) -> Attempt:
        """The report of one attempt (``retries`` before it): a log record and a span."""
        return Attempt(
            call,
            args,
            retries + 1,
            base_url=self._config.base_url,
            server=self._server,
            max_retries=self._config.max_retries,
        )

    def _span(
        self,
        operation: str,
        kickoff_id: str | None = None,
        *,
        index: int | None = None,
        parent: object = None,
    ) -> _tracing.AnySpan:
        """The span of a ``wait()``, a ``run()`` or one run of ``run_many`` (``crewai_amp.<operation>``)."""

        def attributes() -> dict[str, str | int]:
            found: dict[str, str | int] = {_tracing.OPERATION: operation}
            if kickoff_id is not None:
                found[_tracing.KICKOFF_ID] = kickoff_id
            if index is not None:
                found[_tracing.INDEX] = index
            return found

        name = "crewai_amp.run" if operation == "run_many" else f"crewai_amp.{operation}"
        return _tracing.span(name, attributes, parent=parent)

    def _slot_timeout(self, call: Call[Any], deadline: float | None) -> float | None:
        """How long a request inside wait() may wait for a free slot: the time left."""
        return None if deadline is None else deadline - self._clock.monotonic()

    def _no_slot(self, call: Call[Any], deadline: float | None) -> OutOfTime:
        return OutOfTime(
            APITimeoutError(f"{call.kwargs['method'].upper()}: no free request slot before the deadline")
        )

    def _bounded(self, args: dict[str, Any], deadline: float | None) -> dict[str, Any]:
        """The request arguments for one attempt: until this deployment first answers, a read
        timeout of at least ``first_request_timeout`` (when the timeout is the SDK's to set);
        within wait(), no longer than the time left."""
        first = self._config.first_request_timeout
        # A caller's own httpx client keeps its own timeout unless a timeout was given to us.
        ours = self._owns_http or self._extra_timeout is not None
        if not self._warm and first is not None and ours:
            timeout = args.get("timeout") or self._http.timeout
            if timeout.read is not None and timeout.read < first:
                args = {
                    **args,
                    "timeout": httpx.Timeout(
                        connect=timeout.connect, read=first, write=timeout.write, pool=timeout.pool
                    ),
                }
        if deadline is None:
            return args
        left = max(deadline - self._clock.monotonic(), MIN_REQUEST_TIMEOUT)
        return {**args, "timeout": _capped(args.get("timeout") or self._http.timeout, left)}

    def _waiting(self, kickoff_id: str, timeout: float | None, not_found_grace: float | None) -> _Wait:
        """The decisions of a wait() for this run: its NOT FOUND grace counts from this
        client's kickoff of it, when remembered."""
        check_wait_timeout(timeout, not_found_grace)
        return _Wait(
            kickoff_id,
            timeout,
            self._clock.monotonic(),
            (self._config.token,),
            not_found_grace=self._config.not_found_grace if not_found_grace is None else not_found_grace,
            since=self._runs.kicked_at(kickoff_id),
        )

    def _kicked(self, kicked: KickoffResponse, options: Mapping[str, Any]) -> KickoffResponse:
        self._runs.kicked(kicked.kickoff_id, self._clock.monotonic(), options)
        return kicked

    def _resume_urls(self, execution_id: str, given: Mapping[str, Any]) -> dict[str, Any]:
        return self._runs.resume_urls(execution_id, given)

    def _resumed(self, execution_id: str, urls: Mapping[str, Any], answer: ResumeResponse) -> ResumeResponse:
        new_id = answer.kickoff_id if isinstance(answer.kickoff_id, str) else None
        self._runs.resumed(execution_id, urls, self._clock.monotonic(), new_id)
        return answer

    def _in_time(self, delay: float, deadline: float | None, error: Callable[[], AmpError]) -> float:
        """``delay`` if a retry after it still starts before the deadline; else OutOfTime."""
        if deadline is not None and self._clock.monotonic() + delay >= deadline:
            raise OutOfTime(error())
        return delay

    def _body(self, response: httpx.Response) -> Body:
        """The reader of this response's body, within ``max_response_bytes``; a
        ResponseTooLarge at once when Content-Length says more."""
        return Body(response, self._config.max_response_bytes)

    def _after_error(self, at: Attempt, exc: httpx.HTTPError, deadline: float | None = None) -> float:
        """Seconds to wait before retrying after a transport error; raises when not retrying."""
        at.failed(exc)
        call, attempt = at.call, at.number - 1
        secrets = self._secrets(call)
        if attempt < self._config.max_retries and _retry.should_retry_exception(
            exc, idempotent=call.op.idempotent
        ):
            delay = self._in_time(_retry.backoff(attempt), deadline, lambda: transport_error(exc, secrets))
            at.retry(delay)
            return delay
        if deadline is not None and isinstance(exc, httpx.TimeoutException):
            self._in_time(0.0, deadline, lambda: transport_error(exc, secrets))  # our cap cut it short
        if call.correlation_id is not None and _retry.may_have_been_sent(exc):
            lost = lost_kickoff(exc, call.correlation_id, secrets)
            raise lost from lost.__cause__
        raise transport_error(exc, secrets) from exc

    def _too_large(self, at: Attempt, error: ResponseTooLarge) -> NoReturn:
        """Raises for an answer too large to read (see ``_unread``)."""
        self._warm = True
        at.found(error.status_code)
        self._unread(at.call, error)

    def _unread(self, call: Call[Any], error: ResponseTooLarge | ResponseValidationError) -> NoReturn:
        """Raises for an answer whose body could not be read: ``error``, but for a kickoff that
        AMP did not refuse (any status but 4xx) a KickoffMayHaveStarted chained to it, since a
        paid run may have started whose kickoff id nobody has."""
        status = error.status_code
        if call.correlation_id is None or (status is not None and refused(status)):
            raise error
        raise unread_kickoff(error, call.correlation_id) from error

    def _after_response(
        self, at: Attempt, response: httpx.Response, deadline: float | None = None
    ) -> float | None:
        """Seconds to wait before retrying this response, or None to keep it."""
        self._warm = True
        at.found(response.status_code)
        call, attempt = at.call, at.number - 1
        if attempt < self._config.max_retries and _retry.should_retry_status(
            response.status_code, idempotent=call.op.idempotent
        ):
            secrets = self._secrets(call)
            delay = self._in_time(
                _retry.delay_for(response, attempt), deadline, lambda: status_error(response, secrets)
            )
            at.retry(delay)
            return delay
        return None

    def _parse(self, call: Call[T], at: Attempt, response: httpx.Response) -> T:
        """The value of a kept response (or its typed error)."""
        parsed = self._parse_body(call, response, at.number - 1)
        at.kept(parsed)
        return parsed

    def _parse_body(self, call: Call[T], response: httpx.Response, attempt: int) -> T:
        if not response.is_success:
            run_id = call.op.run_id
            if response.status_code == 404 and run_id is not None:
                raise run_not_found_404(response, run_id, self._secrets(call))
            hint = STATUS_5XX_HINT if run_id is not None and response.status_code >= 500 else ""
            raise status_error(response, self._secrets(call), hint=hint)
        op: Operation[T] = call.op
        try:
            parsed = op.parse(_deepjson.loads(response.content))
        except PARSE_ERRORS as exc:
            invalid = validation_error(response, exc, self._secrets(call))
            invalid.__cause__ = exc
            self._unread(call, invalid)
        except UnknownRun as unknown:
            raise run_not_found(response, unknown, self._secrets(call)) from None
        record(response, attempt)
        return parsed
