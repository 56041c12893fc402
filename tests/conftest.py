"""Shared fixtures. The package under test is the installed wheel; the repo supplies only data
(specs/ with its spec overlays) and the generator, which tests run as a subprocess, as a
maintainer would. Helpers shared between test folders live in the `support` package."""

from __future__ import annotations

from typing import Any

import pytest
from support.paths import EVENTS_SPEC, REST_SPEC, load_yaml


@pytest.fixture(scope="session")
def rest_spec() -> dict[str, Any]:
    return load_yaml(REST_SPEC)


@pytest.fixture(scope="session")
def events_spec() -> dict[str, Any]:
    return load_yaml(EVENTS_SPEC)
