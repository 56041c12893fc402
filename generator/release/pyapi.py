"""The public Python API of two generated trees, compared by griffe: catches what a spec diff
cannot, such as a generator upgrade (or a schema title) renaming a class, module or parameter."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .changes import Change


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
