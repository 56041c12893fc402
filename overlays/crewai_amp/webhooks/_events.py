"""Typed webhook events: the payloads of the AsyncAPI spec and of its observed-shapes overlay.

Which model parses a payload comes from the generated registry (``crewai_amp_events.registry``:
message name -> model, channel -> its messages), so a message added to the spec is parsed
without an edit here. A channel is named by its AsyncAPI key without ``Events``
(``taskEvents`` -> ``"task"``, ``streamEvents`` -> ``"stream"``). Within a channel, the first
message whose required fields are all present parses the payload (the spec's own first, then
the legacy shapes); if none has them all, the channel's first message reports what is missing.

pydantic and the models load on the first parse, so importing this package stays cheap.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal, cast

from ..errors import EventParseError

if TYPE_CHECKING:
    from typing import TypeAlias

    from crewai_amp_events import (
        CrewCompletedPayload,
        FlowFeedbackRequestPayload,
        HumanInputRequestedPayload,
        LegacyCrewCompletedPayload,
        LegacyStepEventPayload,
        LegacyTaskCompletedPayload,
        StepEventPayload,
        StreamedEventBatch,
        StreamedEventBatchEvent,
        TaskCompletedPayload,
    )
    from pydantic import BaseModel, ValidationError

    Event: TypeAlias = (
        TaskCompletedPayload
        | StepEventPayload
        | CrewCompletedPayload
        | LegacyTaskCompletedPayload
        | LegacyStepEventPayload
        | LegacyCrewCompletedPayload
        | HumanInputRequestedPayload
        | FlowFeedbackRequestPayload
        | StreamedEventBatch
    )
    """Every webhook payload model: what [parse_event][crewai_amp.webhooks.parse_event] and
    [unwrap][crewai_amp.webhooks.unwrap] return (at run time, every message the generated
    registry lists, so a message added to the spec joins it)."""
    StreamedEvent: TypeAlias = StreamedEventBatchEvent
    """One event of a streamed batch: ``id``, ``execution_id``, ``timestamp``, ``type`` and
    ``data`` (see [parse_stream][crewai_amp.webhooks.parse_stream])."""

__all__ = [
    "MAX_ERRORS_SHOWN",
    "Channel",
    "channel_of",
    "channel_of_event",
    "delivery_key",
    "parse_event",
    "parse_message",
    "parse_stream",
    "sorted_by_time",
]

Channel = Literal["task", "step", "crew", "humanInput", "flowFeedback", "stream"]
"""Where a webhook comes from: the task, step and crew webhook URLs of a kickoff, its
human-input webhook, a flow's human-feedback notification, or a streamed batch."""
Body = bytes | bytearray | memoryview | str | Mapping[str, Any]
MAX_ERRORS_SHOWN = 10  # in the message; ``EventParseError.errors`` keeps them all
MAX_DEPTH = 200  # pydantic-core's JSON parser refuses deeper nesting ("recursion limit exceeded")
TOO_DEEP = f"the payload is nested too deeply (JSON deeper than {MAX_DEPTH} levels is refused)"


class Registry:
    """pydantic, the JSON parser and the generated tables, loaded on the first parse."""

    def __init__(self) -> None:
        from crewai_amp_events import registry
        from pydantic import ValidationError
        from pydantic_core import from_json

        self.ValidationError: type[ValidationError] = ValidationError
        self.from_json = from_json
        self.messages: dict[str, type[BaseModel]] = dict(registry.MESSAGES)
        self.channels: dict[str, list[type[BaseModel]]] = {
            key.removesuffix("Events"): [registry.MESSAGES[name] for name in names]
            for key, names in registry.CHANNELS.items()
        }
        self.required: dict[type[BaseModel], frozenset[str]] = {
            model: frozenset(f.alias or name for name, f in model.model_fields.items() if f.is_required())
            for model in self.messages.values()
        }
        self.channel_of_model = {model: name for name, models in self.channels.items() for model in models}

    def complete(self, model: type[BaseModel], data: Mapping[str, Any]) -> bool:
        return self.required[model] <= data.keys()

    def pick(self, channel: str, data: Mapping[str, Any]) -> type[BaseModel]:
        models = self.channels[channel]
        keys = data.keys()
        return next((m for m in models if self.required[m] <= keys), models[0])

    def choose(self, data: Mapping[str, Any]) -> tuple[str, type[BaseModel] | None]:
        """The channel of a decoded object (see [channel_of][crewai_amp.webhooks.channel_of]) and
        its complete message (None when no message of that channel has all its required
        fields)."""
        keys = data.keys()
        hinted: str | None = None
        if "task_id" in keys and not isinstance(data.get("step"), Mapping):
            hinted = "task"
        elif isinstance(data.get("step"), Mapping):
            hinted = "step"
        elif "status" in keys:
            hinted = "crew"
        if hinted is not None:
            for model in self.channels[hinted]:
                if self.required[model] <= keys:
                    return hinted, model
        for name, models in self.channels.items():
            for model in models:
                if self.required[model] <= keys:
                    return name, model
        return hinted or "crew", None


