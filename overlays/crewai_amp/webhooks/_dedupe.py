"""Dedupe stores: each delivery key handled at most once, while senders deliver at least once.

A store answers four calls ([DedupeStore][crewai_amp.webhooks.DedupeStore]): ``claim`` a key before
handling it (a token: handle it now; False: handled already; None: being handled elsewhere),
``renew`` the claim while its handler runs, ``complete`` it once handled, ``release`` it when
handling failed (so the sender's retry is handled). Each claim has its own token, so a late
``release`` never frees a claim another request holds.
[MemoryDedupe][crewai_amp.webhooks.MemoryDedupe] serves one process;
[RedisDedupe][crewai_amp.webhooks.RedisDedupe] receivers on several replicas sharing one Redis. For
nothing to be lost when a handler or a replica fails, use the Redis inbox instead (handlers then run
after the delivery is stored).

Keys stay ``ttl`` seconds after they were handled; the default (3 days and an hour) outlasts
the Standard Webhooks retry schedule (Svix retries for about 27 hours; others up to 3 days). A
ttl shorter than twice the signature tolerance is refused: a signed delivery verifies for
``tolerance`` seconds either side of its timestamp, and a replay inside that window must be
recognised.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from ..errors import AmpError, ConfigurationError
from ._signing import DEFAULT_TOLERANCE

__all__ = ["DEFAULT_LEASE", "DEFAULT_TTL", "DedupeFull", "DedupeStore", "MemoryDedupe", "RedisDedupe"]

DEFAULT_TTL = 3 * 24 * 3600.0 + 3600.0
DEFAULT_LEASE = 10.0


class DedupeFull(AmpError):
    """The in-memory store is full of signed ids that could still be replayed: the receiver
    answers 503 (the sender retries later) rather than handle a replay twice."""


@runtime_checkable
class DedupeStore(Protocol):
    """Where a receiver records which delivery keys are handled."""

    async def claim(self, key: str, *, replay_until: float | None = None) -> str | bool | None:
        """A token (a non-empty str): handle ``key`` now, then ``complete`` or ``release`` it with
        that token. False: it was handled already. None: another request is handling it right
        now (ask again later). ``replay_until``: for a signed delivery, the Unix time after which
        a replay of it no longer verifies (a store may forget the key sooner only after that)."""
        ...

    async def renew(self, key: str, token: str) -> bool:
        """Extend the claim while its handler runs; False if the claim was lost."""
        ...

    async def complete(self, key: str, token: str) -> None:
        """``key`` was handled: answer False to every claim for ``ttl`` seconds."""
        ...

    async def release(self, key: str, token: str) -> None:
        """Handling failed: the next claim gets ``key``, unless this claim is no longer the
        key's (then nothing changes)."""
        ...


