"""JSON of any depth: decode, copy and encode without recursion.

The stdlib's json recurses once per nesting level, so a valid body nested a few thousand deep
(a crew's ``last_step`` holding its own history, say) raises RecursionError. Each function
here tries the stdlib first (fast, and what every ordinary body takes) and only on
RecursionError walks the value with an explicit stack: depth then costs memory, never the
interpreter's stack. Strings are read and written by the stdlib's own scanner and encoder,
and numbers by its number pattern, so the results are those ``json.loads``/``json.dumps``
give (NaN and Infinity included), only deeper.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from json.decoder import JSONDecodeError
from json.encoder import encode_basestring, encode_basestring_ascii
from json.scanner import NUMBER_RE
from typing import Any

# The stdlib's string scanner (its C version when there is one): (text, index after the opening
# quote) -> (the string, index after the closing quote). typeshed leaves it out.
scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]

__all__ = ["copy", "dumps", "loads"]

_SPACE = re.compile(r"[ \t\n\r]*")
_CONSTANTS: dict[str, Any] = {
    "null": None,
    "true": True,
    "false": False,
    "NaN": float("nan"),
    "Infinity": float("inf"),
    "-Infinity": float("-inf"),
}


def loads(data: bytes | str) -> Any:
    """``json.loads(data)``, at any depth. Raises json.JSONDecodeError (a ValueError) for text
    that is not JSON, UnicodeDecodeError for bytes that are not text."""
    try:
        return json.loads(data)
    except RecursionError:
        pass
    text = data if isinstance(data, str) else data.decode(json.detect_encoding(data), "surrogatepass")
    return _decode(text)


def _decode(s: str) -> Any:
    stack: list[Any] = []  # the open arrays and objects, innermost last
    keys: list[str | None] = []  # beside each: the key its next value goes under (objects)
    pos = _SPACE.match(s, 0).end()  # type: ignore[union-attr]  # matches any text
    while True:
        value, pos, opened = _value(s, pos)
        if opened is not None:  # a non-empty array or object begins: read its first value
            stack.append(opened)
            if isinstance(opened, dict):
                key, pos = _key(s, pos)
                keys.append(key)
            else:
                keys.append(None)
            continue
        while True:  # put the value in its container; close every container that ends here
            if not stack:
                pos = _SPACE.match(s, pos).end()  # type: ignore[union-attr]
                if pos != len(s):
                    raise JSONDecodeError("Extra data", s, pos)
                return value
            container = stack[-1]
            if isinstance(container, dict):
                container[keys[-1]] = value
            else:
                container.append(value)
            pos = _SPACE.match(s, pos).end()  # type: ignore[union-attr]
            if s.startswith(",", pos):
                pos = _SPACE.match(s, pos + 1).end()  # type: ignore[union-attr]
                if isinstance(container, dict):
                    keys[-1], pos = _key(s, pos)
                break
            if s.startswith("}" if isinstance(container, dict) else "]", pos):
                value, pos = stack.pop(), pos + 1
                keys.pop()
                continue
            expected = "',' delimiter" if isinstance(container, list) else "',' delimiter or '}'"
            raise JSONDecodeError(f"Expecting {expected}", s, pos)


def _value(s: str, pos: int) -> tuple[Any, int, list[Any] | dict[str, Any] | None]:
    """The scalar or empty container at ``pos`` and where it ends; or, for a container with
    members, the new container and where its first member starts."""
    char = s[pos : pos + 1]
    if char == '"':
        text, end = scanstring(s, pos + 1)
        return text, end, None
    if char in ("[", "{"):
        inner = _SPACE.match(s, pos + 1).end()  # type: ignore[union-attr]
        closer = "]" if char == "[" else "}"
        if s.startswith(closer, inner):
            return ([] if char == "[" else {}), inner + 1, None
        return None, inner, ([] if char == "[" else {})
    for word, constant in _CONSTANTS.items():
        if s.startswith(word, pos):
            return constant, pos + len(word), None
    number = NUMBER_RE.match(s, pos)
    if number is not None:
        integer, fraction, exponent = number.groups()
        if fraction or exponent:
            return float(integer + (fraction or "") + (exponent or "")), number.end(), None
        return int(integer), number.end(), None
    raise JSONDecodeError("Expecting value", s, pos)


def _key(s: str, pos: int) -> tuple[str, int]:
    if not s.startswith('"', pos):
        raise JSONDecodeError("Expecting property name enclosed in double quotes", s, pos)
    key, pos = scanstring(s, pos + 1)
    pos = _SPACE.match(s, pos).end()  # type: ignore[union-attr]
    if not s.startswith(":", pos):
        raise JSONDecodeError("Expecting ':' delimiter", s, pos)
    return key, _SPACE.match(s, pos + 1).end()  # type: ignore[union-attr]


def copy(value: Any) -> Any:
    """A deep copy of parsed JSON (dicts, lists and scalars) at any depth; several times
    quicker than copy.deepcopy, which handles every kind of object."""
    try:
        return _copied(value)
    except RecursionError:
        pass
    if not isinstance(value, (dict, list)):
        return value
    root: Any = {} if isinstance(value, dict) else []
    pending: list[tuple[Any, Any]] = [(value, root)]
    while pending:
        source, target = pending.pop()
        items = source.items() if isinstance(source, dict) else enumerate(source)
        for key, item in items:
            if isinstance(item, (dict, list)):
                item_copy: Any = {} if isinstance(item, dict) else []
                pending.append((item, item_copy))
            else:
                item_copy = item
            if isinstance(target, dict):
                target[key] = item_copy
            else:
                target.append(item_copy)
    return root


def _copied(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copied(item) for item in value]
    return value


def dumps(value: Any, *, ensure_ascii: bool = True) -> str:
    """``json.dumps(value, ensure_ascii=...)`` (default separators) for parsed JSON at any depth."""
    try:
        return json.dumps(value, ensure_ascii=ensure_ascii)
    except RecursionError:
        pass
    encode = encode_basestring_ascii if ensure_ascii else encode_basestring
    parts: list[str] = []
    # Each entry: a value still to write, or a closing bracket/separator to write as is.
    todo: list[Any] = [_Raw(""), value]
    while todo:
        item = todo.pop()
        if isinstance(item, _Raw):
            parts.append(item)
        elif isinstance(item, dict):
            if not item:
                parts.append("{}")
                continue
            todo.append(_Raw("}"))
            members = list(item.items())
            for index in range(len(members) - 1, -1, -1):
                key, member = members[index]
                todo.append(member)
                todo.append(_Raw(("{" if index == 0 else ", ") + encode(_key_text(key)) + ": "))
        elif isinstance(item, (list, tuple)):
            if not item:
                parts.append("[]")
                continue
            todo.append(_Raw("]"))
            for index in range(len(item) - 1, -1, -1):
                todo.append(item[index])
                todo.append(_Raw("[" if index == 0 else ", "))
        else:
            parts.append(json.dumps(item, ensure_ascii=ensure_ascii))
    return "".join(parts)


class _Raw(str):
    """Text that goes into the output as it is."""

    __slots__ = ()


def _key_text(key: Any) -> str:
    """An object key as json.dumps writes it (a str; numbers, booleans and null as JSON text)."""
    if isinstance(key, str):
        return key
    return json.dumps(key)
