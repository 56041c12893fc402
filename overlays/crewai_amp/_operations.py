"""The four operations as the clients send them: the generated request (``_get_kwargs``, with a
body from the generated request model), whether it is safe to repeat, and how its success body
becomes a value.

The options a kickoff or a resume takes are declared once, as TypedDicts (``KickoffOptions``,
``WebhookUrls``), and the public methods take them as ``**options``; the values fill the
generated ``KickoffRequest`` / ``ResumeRequest``, so a regenerated spec flows through.

Every kickoff carries a correlation id in its ``meta``, under ``CORRELATION_ID_KEY``: a UUID the
client makes, or the caller's own string under that key. AMP echoes ``meta`` in the run's
webhooks, so a run whose kickoff answer was lost (KickoffMayHaveStarted) can still be found.

The generated package (attrs models, the status table) loads on the first call, not on import:
``from crewai_amp import AmpClient`` costs about what ``import httpx`` does.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypedDict, TypeVar

from .errors import ConfigurationError

if TYPE_CHECKING:
    import uuid

    from crewai_amp_api.models import HumanInputWebhook, StreamingWebhooks

    from ._status import KickoffResponse, ResumeResponse, Status

__all__ = ["CORRELATION_ID_KEY", "KickoffOptions", "WebhookUrls"]

T = TypeVar("T")

CORRELATION_ID_KEY = "crewai_amp_correlation_id"
"""The key of the correlation id in every kickoff's ``meta``: a new UUID, or the caller's own
string under this key. AMP echoes ``meta`` in the run's webhooks and dashboard, so a kickoff
whose answer was lost ([KickoffMayHaveStarted][crewai_amp.errors.KickoffMayHaveStarted]) can
be found by it."""


class WebhookUrls(TypedDict, total=False):
    """Where AMP posts this run's events: after each task, each agent step, and at the end."""

    task_webhook_url: str | None
    """Where AMP posts each finished task (``taskWebhookUrl``)."""
    step_webhook_url: str | None
    """Where AMP posts each agent step (``stepWebhookUrl``)."""
    crew_webhook_url: str | None
    """Where AMP posts the run's end (``crewWebhookUrl``)."""


class KickoffOptions(WebhookUrls, total=False):
    """Everything a kickoff takes besides its inputs. ``human_input_webhook_url`` is where AMP
    posts when a task waits for human review (the platform's ``humanInputWebhookUrl``);
    ``human_input_webhook`` the same with credentials. ``webhooks`` and ``human_input_webhook``
    are the generated models or their JSON shape (``{"url": ..., "authentication": {"strategy":
    "bearer", "token": ...}}``); their tokens and passwords are masked in every error."""

    meta: Mapping[str, Any] | None
    """Echoed in every event of the run; the client adds its correlation id
    ([CORRELATION_ID_KEY][crewai_amp.CORRELATION_ID_KEY])."""
    webhooks: StreamingWebhooks | Mapping[str, Any] | None
    """Stream the run's events in batches: ``{"events": [...], "url": ..., "realtime": bool,
    "authentication": {...}}``."""
    human_input_webhook: HumanInputWebhook | Mapping[str, Any] | None
    """Called when the run pauses for a human review: ``{"url": ..., "authentication": ...}``
    (``humanInputWebhook``)."""
    human_input_webhook_url: str | None
    """The same as a plain URL (``humanInputWebhookUrl``)."""
    restore_from_state_id: str | uuid.UUID | None
    """Restart from a saved state, a UUID (``restoreFromStateId``)."""


WEBHOOK_URLS = frozenset(WebhookUrls.__annotations__)
KICKOFF_OPTIONS = frozenset(KickoffOptions.__annotations__) | WEBHOOK_URLS


@dataclass(frozen=True, slots=True)
class Operation(Generic[T]):
    """One API operation: whether it is safe to repeat, whether it starts a run (new runs wait
    behind requests for runs already started), and how its success body becomes a value."""

    idempotent: bool
    parse: Callable[[object], T]
    starts_run: bool = False
    # The kickoff id a status check asks about: a 404 to it is a RunNotFoundError for that id.
    run_id: str | None = None
    name: str = ""  # the client method, as logs and spans name the operation


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """One call to send: the operation, the generated request arguments, the secrets the
    request carries (masked in any error about it), and for a kickoff the correlation id in its
    meta. ``before_send``, if set, is called once a request slot is held, right before each
    attempt is sent: what raises there sends nothing."""

    op: Operation[T]
    kwargs: dict[str, Any]
    secrets: tuple[str, ...] = ()
    correlation_id: str | None = None
    before_send: Callable[[], object] | None = None
    # For logs and spans: the path as the spec writes it, and the run the call concerns when
    # known before the answer.
    route: str = ""
    kickoff_id: str | None = None


