"""Webhook delivery: authenticated, retried with backoff, never blocking a crew.

The crew runner hands each event to `WebhookSender.send`, which only appends it to the
kickoff's queue and returns. One sender task per kickoff (started when the kickoff has
something to deliver, gone when its queue is empty) POSTs the events in order, so a receiver
sees a run's steps before its task event and its task events before the crew event, and a
slow or failing receiver delays only the kickoffs that point at it.

How a delivery is authenticated is its `Auth`: `Signed` (Standard Webhooks; every attempt of
one event carries the same `webhook-id`, which receivers deduplicate on, and a fresh
`webhook-timestamp` and signature), or the static `BearerAuth`/`BasicAuth` credential deployed
AMP sends (no signature, no `webhook-id`).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import uuid
from collections import deque
from dataclasses import dataclass, field

import httpx

from ..webhooks import sign
from ._stats import Counters

__all__ = ["Auth", "BasicAuth", "BearerAuth", "NoAuth", "Signed", "WebhookSender"]

logger = logging.getLogger("crewai_amp.testing")


@dataclass(frozen=True)
class Signed:
    """Standard Webhooks signatures with this `whsec_` secret."""

    secret: str = field(repr=False)

    def headers(self, body: bytes, msg_id: str) -> dict[str, str]:
        return sign(body, secret=self.secret, msg_id=msg_id)


@dataclass(frozen=True)
class BearerAuth:
    """`Authorization: Bearer <token>` on every delivery."""

    token: str = field(repr=False)

    def headers(self, body: bytes, msg_id: str) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"}


@dataclass(frozen=True)
class BasicAuth:
    """`Authorization: Basic ...` (RFC 7617, UTF-8) on every delivery."""

    username: str
    password: str = field(repr=False)

    def headers(self, body: bytes, msg_id: str) -> dict[str, str]:
        pair = f"{self.username}:{self.password}".encode()
        return {"authorization": f"Basic {base64.b64encode(pair).decode('ascii')}"}


@dataclass(frozen=True)
class NoAuth:
    """No credential: for a streaming or human-input webhook whose kickoff gave none."""

    def headers(self, body: bytes, msg_id: str) -> dict[str, str]:
        return {}


Auth = Signed | BearerAuth | BasicAuth | NoAuth


@dataclass
class _Event:
    url: str
    body: bytes
    msg_id: str
    auth: Auth


class WebhookSender:
    """Owned by the server's event loop: create it and call everything from there."""

    def __init__(
        self,
        *,
        counters: Counters,
        attempts: int = 5,
        backoff: float = 1.0,
        timeout: float = 10.0,
        hosts: frozenset[str] | None = None,
    ) -> None:
        self._hosts = hosts
        self._counters = counters
        self._attempts = max(1, attempts)
        self._backoff = max(0.0, backoff)
        self._timeout = timeout
        self._queues: dict[str, deque[_Event]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._client: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        return f"WebhookSender(attempts={self._attempts}, backoff={self._backoff}, pending={self.pending})"

    @property
    def pending(self) -> int:
        """Events queued or being delivered."""
        return sum(len(queue) for queue in self._queues.values()) + len(self._workers)

    def send(self, key: str, url: str, body: bytes, auth: Auth) -> None:
        """Queue `body` for `url` (in order with the other events of `key`, a kickoff id)."""
        if not _deliverable(url) or (self._hosts is not None and _host(url) not in self._hosts):
            self._counters.add("webhooks_skipped")
            return
        event = _Event(url=url, body=body, msg_id=f"msg_{uuid.uuid4().hex}", auth=auth)
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = deque()
        queue.append(event)
        if key not in self._workers:
            self._workers[key] = asyncio.get_running_loop().create_task(
                self._drain(key, queue), name=f"amp-emulator-webhooks-{key}"
            )

    async def _drain(self, key: str, queue: deque[_Event]) -> None:
        try:
            while queue:
                await self._deliver(queue[0])
                queue.popleft()
        finally:
            self._workers.pop(key, None)
            if not queue:
                self._queues.pop(key, None)

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=self._timeout,
                follow_redirects=False,
                trust_env=False,  # deliveries go where the kickoff said, never through a proxy
                limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
            )
        return self._client

    async def _deliver(self, event: _Event) -> None:
        for attempt in range(self._attempts):
            if attempt:
                await asyncio.sleep(self._backoff * 2 ** (attempt - 1))
            headers = event.auth.headers(event.body, event.msg_id)
            headers["content-type"] = "application/json"
            self._counters.add("webhook_attempts")
            try:
                response = await self._http().post(event.url, content=event.body, headers=headers)
            except httpx.HTTPError as exc:
                reason = type(exc).__name__
            else:
                if response.is_success:
                    self._counters.add("webhooks_delivered")
                    return
                reason = f"HTTP {response.status_code}"
            logger.debug(
                "webhook %s to %s failed (attempt %d): %s",
                event.msg_id,
                _redact(event.url),
                attempt + 1,
                reason,
            )
        self._counters.add("webhooks_failed")
        logger.warning(
            "webhook %s to %s given up after %d attempts", event.msg_id, _redact(event.url), self._attempts
        )

    async def aclose(self) -> None:
        """Stop delivering: cancel what is pending and close the HTTP client."""
        workers = list(self._workers.values())
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        self._queues.clear()
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def _deliverable(url: str) -> bool:
    """An absolute http(s) URL with a host: any other URI the spec allows cannot be POSTed to."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        return False
    return parsed.scheme in ("http", "https") and bool(parsed.host)


def _host(url: str) -> str | None:
    try:
        return httpx.URL(url).host
    except (httpx.InvalidURL, TypeError, ValueError):
        return None


def _redact(url: str) -> str:
    """The URL without credentials, query or fragment, which may carry a receiver's secret."""
    try:
        return str(httpx.URL(url).copy_with(userinfo=b"", query=None, fragment=None))
    except (httpx.InvalidURL, TypeError, ValueError):
        return "<unparseable url>"
