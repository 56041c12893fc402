# Generated from specs/crewai-amp-rest-api.openapi.yml (sha256 c3e31149331e6fb7) by `python -m generator`.
# Do not edit: change the spec, an overlay or the generator config, then run `nox -s generate`.
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.status_running_status import StatusRunningStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.status_running_progress import StatusRunningProgress


T = TypeVar("T", bound="StatusRunning")


@_attrs_define
class StatusRunning:
    status: StatusRunningStatus
    current_task: str | Unset = UNSET
    """ Name or id of the task currently executing. """
    progress: StatusRunningProgress | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        status = self.status.value

        current_task = self.current_task

        progress: dict[str, Any] | Unset = UNSET
        if not isinstance(self.progress, Unset):
            progress = self.progress.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "status": status,
            }
        )
        if current_task is not UNSET:
            field_dict["current_task"] = current_task
        if progress is not UNSET:
            field_dict["progress"] = progress

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.status_running_progress import StatusRunningProgress

        d = dict(src_dict)
        status = StatusRunningStatus(d.pop("status"))

        current_task = d.pop("current_task", UNSET)

        _progress = d.pop("progress", UNSET)
        progress: StatusRunningProgress | Unset
        if isinstance(_progress, Unset):
            progress = UNSET
        else:
            progress = StatusRunningProgress.from_dict(_progress)

        status_running = cls(
            status=status,
            current_task=current_task,
            progress=progress,
        )

        status_running.additional_properties = d
        return status_running

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
