# Generated from specs/crewai-amp-rest-api.openapi.yml (sha256 c3e31149331e6fb7) by `python -m generator`.
# Do not edit: change the spec, an overlay or the generator config, then run `nox -s generate`.
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.resume_response_status import ResumeResponseStatus
from ..types import UNSET, Unset

T = TypeVar("T", bound="ResumeResponse")


@_attrs_define
class ResumeResponse:
    status: ResumeResponseStatus | Unset = UNSET
    message: str | Unset = UNSET
    kickoff_id: str | Unset = UNSET
    """ The kickoff id of the run the resume started (live deployments answer with it). """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        status: str | Unset = UNSET
        if not isinstance(self.status, Unset):
            status = self.status.value

        message = self.message

        kickoff_id = self.kickoff_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if status is not UNSET:
            field_dict["status"] = status
        if message is not UNSET:
            field_dict["message"] = message
        if kickoff_id is not UNSET:
            field_dict["kickoff_id"] = kickoff_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        _status = d.pop("status", UNSET)
        status: ResumeResponseStatus | Unset
        if isinstance(_status, Unset):
            status = UNSET
        else:
            status = ResumeResponseStatus(_status)

        message = d.pop("message", UNSET)

        kickoff_id = d.pop("kickoff_id", UNSET)

        resume_response = cls(
            status=status,
            message=message,
            kickoff_id=kickoff_id,
        )

        resume_response.additional_properties = d
        return resume_response

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
