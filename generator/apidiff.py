"""What a spec change does to the SDK's users: pure functions from two spec dicts to a list of
:class:`Change`, a semver bump, and renderers (Markdown, text, a CHANGELOG entry).

Not part of the pipeline (it is not in ``manifest.PIPELINE_FILES``): editing it never makes
``generated/`` drift.

The rule, from the client's side. Every schema is classified by the direction its data flows:

- *read*: responses and webhook payloads, which the SDK parses;
- *write*: request bodies and parameters, which the SDK sends;
- both, when a model is used both ways (or nowhere: then it is judged both ways, to be safe).

A change is **breaking** when code written against the old SDK can fail with the new one:

- removing an operation, a model, a field, an enum value, a response variant, a message or a
  channel (its generated name disappears, whichever the direction);
- renaming an operation (``operationId``) or moving it to another tag: the generated function
  or module is renamed;
- in what the client sends: a new required field or parameter, an optional one becoming
  required, a narrowed type, a new enum restriction, a tightened constraint;
- in what the client reads: a required field becoming optional (it may now be absent), a widened
  type (it may now be something else), an enum restriction dropped;
- a ``format`` change that changes the generated Python type (uuid, date-time, date, binary).

A change is **additive** (a minor bump) when it only adds: a new operation, model, optional field,
response, message or channel; a new enum value or oneOf/anyOf variant *in either direction* —
in a request it is a value the client may now send, in a response or a webhook it is one this
forward-compatible SDK keeps instead of failing on (unknown enum values stay plain strings,
unknown statuses are surfaced, not rejected); a request field becoming optional; a deprecation.

Everything else (documentation, defaults, a narrowed type in what the client reads, a removed
error response) is a **patch**.

The implied bump is the largest one. Before 1.0 the project follows the usual 0.y.z convention
(Cargo, npm's caret): a breaking change bumps y (0.1.0 -> 0.2.0), anything else bumps z.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .specs import resolve_pointer

READ = "read"
WRITE = "write"
BOTH = frozenset({READ, WRITE})
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Formats whose presence changes the Python type the generators emit (UUID, datetime, date, File).
PY_TYPE_FORMATS = frozenset({"uuid", "date-time", "date", "binary"})
LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
BUMPS = ("none", "patch", "minor", "major")


@dataclass(frozen=True, order=True)
class Change:
    """One user-visible change. ``breaking`` -> major; else ``additive`` -> minor; else patch."""

    kind: str  # e.g. "operation-added", "field-removed", "enum-value-added", "type-changed"
    location: str  # e.g. "REST POST /kickoff", "REST model KickoffRequest.meta"
    description: str
    breaking: bool
    additive: bool = False

    @property
    def level(self) -> str:
        return "breaking" if self.breaking else "additive" if self.additive else "patch"

    @property
    def bump(self) -> str:
        return "major" if self.breaking else "minor" if self.additive else "patch"


# --------------------------------------------------------------------------------------------
# Schemas


def _ref_name(node: Any) -> str | None:
    if isinstance(node, dict) and isinstance(node.get("$ref"), str):
        return str(node["$ref"]).rsplit("/", 1)[-1]
    return None


def _resolve(doc: Mapping[str, Any], node: Any) -> Any:
    """Follow a local ``$ref`` chain (bounded), returning the target (or the node itself; {} if a
    reference dangles)."""
    for _ in range(20):
        if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
            return node
        try:
            node = resolve_pointer(doc, node["$ref"])
        except KeyError:
            return {}
    return node


def _json_type(value: Any) -> str:
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
    if isinstance(value, list):
        return "array"
    return "object"


def _types(schema: Mapping[str, Any]) -> frozenset[str] | None:
    """The JSON types a schema allows; None means unconstrained (or expressed by composition)."""
    declared = schema.get("type")
    if isinstance(declared, str):
        return frozenset({declared})
    if isinstance(declared, list):
        return frozenset(map(str, declared))
    if "properties" in schema or "additionalProperties" in schema:
        return frozenset({"object"})
    if "items" in schema:
        return frozenset({"array"})
    if isinstance(schema.get("enum"), list):
        return frozenset(_json_type(v) for v in schema["enum"])
    if "const" in schema:
        return frozenset({_json_type(schema["const"])})
    return None


def _covers(wide: frozenset[str] | None, narrow: frozenset[str] | None) -> bool:
    """Every value of ``narrow``'s types is allowed by ``wide`` (integer is a number)."""
    if wide is None:
        return True
    if narrow is None:
        return False
    return all(t in wide or (t == "integer" and "number" in wide) for t in narrow)


def _fmt_types(types: frozenset[str] | None) -> str:
    return "any" if types is None else " | ".join(sorted(types))


def _enum_of(schema: Mapping[str, Any]) -> list[Any] | None:
    if isinstance(schema.get("enum"), list):
        return list(schema["enum"])
    if "const" in schema:
        return [schema["const"]]
    return None


def _directional(dirs: frozenset[str], *, read: bool, write: bool) -> bool:
    return (READ in dirs and read) or (WRITE in dirs and write)


def _dirs_note(dirs: frozenset[str]) -> str:
    if dirs == BOTH:
        return "sent and read"
    return "read by the client" if READ in dirs else "sent by the client"


