"""Shared fixtures. The package under test is the installed wheel; the repo supplies only data
(specs/ with its spec overlays) and the generator, which tests run as a subprocess, as a
maintainer would. Helpers shared between test folders live in the `support` package."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from support.paths import EVENTS_SPEC, REST_SPEC, load_yaml

if TYPE_CHECKING:
    from support.tracing import Spans


@pytest.fixture(scope="session")
def rest_spec() -> dict[str, Any]:
    return load_yaml(REST_SPEC)


@pytest.fixture(scope="session")
def events_spec() -> dict[str, Any]:
    return load_yaml(EVENTS_SPEC)


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> Iterator[Spans]:
    """An OpenTelemetry SDK recording this test's spans in memory (see support.tracing)."""
    from support.tracing import installed

    with installed(monkeypatch) as recorded:
        yield recorded
