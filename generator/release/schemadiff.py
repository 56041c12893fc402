"""The JSON-Schema differ: two schemas (or two sets of named models) of one kind of document in,
:class:`~.changes.Change` objects out, each classified by the direction its data flows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..specs import json_type
from .changes import BOTH, READ, WRITE, Change, ref_name, split

# Formats whose presence changes the Python type the generators emit (UUID, datetime, date, File).
PY_TYPE_FORMATS = frozenset({"uuid", "date-time", "date", "binary"})
LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")


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
        return frozenset(json_type(v) for v in schema["enum"])
    if "const" in schema:
        return frozenset({json_type(schema["const"])})
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


def dirs_note(dirs: frozenset[str]) -> str:
    if dirs == BOTH:
        return "sent and read"
    return "read by the client" if READ in dirs else "sent by the client"


class SchemaDiffer:
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
        old_ref, new_ref = ref_name(old), ref_name(new)
        if old_ref or new_ref:
            # A named model is compared once, on its own; here only the reference matters.
            widened = self._widened(old_ref, new)
            if widened:
                self.emit(
                    "variant-added",
                    loc,
                    f"now {' | '.join(widened)}: alternatives to {old_ref} added (forward compatible: "
                    "the SDK surfaces a shape it does not know)",
                    breaking=False,
                    additive=True,
                )
            elif old_ref != new_ref:
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
        self.docs(old, new, loc)

    @staticmethod
    def _widened(old_ref: str | None, new: Mapping[str, Any]) -> list[str]:
        """The branch names when ``new`` is a oneOf/anyOf that keeps ``old_ref`` as one of its
        branches (a reference became one of several alternatives), else []."""
        if not old_ref:
            return []
        for key in ("oneOf", "anyOf"):
            branches = new.get(key)
            if isinstance(branches, list):
                names = [
                    ref_name(b) or _fmt_types(_types(b)) if isinstance(b, dict) else "?" for b in branches
                ]
                if old_ref in names:
                    return names
        return []

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
            f"type {_fmt_types(before)} → {_fmt_types(after)} ({relation}; {dirs_note(dirs)})",
            breaking=breaking,
            additive=relation == "widened" and WRITE in dirs,
        )

    def _enum(self, old: Mapping[str, Any], new: Mapping[str, Any], loc: str, dirs: frozenset[str]) -> None:
        before, after = _enum_of(old), _enum_of(new)
        if before is not None and after is not None:
            values = split(before, after)
            for value in values.removed:
                self.emit("enum-value-removed", loc, f"enum value {value!r} removed", breaking=True)
            note = (
                " (the SDK keeps values it does not know; no crash)"
                if READ in dirs
                else " (the client may now send it)"
            )
            for value in values.added:
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
                f"no longer restricted to {before!r} ({dirs_note(dirs)})",
                breaking=READ in dirs,
                additive=WRITE in dirs,
            )
        elif after is not None:
            self.emit(
                "enum-added", loc, f"now restricted to {after!r} ({dirs_note(dirs)})", breaking=WRITE in dirs
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
                f"{key} {before!r} → {after!r} ({'tightened' if tightened else 'relaxed'}; {dirs_note(dirs)})",
                breaking=tightened and WRITE in dirs,
            )

    def _properties(
        self, old: Mapping[str, Any], new: Mapping[str, Any], loc: str, dirs: frozenset[str]
    ) -> None:
        before = old.get("properties") or {}
        after = new.get("properties") or {}
        req_before = set(old.get("required") or [])
        req_after = set(new.get("required") or [])
        fields = split(before, after)
        for name in fields.removed:
            self.emit("field-removed", f"{loc}.{name}", f"field `{name}` removed", breaking=True)
        for name in fields.added:
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
        for name in fields.common:
            was, now = name in req_before, name in req_after
            if was and not now:
                self.emit(
                    "required-changed",
                    f"{loc}.{name}",
                    f"field `{name}` is now optional ({dirs_note(dirs)})",
                    breaking=READ in dirs,
                    additive=WRITE in dirs,
                )
            elif now and not was:
                self.emit(
                    "required-changed",
                    f"{loc}.{name}",
                    f"field `{name}` is now required ({dirs_note(dirs)})",
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
                    f"extra keys no longer allowed ({dirs_note(dirs)})",
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
                    ref_name(item) or (item.get("title") if isinstance(item, dict) else None) or f"#{index}"
                )
                out[str(name)] = item
            return out

        before, after = keyed(old), keyed(new)
        variants = split(before, after)
        for name in variants.removed:
            self.emit("variant-removed", loc, f"{key} variant {name} removed", breaking=True)
        for name in variants.added:
            if key == "allOf":
                self.emit(
                    "variant-added",
                    loc,
                    f"allOf member {name} added ({dirs_note(dirs)})",
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
        for name in variants.common:
            self.schema(before[name], after[name], f"{loc}<{name}>", dirs)

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
        values = split(map_before, map_after)
        for value in values.removed:
            self.emit(
                "discriminator-value-removed", loc, f"discriminator value {value!r} removed", breaking=True
            )
        for value in values.added:
            self.emit(
                "discriminator-value-added",
                loc,
                f"discriminator value {value!r} added (→ {str(map_after[value]).rsplit('/', 1)[-1]})",
                breaking=False,
                additive=True,
            )
        for value in values.common:
            if map_after[value] != map_before[value]:
                self.emit(
                    "discriminator-changed",
                    loc,
                    f"discriminator value {value!r} now maps to {str(map_after[value]).rsplit('/', 1)[-1]}",
                    breaking=True,
                )

    def docs(self, old: Mapping[str, Any], new: Mapping[str, Any], loc: str) -> None:
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
        models = split(old, new)
        for name in models.removed:
            self.emit("model-removed", f"model {name}", f"model `{name}` removed", breaking=True)
        for name in models.added:
            self.emit(
                "model-added",
                f"model {name}",
                f"model `{name}` added ({dirs_note(directions.get(name, BOTH))})",
                breaking=False,
                additive=True,
            )
        for name in models.common:
            self.schema(old[name], new[name], f"model {name}", directions.get(name, BOTH))
