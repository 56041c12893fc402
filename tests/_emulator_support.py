"""Shared by the emulator, webhook-delivery and CLI end-to-end tests: the default crew's inputs,
a time scale that runs it in well under a second, a bounded wait for a condition, and the
helpers that parametrize an `emulator` fixture and talk to it over plain HTTP."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
import pytest

if TYPE_CHECKING:
    from crewai_amp.testing import AmpEmulator

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


def with_options(**options: Any) -> pytest.MarkDecorator:
    """Parametrize the test module's `emulator` fixture with AmpEmulator arguments."""
    return pytest.mark.parametrize("emulator", [options], indirect=True, ids=[""])


def client_for(emulator: AmpEmulator) -> httpx.Client:
    """A plain HTTP client for `emulator`, with its bearer token."""
    return httpx.Client(
        base_url=emulator.base_url,
        headers={"Authorization": f"Bearer {emulator.token}"},
        timeout=10,
        trust_env=False,
    )
