"""What `status()` returns: the generated models, plus StatusUnknown for states the spec lacks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeAlias

from crewai_amp_api.models import (
    KickoffResponse,
    ResumeResponse,
    StatusCompleted,
    StatusCompletedStatus,
    StatusError,
    StatusErrorStatus,
    StatusRunning,
    StatusRunningStatus,
)

__all__ = [
    "KNOWN_STATUSES",
    "KickoffResponse",
    "ResumeResponse",
    "Status",
    "StatusCompleted",
    "StatusError",
    "StatusRunning",
    "StatusUnknown",
]

# Derived from the generated enums, so a regenerated spec with a new variant flows through.
KNOWN_STATUSES = frozenset(
    member.value
    for enum in (StatusRunningStatus, StatusCompletedStatus, StatusErrorStatus)
    for member in enum
)


@dataclass(frozen=True)
class StatusUnknown:
    """A status AMP sent that this SDK's spec does not know (e.g. a new review state).

    ``status`` is the value AMP sent; ``raw`` the whole body, nothing dropped.
    """

    status: str
    raw: dict[str, Any] = field(compare=False)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.raw)


Status: TypeAlias = StatusRunning | StatusCompleted | StatusError | StatusUnknown


def status_value(status: Status) -> str:
    value = status.status
    return value if isinstance(value, str) else str(value.value)
