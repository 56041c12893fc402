"""`crewai_amp._deepjson`: the same values and text as the stdlib's json, at any depth."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from crewai_amp import _deepjson
from hypothesis import given, settings
from hypothesis import strategies as st

SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30,
)


def nest(value: Any, depth: int) -> Any:
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


def deep_equal(left: Any, right: Any) -> bool:
    pending = [(left, right)]
    while pending:
        a, b = pending.pop()
        if isinstance(a, dict) and isinstance(b, dict):
            if list(a) != list(b):
                return False
            pending.extend((a[key], b[key]) for key in a)
        elif isinstance(a, list) and isinstance(b, list):
            if len(a) != len(b):
                return False
            pending.extend(zip(a, b, strict=True))
        elif a != b and not (
            isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)
        ):
            return False
    return True


@settings(max_examples=200, deadline=None)
@given(VALUES, st.integers(min_value=0, max_value=3000), st.booleans())
def test_it_agrees_with_the_stdlib(value: Any, depth: int, ascii_only: bool) -> None:
    deep = nest(value, depth)
    text = _deepjson.dumps(deep, ensure_ascii=ascii_only)
    assert deep_equal(_deepjson.loads(text), deep)
    assert deep_equal(_deepjson.copy(deep), deep)
    if depth < 200:  # where the stdlib can follow
        assert text == json.dumps(deep, ensure_ascii=ascii_only)
        assert deep_equal(_deepjson.loads(text.encode("utf-16")), json.loads(text))


@pytest.mark.parametrize(
    "text", ['{"a": 1,}', "[1 2]", '{"a" 1}', "[", '{"a": nul}', "[1] x", "[1,]", "{1: 2}"]
)
@pytest.mark.parametrize("depth", [0, 3000])
def test_it_refuses_what_the_stdlib_refuses(text: str, depth: int) -> None:
    with pytest.raises(json.JSONDecodeError):
        _deepjson.loads("[" * depth + text + "]" * depth)


def test_constants_are_read_as_the_stdlib_reads_them() -> None:
    text = "[" * 2000 + "[NaN, Infinity, -Infinity, 1e3, -0.5, 10]" + "]" * 2000
    inner = _deepjson.loads(text)
    for _ in range(2000):
        inner = inner[0]
    assert math.isnan(inner[0]) and inner[1:] == [math.inf, -math.inf, 1000.0, -0.5, 10]
