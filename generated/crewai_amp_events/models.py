# Generated from specs/crewai-amp-webhooks.asyncapi.yml (sha256 76d8c7192139b93c) by `python -m generator`.
# Do not edit: change the spec, an overlay or the generator config, then run `nox -s generate`.

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, RootModel


class TaskCompletedPayloadStatus(str, Enum):
    completed = "completed"
    error = "error"
    awaiting_human_feedback = "awaiting_human_feedback"


class TaskCompletedPayload(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    kickoff_id: str
    task_id: str
    agent: Annotated[
        str | None, Field(description="Role of the agent that ran the task.")
    ] = None
    status: Annotated[
        TaskCompletedPayloadStatus | str, Field(union_mode="left_to_right")
    ]
    output: str | None = None
    execution_time: float | None = None
    meta: dict[str, Any] | None = None


class StepEventPayloadStepType(str, Enum):
    thought = "thought"
    action = "action"
    observation = "observation"
    tool_call = "tool_call"
    tool_result = "tool_result"


class StepEventPayloadStep(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    type: Annotated[
        StepEventPayloadStepType | str | None, Field(union_mode="left_to_right")
    ] = None
    content: str | None = None
    tool: str | None = None
    input: dict[str, Any] | None = None
    output: str | None = None


class StepEventPayload(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    kickoff_id: str
    task_id: str | None = None
    agent: str | None = None
    step: Annotated[StepEventPayloadStep, Field(title="StepEventPayloadStep")]
    timestamp: datetime | None = None


class CrewCompletedPayloadStatus(str, Enum):
    completed = "completed"
    error = "error"


class CrewCompletedPayloadResultTask(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    task_id: str | None = None
    agent: str | None = None
    output: str | None = None
    execution_time: float | None = None


class CrewCompletedPayloadResult(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    output: str | None = None
    tasks: list[CrewCompletedPayloadResultTask] | None = None


class CrewCompletedPayload(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    kickoff_id: str
    status: Annotated[
        CrewCompletedPayloadStatus | str, Field(union_mode="left_to_right")
    ]
    result: Annotated[
        CrewCompletedPayloadResult | None, Field(title="CrewCompletedPayloadResult")
    ] = None
    error: str | None = None
    execution_time: float | None = None
    meta: dict[str, Any] | None = None


class FlowFeedbackRequestPayloadAssignedTo(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    id: Annotated[int | str | None, Field(union_mode="left_to_right")] = None
    email: str | None = None
    name: str | None = None


class EffectiveResponder(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    id: Annotated[int | str | None, Field(union_mode="left_to_right")] = None
    email: str | None = None
    name: str | None = None


class FlowFeedbackRequestPayloadRouting(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    effective_responders: list[EffectiveResponder] | None = None
    enforce_routing_rules: bool | None = None


class FlowFeedbackRequestPayload(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    event_type: Annotated[
        str, Field(description="new_request, escalation, ... (an open set).")
    ]
    id: str | None = None
    status: Annotated[
        str | None, Field(description="pending while the request waits for an answer.")
    ] = None
    flow_id: str | None = None
    flow_class: str | None = None
    method_name: str | None = None
    message: str | None = None
    output: Annotated[
        Any | None,
        Field(
            description="The content to review (Markdown text in the documented example)."
        ),
    ] = None
    emit: Annotated[
        list[str] | None, Field(description="The outcomes the decorator may route to.")
    ] = None
    default_outcome: str | None = None
    state: Annotated[Any | None, Field(description="The flow state at the pause.")] = (
        None
    )
    metadata: Annotated[Any | None, Field(description="The decorator's metadata.")] = (
        None
    )
    created_at: str | None = None
    callback_url: Annotated[
        str,
        Field(description="POST the answer here (the response token is in the URL)."),
    ]
    response_token: str | None = None
    deployment_id: Annotated[int | str | None, Field(union_mode="left_to_right")] = None
    deployment_name: str | None = None
    flow_execution_id: str | None = None
    trace_batch_id: str | None = None
    organization_id: Annotated[str | int | None, Field(union_mode="left_to_right")] = (
        None
    )
    assigned_to: Annotated[
        FlowFeedbackRequestPayloadAssignedTo | None,
        Field(title="FlowFeedbackRequestPayloadAssignedTo"),
    ] = None
    assigned_at: str | None = None
    escalated_at: str | None = None
    sla_target_minutes: int | None = None
    triggered_by_user_id: Annotated[
        int | str | None, Field(union_mode="left_to_right")
    ] = None
    routing: Annotated[
        FlowFeedbackRequestPayloadRouting | None,
        Field(title="FlowFeedbackRequestPayloadRouting"),
    ] = None


class HumanInputRequestedPayload(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    kickoff_id: str
    execution_id: str | None
    task_id: str | None
    task_output: Annotated[
        Any,
        Field(description="The output of the task to review, as the crew produced it."),
    ]
    meta: dict[str, Any] | None = None


class LegacyTaskCompletedPayload(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    description: str | None
    name: str | None = None
    expected_output: str | None
    summary: str | None = None
    agent: str | None = None
    output: str | None = None
    output_json: dict[str, Any] | None = None
    kickoff_id: str
    meta: dict[str, Any] | None = None


class LegacyStepEventPayload(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    prompt: str | None
    thought: str | None = None
    tool: str | None = None
    tool_input: str | None = None
    result: str | None = None
    kickoff_id: str
    meta: dict[str, Any] | None = None


class LegacyCrewCompletedPayloadTokenUsage(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    total_tokens: int | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


class LegacyCrewCompletedPayload(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    kickoff_id: str
    result: str | None
    result_json: dict[str, Any] | None = None
    token_usage: Annotated[
        LegacyCrewCompletedPayloadTokenUsage | None,
        Field(title="LegacyCrewCompletedPayloadTokenUsage"),
    ]
    meta: dict[str, Any] | None = None


class StreamedEventBatchEvent(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    id: str
    execution_id: str
    timestamp: datetime
    type: Annotated[
        str,
        Field(
            description="crew_kickoff_started, task_completed, llm_stream_chunk, ... (an open set)."
        ),
    ]
    data: dict[str, Any] | None = None


class StreamedEventBatch(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    events: list[StreamedEventBatchEvent]


class WebhookEvent(
    RootModel[
        TaskCompletedPayload
        | StepEventPayload
        | CrewCompletedPayload
        | FlowFeedbackRequestPayload
        | HumanInputRequestedPayload
        | LegacyTaskCompletedPayload
        | LegacyStepEventPayload
        | LegacyCrewCompletedPayload
        | StreamedEventBatch
    ]
):
    root: Annotated[
        TaskCompletedPayload
        | StepEventPayload
        | CrewCompletedPayload
        | FlowFeedbackRequestPayload
        | HumanInputRequestedPayload
        | LegacyTaskCompletedPayload
        | LegacyStepEventPayload
        | LegacyCrewCompletedPayload
        | StreamedEventBatch,
        Field(
            description="Any webhook event payload AMP sends.",
            title="WebhookEvent",
            union_mode="left_to_right",
        ),
    ]
