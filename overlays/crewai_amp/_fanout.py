"""``run_many``: many runs, results as they finish, each run's error returned with it; no kickoff
id is ever lost, and with a journal a crashed batch resumes where it stopped.

At most ``concurrency`` runs are under way at once (kicked off and not yet finished); the next
inputs start as one finishes, so an endless iterable is consumed lazily. Each outcome says which
inputs it was for, the kickoff id (once there is one), the correlation id sent in the kickoff's
meta, and either the final status or the error: a failed run never stops the others.

Kickoff ids. ``on_kickoff(index, kickoff_id)`` is called the moment AMP answers (after the
journal has it). Leaving early (``break``, ``aclose()``, cancelling the consumer, closing the
client) kicks off nothing more; kickoffs already on their way are not interrupted: they still
report their ids (to the journal and on_kickoff; closing waits for them, at most the kickoff's
own request timeout), and the ids of runs left going on AMP are logged (``crewai_amp`` logger,
WARNING). The waiting stops: the async runs are cancelled, the sync ones (threads cannot be
cancelled) stop at their next status check. An on_kickoff that raises, or a journal that cannot
record a kickoff, stops the batch the same way, and its error is raised to the consumer (see
``_kickoff_ids``).

What each input does, and what is recorded when, is decided in ``_batch``; this module runs
the plan, in tasks (async) or threads (sync).

The journal (``journal="runs.db"``, see ``_journal``). Inputs are matched by their index and a
digest of their canonical JSON; the kickoff options by a digest too (a journal made for other
inputs or options is a JournalMismatch, checked up front for a list or tuple, else as each
input comes). On a rerun: finished runs yield their stored outcome, started runs are waited
on, inputs never sent (or that AMP refused, 4xx) are kicked off, and a kickoff whose answer was
lost (or that was being sent when the process died, or that AMP answered with a 5xx) yields a
KickoffMayHaveStarted outcome with its correlation id: never re-sent unless named in
``retry_unknown`` (True: all of them) once AMP shows no run with that correlation id.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import os
import threading
from collections.abc import AsyncGenerator, Collection, Generator, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import _tracing
from ._batch import Batch, KickoffCallback, RunOutcome, StartRun, Stopped, WaitRun
from .errors import ConfigurationError

if TYPE_CHECKING:
    from ._async_client import AsyncAmpClient
    from ._client import AmpClient

__all__ = ["RunOutcome", "run_many_async", "run_many_sync"]


@dataclass(frozen=True, slots=True)
class _Failed:
    """A run task's exception that must end the batch (a failing on_kickoff, a journal that
    cannot be written)."""

    error: BaseException


_CLOSED = object()  # wakes a generator waiting for an outcome when the client closes


def _known_id(step: StartRun | WaitRun) -> str | None:
    return step.kickoff_id if isinstance(step, WaitRun) else None


def _ended(span: _tracing.AnySpan, outcome: RunOutcome | None) -> None:
    """A run's span ends with its outcome: ``completed``, how it failed, or ``stopped`` (the
    batch stopped before the run ended)."""
    if outcome is None:
        span.outcome("stopped")
        return
    span.set(_tracing.KICKOFF_ID, outcome.kickoff_id)
    error = outcome.error
    span.outcome(
        _tracing.outcome_of(error, "completed"), None if error is None else _tracing.error_type(error)
    )


# --- async --------------------------------------------------------------------------------------


class _AsyncRuns:
    """The runs of one async run_many, as tasks on the event loop."""

    def __init__(self, client: AsyncAmpClient, batch: Batch) -> None:
        self.client = client
        self.batch = batch
        self.tasks: dict[asyncio.Task[None], int] = {}
        self.finished: asyncio.Queue[object] = asyncio.Queue()
        self.under_way = 0
        self._shutdown: asyncio.Future[None] | None = None

    def start(self, index: int, inputs: Mapping[str, Any], step: StartRun | WaitRun) -> None:
        task = asyncio.create_task(self._run(index, inputs, step))
        self.tasks[task] = index
        task.add_done_callback(lambda done: self.tasks.pop(done, None))
        self.under_way += 1

    async def _run(self, index: int, inputs: Mapping[str, Any], step: StartRun | WaitRun) -> None:
        try:
            item: object = await self._one(index, inputs, step)
        except asyncio.CancelledError:
            return
        except BaseException as exc:  # must end the batch: handed to the generator to raise
            item = _Failed(exc)
        self.finished.put_nowait(item)

    async def _one(
        self, index: int, inputs: Mapping[str, Any], step: StartRun | WaitRun
    ) -> RunOutcome | None:
        with self.client._span("run_many", _known_id(step), index=index) as span:
            outcome = await self._steps(index, inputs, step)
            _ended(span, outcome)
            return outcome

    async def _steps(
        self, index: int, inputs: Mapping[str, Any], step: StartRun | WaitRun
    ) -> RunOutcome | None:
        batch = self.batch
        if isinstance(step, StartRun):
            try:
                call = batch.kickoff_call(index, inputs, step.correlation_id)
                kicked = self.client._kicked(await self.client._request(call), batch.options)
            except BaseException as exc:
                outcome = batch.kickoff_failed(index, inputs, exc)
                if not isinstance(exc, Exception):
                    raise
                return outcome
            kickoff_id = kicked.kickoff_id
            reported = batch.kicked_off(index, kickoff_id, awaits=True)
            if reported is not None:
                await reported
            if batch.closing:
                return None
        else:
            batch.waiting(index, step)
            kickoff_id = step.kickoff_id
        try:
            result = await self.client.wait(kickoff_id, timeout=batch.timeout)
        except Exception as exc:  # returned, not raised: one run's failure is that run's outcome
            return batch.finished(index, inputs, error=exc)
        return batch.finished(index, inputs, result=result)

    async def shutdown(self) -> None:
        """Stop: nothing more kicked off, the waiting cancelled, kickoffs on their way given
        their answer (bounded). Idempotent; closing the client calls it too."""
        if self._shutdown is None:
            self._shutdown = asyncio.ensure_future(self._stop())
        await asyncio.shield(self._shutdown)

    async def _stop(self) -> None:
        batch = self.batch
        batch.closing = True
        self.finished.put_nowait(_CLOSED)
        try:
            sending = [task for task, index in self.tasks.items() if batch.phases.get(index) == "sending"]
            for task in list(self.tasks):
                if task not in sending:
                    task.cancel()
            if sending:
                await asyncio.wait(sending, timeout=batch.drain_timeout)
            rest = [task for task in self.tasks if not task.done()]
            for task in rest:
                task.cancel()
            if rest:
                await asyncio.gather(*rest, return_exceptions=True)
        finally:
            self.client._batches.discard(self)
            batch.close()


def run_many_async(
    client: AsyncAmpClient,
    inputs_list: Iterable[Mapping[str, Any]],
    concurrency: int,
    timeout: float | None,
    options: Mapping[str, Any],
    journal: str | os.PathLike[str] | None = None,
    on_kickoff: KickoffCallback | None = None,
    retry_unknown: bool | Collection[int] = False,
) -> AsyncGenerator[RunOutcome, None]:
    """The outcomes, as an async iterator; bad arguments raise here, before any run starts."""
    batch = Batch(client, inputs_list, concurrency, timeout, options, journal, on_kickoff, retry_unknown)
    return _outcomes_async(client, batch)


async def _outcomes_async(client: AsyncAmpClient, batch: Batch) -> AsyncGenerator[RunOutcome, None]:
    runs = _AsyncRuns(client, batch)
    client._batches.add(runs)
    try:
        batch.open()
        pending = enumerate(batch.inputs)
        count = 0
        while not batch.closing:
            while (
                not batch.closing
                and runs.under_way < batch.limit
                and (item := next(pending, None)) is not None
            ):
                count = item[0] + 1
                step = batch.plan(*item)
                if isinstance(step, RunOutcome):
                    yield step
                else:
                    runs.start(*item, step)
            if not runs.under_way:
                batch.exhausted(count)
                return
            done = await runs.finished.get()
            if done is _CLOSED:
                return
            runs.under_way -= 1
            if isinstance(done, _Failed):
                raise done.error
            if isinstance(done, RunOutcome):
                yield done
    finally:
        await runs.shutdown()


# --- sync -----------------------------------------------------------------------------------------


class _SyncRuns:
    """The runs of one sync run_many, in threads."""

    def __init__(self, client: AmpClient, batch: Batch) -> None:
        self.client = client
        self.batch = batch
        self.pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=batch.limit, thread_name_prefix="crewai-amp-run"
        )
        self.futures: dict[concurrent.futures.Future[RunOutcome | None], int] = {}
        self._lock = threading.Lock()
        self._stopped = False

    def start(self, index: int, inputs: Mapping[str, Any], step: StartRun | WaitRun) -> None:
        parent = _tracing.current_context()  # the consumer's: each run's span is its child
        self.futures[self.pool.submit(self._one, index, inputs, step, parent)] = index

    def _one(
        self, index: int, inputs: Mapping[str, Any], step: StartRun | WaitRun, parent: object = None
    ) -> RunOutcome | None:
        with self.client._span("run_many", _known_id(step), index=index, parent=parent) as span:
            outcome = self._steps(index, inputs, step)
            _ended(span, outcome)
            return outcome

    def _steps(self, index: int, inputs: Mapping[str, Any], step: StartRun | WaitRun) -> RunOutcome | None:
        batch, client = self.batch, self.client
        if isinstance(step, StartRun):
            try:
                call = batch.kickoff_call(index, inputs, step.correlation_id)
                kicked = client._kicked(client._request(call), batch.options)
            except BaseException as exc:
                outcome = batch.kickoff_failed(index, inputs, exc)
                if not isinstance(exc, Exception):
                    raise
                return outcome
            kickoff_id = kicked.kickoff_id
            batch.kicked_off(index, kickoff_id, awaits=False)
            if batch.closing:
                return None
        else:
            batch.waiting(index, step)
            kickoff_id = step.kickoff_id
        try:
            result = client.wait(kickoff_id, timeout=batch.timeout, on_status=batch.stop_if_closing)
        except Stopped:
            return None
        except Exception as exc:  # returned, not raised: one run's failure is that run's outcome
            return batch.finished(index, inputs, error=exc)
        return batch.finished(index, inputs, result=result)

    def shutdown(self) -> None:
        """Stop: nothing more kicked off, kickoffs on their way given their answer (bounded);
        waiting threads stop at their next status. Idempotent; closing the client calls it."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        batch = self.batch
        batch.closing = True
        try:
            for future in self.futures:
                future.cancel()  # only those not yet running
            sending = [f for f, index in self.futures.items() if batch.phases.get(index) == "sending"]
            if sending:
                concurrent.futures.wait(sending, timeout=batch.drain_timeout)
            self.pool.shutdown(wait=False, cancel_futures=True)
        finally:
            self.client._batches.discard(self)
            batch.close()


