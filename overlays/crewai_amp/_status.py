"""What the client returns: the generated response models, plus StatusUnknown for a status the
SDK does not know.

``GET /status/{kickoff_id}`` answers in one of two dialects, read by one rule (``_states``):

- the spec's: one of several shapes, told apart by ``status`` (the spec's discriminator). The
  variants and their ``status`` values are read from the generated code — the union the
  generated ``_parse_response`` returns and each variant's generated enum — so a new variant in
  a regenerated spec is dispatched with no edit here;
- the one deployed crews send (the platform guide's, of which Semantic Kernel's
  ``{"state", "result", "last_step"}`` is a part; the generated ObservedStatus): its ``state``
  picks the spec variant it means, built from the platform fields (the mapping below). The
  fields the variant has no place for (``state``, ``last_step``, ``result_json``, anything new)
  stay in its ``additional_properties``.

A body with a ``state`` is read by it; one without is read by its ``status``: a spec variant's
value, else a state of the table (``{"status": "SUCCESS"}``), else StatusUnknown. Every
completed status, whatever its shape, has ``result.output`` (the text, or None) and
``result.output_json`` (the output as JSON, or None). Whatever the dialect, ``raw_body()``
gives back the body exactly as received.
"""

from __future__ import annotations

import typing
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import attrs
from crewai_amp_api.api.status import get_kickoff_status
from crewai_amp_api.models import (
    KickoffResponse,
    ObservedStatus,
    ResumeResponse,
    StatusCompleted,
    StatusCompletedResult,
    StatusError,
    StatusPendingHumanInput,
    StatusRunning,
)
from crewai_amp_api.types import Unset

from . import _deepjson
from ._models import ModelError, enum_field, json_kind, load
from ._responses import UnknownRun
from ._states import Kind, kind_of

__all__ = [
    "KickoffResponse",
    "ResumeResponse",
    "Status",
    "StatusCompleted",
    "StatusError",
    "StatusPendingHumanInput",
    "StatusRunning",
    "StatusUnknown",
    "parse_status",
    "raw_body",
    "status_value",
]

DISCRIMINATOR = "status"
STATE = "state"


@dataclass(frozen=True, slots=True)
class StatusUnknown:
    """A status AMP sent that this version of the SDK does not know (e.g. a new review state).

    ``status`` is the value AMP sent; ``raw`` the whole body as received, nothing dropped. Like
    the generated models it answers ``to_dict()``, ``additional_properties`` and
    ``status["field"]``.
    """

    status: str
    raw: dict[str, Any] = field(compare=False)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.raw)

    @property
    def additional_properties(self) -> dict[str, Any]:
        """Every field but ``status``."""
        return {k: v for k, v in self.raw.items() if k != DISCRIMINATOR}

    @property
    def additional_keys(self) -> list[str]:
        """The names of every field but ``status``."""
        return list(self.additional_properties)

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __contains__(self, key: object) -> bool:
        return key != DISCRIMINATOR and key in self.raw


Status: TypeAlias = StatusRunning | StatusCompleted | StatusError | StatusPendingHumanInput | StatusUnknown
"""What ``status()`` returns: one of these, whichever dialect the crew answers in."""


def _variants() -> dict[str, type[Any]]:
    """``status`` value -> generated model, from the generated operation's return annotation."""
    returned = typing.get_type_hints(get_kickoff_status._parse_response)["return"]
    table: dict[str, type[Any]] = {}
    for model in typing.get_args(returned):
        enum_type = enum_field(model, DISCRIMINATOR) if attrs.has(model) else None
        for member in enum_type or ():
            table[member.value] = model
    return table


VARIANTS: Mapping[str, type[Any]] = _variants()
# The spec variant each kind of state is read into.
_VARIANT_OF: dict[Kind, tuple[str, type[Any]]] = {
    "completed": ("completed", StatusCompleted),
    "error": ("error", StatusError),
    "running": ("running", StatusRunning),
    "paused": ("pending_human_input", StatusPendingHumanInput),
}


