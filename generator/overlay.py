"""Stage 2: apply spec overlays (OpenAPI Overlay 1.0). Input: a spec document and the overlay
files. Output: a patched deep copy; the spec on disk is never touched.

An overlay names the spec it patches in ``extends`` (a path relative to the overlay file or
just the spec's file name). Actions run in order: ``update`` merges into every node its JSONPath
``target`` selects (objects merge recursively, arrays get the value appended), ``remove: true``
deletes the selected nodes. A target that selects nothing is an error: it means the spec moved
on (perhaps AMP fixed it upstream) and the overlay needs a look, not silent neglect.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from jsonpath_ng import DatumInContext, Fields, Index
from jsonpath_ng.exceptions import JsonPathParserError
from jsonpath_ng.ext import parse as parse_jsonpath

from .specs import Spec, SpecError, load, pointer


@dataclass
class Overlay:
    spec: Spec

    @property
    def extends(self) -> str:
        return PurePosixPath(str(self.spec.data.get("extends", ""))).name

    @property
    def actions(self) -> list[dict[str, Any]]:
        actions: list[dict[str, Any]] = self.spec.data["actions"]
        return actions


def load_overlay(path: Path) -> Overlay:
    spec = load(path)
    data = spec.data
    if not str(data.get("overlay", "")).startswith("1."):
        raise spec.error("not an Overlay 1.x document (missing 'overlay: 1.0.0')", "/overlay")
    if not isinstance(data.get("extends"), str) or not data["extends"]:
        raise spec.error("'extends' must name the spec this overlay patches", "/extends")
    actions = data.get("actions")
    if not isinstance(actions, list) or not actions:
        raise spec.error("'actions' must be a non-empty list", "/actions")
    for index, action in enumerate(actions):
        where = f"/actions/{index}"
        if not isinstance(action, dict) or not isinstance(action.get("target"), str):
            raise spec.error("an action needs a JSONPath 'target'", where)
        if ("update" in action) == bool(action.get("remove")):
            raise spec.error("an action needs exactly one of 'update' or 'remove: true'", where)
    return Overlay(spec)


def load_overlays(directory: Path) -> list[Overlay]:
    """Every ``*.overlay.yaml`` in a directory, in file-name order (so order is stable)."""
    if not directory.is_dir():  # a mistyped --overlays must not silently generate without overlays
        raise SpecError(directory, "no such overlays directory")
    return [load_overlay(path) for path in sorted(directory.glob("*.overlay.yaml"))]


def _path_of(match: DatumInContext) -> list[Any]:
    parts: list[Any] = []
    node: DatumInContext | None = match
    while node is not None and node.context is not None:
        if isinstance(node.path, Fields):
            parts.append(node.path.fields[0])
        elif isinstance(node.path, Index):
            parts.append(node.path.indices[0])
        else:  # pragma: no cover - jsonpath-ng only yields these two for concrete nodes
            raise TypeError(f"unexpected JSONPath step {node.path!r}")
        node = node.context
    return parts[::-1]


def _is_node(document: Any, parts: list[Any], value: Any) -> bool:
    """Whether ``parts`` leads to ``value`` in ``document``. jsonpath-ng also yields things that are
    not nodes of the document — a character of a string (``title[0]``), a scalar wrapped in a list
    (``required[*]`` on ``required: true``), a computed ``len`` — which cannot be updated or removed."""
    node = document
    for part in parts:
        in_dict = isinstance(node, dict) and isinstance(part, str) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and -len(node) <= part < len(node)
        if not (in_dict or in_list):
            return False
        node = node[part]
    return node is value or (parts != [] and node == value)


def _merge(target: Any, update: Any) -> Any:
    if isinstance(target, dict) and isinstance(update, dict):
        for key, value in update.items():
            target[key] = _merge(target[key], value) if key in target else copy.deepcopy(value)
        return target
    if isinstance(target, list):
        target.append(copy.deepcopy(update))
        return target
    return copy.deepcopy(update)


def _locate(document: Any, parts: list[Any]) -> tuple[Any, Any]:
    parent = document
    for part in parts[:-1]:
        parent = parent[part]
    return parent, parts[-1]


def apply_overlay(document: dict[str, Any], overlay: Overlay) -> dict[str, Any]:
    """Return a patched deep copy of ``document``."""
    result = copy.deepcopy(document)
    for index, action in enumerate(overlay.actions):
        where = f"/actions/{index}/target"
        try:
            expression = parse_jsonpath(action["target"])
        except (JsonPathParserError, Exception) as exc:  # jsonpath-ng raises bare Exceptions too
            raise overlay.spec.error(f"invalid JSONPath {action['target']!r}: {exc}", where) from None
        matches = expression.find(result)
        paths = [_path_of(m) for m in matches]
        if not paths:
            raise overlay.spec.error(
                f"target {action['target']!r} selects nothing in {overlay.extends}", where
            )
        for match, parts in zip(matches, paths, strict=True):
            if not _is_node(result, parts, match.value):
                raise overlay.spec.error(
                    f"target {action['target']!r} selects {match.value!r}, which is not a node of"
                    f" {overlay.extends} (a string's character, a scalar wrapped in a list, a `len`?)",
                    where,
                )
        if action.get("remove"):
            # Delete deepest and highest-index first so earlier deletions don't shift later paths.
            for parts in sorted(paths, key=lambda p: (len(p), p[-1] if p else 0), reverse=True):
                if not parts:
                    raise overlay.spec.error("cannot remove the document root", where)
                parent, key = _locate(result, parts)
                del parent[key]
        else:
            for parts in paths:
                if not parts:
                    result = _merge(result, action["update"])
                    continue
                parent, key = _locate(result, parts)
                parent[key] = _merge(parent[key], action["update"])
    return result


def apply_overlays(spec: Spec, overlays: list[Overlay]) -> dict[str, Any]:
    """Apply, in order, every overlay that extends ``spec``."""
    document = spec.data
    for overlay in overlays:
        if overlay.extends == spec.path.name:
            document = apply_overlay(document, overlay)
    return document


def check_overlays_match(specs: list[Spec], overlays: list[Overlay]) -> None:
    names = {spec.path.name for spec in specs}
    for overlay in overlays:
        if overlay.extends not in names:
            raise SpecError(
                overlay.spec.path,
                f"extends {overlay.extends!r}, which is not one of {sorted(names)}",
                pointer=pointer(["extends"]),
                line=overlay.spec.line_of("/extends"),
            )
