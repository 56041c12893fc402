"""The value types of `crewai-amp`'s arguments, the inputs files and the command line's text:
each turns a string into a value or raises argparse's ArgumentTypeError (a `UsageError` for
the files), never printing and never talking to AMP."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from ._errors import UsageError

__all__ = [
    "basic_credentials",
    "check_argv",
    "count",
    "encodable",
    "finite",
    "key_value",
    "kickoff_id",
    "load_inputs_file",
    "no_constant",
    "port",
    "positive_int",
    "positive_seconds",
    "read_stdin",
    "scale",
    "unencodable_at",
]

_N = TypeVar("_N", int, float)


def key_value(text: str) -> tuple[str, str]:
    """`key=value` (the value may be empty and may contain '=')."""
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected key=value, got {text!r}")
    return key, value


def _number(
    text: str, convert: Callable[[str], _N], parsed_as: str, within: Callable[[_N], bool], bounded_as: str
) -> _N:
    """``text`` converted, or an ArgumentTypeError saying what was expected."""
    try:
        value = convert(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {parsed_as}, got {text!r}") from None
    if not within(value):
        raise argparse.ArgumentTypeError(f"expected {bounded_as}, got {text!r}")
    return value


def positive_seconds(text: str) -> float:
    return _number(
        text,
        float,
        "a number of seconds",
        lambda v: v > 0 and v != math.inf,
        "a positive number of seconds",
    )


def kickoff_id(text: str) -> str:
    # An empty id would reach the client's ValueError and be reported as a crewai-amp bug (exit 70).
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a kickoff id, got an empty string")
    return text


def positive_int(text: str) -> int:
    return _number(text, int, "a positive whole number", lambda v: v >= 1, "a positive whole number")


def scale(text: str) -> float:
    return _number(text, float, "a number", lambda v: v >= 0 and v != math.inf, "a number >= 0")


def count(text: str) -> int:
    return _number(text, int, "a whole number", lambda v: v >= 0, "a number >= 0")


def port(text: str) -> int:
    return _number(text, int, "a port number", lambda v: 0 <= v <= 65535, "a port from 0 to 65535")


def no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # e.g. 1e999: becomes inf, which no JSON body can carry
        raise ValueError(f"{text} is out of range for a JSON number")
    return value


def encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: undecodable bytes, or a JSON "\udc80"
        return False
    return True


def unencodable_at(value: Any, path: str) -> str | None:
    """Where in `value` (a JSON value) a string holds a lone surrogate, or None."""
    if isinstance(value, str):
        return None if encodable(value) else path
    if isinstance(value, dict):
        for key, item in value.items():
            if not encodable(key):
                return f"{path}, in a key" if path else "a key"
            found = unencodable_at(item, f"{path}.{key}" if path else key)
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = unencodable_at(item, f"{path}[{index}]")
            if found:
                return found
    return None


def read_stdin() -> str:
    """stdin decoded strictly as UTF-8 (the text layer may be lenient: surrogateescape)."""
    raw = getattr(sys.stdin, "buffer", None)
    return raw.read().decode("utf-8") if raw is not None else sys.stdin.read()


def load_inputs_file(path: str) -> dict[str, Any]:
    """The JSON object in `path` (`-` reads stdin). Any problem is a UsageError."""
    where = "stdin" if path == "-" else path
    try:
        text = read_stdin() if path == "-" else Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"inputs file {where} is not UTF-8 text: byte {exc.object[exc.start]:#04x} at offset "
            f"{exc.start} cannot be decoded",
            hint="save it as UTF-8",
        ) from None
    except (OSError, ValueError) as exc:  # ValueError: stdin is closed
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UsageError(f"cannot read inputs file {where}: {reason}") from None
    try:
        data = json.loads(text, parse_constant=no_constant, parse_float=finite)
    except ValueError as exc:  # JSONDecodeError, or NaN/Infinity (no JSON number can hold them)
        raise UsageError(f"inputs file {where} is not valid JSON: {exc}") from None
    except RecursionError:
        raise UsageError(f"inputs file {where} is nested too deeply") from None
    if not isinstance(data, dict):
        raise UsageError(f"inputs file {where} must hold a JSON object, not {type(data).__name__}")
    try:
        bad = unencodable_at(data, "")
    except RecursionError:
        raise UsageError(f"inputs file {where} is nested too deeply") from None
    if bad is not None:  # e.g. "\udc80": valid JSON, but no UTF-8 request body can carry it
        raise UsageError(
            f"inputs file {where} holds a lone surrogate (not valid Unicode text) at {bad}",
            hint="give inputs as UTF-8 text",
        )
    return data


# --- the parser -------------------------------------------------------------------------------


def basic_credentials(value: str) -> tuple[str, str]:
    user, colon, password = value.partition(":")
    if not colon or not user or not password:
        raise argparse.ArgumentTypeError("expected USER:PASSWORD, both non-empty")
    return user, password


def check_argv(argv: Sequence[str]) -> None:
    """UsageError for an argument that is not text: bytes the locale cannot decode reach Python
    as lone surrogates, which no request can carry. The value is never shown (it may be a token)."""
    for index, argument in enumerate(argv):
        if encodable(argument):
            continue
        option = argument.partition("=")[0] if argument.startswith("--") else None
        previous = argv[index - 1] if index else ""
        if option and encodable(option):
            where = f"the value of {option}"
        elif previous.startswith("--") and encodable(previous):
            where = f"the value of {previous}"
        else:
            where = f"argument {index + 1}"
        hint = "pass UTF-8 text"
        if "--input" in where:
            hint += ", or the inputs as a UTF-8 JSON file with --inputs-file"
        raise UsageError(f"{where} is not valid text: it holds bytes that are not UTF-8", hint=hint)
