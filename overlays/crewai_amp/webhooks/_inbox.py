"""``RedisInbox``: webhook deliveries stored in a Redis stream before they are acknowledged, and
handled by workers (a consumer group) after. See ``_inbox_core`` for the layout and the scripts;
``_inbox_worker`` runs the workers."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import ConfigurationError
from ._dedupe import DEFAULT_TTL, redis_client
from ._handlers import EventHandlers, Handlers
from ._inbox_core import Call, DeadLetter, InboxConfig, InboxStats, stats_of, text
from ._inbox_scripts import SCRIPTS
from ._signing import DEFAULT_TOLERANCE

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["DeadLetter", "InboxStats", "RedisInbox"]

REPLAY_PAGE = 100


def _positive(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ConfigurationError(f"{name} must be a positive number of seconds")
    return float(value)


def _count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigurationError(f"{name} must be a positive integer")
    return value


def _name(name: str, value: object) -> str:
    if not isinstance(value, str) or not value or value != value.strip():
        raise ConfigurationError(f"{name} must be a non-empty string without whitespace around it")
    return value


def default_consumer() -> str:
    """A worker name unique to this process: host, pid and a random suffix."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def _derived(client: Any, asynchronous: bool) -> Any:
    """A client of the other kind (sync/async) on the same server, from a client's settings."""
    try:
        kwargs = dict(client.connection_pool.connection_kwargs)
        if asynchronous:
            import redis.asyncio as module
        else:
            import redis as module  # type: ignore[no-redef]
        kwargs.pop("retry", None)
        if "path" in kwargs:
            return module.Redis(unix_socket_path=kwargs.pop("path"), **kwargs)
        return module.Redis(**kwargs)
    except Exception:
        kind = "an async (redis.asyncio)" if asynchronous else "a sync (redis.Redis)"
        raise ConfigurationError(f"RedisInbox needs {kind} client here: give it a redis:// URL") from None


