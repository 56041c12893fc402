"""The OpenAPI walker: operations, parameters, request bodies, responses, authentication and
models of two OpenAPI documents, compared through the schema differ."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .changes import READ, WRITE, Change, merge_directions, propagate, refs_in, resolve, section, split
from .schemadiff import SchemaDiffer

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def operations(doc: Mapping[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    ops: dict[tuple[str, str], dict[str, Any]] = {}
    for path, item in (doc.get("paths") or {}).items():
        item = resolve(doc, item)
        if not isinstance(item, dict):
            continue
        shared = item.get("parameters") or []
        for method in HTTP_METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            params: dict[tuple[str, str], Any] = {}
            for param in [*shared, *(op.get("parameters") or [])]:
                resolved = resolve(doc, param)
                if isinstance(resolved, dict):
                    params[(str(resolved.get("in")), str(resolved.get("name")))] = resolved
            ops[(method.upper(), path)] = {**op, "parameters": params}
    return ops


def _openapi_directions(doc: Mapping[str, Any]) -> dict[str, set[str]]:
    schemas = (doc.get("components") or {}).get("schemas") or {}
    seeds: list[tuple[str, str]] = []
    for op in operations(doc).values():
        writes: list[Any] = [p.get("schema") for p in op["parameters"].values()]
        writes.append(resolve(doc, op.get("requestBody")))
        for node in writes:
            for name in refs_in(_deref_components(doc, node), "schemas"):
                seeds.append((name, WRITE))
        for response in (op.get("responses") or {}).values():
            for name in refs_in(_deref_components(doc, resolve(doc, response)), "schemas"):
                seeds.append((name, READ))
    return propagate(schemas, seeds)


def _deref_components(doc: Mapping[str, Any], node: Any) -> Any:
    """Inline refs to components other than schemas (responses, headers, ...), one level deep."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#/components/schemas/"):
            return _deref_components(doc, resolve(doc, node))
        return {k: _deref_components(doc, v) for k, v in node.items()}
    if isinstance(node, list):
        return [_deref_components(doc, v) for v in node]
    return node


def snake(name: str) -> str:
    """openapi-python-client's module names: camelCase and kebab-case to snake_case."""
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name))
    return re.sub(r"[^0-9a-zA-Z]+", "_", words).strip("_").lower()


