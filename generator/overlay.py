"""Stage 2: apply spec overlays (OpenAPI Overlay 1.0). Input: a spec document and the overlay
files. Output: a patched deep copy (the spec on disk is never touched) and the notes a
maintainer needs: where upstream now defines what an overlay patches, and rules that matched
nothing.

An overlay names the spec it patches in ``extends`` (a path relative to the overlay file or
just the spec's file name). Actions run in order: ``update`` merges into every node its JSONPath
``target`` selects (objects merge recursively, an array target gets the value appended),
``remove: true`` deletes the selected nodes.

Two kinds of action:

- A *patch* (the default) names the place it fixes. A target that selects nothing is an error:
  the spec moved on (perhaps AMP fixed it upstream) and the overlay needs a look.
- A *rule* (``x-amp-rule: true``) is a pattern over the whole document (JSONPath recursive
  descent ``$..``, filters ``[?(...)]``): it applies to whatever matches, in today's spec and in
  the parts a later spec adds. Selecting nothing is not an error; the diff reports it as stale.
  Rules run after every patch, so they also see what the patches added. Two keys narrow a
  rule where JSONPath cannot: ``x-amp-within: <JSONPath>`` keeps only the matches inside what it
  selects or inside a schema that reaches through ``$ref`` (followed to the end, so a schema a
  later spec adds there is in scope too); ``x-amp-optional-only: true`` drops a match that is a
  property its object requires (``.../properties/NAME`` with NAME in that object's
  ``required``). A rule's update is not an overlap: matching what upstream has is its job.

When an update reaches a key upstream already defines (the overlay patched a gap that upstream
has since filled), the two are united by one rule, the *overlap rule*:

- equal: nothing changes (the overlay may be retired);
- schemas of the same shape: ``properties`` and other keys unite recursively; ``enum``,
  ``type``, ``oneOf`` and ``anyOf`` lists unite (upstream's order, then the overlay's additions);
  ``required`` keeps upstream's entries for the properties the overlay does not define, and the
  overlay's for the ones it does;
- anything else they disagree on (a scalar, a ``$ref`` against an inline schema, a ``oneOf``
  against an object): the overlay wins, because it records what deployed AMP is observed to do.
  Where the overlay's ``$ref`` replaces an upstream definition, upstream's definition is first
  united into the referenced schema, so upstream's new properties are kept.

Every overlap is recorded (:class:`Overlap`, with the overlay's source) for `nox -s diff`.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from jsonpath_ng import DatumInContext, Fields, Index
from jsonpath_ng.exceptions import JsonPathParserError
from jsonpath_ng.ext import parse as parse_jsonpath

from .specs import Spec, SpecError, load, pointer

RULE = "x-amp-rule"
WITHIN = "x-amp-within"
OPTIONAL_ONLY = "x-amp-optional-only"
# Lists that unite when both sides define them (a value either side allows stays allowed).
UNITED_LISTS = ("enum", "type", "oneOf", "anyOf")
SHAPE_KEYS = ("$ref", "oneOf", "anyOf", "allOf")


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

    @property
    def name(self) -> str:
        return self.spec.path.name

    @property
    def source(self) -> str:
        """What the overlay cites in its ``# Why:`` comment: its first URL, else the comment's first line."""
        text = self.spec.raw.decode("utf-8", errors="replace")
        why = re.search(r"^# Why:(.*(?:\n#(?! ?Why:).*)*)", text, re.MULTILINE)
        if why is None:
            return "no # Why: comment"
        url = re.search(r"https?://[^\s)\"'>,]+", why.group(1))
        return url.group(0).rstrip(".") if url else why.group(1).splitlines()[0].strip()


@dataclass
class Overlap:
    """Upstream now defines something an overlay patches."""

    overlay: str  # the overlay file's name
    source: str  # what the overlay cites
    at: str  # JSON pointer of the node both define
    identical: bool  # upstream defines exactly what the overlay says
    overlay_won: list[str] = field(default_factory=list)  # pointers where they disagreed

    def describe(self) -> str:
        if self.identical:
            what = "upstream now defines exactly what it says there: the overlay can be retired"
        elif self.overlay_won:
            what = (
                "enums and properties united; where they disagree the overlay wins ("
                + ", ".join(self.overlay_won)
                + f"), on its source: {self.source}"
            )
        else:
            what = "enums and properties united, no disagreement"
        return f"spec overlay {self.overlay} now overlaps upstream at {self.at}: {what}"


