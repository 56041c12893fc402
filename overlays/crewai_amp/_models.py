"""Loading response bodies into the generated models, and checking that they hold what their
annotations promise.

The generated ``from_dict`` methods build a model from a dict but trust the data: a string where
an integer belongs, or ``null`` for a string, passes straight through and surprises the caller
much later. ``load`` calls ``from_dict`` and then checks every field against the generated
annotations (read once per class, compiled into small check functions, so a regenerated model is
checked by its new annotations with no edit here). Problems come back as ``ModelError``
naming the field path, e.g. ``result.tasks[0].execution_time: expected a number, got str``.

Forward compatibility: a string the generated enum does not know (AMP added a value) does not
fail; the field holds an ``UnknownEnumValue`` instead, a ``str`` that also answers
``.value`` like the enum members, so comparisons, ``str()`` and ``to_dict()`` keep working.
"""

from __future__ import annotations

import copyreg
import enum
import sys
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs
from crewai_amp_api.types import UNSET, Unset

__all__ = ["ModelError", "UnknownEnumValue", "enum_field", "json_kind", "load"]

T = TypeVar("T")

# The generated models mark a missing field with the UNSET singleton and test it with `is`: a
# model that crosses a pickle (an error's status, through a ProcessPoolExecutor) must get the
# same singleton back, not a copy that to_dict() would mistake for a value.
copyreg.pickle(Unset, lambda _: "UNSET")

# A check returns None when the value is fine, else what is wrong with it.
Check = Callable[[Any], str | None]


class ModelError(ValueError):
    """A body that does not fit its model; the message names the field."""


class UnknownEnumValue(str):
    """An enum value AMP sent that this version of the spec does not list.

    It is the string AMP sent (``== "paused"``, ``str()``), and answers ``.value`` and
    ``.name`` like a member of the generated enum, so ``to_dict()`` round-trips it.
    """

    __slots__ = ()

    @property
    def value(self) -> str:
        return str(self)

    @property
    def name(self) -> str:
        return str(self).upper()

    def __repr__(self) -> str:
        return f"UnknownEnumValue({str(self)!r})"


def json_kind(value: object) -> str:
    if value is None:
        return "null"
    return {dict: "object", list: "array", bool: "boolean"}.get(type(value), type(value).__name__)


def _joined(problem: str) -> str:
    """How a nested problem follows its field name: `a.b: ...`, `a[0]: ...`, `a: ...`."""
    return problem if problem.startswith((".", "[")) else f": {problem}"


def _accept(value: object) -> str | None:
    return None


def _is_str(value: object) -> str | None:
    return None if isinstance(value, str) else f"expected a string, got {json_kind(value)}"


def _is_int(value: object) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return None
    return f"expected an integer, got {json_kind(value)}"


def _is_number(value: object) -> str | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return None
    return f"expected a number, got {json_kind(value)}"


def _is_bool(value: object) -> str | None:
    return None if isinstance(value, bool) else f"expected a boolean, got {json_kind(value)}"


def _is_dict(value: object) -> str | None:
    return None if isinstance(value, dict) else f"expected an object, got {json_kind(value)}"


def _is_none(value: object) -> str | None:
    return None if value is None else f"expected null, got {json_kind(value)}"


_SCALARS: dict[object, Check] = {
    str: _is_str,
    int: _is_int,
    float: _is_number,
    bool: _is_bool,
    dict: _is_dict,
    type(None): _is_none,
    Any: _accept,
    object: _accept,
}


def _enum_check(cls: type[enum.Enum]) -> Check:
    def check(value: object) -> str | None:
        if isinstance(value, (cls, UnknownEnumValue)):
            return None
        return f"expected one of {[m.value for m in cls]}, got {json_kind(value)}"

    return check


def _list_check(item: Check) -> Check:
    def check(value: object) -> str | None:
        if not isinstance(value, list):
            return f"expected an array, got {json_kind(value)}"
        for index, element in enumerate(value):
            problem = item(element)
            if problem is not None:
                return f"[{index}]{_joined(problem)}"
        return None

    return check


def _union_check(checks: list[Check], optional: bool) -> Check:
    if optional and len(checks) == 1:  # `X | Unset`, the common case: no loop
        (inner,) = checks

        def check_optional(value: object) -> str | None:
            return None if value is UNSET else inner(value)

        return check_optional

    def check(value: object) -> str | None:
        if optional and value is UNSET:
            return None
        problems = []
        for one in checks:
            problem = one(value)
            if problem is None:
                return None
            problems.append(problem)
        return _either(problems, value)

    return check


