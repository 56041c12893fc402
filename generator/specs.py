"""Stage 1: load a spec file and validate it. Input: a path. Output: a :class:`Spec`.

Every failure is a :class:`SpecError` naming the file and the location (a JSON pointer and,
when the pointer can be found in the YAML, its line).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SCHEMAS = Path(__file__).parent / "schemas"


class SpecError(Exception):
    """A spec (or overlay) is invalid. str() names the file and the location."""

    def __init__(self, path: Path | str, message: str, *, pointer: str = "", line: int | None = None):
        self.path = str(path)
        self.pointer = pointer
        self.line = line
        where = self.path
        if line is not None:
            where += f":{line}"
        if pointer:
            where += f" at {pointer}"
        super().__init__(f"{where}: {message}")


@dataclass
class Spec:
    """A loaded spec: its raw bytes (for hashing), parsed data and a pointer → line map."""

    path: Path
    raw: bytes
    data: dict[str, Any]
    lines: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()

    @property
    def kind(self) -> str:
        return "asyncapi" if "asyncapi" in self.data else "openapi"

    def error(self, message: str, pointer: str) -> SpecError:
        return SpecError(self.path, message, pointer=pointer, line=self.line_of(pointer))

    def line_of(self, pointer: str) -> int | None:
        # Walk up to the nearest ancestor we know the line of.
        while pointer:
            if pointer in self.lines:
                return self.lines[pointer]
            pointer = pointer.rpartition("/")[0]
        return None


def _escape(token: object) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer(parts: list[Any] | tuple[Any, ...]) -> str:
    """A JSON pointer (RFC 6901) for a path of keys and indexes."""
    return "".join("/" + _escape(p) for p in parts) or ""


def _line_map(node: yaml.Node, prefix: str, out: dict[str, int]) -> None:
    out[prefix or "/"] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            _line_map(value, f"{prefix}/{_escape(key.value)}", out)
            out[f"{prefix}/{_escape(key.value)}"] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _line_map(item, f"{prefix}/{index}", out)


class _JsonLoader(yaml.SafeLoader):
    """A safe loader for JSON documents written in YAML: an unquoted date or time (an ``example:
    2024-01-01``) stays the string it is, as in YAML 1.2, instead of a ``datetime`` that JSON (and
    so every later stage) cannot hold."""


_JsonLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _check_unique_keys(path: Path, node: yaml.Node, prefix: str = "") -> None:
    # PyYAML keeps the last of two equal keys without a word; a duplicated schema or property (a
    # bad merge, a copy-paste) would silently replace the first. YAML requires unique keys.
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value != "<<":
                line = key.start_mark.line + 1
                if key.tag != "tag:yaml.org,2002:str":  # `200:` is an int: JSON keys are strings
                    raise SpecError(
                        path,
                        f"key {key.value} is not a string; quote it ('{key.value}')",
                        pointer=f"{prefix}/{_escape(key.value)}",
                        line=line,
                    )
                if key.value in seen:
                    raise SpecError(
                        path,
                        f"duplicate key {key.value!r} (first on line {seen[key.value]})",
                        pointer=f"{prefix}/{_escape(key.value)}",
                        line=line,
                    )
                seen[key.value] = line
            _check_unique_keys(path, value, f"{prefix}/{_escape(key.value)}")
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _check_unique_keys(path, item, f"{prefix}/{index}")


def _unshared(path: Path, node: Any, parents: tuple[int, ...] = ()) -> Any:
    """A copy in which no two places share an object. PyYAML gives every ``*alias`` the anchor's
    own dict, so an overlay that patched one place patched all of them (and removing the same
    key twice raised a KeyError)."""
    if isinstance(node, (dict, list)):
        if id(node) in parents:
            raise SpecError(path, "a YAML alias refers to its own anchor (a recursive document)")
        inner = (*parents, id(node))
        if isinstance(node, dict):
            return {key: _unshared(path, value, inner) for key, value in node.items()}
        return [_unshared(path, item, inner) for item in node]
    return node


def load(path: Path) -> Spec:
    """Read and parse a YAML or JSON spec. Raises SpecError with the line of a syntax error."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SpecError(path, f"cannot read: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
        # Parsed once: the node tree gives the line map and the data is constructed from it
        # (what yaml.load does inside; calling it as well parsed every spec twice).
        loader = _JsonLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except UnicodeDecodeError as exc:
        raise SpecError(path, f"not UTF-8 (byte {exc.start})") from None
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise SpecError(path, f"invalid YAML: {exc.problem}", line=line) from None
    except yaml.YAMLError as exc:
        raise SpecError(path, f"invalid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise SpecError(path, "not a mapping at the top level", pointer="/")
    data = _unshared(path, data)
    lines: dict[str, int] = {}
    if node is not None:
        _check_unique_keys(path, node)
        _line_map(node, "", lines)
    return Spec(path=path, raw=raw, data=data, lines=lines)


def json_type(value: Any) -> str:
    """The JSON Schema type of a JSON value (``True`` is a boolean, not an integer)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def resolve_pointer(document: Any, ref: str) -> Any:
    """Follow a local ``#/a/b`` reference; KeyError if it dangles."""
    node = document
    for token in ref.lstrip("#").split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise KeyError(ref)
    return node


def check_refs(spec: Spec) -> None:
    """Every ``$ref`` must be local and resolve. Names the dangling ref and where it is used."""

    def walk(node: Any, parts: list[Any]) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                where = pointer([*parts, "$ref"])
                if not ref.startswith("#"):
                    raise spec.error(f"external $ref {ref!r} is not supported", where)
                try:
                    resolve_pointer(spec.data, ref)
                except KeyError:
                    raise spec.error(f"dangling $ref {ref!r}: no such target", where) from None
            for key, value in node.items():
                walk(value, [*parts, key])
        elif isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, [*parts, index])

    walk(spec.data, [])


