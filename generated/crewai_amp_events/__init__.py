# Generated from specs/crewai-amp-webhooks.asyncapi.yml (sha256 76d8c7192139b93c) by `python -m generator`.
# Do not edit: change the spec, an overlay or the generator config, then run `nox -s generate`.
"""Pydantic v2 models of the CrewAI AMP webhook event payloads."""

from .models import (
    TaskCompletedPayloadStatus,
    TaskCompletedPayload,
    StepEventPayloadStepType,
    StepEventPayloadStep,
    StepEventPayload,
    CrewCompletedPayloadStatus,
    CrewCompletedPayloadResultTask,
    CrewCompletedPayloadResult,
    CrewCompletedPayload,
    LegacyTaskCompletedPayload,
    LegacyStepEventPayload,
    LegacyCrewCompletedPayloadTokenUsage,
    LegacyCrewCompletedPayload,
    StreamedEventBatchEvent,
    StreamedEventBatch,
    WebhookEvent,
)

__all__ = [
    "TaskCompletedPayloadStatus",
    "TaskCompletedPayload",
    "StepEventPayloadStepType",
    "StepEventPayloadStep",
    "StepEventPayload",
    "CrewCompletedPayloadStatus",
    "CrewCompletedPayloadResultTask",
    "CrewCompletedPayloadResult",
    "CrewCompletedPayload",
    "LegacyTaskCompletedPayload",
    "LegacyStepEventPayload",
    "LegacyCrewCompletedPayloadTokenUsage",
    "LegacyCrewCompletedPayload",
    "StreamedEventBatchEvent",
    "StreamedEventBatch",
    "WebhookEvent",
]
