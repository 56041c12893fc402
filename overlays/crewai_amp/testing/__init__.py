"""crewai_amp.testing: a local AMP crew for tests and demos (extra `emulator`).

```python
from crewai_amp.testing import AmpEmulator

with AmpEmulator(scale=0.01) as amp:
    print(amp.base_url, amp.token, amp.webhook_secret)
```

`Crew`, `Task`, `Step` and `default_crew` script what the emulator runs; `Faults` says what
goes wrong. The server parts (starlette, uvicorn) load on first use of `AmpEmulator`, so this
package and its pytest plugin cost nothing to import without the `emulator` extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy

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


def _missing_extra(name: str, exc: ModuleNotFoundError) -> Exception | None:
    if exc.name not in ("starlette", "uvicorn"):
        return None
    return ModuleNotFoundError(
        f"crewai_amp.testing.{name} needs the emulator extra: pip install 'crewai-amp-client[emulator]'",
        name=exc.name,
    )


__getattr__, __dir__ = lazy(__name__, globals(), _LAZY, __all__, missing_extra=_missing_extra)
