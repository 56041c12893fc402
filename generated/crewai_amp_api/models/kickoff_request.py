# Generated from specs/crewai-amp-rest-api.openapi.yml (sha256 c3e31149331e6fb7) by `python -m generator`.
# Do not edit: change the spec, an overlay or the generator config, then run `nox -s generate`.
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.human_input_webhook import HumanInputWebhook
    from ..models.kickoff_request_inputs import KickoffRequestInputs
    from ..models.kickoff_request_meta import KickoffRequestMeta
    from ..models.streaming_webhooks import StreamingWebhooks


T = TypeVar("T", bound="KickoffRequest")


@_attrs_define
class KickoffRequest:
    inputs: KickoffRequestInputs
    """ Key-value pairs of all required inputs for the crew. """
    meta: KickoffRequestMeta | Unset = UNSET
    """ Additional metadata to attach to the kickoff (echoed in events). """
    task_webhook_url: str | Unset = UNSET
    """ Callback URL invoked after each task completes. """
    step_webhook_url: str | Unset = UNSET
    """ Callback URL invoked after each agent thought or action. """
    crew_webhook_url: str | Unset = UNSET
    """ Callback URL invoked when the crew execution completes. """
    webhooks: StreamingWebhooks | Unset = UNSET
    """ Stream execution events to `url` in batches. """
    human_input_webhook: HumanInputWebhook | Unset = UNSET
    """ Called when the run pauses for human input. """
    human_input_webhook_url: str | Unset = UNSET
    """ Called when a task waits for human review (a URL, without credentials). """
    restore_from_state_id: UUID | Unset = UNSET
    """ Restart from a saved execution state. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        inputs = self.inputs.to_dict()

        meta: dict[str, Any] | Unset = UNSET
        if not isinstance(self.meta, Unset):
            meta = self.meta.to_dict()

        task_webhook_url = self.task_webhook_url

        step_webhook_url = self.step_webhook_url

        crew_webhook_url = self.crew_webhook_url

        webhooks: dict[str, Any] | Unset = UNSET
        if not isinstance(self.webhooks, Unset):
            webhooks = self.webhooks.to_dict()

        human_input_webhook: dict[str, Any] | Unset = UNSET
        if not isinstance(self.human_input_webhook, Unset):
            human_input_webhook = self.human_input_webhook.to_dict()

        human_input_webhook_url = self.human_input_webhook_url

        restore_from_state_id: str | Unset = UNSET
        if not isinstance(self.restore_from_state_id, Unset):
            restore_from_state_id = str(self.restore_from_state_id)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "inputs": inputs,
            }
        )
        if meta is not UNSET:
            field_dict["meta"] = meta
        if task_webhook_url is not UNSET:
            field_dict["taskWebhookUrl"] = task_webhook_url
        if step_webhook_url is not UNSET:
            field_dict["stepWebhookUrl"] = step_webhook_url
        if crew_webhook_url is not UNSET:
            field_dict["crewWebhookUrl"] = crew_webhook_url
        if webhooks is not UNSET:
            field_dict["webhooks"] = webhooks
        if human_input_webhook is not UNSET:
            field_dict["humanInputWebhook"] = human_input_webhook
        if human_input_webhook_url is not UNSET:
            field_dict["humanInputWebhookUrl"] = human_input_webhook_url
        if restore_from_state_id is not UNSET:
            field_dict["restoreFromStateId"] = restore_from_state_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.human_input_webhook import HumanInputWebhook
        from ..models.kickoff_request_inputs import KickoffRequestInputs
        from ..models.kickoff_request_meta import KickoffRequestMeta
        from ..models.streaming_webhooks import StreamingWebhooks

        d = dict(src_dict)
        inputs = KickoffRequestInputs.from_dict(d.pop("inputs"))

        _meta = d.pop("meta", UNSET)
        meta: KickoffRequestMeta | Unset
        if isinstance(_meta, Unset):
            meta = UNSET
        else:
            meta = KickoffRequestMeta.from_dict(_meta)

        task_webhook_url = d.pop("taskWebhookUrl", UNSET)

        step_webhook_url = d.pop("stepWebhookUrl", UNSET)

        crew_webhook_url = d.pop("crewWebhookUrl", UNSET)

        _webhooks = d.pop("webhooks", UNSET)
        webhooks: StreamingWebhooks | Unset
        if isinstance(_webhooks, Unset):
            webhooks = UNSET
        else:
            webhooks = StreamingWebhooks.from_dict(_webhooks)

        _human_input_webhook = d.pop("humanInputWebhook", UNSET)
        human_input_webhook: HumanInputWebhook | Unset
        if isinstance(_human_input_webhook, Unset):
            human_input_webhook = UNSET
        else:
            human_input_webhook = HumanInputWebhook.from_dict(_human_input_webhook)

        human_input_webhook_url = d.pop("humanInputWebhookUrl", UNSET)

        _restore_from_state_id = d.pop("restoreFromStateId", UNSET)
        restore_from_state_id: UUID | Unset
        if isinstance(_restore_from_state_id, Unset):
            restore_from_state_id = UNSET
        else:
            restore_from_state_id = UUID(_restore_from_state_id)

        kickoff_request = cls(
            inputs=inputs,
            meta=meta,
            task_webhook_url=task_webhook_url,
            step_webhook_url=step_webhook_url,
            crew_webhook_url=crew_webhook_url,
            webhooks=webhooks,
            human_input_webhook=human_input_webhook,
            human_input_webhook_url=human_input_webhook_url,
            restore_from_state_id=restore_from_state_id,
        )

        kickoff_request.additional_properties = d
        return kickoff_request

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
