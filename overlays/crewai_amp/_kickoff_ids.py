"""How a kickoff id AMP answered with reaches the caller of ``run_many``: the journal records it,
then ``on_kickoff`` is given it, even when the journal could not record it; what ends the batch
when either fails, with the id logged first (``crewai_amp`` logger, ERROR), so that no id of a
paid run is known to nobody.

- The journal cannot record the id (a full disk): on_kickoff still gets it, then the batch ends
  with a JournalError naming the input and the id.
- on_kickoff raises: the caller's record of kickoff ids failed, so the batch ends with that
  exception and nothing more is kicked off. The journal, if any, has the id already; the runs
  under way keep going on AMP and a rerun with the journal waits for them.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING

from .errors import ConfigurationError, JournalError

if TYPE_CHECKING:
    from ._journal import Journal

__all__ = ["deliver"]

logger = logging.getLogger("crewai_amp")


def deliver(
    index: int,
    kickoff_id: str,
    journal: Journal | None,
    on_kickoff: Callable[[int, str], object] | None,
    *,
    closed: bool,
    awaits: bool,
) -> Awaitable[None] | None:
    """Record and report the kickoff id of input ``index`` (``closed``: the batch has stopped
    waiting for it). Raises what ends the batch once on_kickoff has the id; an async on_kickoff
    comes back as an awaitable that does the same once awaited, if the caller ``awaits`` (the
    async fan-out); the sync one cannot, so an awaitable is a ConfigurationError that ends it."""
    unrecorded = _record(journal, index, kickoff_id)
    with _reporting(index, kickoff_id):
        reported = _report(on_kickoff, index, kickoff_id, closed)
        if inspect.isawaitable(reported) and not awaits:
            close = getattr(reported, "close", None)
            if callable(close):
                close()
            raise ConfigurationError(
                "AmpClient.run_many calls on_kickoff in the runs' threads, and it returned an "
                "awaitable that nothing would await: give a plain function (AsyncAmpClient.run_many "
                "awaits it)"
            ) from unrecorded
    if inspect.isawaitable(reported):
        return _reported(index, kickoff_id, reported, unrecorded)
    if unrecorded is not None:
        raise unrecorded
    return None


async def _reported(
    index: int, kickoff_id: str, reported: Awaitable[object], unrecorded: JournalError | None
) -> None:
    with _reporting(index, kickoff_id):
        await reported
    if unrecorded is not None:
        raise unrecorded


def _record(journal: Journal | None, index: int, kickoff_id: str) -> JournalError | None:
    """The journal records the kickoff id; the error to end the batch with if it cannot."""
    if journal is None:
        return None
    try:
        journal.started(index, kickoff_id)
    except JournalError as exc:
        logger.error(
            "run_many: inputs #%d kicked off as %s, which the journal could not record: %s",
            index,
            kickoff_id,
            exc,
        )
        unrecorded = JournalError(
            f"inputs #{index} kicked off as {kickoff_id}, which the journal could not record "
            f"({exc}); run_many stopped: follow that run by its kickoff id"
        )
        unrecorded.__cause__ = exc
        return unrecorded
    return None


@contextlib.contextmanager
def _reporting(index: int, kickoff_id: str) -> Iterator[None]:
    """on_kickoff's exception goes on, ending the batch, once the id it was given is logged
    (in case it kept nothing)."""
    try:
        yield
    except Exception as exc:
        logger.error(
            "run_many: on_kickoff raised %s for inputs #%d, kicked off as %s; run_many stops",
            type(exc).__name__,
            index,
            kickoff_id,
        )
        raise


def _report(
    on_kickoff: Callable[[int, str], object] | None, index: int, kickoff_id: str, closed: bool
) -> object:
    if closed:  # an answer that came after the batch stopped waiting for it
        logger.warning(
            "run_many was stopped: inputs #%d kicked off as %s, which keeps running on AMP unwatched",
            index,
            kickoff_id,
        )
    return None if on_kickoff is None else on_kickoff(index, kickoff_id)
