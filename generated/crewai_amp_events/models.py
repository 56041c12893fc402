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


class WebhookEvent(
    RootModel[TaskCompletedPayload | StepEventPayload | CrewCompletedPayload]
):
    root: Annotated[
        TaskCompletedPayload | StepEventPayload | CrewCompletedPayload,
        Field(
            description="Any webhook event payload AMP sends.",
            title="WebhookEvent",
            union_mode="left_to_right",
        ),
    ]
