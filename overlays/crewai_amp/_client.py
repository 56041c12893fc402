"""AmpClient and AsyncAmpClient: the generated operations, with typed errors, safe retries and
polling.

Requests are built by the generated operations (``_get_kwargs``, with bodies from the generated
request models' ``to_dict``) and responses loaded into the generated models (``from_dict``,
checked against their annotations), so a regenerated spec flows through.

Everything but I/O is shared: ``_Base`` builds requests, decides whether to retry and how long
to wait, turns responses into models or typed errors, and drives ``wait()`` through ``_Wait``.
``AmpClient`` and ``AsyncAmpClient`` only send, sleep and loop.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Generic, TypeVar

import httpx
from crewai_amp_api.api.inputs import list_inputs
from crewai_amp_api.api.kickoff import kickoff_crew
from crewai_amp_api.api.resume import resume_kickoff
from crewai_amp_api.api.status import get_kickoff_status
from crewai_amp_api.models import (
    InputsResponse,
    KickoffRequest,
    KickoffRequestInputs,
    KickoffRequestMeta,
    ObservedInputsResponse,
    ResumeRequest,
)
from crewai_amp_api.types import UNSET

from . import _retry
from ._config import DEFAULT_MAX_RETRIES, ClientConfig, resolve
from ._models import ModelError, load
from ._polling import PollPlan
from ._status import (
    KickoffResponse,
    ResumeResponse,
    Status,
    StatusCompleted,
    StatusError,
    UnknownRun,
    parse_status,
    status_value,
)
from .errors import (
    AmpError,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    ConfigurationError,
    ExecutionError,
    ResponseValidationError,
    RunNotFoundError,
    WaitTimeout,
    status_error_class,
)

__all__ = ["AmpClient", "AsyncAmpClient", "RawResponse"]

logger = logging.getLogger("crewai_amp")

T = TypeVar("T")
_SyncC = TypeVar("_SyncC", bound="AmpClient")
_AsyncC = TypeVar("_AsyncC", bound="AsyncAmpClient")
StatusCallback = Callable[[Status], object]

# Everything a generated from_dict or json.loads raises on data it cannot read
# (json.JSONDecodeError, UnicodeDecodeError and ModelError are ValueErrors).
_PARSE_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError)


# --- operations ----------------------------------------------------------------------------


def _parse_inputs(data: object) -> list[str]:
    """The input names, from the spec's list or the observed name -> type map."""
    if isinstance(data, dict) and isinstance(data.get("inputs"), dict):
        return list(load(ObservedInputsResponse, data).inputs.additional_properties)
    inputs: list[str] = load(InputsResponse, data).inputs
    return inputs


def _parse_kickoff(data: object) -> KickoffResponse:
    kicked = load(KickoffResponse, data)
    if not kicked.kickoff_id:
        raise ModelError("kickoff_id: expected a non-empty string")
    return kicked


def _parse_resume(data: object) -> ResumeResponse:
    return load(ResumeResponse, data)


@dataclass(frozen=True, slots=True)
class _Operation(Generic[T]):
    """One API operation as the client sends it: whether it is safe to repeat, and how its
    success body becomes a value."""

    idempotent: bool
    parse: Callable[[object], T]


_INPUTS = _Operation(idempotent=True, parse=_parse_inputs)
_KICKOFF = _Operation(idempotent=False, parse=_parse_kickoff)


def _status_op(kickoff_id: str) -> _Operation[Status]:
    return _Operation(idempotent=True, parse=lambda data: parse_status(data, kickoff_id))


_RESUME = _Operation(idempotent=False, parse=_parse_resume)


def _or_unset(value: Any) -> Any:
    return UNSET if value is None else value


def _inputs_kwargs() -> dict[str, Any]:
    return list_inputs._get_kwargs()


