"""The two drivers of the inbox worker loop (``_inbox_core.worker_loop``): blocking, with a
heartbeat thread renewing the entry being handled, and asyncio, with a heartbeat task. Each
runs the loop's effects and nothing else."""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import ConfigurationError
from ._handlers import Handlers, call_async, call_sync
from ._inbox_core import Call, Handle, Pause, Read, describe, logger, worker_loop

if TYPE_CHECKING:
    from ._inbox import RedisInbox

__all__ = ["run_async", "run_blocking"]


def _stopper(stop: Any) -> Callable[[], bool]:
    if stop is None:
        return lambda: False
    if hasattr(stop, "is_set"):
        return lambda: bool(stop.is_set())
    if callable(stop):
        return lambda: bool(stop())
    raise ConfigurationError(
        "stop must be an Event (threading or asyncio) or a callable returning True to stop"
    )


class _Heartbeat:
    """One thread per blocking worker: while a handler runs, it renews its entry every
    ``every`` seconds (so no other worker takes it over)."""

    def __init__(self, inbox: RedisInbox) -> None:
        self._inbox = inbox
        self._changed = threading.Condition()
        self._current: Handle | None = None
        self._closed = False
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        with self._changed:
            while not self._closed:
                current = self._current
                if current is None:
                    self._changed.wait()
                    continue
                self._changed.wait(current.every)
                if self._current is current and not self._closed:
                    try:
                        self._inbox._call(current.renew)
                    except Exception as exc:
                        logger.warning("webhook inbox: could not renew an entry: %s", describe(exc))

    def run(self, effect: Handle) -> BaseException | None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="crewai-amp-inbox-heartbeat", daemon=True)
            self._thread.start()
        with self._changed:
            self._current = effect
            self._changed.notify()
        try:
            with effect.handling() as handling:
                try:
                    call_sync(effect.handler, effect.event)
                except Exception as exc:
                    handling.done(exc)
                    return exc
            return None
        finally:
            with self._changed:
                self._current = None
                self._changed.notify()

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify()


def _pause(stopped: Callable[[], bool], stop: Any, seconds: float) -> None:
    if isinstance(stop, threading.Event):
        stop.wait(seconds)
        return
    deadline = time.monotonic() + seconds
    while not stopped() and (left := deadline - time.monotonic()) > 0:
        time.sleep(min(left, 0.1))


def run_blocking(inbox: RedisInbox, handlers: Handlers, consumer: str, stop: Any) -> None:
    stopped = _stopper(stop)
    loop = worker_loop(inbox.config, consumer, handlers)
    heartbeat = _Heartbeat(inbox)
    try:
        effect = next(loop)
        while True:
            result: Any = None
            if isinstance(effect, Handle):
                result = heartbeat.run(effect)
            elif isinstance(effect, Pause):
                _pause(stopped, stop, effect.seconds)
                if stopped():
                    return
            elif isinstance(effect, Call):
                if isinstance(effect, Read) and stopped():
                    return
                try:
                    result = inbox._call(effect)
                except Exception as exc:
                    effect = loop.throw(exc)
                    continue
            effect = loop.send(result)
    finally:
        loop.close()
        heartbeat.close()


async def _handle(inbox: RedisInbox, effect: Handle) -> BaseException | None:
    with effect.handling() as handling:
        running = asyncio.ensure_future(call_async(effect.handler, effect.event))
        try:
            while not (await asyncio.wait({running}, timeout=effect.every))[0]:
                try:
                    await inbox._acall(effect.renew)
                except Exception as exc:
                    logger.warning("webhook inbox: could not renew an entry: %s", describe(exc))
        finally:
            if not running.done():
                running.cancel()
        error = running.exception()
        if error is not None and not isinstance(error, Exception):
            raise error  # KeyboardInterrupt, SystemExit: not the handler's failure to record
        handling.done(error)
    return error


async def _apause(stopped: Callable[[], bool], seconds: float) -> None:
    steps = max(1, math.ceil(seconds / 0.1))
    for _ in range(steps):  # a stop is seen within 0.1 s
        if stopped():
            return
        await asyncio.sleep(seconds / steps)


async def run_async(inbox: RedisInbox, handlers: Handlers, consumer: str, stop: Any) -> None:
    stopped = _stopper(stop)
    loop = worker_loop(inbox.config, consumer, handlers)
    try:
        effect = next(loop)
        while True:
            result: Any = None
            if isinstance(effect, Handle):
                result = await _handle(inbox, effect)
            elif isinstance(effect, Pause):
                await _apause(stopped, effect.seconds)
                if stopped():
                    return
            elif isinstance(effect, Call):
                if isinstance(effect, Read) and stopped():
                    return
                try:
                    result = await inbox._acall(effect)
                except Exception as exc:
                    effect = loop.throw(exc)
                    continue
            effect = loop.send(result)
    finally:
        loop.close()
