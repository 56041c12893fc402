"""crewai_amp.testing: a local AMP crew for tests and demos (extra `emulator`).

    from crewai_amp.testing import AmpEmulator
    with AmpEmulator(scale=0.01) as amp:
        ...  # amp.base_url, amp.token, amp.webhook_secret

`Crew`, `Task`, `Step` and `default_crew` script what the emulator runs; `Faults` says what
goes wrong. The server parts (starlette, uvicorn) load on first use of `AmpEmulator`, so this
package and its pytest plugin cost nothing to import without the `emulator` extra.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._crew import Crew, Step, Task, default_crew
    from ._emulator import AmpEmulator
    from ._faults import FaultKind, Faults
    from ._stats import Stats

__all__ = ["AmpEmulator", "Crew", "FaultKind", "Faults", "Stats", "Step", "Task", "default_crew"]

_LAZY = {
    "AmpEmulator": "._emulator",
    "Crew": "._crew",
    "Step": "._crew",
    "Task": "._crew",
    "default_crew": "._crew",
    "FaultKind": "._faults",
    "Faults": "._faults",
    "Stats": "._stats",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'crewai_amp.testing' has no attribute {name!r}")
    try:
        value = getattr(importlib.import_module(module, __name__), name)
    except ModuleNotFoundError as exc:
        if exc.name in ("starlette", "uvicorn"):
            raise ModuleNotFoundError(
                f"crewai_amp.testing.{name} needs the emulator extra: "
                "pip install 'crewai-amp-client[emulator]'",
                name=exc.name,
            ) from exc
        raise
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