def _either(problems: list[str], value: object) -> str:
    """One message for a value no member of a union accepts: every kind it could have been
    (``expected a string, an object or null, got int``), or the first problem found inside a
    value of the right kind (``.field: ...``)."""
    wanted: list[str] = []
    for problem in problems:
        head, got, _ = problem.partition(", got ")
        if not (got and head.startswith("expected ")):
            return problem
        wanted.append(head.removeprefix("expected "))
    if len(wanted) == 1:
        return problems[0]
    return f"expected {', '.join(wanted[:-1])} or {wanted[-1]}, got {json_kind(value)}"


def _model_check(cls: type) -> Check:
    plans: list[_Plan] = []  # the plan, fetched on first use (recursion)

    def check(value: object) -> str | None:
        if not isinstance(value, cls):
            return f"expected an object, got {json_kind(value)}"
        if not plans:
            plans.append(_plan(cls))
        problem = _problem(plans[0], value)
        return None if problem is None else f".{problem}"

    return check


def _problem(plan: _Plan, model: object) -> str | None:
    """What is wrong with a loaded model's fields, ``name: ...`` (None if nothing)."""
    for name, one in plan.fields:
        problem = one(getattr(model, name))
        if problem is not None:
            return f"{name}{_joined(problem)}"
    if plan.values is not None:
        for key, value in getattr(model, "additional_properties", {}).items():
            problem = plan.values(value)
            if problem is not None:
                return f"{key}{_joined(problem)}"
    return None


def _check_for(annotation: object) -> Check:
    """A check for one resolved annotation. Anything not understood is accepted: the check
    exists to catch wrong data, never to reject a regenerated model it cannot read."""
    scalar = _SCALARS.get(annotation)
    if scalar is not None:
        return scalar
    if annotation is Unset:
        return lambda value: None if value is UNSET else f"expected nothing, got {json_kind(value)}"
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(annotation)
        rest = [_check_for(arg) for arg in args if arg is not Unset]
        if _accept in rest:
            return _accept
        if len(rest) == 1 and Unset not in args:
            return rest[0]
        return _union_check(rest, optional=Unset in args)
    if origin is list:
        (item,) = typing.get_args(annotation) or (Any,)
        return _list_check(_check_for(item))
    if origin in (dict, Mapping):
        return _is_dict
    if origin is typing.Literal:
        allowed = typing.get_args(annotation)
        return lambda value: None if value in allowed else f"expected one of {list(allowed)}"
    if isinstance(annotation, type):
        if issubclass(annotation, enum.Enum):
            return _enum_check(annotation)
        if attrs.has(annotation):
            return _model_check(annotation)
    return _accept


@attrs.frozen
class _Plan:
    fields: tuple[tuple[str, Check], ...]
    # Top-level fields typed as a generated enum: (name, enum, its values). Their JSON key is
    # their name in every generated model that has one; where it is not, no stand-in is used and
    # an unknown value is a ModelError.
    enums: tuple[tuple[str, type[enum.Enum], frozenset[object]], ...]
    # Fields holding a generated model (or a list of them): (name, is_list, model). ``from_dict``
    # turns a list given for an object into an empty model (``dict([])``), so the raw shape is
    # checked before it runs. Same key assumption as ``enums``.
    nested: tuple[tuple[str, bool, type | None, bool], ...]
    # The check of every value in ``additional_properties`` when the schema types them (a map
    # such as ``dict[str, str]``); None when they may hold anything.
    values: Check | None = None


_PLANS: dict[type, _Plan] = {}


def _hints(cls: type) -> dict[str, Any]:
    """The resolved annotations of a generated model. Names imported only for type checking
    are found in the package that holds the model (``crewai_amp_api.models``)."""
    package = sys.modules.get(cls.__module__.rpartition(".")[0])
    namespace = dict(vars(package)) if package is not None else {}
    try:
        return typing.get_type_hints(cls, localns=namespace)
    except Exception:  # an annotation this Python cannot evaluate: check nothing, never crash
        return {}


