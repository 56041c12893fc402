"""Shared fixtures. The package under test is the installed wheel; the repo supplies only data
(specs/ with its spec overlays) and the generator, which tests run as a subprocess, as a maintainer would."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
SPECS = REPO / "specs"
REST_SPEC = SPECS / "crewai-amp-rest-api.openapi.yml"
EVENTS_SPEC = SPECS / "crewai-amp-webhooks.asyncapi.yml"


def load_yaml(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text("utf-8"))
    return data


@pytest.fixture(scope="session")
def rest_spec() -> dict[str, Any]:
    return load_yaml(REST_SPEC)


@pytest.fixture(scope="session")
def events_spec() -> dict[str, Any]:
    return load_yaml(EVENTS_SPEC)
