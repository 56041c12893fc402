"""OpenTelemetry spans, when opentelemetry-api is installed (the ``otel`` extra); otherwise
nothing at all: no import, no object, no cost but a function call.

One decision, made here for the clients and the webhook receiver and inbox alike: ``span()``
gives an open span (a context manager) or ``NOOP``. It is ``NOOP`` when the API is not
installed, and also when no SDK is configured (the API's global provider is still its proxy),
so the request path pays nothing until an application installs a TracerProvider. The
attributes are built only then (``attributes`` is a function), and ``opentelemetry`` is first
imported at the first span, never at ``import crewai_amp``.

What a span carries is chosen for safety: names, ids, counts, status codes and outcomes; never a
token, a secret, a header value, a body or an error message (which may quote a body). An
exception that leaves a span sets ``error.type`` (its class name) and the ERROR status, without
its message or traceback.

The attribute names: OpenTelemetry's HTTP client conventions where they apply (``HTTP_*``,
``SERVER_*``, ``URL_*``, ``ERROR_TYPE``) and this SDK's own under ``crewai_amp.`` (see
docs/observability.md for every span and attribute).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, TypeAlias

from ._version import __version__

__all__ = [
    "NOOP",
    "AnySpan",
    "NoSpan",
    "Span",
    "current_context",
    "error_type",
    "outcome_of",
    "span",
]

# The tracer's instrumentation scope, and the semantic conventions its attribute names follow.
SCOPE = "crewai_amp"
SCHEMA_URL = "https://opentelemetry.io/schemas/1.27.0"

# OpenTelemetry's HTTP client and error conventions (stable since semantic conventions 1.23).
HTTP_METHOD = "http.request.method"
HTTP_STATUS = "http.response.status_code"
HTTP_RESEND_COUNT = "http.request.resend_count"
SERVER_ADDRESS = "server.address"
SERVER_PORT = "server.port"
URL_FULL = "url.full"
URL_TEMPLATE = "url.template"
ERROR_TYPE = "error.type"

# This SDK's attributes: one namespace.
OPERATION = "crewai_amp.operation"
KICKOFF_ID = "crewai_amp.kickoff_id"
CORRELATION_ID = "crewai_amp.correlation_id"
ATTEMPT = "crewai_amp.attempt"
OUTCOME = "crewai_amp.outcome"
POLLS = "crewai_amp.polls"
INDEX = "crewai_amp.index"
CHANNEL = "crewai_amp.webhook.channel"
EVENT = "crewai_amp.webhook.event"
DELIVERY_KEY = "crewai_amp.webhook.delivery_key"
EVENTS = "crewai_amp.webhook.events"
ENTRY_ID = "crewai_amp.inbox.entry_id"

Attributes: TypeAlias = "Mapping[str, str | int | float | bool]"


def error_type(exc: BaseException) -> str:
    """``error.type`` for an exception: its class name (``ConnectError``, ``WaitTimeout``)."""
    return type(exc).__qualname__


def outcome_of(exc: BaseException | None, success: str = "ok") -> str:
    """The ``outcome`` an exception gives an operation (``success`` when there is none):
    ``failed`` (the crew ended in error), ``timeout`` (wait() gave up), ``not_found``,
    ``may_have_started`` (a kickoff whose answer was lost), ``error`` (any other error), or
    ``cancelled`` (cancellation, Ctrl-C: not an Exception)."""
    from .errors import ExecutionError, KickoffMayHaveStarted, NotFoundError, WaitTimeout

    if exc is None:
        return success
    if not isinstance(exc, Exception):
        return "cancelled"
    if isinstance(exc, ExecutionError):
        return "failed"
    if isinstance(exc, WaitTimeout):
        return "timeout"
    if isinstance(exc, NotFoundError):
        return "not_found"
    if isinstance(exc, KickoffMayHaveStarted):
        return "may_have_started"
    return "error"


class NoSpan:
    """What ``span()`` gives when nothing records: every method does nothing."""

    __slots__ = ()

    def __enter__(self) -> NoSpan:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    def set(self, key: str, value: str | int | float | bool | None) -> None:
        return None

    def outcome(self, outcome: str, error: str | None = None) -> None:
        return None


NOOP = NoSpan()
AnySpan: TypeAlias = "Span | NoSpan"


class Span:
    """An open span, current until it is closed (``with``). ``set`` adds an attribute (None is
    skipped), ``outcome`` records how the operation ended (and ``error.type`` when it failed);
    an exception leaving the ``with`` records its own unless an outcome was recorded first."""

    __slots__ = ("_ended", "_span", "_token")

    def __init__(self, span: Any, token: Any) -> None:
        self._span = span
        self._token = token
        self._ended = False

    def __enter__(self) -> Span:
        return self

    def set(self, key: str, value: str | int | float | bool | None) -> None:
        if value is not None:
            self._span.set_attribute(key, value)

    def outcome(self, outcome: str, error: str | None = None) -> None:
        self._ended = True
        self._span.set_attribute(OUTCOME, outcome)
        if error is not None:
            from opentelemetry.trace import StatusCode

            self._span.set_attribute(ERROR_TYPE, error)
            self._span.set_status(StatusCode.ERROR)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        from opentelemetry import context

        try:
            if exc is not None and not self._ended:
                self.outcome(outcome_of(exc), error_type(exc))
        finally:
            context.detach(self._token)
            self._span.end()


# None: not looked up yet; False: opentelemetry-api is not installed; else opentelemetry.trace.
_trace: Any = None
_tracer: tuple[object, Any] | None = None  # (the provider, its tracer for this package)


def _api() -> Any:
    global _trace
    if _trace is None:
        try:
            from opentelemetry import trace
        except ImportError:
            _trace = False
        else:
            _trace = trace
    return _trace


def _tracer_of(trace: Any) -> Any:
    """The tracer of the global provider, or None while no SDK is configured (the API's
    proxy provider: nothing would record)."""
    global _tracer
    provider = trace.get_tracer_provider()
    if isinstance(provider, trace.ProxyTracerProvider):
        return None
    cached = _tracer
    if cached is None or cached[0] is not provider:
        cached = _tracer = (provider, provider.get_tracer(SCOPE, __version__, schema_url=SCHEMA_URL))
    return cached[1]


def span(
    name: str,
    attributes: Callable[[], Attributes] | None = None,
    *,
    client: bool = False,
    parent: Any = None,
) -> AnySpan:
    """A span named ``name``, current until closed; ``NOOP`` when nothing would record it.
    ``client``: an outgoing request (kind CLIENT), else INTERNAL. ``parent``: a context from
    ``current_context()`` (another thread's), else the current one."""
    trace = _api()
    if trace is False:
        return NOOP
    tracer = _tracer_of(trace)
    if tracer is None:
        return NOOP
    from opentelemetry import context

    started = tracer.start_span(
        name,
        context=parent,
        kind=trace.SpanKind.CLIENT if client else trace.SpanKind.INTERNAL,
        attributes=attributes() if attributes is not None else None,
        record_exception=False,
        set_status_on_exception=False,
    )
    token = context.attach(trace.set_span_in_context(started, parent))
    return Span(started, token)


def current_context() -> Any:
    """The current OpenTelemetry context (to parent spans made in another thread), or None
    when nothing records."""
    trace = _api()
    if trace is False or _tracer_of(trace) is None:
        return None
    from opentelemetry import context

    return context.get_current()