def parse_status(data: object, kickoff_id: str = "") -> Status:
    """A status body, in either dialect, as its generated model, or StatusUnknown for a status or
    state the SDK does not know. Raises UnknownRun for the ``NOT FOUND`` state, and ModelError
    for anything else that does not fit (not an object, neither a string ``status`` nor a
    string ``state``, fields of the wrong type)."""
    if not isinstance(data, dict):
        raise ModelError(f"expected a JSON object, got {json_kind(data)}")
    state, value = data.get(STATE), data.get(DISCRIMINATOR)
    # The platform's shape: its state decides. A blank state, or one that is no string, beside a
    # string status leaves the reading to the status (the reading rule: state, else status).
    if _text(state) is not None or (state is not None and not isinstance(value, str)):
        observed = load(ObservedStatus, data)  # state a string, the platform fields of their kinds
        return _from_state(observed.state, data, kickoff_id, message=value)
    if not isinstance(value, str):
        got = json_kind(value) if DISCRIMINATOR in data else "nothing (the field is required)"
        raise ModelError(f"{DISCRIMINATOR}: expected a string, got {got}")
    model = VARIANTS.get(value)
    if model is not None:
        parsed: Status = load(model, _spec_shaped(model, data))
        return _kept(_completed(parsed, data), data)
    if kind_of(value) is not None:  # a state in the status field: {"status": "SUCCESS", ...}
        load(ObservedStatus, {**data, STATE: value, DISCRIMINATOR: None})
        return _from_state(value, data, kickoff_id, message=None)
    return StatusUnknown(status=value, raw=data)


# --- a body read by its state -----------------------------------------------------------------

# Where a body may name the current task and an error; the first string found wins.
_TASK_KEYS = ("current_task", "task_name", "task", "task_id")
_ERROR_KEYS = ("error", "message")
# The fields a state-read body keeps out of the variant's additional_properties: the variant
# has them in its own form.
_MAPPED = frozenset({DISCRIMINATOR, "result", "progress"})


def _from_state(state: str, data: dict[str, Any], kickoff_id: str, *, message: object) -> Status:
    kind = kind_of(state)
    if kind is None:
        return StatusUnknown(status=state, raw=data)
    if kind == "not_found":
        raise UnknownRun(kickoff_id, state, data)
    value, model = _VARIANT_OF[kind]
    message = _text(message)
    result = data.get("result")
    last_step = data.get("last_step")
    mapped: dict[str, Any] = {DISCRIMINATOR: value}
    if "progress" in data:
        mapped["progress"] = _progress(data["progress"])
    current = _text_in(data.get("progress"), ("current",)) or _text_in(last_step, _TASK_KEYS)
    if kind == "completed":
        mapped["result"] = _result(result, data.get("result_json"))
    elif kind == "error":
        mapped["error"] = (
            _text(data.get("error"))
            or message
            or _text(result)
            or _text_in(result, _ERROR_KEYS)
            or _text_in(last_step, _ERROR_KEYS)
            or f"the run ended in state {state!r}"
        )
    elif kind == "running":
        _put(mapped, "current_task", current)
    else:  # paused: after the task under review (the HITL guide), the last one executed
        reviewed = _text_in(data.get("last_executed_task"), ("name",))
        task_id = _text_in(last_step, ("task_id",)) or _text_in(data, ("task_id",))
        _put(mapped, "task_id", task_id or reviewed)
        progress_task = _text_in(data.get("progress"), ("current",))
        _put(mapped, "current_task", progress_task or reviewed or current)
        _put(mapped, "message", message or _text(result))
    # The fields the variant has no place for are kept; its own fields win.
    kept = {key: item for key, item in data.items() if key not in _MAPPED and key not in mapped}
    parsed: Status = load(model, {**kept, **mapped})
    return _kept(_completed(parsed, data), data)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _text_in(value: object, keys: tuple[str, ...]) -> str | None:
    if isinstance(value, dict):
        for key in keys:
            found = _text(value.get(key))
            if found is not None:
                return found
    return None


def _put(mapped: dict[str, Any], key: str, value: str | None) -> None:
    if value is not None:
        mapped[key] = value