def _positive(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ConfigurationError(f"{name} must be a positive number of seconds")
    return float(value)


def _covering(ttl: object, tolerance: object) -> tuple[float, float]:
    ttl, tolerance = _positive("ttl", ttl), _positive("tolerance", tolerance)
    if ttl < 2 * tolerance:
        raise ConfigurationError(
            f"the dedupe ttl ({ttl:g} s) must cover the replay window, twice the signature "
            f"tolerance ({2 * tolerance:g} s)"
        )
    return ttl, tolerance


def new_token() -> str:
    return uuid.uuid4().hex


# How long one claim waits on a concurrent delivery of the same key before answering "busy".
IN_FLIGHT_WAIT = 0.25


class MemoryDedupe:
    """Keys handled by this process, at most ``max_entries`` (each kept ``ttl`` seconds).

    When full, room is made without ever refusing all traffic: first signed ids whose replay
    window has passed are dropped (a replay of them no longer verifies), then the oldest key of a
    delivery without a signed timestamp is evicted (nothing can protect those beyond the
    store's size). When every kept key is a signed id that could still be replayed, a delivery
    without a signature evicts the oldest of them, and a signed one is refused with DedupeFull
    (the receiver answers 503; its sender retries). A claim for a key being handled by a
    concurrent delivery waits for that outcome (handled: False; failed: a token, handle it here).
    """

    lease = None  # claims live as long as this process: nothing to renew

    def __init__(
        self,
        *,
        max_entries: int = 100_000,
        ttl: float = DEFAULT_TTL,
        tolerance: float = DEFAULT_TOLERANCE,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        if isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries <= 0:
            raise ConfigurationError("max_entries must be a positive integer")
        self.ttl, self.tolerance = _covering(ttl, tolerance)
        self.max_entries = max_entries
        self._clock = clock
        self._wall = wall
        self._open: OrderedDict[str, float] = OrderedDict()  # key -> when handled, oldest first
        self._signed: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (handled, replay_until)
        self._in_flight: dict[str, tuple[str, float | None, asyncio.Future[bool]]] = {}
        self._stale_after = float("inf")  # no signed id can be dropped before this Unix time

    def __repr__(self) -> str:
        return f"<MemoryDedupe entries={len(self)}/{self.max_entries} ttl={self.ttl:g} s>"

    def __len__(self) -> int:
        return len(self._open) + len(self._signed)

    def _expire(self) -> None:
        now = self._clock()
        while self._open and now - next(iter(self._open.values())) > self.ttl:
            self._open.popitem(last=False)
        while self._signed and now - next(iter(self._signed.values()))[0] > self.ttl:
            self._signed.popitem(last=False)

    def _make_room(self, signed: bool) -> None:
        if len(self) < self.max_entries:
            return
        wall = self._wall()
        if wall > self._stale_after:  # the replay window of some signed id has passed: drop them all
            soonest = float("inf")
            for key, (_, until) in list(self._signed.items()):
                if until < wall:
                    del self._signed[key]
                else:
                    soonest = min(soonest, until)
            self._stale_after = soonest
        while len(self) >= self.max_entries and self._open:
            self._open.popitem(last=False)
        if len(self) < self.max_entries:
            return
        if signed:  # it could be a replay of one of them: refuse rather than forget one
            raise DedupeFull("the webhook dedupe store is full of fresh signed ids; retry later")
        while len(self) >= self.max_entries:  # a delivery without a signature is never refused
            self._signed.popitem(last=False)

    def _handled(self, key: str) -> bool:
        self._expire()
        return key in self._open or key in self._signed

    async def claim(self, key: str, *, replay_until: float | None = None) -> str | bool | None:
        while not self._handled(key):
            pending = self._in_flight.get(key)
            if pending is None:
                self._make_room(signed=replay_until is not None)
                token = new_token()
                self._in_flight[key] = (token, replay_until, asyncio.get_running_loop().create_future())
                return token
            try:  # a concurrent delivery of the same key: wait a moment for its outcome
                await asyncio.wait_for(asyncio.shield(pending[2]), IN_FLIGHT_WAIT)
            except asyncio.TimeoutError:
                return None  # still being handled: the receiver asks again, up to its dedupe_wait
        return False

    async def renew(self, key: str, token: str) -> bool:
        pending = self._in_flight.get(key)
        return pending is not None and pending[0] == token

    def _finish(self, key: str, token: str, handled: bool) -> None:
        pending = self._in_flight.get(key)
        mine = pending is not None and pending[0] == token
        if handled:
            replay_until = pending[1] if mine and pending is not None else None
            self._open.pop(key, None)
            self._signed.pop(key, None)
            if replay_until is None:
                self._open[key] = self._clock()
            else:
                self._signed[key] = (self._clock(), replay_until)
                self._stale_after = min(self._stale_after, replay_until)
        if mine and pending is not None:
            del self._in_flight[key]
            if not pending[2].done():
                pending[2].set_result(handled)

    async def complete(self, key: str, token: str) -> None:
        self._finish(key, token, True)

    async def release(self, key: str, token: str) -> None:
        self._finish(key, token, False)


# Renew or release only while the key still holds this claim's token: a claim whose lease passed
# (and that another receiver took over) must not touch the other's claim.
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
PENDING = "pending:"
DONE = "done"


def redis_client(url_or_client: Any, owner: str, *, asynchronous: bool, **options: Any) -> Any:
    """A redis client from a ``redis://`` URL, or the client given; ConfigurationError otherwise.
    ``options`` (timeouts) apply to a client made from a URL."""
    try:
        if asynchronous:
            import redis.asyncio as module
        else:
            import redis as module  # type: ignore[no-redef]
    except ImportError:
        raise ConfigurationError(
            f"{owner} needs the redis package: pip install 'crewai-amp-client[redis]'"
        ) from None
    if isinstance(url_or_client, str):
        try:
            return module.Redis.from_url(url_or_client, **options)
        except ValueError:
            raise ConfigurationError(f"{owner}: not a redis:// URL") from None
    if hasattr(url_or_client, "set") and hasattr(url_or_client, "eval"):
        return url_or_client
    kind = "redis.asyncio.Redis" if asynchronous else "redis.Redis"
    raise ConfigurationError(f"{owner} needs a redis:// URL or a {kind} client")


class RedisDedupe:
    """Keys shared by every receiver using one Redis (the ``redis`` extra).

    ``claim`` is one atomic ``SET key pending:<token> NX PX lease``: exactly one receiver wins.
    The claim is a lease: the receiver renews it while the handler runs, so a slow handler keeps
    it, and a receiver that dies (or a claim whose write timed out but landed later) blocks the
    key for at most ``lease`` seconds. ``complete`` stores ``done`` for ``ttl`` seconds;
    ``release`` deletes the claim, only if it is still this token's. Give a URL
    (``redis://host:6379/0``) or a ``redis.asyncio.Redis`` client; the repr never shows the URL
    (it may hold a password).
    """

    def __init__(
        self,
        url_or_client: Any,
        *,
        ttl: float = DEFAULT_TTL,
        lease: float = DEFAULT_LEASE,
        tolerance: float = DEFAULT_TOLERANCE,
        prefix: str = "crewai-amp:webhook:",
    ) -> None:
        self.ttl, self.tolerance = _covering(ttl, tolerance)
        self.lease = _positive("lease", lease)
        self._redis: Any = redis_client(url_or_client, "RedisDedupe", asynchronous=True)
        self.prefix = prefix

    def __repr__(self) -> str:
        return f"<RedisDedupe prefix={self.prefix!r} ttl={self.ttl:g} lease={self.lease:g}>"

    async def claim(self, key: str, *, replay_until: float | None = None) -> str | bool | None:
        name = self.prefix + key
        for _ in range(3):
            token = new_token()
            if await self._redis.set(name, PENDING + token, nx=True, px=int(self.lease * 1000)):
                return token
            value = await self._redis.get(name)
            if value is not None:  # a client may decode responses
                return False if value in (DONE.encode(), DONE) else None
            # the holder released or its lease lapsed between the two calls: try again
        return None

    async def renew(self, key: str, token: str) -> bool:
        renewed = await self._redis.eval(
            _RENEW, 1, self.prefix + key, PENDING + token, int(self.lease * 1000)
        )
        return bool(renewed)

    async def complete(self, key: str, token: str) -> None:
        await self._redis.set(self.prefix + key, DONE, px=int(self.ttl * 1000))

    async def release(self, key: str, token: str) -> None:
        await self._redis.eval(_RELEASE, 1, self.prefix + key, PENDING + token)

    async def aclose(self) -> None:
        """Close the connection pool this store opened from a URL."""
        await self._redis.aclose()
