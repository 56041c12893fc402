# Generated from specs/crewai-amp-rest-api.openapi.yml (sha256 c3e31149331e6fb7) by `python -m generator`.
# Do not edit: change the spec, an overlay or the generator config, then run `nox -s generate`.
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.observed_inputs_response_inputs import ObservedInputsResponseInputs


T = TypeVar("T", bound="ObservedInputsResponse")


@_attrs_define
class ObservedInputsResponse:
    """The inputs body deployed AMP crews are observed to send instead of InputsResponse."""

    inputs: ObservedInputsResponseInputs
    """ Input name -> what the crew says of it (its type, e.g. "str"); the names are the keys. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        inputs = self.inputs.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "inputs": inputs,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.observed_inputs_response_inputs import (
            ObservedInputsResponseInputs,
        )

        d = dict(src_dict)
        inputs = ObservedInputsResponseInputs.from_dict(d.pop("inputs"))

        observed_inputs_response = cls(
            inputs=inputs,
        )

        observed_inputs_response.additional_properties = d
        return observed_inputs_response

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