def _status_kwargs(kickoff_id: str) -> dict[str, Any]:
    if not isinstance(kickoff_id, str) or not kickoff_id:
        raise ValueError(f"kickoff_id must be a non-empty string, got {kickoff_id!r}")
    return get_kickoff_status._get_kwargs(kickoff_id)


def _kickoff_kwargs(
    inputs: Mapping[str, Any],
    meta: Mapping[str, Any] | None,
    task_webhook_url: str | None,
    step_webhook_url: str | None,
    crew_webhook_url: str | None,
) -> dict[str, Any]:
    if not isinstance(inputs, Mapping):
        raise TypeError(f"inputs must be a mapping of input name to value, got {type(inputs).__name__}")
    if meta is not None and not isinstance(meta, Mapping):
        raise TypeError(f"meta must be a mapping, got {type(meta).__name__}")
    body = KickoffRequest(
        inputs=KickoffRequestInputs.from_dict(inputs),
        meta=KickoffRequestMeta.from_dict(meta) if meta is not None else UNSET,
        task_webhook_url=_or_unset(task_webhook_url),
        step_webhook_url=_or_unset(step_webhook_url),
        crew_webhook_url=_or_unset(crew_webhook_url),
    )
    return kickoff_crew._get_kwargs(body=body)


def _resume_kwargs(
    execution_id: str,
    task_id: str,
    human_feedback: str,
    is_approve: bool,
    task_webhook_url: str | None,
    step_webhook_url: str | None,
    crew_webhook_url: str | None,
) -> dict[str, Any]:
    if not isinstance(is_approve, bool):
        raise TypeError(f"is_approve must be True (approve) or False (retry), got {is_approve!r}")
    body = ResumeRequest(
        execution_id=execution_id,
        task_id=task_id,
        human_feedback=human_feedback,
        is_approve=is_approve,
        task_webhook_url=_or_unset(task_webhook_url),
        step_webhook_url=_or_unset(step_webhook_url),
        crew_webhook_url=_or_unset(crew_webhook_url),
    )
    return resume_kickoff._get_kwargs(body=body)


# --- responses -----------------------------------------------------------------------------


def _sent_path(request: httpx.Request) -> str:
    """The path as sent, escapes included: an id "a/../x" went out as a%2F..%2Fx, and a message
    showing the decoded form would misreport the request."""
    return request.url.raw_path.decode("ascii", "replace").partition("?")[0]


def _request_line(response: httpx.Response) -> str:
    try:
        request = response.request
    except RuntimeError:  # a response built by hand carries no request
        return ""
    return f"{request.method} {_sent_path(request)} "


def _status_error(response: httpx.Response) -> APIStatusError:
    try:
        body: object = response.json()
    except _PARSE_ERRORS:
        body = response.text
    detail = body.get("error") if isinstance(body, dict) else None
    message = f"{_request_line(response)}answered {response.status_code} {response.reason_phrase}".rstrip()
    if isinstance(detail, str) and detail:
        message += f": {detail}"
    return status_error_class(response.status_code)(message, response=response, body=body)


def _validation_error(response: httpx.Response, exc: BaseException) -> ResponseValidationError:
    if isinstance(exc, (json.JSONDecodeError, UnicodeDecodeError)):
        problem = "the body is not JSON"
    elif isinstance(exc, ModelError):
        problem = str(exc)
    else:  # what a generated from_dict raised
        problem = f"{type(exc).__name__}: {exc}"
    return ResponseValidationError(
        f"{_request_line(response)}answered {response.status_code} with a body that does not match "
        f"the spec: {problem}",
        raw=response.text,
        status_code=response.status_code,
        response=response,
    )


def _transport_error(exc: httpx.HTTPError) -> APIConnectionError:
    try:
        request: httpx.Request | None = exc.request
    except RuntimeError:  # httpx raises when the exception carries no request
        request = None
    kind = APITimeoutError if isinstance(exc, httpx.TimeoutException) else APIConnectionError
    where = f"{request.method} {_sent_path(request)}: " if request is not None else ""
    return kind(
        f"{where}{type(exc).__name__}: {exc}" if str(exc) else f"{where}{type(exc).__name__}", request=request
    )


