# Generated from specs/crewai-amp-rest-api.openapi.yml (sha256 c3e31149331e6fb7) by `python -m generator`.
# Do not edit: change the spec, an overlay or the generator config, then run `nox -s generate`.
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="StatusPendingHumanInputProgress")


@_attrs_define
class StatusPendingHumanInputProgress:
    completed_tasks: int | Unset = UNSET
    total_tasks: int | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        completed_tasks = self.completed_tasks

        total_tasks = self.total_tasks

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if completed_tasks is not UNSET:
            field_dict["completed_tasks"] = completed_tasks
        if total_tasks is not UNSET:
            field_dict["total_tasks"] = total_tasks

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        completed_tasks = d.pop("completed_tasks", UNSET)

        total_tasks = d.pop("total_tasks", UNSET)

        status_pending_human_input_progress = cls(
            completed_tasks=completed_tasks,
            total_tasks=total_tasks,
        )

        status_pending_human_input_progress.additional_properties = d
        return status_pending_human_input_progress

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
