"""Valid (and deliberately invalid) instances of the specs' schemas, drawn by hypothesis-jsonschema.

No test builds an instance by hand: a new nested object of integers, a `format` (uuid,
date-time, date, uri, binary), an OpenAPI 3.1 `type: [X, "null"]` union or a new message all
get valid instances from the schema itself. Everything is deterministic (derandomized, no
example database), so a collection-time instance is the same on every run.

- `strategy(document, schema)`: a hypothesis strategy for `schema` (a node or a `$ref`) of an
  OpenAPI or AsyncAPI `document` (or the events JSON Schema with `$defs`).
- `instance(document, schema, full=False)`: the simplest valid instance (hypothesis' shrunk
  minimum): required properties only, or with `full=True` every property, non-empty arrays.
- `wrong_value(document, schema)`: a JSON value the schema refuses (the wrong type).
- `unknown_enum_value(values)`: a string guaranteed not to be one of `values`.
"""

from __future__ import annotations

import base64
import copy
import functools
import json
from typing import Any

import jsonschema
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

# Formats hypothesis-jsonschema does not know (it would draw any text) that generated code
# parses: a uuid must be one, `binary`/`byte` are strings on the wire.
FORMATS: dict[str, st.SearchStrategy[str]] = {
    "uuid": st.uuids().map(str),
    "binary": st.text(max_size=20),
    "byte": st.binary(max_size=12).map(lambda raw: base64.b64encode(raw).decode()),
}
# Keywords of OpenAPI (not JSON Schema) that only annotate.
ANNOTATIONS = ("discriminator", "example", "xml", "externalDocs")
DRAW = settings(
    database=None,
    derandomize=True,
    max_examples=1,
    phases=[Phase.generate],
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
# Formats no string below is of (whatever format checkers are installed).
STRICT_FORMATS = {
    "date-time",
    "date",
    "time",
    "uuid",
    "uri",
    "uri-reference",
    "email",
    "ipv4",
    "ipv6",
    "hostname",
}
NOT_OF_ANY_FORMAT = "not a valid value"
# Candidates for a wrong value, one per JSON type: the first the schema refuses is used.
WRONG_CANDIDATES: tuple[Any, ...] = (12345, "not-a-valid-value", {"unexpected": [1]}, [1, "x"], True, 1.5)


def _json_schema(node: Any, *, full: bool, closed: bool = False) -> Any:
    """An OpenAPI schema node as plain JSON Schema (``nullable`` becomes a ``"null"`` type,
    annotations go); with ``full`` every property is required and every array non-empty; with
    ``closed`` an object with ``properties`` gets no undeclared ones (unless it says otherwise)."""
    if isinstance(node, list):
        return [_json_schema(item, full=full, closed=closed) for item in node]
    if not isinstance(node, dict):
        return node
    out = {
        key: _json_schema(value, full=full, closed=closed)
        for key, value in node.items()
        if key not in ANNOTATIONS
    }
    if "properties" in node and isinstance(node["properties"], dict):
        # Property names are data, not keywords: convert the schemas, keep every name.
        out["properties"] = {
            name: _json_schema(sub, full=full, closed=closed) for name, sub in node["properties"].items()
        }
        if closed:
            out.setdefault("additionalProperties", False)
    if node.get("nullable") is True and "type" in node:
        kinds = node["type"] if isinstance(node["type"], list) else [node["type"]]
        out["type"] = [*kinds, "null"]
    out.pop("nullable", None)
    if full and isinstance(out.get("properties"), dict) and out["properties"]:
        out["required"] = list(out["properties"])
    if full and (out.get("type") == "array" or "items" in out):
        out["minItems"] = max(1, out.get("minItems", 0))
    return out


def _root(
    document: dict[str, Any], schema: dict[str, Any], *, full: bool, closed: bool = False
) -> dict[str, Any]:
    """``schema`` with the document's reusable schemas beside it, so every ``$ref`` resolves."""
    root = dict(_json_schema(schema, full=full, closed=closed))
    for key in ("components", "$defs", "definitions"):
        if key in document and key not in root:
            root[key] = _json_schema(document[key], full=full, closed=closed)
    return root


@functools.lru_cache(maxsize=512)
def _strategy(
    document_json: str, schema_json: str, full: bool, closed: bool = False
) -> st.SearchStrategy[Any]:
    root = _root(json.loads(document_json), json.loads(schema_json), full=full, closed=closed)
    return from_schema(root, custom_formats=FORMATS)


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def strategy(
    document: dict[str, Any], schema: dict[str, Any], *, full: bool = False, closed: bool = False
) -> st.SearchStrategy[Any]:
    """Valid instances of ``schema`` (any node of ``document``, ``$ref`` included); ``closed``:
    only the properties the schemas declare."""
    return _strategy(_key(document), _key(schema), full, closed)


@functools.lru_cache(maxsize=512)
def _instance(document_json: str, schema_json: str, full: bool) -> str:
    # One derandomized draw, no shrinking: hypothesis starts from its simplest choices, so this
    # is (close to) the minimal instance, the same on every run, in milliseconds.
    drawn: list[Any] = []

    @DRAW
    @given(_strategy(document_json, schema_json, full))
    def capture(value: Any) -> None:
        drawn.append(value)

    capture()
    return json.dumps(drawn[0])


def instance(document: dict[str, Any], schema: dict[str, Any], *, full: bool = False) -> Any:
    """The simplest valid instance of ``schema``: required properties only, or every one (``full``)."""
    return json.loads(_instance(_key(document), _key(schema), full))


def schema_ref(name: str, document: dict[str, Any]) -> dict[str, Any]:
    """A ``$ref`` to a named schema of an OpenAPI/AsyncAPI document or a JSON Schema with ``$defs``."""
    if "$defs" in document and name in document["$defs"]:
        return {"$ref": f"#/$defs/{name}"}
    return {"$ref": f"#/components/schemas/{name}"}


def validator(document: dict[str, Any], schema: dict[str, Any]) -> jsonschema.protocols.Validator:
    """A Draft 2020-12 validator (formats checked) for ``schema`` within ``document``."""
    root = _root(document, schema, full=False)
    return jsonschema.Draft202012Validator(
        root, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def wrong_value(document: dict[str, Any], schema: dict[str, Any]) -> Any:
    """A JSON value ``schema`` refuses (a wrong type first; a non-date for a date-time...)."""
    check = validator(document, schema)
    resolved = resolve(document, schema)
    if isinstance(resolved, dict) and resolved.get("format") in STRICT_FORMATS and "enum" not in resolved:
        # A formatted string: a string that is not of the format is the telling wrong value (a
        # number may be a valid date-time to a lenient parser). Not left to the format checker,
        # whose checks depend on optional packages.
        return NOT_OF_ANY_FORMAT
    candidates = list(WRONG_CANDIDATES)
    for candidate in candidates:
        if not check.is_valid(candidate):
            return copy.deepcopy(candidate)
    raise LookupError(f"the schema accepts anything: {schema}")


def unknown_enum_value(values: list[Any]) -> str:
    """A string that is none of ``values``: longer than every one of them."""
    longest = max((str(value) for value in values), key=len, default="")
    return f"unknown_{longest}"


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Follow ``$ref`` (``#/...``) to the schema it names."""
    while isinstance(schema, dict) and "$ref" in schema:
        node: Any = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        schema = node
    return schema


def same_data(parsed: Any, body: Any) -> bool:
    """Whether ``parsed`` (a generated attrs model, or a client type built on one) holds exactly
    ``body``'s data: its dict is ``body``, or, a formatted value being re-spelt (a date-time
    written "Z" comes back "+00:00"), ``body`` parses to an equal model."""
    dumped = parsed.to_dict()
    return bool(dumped == body or type(parsed).from_dict(body) == parsed)