def _parse_inputs(data: object) -> list[str]:
    """The input names, from the spec's list or the observed name -> type map."""
    from crewai_amp_api.models import InputsResponse, ObservedInputsResponse

    from ._models import load

    if isinstance(data, dict) and isinstance(data.get("inputs"), dict):
        return list(load(ObservedInputsResponse, data).inputs.additional_properties)
    inputs: list[str] = load(InputsResponse, data).inputs
    return inputs


def _parse_kickoff(data: object) -> KickoffResponse:
    from ._models import ModelError, load
    from ._status import KickoffResponse

    kicked = load(KickoffResponse, data)
    if not kicked.kickoff_id:
        raise ModelError("kickoff_id: expected a non-empty string")
    return kicked


def _parse_resume(data: object) -> ResumeResponse:
    from crewai_amp_api.types import Unset

    from ._models import ModelError, load
    from ._status import ResumeResponse

    resumed = load(ResumeResponse, data)
    if isinstance(resumed.status, Unset) and isinstance(resumed.kickoff_id, Unset):
        # The documented answer has a status, the live one the new run's kickoff_id.
        raise ModelError("expected a status or a kickoff_id, got neither")
    return resumed


INPUTS = Operation(idempotent=True, parse=_parse_inputs, name="inputs")
KICKOFF = Operation(idempotent=False, parse=_parse_kickoff, starts_run=True, name="kickoff")
RESUME = Operation(idempotent=False, parse=_parse_resume, name="resume")


def _status_operation(kickoff_id: str) -> Operation[Status]:
    """GET /status for one run: the parser names the run in a NOT FOUND answer."""
    from ._status import parse_status

    return Operation(
        idempotent=True, parse=lambda data: parse_status(data, kickoff_id), run_id=kickoff_id, name="status"
    )


@functools.cache
def _status_route() -> str:
    """GET /status's path as the spec writes it (``/status/{kickoff_id}``): the generated URL
    built with the parameter's own ``{name}``, unquoted."""
    from urllib.parse import unquote

    from crewai_amp_api.api.status import get_kickoff_status

    return unquote(get_kickoff_status._get_kwargs("{kickoff_id}")["url"])


def _or_unset(value: Any) -> Any:
    from crewai_amp_api.types import UNSET

    return UNSET if value is None else value


def check_options(method: str, options: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise TypeError(f"{method}() got an unexpected keyword argument {unknown[0]!r}")


def _secrets_of(value: object) -> tuple[str, ...]:
    """The token and password inside a webhook setting's ``authentication``."""
    auth = value.get("authentication") if isinstance(value, Mapping) else None
    if not isinstance(auth, Mapping):
        return ()
    return tuple(v for k, v in auth.items() if k in ("token", "password") and isinstance(v, str) and v)


def _model(name: str, model: type[T], value: object) -> T | Any:
    """A webhook setting as its generated model: given as one, or as its JSON shape."""
    from ._models import ModelError, load

    if value is None:
        return _or_unset(None)
    if isinstance(value, model):
        return value
    if not isinstance(value, Mapping):
        raise ConfigurationError(
            f"{name} must be a {model.__name__} or a mapping in its JSON shape, got {type(value).__name__}"
        )
    try:
        return load(model, dict(value))
    except (ModelError, KeyError, TypeError, ValueError, AttributeError) as exc:
        problem = str(exc) if isinstance(exc, ModelError) else f"missing or invalid field {exc}"
        raise ConfigurationError(f"{name}: {problem}") from None


def _state_id(value: object) -> uuid.UUID | Any:
    import uuid

    if value is None:
        return _or_unset(None)
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value)) if isinstance(value, str) else uuid.UUID(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, AttributeError):
        raise ConfigurationError(f"restore_from_state_id must be a UUID, got {value!r}") from None