def check_schemas(spec: Spec) -> None:
    """Check every schema object against the JSON Schema 2020-12 meta-schema (OAS 3.1's dialect).

    openapi-spec-validator checks schemas too, but reports paths relative to the schema; doing it
    here first gives the full JSON pointer of the bad keyword.
    """
    import jsonschema

    meta = jsonschema.Draft202012Validator(jsonschema.Draft202012Validator.META_SCHEMA)

    def check(node: Any, parts: list[Any]) -> None:
        errors = sorted(meta.iter_errors(node), key=lambda e: list(map(str, e.absolute_path)))
        if errors:
            best = jsonschema.exceptions.best_match(errors)
            assert best is not None
            raise spec.error(f"invalid schema: {best.message}", pointer([*parts, *best.absolute_path]))

    def walk(node: Any, parts: list[Any]) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                here = [*parts, key]
                is_schema = key == "schema" or (len(parts) == 2 and parts == ["components", "schemas"])
                if is_schema and isinstance(value, (dict, bool)):
                    check(value, here)
                else:
                    walk(value, here)
        elif isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, [*parts, index])

    walk(spec.data, [])


def validate_openapi(spec: Spec) -> None:
    from openapi_spec_validator import OpenAPIV31SpecValidator

    version = str(spec.data.get("openapi", ""))
    if not version.startswith("3.1"):
        raise spec.error(f"expected OpenAPI 3.1, found {version or 'no openapi field'}", "/openapi")
    check_refs(spec)
    check_schemas(spec)
    try:
        errors = sorted(
            OpenAPIV31SpecValidator(spec.data).iter_errors(),
            key=lambda e: list(map(str, e.absolute_path)),
        )
    except Exception as exc:
        # Its semantic checks crash (KeyError, TypeError) on some malformed documents, e.g. a tag
        # without a name; the OAS 3.1 JSON Schema alone then says what is wrong, and where.
        # Plain jsonschema, not the validator's own backend (jsonschema-rs when installed).
        import jsonschema
        from openapi_spec_validator.schemas import schema_v31

        structural = jsonschema.Draft202012Validator(dict(schema_v31))
        best = jsonschema.exceptions.best_match(structural.iter_errors(spec.data))
        if best is None:
            raise spec.error(f"openapi-spec-validator failed: {type(exc).__name__}: {exc}", "/") from None
        raise spec.error(best.message, pointer(list(best.absolute_path))) from None
    if errors:
        first = errors[0]
        raise spec.error(first.message, pointer(list(first.absolute_path)))


def validate_asyncapi(spec: Spec) -> None:
    import jsonschema

    version = str(spec.data.get("asyncapi", ""))
    if version != "3.0.0":
        raise spec.error(f"expected AsyncAPI 3.0.0, found {version or 'no asyncapi field'}", "/asyncapi")
    check_refs(spec)
    schema = json.loads((SCHEMAS / "asyncapi-3.0.0.schema.json").read_text("utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(spec.data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        # The official schema nests oneOfs; the deepest error says most about what is wrong.
        best = jsonschema.exceptions.best_match(errors)
        assert best is not None
        raise spec.error(best.message, pointer(list(best.absolute_path)))
    check_message_payloads(spec)


def check_message_payloads(spec: Spec) -> None:
    """Every AsyncAPI message has a plain JSON Schema payload: the event models are generated from
    the payloads, and a message without one (or with a multi-format ``schemaFormat`` payload) would
    otherwise become an untyped ``RootModel[Any]`` without a word."""
    data = spec.data
    found: list[tuple[list[Any], Any]] = [
        (["components", "messages", name], message)
        for name, message in ((data.get("components") or {}).get("messages") or {}).items()
    ]
    for channel_name, channel in (data.get("channels") or {}).items():
        if isinstance(channel, dict):
            found += [
                (["channels", channel_name, "messages", name], message)
                for name, message in (channel.get("messages") or {}).items()
            ]
    for parts, message in found:
        if not isinstance(message, dict) or "$ref" in message:
            continue  # a reference: the message it points to is checked where it is defined
        payload = message.get("payload")
        if payload is None:
            raise spec.error("message has no payload; the event models are generated from it", pointer(parts))
        if isinstance(payload, dict) and "schemaFormat" in payload:
            raise spec.error(
                "a multi-format payload (schemaFormat) is not supported; give the JSON Schema as the payload",
                pointer([*parts, "payload", "schemaFormat"]),
            )


def load_and_validate(path: Path) -> Spec:
    spec = load(path)
    if spec.kind == "asyncapi":
        validate_asyncapi(spec)
    else:
        validate_openapi(spec)
    return spec
