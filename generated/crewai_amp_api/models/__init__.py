# Generated from specs/crewai-amp-rest-api.openapi.yml (sha256 c3e31149331e6fb7) by `python -m generator`.
# Do not edit: change the spec, an overlay or the generator config, then run `nox -s generate`.
"""Contains all the data models used in inputs/outputs"""

from .basic_authentication import BasicAuthentication
from .basic_authentication_strategy import BasicAuthenticationStrategy
from .bearer_authentication import BearerAuthentication
from .bearer_authentication_strategy import BearerAuthenticationStrategy
from .error import Error
from .error_details import ErrorDetails
from .error_object import ErrorObject
from .human_input_webhook import HumanInputWebhook
from .inputs_response import InputsResponse
from .kickoff_request import KickoffRequest
from .kickoff_request_inputs import KickoffRequestInputs
from .kickoff_request_meta import KickoffRequestMeta
from .kickoff_response import KickoffResponse
from .last_executed_task import LastExecutedTask
from .observed_inputs_response import ObservedInputsResponse
from .observed_inputs_response_inputs import ObservedInputsResponseInputs
from .observed_status import ObservedStatus
from .observed_status_last_step_type_0 import ObservedStatusLastStepType0
from .observed_status_result_type_1 import ObservedStatusResultType1
from .platform_progress import PlatformProgress
from .resume_request import ResumeRequest
from .resume_response import ResumeResponse
from .resume_response_status import ResumeResponseStatus
from .status_completed import StatusCompleted
from .status_completed_progress import StatusCompletedProgress
from .status_completed_result import StatusCompletedResult
from .status_completed_status import StatusCompletedStatus
from .status_error import StatusError
from .status_error_progress import StatusErrorProgress
from .status_error_status import StatusErrorStatus
from .status_pending_human_input import StatusPendingHumanInput
from .status_pending_human_input_progress import StatusPendingHumanInputProgress
from .status_pending_human_input_status import StatusPendingHumanInputStatus
from .status_running import StatusRunning
from .status_running_progress import StatusRunningProgress
from .status_running_status import StatusRunningStatus
from .streaming_webhooks import StreamingWebhooks
from .task_result import TaskResult
from .triggered_by import TriggeredBy
from .usage_metrics import UsageMetrics

__all__ = (
    "BasicAuthentication",
    "BasicAuthenticationStrategy",
    "BearerAuthentication",
    "BearerAuthenticationStrategy",
    "Error",
    "ErrorDetails",
    "ErrorObject",
    "HumanInputWebhook",
    "InputsResponse",
    "KickoffRequest",
    "KickoffRequestInputs",
    "KickoffRequestMeta",
    "KickoffResponse",
    "LastExecutedTask",
    "ObservedInputsResponse",
    "ObservedInputsResponseInputs",
    "ObservedStatus",
    "ObservedStatusLastStepType0",
    "ObservedStatusResultType1",
    "PlatformProgress",
    "ResumeRequest",
    "ResumeResponse",
    "ResumeResponseStatus",
    "StatusCompleted",
    "StatusCompletedProgress",
    "StatusCompletedResult",
    "StatusCompletedStatus",
    "StatusError",
    "StatusErrorProgress",
    "StatusErrorStatus",
    "StatusPendingHumanInput",
    "StatusPendingHumanInputProgress",
    "StatusPendingHumanInputStatus",
    "StatusRunning",
    "StatusRunningProgress",
    "StatusRunningStatus",
    "StreamingWebhooks",
    "TaskResult",
    "TriggeredBy",
    "UsageMetrics",
)
