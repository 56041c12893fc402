"""A ``run_many`` batch: what each input does, what is recorded and reported when, and how a
batch stops. The decisions the sync and async fan-outs (``_fanout``) share, with no I/O but the
journal's (``_journal``).

Each input gets a plan: yield a finished outcome (from the journal), wait for a run already
started, or kick it off. A kickoff's request records ``sending`` (once a request slot is held,
right before it leaves); the kickoff id is recorded, then given to ``on_kickoff``, the moment
AMP answers; the outcome of a run that ended (completed, or failed on AMP) is recorded after.
A kickoff that raised is sorted by what it proves: it never reached AMP or AMP refused it (4xx)
means no run started, so a rerun kicks it off again; anything else (the answer lost, a 5xx, a
2xx whose body could not be read, an interruption mid-send) means a run may have started, so a
rerun reports it as KickoffMayHaveStarted and sends it again only if ``retry_unknown`` names it.

Stopping (``closing``): nothing more is sent (a kickoff not yet on its way raises NotSent right
before it would be), the waiting stops, and ``close()`` logs the runs left going on AMP.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeAlias

from ._base import check_wait_timeout
from ._kickoff_ids import deliver
from ._operations import CORRELATION_ID_KEY, KICKOFF_OPTIONS, Call, check_options, kickoff_call
from ._responses import refused
from .errors import (
    AmpError,
    APIConnectionError,
    APIStatusError,
    ConfigurationError,
    ExecutionError,
    JournalError,
    JournalMismatch,
    KickoffMayHaveStarted,
    ResponseTooLarge,
    clauses,
    unended,
)

if TYPE_CHECKING:
    from ._async_client import AsyncAmpClient
    from ._client import AmpClient
    from ._journal import Entry, Journal
    from ._status import KickoffResponse, StatusCompleted

__all__ = ["Batch", "KickoffCallback", "NotSent", "RunOutcome", "StartRun", "Step", "Stopped", "WaitRun"]


logger = logging.getLogger("crewai_amp")

KickoffCallback: TypeAlias = "Callable[[int, str], object]"


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """One run of ``run_many``: ``inputs`` (and their ``index`` in the list), the ``kickoff_id``
    (None if there is none: the kickoff failed, or its answer was lost), and ``result`` (the final
    [StatusCompleted][crewai_amp.StatusCompleted]) or ``error`` (the exception: ExecutionError,
    WaitTimeout, KickoffMayHaveStarted, an API error...). ``correlation_id`` is the value sent in
    the kickoff's meta under ``crewai_amp_correlation_id``."""

    index: int
    inputs: Mapping[str, Any]
    kickoff_id: str | None
    result: StatusCompleted | None = None
    error: Exception | None = None
    correlation_id: str | None = None

    @property
    def ok(self) -> bool:
        """True when the run completed (``result`` is set), False when ``error`` is."""
        return self.error is None


@dataclass(frozen=True, slots=True)
class StartRun:
    """Plan: kick the input off, with this correlation id in its meta."""

    correlation_id: str


@dataclass(frozen=True, slots=True)
class WaitRun:
    """Plan: wait for the run the journal says was started."""

    kickoff_id: str
    correlation_id: str


Step: TypeAlias = "RunOutcome | StartRun | WaitRun"


class NotSent(Exception):
    """Raised before a kickoff would be sent, once the batch is closing."""


class Stopped(Exception):
    """Raised in a sync run's status callback, once the batch is closing."""


def _refused(exc: BaseException) -> bool:
    """Whether a kickoff's exception proves no run started: it never reached AMP, or AMP
    refused it (a 4xx, whether its body could be read or not). A 2xx whose body could not be
    read is a KickoffMayHaveStarted (see ``_base``), never a refusal."""
    if isinstance(exc, APIConnectionError):
        return not exc.may_have_started
    if isinstance(exc, (APIStatusError, ResponseTooLarge)):
        return refused(exc.status_code)
    return False


