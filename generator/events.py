"""Stage 4: the event models. Input: the (overlaid) AsyncAPI document. Output: the package
``crewai_amp_events`` (pydantic v2) written by datamodel-code-generator.

Two small steps: :func:`payload_schema` turns the AsyncAPI message payloads into one JSON
Schema document (naming every nested model and enum after its parent, and opening enums so
that a value AMP adds later still parses), then :func:`generate_events` runs the generator.
"""

from __future__ import annotations

import ast
import copy
import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from .rest import GeneratorFailed, _tool
from .specs import json_type, resolve_pointer

PACKAGE = "crewai_amp_events"
ROOT_TITLE = "WebhookEvent"

DATAMODEL_CODEGEN_ARGS = [
    "--input-file-type",
    "jsonschema",
    "--output-model-type",
    "pydantic_v2.BaseModel",
    "--target-python-version",
    "3.10",
    "--use-title-as-name",
    "--use-annotated",
    "--field-constraints",
    "--use-standard-collections",
    "--use-union-operator",
    "--use-subclass-enum",
    "--use-double-quotes",
    # Forward compatibility: unknown fields are kept on the model (model_extra)...
    "--extra-fields",
    "allow",
    # ...and an enum field is `TheEnum | str`, tried left to right: a known value becomes the
    # enum member, a value AMP adds later stays a plain str instead of failing validation.
    "--union-mode",
    "left_to_right",
    # AMP may send naive timestamps; datetime accepts both naive and aware ones.
    "--output-datetime-class",
    "datetime",
    "--disable-timestamp",
    "--formatters",
    "ruff-format",
    "ruff-check",
]


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.replace("-", "_").split("_") if part)


def _singular(name: str) -> str:
    return name[:-1] if name.endswith("s") and not name.endswith("ss") else name


def _is_object(node: Any) -> bool:
    return isinstance(node, dict) and (node.get("type") == "object" or "properties" in node)


def _name_and_open(node: dict[str, Any], title: str) -> None:
    """Title nested objects and enums after their parent; widen enums to ``enum | string``."""
    node.setdefault("title", title)
    for prop, child in node.get("properties", {}).items():
        if not isinstance(child, dict) or "$ref" in child:
            continue
        child_title = title + _pascal(prop)
        if "enum" in child:
            enum = {key: child.pop(key) for key in ("type", "enum") if key in child}
            enum["title"] = child_title
            child["anyOf"] = [enum, {"type": enum.get("type", "string")}]
        elif _is_object(child) and "properties" in child:
            _name_and_open(child, child_title)
        elif child.get("type") == "array" and _is_object(child.get("items")):
            _name_and_open(child["items"], title + _pascal(_singular(prop)))


def _message_name(key: str, message: dict[str, Any]) -> str:
    return str(message.get("name", key))


def payload_schema(document: dict[str, Any]) -> dict[str, Any]:
    """One JSON Schema (2020-12) holding every message payload of the AsyncAPI document.

    Two extension keys carry the registry into :func:`generate_events`: ``x-messages``
    (message name -> model name) and ``x-channels`` (channel key -> its message names, in the
    order the channel lists them).
    """
    defs: dict[str, Any] = {}
    named_by: dict[str, str] = {}  # model name -> the message that gave it, to name a clash
    made_by: dict[str, set[str]] = {}  # model name -> what gave it: a component's pointer, or a message
    models_of: dict[str, str] = {}
    channels: dict[str, list[str]] = {}
    messages = list(document.get("components", {}).get("messages", {}).items())
    # A message defined inline in a channel (not a $ref) is an event too: without this it got no model.
    for channel_key, channel in document.get("channels", {}).items():
        names = channels.setdefault(str(channel_key), [])
        for key, message in (channel.get("messages") or {}).items():
            if "$ref" in message:
                names.append(_message_name(key, resolve_pointer(document, message["$ref"])))
            else:
                messages.append((key, message))
                names.append(_message_name(key, message))
    for key, message in messages:
        if "$ref" in message:
            message = resolve_pointer(document, message["$ref"])
        payload = message.get("payload", {})
        if "$ref" in payload:
            name = payload["$ref"].rsplit("/", 1)[-1]
            source = str(payload["$ref"])
            payload = resolve_pointer(document, payload["$ref"])
        else:
            name = _pascal(str(message.get("name", key))) + "Payload"
            source = f"the inline payload of message {key!r}"
        schema = copy.deepcopy(payload)
        _name_and_open(schema, name)
        schema["title"] = name
        if name in defs and defs[name] != schema:
            # Two different payloads under one model name: one would silently replace the other.
            raise GeneratorFailed(
                f"messages {named_by[name]!r} and {key!r} both make a model named {name} from different "
                "payloads; give one of them another name (or a payload $ref of its own)"
            )
        defs[name] = schema
        named_by.setdefault(name, str(key))
        made_by.setdefault(name, set()).add(source)
        models_of[_message_name(key, message)] = name
    _carry_referenced(document, defs, made_by)
    defs = {name: _nullable_as_type(schema, defs) for name, schema in defs.items()}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": ROOT_TITLE,
        "description": "Any webhook event payload AMP sends.",
        "anyOf": [{"$ref": f"#/$defs/{name}"} for name in defs],
        "$defs": defs,
        "x-messages": models_of,
        "x-channels": channels,
    }