def inputs_call() -> Call[list[str]]:
    from crewai_amp_api.api.inputs import list_inputs

    kwargs = list_inputs._get_kwargs()
    return Call(INPUTS, kwargs, route=kwargs["url"])


def status_call(kickoff_id: str) -> Call[Status]:
    from crewai_amp_api.api.status import get_kickoff_status

    if not isinstance(kickoff_id, str) or not kickoff_id:
        raise ValueError(f"kickoff_id must be a non-empty string, got {kickoff_id!r}")
    return Call(
        _status_operation(kickoff_id),
        get_kickoff_status._get_kwargs(kickoff_id),
        route=_status_route(),
        kickoff_id=kickoff_id,
    )


def kickoff_call(inputs: Mapping[str, Any], options: Mapping[str, Any]) -> Call[KickoffResponse]:
    from crewai_amp_api.api.kickoff import kickoff_crew
    from crewai_amp_api.models import (
        HumanInputWebhook,
        KickoffRequest,
        KickoffRequestInputs,
        KickoffRequestMeta,
        StreamingWebhooks,
    )

    check_options("kickoff", options, KICKOFF_OPTIONS)
    if not isinstance(inputs, Mapping):
        raise TypeError(f"inputs must be a mapping of input name to value, got {type(inputs).__name__}")
    meta, correlation_id = _with_correlation_id(options.get("meta"))
    webhooks = _model("webhooks", StreamingWebhooks, options.get("webhooks"))
    human = _model("human_input_webhook", HumanInputWebhook, options.get("human_input_webhook"))
    body = KickoffRequest(
        inputs=KickoffRequestInputs.from_dict(inputs),
        meta=KickoffRequestMeta.from_dict(meta),
        task_webhook_url=_or_unset(options.get("task_webhook_url")),
        step_webhook_url=_or_unset(options.get("step_webhook_url")),
        crew_webhook_url=_or_unset(options.get("crew_webhook_url")),
        webhooks=webhooks,
        human_input_webhook=human,
        human_input_webhook_url=_or_unset(options.get("human_input_webhook_url")),
        restore_from_state_id=_state_id(options.get("restore_from_state_id")),
    )
    kwargs = kickoff_crew._get_kwargs(body=body)
    secrets = _secrets_of(kwargs["json"].get("webhooks")) + _secrets_of(
        kwargs["json"].get("humanInputWebhook")
    )
    return Call(KICKOFF, kwargs, secrets, correlation_id, route=kwargs["url"])


def _with_correlation_id(meta: object) -> tuple[dict[str, Any], str]:
    """The kickoff's meta with its correlation id: the caller's string under the key, or a new
    UUID."""
    import uuid

    if meta is not None and not isinstance(meta, Mapping):
        raise TypeError(f"meta must be a mapping, got {type(meta).__name__}")
    given = dict(meta or {})
    correlation_id = given.setdefault(CORRELATION_ID_KEY, str(uuid.uuid4()))
    if not isinstance(correlation_id, str) or not correlation_id:
        raise ConfigurationError(
            f"meta[{CORRELATION_ID_KEY!r}] is the kickoff's correlation id: a non-empty string, "
            f"got {correlation_id!r}"
        )
    return given, correlation_id


def resume_call(
    execution_id: str, task_id: str, human_feedback: str, is_approve: bool, urls: Mapping[str, Any]
) -> Call[ResumeResponse]:
    from crewai_amp_api.api.resume import resume_kickoff
    from crewai_amp_api.models import ResumeRequest

    check_options("resume", urls, WEBHOOK_URLS)
    if not isinstance(is_approve, bool):
        raise TypeError(f"is_approve must be True (approve) or False (retry), got {is_approve!r}")
    body = ResumeRequest(
        execution_id=execution_id,
        task_id=task_id,
        human_feedback=human_feedback,
        is_approve=is_approve,
        task_webhook_url=_or_unset(urls.get("task_webhook_url")),
        step_webhook_url=_or_unset(urls.get("step_webhook_url")),
        crew_webhook_url=_or_unset(urls.get("crew_webhook_url")),
    )
    kwargs = resume_kickoff._get_kwargs(body=body)
    return Call(RESUME, kwargs, route=kwargs["url"], kickoff_id=execution_id)
