# Generated from specs/crewai-amp-rest-api.openapi.yml (sha256 c3e31149331e6fb7) by `python -m generator`.
# Do not edit: change the spec, an overlay or the generator config, then run `nox -s generate`.
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.observed_status_last_step_type_0 import ObservedStatusLastStepType0
    from ..models.observed_status_result_type_1 import ObservedStatusResultType1


T = TypeVar("T", bound="ObservedStatus")


@_attrs_define
class ObservedStatus:
    """The status body deployed AMP crews are observed to send instead of StatusResponse.
    Documented states: PENDING, STARTED, RUNNING, SUCCESS, FAILED, FAILURE, REVOKED,
    NOT FOUND (compared case-insensitively); a paused run reports a human-input state
    such as "PENDING HUMAN INPUT".

    """

    state: str
    """ The run's state, e.g. SUCCESS. """
    result: None | ObservedStatusResultType1 | str | Unset = UNSET
    """ The final output (text), a structured result, or null while running. """
    last_step: None | ObservedStatusLastStepType0 | Unset = UNSET
    """ The last step the crew took (task, agent, output...), or null. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.observed_status_last_step_type_0 import (
            ObservedStatusLastStepType0,
        )
        from ..models.observed_status_result_type_1 import ObservedStatusResultType1

        state = self.state

        result: dict[str, Any] | None | str | Unset
        if isinstance(self.result, Unset):
            result = UNSET
        elif isinstance(self.result, ObservedStatusResultType1):
            result = self.result.to_dict()
        else:
            result = self.result

        last_step: dict[str, Any] | None | Unset
        if isinstance(self.last_step, Unset):
            last_step = UNSET
        elif isinstance(self.last_step, ObservedStatusLastStepType0):
            last_step = self.last_step.to_dict()
        else:
            last_step = self.last_step

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "state": state,
            }
        )
        if result is not UNSET:
            field_dict["result"] = result
        if last_step is not UNSET:
            field_dict["last_step"] = last_step

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.observed_status_last_step_type_0 import (
            ObservedStatusLastStepType0,
        )
        from ..models.observed_status_result_type_1 import ObservedStatusResultType1

        d = dict(src_dict)
        state = d.pop("state")

        def _parse_result(
            data: object,
        ) -> None | ObservedStatusResultType1 | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                result_type_1 = ObservedStatusResultType1.from_dict(data)

                return result_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | ObservedStatusResultType1 | str | Unset, data)

        result = _parse_result(d.pop("result", UNSET))

        def _parse_last_step(
            data: object,
        ) -> None | ObservedStatusLastStepType0 | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                last_step_type_0 = ObservedStatusLastStepType0.from_dict(data)

                return last_step_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | ObservedStatusLastStepType0 | Unset, data)

        last_step = _parse_last_step(d.pop("last_step", UNSET))

        observed_status = cls(
            state=state,
            result=result,
            last_step=last_step,
        )

        observed_status.additional_properties = d
        return observed_status

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