class _Differ:
    """Compares two documents of one kind, appending :class:`Change` objects to ``out``."""

    def __init__(self, old_doc: Mapping[str, Any], new_doc: Mapping[str, Any], prefix: str) -> None:
        self.old_doc = old_doc
        self.new_doc = new_doc
        self.prefix = prefix
        self.out: list[Change] = []

    def emit(
        self, kind: str, location: str, description: str, *, breaking: bool, additive: bool = False
    ) -> None:
        self.out.append(
            Change(kind, f"{self.prefix} {location}", description, breaking, additive and not breaking)
        )

    # -- one schema, both sides inline or both refs ---------------------------------------------

    def schema(self, old: Any, new: Any, loc: str, dirs: frozenset[str]) -> None:
        if not isinstance(old, dict) or not isinstance(new, dict):
            if old != new:
                self.emit("type-changed", loc, "schema changed", breaking=True)
            return
        old_ref, new_ref = _ref_name(old), _ref_name(new)
        if old_ref or new_ref:
            # A named model is compared once, on its own; here only the reference matters.
            if old_ref != new_ref:
                self.emit(
                    "type-changed",
                    loc,
                    f"type changed from {old_ref or _fmt_types(_types(old))} to {new_ref or _fmt_types(_types(new))}",
                    breaking=True,
                )
            return
        self._types(old, new, loc, dirs)
        self._enum(old, new, loc, dirs)
        self._format(old, new, loc)
        self._constraints(old, new, loc, dirs)
        self._properties(old, new, loc, dirs)
        if "items" in old or "items" in new:
            self.schema(old.get("items", {}), new.get("items", {}), f"{loc}[]", dirs)
        self._additional(old, new, loc, dirs)
        for key in ("oneOf", "anyOf", "allOf"):
            self._variants(key, old.get(key) or [], new.get(key) or [], loc, dirs)
        self._discriminator(old, new, loc)
        self._docs(old, new, loc)

    def _types(self, old: Mapping[str, Any], new: Mapping[str, Any], loc: str, dirs: frozenset[str]) -> None:
        before, after = _types(old), _types(new)
        if before == after:
            return
        if _covers(after, before):
            relation, read, write = "widened", True, False
        elif _covers(before, after):
            relation, read, write = "narrowed", False, True
        else:
            relation, read, write = "changed", True, True
        breaking = _directional(dirs, read=read, write=write)
        self.emit(
            "type-changed",
            loc,
            f"type {_fmt_types(before)} → {_fmt_types(after)} ({relation}; {_dirs_note(dirs)})",
            breaking=breaking,
            additive=relation == "widened" and WRITE in dirs,
        )

    def _enum(self, old: Mapping[str, Any], new: Mapping[str, Any], loc: str, dirs: frozenset[str]) -> None:
        before, after = _enum_of(old), _enum_of(new)
        if before is not None and after is not None:
            for value in before:
                if value not in after:
                    self.emit("enum-value-removed", loc, f"enum value {value!r} removed", breaking=True)
            for value in after:
                if value not in before:
                    note = (
                        " (the SDK keeps values it does not know; no crash)"
                        if READ in dirs
                        else " (the client may now send it)"
                    )
                    self.emit(
                        "enum-value-added",
                        loc,
                        f"enum value {value!r} added{note}",
                        breaking=False,
                        additive=True,
                    )
        elif before is not None:
            self.emit(
                "enum-removed",
                loc,
                f"no longer restricted to {before!r} ({_dirs_note(dirs)})",
                breaking=READ in dirs,
                additive=WRITE in dirs,
            )
        elif after is not None:
            self.emit(
                "enum-added", loc, f"now restricted to {after!r} ({_dirs_note(dirs)})", breaking=WRITE in dirs
            )

    def _format(self, old: Mapping[str, Any], new: Mapping[str, Any], loc: str) -> None:
        before, after = old.get("format"), new.get("format")
        if before == after:
            return
        breaking = before in PY_TYPE_FORMATS or after in PY_TYPE_FORMATS
        note = " (changes the generated Python type)" if breaking else ""
        self.emit(
            "format-changed", loc, f"format {before or 'none'} → {after or 'none'}{note}", breaking=breaking
        )

    def _constraints(
        self, old: Mapping[str, Any], new: Mapping[str, Any], loc: str, dirs: frozenset[str]
    ) -> None:
        for key in (*LOWER_BOUNDS, *UPPER_BOUNDS, "pattern", "multipleOf", "uniqueItems"):
            before, after = old.get(key), new.get(key)
            if before == after:
                continue
            if after is None:
                tightened = False
            elif before is None:
                tightened = True
            elif key in LOWER_BOUNDS and isinstance(before, (int, float)) and isinstance(after, (int, float)):
                tightened = after > before
            elif key in UPPER_BOUNDS and isinstance(before, (int, float)) and isinstance(after, (int, float)):
                tightened = after < before
            else:
                tightened = True
            self.emit(
                "constraint-changed",
                loc,
                f"{key} {before!r} → {after!r} ({'tightened' if tightened else 'relaxed'}; {_dirs_note(dirs)})",
                breaking=tightened and WRITE in dirs,
            )

    def _properties(
        self, old: Mapping[str, Any], new: Mapping[str, Any], loc: str, dirs: frozenset[str]
    ) -> None:
        before = old.get("properties") or {}
        after = new.get("properties") or {}
        req_before = set(old.get("required") or [])
        req_after = set(new.get("required") or [])
        for name in before:
            if name not in after:
                self.emit("field-removed", f"{loc}.{name}", f"field `{name}` removed", breaking=True)
        for name in after:
            if name in before:
                continue
            required = name in req_after
            breaking = required and WRITE in dirs
            note = " (a request without it is now invalid)" if breaking else ""
            self.emit(
                "field-added",
                f"{loc}.{name}",
                f"{'required' if required else 'optional'} field `{name}` added{note}",
                breaking=breaking,
                additive=True,
            )
        for name in before:
            if name not in after:
                continue
            was, now = name in req_before, name in req_after
            if was and not now:
                self.emit(
                    "required-changed",
                    f"{loc}.{name}",
                    f"field `{name}` is now optional ({_dirs_note(dirs)})",
                    breaking=READ in dirs,
                    additive=WRITE in dirs,
                )
            elif now and not was:
                self.emit(
                    "required-changed",
                    f"{loc}.{name}",
                    f"field `{name}` is now required ({_dirs_note(dirs)})",
                    breaking=WRITE in dirs,
                )
            self.schema(before[name], after[name], f"{loc}.{name}", dirs)

    def _additional(
        self, old: Mapping[str, Any], new: Mapping[str, Any], loc: str, dirs: frozenset[str]
    ) -> None:
        before, after = old.get("additionalProperties"), new.get("additionalProperties")
        if isinstance(before, dict) and isinstance(after, dict):
            self.schema(before, after, f"{loc}{{*}}", dirs)
        elif before != after:
            closed = after is False and before is not False
            opened = before is False and after is not False
            if closed:
                self.emit(
                    "additional-properties-changed",
                    loc,
                    f"extra keys no longer allowed ({_dirs_note(dirs)})",
                    breaking=WRITE in dirs,
                )
            elif opened:
                self.emit(
                    "additional-properties-changed",
                    loc,
                    "extra keys now allowed",
                    breaking=False,
                    additive=True,
                )
            else:
                self.emit(
                    "additional-properties-changed",
                    loc,
                    f"additionalProperties {before!r} → {after!r}",
                    breaking=False,
                )

    def _variants(self, key: str, old: list[Any], new: list[Any], loc: str, dirs: frozenset[str]) -> None:
        if not old and not new:
            return

        def keyed(items: list[Any]) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for index, item in enumerate(items):
                name = (
                    _ref_name(item) or (item.get("title") if isinstance(item, dict) else None) or f"#{index}"
                )
                out[str(name)] = item
            return out

        before, after = keyed(old), keyed(new)
        for name in before:
            if name not in after:
                self.emit("variant-removed", loc, f"{key} variant {name} removed", breaking=True)
        for name in after:
            if name in before:
                self.schema(before[name], after[name], f"{loc}<{name}>", dirs)
                continue
            if key == "allOf":
                self.emit(
                    "variant-added",
                    loc,
                    f"allOf member {name} added ({_dirs_note(dirs)})",
                    breaking=WRITE in dirs,
                    additive=True,
                )
            else:
                note = (
                    " (forward compatible: the SDK surfaces a variant it does not know)"
                    if READ in dirs
                    else ""
                )
                self.emit(
                    "variant-added", loc, f"{key} variant {name} added{note}", breaking=False, additive=True
                )

    def _discriminator(self, old: Mapping[str, Any], new: Mapping[str, Any], loc: str) -> None:
        before = old.get("discriminator") or {}
        after = new.get("discriminator") or {}
        if not before and not after:
            return
        if before.get("propertyName") != after.get("propertyName"):
            self.emit(
                "discriminator-changed",
                loc,
                f"discriminator {before.get('propertyName')!r} → {after.get('propertyName')!r}",
                breaking=True,
            )
        map_before, map_after = before.get("mapping") or {}, after.get("mapping") or {}
        for value, target in map_before.items():
            if value not in map_after:
                self.emit(
                    "discriminator-value-removed",
                    loc,
                    f"discriminator value {value!r} removed",
                    breaking=True,
                )
            elif map_after[value] != target:
                self.emit(
                    "discriminator-changed",
                    loc,
                    f"discriminator value {value!r} now maps to {str(map_after[value]).rsplit('/', 1)[-1]}",
                    breaking=True,
                )
        for value, target in map_after.items():
            if value not in map_before:
                self.emit(
                    "discriminator-value-added",
                    loc,
                    f"discriminator value {value!r} added (→ {str(target).rsplit('/', 1)[-1]})",
                    breaking=False,
                    additive=True,
                )

    def _docs(self, old: Mapping[str, Any], new: Mapping[str, Any], loc: str) -> None:
        changed = [k for k in ("title", "summary", "description") if old.get(k) != new.get(k)]
        if changed:
            note = (
                " (a title may name a generated class: see the Python API section)"
                if "title" in changed
                else ""
            )
            self.emit("docs-changed", loc, f"{', '.join(changed)} changed{note}", breaking=False)
        if old.get("default") != new.get("default"):
            self.emit(
                "default-changed",
                loc,
                f"default {old.get('default')!r} → {new.get('default')!r}",
                breaking=False,
            )
        if bool(old.get("deprecated")) != bool(new.get("deprecated")):
            if new.get("deprecated"):
                self.emit("deprecated", loc, "deprecated", breaking=False, additive=True)
            else:
                self.emit("undeprecated", loc, "no longer deprecated", breaking=False)

    # -- named models -----------------------------------------------------------------------

    def models(
        self,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
        directions: Mapping[str, frozenset[str]],
    ) -> None:
        for name in old:
            if name not in new:
                self.emit("model-removed", f"model {name}", f"model `{name}` removed", breaking=True)
        for name in new:
            if name not in old:
                dirs = directions.get(name, BOTH)
                self.emit(
                    "model-added",
                    f"model {name}",
                    f"model `{name}` added ({_dirs_note(dirs)})",
                    breaking=False,
                    additive=True,
                )
        for name in old:
            if name in new:
                self.schema(old[name], new[name], f"model {name}", directions.get(name, BOTH))


