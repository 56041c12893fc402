"""Where the repository's data is: the package under test is the installed wheel, so the repo
supplies only the specs (with their spec overlays) and the generator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
SPECS = REPO / "specs"
REST_SPEC = SPECS / "crewai-amp-rest-api.openapi.yml"
EVENTS_SPEC = SPECS / "crewai-amp-webhooks.asyncapi.yml"


def load_yaml(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text("utf-8"))
    return data
