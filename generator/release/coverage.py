"""Which REST operations the hand-written package has no method for.

Coverage is read from the code, not from a list kept by hand: an operation is covered when a
module of ``overlays/crewai_amp`` imports its generated module
(``crewai_amp_api.api.<tag>.<operation_id>``, the names openapi-python-client gives them).
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .common import HANDWRITTEN
from .openapi import operations, snake

API_PACKAGE = "crewai_amp_api.api"


@dataclass(frozen=True, order=True)
class Operation:
    method: str
    path: str
    operation_id: str
    module: str  # the generated module that performs it
    new: bool  # absent from the old side of the diff


def _module_of(op: Mapping[str, Any]) -> str:
    tag = (op.get("tags") or ["default"])[0]
    return f"{API_PACKAGE}.{snake(str(tag))}.{snake(str(op.get('operationId', '')))}"


def referenced_modules(package: Path = HANDWRITTEN) -> set[str]:
    """Every module name under ``crewai_amp_api.api`` the package's code imports, in any form."""
    found: set[str] = set()
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith(API_PACKAGE + ".")}


def uncovered(
    old: Mapping[str, Any] | None, new: Mapping[str, Any], package: Path = HANDWRITTEN
) -> list[Operation]:
    """The operations of ``new`` whose generated module the hand-written package never imports."""
    used = referenced_modules(package)
    before = operations(old) if old is not None else {}
    missing = [
        Operation(
            method,
            path,
            str(op.get("operationId", "?")),
            _module_of(op),
            new=old is not None and (method, path) not in before,
        )
        for (method, path), op in operations(new).items()
        if _module_of(op) not in used
    ]
    return sorted(missing, key=lambda o: (not o.new, o.path, o.method))


def describe(op: Operation) -> str:
    what = "new operation" if op.new else "operation"
    return (
        f"{what} `{op.operation_id}` ({op.method} {op.path}) has no method on AmpClient yet;"
        f" call {op.module} directly or add a convenience method to overlays/crewai_amp"
    )
