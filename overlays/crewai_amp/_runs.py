"""What a client remembers of the runs it kicked off: when (NOT FOUND grace counts from the
kickoff) and the webhook URLs it gave (``resume()`` sends them again, since AMP does not carry
them over: CrewAI's HITL guide, "Webhook URLs Must Be Provided Again").

Memory is bounded: the last ``MAX_RUNS`` runs kicked off or resumed by this client. An older
run is forgotten: its grace then counts from the start of ``wait()``, and ``resume()`` sends
only the URLs passed to it. Shared by the threads of a sync client and the tasks of an async
one (a lock, never held across I/O).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MAX_RUNS", "RunMemory"]

MAX_RUNS = 10_000
# The kickoff options resume() sends again (the ones POST /resume documents).
RESENT = ("task_webhook_url", "step_webhook_url", "crew_webhook_url")


@dataclass(frozen=True, slots=True)
class _Run:
    kicked_at: float
    webhook_urls: Mapping[str, str | None] = field(default_factory=dict)


class RunMemory:
    def __init__(self, limit: int = MAX_RUNS) -> None:
        self._limit = limit
        self._runs: OrderedDict[str, _Run] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._runs)

    def kicked(self, kickoff_id: str, at: float, options: Mapping[str, Any]) -> None:
        """A run this client started, with the webhook URLs among its options."""
        urls = {name: options[name] for name in RESENT if options.get(name) is not None}
        self._put(kickoff_id, _Run(at, urls))

    def kicked_at(self, kickoff_id: str) -> float | None:
        run = self._runs.get(kickoff_id)
        return None if run is None else run.kicked_at

    def resume_urls(self, kickoff_id: str, given: Mapping[str, Any]) -> dict[str, Any]:
        """The webhook URLs a resume of this run sends: those of its kickoff (or last resume),
        each replaced by one passed explicitly (None: send none for it)."""
        run = self._runs.get(kickoff_id) if isinstance(kickoff_id, str) else None
        remembered = dict(run.webhook_urls) if run is not None else {}
        return {**remembered, **given}

    def resumed(self, kickoff_id: str, urls: Mapping[str, Any], at: float, new_id: str | None) -> None:
        """A resume went through: later resumes of this run send these URLs; a run the resume
        started (a live deployment answers with a new kickoff id) gets them too."""
        kept = {name: url for name, url in urls.items() if url is not None}
        run = self._runs.get(kickoff_id)
        self._put(kickoff_id, _Run(run.kicked_at if run is not None else at, kept))
        if new_id:
            self._put(new_id, _Run(at, kept))

    def _put(self, kickoff_id: str, run: _Run) -> None:
        with self._lock:
            self._runs[kickoff_id] = run
            self._runs.move_to_end(kickoff_id)
            while len(self._runs) > self._limit:
                self._runs.popitem(last=False)