@dataclass
class Notes:
    """What applying overlays found, for the maintainers (`nox -s diff`)."""

    overlaps: list[Overlap] = field(default_factory=list)
    # Overlays whose rules all selected nothing: upstream no longer has what they relax.
    stale_rules: list[str] = field(default_factory=list)


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
        if not isinstance(action.get(RULE, False), bool):
            raise spec.error(f"'{RULE}' is true or false", f"{where}/{RULE}")
        if not isinstance(action.get(OPTIONAL_ONLY, False), bool):
            raise spec.error(f"'{OPTIONAL_ONLY}' is true or false", f"{where}/{OPTIONAL_ONLY}")
        if WITHIN in action and not isinstance(action[WITHIN], str):
            raise spec.error(f"'{WITHIN}' is a JSONPath", f"{where}/{WITHIN}")
        if (WITHIN in action or OPTIONAL_ONLY in action) and not action.get(RULE):
            raise spec.error(f"'{WITHIN}' and '{OPTIONAL_ONLY}' narrow a rule ('{RULE}: true')", where)
    return Overlay(spec)


def load_overlays(directory: Path) -> list[Overlay]:
    """Every ``*.overlay.yaml`` in a directory, in file-name order (so order is stable)."""
    if not directory.is_dir():  # a mistyped --overlays must not silently generate without overlays
        raise SpecError(directory, "no such overlays directory")
    return [load_overlay(path) for path in sorted(directory.glob("*.overlay.yaml"))]


def _find(expression: Any, document: Any) -> list[DatumInContext]:
    """The matches of a JSONPath, found on a copy: jsonpath-ng's filter on an object replaces
    the object with the list of its values in the document it searches (a write-through
    ``DatumInContext.value``). Name the matches with :func:`_path_of` on the untouched document."""
    matches: list[DatumInContext] = expression.find(copy.deepcopy(document))
    return matches


def _path_of(document: Any, match: DatumInContext) -> list[Any]:
    steps: list[Any] = []
    node: DatumInContext | None = match
    while node is not None and node.context is not None:
        if isinstance(node.path, Fields):
            steps.append(node.path.fields[0])
        elif isinstance(node.path, Index):
            steps.append(node.path.indices[0])
        else:  # pragma: no cover - jsonpath-ng only yields these two for concrete nodes
            raise TypeError(f"unexpected JSONPath step {node.path!r}")
        node = node.context
    # jsonpath-ng's filter ([?(...)]) on an object yields its values by position: name the key.
    parts: list[Any] = []
    current = document
    for step in reversed(steps):
        if isinstance(current, dict) and isinstance(step, int) and step not in current:
            keys = list(current)
            step = keys[step] if -len(keys) <= step < len(keys) else step
        parts.append(step)
        try:
            current = current[step]
        except (KeyError, IndexError, TypeError):
            current = None
    return parts


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
    if isinstance(value, (dict, list)):
        # Selected from a copy (see _find): the copy's objects under a filter became lists.
        return isinstance(node, (dict, list))
    return node is value or (parts != [] and node == value)


