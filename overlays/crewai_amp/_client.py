"""AmpClient: the generated operations, with typed errors, safe retries, polling and a bounded
number of requests in flight. Every decision lives in ``_base``; this module sends, reads,
sleeps and loops."""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Generator, Iterable, Mapping
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from ._base import SYSTEM_CLOCK, OutOfTime, StatusCallback, _Base, _Clock, check_wait_timeout
from ._config import (
    DEFAULT_FIRST_REQUEST_TIMEOUT,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MAX_RETRIES,
    DEFAULT_NOT_FOUND_GRACE,
    DEFAULT_RUN_CONCURRENCY,
    resolve,
)
from ._limiter import LimiterTimeout, SyncLimiter
from ._operations import Call, inputs_call, kickoff_call, resume_call, status_call
from ._raw import RawClient
from ._responses import RawResponse
from ._tracing import KICKOFF_ID
from .errors import ConfigurationError, ResponseTooLarge, RunNotFoundError

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ._fanout import RunOutcome
    from ._operations import KickoffOptions, WebhookUrls
    from ._status import KickoffResponse, ResumeResponse, Status, StatusCompleted

__all__ = ["SYSTEM_CLOCK", "AmpClient", "RawResponse", "_Clock"]

T = TypeVar("T")
_SyncC = TypeVar("_SyncC", bound="AmpClient")