def diff_openapi(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Every user-visible difference between two OpenAPI documents (operations, models, fields)."""
    d = SchemaDiffer(old, new, "REST")
    old_ops, new_ops = operations(old), operations(new)
    ops = split(old_ops, new_ops)
    moved: set[tuple[str, str]] = set()
    by_id = {new_ops[key].get("operationId"): key for key in ops.added}
    for key in ops.removed:
        op = old_ops[key]
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
    for key in ops.added:
        if key not in moved:
            op = new_ops[key]
            d.emit(
                "operation-added",
                f"{key[0]} {key[1]}",
                f"operation `{op.get('operationId', '?')}` added ({op.get('summary', '').strip() or 'no summary'})",
                breaking=False,
                additive=True,
            )
    for key in ops.common:
        _diff_operation(d, f"{key[0]} {key[1]}", old_ops[key], new_ops[key])

    _diff_security(d, old, new, old_ops, new_ops)
    directions = merge_directions(_openapi_directions(old), _openapi_directions(new))
    d.models(section(old, "components", "schemas"), section(new, "components", "schemas"), directions)
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
    d: SchemaDiffer,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    old_ops: Mapping[tuple[str, str], Mapping[str, Any]],
    new_ops: Mapping[tuple[str, str], Mapping[str, Any]],
) -> None:
    """Authentication: a way in that clients use and that stops working is breaking (a
    credential newly required, a scheme removed or changed); a new way in is additive."""
    old_schemes = section(old, "components", "securitySchemes")
    new_schemes = section(new, "components", "securitySchemes")
    schemes = split(sorted(old_schemes), sorted(new_schemes))
    for name in schemes.removed:
        d.emit("auth-scheme-removed", f"security scheme {name}", "security scheme removed", breaking=True)
    for name in schemes.added:
        d.emit(
            "auth-scheme-added",
            f"security scheme {name}",
            "security scheme added",
            breaking=False,
            additive=True,
        )
    for name in schemes.common:
        before, after = old_schemes[name], new_schemes[name]
        if isinstance(before, dict) and isinstance(after, dict):
            what = [k for k in _SCHEME_KEYS if before.get(k) != after.get(k)]
            if what:
                detail = ", ".join(f"{k} {before.get(k)!r} → {after.get(k)!r}" for k in what)
                d.emit(
                    "auth-scheme-changed",
                    f"security scheme {name}",
                    f"credentials sent differently: {detail}",
                    breaking=True,
                )
    for key in split(sorted(old_ops), sorted(new_ops)).common:
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


def _diff_operation(d: SchemaDiffer, loc: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
    old_id, new_id = old.get("operationId"), new.get("operationId")
    if bool(old.get("deprecated")) != bool(new.get("deprecated")):
        if new.get("deprecated"):
            d.emit("deprecated", loc, f"operation `{new_id}` deprecated", breaking=False, additive=True)
        else:
            d.emit("undeprecated", loc, f"operation `{new_id}` no longer deprecated", breaking=False)
    if old_id != new_id:
        d.emit(
            "operation-renamed",
            loc,
            f"operationId {old_id!r} → {new_id!r}: the generated function "
            f"`{snake(str(old_id))}` becomes `{snake(str(new_id))}`",
            breaking=True,
        )
    old_tag, new_tag = (old.get("tags") or ["default"])[0], (new.get("tags") or ["default"])[0]
    if old_tag != new_tag:
        d.emit(
            "operation-moved",
            loc,
            f"tag {old_tag!r} → {new_tag!r}: the generated module moves from "
            f"api.{snake(str(old_tag))} to api.{snake(str(new_tag))}",
            breaking=True,
        )
    d.docs(old, new, loc)

    # Parameters: sent by the client.
    old_params, new_params = old["parameters"], new["parameters"]
    params = split(old_params, new_params)
    for key in params.removed:
        d.emit("parameter-removed", f"{loc} {key[0]} parameter {key[1]}", "parameter removed", breaking=True)
    for key in params.added:
        required = bool(new_params[key].get("required")) or key[0] == "path"
        d.emit(
            "parameter-added",
            f"{loc} {key[0]} parameter {key[1]}",
            f"{'required' if required else 'optional'} parameter added",
            breaking=required,
            additive=True,
        )
    for key in params.common:
        param = old_params[key]
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
        resolve(d.old_doc, old.get("requestBody")),
        resolve(d.new_doc, new.get("requestBody")),
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
    responses = split(old_responses, new_responses)
    for code in responses.removed:
        success = str(code).startswith("2")
        d.emit(
            "response-removed",
            f"{loc} response {code}",
            "response removed" + ("" if success else " (an error response; the client maps statuses itself)"),
            breaking=success,
        )
    for code in responses.added:
        d.emit("response-added", f"{loc} response {code}", "response added", breaking=False, additive=True)
    for code in responses.common:
        old_resp = resolve(d.old_doc, old_responses[code])
        new_resp = resolve(d.new_doc, new_responses[code])
        _diff_content(
            d,
            f"{loc} response {code}",
            old_resp.get("content"),
            new_resp.get("content"),
            frozenset({READ}),
            str(code).startswith("2"),
        )


def _diff_content(d: SchemaDiffer, loc: str, old: Any, new: Any, dirs: frozenset[str], matters: bool) -> None:
    old, new = old or {}, new or {}
    media_types = split(old, new)
    for media in media_types.removed:
        d.emit("media-type-removed", loc, f"media type {media} removed", breaking=matters)
    for media in media_types.added:
        d.emit("media-type-added", loc, f"media type {media} added", breaking=False, additive=True)
    for media in media_types.common:
        if isinstance(old[media], dict) and isinstance(new[media], dict):
            d.schema(old[media].get("schema", {}), new[media].get("schema", {}), loc, dirs)
