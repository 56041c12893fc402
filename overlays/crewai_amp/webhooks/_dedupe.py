"""Dedupe stores: each delivery key handled at most once, while senders deliver at least once.

A store answers three calls (:class:`DedupeStore`): ``claim`` a key before handling it,
``complete`` it once handled, ``release`` it when handling failed (so the sender's retry is
handled). :class:`MemoryDedupe` serves one process; :class:`RedisDedupe` receivers on several
replicas sharing one Redis.

Keys stay ``ttl`` seconds after they were handled; the default (3 days and an hour) outlasts
the Standard Webhooks retry schedule (Svix retries for about 27 hours; others up to 3 days).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from ..errors import AmpError, ConfigurationError

__all__ = ["DEFAULT_TTL", "DedupeFull", "DedupeStore", "MemoryDedupe", "RedisDedupe"]

DEFAULT_TTL = 3 * 24 * 3600.0 + 3600.0
DEFAULT_PENDING_TTL = 120.0


class DedupeFull(AmpError):
    """The in-memory store is full of keys it must not forget yet: the receiver answers 503
    (the sender retries later) rather than reopen the replay window."""


@runtime_checkable
class DedupeStore(Protocol):
    """Where a receiver records which delivery keys are handled."""

    async def claim(self, key: str) -> bool | None:
        """True: handle ``key`` now, then call complete or release. False: it was handled
        already. None: another receiver is handling it right now (ask again later)."""
        ...

    async def complete(self, key: str) -> None:
        """``key`` was handled: answer False to every claim for ``ttl`` seconds."""
        ...

    async def release(self, key: str) -> None:
        """Handling ``key`` failed: the next claim gets it."""
        ...


def _positive(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ConfigurationError(f"{name} must be a positive number of seconds")
    return float(value)


# How long one claim waits on a concurrent delivery of the same key before answering "busy".
IN_FLIGHT_WAIT = 0.25


class MemoryDedupe:
    """Keys handled by this process. At most ``max_entries`` are kept; the oldest is forgotten
    to make room only once it is older than ``protect`` seconds (a receiver passes twice its
    signature tolerance: inside it a replayed signature still verifies). When every kept key is
    younger than that, a claim raises DedupeFull instead. A claim for a key being handled by a
    concurrent delivery waits for that outcome (handled: False; failed: True, handle it here).
    """

    def __init__(
        self,
        *,
        max_entries: int = 100_000,
        ttl: float = DEFAULT_TTL,
        protect: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries <= 0:
            raise ConfigurationError("max_entries must be a positive integer")
        ttl, protect = _positive("ttl", ttl), _positive("protect", protect)
        if ttl < protect:
            raise ConfigurationError(
                f"the dedupe ttl ({ttl:g} s) must cover the replay window ({protect:g} s)"
            )
        self.max_entries = max_entries
        self.ttl = ttl
        self.protect = protect
        self._clock = clock
        self._done: OrderedDict[str, float] = OrderedDict()  # key -> when handled, oldest first
        self._in_flight: dict[str, asyncio.Future[bool]] = {}

    def __repr__(self) -> str:
        return f"<MemoryDedupe entries={len(self._done)}/{self.max_entries} ttl={self.ttl:g} s>"

    def _expire(self, now: float) -> None:
        while self._done:
            oldest, stamp = next(iter(self._done.items()))
            if now - stamp <= self.ttl:
                return
            del self._done[oldest]

    def _handled(self, key: str) -> bool:
        now = self._clock()
        self._expire(now)
        return key in self._done

    async def claim(self, key: str) -> bool | None:
        while not self._handled(key):
            pending = self._in_flight.get(key)
            if pending is None:
                if len(self._done) >= self.max_entries:
                    oldest, stamp = next(iter(self._done.items()))
                    if self._clock() - stamp <= self.protect:
                        raise DedupeFull("the webhook dedupe store is full; retry later")
                    del self._done[oldest]
                self._in_flight[key] = asyncio.get_running_loop().create_future()
                return True
            try:  # a concurrent delivery of the same key: wait a moment for its outcome
                await asyncio.wait_for(asyncio.shield(pending), IN_FLIGHT_WAIT)
            except asyncio.TimeoutError:
                return None  # still being handled: the receiver asks again, up to its dedupe_wait
        return False

    def _finish(self, key: str, handled: bool) -> None:
        future = self._in_flight.pop(key, None)
        if handled:
            self._done[key] = self._clock()
            self._done.move_to_end(key)
        if future is not None and not future.done():
            future.set_result(handled)

    async def complete(self, key: str) -> None:
        self._finish(key, True)

    async def release(self, key: str) -> None:
        self._finish(key, False)


# Delete the key only if it still holds this claim's token: a claim whose pending expiry passed
# (and that another receiver took over) must not free the other's claim.
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class RedisDedupe:
    """Keys shared by every receiver using one Redis (``redis`` extra:
    ``pip install crewai-amp-client[redis]``).

    ``claim`` is one atomic ``SET key pending:<token> NX PX pending_ttl``: exactly one receiver
    wins; if it dies mid-handling the key frees itself after ``pending_ttl`` seconds, and the
    sender's retry is handled. ``complete`` stores ``done`` for ``ttl`` seconds; ``release``
    deletes the pending claim (only this claim's). Give a URL (``redis://host:6379/0``) or a
    ``redis.asyncio.Redis`` client; the repr never shows the URL (it may hold a password).
    """

    def __init__(
        self,
        url_or_client: Any,
        *,
        ttl: float = DEFAULT_TTL,
        pending_ttl: float = DEFAULT_PENDING_TTL,
        prefix: str = "crewai-amp:webhook:",
    ) -> None:
        try:
            import redis.asyncio as aioredis
        except ImportError:
            raise ConfigurationError(
                "RedisDedupe needs the redis package: pip install 'crewai-amp-client[redis]'"
            ) from None
        self.ttl = _positive("ttl", ttl)
        self.pending_ttl = _positive("pending_ttl", pending_ttl)
        if isinstance(url_or_client, str):
            try:
                self._redis: Any = aioredis.Redis.from_url(url_or_client)
            except ValueError:
                raise ConfigurationError("RedisDedupe: not a redis:// URL") from None
        elif hasattr(url_or_client, "set") and hasattr(url_or_client, "eval"):
            self._redis = url_or_client
        else:
            raise ConfigurationError("RedisDedupe needs a redis:// URL or a redis.asyncio.Redis client")
        self.prefix = prefix
        self._tokens: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"<RedisDedupe prefix={self.prefix!r} ttl={self.ttl:g}>"

    async def claim(self, key: str) -> bool | None:
        name = self.prefix + key
        token = f"pending:{uuid.uuid4().hex}"
        if await self._redis.set(name, token, nx=True, px=int(self.pending_ttl * 1000)):
            self._tokens[key] = token
            return True
        value = await self._redis.get(name)
        if value is None:  # the holder released or expired between the two calls
            return await self.claim(key)
        return False if value in (b"done", "done") else None  # a client may decode responses

    async def complete(self, key: str) -> None:
        self._tokens.pop(key, None)
        await self._redis.set(self.prefix + key, b"done", px=int(self.ttl * 1000))

    async def release(self, key: str) -> None:
        token = self._tokens.pop(key, None)
        if token is not None:
            await self._redis.eval(_RELEASE, 1, self.prefix + key, token)

    async def aclose(self) -> None:
        """Close the connection pool this store opened from a URL."""
        await self._redis.aclose()
