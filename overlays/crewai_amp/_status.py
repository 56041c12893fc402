"""What the client returns: the generated response models, plus StatusUnknown for a status the
spec does not know.

``GET /status/{kickoff_id}`` answers in one of two dialects:

- the spec's: one of several shapes, told apart by ``status`` (the spec's discriminator). The
  variants and their ``status`` values are read from the generated code — the union the
  generated ``_parse_response`` returns and each variant's generated enum — so a new variant in
  a regenerated spec is dispatched with no edit here;
- the observed one deployed crews send (``{"state", "result", "last_step"}``, the generated
  ObservedStatus): its ``state``, compared case-insensitively, picks the spec variant it means,
  built from the observed fields (the table below). The observed fields the variant has no
  place for (``state``, ``last_step``, anything new) stay in its ``additional_properties``.

Whatever the dialect, :func:`raw_body` gives back the body exactly as received.
"""

from __future__ import annotations

import json
import re
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
    StatusError,
    StatusPendingHumanInput,
    StatusRunning,
)

from ._models import ModelError, enum_field, json_kind, load
from ._responses import UnknownRun

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


@dataclass(frozen=True, slots=True)
class StatusUnknown:
    """A status AMP sent that this version of the spec does not know (e.g. a new review state).

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
        return list(self.additional_properties)

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __contains__(self, key: object) -> bool:
        return key != DISCRIMINATOR and key in self.raw


Status: TypeAlias = StatusRunning | StatusCompleted | StatusError | StatusPendingHumanInput | StatusUnknown


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


def _is_variant(value: object) -> bool:
    return isinstance(value, str) and value in VARIANTS


def parse_status(data: object, kickoff_id: str = "") -> Status:
    """A status body, in either dialect, as its generated model, or StatusUnknown for a status or
    state the SDK does not know. Raises UnknownRun for the observed ``NOT FOUND`` state, and
    ModelError for anything else that does not fit (not an object, neither a string ``status``
    nor a string ``state``, fields of the wrong type)."""
    if not isinstance(data, dict):
        raise ModelError(f"expected a JSON object, got {json_kind(data)}")
    if OBSERVED_STATE in data and (
        DISCRIMINATOR not in data
        or (isinstance(data[OBSERVED_STATE], str) and not _is_variant(data[DISCRIMINATOR]))
    ):
        # The observed dialect: its `state` decides, whatever `status` it may also carry
        # (missing, null, or a value the spec's variants do not know).
        return _kept(_from_observed(data, kickoff_id), data)
    value = data.get(DISCRIMINATOR)
    if not isinstance(value, str):
        got = json_kind(value) if DISCRIMINATOR in data else "nothing (the field is required)"
        raise ModelError(f"{DISCRIMINATOR}: expected a string, got {got}")
    model = VARIANTS.get(value)
    if model is None:
        return StatusUnknown(status=value, raw=data)
    parsed: Status = load(model, data)
    return _kept(parsed, data)


# --- the observed dialect ------------------------------------------------------------------

OBSERVED_STATE = "state"


def normal_state(state: str) -> str:
    """An observed state as compared: upper case, runs of spaces, ``-`` and ``_`` as one space
    ("Pending_human-input " -> "PENDING HUMAN INPUT")."""
    return " ".join(re.split(r"[\s_-]+", state.upper())).strip()


_DONE = frozenset({"SUCCESS"})
_FAILED = frozenset({"FAILED", "FAILURE", "REVOKED"})
_RUNNING = frozenset({"PENDING", "STARTED", "RUNNING"})
_NOT_FOUND = frozenset({"NOT FOUND"})
# A paused-for-review state names a human and what it waits for, and that it waits:
# PENDING HUMAN INPUT, AWAITING HUMAN INPUT, WAITING FOR HUMAN FEEDBACK, HUMAN INPUT REQUIRED...
_HUMAN_WAITING = frozenset({"PENDING", "AWAITING", "WAITING", "PAUSED", "REQUIRED", "NEEDED"})
_HUMAN_ASKED = frozenset({"INPUT", "FEEDBACK", "REVIEW"})

# Where an observed body may name the current task and an error; first string found wins.
_TASK_KEYS = ("current_task", "task_name", "task", "task_id")
_ERROR_KEYS = ("error", "message")


def _is_human_wait(state: str) -> bool:
    words = set(state.split(" "))
    return "HUMAN" in words and bool(words & _HUMAN_ASKED) and bool(words & _HUMAN_WAITING)


def _text_in(value: object, keys: tuple[str, ...]) -> str | None:
    if isinstance(value, dict):
        for key in keys:
            found = value.get(key)
            if isinstance(found, str) and found.strip():
                return found
    return None


def _output_text(result: object) -> str:
    """The observed ``result`` as the completed run's output text: the text itself, or the
    JSON text of a structured result (the structure stays in raw_body())."""
    if isinstance(result, str):
        return result
    return json.dumps(result, ensure_ascii=False, sort_keys=False)


def _from_observed(data: dict[str, Any], kickoff_id: str) -> Status:
    observed = load(ObservedStatus, data)  # state a string, result and last_step of their kinds
    state = normal_state(observed.state)
    result = data.get("result")
    last_step = data.get("last_step")
    mapped: dict[str, Any]
    if state in _DONE:
        mapped = {"status": "completed"}
        if result is not None:
            mapped["result"] = {"output": _output_text(result)}
        model: type[Any] = StatusCompleted
    elif state in _FAILED:
        error = (result if isinstance(result, str) and result.strip() else None) or _text_in(
            result, _ERROR_KEYS
        )
        error = error or _text_in(last_step, _ERROR_KEYS) or f"the run ended in state {observed.state!r}"
        mapped, model = {"status": "error", "error": error}, StatusError
    elif state in _RUNNING:
        mapped, model = {"status": "running"}, StatusRunning
        _put(mapped, "current_task", _text_in(last_step, _TASK_KEYS))
    elif _is_human_wait(state):
        mapped, model = {"status": "pending_human_input"}, StatusPendingHumanInput
        _put(mapped, "task_id", _text_in(last_step, ("task_id",)) or _text_in(data, ("task_id",)))
        _put(mapped, "current_task", _text_in(last_step, _TASK_KEYS))
        _put(mapped, "message", result if isinstance(result, str) and result.strip() else None)
    elif state in _NOT_FOUND:
        raise UnknownRun(kickoff_id, observed.state, data)
    else:
        return StatusUnknown(status=observed.state, raw=data)
    # The observed fields the variant has no place for are kept; its own fields win.
    kept = {key: value for key, value in data.items() if key != "result" and key not in mapped}
    parsed: Status = load(model, {**kept, **mapped})
    return parsed


def _put(mapped: dict[str, Any], key: str, value: str | None) -> None:
    if value is not None:
        mapped[key] = value


# --- the body as received ------------------------------------------------------------------

# id(status) -> a copy of the body it was parsed from (the model shares the body's nested
# objects, which a caller may change); an entry leaves with its status object (the generated
# models are unhashable attrs classes, so no WeakKeyDictionary).
_RAW: dict[int, dict[str, Any]] = {}


def _kept(status: Status, body: dict[str, Any]) -> Status:
    if not isinstance(status, StatusUnknown):
        key = id(status)
        _RAW[key] = _copied(body)
        weakref.finalize(status, _RAW.pop, key, None)
    return status


def _copied(value: Any) -> Any:
    """A deep copy of parsed JSON (dicts, lists and scalars), several times quicker than
    copy.deepcopy, which handles every kind of object."""
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copied(item) for item in value]
    return value


def raw_body(status: Status) -> dict[str, Any]:
    """The status body exactly as AMP sent it, whichever dialect (a copy: change it freely).

    For a status the client parsed this is the JSON object received; for one built by hand it
    is its ``to_dict()``. ``client.with_raw_response.status(...)`` also gives the HTTP response.
    """
    body = status.raw if isinstance(status, StatusUnknown) else _RAW.get(id(status))
    if body is not None:
        copied: dict[str, Any] = _copied(body)
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