class RedisInbox:
    """A durable webhook inbox on Redis Streams (``redis`` extra).

    The receiver (``asgi_app(..., inbox=RedisInbox(url))``) verifies each delivery, stores it in
    the stream ``stream`` (once per delivery key, for ``ttl`` seconds), and answers 2xx only
    after Redis acknowledged the write. Workers (``work()``, or ``await awork()``, in as many
    processes as you like) read it through the consumer group ``group``, run the handler, and
    acknowledge it after success, recording the key as handled in the same atomic step, so a key
    is handled successfully once across all workers.

    A failure leaves the entry pending; it is retried after a backoff that doubles from
    ``backoff`` seconds. An entry whose worker died (SIGKILL, a lost machine) is taken over by
    another worker once idle for ``claim_after`` seconds (a worker renews the entries it is
    handling, so a slow handler keeps its entry). After ``max_attempts`` attempts an entry goes
    to the dead-letter stream with its last error: list it with ``dead()``, send it back with
    ``replay()``; ``stats()`` counts what is queued, pending, retrying and dead.

    ``url_or_client``: a ``redis://`` URL, or a ``redis.Redis`` / ``redis.asyncio.Redis`` client
    (the other kind is made from its settings when needed). ``put_timeout``: how long the
    receiver waits for Redis before answering 503. The repr never shows the URL.
    """

    def __init__(
        self,
        url_or_client: Any,
        *,
        stream: str = "crewai-amp:webhooks",
        group: str = "crewai-amp-workers",
        claim_after: float = 60.0,
        max_attempts: int = 5,
        backoff: float = 1.0,
        ttl: float = DEFAULT_TTL,
        tolerance: float = DEFAULT_TOLERANCE,
        put_timeout: float = 5.0,
        block: float = 1.0,
        batch: int = 10,
    ) -> None:
        ttl = _positive("ttl", ttl)
        if ttl < 2 * _positive("tolerance", tolerance):
            raise ConfigurationError(
                f"the inbox ttl ({ttl:g} s) must cover the replay window, twice the signature "
                f"tolerance ({2 * tolerance:g} s)"
            )
        self.config = InboxConfig(
            stream=_name("stream", stream),
            group=_name("group", group),
            claim_after=_positive("claim_after", claim_after),
            max_attempts=_count("max_attempts", max_attempts),
            backoff=_positive("backoff", backoff),
            ttl=ttl,
            block=_positive("block", block),
            batch=_count("batch", batch),
        )
        self.put_timeout = _positive("put_timeout", put_timeout)
        self._url = url_or_client if isinstance(url_or_client, str) else None
        self._sync: Any = None
        self._async: Any = None
        if self._url is None:
            try:
                import redis.asyncio
            except ImportError:
                redis_client(url_or_client, "RedisInbox", asynchronous=True)  # the extra's error
                raise
            if isinstance(url_or_client, redis.asyncio.Redis):
                self._async = url_or_client
            else:
                self._sync = redis_client(url_or_client, "RedisInbox", asynchronous=False)
        else:
            redis_client(self._url, "RedisInbox", asynchronous=True)  # checks the URL (connects lazily)
        self._scripts: dict[tuple[bool, str], Any] = {}

    @property
    def ttl(self) -> float:
        """Seconds a delivery key is remembered (stored once, handled once)."""
        return self.config.ttl

    @property
    def stream(self) -> str:
        return self.config.stream

    @property
    def group(self) -> str:
        return self.config.group

    def __repr__(self) -> str:
        c = self.config
        return (
            f"<RedisInbox stream={c.stream!r} group={c.group!r} claim_after={c.claim_after:g} "
            f"max_attempts={c.max_attempts}>"
        )

    # --- clients -----------------------------------------------------------------------------

    def _options(self) -> dict[str, Any]:
        # A blocking read waits up to `block`: the socket waits longer; connecting waits as long
        # as a receiver would.
        return {
            "socket_timeout": self.config.block + self.put_timeout + 5,
            "socket_connect_timeout": self.put_timeout,
        }

    def sync_client(self) -> Any:
        """The ``redis.Redis`` client the blocking calls use."""
        if self._sync is None:
            if self._url is not None:
                self._sync = redis_client(self._url, "RedisInbox", asynchronous=False, **self._options())
            else:
                self._sync = _derived(self._async, asynchronous=False)
        return self._sync

    def async_client(self) -> Any:
        """The ``redis.asyncio.Redis`` client the receiver and ``awork()`` use."""
        if self._async is None:
            if self._url is not None:
                self._async = redis_client(self._url, "RedisInbox", asynchronous=True, **self._options())
            else:
                self._async = _derived(self._sync, asynchronous=True)
        return self._async

    def _script(self, name: str, *, asynchronous: bool) -> Any:
        """One of the Lua scripts, registered on the client (EVALSHA, loaded on first use)."""
        found = self._scripts.get((asynchronous, name))
        if found is None:
            client = self.async_client() if asynchronous else self.sync_client()
            found = self._scripts[(asynchronous, name)] = client.register_script(SCRIPTS[name])
        return found

    def _call(self, call: Call) -> Any:
        """Run one Call on the sync client."""
        if call.method == "script":
            name, keys, argv = call.args
            return self._script(name, asynchronous=False)(keys=keys, args=argv)
        return getattr(self.sync_client(), call.method)(*call.args, **(call.kwargs or {}))

    async def _acall(self, call: Call) -> Any:
        """Run one Call on the async client."""
        if call.method == "script":
            name, keys, argv = call.args
            return await self._script(name, asynchronous=True)(keys=keys, args=argv)
        return await getattr(self.async_client(), call.method)(*call.args, **(call.kwargs or {}))

    # --- the receiver's side -----------------------------------------------------------------

    async def _aput(self, items: list[tuple[str, str, bytes]], meta: Mapping[str, str]) -> list[bool]:
        """Store (key, channel, body) entries in one atomic step; for each, whether it was new."""
        added = await self._acall(self.config.put_call(items, meta))
        return [bool(flag) for flag in added]

    # --- workers -------------------------------------------------------------------------------

    def work(
        self,
        *,
        consumer: str | None = None,
        stop: Any = None,
        **handlers: Unpack[EventHandlers],
    ) -> None:
        """Handle stored deliveries until ``stop`` is set (a `threading.Event`, or a callable
        returning True) or the process is interrupted. The handlers are those of `asgi_app`
        (an event without a handler is acknowledged and dropped); ``async def`` handlers run on
        a private event loop. ``consumer`` names this worker in the group (default: host, pid and
        a random suffix); give each worker its own name."""
        from ._inbox_worker import run_blocking

        run_blocking(
            self,
            Handlers("work()", handlers),
            _name("consumer", default_consumer() if consumer is None else consumer),
            stop,
        )

    async def awork(
        self,
        *,
        consumer: str | None = None,
        stop: Any = None,
        **handlers: Unpack[EventHandlers],
    ) -> None:
        """The async twin of [work][crewai_amp.webhooks.RedisInbox.work]: ``async def`` handlers
        run on this loop, others in a worker thread; ``stop`` may also be an `asyncio.Event`.
        Cancelling it stops the worker (an entry being handled stays pending and is retried)."""
        from ._inbox_worker import run_async

        await run_async(
            self,
            Handlers("awork()", handlers),
            _name("consumer", default_consumer() if consumer is None else consumer),
            stop,
        )

    # --- operations ----------------------------------------------------------------------------

    def _stats_calls(self) -> list[Call]:
        c = self.config
        return [
            Call("xlen", (c.stream,)),
            Call("xpending", (c.stream, c.group)),
            Call("hlen", (c.failures,)),
            Call("xlen", (c.dead,)),
        ]

    def stats(self) -> InboxStats:
        """How many deliveries are queued, pending, retrying and dead."""
        pipe = self.sync_client().pipeline(transaction=False)
        for call in self._stats_calls():
            getattr(pipe, call.method)(*call.args)
        return stats_of(*pipe.execute(raise_on_error=False))

    async def astats(self) -> InboxStats:
        """The async twin of [stats][crewai_amp.webhooks.RedisInbox.stats]."""
        pipe = self.async_client().pipeline(transaction=False)
        for call in self._stats_calls():
            getattr(pipe, call.method)(*call.args)
        return stats_of(*await pipe.execute(raise_on_error=False))

    def _dead_call(self, count: int) -> Call:
        return Call("xrange", (self.config.dead,), {"count": _count("count", count)})

    def dead(self, count: int = 100) -> list[DeadLetter]:
        """The oldest ``count`` dead letters, oldest first."""
        return [DeadLetter.of(i, f) for i, f in self._call(self._dead_call(count))]

    async def adead(self, count: int = 100) -> list[DeadLetter]:
        """The async twin of [dead][crewai_amp.webhooks.RedisInbox.dead]."""
        return [DeadLetter.of(i, f) for i, f in await self._acall(self._dead_call(count))]

    def _replay_call(self, ids: list[str]) -> Call:
        return Call("script", ("replay", [self.config.dead, self.config.stream], ids))

    def replay(self, ids: Iterable[str] | None = None) -> int:
        """Send dead letters back to the stream (all of them, or those ``ids``), each as a new
        entry with fresh attempts; returns how many went back."""
        if ids is not None:
            return int(self._call(self._replay_call([text(i) for i in ids])) or 0)
        moved = 0
        while page := [text(i) for i, _ in self._call(self._dead_call(REPLAY_PAGE))]:
            step = int(self._call(self._replay_call(page)) or 0)
            if not step:
                break
            moved += step
        return moved

    async def areplay(self, ids: Iterable[str] | None = None) -> int:
        """The async twin of [replay][crewai_amp.webhooks.RedisInbox.replay]."""
        if ids is not None:
            return int(await self._acall(self._replay_call([text(i) for i in ids])) or 0)
        moved = 0
        while page := [text(i) for i, _ in await self._acall(self._dead_call(REPLAY_PAGE))]:
            step = int(await self._acall(self._replay_call(page)) or 0)
            if not step:
                break
            moved += step
        return moved

    def close(self) -> None:
        """Close the sync connection pool this inbox opened."""
        if self._sync is not None:
            self._sync.close()

    async def aclose(self) -> None:
        """Close the async connection pool this inbox opened."""
        if self._async is not None:
            await self._async.aclose()