class AmpClient(_Base):
    """A client for one AMP crew.

    ```python
    client = AmpClient(crew="my-crew", token="...")  # or CREWAI_AMP_BASE_URL, _TOKEN
    result = client.run({"topic": "AI"})
    print(result.result.output)
    ```

    ``timeout`` (default: connect 5 s, read 30 s; a number sets all) bounds each request;
    ``max_retries`` (default 2) bounds the retries of each call; ``max_concurrency`` (default
    100) the requests in flight, shared by all threads; ``max_response_bytes`` (default 8 MiB)
    the body read from one response. ``first_request_timeout`` (default 180 s; None: off) is the
    least read timeout of requests until the deployment first answers, since an idle deployment
    is slow to wake. ``not_found_grace`` (default 30 s) is how long ``wait()`` and ``run()`` poll
    through NOT FOUND after a kickoff. ``http_client`` brings your own ``httpx.Client`` (proxies,
    mTLS, transports): the SDK adds its headers to each request and never closes it.
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
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        first_request_timeout: float | None = DEFAULT_FIRST_REQUEST_TIMEOUT,
        not_found_grace: float = DEFAULT_NOT_FOUND_GRACE,
        http_client: httpx.Client | None = None,
    ) -> None:
        if http_client is not None and not isinstance(http_client, httpx.Client):
            raise ConfigurationError(
                "http_client must be an httpx.Client (use AsyncAmpClient for httpx.AsyncClient)"
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
        self._limiter = SyncLimiter(config.max_concurrency)
        self._http = (
            http_client
            if http_client is not None
            else httpx.Client(headers=config.headers, timeout=config.timeout, limits=config.limits)
        )

    @cached_property
    def with_raw_response(self) -> RawClient:
        """The same calls, returning RawResponse (the parsed value and the httpx.Response)."""
        return RawClient(self)

    def _send(self, call: Call[Any], args: dict[str, Any], deadline: float | None) -> httpx.Response:
        """One attempt, in a slot of the limiter: send, then read and decode at most
        max_response_bytes (see _body)."""
        try:
            self._limiter.acquire(starts_run=call.op.starts_run, timeout=self._slot_timeout(call, deadline))
        except LimiterTimeout:
            raise self._no_slot(call, deadline) from None
        try:
            if call.before_send is not None:
                call.before_send()
            response = self._http.send(self._http.build_request(**args), stream=True)
            try:
                body = self._body(response)
                if response.is_stream_consumed:  # the transport read and decoded it (MockTransport)
                    body.add_decoded(response.content)
                else:
                    for chunk in response.iter_raw():
                        body.feed(chunk)
                    response._content = body.content()
            finally:
                response.close()
        finally:
            self._limiter.release()
        return response

    def _request(self, call: Call[T], deadline: float | None = None) -> T:
        """Send with retries. ``deadline`` (wait()'s, on the client's clock) bounds each attempt
        and every retry; past it, OutOfTime."""
        args = self._prepare(dict(call.kwargs))
        attempt = 0
        while True:
            with self._attempt(call, args, attempt) as at:
                try:
                    response = self._send(call, self._bounded(args, deadline), deadline)
                except httpx.HTTPError as exc:
                    delay = self._after_error(at, exc, deadline)
                except ResponseTooLarge as exc:
                    self._too_large(at, exc)
                else:
                    retry_in = self._after_response(at, response, deadline)
                    if retry_in is None:
                        return self._parse(call, at, response)
                    delay = retry_in
            self._clock.sleep(delay)
            attempt += 1

    def inputs(self) -> list[str]:
        """The names of the inputs this crew expects at kickoff."""
        return self._request(inputs_call())

    def kickoff(self, inputs: Mapping[str, Any], **options: Unpack[KickoffOptions]) -> KickoffResponse:
        """Start a crew run; returns its ``kickoff_id``. ``options``: see
        [KickoffOptions][crewai_amp.KickoffOptions]. Never retried once the request may have
        reached AMP (a second kickoff is a second, paid run)."""
        return self._kicked(self._request(kickoff_call(inputs, options)), options)

    def status(self, kickoff_id: str) -> Status:
        """The run's current [Status][crewai_amp.Status]: StatusRunning, StatusCompleted,
        StatusError, StatusPendingHumanInput (paused for a human review), or StatusUnknown for
        a state this SDK does not know. Either dialect gives these types (see
        [raw_body][crewai_amp.raw_body] for the body as sent); ``NOT FOUND`` (a 404, or deployed
        AMP's 200 ``{"state": "NOT FOUND"}``) raises
        [RunNotFoundError][crewai_amp.errors.RunNotFoundError] at once."""
        return self._request(status_call(kickoff_id))

    def wait(
        self,
        kickoff_id: str,
        *,
        timeout: float | None = 600,
        on_status: StatusCallback | None = None,
        not_found_grace: float | None = None,
    ) -> StatusCompleted:
        """Poll until the run completes and return its final status.

        Checks after ~0.5 s, then backs off with jitter up to 10 s, aiming at the predicted
        finish once the crew reports progress. ``on_status`` sees every status. Raises
        [ExecutionError][crewai_amp.errors.ExecutionError] if the run ends in error,
        [WaitTimeout][crewai_amp.errors.WaitTimeout] after ``timeout`` seconds (None:
        no limit) — the status checks, their retries and their wait for a free request slot
        included, each given only the time left (at least 1 s). A run paused for human input
        (StatusPendingHumanInput) and statuses the SDK does not know keep it waiting, and
        ``on_status`` sees them. NOT FOUND is polled through for ``not_found_grace`` seconds
        (default: the client's) counted from this client's kickoff of the run (else from now),
        then raised as RunNotFoundError with the kickoff id.
        """
        clock = self._clock
        waiting = self._waiting(kickoff_id, timeout, not_found_grace)
        call = status_call(kickoff_id)
        status: Status | None = None
        with self._span("wait", kickoff_id) as span:
            while True:
                try:
                    status = self._request(call, waiting.deadline)
                except OutOfTime as out:
                    raise waiting.expired(status, out.error) from out.error
                except RunNotFoundError as missing:
                    clock.sleep(waiting.not_found(missing, clock.monotonic()))
                    continue
                if on_status is not None:
                    on_status(status)
                outcome = waiting.after(status, clock.monotonic())
                if not isinstance(outcome, float):
                    span.outcome("completed")
                    return outcome
                clock.sleep(outcome)

    def run(
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
            kicked = self.kickoff(inputs, **options)
            span.set(KICKOFF_ID, kicked.kickoff_id)
            result = self.wait(
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
    ) -> Generator[RunOutcome, None, None]:
        """``run()`` for each inputs, ``concurrency`` at a time (in threads), yielding a
        [RunOutcome][crewai_amp.RunOutcome] per run as it finishes; a run's error is in its
        outcome, never raised.

        ``on_kickoff(index, kickoff_id)`` is called (in the run's thread) the moment AMP
        answers each kickoff. ``journal="runs.db"`` records every kickoff id and outcome in a
        SQLite file, so running the same batch again with it resumes: finished runs come from
        the journal, started runs are waited on, only inputs never sent are kicked off. A
        kickoff whose answer was lost is a
        [KickoffMayHaveStarted][crewai_amp.errors.KickoffMayHaveStarted] outcome, kicked off
        again only if its index is in ``retry_unknown`` (True: all). Leaving the loop early,
        or closing the client, kicks off nothing more; kickoffs on their way still report
        their ids, and runs left going are logged on the ``crewai_amp`` logger. An
        ``on_kickoff`` that raises, or a journal that cannot be written, stops the batch the
        same way, raising that error once the kickoff id it concerns was given to on_kickoff
        (or the journal) and logged."""
        from ._fanout import run_many_sync

        return run_many_sync(
            self, inputs_list, concurrency, timeout, options, journal, on_kickoff, retry_unknown
        )

    def resume(
        self,
        execution_id: str,
        task_id: str,
        human_feedback: str,
        is_approve: bool,
        **webhook_urls: Unpack[WebhookUrls],
    ) -> ResumeResponse:
        """Answer a human review of task ``task_id`` in run ``execution_id`` (the kickoff id):
        ``is_approve=True`` lets the crew go on, False has the task redone with the feedback.
        AMP does not carry the kickoff's webhook URLs over, so the ones this client gave at
        that run's kickoff (or its last resume) are sent again; a URL passed here replaces its
        one (None: send none). The client remembers the last 10,000 runs it kicked off.
        Never retried once the request may have reached AMP."""
        urls = self._resume_urls(execution_id, webhook_urls)
        answer = self._request(resume_call(execution_id, task_id, human_feedback, is_approve, urls))
        return self._resumed(execution_id, urls, answer)

    def close(self) -> None:
        """Stop the run_many batches under way (kickoffs on their way still report their ids:
        this waits for them, at most their request timeout), then close the connections,
        unless the httpx client was passed in (its owner closes it)."""
        for batch in list(self._batches):
            batch.shutdown()
        if self._owns_http:
            self._http.close()

    def __enter__(self: _SyncC) -> _SyncC:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
