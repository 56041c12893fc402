"""How `wait()` spaces its status checks.

Few requests and a quick reaction pull in opposite directions. The plan: check soon (0.5 s),
then back off exponentially with jitter up to a cap (10 s); once the crew reports progress
(completed_tasks of total_tasks), aim the next check at the predicted finish instead, and once
past the prediction check every ~5% of the time elapsed so far. Unknown statuses
just keep it waiting.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from crewai_amp_api.types import Unset

from ._status import Status, StatusRunning

FIRST_DELAY = 0.5
MAX_DELAY = 10.0
GROWTH = 2.0
OVERDUE_MIN = 0.05


@dataclass
class PollPlan:
    started: float
    delay: float = FIRST_DELAY
    _last_poll: float | None = None
    _last_done: int = 0
    _done_at: float | None = None  # when completed_tasks last changed (midpoint estimate)

    def next_delay(self, status: Status, now: float) -> float:
        elapsed = max(now - self.started, 0.0)
        backoff = self.delay
        self.delay = min(self.delay * GROWTH, MAX_DELAY)
        progress = _progress(status)
        previous = self._last_poll if self._last_poll is not None else self.started
        self._last_poll = now
        if progress is None:
            return random.uniform(backoff / 2, backoff)
        done, total = progress
        if done != self._last_done:
            # The change happened somewhere since the previous check: take the midpoint, not
            # now, or every estimate runs late by half a polling interval per task.
            self._done_at = (previous + now) / 2 - self.started
            self._last_done = done
        if self._done_at is None or done <= 0:
            return random.uniform(backoff / 2, backoff)
        remaining = self._done_at / done * total - elapsed
        # Aim at the predicted finish; once it is overdue, check every ~5% of the elapsed
        # time, so detection latency stays a small share of the run.
        target = remaining if remaining > 0 else 0.05 * elapsed
        return min(max(target, OVERDUE_MIN), MAX_DELAY)


def _progress(status: Status) -> tuple[int, int] | None:
    if not isinstance(status, StatusRunning) or isinstance(status.progress, Unset):
        return None
    done, total = status.progress.completed_tasks, status.progress.total_tasks
    if not isinstance(done, int) or not isinstance(total, int) or total <= 0 or not 0 <= done < total:
        return None
    return done, total
