"""What every release command shares: the repository's paths, the project name and the one error
type a refusal raises."""

from __future__ import annotations

import sys

from ..pipeline import EVENTS_SPEC, REPO, REST_SPEC, SPEC_OVERLAYS, SPECS

__all__ = [
    "CHANGELOG",
    "GENERATED",
    "HANDWRITTEN",
    "LABELS",
    "OVERLAYS",
    "PROJECT",
    "REPO",
    "SPECS",
    "SPEC_FILES",
    "VERSION_FILE",
    "ReleaseError",
    "log",
]

OVERLAYS = SPEC_OVERLAYS
GENERATED = REPO / "generated"
# The hand-written package that ships with the generated ones.
HANDWRITTEN = REPO / "overlays" / "crewai_amp"
VERSION_FILE = HANDWRITTEN / "_version.py"
CHANGELOG = REPO / "CHANGELOG.md"
SPEC_FILES = {"openapi": REST_SPEC, "asyncapi": EVENTS_SPEC}
LABELS = {"openapi": "REST API", "asyncapi": "Webhooks"}
PROJECT = "crewai-amp-client"


class ReleaseError(Exception):
    """A release step refused or failed; the message says why and what to do."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
