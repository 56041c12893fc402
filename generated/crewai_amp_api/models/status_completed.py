# Generated from specs/crewai-amp-rest-api.openapi.yml (sha256 c3e31149331e6fb7) by `python -m generator`.
# Do not edit: change the spec, an overlay or the generator config, then run `nox -s generate`.
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.status_completed_status import StatusCompletedStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.status_completed_result import StatusCompletedResult


T = TypeVar("T", bound="StatusCompleted")


@_attrs_define
class StatusCompleted:
    status: StatusCompletedStatus
    result: StatusCompletedResult | Unset = UNSET
    execution_time: float | Unset = UNSET
    """ Total execution time in seconds. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        status = self.status.value

        result: dict[str, Any] | Unset = UNSET
        if not isinstance(self.result, Unset):
            result = self.result.to_dict()

        execution_time = self.execution_time

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "status": status,
            }
        )
        if result is not UNSET:
            field_dict["result"] = result
        if execution_time is not UNSET:
            field_dict["execution_time"] = execution_time

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.status_completed_result import StatusCompletedResult

        d = dict(src_dict)
        status = StatusCompletedStatus(d.pop("status"))

        _result = d.pop("result", UNSET)
        result: StatusCompletedResult | Unset
        if isinstance(_result, Unset):
            result = UNSET
        else:
            result = StatusCompletedResult.from_dict(_result)

        execution_time = d.pop("execution_time", UNSET)

        status_completed = cls(
            status=status,
            result=result,
            execution_time=execution_time,
        )

        status_completed.additional_properties = d
        return status_completed

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
