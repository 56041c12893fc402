"""What the client returns: the generated response models, plus StatusUnknown for a status the
spec does not know.

``GET /status/{kickoff_id}`` answers one of several shapes, told apart by ``status`` (the spec's
discriminator). The variants and their ``status`` values are read from the generated code — the
union the generated ``_parse_response`` returns and each variant's generated enum — so a new
variant in a regenerated spec is dispatched with no edit here.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import attrs
from crewai_amp_api.api.status import get_kickoff_status
from crewai_amp_api.models import (
    KickoffResponse,
    ResumeResponse,
    StatusCompleted,
    StatusError,
    StatusRunning,
)

from ._models import ModelError, enum_field, json_kind, load

__all__ = [
    "KickoffResponse",
    "ResumeResponse",
    "Status",
    "StatusCompleted",
    "StatusError",
    "StatusRunning",
    "StatusUnknown",
    "parse_status",
    "status_value",
]

DISCRIMINATOR = "status"


@dataclass(frozen=True, slots=True)
class StatusUnknown:
    """A status AMP sent that this version of the spec does not know (e.g. a new review state).

    ``status`` is the value AMP sent; ``raw`` the whole body as received, nothing dropped. Like
    the generated models it answers ``to_dict()``, ``additional_properties`` and
    ``status["field"]``.
    """

    status: str
    raw: dict[str, Any] = field(compare=False)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.raw)

    @property
    def additional_properties(self) -> dict[str, Any]:
        """Every field but ``status``."""
        return {k: v for k, v in self.raw.items() if k != DISCRIMINATOR}

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties)

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __contains__(self, key: object) -> bool:
        return key != DISCRIMINATOR and key in self.raw


Status: TypeAlias = StatusRunning | StatusCompleted | StatusError | StatusUnknown


def _variants() -> dict[str, type[Any]]:
    """``status`` value -> generated model, from the generated operation's return annotation."""
    returned = typing.get_type_hints(get_kickoff_status._parse_response)["return"]
    table: dict[str, type[Any]] = {}
    for model in typing.get_args(returned):
        enum_type = enum_field(model, DISCRIMINATOR) if attrs.has(model) else None
        for member in enum_type or ():
            table[member.value] = model
    return table


VARIANTS: Mapping[str, type[Any]] = _variants()


def parse_status(data: object) -> Status:
    """A status body as its generated model, or StatusUnknown for a status string the spec does
    not list. Anything else (not an object, no string ``status``, a known status whose fields
    do not fit) raises ModelError."""
    if not isinstance(data, dict):
        raise ModelError(f"expected a JSON object, got {json_kind(data)}")
    value = data.get(DISCRIMINATOR)
    if not isinstance(value, str):
        got = json_kind(value) if DISCRIMINATOR in data else "nothing (the field is required)"
        raise ModelError(f"{DISCRIMINATOR}: expected a string, got {got}")
    model = VARIANTS.get(value)
    if model is None:
        return StatusUnknown(status=value, raw=data)
    parsed: Status = load(model, data)
    return parsed


def status_value(status: object) -> str:
    """The status as a plain string, whichever model carries it."""
    value = getattr(status, DISCRIMINATOR, None)
    return str(getattr(value, "value", value))