def _plan(cls: type) -> _Plan:
    plan = _PLANS.get(cls)
    if plan is None:
        hints = _hints(cls)
        fields = []
        enums = []
        nested = []
        for field in attrs.fields(cls):
            if not field.init or field.name not in hints:  # additional_properties holds anything
                continue
            annotation = hints[field.name]
            fields.append((field.name, _check_for(annotation)))
            enum_type = _enum_of(annotation)
            if enum_type is not None:
                enums.append((field.name, enum_type, frozenset(m.value for m in enum_type)))
            shape = _nested_of(annotation)
            if shape is not None:
                nested.append((field.name, *shape))
        values = _check_for(_value_type(hints.get("additional_properties")))
        plan = _Plan(
            fields=tuple(fields),
            enums=tuple(enums),
            nested=tuple(nested),
            values=None if values is _accept else values,
        )
        _PLANS[cls] = plan
    return plan


def _value_type(annotation: object) -> object:
    """The value type of a ``dict[str, X]`` annotation; Any for anything else."""
    if typing.get_origin(annotation) is dict:
        args = typing.get_args(annotation)
        if len(args) == 2:
            return args[1]
    return Any


def _enum_of(annotation: object) -> type[enum.Enum] | None:
    """The generated enum an annotation names (``E`` or ``E | Unset``), else None."""
    candidates = [a for a in typing.get_args(annotation) if a is not Unset] or [annotation]
    if len(candidates) == 1 and isinstance(candidates[0], type) and issubclass(candidates[0], enum.Enum):
        return candidates[0]
    return None


def _nested_of(annotation: object) -> tuple[bool, type | None, bool] | None:
    """(is_list, model, nullable) for ``Model``, ``list[Model]`` or ``list[...]`` (each maybe
    ``| Unset``, and ``| None`` for nullable)."""
    union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    args = typing.get_args(annotation) if union else (annotation,)
    candidates = [a for a in args if a is not Unset and a is not type(None)]
    if len(candidates) != 1:
        return None
    (one,) = candidates
    nullable = type(None) in args
    if isinstance(one, type) and attrs.has(one):
        return False, one, nullable
    if typing.get_origin(one) is list:
        item = (typing.get_args(one) or (None,))[0]
        return True, item if isinstance(item, type) and attrs.has(item) else None, nullable
    return None


def _shape(cls: type, data: dict[str, Any]) -> str | None:
    """What is wrong with the raw containers under ``data`` for model ``cls``, if anything."""
    for name, is_list, model, nullable in _plan(cls).nested:
        value = data.get(name, UNSET)
        if value is UNSET or (nullable and not isinstance(value, (dict, list))):
            continue  # a union's from_dict keeps what it cannot read, and the field check names it
        if is_list:
            if not isinstance(value, list):
                return f"{name}: expected an array, got {json_kind(value)}"
            if model is not None:
                for index, item in enumerate(value):
                    problem = _shape_of(model, item)
                    if problem is not None:
                        return f"{name}[{index}]{_joined(problem)}"
        else:
            problem = _shape_of(model, value) if model is not None else None
            if problem is not None:
                return f"{name}{_joined(problem)}"
    return None


def _shape_of(model: type, value: object) -> str | None:
    if not isinstance(value, dict):
        return f"expected an object, got {json_kind(value)}"
    problem = _shape(model, value)
    return None if problem is None else f".{problem}"


def enum_field(cls: type, name: str) -> type[enum.Enum] | None:
    """The enum type of field ``name`` of a generated model, if it is one."""
    return next((enum_type for field, enum_type, _ in _plan(cls).enums if field == name), None)


def load(cls: type[T], data: object) -> T:
    """``cls.from_dict(data)``, checked. Raises ModelError (or the KeyError/TypeError/ValueError
    that ``from_dict`` raises) when the data does not fit."""
    if not isinstance(data, dict):
        raise ModelError(f"expected a JSON object, got {json_kind(data)}")
    plan = _plan(cls)
    if plan.nested:
        problem = _shape(cls, data)
        if problem is not None:
            raise ModelError(problem)
    unknown: list[tuple[str, str]] | None = None
    for name, enum_type, values in plan.enums:
        value = data.get(name)
        if isinstance(value, str) and value not in values:
            # A value added after this spec: parse with a stand-in, then put the real one back.
            if unknown is None:
                unknown = []
                data = dict(data)
            unknown.append((name, value))
            data[name] = next(iter(enum_type)).value
    model: T = cls.from_dict(data)  # type: ignore[attr-defined]
    problem = _problem(plan, model)
    if problem is not None:
        raise ModelError(problem)
    if unknown:
        for name, value in unknown:
            setattr(model, name, UnknownEnumValue(value))
    return model
