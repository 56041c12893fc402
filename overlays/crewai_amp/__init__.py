"""crewai_amp: the Python SDK for CrewAI AMP's per-crew API and webhook events.

```python
from crewai_amp import AmpClient

with AmpClient(crew="my-crew", token="...") as client:
    result = client.run({"topic": "AI"})
```

Everything but the errors loads on first use (the client, the generated models, the event
models, the CLI, the emulator), so importing this package costs little more than importing
httpx.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy
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
    JournalBusy,
    JournalError,
    JournalMismatch,
    KickoffMayHaveStarted,
    NotFoundError,
    RateLimitError,
    ResponseTooLarge,
    ResponseValidationError,
    RunNotFoundError,
    UnprocessableEntityError,
    WaitTimeout,
    WebhookVerificationError,
)

if TYPE_CHECKING:
    from ._async_client import AsyncAmpClient
    from ._client import AmpClient
    from ._fanout import RunOutcome
    from ._operations import CORRELATION_ID_KEY, KickoffOptions, WebhookUrls
    from ._raw import with_raw_response
    from ._responses import RawResponse
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

__all__ = [
    "CORRELATION_ID_KEY",
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
    "JournalBusy",
    "JournalError",
    "JournalMismatch",
    "KickoffMayHaveStarted",
    "KickoffOptions",
    "KickoffResponse",
    "NotFoundError",
    "RateLimitError",
    "RawResponse",
    "ResponseTooLarge",
    "ResponseValidationError",
    "ResumeResponse",
    "RunNotFoundError",
    "RunOutcome",
    "Status",
    "StatusCompleted",
    "StatusError",
    "StatusPendingHumanInput",
    "StatusRunning",
    "StatusUnknown",
    "UnprocessableEntityError",
    "WaitTimeout",
    "WebhookUrls",
    "WebhookVerificationError",
    "__version__",
    "raw_body",
    "with_raw_response",
]

__getattr__, __dir__ = lazy(
    __name__,
    globals(),
    {
        "AmpClient": "._client",
        "AsyncAmpClient": "._async_client",
        "CORRELATION_ID_KEY": "._operations",
        "KickoffOptions": "._operations",
        "WebhookUrls": "._operations",
        "RawResponse": "._responses",
        "RunOutcome": "._fanout",
        "with_raw_response": "._raw",
        "KickoffResponse": "._status",
        "ResumeResponse": "._status",
        "Status": "._status",
        "StatusCompleted": "._status",
        "StatusError": "._status",
        "StatusPendingHumanInput": "._status",
        "StatusRunning": "._status",
        "StatusUnknown": "._status",
        "raw_body": "._status",
    },
    __all__,
)
