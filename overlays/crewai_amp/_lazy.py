"""Lazy attributes for a package's ``__init__`` (PEP 562): a name is imported from its submodule
on first access, so importing the package costs only what it uses.

    __getattr__, __dir__ = lazy(__name__, globals(), {"AmpClient": "._client"}, __all__)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["lazy"]


def lazy(
    package: str,
    namespace: dict[str, Any],
    table: Mapping[str, str],
    public: Iterable[str],
    *,
    missing_extra: Callable[[str, ModuleNotFoundError], Exception | None] | None = None,
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``: ``table`` maps a name to the relative
    module defining it; ``public`` is what ``dir()`` lists. ``missing_extra`` may turn the
    ModuleNotFoundError of an optional dependency into a clearer error."""
    names = sorted(public)

    def __getattr__(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        try:
            value = getattr(importlib.import_module(module, package), name)
        except ModuleNotFoundError as exc:
            better = missing_extra(name, exc) if missing_extra is not None else None
            if better is not None:
                raise better from exc
            raise
        namespace[name] = value  # the next access is a plain global
        return value

    def __dir__() -> list[str]:
        return list(names)

    return __getattr__, __dir__
