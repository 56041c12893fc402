"""How many requests a client has in flight, and who goes next.

A client sends at most ``max_concurrency`` requests at once (its connection pool has exactly
that many connections), so the pool never queues: httpcore scans its whole queue on every
acquire and release, and thousands of queued requests starve the event loop.

The policy, shared by the sync and async clients:

- a request takes a slot for one attempt (sending it and reading its body) and gives it back
  before any retry or polling sleep, so sleeping runs hold nothing;
- waiting requests are served first come, first served, in two lines: requests for runs that
  already exist (status, resume, inputs) before requests that start a new run (kickoff). A
  started run's polling therefore never waits behind new kickoffs, however many are queued: a
  paid run is never left unwatched because of the client's own queue. Kickoffs take the slots
  polling leaves free, and a kickoff not yet sent has cost nothing;
- a freed slot goes straight to the next waiter (no newcomer can overtake the line).
"""

from __future__ import annotations

import threading
from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncio

__all__ = ["AsyncLimiter", "SyncLimiter"]


class LimiterTimeout(Exception):
    """No slot came free before the caller's deadline."""


class AsyncLimiter:
    """The policy for one event loop."""

    __slots__ = ("_free", "_kickoffs", "_others")

    def __init__(self, slots: int) -> None:
        self._free = slots
        self._others: deque[asyncio.Future[None]] = deque()
        self._kickoffs: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> int:
        return sum(not f.done() for f in self._others) + sum(not f.done() for f in self._kickoffs)

    async def acquire(self, *, starts_run: bool, timeout: float | None = None) -> None:
        """Take a slot, waiting in line for one; LimiterTimeout after ``timeout`` seconds."""
        # Invariant: free slots exist only while nobody waits (release hands a slot over).
        if self._free:
            self._free -= 1
            return
        from asyncio import get_running_loop  # loaded already: the caller runs on an event loop

        loop = get_running_loop()
        granted: asyncio.Future[None] = loop.create_future()
        (self._kickoffs if starts_run else self._others).append(granted)
        expiry = None if timeout is None else loop.call_later(max(timeout, 0.0), _expire, granted)
        try:
            await granted
        except BaseException:
            # Granted in the same instant the caller was cancelled: the slot is ours to give back.
            if granted.done() and not granted.cancelled() and granted.exception() is None:
                self.release()
            raise
        finally:
            if expiry is not None:
                expiry.cancel()

    def release(self) -> None:
        for line in (self._others, self._kickoffs):
            while line:
                waiter = line.popleft()
                if not waiter.done():  # a cancelled or expired waiter gave up its place
                    waiter.set_result(None)
                    return
        self._free += 1


def _expire(granted: asyncio.Future[None]) -> None:
    if not granted.done():
        granted.set_exception(LimiterTimeout())


class _Ticket:
    __slots__ = ("abandoned", "granted")

    def __init__(self) -> None:
        self.granted = False
        self.abandoned = False


class SyncLimiter:
    """The same policy for threads."""

    __slots__ = ("_cond", "_free", "_kickoffs", "_others")

    def __init__(self, slots: int) -> None:
        self._free = slots
        self._cond = threading.Condition(threading.Lock())
        self._others: deque[_Ticket] = deque()
        self._kickoffs: deque[_Ticket] = deque()

    def acquire(self, *, starts_run: bool, timeout: float | None = None) -> None:
        with self._cond:
            if self._free:
                self._free -= 1
                return
            ticket = _Ticket()
            (self._kickoffs if starts_run else self._others).append(ticket)
            granted = False
            try:
                granted = self._cond.wait_for(lambda: ticket.granted, timeout)
            finally:  # timed out, or interrupted (KeyboardInterrupt) while waiting
                if not granted:
                    ticket.abandoned = True  # release skips it
                    if ticket.granted:  # granted in the same instant: give the slot on
                        self._release_locked()
            if not granted:
                raise LimiterTimeout()

    def release(self) -> None:
        with self._cond:
            self._release_locked()

    def _release_locked(self) -> None:
        for line in (self._others, self._kickoffs):
            while line:
                ticket = line.popleft()
                if not ticket.abandoned:
                    ticket.granted = True
                    self._cond.notify_all()
                    return
        self._free += 1