@lru_cache(maxsize=1)
def registry() -> Registry:
    """The webhook messages the generated code knows, by AsyncAPI message name and by channel
    (the table [parse_event][crewai_amp.webhooks.parse_event] and
    [parse_message][crewai_amp.webhooks.parse_message] read). Built once, on first use."""
    return Registry()


def channel_of(data: object) -> Channel | None:
    """The channel of a decoded payload; None if it is not an object.

    A ``step`` object points to a step event, a ``task_id`` to a task event, a ``status`` to a
    crew event (the spec's shapes): that channel, when one of its messages has all its required
    fields. Otherwise the first channel with such a message (the legacy shapes, a streamed
    batch's ``events``, the human-input and flow-feedback webhooks, any message added later);
    failing that, the pointed-to channel (its parse error names what is missing), else crew.
    """
    if not isinstance(data, Mapping):
        return None
    return cast("Channel", registry().choose(data)[0])


def channel_of_event(event: object) -> str:
    """The channel whose message ``event`` (a parsed model) is."""
    return registry().channel_of_model.get(type(event), "unknown")  # type: ignore[arg-type]


def _field(loc: Iterable[int | str]) -> str:
    # pydantic adds union-member labels such as 'str-enum[StepEventPayloadStepType]' after the
    # field name; they are not part of the payload's path.
    parts: list[str] = []
    for item in loc:
        if isinstance(item, str) and "[" in item:
            break
        parts.append(str(item))
    return ".".join(parts)


def _parse_error(exc: ValidationError, model: type[BaseModel], raw: object) -> EventParseError:
    errors: list[dict[str, Any]] = []
    for error in exc.errors(include_url=False, include_context=False, include_input=False):
        errors.append({**error, "field": _field(error["loc"])})
    first = errors[0]
    if first["type"] == "json_invalid" and "recursion limit" in first["msg"]:
        return EventParseError(TOO_DEEP, raw=raw, errors=errors)
    if first["type"] == "json_invalid":
        return EventParseError(f"the payload is not JSON: {first['msg']}", raw=raw, errors=errors)
    if first["type"] == "string_unicode":
        return EventParseError("the payload is not valid text (lone surrogates)", raw=raw, errors=errors)
    if first["type"] in ("model_type", "model_attributes_type") and not first["loc"]:
        return EventParseError("the payload must be a JSON object", raw=raw, errors=errors)
    problems: list[str] = []
    named: set[str] = set()
    for problem in errors:
        # A union field reports once per member ('step.type', 'step.type.str'): name it once.
        where = problem["field"] or "payload"
        if where not in named:
            named.add(where)
            problems.append(f"{where}: {problem['msg']}")
    shown = "; ".join(problems[:MAX_ERRORS_SHOWN])
    if len(problems) > MAX_ERRORS_SHOWN:
        shown += f"; {len(problems)} problems in all (see .errors)"
    return EventParseError(f"invalid {model.__name__}: {shown}", raw=raw, errors=errors)


def _decode(body: object) -> Any:
    """The JSON value of a body (bytes-like or str), or the mapping as given."""
    if isinstance(body, (bytearray, memoryview)):
        body = bytes(body)
    if isinstance(body, (bytes, str)):
        try:
            return registry().from_json(body)  # pydantic-core's JSON parser (faster than json)
        except ValueError as exc:
            if "recursion limit" in str(exc):
                raise EventParseError(TOO_DEEP, raw=body) from None
            raise EventParseError(f"the payload is not JSON: {exc}", raw=body) from None
        except TypeError:  # a str with lone surrogates
            raise EventParseError("the payload is not valid text (lone surrogates)", raw=body) from None
    if isinstance(body, Mapping):
        return body if isinstance(body, dict) else dict(body)
    raise EventParseError(f"the payload must be bytes, str or a mapping, not {type(body).__name__}", raw=body)


def _validate(model: type[BaseModel], data: Any, raw: object) -> BaseModel:
    known = registry()
    try:
        return model.model_validate(data)
    except known.ValidationError as exc:
        raise _parse_error(exc, model, raw) from None
    except RecursionError:
        raise EventParseError(TOO_DEEP, raw=raw) from None


