"""Shared by the emulator, webhook-delivery and CLI end-to-end tests: the default crew's inputs,
a time scale that runs it in well under a second, and a bounded wait for a condition."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

SCALE = 0.01  # the default crew (~13 s at scale 1.0) in ~0.13 s
INPUTS = {"topic": "AI", "target_audience": "devs", "depth": "short"}


def wait_for(predicate: Callable[[], T | None], *, timeout: float = 10.0, what: str = "condition") -> T:
    """Poll until `predicate` returns something truthy; a bounded loop, never a timing check."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.005)
