"""The REST spec the emulator serves: its operations, and request checks made from their schemas.

The document is the overlaid OpenAPI spec the wheel's client was generated from
(`crewai_amp_api/openapi.json`), so the emulator accepts exactly what the client may send: a
field the spec adds is accepted without an edit here, a wrong type is refused naming the field.
Validation is jsonschema's (draft 2020-12, the dialect of OpenAPI 3.1 schemas), with its
format checker (`uri` through rfc3986-validator, `uuid`, ...).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

__all__ = ["Operation", "Problem", "Spec", "load_spec"]

_BASE = "urn:crewai-amp:openapi"
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_MESSAGE_LIMIT = 200


@dataclass(frozen=True)
class Problem:
    """One way a request breaks its operation's schema: where (`field`, dotted; `""` for the
    whole body) and what."""

    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


@dataclass(frozen=True)
class Operation:
    """One operation of the spec, with validators for its JSON body and its parameters."""

    operation_id: str
    method: str
    path: str
    responses: frozenset[str]
    body: Draft202012Validator | None = None
    body_required: bool = False
    parameters: Mapping[tuple[str, str], tuple[bool, Draft202012Validator]] = field(default_factory=dict)

    def body_problems(self, data: Any) -> list[Problem]:
        if self.body is None:
            return []
        return _problems(self.body, data)

    def parameter_problems(self, where: str, values: Mapping[str, str]) -> list[Problem]:
        """Problems of the `where` ("path" or "query") parameters given in `values`."""
        problems: list[Problem] = []
        for (location, name), (required, validator) in self.parameters.items():
            if location != where:
                continue
            if name not in values:
                if required:
                    problems.append(Problem(name, f"the {location} parameter {name!r} is required"))
                continue
            problems.extend(
                Problem(name, problem.message) for problem in _parameter_problems(validator, values[name])
            )
        return problems


class Spec:
    """The operations of an OpenAPI document, and what its `StatusResponse` variants are."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self._registry: Registry[Any] = Registry().with_resource(
            _BASE, Resource.from_contents(dict(document), default_specification=DRAFT202012)
        )
        self.operations: dict[str, Operation] = {op.operation_id: op for op in self._operations()}

    def validator(self, pointer: str) -> Draft202012Validator:
        """A validator for the schema at this JSON pointer of the document (e.g.
        `/components/schemas/StatusResponse`)."""
        return Draft202012Validator(
            {"$ref": f"{_BASE}#{pointer}"},
            registry=self._registry,
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )

    def status_variants(self) -> frozenset[str]:
        """The discriminator values of `StatusResponse` (`running`, `completed`, ...)."""
        schema = self.document.get("components", {}).get("schemas", {}).get("StatusResponse", {})
        mapping = schema.get("discriminator", {}).get("mapping", {})
        return frozenset(mapping) if isinstance(mapping, Mapping) else frozenset()

    def _operations(self) -> Iterator[Operation]:
        for path, item in self.document.get("paths", {}).items():
            shared = item.get("parameters", [])
            for method in _METHODS:
                operation = item.get(method)
                if not isinstance(operation, Mapping):
                    continue
                pointer = f"/paths/{_escape(path)}/{method}"
                operation_id = operation.get("operationId") or f"{method.upper()} {path}"
                yield Operation(
                    operation_id=operation_id,
                    method=method.upper(),
                    path=path,
                    responses=frozenset(str(code) for code in operation.get("responses", {})),
                    body=self._body_validator(operation, pointer),
                    body_required=bool(operation.get("requestBody", {}).get("required", False)),
                    parameters=self._parameters([*shared, *operation.get("parameters", [])]),
                )

    def _body_validator(self, operation: Mapping[str, Any], pointer: str) -> Draft202012Validator | None:
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" not in content or "schema" not in content["application/json"]:
            return None
        return self.validator(f"{pointer}/requestBody/content/application~1json/schema")

    def _parameters(
        self, parameters: list[Mapping[str, Any]]
    ) -> dict[tuple[str, str], tuple[bool, Draft202012Validator]]:
        checks: dict[tuple[str, str], tuple[bool, Draft202012Validator]] = {}
        for parameter in parameters:
            if "$ref" in parameter:
                parameter = self._resolve(parameter["$ref"])
            location, name = parameter.get("in"), parameter.get("name")
            if location not in ("path", "query") or not isinstance(name, str):
                continue
            validator = Draft202012Validator(
                parameter.get("schema", {}),
                registry=self._registry,
                format_checker=Draft202012Validator.FORMAT_CHECKER,
            )
            checks[(location, name)] = (bool(parameter.get("required", location == "path")), validator)
        return checks

    def _resolve(self, ref: str) -> Mapping[str, Any]:
        resolved = self._registry.resolver(base_uri=_BASE).lookup(ref).contents
        return resolved if isinstance(resolved, Mapping) else {}


def load_spec(document: Mapping[str, Any] | None = None) -> Spec:
    """The spec for `document`, or for the one shipped with the generated client."""
    if document is None:
        text = resources.files("crewai_amp_api").joinpath("openapi.json").read_text("utf-8")
        document = json.loads(text)
    return Spec(document)


def _problems(validator: Draft202012Validator, data: Any) -> list[Problem]:
    problems = []
    found = [_deepest(error) for error in validator.iter_errors(data)]
    for error, message in sorted(found, key=lambda e: [str(p) for p in e[0].absolute_path]):
        where = [str(part) for part in error.absolute_path]
        if (
            error.validator == "required"
            and isinstance(error.instance, Mapping)
            and isinstance(error.validator_value, list)
        ):
            missing = [name for name in error.validator_value if name not in error.instance]
            where += missing[:1]
        if len(message) > _MESSAGE_LIMIT:
            message = message[: _MESSAGE_LIMIT - 3] + "..."
        problems.append(Problem(".".join(where), message))
    return problems


def _deepest(error: ValidationError) -> tuple[ValidationError, str]:
    """A value that fits no branch of a oneOf/anyOf is named by the deepest field the branches
    disagree on (`webhooks.authentication.strategy`), with what each branch wanted there."""
    if error.validator not in ("oneOf", "anyOf") or not error.context:
        return error, error.message
    depth = max(len(e.absolute_path) for e in error.context)
    deepest = [e for e in error.context if len(e.absolute_path) == depth]
    return deepest[0], "; ".join(dict.fromkeys(e.message for e in deepest))


def _parameter_problems(validator: Draft202012Validator, raw: str) -> list[Problem]:
    """A parameter arrives as text: valid if the text is, or if its JSON reading (a number, a
    boolean) is, for a schema that wants one."""
    problems = _problems(validator, raw)
    if problems:
        try:
            value = json.loads(raw)
        except (ValueError, RecursionError):
            return problems
        if not isinstance(value, str) and not _problems(validator, value):
            return []
    return problems


def _escape(path: str) -> str:
    return path.replace("~", "~0").replace("/", "~1")