class _Merge:
    """One update action's merge into the document, recording where upstream already had the key."""

    def __init__(self, document: dict[str, Any], overlay: Overlay, notes: Notes | None) -> None:
        self.document = document
        self.overlay = overlay
        self.notes = notes
        self._following: set[str] = set()

    def update(self, target: Any, update: Any, at: list[Any]) -> Any:
        """Overlay 1.0 ``update``: objects merge, an array target gets the value appended."""
        if isinstance(target, dict) and isinstance(update, dict):
            for key, value in update.items():
                if key in target:
                    target[key] = self.overlap(target[key], value, [*at, key])
                else:
                    target[key] = copy.deepcopy(value)
            return target
        if isinstance(target, list):
            if update in target:
                self._record([*at, target.index(update)], identical=True, won=[])
            else:
                target.append(copy.deepcopy(update))
            return target
        return copy.deepcopy(update)

    def overlap(self, upstream: Any, ours: Any, at: list[Any]) -> Any:
        won: list[str] = []
        united = self.unite(upstream, ours, at, won)
        self._record(at, identical=upstream == ours, won=won)
        return united

    def _record(self, at: list[Any], *, identical: bool, won: list[str]) -> None:
        if self.notes is not None:
            self.notes.overlaps.append(
                Overlap(self.overlay.name, self.overlay.source, pointer(at), identical, won)
            )

    def unite(self, upstream: Any, ours: Any, at: list[Any], won: list[str]) -> Any:
        """The overlap rule (see the module docstring): returns the united node."""
        if upstream == ours:
            return upstream
        if isinstance(upstream, dict) and isinstance(ours, dict):
            if _shape(upstream) == _shape(ours):
                return self._unite_objects(upstream, ours, at, won)
            self._keep_upstream_in_ref(upstream, ours, at, won)
            won.append(pointer(at))
            return copy.deepcopy(ours)
        if isinstance(upstream, list) and isinstance(ours, list) and at and at[-1] in UNITED_LISTS:
            return _union(upstream, ours)
        if at and at[-1] == "type" and isinstance(upstream, (str, list)) and isinstance(ours, (str, list)):
            return _union(_as_list(upstream), _as_list(ours))
        won.append(pointer(at))
        return copy.deepcopy(ours)

    def _unite_objects(
        self, upstream: dict[str, Any], ours: dict[str, Any], at: list[Any], won: list[str]
    ) -> dict[str, Any]:
        result = copy.deepcopy(upstream)
        for key, value in ours.items():
            if key == "required" or key not in result:
                continue
            result[key] = self.unite(result[key], value, [*at, key], won)
        for key, value in ours.items():
            if key not in upstream:
                result[key] = copy.deepcopy(value)
        if isinstance(ours.get("required"), list) or isinstance(upstream.get("required"), list):
            ours_defines = set(ours.get("properties", {}) if isinstance(ours.get("properties"), dict) else ())
            kept = [name for name in upstream.get("required", []) if name not in ours_defines]
            result["required"] = _union(kept, list(ours.get("required", [])))
            if not result["required"]:
                del result["required"]
        return result

    def _keep_upstream_in_ref(
        self, upstream: dict[str, Any], ours: dict[str, Any], at: list[Any], won: list[str]
    ) -> None:
        """The overlay's ``$ref`` replaces upstream's definition: unite upstream's definition into
        the schema the ``$ref`` names first (the overlay's side wins there too)."""
        ref = ours.get("$ref")
        if not (isinstance(ref, str) and ref.startswith("#/")) or ref in self._following:
            return
        parts = [p.replace("~1", "/").replace("~0", "~") for p in ref[2:].split("/")]
        parent: Any = self.document
        for part in parts[:-1]:
            parent = parent.get(part) if isinstance(parent, dict) else None
        if not isinstance(parent, dict) or not isinstance(parent.get(parts[-1]), dict):
            return
        theirs = _resolve(self.document, upstream)
        self._following.add(ref)
        try:
            parent[parts[-1]] = self.unite(theirs, parent[parts[-1]], parts, won)
        finally:
            self._following.discard(ref)


def _shape(node: dict[str, Any]) -> tuple[str, ...]:
    for key in SHAPE_KEYS:
        if key in node:
            return (key, str(node[key])) if key == "$ref" else (key,)
    return ("schema",)


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> Any:
    seen: set[str] = set()
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
        if node["$ref"] in seen:
            break
        seen.add(node["$ref"])
        target: Any = document
        for part in node["$ref"][2:].split("/"):
            target = (
                target.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(target, dict) else None
            )
        if not isinstance(target, dict):
            break
        node = target
    return node


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _union(first: list[Any], second: list[Any]) -> list[Any]:
    result = copy.deepcopy(first)
    result.extend(copy.deepcopy(item) for item in second if item not in result)
    return result


def _locate(document: Any, parts: list[Any]) -> tuple[Any, Any]:
    parent = document
    for part in parts[:-1]:
        parent = parent[part]
    return parent, parts[-1]


def _parts_of_ref(ref: Any) -> tuple[Any, ...] | None:
    if not (isinstance(ref, str) and ref.startswith("#/")):
        return None
    return tuple(p.replace("~1", "/").replace("~0", "~") for p in ref[2:].split("/"))


def _at(document: Any, parts: tuple[Any, ...]) -> Any:
    node = document
    for part in parts:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _reach(document: Any, roots: list[list[Any]]) -> set[tuple[Any, ...]]:
    """The roots and every node a ``$ref`` inside them (or inside what they reach) names."""
    reached: set[tuple[Any, ...]] = set()
    pending = [tuple(parts) for parts in roots]
    while pending:
        parts = pending.pop()
        if parts in reached:
            continue
        reached.add(parts)
        stack = [_at(document, parts)]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                target = _parts_of_ref(node.get("$ref"))
                if target is not None and target not in reached:
                    pending.append(target)
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)
    return reached


