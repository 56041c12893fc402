"""A user-visible change and how it is classified: :class:`Change`, the data directions, the one
added/removed/common split every walker uses, and the bump a set of changes implies.

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

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ..specs import resolve_pointer

READ = "read"
WRITE = "write"
BOTH = frozenset({READ, WRITE})
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


def ref_name(node: Any) -> str | None:
    if isinstance(node, dict) and isinstance(node.get("$ref"), str):
        return str(node["$ref"]).rsplit("/", 1)[-1]
    return None


def resolve(doc: Mapping[str, Any], node: Any) -> Any:
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


def refs_in(node: Any, section: str) -> set[str]:
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


def propagate(schemas: Mapping[str, Any], seeds: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    """Direction(s) of every schema reachable from the seeds, following refs between schemas."""
    directions: dict[str, set[str]] = {}
    stack = list(seeds)
    while stack:
        name, direction = stack.pop()
        if direction in directions.setdefault(name, set()):
            continue
        directions[name].add(direction)
        stack.extend((child, direction) for child in refs_in(schemas.get(name), "schemas"))
    return directions


def merge_directions(*maps: Mapping[str, set[str]]) -> dict[str, frozenset[str]]:
    merged: dict[str, set[str]] = {}
    for mapping in maps:
        for name, dirs in mapping.items():
            merged.setdefault(name, set()).update(dirs)
    return {name: frozenset(dirs) for name, dirs in merged.items()}


def implied_bump(changes: Iterable[Change]) -> str:
    """ "major", "minor", "patch", or "none" when nothing changed."""
    best = "none"
    for change in changes:
        if BUMPS.index(change.bump) > BUMPS.index(best):
            best = change.bump
    return best


K = TypeVar("K")


@dataclass(frozen=True)
class Split(Generic[K]):
    """Keys only the old side has, only the new side has, and both have (each in its side's order)."""

    removed: list[K]
    added: list[K]
    common: list[K]


def split(old: Iterable[K], new: Iterable[K]) -> Split[K]:
    """The one added/removed/common comparison. Membership is by equality, so keys need not be
    hashable (an enum may list objects)."""
    before: Sequence[K] = list(old)
    after: Sequence[K] = list(new)
    return Split(
        removed=[k for k in before if k not in after],
        added=[k for k in after if k not in before],
        common=[k for k in before if k in after],
    )


def section(doc: Mapping[str, Any], *keys: str) -> Mapping[str, Any]:
    """``doc[k1][k2]...``, or {} where a level is missing or null."""
    node: Any = doc
    for key in keys:
        node = (node or {}).get(key) if isinstance(node, Mapping) else None
    return node if isinstance(node, Mapping) else {}
