# Generated from specs/crewai-amp-rest-api.openapi.yml (sha256 c3e31149331e6fb7) by `python -m generator`.
# Do not edit: change the spec, an overlay or the generator config, then run `nox -s generate`.
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ResumeRequest")


@_attrs_define
class ResumeRequest:
    execution_id: str
    """ The `kickoff_id` returned by `/kickoff`. """
    task_id: str
    """ Identifier of the task awaiting human feedback. """
    human_feedback: str
    """ Feedback to incorporate as additional context. """
    is_approve: bool
    """ `true` to proceed; `false` to retry the task with the feedback. """
    task_webhook_url: str | Unset = UNSET
    step_webhook_url: str | Unset = UNSET
    crew_webhook_url: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        execution_id = self.execution_id

        task_id = self.task_id

        human_feedback = self.human_feedback

        is_approve = self.is_approve

        task_webhook_url = self.task_webhook_url

        step_webhook_url = self.step_webhook_url

        crew_webhook_url = self.crew_webhook_url

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "execution_id": execution_id,
                "task_id": task_id,
                "human_feedback": human_feedback,
                "is_approve": is_approve,
            }
        )
        if task_webhook_url is not UNSET:
            field_dict["taskWebhookUrl"] = task_webhook_url
        if step_webhook_url is not UNSET:
            field_dict["stepWebhookUrl"] = step_webhook_url
        if crew_webhook_url is not UNSET:
            field_dict["crewWebhookUrl"] = crew_webhook_url

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        execution_id = d.pop("execution_id")

        task_id = d.pop("task_id")

        human_feedback = d.pop("human_feedback")

        is_approve = d.pop("is_approve")

        task_webhook_url = d.pop("taskWebhookUrl", UNSET)

        step_webhook_url = d.pop("stepWebhookUrl", UNSET)

        crew_webhook_url = d.pop("crewWebhookUrl", UNSET)

        resume_request = cls(
            execution_id=execution_id,
            task_id=task_id,
            human_feedback=human_feedback,
            is_approve=is_approve,
            task_webhook_url=task_webhook_url,
            step_webhook_url=step_webhook_url,
            crew_webhook_url=crew_webhook_url,
        )

        resume_request.additional_properties = d
        return resume_request

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