def _narrow(
    document: Any, overlay: Overlay, index: int, action: dict[str, Any], paths: list[list[Any]]
) -> list[list[Any]]:
    """A rule's matches, narrowed by ``x-amp-within`` and ``x-amp-optional-only``."""
    if isinstance(action.get(WITHIN), str):
        try:
            roots = [_path_of(document, m) for m in _find(parse_jsonpath(action[WITHIN]), document)]
        except (JsonPathParserError, Exception) as exc:  # jsonpath-ng raises bare Exceptions too
            where = f"/actions/{index}/{WITHIN}"
            raise overlay.spec.error(f"invalid JSONPath {action[WITHIN]!r}: {exc}", where) from None
        scope = _reach(document, roots)
        paths = [p for p in paths if any(tuple(p[:n]) in scope for n in range(len(p) + 1))]
    if action.get(OPTIONAL_ONLY):
        paths = [p for p in paths if not _required(document, p)]
    return paths


def _required(document: Any, parts: list[Any]) -> bool:
    """Whether ``parts`` is ``.../properties/NAME`` of an object that requires NAME."""
    if len(parts) < 2 or parts[-2] != "properties":
        return False
    owner = _at(document, tuple(parts[:-2]))
    required = owner.get("required") if isinstance(owner, dict) else None
    return isinstance(required, list) and parts[-1] in required


def _apply_action(
    result: dict[str, Any], overlay: Overlay, index: int, action: dict[str, Any], notes: Notes | None
) -> tuple[dict[str, Any], bool]:
    """One action; returns the document and whether the target selected anything."""
    where = f"/actions/{index}/target"
    try:
        expression = parse_jsonpath(action["target"])
    except (JsonPathParserError, Exception) as exc:  # jsonpath-ng raises bare Exceptions too
        raise overlay.spec.error(f"invalid JSONPath {action['target']!r}: {exc}", where) from None
    matches = _find(expression, result)
    paths = [_path_of(result, m) for m in matches]
    if action.get(RULE):
        kept = _narrow(result, overlay, index, action, paths)
        matches = [m for m, p in zip(matches, paths, strict=True) if p in kept]
        paths = kept
    if not paths:
        if action.get(RULE):
            return result, False
        raise overlay.spec.error(f"target {action['target']!r} selects nothing in {overlay.extends}", where)
    for match, parts in zip(matches, paths, strict=True):
        if not _is_node(result, parts, match.value):
            raise overlay.spec.error(
                f"target {action['target']!r} selects {match.value!r}, which is not a node of"
                f" {overlay.extends} (a string's character, a scalar wrapped in a list, a `len`?)",
                where,
            )
    if action.get("remove"):
        # Delete deepest and highest-index first so earlier deletions don't shift later paths.
        unique = {tuple(p): p for p in paths}.values()
        for parts in sorted(unique, key=lambda p: (len(p), p[-1] if p else 0), reverse=True):
            if not parts:
                raise overlay.spec.error("cannot remove the document root", where)
            parent, key = _locate(result, parts)
            del parent[key]
        return result, True
    merge = _Merge(result, overlay, None if action.get(RULE) else notes)
    for parts in paths:
        if not parts:
            result = merge.update(result, action["update"], [])
            continue
        parent, key = _locate(result, parts)
        parent[key] = merge.update(parent[key], action["update"], parts)
    return result, True


def apply_overlay(document: dict[str, Any], overlay: Overlay, notes: Notes | None = None) -> dict[str, Any]:
    """Return a patched deep copy of ``document`` (this overlay's patches, then its rules)."""
    return apply_overlays_to(document, [overlay], notes)


def apply_overlays_to(
    document: dict[str, Any], overlays: list[Overlay], notes: Notes | None = None
) -> dict[str, Any]:
    """Every patch of every overlay in order, then every rule in order, on a deep copy."""
    result = copy.deepcopy(document)
    for rules in (False, True):
        for overlay in overlays:
            matched = []
            for index, action in enumerate(overlay.actions):
                if bool(action.get(RULE)) == rules:
                    result, selected = _apply_action(result, overlay, index, action, notes)
                    matched.append(selected)
            if rules and matched and not any(matched) and notes is not None:
                notes.stale_rules.append(overlay.name)
    return result


def apply_overlays(spec: Spec, overlays: list[Overlay], notes: Notes | None = None) -> dict[str, Any]:
    """Apply every overlay that extends ``spec``: their patches in order, then their rules."""
    mine = [overlay for overlay in overlays if overlay.extends == spec.path.name]
    return apply_overlays_to(spec.data, mine, notes)


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