def _result(result: object, result_json: object) -> dict[str, Any]:
    """A completed run's result, by the reading rule (prefer result_json, else result: a
    string, or ``result.output``): ``output`` the text (``result``, else ``result_json`` as
    text), ``output_json`` the JSON form (``result_json``, else a structured result), and the
    API reference's ``tasks``."""
    shaped: dict[str, Any] = {}
    if isinstance(result, dict) and "output" in result and isinstance(result["output"], (str, type(None))):
        # the API reference's {output, tasks}, its output text or null
        shaped = {key: item for key, item in result.items() if key == "tasks"}
        result = result["output"]
    as_json = _json_of(result_json)
    text: str | None = None
    if isinstance(result, str):
        text = result
    elif isinstance(result, (dict, list)):
        text = _deepjson.dumps(result, ensure_ascii=False)
        as_json = result if as_json is None else as_json
    if not text and as_json is not None:
        text = result_json if isinstance(result_json, str) else _deepjson.dumps(as_json, ensure_ascii=False)
    return {**shaped, "output": text, "output_json": as_json}


def _json_of(result_json: object) -> object:
    """``result_json`` as JSON: the value as sent, or the object or array a JSON text holds (a
    server that encodes it twice); any other text is kept as it is."""
    if isinstance(result_json, str):
        try:
            decoded = _deepjson.loads(result_json)
        except ValueError:
            return result_json
        return decoded if isinstance(decoded, (dict, list)) else result_json
    return result_json


def _progress(progress: object) -> object:
    """The platform's progress with the spec's ``completed_tasks``/``total_tasks`` filled in
    from ``completed``/``total`` when it counts tasks (a flow's counts steps)."""
    if not isinstance(progress, dict) or progress.get("unit") not in (None, "task"):
        return progress
    filled = dict(progress)
    for spec_name, platform_name in (("completed_tasks", "completed"), ("total_tasks", "total")):
        count = progress.get(platform_name)
        if spec_name not in filled and isinstance(count, int) and not isinstance(count, bool):
            filled[spec_name] = count
    return filled


def _spec_shaped(model: type[Any], data: dict[str, Any]) -> dict[str, Any]:
    """A body read by a spec variant, with the platform's forms of its fields in the spec's:
    the platform's progress counts, and a completed run's result sent as text (the reading
    rule: ``result`` is a string, or ``result.output``)."""
    progress = data.get("progress")
    filled = _progress(progress)
    shaped = data if filled is progress else {**data, "progress": filled}
    if model is StatusCompleted and isinstance(data.get("result"), str):
        shaped = {**shaped, "result": _result(data["result"], data.get("result_json"))}
    return shaped


def _completed(status: Status, data: dict[str, Any]) -> Status:
    """A completed status whose ``result.output`` and ``result.output_json`` are never unset."""
    if isinstance(status, StatusCompleted):
        result = status.result
        if not isinstance(result, StatusCompletedResult):
            result = status.result = StatusCompletedResult()
        if isinstance(result.output, Unset):
            result.output = None
        if isinstance(result.output_json, Unset):
            result.output_json = _json_of(data.get("result_json"))
    return status


# --- the body as received ------------------------------------------------------------------

# id(status) -> a copy of the body it was parsed from (the model shares the body's nested
# objects, which a caller may change); an entry leaves with its status object (the generated
# models are unhashable attrs classes, so no WeakKeyDictionary).
_RAW: dict[int, dict[str, Any]] = {}


def _kept(status: Status, body: dict[str, Any]) -> Status:
    if not isinstance(status, StatusUnknown):
        key = id(status)
        _RAW[key] = _deepjson.copy(body)
        weakref.finalize(status, _RAW.pop, key, None)
    return status


def raw_body(status: Status) -> dict[str, Any]:
    """The status body exactly as AMP sent it, whichever dialect (a copy: change it freely).

    For a status the client parsed this is the JSON object received; for one built by hand it
    is its ``to_dict()``. ``client.with_raw_response.status(...)`` also gives the HTTP response.
    """
    body = status.raw if isinstance(status, StatusUnknown) else _RAW.get(id(status))
    if body is not None:
        copied: dict[str, Any] = _deepjson.copy(body)
        return copied
    to_dict = getattr(status, "to_dict", None)
    if callable(to_dict):
        document: dict[str, Any] = to_dict()
        return document
    raise TypeError(f"expected a status object, got {type(status).__name__}")


def status_value(status: object) -> str:
    """The status as a plain string, whichever model carries it."""
    value = getattr(status, DISCRIMINATOR, None)
    return str(getattr(value, "value", value))