def parse_event(body: Body, *, channel: Channel | None = None) -> Event:
    """Parse a payload into the model of its message.

    Spec shapes: TaskCompletedPayload, StepEventPayload, CrewCompletedPayload. Observed shapes:
    LegacyTaskCompletedPayload, LegacyStepEventPayload, LegacyCrewCompletedPayload, and a
    StreamedEventBatch (see [parse_stream][crewai_amp.webhooks.parse_stream]). ``channel`` ("task",
    "step", "crew", "stream") restricts the choice to that channel's messages; without it the
    channel is inferred ([channel_of][crewai_amp.webhooks.channel_of]). Unknown fields are kept
    (``event.model_extra``) and unknown enum values are kept as plain strings. Anything else raises
    EventParseError (a ValueError) naming every invalid field; ``.errors`` lists them all.
    """
    known = registry()
    if channel is not None and (not isinstance(channel, str) or channel not in known.channels):
        expected = ", ".join(known.channels)
        raise EventParseError(f"unknown channel {channel!r}; expected one of {expected}", raw=body)
    if channel is not None and isinstance(body, (bytes, str)):
        # A channel given (a receiver per webhook URL): usually its first message, in one
        # pydantic-core pass.
        models = known.channels[channel]
        try:  # the model's own validator: model_validate_json without its Python wrapper
            return cast("Event", models[0].__pydantic_validator__.validate_json(body))
        except known.ValidationError as exc:
            if len(models) == 1 or exc.errors()[0]["type"] in ("json_invalid", "string_unicode"):
                raise _parse_error(exc, models[0], body) from None
    elif channel is None and type(body) is bytes:
        # No channel: decode, then validate the complete message, in two C calls. Anything
        # unusual goes the long way below, which words the error.
        try:
            data = known.from_json(body)
        except ValueError:
            data = None
        if type(data) is dict:
            model = known.choose(data)[1]
            if model is not None:
                try:
                    return cast("Event", model.__pydantic_validator__.validate_python(data))
                except (known.ValidationError, RecursionError):
                    pass
    data = _decode(body)
    if not isinstance(data, Mapping):
        raise EventParseError(f"the payload must be a JSON object, not {type(data).__name__}", raw=body)
    if channel is not None:
        model = known.pick(channel, data)
    else:
        found, complete = known.choose(data)
        model = complete or known.channels[found][0]
    return cast("Event", _validate(model, data, body))


def parse_message(body: Body, message: str) -> Any:
    """Parse a payload as the AsyncAPI message named ``message`` (e.g. ``"TaskCompleted"``,
    ``"LegacyStepEvent"``, or one added to the spec later) and return its generated model."""
    known = registry()
    model = known.messages.get(message) if isinstance(message, str) else None
    if model is None:
        raise EventParseError(
            f"unknown message {message!r}; expected one of {', '.join(known.messages)}", raw=body
        )
    return _validate(model, _decode(body), body)


def parse_stream(body: Body) -> list[StreamedEvent]:
    """The events of a streamed delivery ``{"events": [...]}``, in the order received: objects
    with ``id``, ``execution_id``, ``timestamp`` (datetime), ``type`` (any string; types AMP adds
    later are kept) and ``data``. Order is not guaranteed by AMP: see
    [sorted_by_time][crewai_amp.webhooks.sorted_by_time]."""
    batch = parse_event(body, channel="stream")
    return list(cast("StreamedEventBatch", batch).events)


def _instant(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _order(event: StreamedEvent) -> tuple[datetime, float]:
    sequence = event.data.get("emission_sequence") if isinstance(event.data, dict) else None
    if isinstance(sequence, (int, float)) and not isinstance(sequence, bool):
        return _instant(event.timestamp), float(sequence)
    return _instant(event.timestamp), float("inf")


def sorted_by_time(events: Iterable[StreamedEvent]) -> list[StreamedEvent]:
    """Streamed events ordered by ``timestamp`` (a timestamp without a zone counts as UTC), then
    by ``data.emission_sequence`` where deployed AMP sends it; events that tie on both keep their
    received order."""
    return sorted(events, key=_order)


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def delivery_key(event: Any) -> str:
    """The dedupe key of an event delivered without a ``webhook-id`` (deployed AMP signs
    nothing), from its payload, stable across AMP's retries:

    - a streamed event: ``execution_id`` + its ``id``;
    - a task event: ``kickoff_id`` + the task (``task_id``, else the legacy ``name``, else a
      hash of its ``description``) + its ``status`` if it has one + a hash of its ``output`` and
      ``output_json`` (a task redone after a human review comes again with a new output);
    - a step event: ``kickoff_id`` + a hash of the whole step payload;
    - a crew event: ``kickoff_id`` + ``"crew"``;
    - a human-input request: ``kickoff_id`` + ``task_id`` + a hash of ``task_output``;
    - a flow-feedback request: its ``id`` (else a hash of its ``callback_url``) + ``event_type``
      (an escalation of a request is a delivery of its own);
    - any other message: its channel + a hash of the payload.
    """
    data = event.model_dump(by_alias=True, mode="json")
    kickoff = data.get("kickoff_id")
    channel = channel_of_event(event)
    if channel == "unknown" and "execution_id" in data and "id" in data:  # one streamed event
        parts: list[Any] = ["stream", data["execution_id"], data["id"]]
    elif channel == "task":
        task = data.get("task_id") or data.get("name") or _digest(data.get("description"))
        output = _digest([data.get("output"), data.get("output_json")])
        parts = ["task", kickoff, task, data.get("status"), output]
    elif channel == "step":
        parts = ["step", kickoff, _digest(data)]
    elif channel == "crew":
        parts = ["crew", kickoff]
    elif channel == "humanInput":
        parts = ["humanInput", kickoff, data.get("task_id"), _digest(data.get("task_output"))]
    elif channel == "flowFeedback":
        request = data.get("id") or _digest(data.get("callback_url"))
        parts = ["flowFeedback", request, data.get("event_type")]
    else:
        parts = [channel, _digest(data)]
    return json.dumps(parts, separators=(",", ":"), ensure_ascii=True)