def run_many_sync(
    client: AmpClient,
    inputs_list: Iterable[Mapping[str, Any]],
    concurrency: int,
    timeout: float | None,
    options: Mapping[str, Any],
    journal: str | os.PathLike[str] | None = None,
    on_kickoff: KickoffCallback | None = None,
    retry_unknown: bool | Collection[int] = False,
) -> Generator[RunOutcome, None, None]:
    """The outcomes, as an iterator; bad arguments raise here, before any run starts."""
    if inspect.iscoroutinefunction(on_kickoff):  # a thread cannot await it: it would never run
        raise ConfigurationError(
            "AmpClient.run_many calls on_kickoff in the runs' threads: give a plain function "
            "(AsyncAmpClient.run_many awaits a coroutine function)"
        )
    batch = Batch(client, inputs_list, concurrency, timeout, options, journal, on_kickoff, retry_unknown)
    return _outcomes_sync(client, batch)


def _outcomes_sync(client: AmpClient, batch: Batch) -> Generator[RunOutcome, None, None]:
    runs = _SyncRuns(client, batch)
    client._batches.add(runs)
    try:
        batch.open()
        pending = enumerate(batch.inputs)
        count = 0
        while not batch.closing:
            while (
                not batch.closing
                and len(runs.futures) < batch.limit
                and (item := next(pending, None)) is not None
            ):
                count = item[0] + 1
                step = batch.plan(*item)
                if isinstance(step, RunOutcome):
                    yield step
                else:
                    runs.start(*item, step)
            if not runs.futures:
                batch.exhausted(count)
                return
            done, _ = concurrent.futures.wait(
                list(runs.futures), return_when=concurrent.futures.FIRST_COMPLETED
            )
            for future in done:
                del runs.futures[future]
                if future.cancelled():
                    continue
                outcome = future.result()  # raises what must end the batch
                if outcome is not None:
                    yield outcome
    finally:
        runs.shutdown()
