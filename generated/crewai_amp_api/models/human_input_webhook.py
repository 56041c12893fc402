# Generated from specs/crewai-amp-rest-api.openapi.yml (sha256 c3e31149331e6fb7) by `python -m generator`.
# Do not edit: change the spec, an overlay or the generator config, then run `nox -s generate`.
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.basic_authentication import BasicAuthentication
    from ..models.bearer_authentication import BearerAuthentication


T = TypeVar("T", bound="HumanInputWebhook")


@_attrs_define
class HumanInputWebhook:
    """Called when the run pauses for human input."""

    url: str
    authentication: BasicAuthentication | BearerAuthentication | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.bearer_authentication import BearerAuthentication

        url = self.url

        authentication: dict[str, Any] | Unset
        if isinstance(self.authentication, Unset):
            authentication = UNSET
        elif isinstance(self.authentication, BearerAuthentication):
            authentication = self.authentication.to_dict()
        else:
            authentication = self.authentication.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "url": url,
            }
        )
        if authentication is not UNSET:
            field_dict["authentication"] = authentication

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.basic_authentication import BasicAuthentication
        from ..models.bearer_authentication import BearerAuthentication

        d = dict(src_dict)
        url = d.pop("url")

        def _parse_authentication(
            data: object,
        ) -> BasicAuthentication | BearerAuthentication | Unset:
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_webhook_authentication_type_0 = (
                    BearerAuthentication.from_dict(data)
                )

                return componentsschemas_webhook_authentication_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            componentsschemas_webhook_authentication_type_1 = (
                BasicAuthentication.from_dict(data)
            )

            return componentsschemas_webhook_authentication_type_1

        authentication = _parse_authentication(d.pop("authentication", UNSET))

        human_input_webhook = cls(
            url=url,
            authentication=authentication,
        )

        human_input_webhook.additional_properties = d
        return human_input_webhook

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