@dataclass(frozen=True, slots=True)
class RawResponse(Generic[T]):
    """What ``client.with_raw_response.<method>(...)`` returns: the parsed value and the
    ``httpx.Response`` it came from (headers, timing, the exact bytes)."""

    parsed: T
    http_response: httpx.Response
    retries: int  # how many times the request was retried before this response

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def headers(self) -> httpx.Headers:
        return self.http_response.headers

    @property
    def request_id(self) -> str | None:
        value: str | None = self.http_response.headers.get("x-request-id")
        return value


# --- waiting -------------------------------------------------------------------------------


def _check_wait_timeout(timeout: object) -> None:
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout >= 0
    ):
        raise ConfigurationError(f"timeout must be a non-negative number of seconds or None, got {timeout!r}")


class _Wait:
    """The decisions of one ``wait()``: done, failed, timed out, or how long to sleep."""

    __slots__ = ("deadline", "kickoff_id", "plan", "timeout")

    def __init__(self, kickoff_id: str, timeout: float | None, now: float) -> None:
        _check_wait_timeout(timeout)
        self.kickoff_id = kickoff_id
        self.timeout = timeout
        self.deadline = None if timeout is None else now + timeout
        self.plan = PollPlan(started=now)

    def expired(self, last_status: Status | None, cause: AmpError) -> WaitTimeout:
        """The WaitTimeout for a status check the deadline cut short (its retries, or a request
        bounded by the time left)."""
        return WaitTimeout(
            f"crew run {self.kickoff_id}: no status within {self.timeout:g} s ({cause})",
            kickoff_id=self.kickoff_id,
            last_status=last_status,
        )

    def after(self, status: Status, now: float) -> StatusCompleted | float:
        """The final status, or the seconds to sleep before the next check. Raises
        ExecutionError if the crew failed, WaitTimeout once the deadline has passed."""
        if isinstance(status, StatusCompleted):
            return status
        if isinstance(status, StatusError):
            message = status.error if isinstance(status.error, str) and status.error else "no error message"
            raise ExecutionError(
                f"crew run {self.kickoff_id} ended in error: {message}",
                kickoff_id=self.kickoff_id,
                status=status,
            )
        if self.deadline is not None and now >= self.deadline:
            raise WaitTimeout(
                f"crew run {self.kickoff_id} still {status_value(status)!r} after {self.timeout:g} s",
                kickoff_id=self.kickoff_id,
                last_status=status,
            )
        delay = self.plan.next_delay(status, now)
        if self.deadline is not None:
            delay = min(delay, self.deadline - now)
        return max(float(delay), 0.0)


class _OutOfTime(Exception):
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
        await asyncio.sleep(seconds)


_SYSTEM_CLOCK = _Clock()


# --- shared by both clients ----------------------------------------------------------------


