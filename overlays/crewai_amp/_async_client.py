"""AsyncAmpClient: the asynchronous twin of AmpClient. Every decision lives in ``_base``; this
module sends, reads, sleeps and loops, on an event loop."""

from __future__ import annotations

import inspect
import os
from collections.abc import AsyncGenerator, Callable, Collection, Iterable, Mapping
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from ._base import OutOfTime, StatusCallback, _Base, check_wait_timeout
from ._config import (
    DEFAULT_FIRST_REQUEST_TIMEOUT,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MAX_RETRIES,
    DEFAULT_NOT_FOUND_GRACE,
    DEFAULT_RUN_CONCURRENCY,
    resolve,
)
from ._limiter import AsyncLimiter, LimiterTimeout
from ._operations import Call, inputs_call, kickoff_call, resume_call, status_call
from ._raw import AsyncRawClient
from ._tracing import KICKOFF_ID
from .errors import ConfigurationError, ResponseTooLarge, RunNotFoundError

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ._fanout import RunOutcome
    from ._operations import KickoffOptions, WebhookUrls
    from ._status import KickoffResponse, ResumeResponse, Status, StatusCompleted

__all__ = ["AsyncAmpClient"]

T = TypeVar("T")
_AsyncC = TypeVar("_AsyncC", bound="AsyncAmpClient")


