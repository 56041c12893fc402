# Generated from specs/crewai-amp-webhooks.asyncapi.yml (sha256 76d8c7192139b93c) by `python -m generator`.
# Do not edit: change the spec, an overlay or the generator config, then run `nox -s generate`.
"""The AsyncAPI messages and channels, as tables of the generated models."""

from pydantic import BaseModel

from .models import (
    CrewCompletedPayload,
    FlowFeedbackRequestPayload,
    HumanInputRequestedPayload,
    LegacyCrewCompletedPayload,
    LegacyStepEventPayload,
    LegacyTaskCompletedPayload,
    StepEventPayload,
    StreamedEventBatch,
    TaskCompletedPayload,
)

MESSAGES: dict[str, type[BaseModel]] = {
    "TaskCompleted": TaskCompletedPayload,
    "StepEvent": StepEventPayload,
    "CrewCompleted": CrewCompletedPayload,
    "FlowFeedbackRequest": FlowFeedbackRequestPayload,
    "HumanInputRequested": HumanInputRequestedPayload,
    "LegacyTaskCompleted": LegacyTaskCompletedPayload,
    "LegacyStepEvent": LegacyStepEventPayload,
    "LegacyCrewCompleted": LegacyCrewCompletedPayload,
    "StreamedEvents": StreamedEventBatch,
}
"""Message name -> the model of its payload."""

CHANNELS: dict[str, tuple[str, ...]] = {
    "taskEvents": ("TaskCompleted", "LegacyTaskCompleted"),
    "stepEvents": ("StepEvent", "LegacyStepEvent"),
    "crewEvents": ("CrewCompleted", "LegacyCrewCompleted"),
    "flowFeedbackEvents": ("FlowFeedbackRequest",),
    "humanInputEvents": ("HumanInputRequested",),
    "streamEvents": ("StreamedEvents",),
}
"""Channel key -> the names of the messages it carries, in the order the spec lists them."""