def _reason(exc: BaseException) -> str:
    """How a kickoff that may have started a run failed, as the journal keeps it: the error it
    would have been, for a KickoffMayHaveStarted (the rest of its message is advice, which the
    rerun's error gives again)."""
    cause = exc.__cause__ if isinstance(exc, KickoffMayHaveStarted) else None
    shown = cause if isinstance(cause, AmpError) else exc
    return f"{type(shown).__name__}: {shown}"


def _retry_set(retry_unknown: object) -> bool | frozenset[int]:
    if isinstance(retry_unknown, bool):
        return retry_unknown
    if isinstance(retry_unknown, Collection) and not isinstance(retry_unknown, (str, bytes)):
        indexes = frozenset(retry_unknown)
        if all(isinstance(i, int) and not isinstance(i, bool) for i in indexes):
            return indexes
    raise ConfigurationError(
        f"retry_unknown must be True, False or a collection of input indexes, got {retry_unknown!r}"
    )


def _drain_timeout(client: AmpClient | AsyncAmpClient) -> float:
    """How long closing waits for kickoffs on their way: their own request timeout."""
    timeout = client.timeout
    return sum(60.0 if phase is None else phase for phase in (timeout.connect, timeout.write, timeout.read))


class Batch:
    """What the sync and async fan-outs share: each input's plan, what is recorded when, what
    is reported, and the closing rule. No I/O but the journal's."""

    def __init__(
        self,
        client: AmpClient | AsyncAmpClient,
        inputs_list: Iterable[Mapping[str, Any]],
        concurrency: object,
        timeout: float | None,
        options: Mapping[str, Any],
        journal: str | os.PathLike[str] | None,
        on_kickoff: KickoffCallback | None,
        retry_unknown: object,
    ) -> None:
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ConfigurationError(f"concurrency must be a positive integer, got {concurrency!r}")
        check_wait_timeout(timeout)
        check_options("run_many", options, KICKOFF_OPTIONS)
        meta = options.get("meta")
        if isinstance(meta, Mapping) and CORRELATION_ID_KEY in meta:
            raise ConfigurationError(
                f"run_many gives each run its own correlation id: leave {CORRELATION_ID_KEY!r} out of meta"
            )
        if on_kickoff is not None and not callable(on_kickoff):
            raise ConfigurationError(f"on_kickoff must be a callable (index, kickoff_id), got {on_kickoff!r}")
        if journal is not None and not isinstance(journal, (str, os.PathLike)):
            raise ConfigurationError(f"journal must be a file path, got {journal!r}")
        self.retry_unknown = _retry_set(retry_unknown)
        if self.retry_unknown and journal is None:
            raise ConfigurationError("retry_unknown needs the journal that recorded the unknown runs")
        self.client = client
        self.inputs = inputs_list
        self.limit = concurrency
        self.timeout = timeout
        self.options = options
        self.journal_path = journal
        self.on_kickoff = on_kickoff
        self.drain_timeout = _drain_timeout(client)
        self.closing = False  # nothing more is kicked off, waiting stops
        self.closed = False  # the runs left going were logged, the journal closed
        self.phases: dict[int, str] = {}  # index -> queued | sending | waiting, while under way
        self.kickoff_ids: dict[int, str] = {}  # runs started and not finished
        self.correlation_ids: dict[int, str] = {}
        self._journal: Journal | None = None
        self._entries: dict[int, Entry] = {}
        self._digests: dict[int, str] = {}

    # --- the journal ----------------------------------------------------------------------------

    def open(self) -> None:
        """Open the journal (if any) and check it against the inputs given as a sequence."""
        if self.journal_path is None:
            return
        from ._journal import Journal, digest

        try:
            options_digest = digest({k: v for k, v in self.options.items() if v is not None})
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(
                f"run_many's kickoff options must be JSON to be journaled: {exc}"
            ) from None
        self._journal = Journal(self.journal_path, options_digest)
        self._entries = self._journal.entries()
        if isinstance(self.inputs, Sequence):
            for index, inputs in enumerate(self.inputs):
                self._digest(index, inputs)
            self._check_end(len(self.inputs))

    def _digest(self, index: int, inputs: Mapping[str, Any]) -> str | None:
        """The digest of input ``index`` (None if not JSON); JournalMismatch if the journal
        recorded other inputs at that index."""
        if index in self._digests:
            return self._digests[index]
        from ._journal import digest

        try:
            found: str | None = digest(inputs)
        except (TypeError, ValueError):
            found = None
        entry = self._entries.get(index)
        if entry is not None and entry.digest != found:
            raise JournalMismatch(
                f"the journal {self.journal_path} was made for other inputs: input #{index} differs "
                "from the one it recorded; give the same inputs in the same order, or use a new journal"
            )
        if found is not None:
            self._digests[index] = found
        return found

    def _check_end(self, count: int) -> None:
        beyond = sorted(index for index in self._entries if index >= count)
        if beyond:
            raise JournalMismatch(
                f"the journal {self.journal_path} was made for more inputs: it recorded input "
                f"#{beyond[0]}, and this batch has {count}"
            )

    def exhausted(self, count: int) -> None:
        """Every input was seen (``count`` of them): the journal must hold no run beyond."""
        if self._journal is not None and not self.closing:
            self._check_end(count)

    # --- the plan -------------------------------------------------------------------------------

    def plan(self, index: int, inputs: Mapping[str, Any]) -> Step:
        """What to do with input ``index``: yield a finished outcome, wait for a started run,
        or kick it off."""
        if self._journal is None:
            return StartRun(str(uuid.uuid4()))
        if self._digest(index, inputs) is None:
            return RunOutcome(
                index,
                inputs,
                None,
                error=ConfigurationError(f"inputs #{index} are not JSON: cannot journal them"),
            )
        entry = self._entries.get(index)
        if entry is None:
            return StartRun(str(uuid.uuid4()))
        if entry.state == "done" and entry.kickoff_id is not None:
            return self._stored(index, inputs, entry, entry.kickoff_id)
        if entry.state in ("started", "done") and entry.kickoff_id is not None:
            return WaitRun(entry.kickoff_id, entry.correlation_id)
        if self.retry_unknown is True or (
            isinstance(self.retry_unknown, frozenset) and index in self.retry_unknown
        ):
            return StartRun(str(uuid.uuid4()))
        stored = self._journal.outcome(index).get("error")
        reason = stored if isinstance(stored, str) else "the process stopped while the kickoff was being sent"
        error = KickoffMayHaveStarted(
            clauses(
                f"inputs #{index}: the kickoff may have started a paid crew run, but no kickoff id came "
                f"back ({unended(reason)})",
                f"look for meta {CORRELATION_ID_KEY}={entry.correlation_id} in AMP's webhooks or "
                f"dashboard, and only if there is no such run kick it off again (run_many "
                f"retry_unknown=[{index}], crewai-amp batch --retry-unknown {index})",
            ),
            correlation_id=entry.correlation_id,
        )
        return RunOutcome(index, inputs, None, error=error, correlation_id=entry.correlation_id)

    def _stored(self, index: int, inputs: Mapping[str, Any], entry: Entry, kickoff_id: str) -> Step:
        """The outcome the journal recorded; a run to wait for again if it cannot be read back."""
        from ._status import StatusCompleted, parse_status

        assert self._journal is not None
        stored = self._journal.outcome(index)
        try:
            status = parse_status(stored["status"], kickoff_id)
        except Exception:  # a body this version cannot read back: ask AMP again
            return WaitRun(kickoff_id, entry.correlation_id)
        if isinstance(stored.get("error"), str):
            error = ExecutionError(stored["error"], kickoff_id=kickoff_id, status=status)
            return RunOutcome(index, inputs, kickoff_id, error=error, correlation_id=entry.correlation_id)
        if isinstance(status, StatusCompleted):
            return RunOutcome(index, inputs, kickoff_id, result=status, correlation_id=entry.correlation_id)
        return WaitRun(kickoff_id, entry.correlation_id)

    # --- a run's life ---------------------------------------------------------------------------

    def kickoff_call(
        self, index: int, inputs: Mapping[str, Any], correlation_id: str
    ) -> Call[KickoffResponse]:
        """The kickoff of input ``index``, which records ``sending`` right before it is sent."""
        self.phases[index] = "queued"
        self.correlation_ids[index] = correlation_id
        meta = {**(self.options.get("meta") or {}), CORRELATION_ID_KEY: correlation_id}
        call = kickoff_call(inputs, {**self.options, "meta": meta})

        def before_send() -> None:
            if self.closing:
                raise NotSent
            self.phases[index] = "sending"
            if self._journal is not None:
                try:
                    self._journal.sending(index, self._digests[index], correlation_id)
                except JournalError as exc:  # nothing was sent
                    self.phases[index] = "queued"
                    raise JournalError(f"inputs #{index} was not kicked off: {exc}") from exc

        return replace(call, before_send=before_send)

    def kicked_off(self, index: int, kickoff_id: str, *, awaits: bool) -> Awaitable[None] | None:
        """AMP answered: the journal records the id, then on_kickoff is given it (see
        ``_kickoff_ids.deliver``: what raises, and what comes back for the async fan-out, which
        ``awaits``, to await)."""
        self.phases[index] = "waiting"
        self.kickoff_ids[index] = kickoff_id
        return deliver(index, kickoff_id, self._journal, self.on_kickoff, closed=self.closed, awaits=awaits)

    def waiting(self, index: int, step: WaitRun) -> None:
        self.phases[index] = "waiting"
        self.kickoff_ids[index] = step.kickoff_id
        self.correlation_ids[index] = step.correlation_id

    def kickoff_failed(self, index: int, inputs: Mapping[str, Any], exc: BaseException) -> RunOutcome | None:
        """The outcome of a kickoff that raised (None when it was stopped before being sent);
        the journal learns whether a run may have started."""
        if isinstance(exc, JournalError):  # it cannot record kickoffs: nothing more is sent
            raise exc
        sent = self.phases.pop(index, None) == "sending"
        correlation_id = self.correlation_ids.pop(index, None)
        if self._journal is not None and sent and not self.closed:
            if _refused(exc) or isinstance(exc, NotSent):
                self._journal.not_started(index)
            else:
                self._journal.unknown(index, _reason(exc))
        if isinstance(exc, NotSent) or not isinstance(exc, Exception):
            return None
        return RunOutcome(index, inputs, None, error=exc, correlation_id=correlation_id)

    def finished(
        self,
        index: int,
        inputs: Mapping[str, Any],
        result: StatusCompleted | None = None,
        error: Exception | None = None,
    ) -> RunOutcome:
        """The outcome of a run that was waited for; a completed or failed run is journaled."""
        from ._status import raw_body

        self.phases.pop(index, None)
        kickoff_id = self.kickoff_ids.pop(index)
        correlation_id = self.correlation_ids.pop(index, None)
        if self._journal is not None and not self.closed:
            if result is not None:
                self._journal.done(index, {"status": raw_body(result)})
            elif isinstance(error, ExecutionError):
                self._journal.done(index, {"status": raw_body(error.status), "error": str(error)})
        return RunOutcome(
            index, inputs, kickoff_id, result=result, error=error, correlation_id=correlation_id
        )

    def stop_if_closing(self, status: object) -> None:
        if self.closing:
            raise Stopped

    # --- the end --------------------------------------------------------------------------------

    def close(self) -> None:
        """Log the runs left going, and close the journal."""
        self.closed = True
        saved = f"; the journal {self.journal_path} has them: run the batch again with it to wait for them"
        for index, kickoff_id in sorted(dict(self.kickoff_ids).items()):  # runs' threads may still write
            logger.warning(
                "run_many was stopped: inputs #%d (kickoff id %s) keeps running on AMP unwatched%s",
                index,
                kickoff_id,
                saved if self._journal is not None else "",
            )
        for index, phase in sorted(dict(self.phases).items()):
            if phase == "sending":
                logger.warning(
                    "run_many was stopped: the kickoff of inputs #%d got no answer in time; a run may have "
                    "started: look for meta %s=%s",
                    index,
                    CORRELATION_ID_KEY,
                    self.correlation_ids.get(index),
                )
        if self._journal is not None:
            self._journal.close()
