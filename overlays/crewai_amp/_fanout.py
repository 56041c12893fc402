"""``run_many``: many runs, results as they finish, each run's error returned with it.

At most ``concurrency`` runs are under way at once (kicked off and not yet finished); the next
inputs start as one finishes, so an endless iterable is consumed lazily. Each outcome says
which inputs it was for, the kickoff id (once there is one) and either the final status or the
error: a failed run never stops the others. Closing the iterator early (``break``) cancels the
runs under way — their crews, if already kicked off, keep running on AMP (their ids are in the
outcomes seen so far only if they finished).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import AsyncGenerator, Generator, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._base import check_wait_timeout
from ._operations import KICKOFF_OPTIONS, check_options
from .errors import ConfigurationError

if TYPE_CHECKING:
    from ._async_client import AsyncAmpClient
    from ._client import AmpClient
    from ._status import StatusCompleted

__all__ = ["RunOutcome", "run_many_async", "run_many_sync"]


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """One run of ``run_many``: ``inputs`` (and their ``index`` in the list), the ``kickoff_id``
    (None if the kickoff itself failed), and ``result`` (the final StatusCompleted) or
    ``error`` (the exception: ExecutionError, WaitTimeout, an API error...)."""

    index: int
    inputs: Mapping[str, Any]
    kickoff_id: str | None
    result: StatusCompleted | None = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _check(concurrency: object, timeout: object, options: Mapping[str, Any]) -> int:
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ConfigurationError(f"concurrency must be a positive integer, got {concurrency!r}")
    check_wait_timeout(timeout)
    check_options("run_many", options, KICKOFF_OPTIONS)
    return concurrency


async def _run_one(
    client: AsyncAmpClient, index: int, inputs: Mapping[str, Any], timeout: float | None, options: Any
) -> RunOutcome:
    kickoff_id: str | None = None
    try:
        kickoff_id = (await client.kickoff(inputs, **options)).kickoff_id
        result = await client.wait(kickoff_id, timeout=timeout)
    except Exception as exc:  # returned, not raised: one run's failure is that run's outcome
        return RunOutcome(index, inputs, kickoff_id, error=exc)
    return RunOutcome(index, inputs, kickoff_id, result=result)


def run_many_async(
    client: AsyncAmpClient,
    inputs_list: Iterable[Mapping[str, Any]],
    concurrency: int,
    timeout: float | None,
    options: Mapping[str, Any],
) -> AsyncGenerator[RunOutcome, None]:
    """The outcomes, as an async iterator; bad arguments raise here, before any run starts."""
    return _outcomes_async(client, inputs_list, _check(concurrency, timeout, options), timeout, options)


async def _outcomes_async(
    client: AsyncAmpClient,
    inputs_list: Iterable[Mapping[str, Any]],
    limit: int,
    timeout: float | None,
    options: Mapping[str, Any],
) -> AsyncGenerator[RunOutcome, None]:
    finished: asyncio.Queue[RunOutcome] = asyncio.Queue()
    tasks: set[asyncio.Task[None]] = set()

    async def run(index: int, inputs: Mapping[str, Any]) -> None:
        finished.put_nowait(await _run_one(client, index, inputs, timeout, options))

    pending = enumerate(inputs_list)
    under_way = 0
    try:
        while True:
            while under_way < limit and (item := next(pending, None)) is not None:
                task = asyncio.create_task(run(*item))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                under_way += 1
            if not under_way:
                return
            outcome = await finished.get()
            under_way -= 1
            yield outcome
    finally:
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


def _run_one_sync(
    client: AmpClient, index: int, inputs: Mapping[str, Any], timeout: float | None, options: Any
) -> RunOutcome:
    kickoff_id: str | None = None
    try:
        kickoff_id = client.kickoff(inputs, **options).kickoff_id
        result = client.wait(kickoff_id, timeout=timeout)
    except Exception as exc:  # returned, not raised: one run's failure is that run's outcome
        return RunOutcome(index, inputs, kickoff_id, error=exc)
    return RunOutcome(index, inputs, kickoff_id, result=result)


def run_many_sync(
    client: AmpClient,
    inputs_list: Iterable[Mapping[str, Any]],
    concurrency: int,
    timeout: float | None,
    options: Mapping[str, Any],
) -> Generator[RunOutcome, None, None]:
    """The outcomes, as an iterator; bad arguments raise here, before any run starts. Runs
    under way when the iterator is closed finish in their threads (a thread cannot be
    cancelled); runs not started are not."""
    return _outcomes_sync(client, inputs_list, _check(concurrency, timeout, options), timeout, options)


def _outcomes_sync(
    client: AmpClient,
    inputs_list: Iterable[Mapping[str, Any]],
    limit: int,
    timeout: float | None,
    options: Mapping[str, Any],
) -> Generator[RunOutcome, None, None]:
    pending = enumerate(inputs_list)
    under_way: set[concurrent.futures.Future[RunOutcome]] = set()
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=limit, thread_name_prefix="crewai-amp-run")
    try:
        while True:
            while len(under_way) < limit and (item := next(pending, None)) is not None:
                under_way.add(pool.submit(_run_one_sync, client, *item, timeout, options))
            if not under_way:
                return
            done, under_way = concurrent.futures.wait(
                under_way, return_when=concurrent.futures.FIRST_COMPLETED
            )
            for future in done:
                yield future.result()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