class _Base:
    """Configuration, request preparation, retry decisions and response handling."""

    _config: ClientConfig
    _http: httpx.Client | httpx.AsyncClient

    def __init__(self, config: ClientConfig, *, owns_http: bool) -> None:
        self._config = config
        self._owns_http = owns_http
        self._clock: _Clock = _SYSTEM_CLOCK
        # Our own httpx client carries the headers and timeout; a caller's client gets them per
        # request (their other settings — proxies, TLS, transport, limits — stay theirs).
        self._extra_headers: dict[str, str] | None = None if owns_http else config.headers
        self._extra_timeout: httpx.Timeout | None = (
            config.timeout if not owns_http and config.timeout_given else None
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._config.base_url!r})"

    @property
    def base_url(self) -> str:
        return self._config.base_url

    @property
    def max_retries(self) -> int:
        return self._config.max_retries

    @property
    def timeout(self) -> httpx.Timeout:
        return self._config.timeout

    def _prepare(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """The generated kwargs (a fresh dict per call) made absolute, with our headers and
        timeout when the httpx client is the caller's."""
        kwargs["url"] = self._config.base_url + kwargs["url"]
        if self._extra_headers is not None:
            kwargs["headers"] = {**self._extra_headers, **kwargs.get("headers", {})}
        if self._extra_timeout is not None:
            kwargs["timeout"] = self._extra_timeout
        return kwargs

    def _log(self, args: dict[str, Any], outcome: object, started: float, attempt: int) -> None:
        logger.debug(
            "%s %s -> %s in %.1f ms (retry %d)",
            args["method"].upper(),
            args["url"][len(self._config.base_url) :],
            outcome,
            (time.perf_counter() - started) * 1000,
            attempt,
        )

    def _log_retry(self, args: dict[str, Any], reason: object, delay: float, attempt: int) -> None:
        logger.debug(
            "retrying %s %s in %.2f s after %s (retry %d of %d)",
            args["method"].upper(),
            args["url"][len(self._config.base_url) :],
            delay,
            reason,
            attempt + 1,
            self._config.max_retries,
        )

    def _bounded(self, args: dict[str, Any], deadline: float | None) -> dict[str, Any]:
        """The request arguments for one attempt: within wait(), no longer than the time left."""
        if deadline is None:
            return args
        left = max(deadline - self._clock.monotonic(), MIN_REQUEST_TIMEOUT)
        return {**args, "timeout": _capped(args.get("timeout") or self._http.timeout, left)}

    def _in_time(self, delay: float, deadline: float | None, error: Callable[[], AmpError]) -> float:
        """``delay`` if a retry after it still starts before the deadline; else _OutOfTime."""
        if deadline is not None and self._clock.monotonic() + delay >= deadline:
            raise _OutOfTime(error())
        return delay

    def _after_error(
        self,
        op: _Operation[Any],
        args: dict[str, Any],
        exc: httpx.HTTPError,
        started: float,
        attempt: int,
        deadline: float | None = None,
    ) -> float:
        """Seconds to wait before retrying after a transport error; raises when not retrying."""
        debug = logger.isEnabledFor(logging.DEBUG)
        if debug:
            self._log(args, type(exc).__name__, started, attempt)
        if attempt < self._config.max_retries and _retry.should_retry_exception(
            exc, idempotent=op.idempotent
        ):
            delay = self._in_time(_retry.backoff(attempt), deadline, lambda: _transport_error(exc))
            if debug:
                self._log_retry(args, type(exc).__name__, delay, attempt)
            return delay
        if deadline is not None and isinstance(exc, httpx.TimeoutException):
            self._in_time(0.0, deadline, lambda: _transport_error(exc))  # our cap cut it short
        raise _transport_error(exc) from exc

    def _after_response(
        self,
        op: _Operation[Any],
        args: dict[str, Any],
        response: httpx.Response,
        started: float,
        attempt: int,
        deadline: float | None = None,
    ) -> float | None:
        """Seconds to wait before retrying this response, or None to keep it."""
        debug = logger.isEnabledFor(logging.DEBUG)
        if debug:
            self._log(args, response.status_code, started, attempt)
        if attempt < self._config.max_retries and _retry.should_retry_status(
            response.status_code, idempotent=op.idempotent
        ):
            delay = self._in_time(
                _retry.delay_for(response, attempt), deadline, lambda: _status_error(response)
            )
            if debug:
                self._log_retry(args, response.status_code, delay, attempt)
            return delay
        return None

    @staticmethod
    def _parse(op: _Operation[T], response: httpx.Response) -> T:
        if not response.is_success:
            raise _status_error(response)
        try:
            return op.parse(response.json())
        except _PARSE_ERRORS as exc:
            raise _validation_error(response, exc) from exc
        except UnknownRun as unknown:
            raise RunNotFoundError(
                f"{_request_line(response)}answered {response.status_code}: {unknown}",
                response=response,
                body=unknown.body,
                kickoff_id=unknown.kickoff_id,
            ) from None


# --- the synchronous client ----------------------------------------------------------------


class AmpClient(_Base):
    """A client for one AMP crew.

    >>> client = AmpClient(crew="my-crew", token="...")   # or env CREWAI_AMP_BASE_URL / _TOKEN
    >>> result = client.run({"topic": "AI"})

    ``timeout`` (default: connect 5 s, read 30 s; a number sets all) bounds each request;
    ``max_retries`` (default 2) bounds the retries of each call. ``http_client`` brings your own
    ``httpx.Client`` (proxies, mTLS, transports): the SDK adds its headers to each request and
    never closes it.
    """

    _http: httpx.Client

    def __init__(
        self,
        base_url: str | None = None,
        *,
        token: str | None = None,
        crew: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.Client | None = None,
    ) -> None:
        if http_client is not None and not isinstance(http_client, httpx.Client):
            raise ConfigurationError(
                "http_client must be an httpx.Client (use AsyncAmpClient for httpx.AsyncClient)"
            )
        config = resolve(base_url=base_url, crew=crew, token=token, timeout=timeout, max_retries=max_retries)
        super().__init__(config, owns_http=http_client is None)
        self._http = (
            http_client
            if http_client is not None
            else httpx.Client(headers=config.headers, timeout=config.timeout)
        )
        self.with_raw_response = _RawAmpClient(self)

    def _request(
        self, op: _Operation[T], kwargs: dict[str, Any], deadline: float | None = None
    ) -> tuple[T, httpx.Response, int]:
        """Send with retries. ``deadline`` (wait()'s, on the client's clock) bounds each attempt
        and every retry; past it, _OutOfTime."""
        args = self._prepare(kwargs)
        attempt = 0
        while True:
            started = time.perf_counter()
            try:
                response = self._http.request(**self._bounded(args, deadline))
            except httpx.HTTPError as exc:
                delay = self._after_error(op, args, exc, started, attempt, deadline)
            else:
                retry_in = self._after_response(op, args, response, started, attempt, deadline)
                if retry_in is None:
                    return self._parse(op, response), response, attempt
                delay = retry_in
            self._clock.sleep(delay)
            attempt += 1

    def inputs(self) -> list[str]:
        """The names of the inputs this crew expects at kickoff."""
        return self._request(_INPUTS, _inputs_kwargs())[0]

    def kickoff(
        self,
        inputs: Mapping[str, Any],
        *,
        meta: Mapping[str, Any] | None = None,
        task_webhook_url: str | None = None,
        step_webhook_url: str | None = None,
        crew_webhook_url: str | None = None,
    ) -> KickoffResponse:
        """Start a crew run; returns its ``kickoff_id``. Never retried once the request may have
        reached AMP (a second kickoff is a second, paid run)."""
        kwargs = _kickoff_kwargs(inputs, meta, task_webhook_url, step_webhook_url, crew_webhook_url)
        return self._request(_KICKOFF, kwargs)[0]

    def status(self, kickoff_id: str) -> Status:
        """The run's current status: StatusRunning, StatusCompleted, StatusError, or
        StatusPendingHumanInput (paused for a human review), or StatusUnknown for a state this SDK
        does not know. Either dialect gives these types (see raw_body() for the body as sent);
        the observed ``NOT FOUND`` state raises RunNotFoundError."""
        return self._request(_status_op(kickoff_id), _status_kwargs(kickoff_id))[0]

    def wait(
        self, kickoff_id: str, *, timeout: float | None = 600, on_status: StatusCallback | None = None
    ) -> StatusCompleted:
        """Poll until the run completes and return its final status.

        Checks after ~0.5 s, then backs off with jitter up to 10 s, aiming at the predicted
        finish once the crew reports progress. ``on_status`` sees every status. Raises
        ExecutionError if the run ends in error, WaitTimeout after ``timeout`` seconds (None:
        no limit) — the status checks and their retries included, each given only the time left
        (at least 1 s). A run paused for human input (StatusPendingHumanInput) and statuses
        the SDK does not know keep it waiting, and ``on_status`` sees them. RunNotFoundError
        (the observed ``NOT FOUND`` state) is raised at once.
        """
        clock = self._clock
        waiting = _Wait(kickoff_id, timeout, clock.monotonic())
        kwargs = _status_kwargs(kickoff_id)
        op = _status_op(kickoff_id)
        status: Status | None = None
        while True:
            try:
                status = self._request(op, dict(kwargs), waiting.deadline)[0]
            except _OutOfTime as out:
                raise waiting.expired(status, out.error) from out.error
            if on_status is not None:
                on_status(status)
            outcome = waiting.after(status, clock.monotonic())
            if isinstance(outcome, StatusCompleted):
                return outcome
            clock.sleep(outcome)

    def run(
        self,
        inputs: Mapping[str, Any],
        *,
        timeout: float | None = 600,
        on_status: StatusCallback | None = None,
        meta: Mapping[str, Any] | None = None,
        task_webhook_url: str | None = None,
        step_webhook_url: str | None = None,
        crew_webhook_url: str | None = None,
    ) -> StatusCompleted:
        """``kickoff()`` then ``wait()``."""
        _check_wait_timeout(timeout)  # before the kickoff: a bad argument must not start a paid run
        kicked = self.kickoff(
            inputs,
            meta=meta,
            task_webhook_url=task_webhook_url,
            step_webhook_url=step_webhook_url,
            crew_webhook_url=crew_webhook_url,
        )
        return self.wait(kicked.kickoff_id, timeout=timeout, on_status=on_status)

    def resume(
        self,
        execution_id: str,
        task_id: str,
        human_feedback: str,
        is_approve: bool,
        *,
        task_webhook_url: str | None = None,
        step_webhook_url: str | None = None,
        crew_webhook_url: str | None = None,
    ) -> ResumeResponse:
        """Answer a human review of task ``task_id`` in run ``execution_id`` (the kickoff id):
        ``is_approve=True`` lets the crew go on, False has the task redone with the feedback.
        Never retried once the request may have reached AMP."""
        kwargs = _resume_kwargs(
            execution_id,
            task_id,
            human_feedback,
            is_approve,
            task_webhook_url,
            step_webhook_url,
            crew_webhook_url,
        )
        return self._request(_RESUME, kwargs)[0]

    def close(self) -> None:
        """Close the connections, unless the httpx client was passed in (its owner closes it)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self: _SyncC) -> _SyncC:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class _RawAmpClient:
    """``client.with_raw_response``: the same calls, returning RawResponse."""

    __slots__ = ("_client",)

    def __init__(self, client: AmpClient) -> None:
        self._client = client

    def _call(self, op: _Operation[T], kwargs: dict[str, Any]) -> RawResponse[T]:
        parsed, response, retries = self._client._request(op, kwargs)
        return RawResponse(parsed, response, retries)

    def inputs(self) -> RawResponse[list[str]]:
        return self._call(_INPUTS, _inputs_kwargs())

    def kickoff(
        self,
        inputs: Mapping[str, Any],
        *,
        meta: Mapping[str, Any] | None = None,
        task_webhook_url: str | None = None,
        step_webhook_url: str | None = None,
        crew_webhook_url: str | None = None,
    ) -> RawResponse[KickoffResponse]:
        return self._call(
            _KICKOFF, _kickoff_kwargs(inputs, meta, task_webhook_url, step_webhook_url, crew_webhook_url)
        )

    def status(self, kickoff_id: str) -> RawResponse[Status]:
        return self._call(_status_op(kickoff_id), _status_kwargs(kickoff_id))

    def resume(
        self,
        execution_id: str,
        task_id: str,
        human_feedback: str,
        is_approve: bool,
        *,
        task_webhook_url: str | None = None,
        step_webhook_url: str | None = None,
        crew_webhook_url: str | None = None,
    ) -> RawResponse[ResumeResponse]:
        kwargs = _resume_kwargs(
            execution_id,
            task_id,
            human_feedback,
            is_approve,
            task_webhook_url,
            step_webhook_url,
            crew_webhook_url,
        )
        return self._call(_RESUME, kwargs)


# --- the asynchronous client ---------------------------------------------------------------


class AsyncAmpClient(_Base):
    """The asynchronous twin of AmpClient: the same methods, awaitable; ``http_client`` is an
    ``httpx.AsyncClient``. Cancelling a call cancels it cleanly: nothing keeps running."""

    _http: httpx.AsyncClient

    def __init__(
        self,
        base_url: str | None = None,
        *,
        token: str | None = None,
        crew: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        if http_client is not None and not isinstance(http_client, httpx.AsyncClient):
            raise ConfigurationError(
                "http_client must be an httpx.AsyncClient (use AmpClient for httpx.Client)"
            )
        config = resolve(base_url=base_url, crew=crew, token=token, timeout=timeout, max_retries=max_retries)
        super().__init__(config, owns_http=http_client is None)
        self._http = (
            http_client
            if http_client is not None
            else httpx.AsyncClient(headers=config.headers, timeout=config.timeout)
        )
        self.with_raw_response = _AsyncRawAmpClient(self)

    async def _request(
        self, op: _Operation[T], kwargs: dict[str, Any], deadline: float | None = None
    ) -> tuple[T, httpx.Response, int]:
        """Send with retries. ``deadline`` (wait()'s, on the client's clock) bounds each attempt
        and every retry; past it, _OutOfTime."""
        args = self._prepare(kwargs)
        attempt = 0
        while True:
            started = time.perf_counter()
            try:
                response = await self._http.request(**self._bounded(args, deadline))
            except httpx.HTTPError as exc:
                delay = self._after_error(op, args, exc, started, attempt, deadline)
            else:
                retry_in = self._after_response(op, args, response, started, attempt, deadline)
                if retry_in is None:
                    return self._parse(op, response), response, attempt
                delay = retry_in
            await self._clock.async_sleep(delay)
            attempt += 1

    async def inputs(self) -> list[str]:
        """The names of the inputs this crew expects at kickoff."""
        return (await self._request(_INPUTS, _inputs_kwargs()))[0]

    async def kickoff(
        self,
        inputs: Mapping[str, Any],
        *,
        meta: Mapping[str, Any] | None = None,
        task_webhook_url: str | None = None,
        step_webhook_url: str | None = None,
        crew_webhook_url: str | None = None,
    ) -> KickoffResponse:
        """Start a crew run; returns its ``kickoff_id``. Never retried once the request may have
        reached AMP (a second kickoff is a second, paid run)."""
        kwargs = _kickoff_kwargs(inputs, meta, task_webhook_url, step_webhook_url, crew_webhook_url)
        return (await self._request(_KICKOFF, kwargs))[0]

    async def status(self, kickoff_id: str) -> Status:
        """The run's current status: StatusRunning, StatusCompleted, StatusError, or
        StatusPendingHumanInput (paused for a human review), or StatusUnknown for a state this SDK
        does not know. Either dialect gives these types (see raw_body() for the body as sent);
        the observed ``NOT FOUND`` state raises RunNotFoundError."""
        return (await self._request(_status_op(kickoff_id), _status_kwargs(kickoff_id)))[0]

    async def wait(
        self, kickoff_id: str, *, timeout: float | None = 600, on_status: StatusCallback | None = None
    ) -> StatusCompleted:
        """Poll until the run completes; see AmpClient.wait. ``on_status`` may be a plain or an
        async function."""
        clock = self._clock
        waiting = _Wait(kickoff_id, timeout, clock.monotonic())
        kwargs = _status_kwargs(kickoff_id)
        op = _status_op(kickoff_id)
        status: Status | None = None
        while True:
            try:
                status = (await self._request(op, dict(kwargs), waiting.deadline))[0]
            except _OutOfTime as out:
                raise waiting.expired(status, out.error) from out.error
            if on_status is not None:
                result = on_status(status)
                if inspect.isawaitable(result):
                    await result
            outcome = waiting.after(status, clock.monotonic())
            if isinstance(outcome, StatusCompleted):
                return outcome
            await clock.async_sleep(outcome)

    async def run(
        self,
        inputs: Mapping[str, Any],
        *,
        timeout: float | None = 600,
        on_status: StatusCallback | None = None,
        meta: Mapping[str, Any] | None = None,
        task_webhook_url: str | None = None,
        step_webhook_url: str | None = None,
        crew_webhook_url: str | None = None,
    ) -> StatusCompleted:
        """``kickoff()`` then ``wait()``."""
        _check_wait_timeout(timeout)  # before the kickoff: a bad argument must not start a paid run
        kicked = await self.kickoff(
            inputs,
            meta=meta,
            task_webhook_url=task_webhook_url,
            step_webhook_url=step_webhook_url,
            crew_webhook_url=crew_webhook_url,
        )
        return await self.wait(kicked.kickoff_id, timeout=timeout, on_status=on_status)

    async def resume(
        self,
        execution_id: str,
        task_id: str,
        human_feedback: str,
        is_approve: bool,
        *,
        task_webhook_url: str | None = None,
        step_webhook_url: str | None = None,
        crew_webhook_url: str | None = None,
    ) -> ResumeResponse:
        """Answer a human review; see AmpClient.resume. Never retried once the request may have
        reached AMP."""
        kwargs = _resume_kwargs(
            execution_id,
            task_id,
            human_feedback,
            is_approve,
            task_webhook_url,
            step_webhook_url,
            crew_webhook_url,
        )
        return (await self._request(_RESUME, kwargs))[0]

    async def close(self) -> None:
        """Close the connections, unless the httpx client was passed in (its owner closes it)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self: _AsyncC) -> _AsyncC:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


