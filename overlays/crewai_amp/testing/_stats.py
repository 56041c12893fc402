"""Counters the emulator keeps, and the snapshot tests read (`emulator.stats`)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ._faults import FAULT_KINDS, ROUTES

__all__ = ["Counters", "Stats"]


@dataclass(frozen=True)
class Stats:
    """A snapshot of what the emulator has seen and done.

    - `requests`: requests received per operation (`inputs`, `kickoff`, `status`, `resume`,
      and `other` for any other path), counted when they arrive, whatever the answer.
    - `responses`: answers sent, per HTTP status code (dropped connections are not answers).
    - `faults`: faults injected, per kind (`error`, `rate_limit`, `unavailable`, `drop`).
    - `kickoffs_received`: `POST /kickoff` requests received, whatever the answer: the number
      that proves a client sent no duplicate kickoff.
    - `kickoffs_started`: crews actually started.
    - `webhook_attempts` / `webhooks_delivered` / `webhooks_failed`: delivery attempts, events
      delivered (2xx), events given up on after the last attempt.
    - `webhooks_skipped`: events not sent because their URL's host is not in `webhook_hosts`,
      or because it is a URI the spec allows but no one can POST to (not http(s)).
    """

    requests: Mapping[str, int]
    responses: Mapping[int, int]
    faults: Mapping[str, int]
    kickoffs_received: int
    kickoffs_started: int
    webhook_attempts: int
    webhooks_delivered: int
    webhooks_failed: int
    webhooks_skipped: int


class Counters:
    """Mutated on the server's event loop, read from the test's thread: a lock keeps the
    snapshot consistent (and safe on free-threaded builds)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests = dict.fromkeys((*sorted(ROUTES), "other"), 0)
        self._responses: dict[int, int] = {}
        self._faults = dict.fromkeys(sorted(FAULT_KINDS), 0)
        self.kickoffs_received = 0
        self.kickoffs_started = 0
        self.webhook_attempts = 0
        self.webhooks_delivered = 0
        self.webhooks_failed = 0
        self.webhooks_skipped = 0

    def request(self, route: str, *, kickoff: bool) -> None:
        with self._lock:
            self._requests[route] += 1
            if kickoff:
                self.kickoffs_received += 1

    def response(self, status: int) -> None:
        with self._lock:
            self._responses[status] = self._responses.get(status, 0) + 1

    def fault(self, kind: str) -> None:
        with self._lock:
            self._faults[kind] += 1

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + amount)

    def snapshot(self) -> Stats:
        with self._lock:
            return Stats(
                requests=MappingProxyType(dict(self._requests)),
                responses=MappingProxyType(dict(self._responses)),
                faults=MappingProxyType(dict(self._faults)),
                kickoffs_received=self.kickoffs_received,
                kickoffs_started=self.kickoffs_started,
                webhook_attempts=self.webhook_attempts,
                webhooks_delivered=self.webhooks_delivered,
                webhooks_failed=self.webhooks_failed,
                webhooks_skipped=self.webhooks_skipped,
            )