def _refs_in(node: Any, section: str) -> set[str]:
    """Names of ``#/components/<section>/X`` referenced anywhere under ``node``."""
    found: set[str] = set()
    prefix = f"#/components/{section}/"
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith(prefix):
                found.add(ref[len(prefix) :].split("/", 1)[0])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _propagate(schemas: Mapping[str, Any], seeds: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    """Direction(s) of every schema reachable from the seeds, following refs between schemas."""
    directions: dict[str, set[str]] = {}
    stack = list(seeds)
    while stack:
        name, direction = stack.pop()
        if direction in directions.setdefault(name, set()):
            continue
        directions[name].add(direction)
        stack.extend((child, direction) for child in _refs_in(schemas.get(name), "schemas"))
    return directions


def _merge_directions(*maps: Mapping[str, set[str]]) -> dict[str, frozenset[str]]:
    merged: dict[str, set[str]] = {}
    for mapping in maps:
        for name, dirs in mapping.items():
            merged.setdefault(name, set()).update(dirs)
    return {name: frozenset(dirs) for name, dirs in merged.items()}


# --------------------------------------------------------------------------------------------
# OpenAPI


def _operations(doc: Mapping[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    ops: dict[tuple[str, str], dict[str, Any]] = {}
    for path, item in (doc.get("paths") or {}).items():
        item = _resolve(doc, item)
        if not isinstance(item, dict):
            continue
        shared = item.get("parameters") or []
        for method in HTTP_METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            params: dict[tuple[str, str], Any] = {}
            for param in [*shared, *(op.get("parameters") or [])]:
                resolved = _resolve(doc, param)
                if isinstance(resolved, dict):
                    params[(str(resolved.get("in")), str(resolved.get("name")))] = resolved
            ops[(method.upper(), path)] = {**op, "parameters": params}
    return ops


def _openapi_directions(doc: Mapping[str, Any]) -> dict[str, set[str]]:
    schemas = (doc.get("components") or {}).get("schemas") or {}
    seeds: list[tuple[str, str]] = []
    for op in _operations(doc).values():
        writes: list[Any] = [p.get("schema") for p in op["parameters"].values()]
        writes.append(_resolve(doc, op.get("requestBody")))
        for node in writes:
            for name in _refs_in(_deref_components(doc, node), "schemas"):
                seeds.append((name, WRITE))
        for response in (op.get("responses") or {}).values():
            for name in _refs_in(_deref_components(doc, _resolve(doc, response)), "schemas"):
                seeds.append((name, READ))
    return _propagate(schemas, seeds)


def _deref_components(doc: Mapping[str, Any], node: Any) -> Any:
    """Inline refs to components other than schemas (responses, headers, ...), one level deep."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#/components/schemas/"):
            return _deref_components(doc, _resolve(doc, node))
        return {k: _deref_components(doc, v) for k, v in node.items()}
    if isinstance(node, list):
        return [_deref_components(doc, v) for v in node]
    return node


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).replace("-", "_").lower()


def _json_schema(content: Mapping[str, Any] | None) -> tuple[str, Any] | None:
    for media, body in (content or {}).items():
        if "json" in media and isinstance(body, dict):
            return media, body.get("schema", {})
    return None


def diff_openapi(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Every user-visible difference between two OpenAPI documents (operations, models, fields)."""
    d = _Differ(old, new, "REST")
    old_ops, new_ops = _operations(old), _operations(new)
    moved: set[tuple[str, str]] = set()
    by_id = {op.get("operationId"): key for key, op in new_ops.items() if key not in old_ops}
    for key, op in old_ops.items():
        if key in new_ops:
            continue
        target = by_id.get(op.get("operationId"))
        if target is not None and op.get("operationId"):
            moved.add(target)
            d.emit(
                "operation-moved",
                f"{key[0]} {key[1]}",
                f"operation `{op.get('operationId')}` moved to {target[0]} {target[1]}",
                breaking=True,
            )
        else:
            d.emit(
                "operation-removed",
                f"{key[0]} {key[1]}",
                f"operation `{op.get('operationId', '?')}` removed",
                breaking=True,
            )
    for key, op in new_ops.items():
        if key not in old_ops and key not in moved:
            d.emit(
                "operation-added",
                f"{key[0]} {key[1]}",
                f"operation `{op.get('operationId', '?')}` added ({op.get('summary', '').strip() or 'no summary'})",
                breaking=False,
                additive=True,
            )
    for key, old_op in old_ops.items():
        new_op = new_ops.get(key)
        if new_op is not None:
            _diff_operation(d, f"{key[0]} {key[1]}", old_op, new_op)

    _diff_security(d, old, new, old_ops, new_ops)
    directions = _merge_directions(_openapi_directions(old), _openapi_directions(new))
    d.models(
        (old.get("components") or {}).get("schemas") or {},
        (new.get("components") or {}).get("schemas") or {},
        directions,
    )
    return d.out


# What a client must send to be let in. An operation's own `security` overrides the document's;
# each requirement is one accepted way in (a set of schemes used together); `{}` means anonymous.
Requirement = frozenset[str]
# The parts of a scheme a client's credentials depend on (not its description).
_SCHEME_KEYS = ("type", "scheme", "in", "name", "bearerFormat", "openIdConnectUrl")


def _requirements(doc: Mapping[str, Any], op: Mapping[str, Any]) -> frozenset[Requirement]:
    security = op.get("security", doc.get("security"))
    if not isinstance(security, list) or not security:
        return frozenset({frozenset()})  # none declared: anyone may call
    return frozenset(frozenset(req) if isinstance(req, dict) else frozenset() for req in security)


def _fmt_requirements(reqs: frozenset[Requirement]) -> str:
    ways = sorted(" + ".join(sorted(req)) or "anonymous" for req in reqs)
    return " or ".join(ways)


def _diff_security(
    d: _Differ,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    old_ops: Mapping[tuple[str, str], Mapping[str, Any]],
    new_ops: Mapping[tuple[str, str], Mapping[str, Any]],
) -> None:
    """Authentication: a way in that clients use and that stops working is breaking (a
    credential newly required, a scheme removed or changed); a new way in is additive."""
    old_schemes = (old.get("components") or {}).get("securitySchemes") or {}
    new_schemes = (new.get("components") or {}).get("securitySchemes") or {}
    for name in sorted(old_schemes.keys() | new_schemes.keys()):
        before, after = old_schemes.get(name), new_schemes.get(name)
        if before is None:
            d.emit(
                "auth-scheme-added",
                f"security scheme {name}",
                "security scheme added",
                breaking=False,
                additive=True,
            )
        elif after is None:
            d.emit("auth-scheme-removed", f"security scheme {name}", "security scheme removed", breaking=True)
        elif isinstance(before, dict) and isinstance(after, dict):
            what = [k for k in _SCHEME_KEYS if before.get(k) != after.get(k)]
            if what:
                detail = ", ".join(f"{k} {before.get(k)!r} → {after.get(k)!r}" for k in what)
                d.emit(
                    "auth-scheme-changed",
                    f"security scheme {name}",
                    f"credentials sent differently: {detail}",
                    breaking=True,
                )
    for key in sorted(old_ops.keys() & new_ops.keys()):
        before_reqs, after_reqs = _requirements(old, old_ops[key]), _requirements(new, new_ops[key])
        if before_reqs == after_reqs:
            continue
        lost, gained = before_reqs - after_reqs, after_reqs - before_reqs
        d.emit(
            "auth-changed",
            f"{key[0]} {key[1]}",
            f"authentication {_fmt_requirements(before_reqs)} → {_fmt_requirements(after_reqs)}",
            breaking=bool(lost) and frozenset() not in after_reqs,
            additive=bool(gained),
        )


def _diff_operation(d: _Differ, loc: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
    old_id, new_id = old.get("operationId"), new.get("operationId")
    if old_id != new_id:
        d.emit(
            "operation-renamed",
            loc,
            f"operationId {old_id!r} → {new_id!r}: the generated function "
            f"`{_snake(str(old_id))}` becomes `{_snake(str(new_id))}`",
            breaking=True,
        )
    old_tag, new_tag = (old.get("tags") or ["default"])[0], (new.get("tags") or ["default"])[0]
    if old_tag != new_tag:
        d.emit(
            "operation-moved",
            loc,
            f"tag {old_tag!r} → {new_tag!r}: the generated module moves from "
            f"api.{_snake(str(old_tag))} to api.{_snake(str(new_tag))}",
            breaking=True,
        )
    d._docs(old, new, loc)

    # Parameters: sent by the client.
    old_params, new_params = old["parameters"], new["parameters"]
    for key in old_params:
        if key not in new_params:
            d.emit(
                "parameter-removed", f"{loc} {key[0]} parameter {key[1]}", "parameter removed", breaking=True
            )
    for key, param in new_params.items():
        if key in old_params:
            continue
        required = bool(param.get("required")) or key[0] == "path"
        d.emit(
            "parameter-added",
            f"{loc} {key[0]} parameter {key[1]}",
            f"{'required' if required else 'optional'} parameter added",
            breaking=required,
            additive=True,
        )
    for key, param in old_params.items():
        if key not in new_params:
            continue
        was = bool(param.get("required")) or key[0] == "path"
        now = bool(new_params[key].get("required")) or key[0] == "path"
        where = f"{loc} {key[0]} parameter {key[1]}"
        if was != now:
            d.emit(
                "required-changed",
                where,
                "now required" if now else "now optional",
                breaking=now,
                additive=not now,
            )
        d.schema(param.get("schema", {}), new_params[key].get("schema", {}), where, frozenset({WRITE}))

    # Request body: sent by the client.
    old_body, new_body = (
        _resolve(d.old_doc, old.get("requestBody")),
        _resolve(d.new_doc, new.get("requestBody")),
    )
    where = f"{loc} request body"
    if old_body and not new_body:
        d.emit("request-body-removed", where, "request body removed", breaking=True)
    elif new_body and not old_body:
        required = bool(new_body.get("required"))
        d.emit(
            "request-body-added",
            where,
            f"{'required' if required else 'optional'} request body added",
            breaking=required,
            additive=True,
        )
    elif old_body and new_body:
        if bool(old_body.get("required")) != bool(new_body.get("required")):
            now = bool(new_body.get("required"))
            d.emit(
                "required-changed",
                where,
                f"request body now {'required' if now else 'optional'}",
                breaking=now,
            )
        _diff_content(d, where, old_body.get("content"), new_body.get("content"), frozenset({WRITE}), True)

    # Responses: read by the client.
    old_responses, new_responses = old.get("responses") or {}, new.get("responses") or {}
    for code in old_responses:
        if code not in new_responses:
            success = str(code).startswith("2")
            d.emit(
                "response-removed",
                f"{loc} response {code}",
                "response removed"
                + ("" if success else " (an error response; the client maps statuses itself)"),
                breaking=success,
            )
    for code in new_responses:
        if code not in old_responses:
            d.emit(
                "response-added", f"{loc} response {code}", "response added", breaking=False, additive=True
            )
    for code, response in old_responses.items():
        if code in new_responses:
            old_resp, new_resp = _resolve(d.old_doc, response), _resolve(d.new_doc, new_responses[code])
            _diff_content(
                d,
                f"{loc} response {code}",
                old_resp.get("content"),
                new_resp.get("content"),
                frozenset({READ}),
                str(code).startswith("2"),
            )


def _diff_content(d: _Differ, loc: str, old: Any, new: Any, dirs: frozenset[str], matters: bool) -> None:
    old, new = old or {}, new or {}
    for media in old:
        if media not in new:
            d.emit("media-type-removed", loc, f"media type {media} removed", breaking=matters)
    for media in new:
        if media not in old:
            d.emit("media-type-added", loc, f"media type {media} added", breaking=False, additive=True)
    for media, body in old.items():
        if media in new and isinstance(body, dict) and isinstance(new[media], dict):
            d.schema(body.get("schema", {}), new[media].get("schema", {}), loc, dirs)


# --------------------------------------------------------------------------------------------
# AsyncAPI


def _payload(doc: Mapping[str, Any], message: Any) -> Any:
    message = _resolve(doc, message)
    payload = message.get("payload", {}) if isinstance(message, dict) else {}
    if isinstance(payload, dict) and "schemaFormat" in payload and "schema" in payload:
        payload = payload["schema"]  # a multi-format schema object
    return payload


def _asyncapi_directions(doc: Mapping[str, Any]) -> dict[str, set[str]]:
    # The SDK parses every webhook payload (parse_event), whatever the operation's action:
    # all of them are read.
    schemas = (doc.get("components") or {}).get("schemas") or {}
    messages = list(((doc.get("components") or {}).get("messages") or {}).values())
    for channel in (doc.get("channels") or {}).values():
        messages.extend(((_resolve(doc, channel) or {}).get("messages") or {}).values())
    seeds = [(name, READ) for message in messages for name in _refs_in(_payload(doc, message), "schemas")]
    return _propagate(schemas, seeds)


def _message_name(message: Any) -> str:
    return _ref_name(message) or (message.get("name") if isinstance(message, dict) else None) or "?"


def diff_asyncapi(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Every user-visible difference between two AsyncAPI 3 documents (events, payload fields)."""
    d = _Differ(old, new, "Webhooks")
    read = frozenset({READ})

    old_channels = {k: _resolve(old, v) for k, v in (old.get("channels") or {}).items()}
    new_channels = {k: _resolve(new, v) for k, v in (new.get("channels") or {}).items()}
    for name in old_channels:
        if name not in new_channels:
            d.emit(
                "channel-removed",
                f"channel {name}",
                "channel removed: these events are no longer sent",
                breaking=True,
            )
    for name, channel in new_channels.items():
        if name not in old_channels:
            d.emit(
                "channel-added",
                f"channel {name}",
                f"channel added ({str(channel.get('description', '')).strip() or 'no description'})",
                breaking=False,
                additive=True,
            )
    for name, channel in old_channels.items():
        other = new_channels.get(name)
        if other is None:
            continue
        if channel.get("address") != other.get("address"):
            d.emit(
                "channel-changed",
                f"channel {name}",
                f"address {channel.get('address')!r} → {other.get('address')!r}",
                breaking=False,
            )
        old_msgs, new_msgs = channel.get("messages") or {}, other.get("messages") or {}
        for key, message in old_msgs.items():
            if key not in new_msgs:
                d.emit(
                    "message-removed",
                    f"channel {name}",
                    f"message {_message_name(message)} no longer sent here",
                    breaking=True,
                )
            elif _ref_name(message) is None or _ref_name(new_msgs[key]) is None:
                d.schema(
                    _payload(old, message),
                    _payload(new, new_msgs[key]),
                    f"channel {name} message {key}",
                    read,
                )
            elif _ref_name(message) != _ref_name(new_msgs[key]):
                d.emit(
                    "message-changed",
                    f"channel {name}",
                    f"message {key} is now {_ref_name(new_msgs[key])} (was {_ref_name(message)})",
                    breaking=True,
                )
        for key, message in new_msgs.items():
            if key not in old_msgs:
                d.emit(
                    "message-added",
                    f"channel {name}",
                    f"message {_message_name(message)} added",
                    breaking=False,
                    additive=True,
                )

    old_ops, new_ops = old.get("operations") or {}, new.get("operations") or {}
    for name in old_ops:
        if name not in new_ops:
            d.emit("operation-removed", f"operation {name}", "operation removed", breaking=True)
    for name in new_ops:
        if name not in old_ops:
            d.emit("operation-added", f"operation {name}", "operation added", breaking=False, additive=True)
    for name, op in old_ops.items():
        if name in new_ops:
            other = new_ops[name]
            if op.get("action") != other.get("action"):
                d.emit(
                    "operation-changed",
                    f"operation {name}",
                    f"action {op.get('action')!r} → {other.get('action')!r}",
                    breaking=True,
                )
            if _ref_name(op.get("channel")) != _ref_name(other.get("channel")):
                d.emit(
                    "operation-changed",
                    f"operation {name}",
                    f"channel {_ref_name(op.get('channel'))} → {_ref_name(other.get('channel'))}",
                    breaking=True,
                )

    old_messages = (old.get("components") or {}).get("messages") or {}
    new_messages = (new.get("components") or {}).get("messages") or {}
    for name in old_messages:
        if name not in new_messages:
            d.emit("message-removed", f"message {name}", f"event `{name}` removed", breaking=True)
    for name, message in new_messages.items():
        if name not in old_messages:
            summary = str(_resolve(new, message).get("summary", "")).strip()
            d.emit(
                "message-added",
                f"message {name}",
                f"event `{name}` added ({summary or 'no summary'})",
                breaking=False,
                additive=True,
            )
    for name, message in old_messages.items():
        if name not in new_messages:
            continue
        before, after = _resolve(old, message), _resolve(new, new_messages[name])
        if before.get("contentType") != after.get("contentType"):
            d.emit(
                "message-changed",
                f"message {name}",
                f"contentType {before.get('contentType')!r} → {after.get('contentType')!r}",
                breaking=True,
            )
        if before.get("name") != after.get("name"):
            d.emit(
                "message-changed",
                f"message {name}",
                f"name {before.get('name')!r} → {after.get('name')!r}",
                breaking=False,
            )
        d.schema(_payload(old, before), _payload(new, after), f"message {name} payload", read)

    directions = _merge_directions(_asyncapi_directions(old), _asyncapi_directions(new))
    d.models(
        (old.get("components") or {}).get("schemas") or {},
        (new.get("components") or {}).get("schemas") or {},
        directions,
    )
    return d.out


def spec_kind(doc: Mapping[str, Any]) -> str:
    return "asyncapi" if "asyncapi" in doc else "openapi"


def diff_specs(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Dispatch on the document kind (both must be the same kind)."""
    if spec_kind(old) != spec_kind(new):
        raise ValueError(f"cannot compare a {spec_kind(old)} document with a {spec_kind(new)} one")
    return diff_asyncapi(old, new) if spec_kind(old) == "asyncapi" else diff_openapi(old, new)


# --------------------------------------------------------------------------------------------
# The generated Python API (griffe)


def python_api_changes(
    old_root: Path, new_root: Path, packages: Iterable[str] = ("crewai_amp_api", "crewai_amp_events")
) -> list[Change]:
    """Breaking changes between two generated trees' public Python API, found by griffe.

    Catches what a spec diff cannot: a generator upgrade (or a schema title) that renames a class,
    a module or a parameter.
    """
    import griffe

    changes: list[Change] = []
    for package in packages:
        has_old, has_new = (old_root / package).is_dir(), (new_root / package).is_dir()
        if not has_old or not has_new:
            if has_old:
                changes.append(Change("python-api", f"Python {package}", "package removed", True))
            continue
        old = griffe.load(package, search_paths=[old_root], allow_inspection=False, resolve_aliases=True)
        new = griffe.load(package, search_paths=[new_root], allow_inspection=False, resolve_aliases=True)
        for breakage in griffe.find_breaking_changes(old, new):
            what = breakage.kind.value
            if breakage.kind is not griffe.BreakageKind.OBJECT_REMOVED:
                what += f": {_short(breakage.old_value)} → {_short(breakage.new_value)}"
            changes.append(Change("python-api", f"Python {breakage.obj.path}", what, True))
    return sorted(set(changes))


def _short(value: Any) -> str:
    if value is None:
        return "nothing"
    text = str(getattr(value, "path", None) or getattr(value, "name", None) or value)
    return text if len(text) <= 60 else text[:57] + "..."


# --------------------------------------------------------------------------------------------
# Bumps and versions


def implied_bump(changes: Iterable[Change]) -> str:
    """ "major", "minor", "patch", or "none" when nothing changed."""
    best = "none"
    for change in changes:
        if BUMPS.index(change.bump) > BUMPS.index(best):
            best = change.bump
    return best


def _plain(version: str) -> tuple[int, int, int]:
    """``X.Y.Z`` as three numbers; ValueError when it is not a plain version."""
    match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", version.strip())
    if not match:
        raise ValueError(f"not a plain X.Y.Z version: {version!r}")
    major, minor, patch = map(int, match.groups())
    return major, minor, patch


def next_version(current: str, bump: str) -> str:
    """Apply a bump to ``X.Y.Z``. Before 1.0: breaking bumps Y, anything else bumps Z."""
    major, minor, patch = _plain(current)
    if bump == "none":
        return current
    if major == 0:
        return f"0.{minor + 1}.0" if bump == "major" else f"0.{minor}.{patch + 1}"
    if bump == "major":
        return f"{major + 1}.0.0"
    if bump == "minor":
        return f"{major}.{minor + 1}.0"
    if bump == "patch":
        return f"{major}.{minor}.{patch + 1}"
    raise ValueError(f"unknown bump {bump!r}")


def plain_bump(current: str, level: str) -> str:
    """Plain semver: ``major`` -> X+1.0.0, ``minor`` -> X.Y+1.0, ``patch`` -> X.Y.Z+1."""
    major, minor, patch = _plain(current)
    return {
        "major": f"{major + 1}.0.0",
        "minor": f"{major}.{minor + 1}.0",
        "patch": f"{major}.{minor}.{patch + 1}",
    }[level]


# --------------------------------------------------------------------------------------------
# Reports


@dataclass
class SpecPair:
    """One spec on both sides: its label, versions and hashes (for the report header)."""

    label: str
    file: str
    old_version: str
    new_version: str
    old_sha256: str
    new_sha256: str
    changes: list[Change] = field(default_factory=list)


@dataclass
class Report:
    old_label: str
    new_label: str
    specs: list[SpecPair]
    python_api: list[Change] | None = None  # None: not checked
    current_version: str | None = None

    @property
    def changes(self) -> list[Change]:
        return [c for pair in self.specs for c in pair.changes] + list(self.python_api or [])

    @property
    def breaking(self) -> list[Change]:
        return [c for c in self.changes if c.breaking]

    @property
    def bump(self) -> str:
        return implied_bump(self.changes)

    @property
    def next_version(self) -> str | None:
        return next_version(self.current_version, self.bump) if self.current_version else None


def _bump_sentence(report: Report) -> str:
    bump = report.bump
    counts = {
        level: sum(1 for c in report.changes if c.level == level)
        for level in ("breaking", "additive", "patch")
    }
    why = ", ".join(f"{n} {level}" for level, n in counts.items() if n) or "no changes"
    if bump == "none":
        text = "Implied bump: none (no user-visible change; no release needed)."
    else:
        text = f"Implied bump: {bump} ({why})."
    if report.current_version and bump != "none":
        nxt = report.next_version
        if report.current_version.startswith("0."):
            text += (
                f" The SDK is pre-1.0 ({report.current_version}): by the 0.y.z convention a breaking change"
                f" bumps y and anything else bumps z, so the next version is {nxt}."
            )
        else:
            text += f" Next version: {report.current_version} → {nxt}."
    return text


def render_markdown(report: Report) -> str:
    lines = [f"# API diff: {report.old_label} → {report.new_label}", ""]
    for pair in report.specs:
        same = (
            "unchanged"
            if pair.old_sha256 == pair.new_sha256
            else f"sha256 {pair.old_sha256[:12]} → {pair.new_sha256[:12]}"
        )
        lines.append(
            f"- {pair.label} (`{pair.file}`): version {pair.old_version} → {pair.new_version}, {same}"
        )
    lines.append("")
    for pair in report.specs:
        lines.append(f"## {pair.label}")
        lines.append("")
        if not pair.changes:
            lines.append("No user-visible changes.")
            lines.append("")
            continue
        for level, title in (("breaking", "Breaking"), ("additive", "Additive"), ("patch", "Other (patch)")):
            items = [c for c in pair.changes if c.level == level]
            if items:
                lines.append(f"### {title} ({len(items)})")
                lines.append("")
                lines.extend(f"- `{c.location}`: {c.description} [{c.kind}]" for c in items)
                lines.append("")
    lines.append("## Python API of the generated packages (griffe)")
    lines.append("")
    if report.python_api is None:
        lines.append("Not checked (`--no-python-api`).")
    elif not report.python_api:
        lines.append("No breaking changes in crewai_amp_api or crewai_amp_events.")
    else:
        lines.extend(f"- **Breaking** `{c.location}`: {c.description}" for c in report.python_api)
    lines.append("")
    lines.append(f"**{_bump_sentence(report)}**")
    return "\n".join(lines) + "\n"


def render_text(report: Report) -> str:
    lines = [f"API diff: {report.old_label} -> {report.new_label}"]
    for pair in report.specs:
        lines.append(f"  {pair.label} ({pair.file}): {pair.old_version} -> {pair.new_version}")
    for pair in report.specs:
        lines.append("")
        lines.append(f"{pair.label}:")
        if not pair.changes:
            lines.append("  no user-visible changes")
        for c in pair.changes:
            lines.append(f"  {c.level.upper():9} {c.location}: {c.description}")
    lines.append("")
    lines.append("Python API (griffe):")
    if report.python_api is None:
        lines.append("  not checked")
    elif not report.python_api:
        lines.append("  no breaking changes")
    for c in report.python_api or []:
        lines.append(f"  BREAKING  {c.location}: {c.description}")
    lines.append("")
    lines.append(_bump_sentence(report))
    return "\n".join(lines) + "\n"


def changelog_entry(report: Report, version: str, date: str) -> str:
    """A Keep a Changelog section for ``version`` summarising the report."""
    added: list[str] = []
    changed: list[str] = []
    deprecated: list[str] = []
    removed: list[str] = []
    docs = 0
    for c in report.changes:
        text = f"`{c.location}`: {c.description}"
        if c.kind == "docs-changed":
            docs += 1
        elif c.kind == "deprecated":
            deprecated.append(text)
        elif c.breaking and (
            c.kind.endswith("-removed") or (c.kind == "python-api" and "removed" in c.description)
        ):
            removed.append(f"**Breaking:** {text}")
        elif c.breaking:
            changed.append(f"**Breaking:** {text}")
        elif c.additive:
            added.append(text)
        else:
            changed.append(text)
    if docs:
        changed.append(f"Documentation updated in {docs} place{'s' if docs != 1 else ''} of the specs.")
    specs = "; ".join(
        f"{p.label} {p.old_version} → {p.new_version}"
        if p.old_sha256 != p.new_sha256
        else f"{p.label} {p.new_version} (unchanged)"
        for p in report.specs
    )
    lines = [
        f"## [{version}] - {date}",
        "",
        f"Regenerated from the specs: {specs}. Implied bump: {report.bump}.",
        "",
    ]
    for title, items in (
        ("Added", added),
        ("Changed", changed),
        ("Deprecated", deprecated),
        ("Removed", removed),
    ):
        if items:
            lines.append(f"### {title}")
            lines.append("")
            lines.extend(f"- {item}" for item in items)
            lines.append("")
    if not (added or changed or deprecated or removed):
        lines.extend(["### Changed", "", "- Regenerated; no user-visible API change.", ""])
    return "\n".join(lines)


def prepend_changelog(text: str, entry: str) -> str:
    """Insert ``entry`` above the newest version section (below the title and [Unreleased])."""
    version = re.search(r"^## \[(.+?)\]", entry, re.MULTILINE)
    if version and re.search(rf"^## \[{re.escape(version.group(1))}\]", text, re.MULTILINE):
        raise ValueError(f"CHANGELOG already has a section for {version.group(1)}")
    matches = [
        m for m in re.finditer(r"^## \[(.+?)\]", text, re.MULTILINE) if m.group(1).lower() != "unreleased"
    ]
    if matches:
        at = matches[0].start()
        return text[:at] + entry.rstrip("\n") + "\n\n" + text[at:]
    return text.rstrip("\n") + "\n\n" + entry.rstrip("\n") + "\n"
