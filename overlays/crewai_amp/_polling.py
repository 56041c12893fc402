"""How `wait()` spaces its status checks.

Few requests and a quick reaction pull in opposite directions. The plan: check soon (0.5 s),
then back off exponentially with jitter up to a cap (10 s); once the crew reports progress
(completed_tasks of total_tasks), aim the next check at the predicted finish instead, and never
sleep longer than a tenth of the time elapsed so far once past the prediction. Unknown statuses
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


@dataclass
class PollPlan:
    started: float
    delay: float = FIRST_DELAY

    def next_delay(self, status: Status, now: float) -> float:
        elapsed = max(now - self.started, 0.0)
        backoff = self.delay
        self.delay = min(self.delay * GROWTH, MAX_DELAY)
        predicted = _predicted_remaining(status, elapsed)
        if predicted is not None:
            # Aim just past the predicted finish; if it is overdue, check at ~10% of elapsed.
            target = predicted + 0.05 if predicted > 0 else max(FIRST_DELAY / 2, 0.1 * elapsed)
            return min(max(target, 0.05), MAX_DELAY)
        return random.uniform(backoff / 2, backoff)


def _predicted_remaining(status: Status, elapsed: float) -> float | None:
    if not isinstance(status, StatusRunning) or isinstance(status.progress, Unset):
        return None
    done, total = status.progress.completed_tasks, status.progress.total_tasks
    if isinstance(done, Unset) or isinstance(total, Unset):
        return None
    if not isinstance(done, int) or not isinstance(total, int) or done <= 0 or total <= done or elapsed <= 0:
        return None
    return elapsed / done * total - elapsed