class _AsyncRawAmpClient:
    """``client.with_raw_response``: the same calls, returning RawResponse."""

    __slots__ = ("_client",)

    def __init__(self, client: AsyncAmpClient) -> None:
        self._client = client

    async def _call(self, op: _Operation[T], kwargs: dict[str, Any]) -> RawResponse[T]:
        parsed, response, retries = await self._client._request(op, kwargs)
        return RawResponse(parsed, response, retries)

    async def inputs(self) -> RawResponse[list[str]]:
        return await self._call(_INPUTS, _inputs_kwargs())

    async def kickoff(
        self,
        inputs: Mapping[str, Any],
        *,
        meta: Mapping[str, Any] | None = None,
        task_webhook_url: str | None = None,
        step_webhook_url: str | None = None,
        crew_webhook_url: str | None = None,
    ) -> RawResponse[KickoffResponse]:
        return await self._call(
            _KICKOFF, _kickoff_kwargs(inputs, meta, task_webhook_url, step_webhook_url, crew_webhook_url)
        )

    async def status(self, kickoff_id: str) -> RawResponse[Status]:
        return await self._call(_status_op(kickoff_id), _status_kwargs(kickoff_id))

    async def resume(
        self,
        execution_id: str,
        task_id: str,
        human_feedback: str,
        is_approve: bool,
        *,
        task_webhook_url: str | None = None,
        step_webhook_url: str | None = None,
        crew_webhook_url: str | None = None,
    ) -> RawResponse[ResumeResponse]:
        kwargs = _resume_kwargs(
            execution_id,
            task_id,
            human_feedback,
            is_approve,
            task_webhook_url,
            step_webhook_url,
            crew_webhook_url,
        )
        return await self._call(_RESUME, kwargs)
