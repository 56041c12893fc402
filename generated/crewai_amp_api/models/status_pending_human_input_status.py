# Generated from specs/crewai-amp-rest-api.openapi.yml (sha256 c3e31149331e6fb7) by `python -m generator`.
# Do not edit: change the spec, an overlay or the generator config, then run `nox -s generate`.
from enum import Enum


class StatusPendingHumanInputStatus(str, Enum):
    PENDING_HUMAN_INPUT = "pending_human_input"

    def __str__(self) -> str:
        return str(self.value)
