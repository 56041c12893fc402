"""The frozen spec fixtures (tests/fixtures/specs/) and small helpers over spec files.

Pipeline, diff, changelog and evolution tests work on these copies, never on specs/: an upstream
update of specs/ must not change what those tests expect.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "specs"
V1 = FIXTURES / "v1"
REST_NAME = "crewai-amp-rest-api.openapi.yml"
EVENTS_NAME = "crewai-amp-webhooks.asyncapi.yml"
V1_REST = V1 / REST_NAME
V1_EVENTS = V1 / EVENTS_NAME
V1_OVERLAYS = V1 / "overlays"


def load_yaml(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text("utf-8"))
    return data


def dump_yaml(path: Path, data: dict[str, Any]) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")


def copy_specs(source: Path, target: Path) -> Path:
    """A specs tree (both specs and its overlays/) copied to ``target``, to patch freely."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "README.md"))
    return target