class AsyncAmpClient(_Base):
    """The asynchronous twin of [AmpClient][crewai_amp.AmpClient]: the same methods, awaitable;
    ``http_client`` is an ``httpx.AsyncClient``. Cancelling a call cancels it cleanly: nothing
    keeps running.

    Any number of concurrent calls share ``max_concurrency`` request slots, first come first
    served, status checks of started runs before new kickoffs: a ``gather()`` of thousands
    of ``run()`` needs no semaphore of its own.

    ```python
    async with AsyncAmpClient(crew="my-crew", token="...") as client:
        result = await client.run({"topic": "AI"})
    ```
    """

    _http: httpx.AsyncClient

    def __init__(
        self,
        base_url: str | None = None,
        *,
        token: str | None = None,
        crew: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        first_request_timeout: float | None = DEFAULT_FIRST_REQUEST_TIMEOUT,
        not_found_grace: float = DEFAULT_NOT_FOUND_GRACE,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        if http_client is not None and not isinstance(http_client, httpx.AsyncClient):
            raise ConfigurationError(
                "http_client must be an httpx.AsyncClient (use AmpClient for httpx.Client)"
            )
        config = resolve(
            base_url=base_url,
            crew=crew,
            token=token,
            timeout=timeout,
            max_retries=max_retries,
            max_concurrency=max_concurrency,
            max_response_bytes=max_response_bytes,
            first_request_timeout=first_request_timeout,
            not_found_grace=not_found_grace,
        )
        super().__init__(config, owns_http=http_client is None)
        self._limiter = AsyncLimiter(config.max_concurrency)
        self._http = (
            http_client
            if http_client is not None
            else httpx.AsyncClient(headers=config.headers, timeout=config.timeout, limits=config.limits)
        )

    @cached_property
    def with_raw_response(self) -> AsyncRawClient:
        """The same calls, returning RawResponse (the parsed value and the httpx.Response)."""
        return AsyncRawClient(self)

    async def _send(self, call: Call[Any], args: dict[str, Any], deadline: float | None) -> httpx.Response:
        """One attempt, in a slot of the limiter: send, then read and decode at most
        max_response_bytes (see _body)."""
        try:
            await self._limiter.acquire(
                starts_run=call.op.starts_run, timeout=self._slot_timeout(call, deadline)
            )
        except LimiterTimeout:
            raise self._no_slot(call, deadline) from None
        try:
            if call.before_send is not None:
                call.before_send()
            response = await self._http.send(self._http.build_request(**args), stream=True)
            try:
                body = self._body(response)
                if response.is_stream_consumed:  # the transport read and decoded it (MockTransport)
                    body.add_decoded(response.content)
                else:
                    async for chunk in response.aiter_raw():
                        body.feed(chunk)
                    response._content = body.content()
            finally:
                await response.aclose()
        finally:
            self._limiter.release()
        return response

    async def _request(self, call: Call[T], deadline: float | None = None) -> T:
        """Send with retries. ``deadline`` (wait()'s, on the client's clock) bounds each attempt
        and every retry; past it, OutOfTime."""
        args = self._prepare(dict(call.kwargs))
        attempt = 0
        while True:
            with self._attempt(call, args, attempt) as at:
                try:
                    response = await self._send(call, self._bounded(args, deadline), deadline)
                except httpx.HTTPError as exc:
                    delay = self._after_error(at, exc, deadline)
                except ResponseTooLarge as exc:
                    self._too_large(at, exc)
                else:
                    retry_in = self._after_response(at, response, deadline)
                    if retry_in is None:
                        return self._parse(call, at, response)
                    delay = retry_in
            await self._clock.async_sleep(delay)
            attempt += 1

    async def inputs(self) -> list[str]:
        """The names of the inputs this crew expects at kickoff."""
        return await self._request(inputs_call())

    async def kickoff(self, inputs: Mapping[str, Any], **options: Unpack[KickoffOptions]) -> KickoffResponse:
        """Start a crew run; see [AmpClient.kickoff][crewai_amp.AmpClient.kickoff]. Never
        retried once the request may have reached AMP."""
        return self._kicked(await self._request(kickoff_call(inputs, options)), options)

    async def status(self, kickoff_id: str) -> Status:
        """The run's current status; see [AmpClient.status][crewai_amp.AmpClient.status]."""
        return await self._request(status_call(kickoff_id))

    async def wait(
        self,
        kickoff_id: str,
        *,
        timeout: float | None = 600,
        on_status: StatusCallback | None = None,
        not_found_grace: float | None = None,
    ) -> StatusCompleted:
        """Poll until the run completes; see [AmpClient.wait][crewai_amp.AmpClient.wait].
        ``on_status`` may be a plain or an async function."""
        clock = self._clock
        waiting = self._waiting(kickoff_id, timeout, not_found_grace)
        call = status_call(kickoff_id)
        status: Status | None = None
        with self._span("wait", kickoff_id) as span:
            while True:
                try:
                    status = await self._request(call, waiting.deadline)
                except OutOfTime as out:
                    raise waiting.expired(status, out.error) from out.error
                except RunNotFoundError as missing:
                    await clock.async_sleep(waiting.not_found(missing, clock.monotonic()))
                    continue
                if on_status is not None:
                    result = on_status(status)
                    if inspect.isawaitable(result):
                        await result
                outcome = waiting.after(status, clock.monotonic())
                if not isinstance(outcome, float):
                    span.outcome("completed")
                    return outcome
                await clock.async_sleep(outcome)

    async def run(
        self,
        inputs: Mapping[str, Any],
        *,
        timeout: float | None = 600,
        on_status: StatusCallback | None = None,
        not_found_grace: float | None = None,
        **options: Unpack[KickoffOptions],
    ) -> StatusCompleted:
        """``kickoff()`` then ``wait()``."""
        check_wait_timeout(
            timeout, not_found_grace
        )  # before the kickoff: a bad argument must not start a paid run
        with self._span("run") as span:
            kicked = await self.kickoff(inputs, **options)
            span.set(KICKOFF_ID, kicked.kickoff_id)
            result = await self.wait(
                kicked.kickoff_id, timeout=timeout, on_status=on_status, not_found_grace=not_found_grace
            )
            span.outcome("completed")
        return result

    def run_many(
        self,
        inputs_list: Iterable[Mapping[str, Any]],
        *,
        concurrency: int = DEFAULT_RUN_CONCURRENCY,
        timeout: float | None = 600,
        journal: str | os.PathLike[str] | None = None,
        on_kickoff: Callable[[int, str], object] | None = None,
        retry_unknown: bool | Collection[int] = False,
        **options: Unpack[KickoffOptions],
    ) -> AsyncGenerator[RunOutcome, None]:
        """``run()`` for each inputs, ``concurrency`` at a time, yielding a
        [RunOutcome][crewai_amp.RunOutcome] per run as it finishes (``async for outcome in
        client.run_many(...)``); a run's error is in its outcome, never raised. ``journal``,
        ``on_kickoff`` (a plain or an async function) and ``retry_unknown``: see
        [AmpClient.run_many][crewai_amp.AmpClient.run_many]. Leaving the loop early (``break``,
        ``aclose()``, cancellation) or closing the client kicks off nothing more and stops the
        waiting; kickoffs on their way still report their ids."""
        from ._fanout import run_many_async

        return run_many_async(
            self, inputs_list, concurrency, timeout, options, journal, on_kickoff, retry_unknown
        )

    async def resume(
        self,
        execution_id: str,
        task_id: str,
        human_feedback: str,
        is_approve: bool,
        **webhook_urls: Unpack[WebhookUrls],
    ) -> ResumeResponse:
        """Answer a human review; see [AmpClient.resume][crewai_amp.AmpClient.resume]. Never
        retried once the request may have reached AMP."""
        urls = self._resume_urls(execution_id, webhook_urls)
        answer = await self._request(resume_call(execution_id, task_id, human_feedback, is_approve, urls))
        return self._resumed(execution_id, urls, answer)

    async def close(self) -> None:
        """Stop the run_many batches under way (kickoffs on their way still report their ids:
        this waits for them, at most their request timeout), then close the connections,
        unless the httpx client was passed in (its owner closes it)."""
        for batch in list(self._batches):
            await batch.shutdown()
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self: _AsyncC) -> _AsyncC:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