COMPONENT_SCHEMAS = "#/components/schemas/"


def _carry_referenced(document: dict[str, Any], defs: dict[str, Any], made_by: dict[str, set[str]]) -> None:
    """Every component schema a payload refers to (a field's ``$ref``, a ``oneOf`` member, at any
    depth) becomes a ``$defs`` entry of its own name, and the references point there: the JSON
    Schema handed to the generator has no ``components``, so a reference left as it was became an
    untyped ``Any`` model. Any other local reference is inlined.

    ``made_by`` says what gave each model name (a component's pointer, or a message's inline
    payload): a component whose name a message's payload model already holds is refused, where
    its references silently got the message's payload instead."""
    pending = list(defs)
    while pending:
        name = pending.pop()
        defs[name] = _rewrite_refs(document, defs[name], (defs, made_by, pending), frozenset())


_Carried = tuple[dict[str, Any], dict[str, set[str]], list[str]]  # defs, made_by, pending


def _rewrite_refs(document: dict[str, Any], node: Any, carried: _Carried, inlining: frozenset[str]) -> Any:
    defs, made_by, pending = carried
    if isinstance(node, list):
        return [_rewrite_refs(document, item, carried, inlining) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if (
        isinstance(ref, str)
        and ref.startswith(COMPONENT_SCHEMAS)
        and "/" not in ref[len(COMPONENT_SCHEMAS) :]
    ):
        name = ref[len(COMPONENT_SCHEMAS) :].replace("~1", "/").replace("~0", "~")
        if name in defs and ref not in made_by.get(name, set()):
            raise GeneratorFailed(
                f"{ref} and {' and '.join(sorted(made_by.get(name, set())))} both make a model named "
                f"{name}; a reference to the component would get the other schema. Rename one of them"
            )
        if name not in defs:
            schema = copy.deepcopy(resolve_pointer(document, ref))
            if isinstance(schema, dict):
                _name_and_open(schema, name)
                schema["title"] = name
            defs[name] = schema
            made_by[name] = {ref}
            pending.append(name)
        return {**{k: v for k, v in node.items() if k != "$ref"}, "$ref": f"#/$defs/{name}"}
    if isinstance(ref, str) and ref.startswith("#/") and not ref.startswith("#/$defs/"):
        if ref in inlining:
            raise GeneratorFailed(f"{ref} refers to itself; give it a name under {COMPONENT_SCHEMAS}")
        target = copy.deepcopy(resolve_pointer(document, ref))
        rest = {k: v for k, v in node.items() if k != "$ref"}
        merged = {**target, **rest} if isinstance(target, dict) else target
        return _rewrite_refs(document, merged, carried, inlining | {ref})
    return {key: _rewrite_refs(document, value, carried, inlining) for key, value in node.items()}


NULL = {"type": "null"}
JSON_TYPES = ("object", "array", "string", "number", "integer", "boolean", "null")


def _json_types(node: Any, defs: dict[str, Any], seen: frozenset[str]) -> list[str] | None:
    """The JSON types a schema can only take, in a stable order; None when it does not say (or
    says none: nothing can match it). ``seen`` stops a ``$ref`` cycle."""
    if not isinstance(node, dict):
        return None
    kinds = node.get("type")
    if isinstance(kinds, str):
        return [kinds]
    if isinstance(kinds, list) and kinds and all(isinstance(kind, str) for kind in kinds):
        return list(dict.fromkeys(kinds))
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        name = ref.removeprefix("#/$defs/")
        return None if name in seen else _json_types(defs.get(name), defs, seen | {name})
    if "const" in node:
        return [json_type(node["const"])]
    if isinstance(node.get("enum"), list) and node["enum"]:
        return list(dict.fromkeys(json_type(value) for value in node["enum"]))
    if "properties" in node:
        return ["object"]
    if "items" in node or "prefixItems" in node:
        return ["array"]
    for key in ("anyOf", "oneOf"):
        members = node.get(key)
        if isinstance(members, list) and members:
            each = [_json_types(member, defs, seen) for member in members]
            if any(kinds is None for kinds in each):
                return None
            return list(dict.fromkeys(kind for kinds in each if kinds for kind in kinds))
    found: list[str] | None = None
    for member in node.get("allOf") or []:  # every member holds: the types they share
        kinds = _json_types(member, defs, seen)
        if kinds is not None:
            found = kinds if found is None else _shared(found, kinds)
    return found or None


def _shared(one: list[str], other: list[str]) -> list[str]:
    """The types both lists take (an integer is a number)."""
    both = [kind for kind in one if kind in other or (kind == "integer" and "number" in other)]
    return both + (["integer"] if "integer" in other and "number" in one and "integer" not in both else [])


def _nullable_as_type(node: Any, defs: dict[str, Any]) -> Any:
    """Every "X or null" union (``anyOf``/``oneOf`` of one schema and ``{"type": "null"}``) written
    as X with ``"null"`` among its types. As a union the generator gives the field
    ``union_mode="left_to_right"``, which pydantic refuses on what is, to it, a plain optional
    (``datetime | None``): the models did not even import. A ``$ref`` member is kept through
    ``allOf``, typed as its target: the target's own ``type``, else the JSON types it can only
    take (:func:`_json_types`: an object for ``allOf``/``oneOf``/``anyOf`` of objects, the types of
    an enum's values), else every JSON type, which leaves the target alone to say what it takes.
    A typeless target left as a union failed the import just the same."""
    if isinstance(node, list):
        return [_nullable_as_type(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _nullable_as_type(value, defs) for key, value in node.items()}
    for key in ("anyOf", "oneOf"):
        members = node.get(key)
        if not (isinstance(members, list) and NULL in members and len(members) == 2):
            continue
        (member,) = [m for m in members if m != NULL]
        if not isinstance(member, dict):
            continue
        rest = {k: v for k, v in node.items() if k != key}
        if "type" in rest:
            continue
        kinds = _json_types(member, defs, frozenset())
        if kinds is None and "$ref" not in member:
            continue
        kinds = kinds or list(JSON_TYPES)  # a $ref that does not say: its target alone decides
        types = [*kinds, *(["null"] if "null" not in kinds else [])]
        if "$ref" in member:
            return {**rest, "allOf": [member], "type": types}
        return {**rest, **member, "type": types}
    return node


def _public_names(source: str) -> list[str]:
    tree = ast.parse(source)
    return [
        node.name for node in tree.body if isinstance(node, ast.ClassDef) and not node.name.startswith("_")
    ]


def _tuple_source(names: list[str]) -> str:
    items = ", ".join(json.dumps(name) for name in names)
    return f"({items},)" if len(names) == 1 else f"({items})"


def _registry_source(schema: dict[str, Any]) -> str:
    """``registry.py``: the AsyncAPI messages and channels as tables of the generated models."""
    messages: dict[str, str] = schema.get("x-messages", {})
    channels: dict[str, list[str]] = schema.get("x-channels", {})
    models = sorted(set(messages.values()))
    lines = [
        '"""The AsyncAPI messages and channels, as tables of the generated models."""',
        "",
        "from pydantic import BaseModel",
        "",
        "from .models import (",
        *(f"    {name}," for name in models),
        ")",
        "",
        "MESSAGES: dict[str, type[BaseModel]] = {",
        *(f'    "{message}": {model},' for message, model in messages.items()),
        "}",
        '"""Message name -> the model of its payload."""',
        "",
        "CHANNELS: dict[str, tuple[str, ...]] = {",
        *(f'    "{key}": {_tuple_source(names)},' for key, names in channels.items()),
        "}",
        '"""Channel key -> the names of the messages it carries, in the order the spec lists them."""',
        "",
    ]
    return "\n".join(lines)


def generate_events(schema: dict[str, Any], out_dir: Path) -> Path:
    """Generate ``out_dir / crewai_amp_events`` (models.py, __init__.py, py.typed)."""
    package = out_dir / PACKAGE
    package.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="amp-events-") as tmp:
        schema_path = Path(tmp) / "events.schema.json"
        schema_path.write_text(json.dumps(schema, indent=2), "utf-8")
        # Generate outside the repo: the formatters would otherwise pick up the repo's
        # pyproject.toml settings and the output would depend on where it was written.
        scratch = Path(tmp) / "models.py"
        result = subprocess.run(
            [
                _tool("datamodel-codegen"),
                "--input",
                str(schema_path),
                "--output",
                str(scratch),
                *DATAMODEL_CODEGEN_ARGS,
            ],
            capture_output=True,
            text=True,
            cwd=tmp,
        )
        if result.returncode != 0:
            raise GeneratorFailed(f"datamodel-code-generator failed:\n{result.stdout}{result.stderr}")
        models = package / "models.py"
        models.write_bytes(scratch.read_bytes())
    names = _public_names(models.read_text("utf-8"))
    init = [
        '"""Pydantic v2 models of the CrewAI AMP webhook event payloads."""',
        "",
        "from .models import (",
        *(f"    {name}," for name in names),
        ")",
        "",
        "__all__ = [",
        *(f'    "{name}",' for name in names),
        "]",
        "",
    ]
    (package / "__init__.py").write_text("\n".join(init), "utf-8")
    (package / "registry.py").write_text(_registry_source(schema), "utf-8")
    (package / "py.typed").write_text("", "utf-8")
    (package / "events.schema.json").write_text(json.dumps(schema, indent=2) + "\n", "utf-8")
    return package
