# Generated from specs/crewai-amp-rest-api.openapi.yml (sha256 c3e31149331e6fb7) by `python -m generator`.
# Do not edit: change the spec, an overlay or the generator config, then run `nox -s generate`.
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.status_pending_human_input_status import StatusPendingHumanInputStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.status_pending_human_input_progress import (
        StatusPendingHumanInputProgress,
    )


T = TypeVar("T", bound="StatusPendingHumanInput")


@_attrs_define
class StatusPendingHumanInput:
    status: StatusPendingHumanInputStatus
    task_id: str | Unset = UNSET
    """ The task awaiting human feedback (the `task_id` to pass to POST /resume). """
    current_task: str | Unset = UNSET
    """ Name or id of the task awaiting review. """
    progress: StatusPendingHumanInputProgress | Unset = UNSET
    message: str | Unset = UNSET
    """ What the crew asks the reviewer. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        status = self.status.value

        task_id = self.task_id

        current_task = self.current_task

        progress: dict[str, Any] | Unset = UNSET
        if not isinstance(self.progress, Unset):
            progress = self.progress.to_dict()

        message = self.message

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "status": status,
            }
        )
        if task_id is not UNSET:
            field_dict["task_id"] = task_id
        if current_task is not UNSET:
            field_dict["current_task"] = current_task
        if progress is not UNSET:
            field_dict["progress"] = progress
        if message is not UNSET:
            field_dict["message"] = message

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.status_pending_human_input_progress import (
            StatusPendingHumanInputProgress,
        )

        d = dict(src_dict)
        status = StatusPendingHumanInputStatus(d.pop("status"))

        task_id = d.pop("task_id", UNSET)

        current_task = d.pop("current_task", UNSET)

        _progress = d.pop("progress", UNSET)
        progress: StatusPendingHumanInputProgress | Unset
        if isinstance(_progress, Unset):
            progress = UNSET
        else:
            progress = StatusPendingHumanInputProgress.from_dict(_progress)

        message = d.pop("message", UNSET)

        status_pending_human_input = cls(
            status=status,
            task_id=task_id,
            current_task=current_task,
            progress=progress,
            message=message,
        )

        status_pending_human_input.additional_properties = d
        return status_pending_human_input

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
