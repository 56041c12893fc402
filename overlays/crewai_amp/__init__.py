"""crewai_amp: the Python SDK for CrewAI AMP's per-crew API and webhook events.

    from crewai_amp import AmpClient
    with AmpClient(crew="my-crew", token="...") as client:
        result = client.run({"topic": "AI"})

Heavy parts (the event models, the CLI, the emulator) load on first use, so importing this
package costs little more than importing httpx.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import (
    AmpError,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    EventParseError,
    ExecutionError,
    InternalServerError,
    NotFoundError,
    RateLimitError,
    ResponseValidationError,
    RunNotFoundError,
    UnprocessableEntityError,
    WaitTimeout,
    WebhookVerificationError,
)

if TYPE_CHECKING:
    from ._client import AmpClient, AsyncAmpClient
    from ._status import (
        KickoffResponse,
        ResumeResponse,
        Status,
        StatusCompleted,
        StatusError,
        StatusPendingHumanInput,
        StatusRunning,
        StatusUnknown,
        raw_body,
    )

# name -> submodule that defines it; imported on first attribute access (PEP 562).
_LAZY = {
    "AmpClient": "._client",
    "AsyncAmpClient": "._client",
    "KickoffResponse": "._status",
    "ResumeResponse": "._status",
    "Status": "._status",
    "StatusCompleted": "._status",
    "StatusError": "._status",
    "StatusPendingHumanInput": "._status",
    "StatusRunning": "._status",
    "StatusUnknown": "._status",
    "raw_body": "._status",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'crewai_amp' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AmpClient",
    "AmpError",
    "AsyncAmpClient",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "EventParseError",
    "ExecutionError",
    "InternalServerError",
    "KickoffResponse",
    "NotFoundError",
    "RateLimitError",
    "ResponseValidationError",
    "ResumeResponse",
    "RunNotFoundError",
    "Status",
    "StatusCompleted",
    "StatusError",
    "StatusPendingHumanInput",
    "StatusRunning",
    "StatusUnknown",
    "UnprocessableEntityError",
    "WaitTimeout",
    "WebhookVerificationError",
    "__version__",
    "raw_body",
]
