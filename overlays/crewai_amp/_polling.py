"""How `wait()` spaces its status checks.

Few requests and a quick reaction pull in opposite directions. The plan: check soon (0.5 s),
then back off exponentially with jitter up to a cap (10 s); once the crew reports progress
(completed_tasks of total_tasks) and a task finishes between two checks, aim the next check a
little before the finish that pace predicts, checking no more often than every ~5% of the run's
time so far. Tasks already done when wait() began carry no timing, so they are a baseline, not a pace.
Unknown statuses just keep it waiting.
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
# Aim at 70% of the predicted remaining time: a prediction from tasks of unequal length runs
# late as often as early, and a late check costs latency while an early one costs one request.
AIM = 0.7
OVERDUE_SHARE = 0.05


@dataclass
class PollPlan:
    started: float
    delay: float = FIRST_DELAY
    _last_poll: float | None = None
    # Progress seen at the first check, and when: the baseline a pace is measured from. Tasks
    # already done when wait() began (waiting on a run kicked off earlier) say nothing about
    # how long a task takes; only a change seen between two checks does.
    _base: tuple[int, float] | None = None
    _last_done: int = 0
    _done_at: float | None = None  # when completed_tasks last changed (midpoint estimate)

    def backoff(self) -> float:
        """The next delay of the plain backoff (with jitter), for answers that carry no status
        (NOT FOUND within its grace)."""
        backoff = self.delay
        self.delay = min(self.delay * GROWTH, MAX_DELAY)
        return random.uniform(backoff / 2, backoff)

    def next_delay(self, status: Status, now: float) -> float:
        elapsed = max(now - self.started, 0.0)
        backoff = self.delay
        self.delay = min(self.delay * GROWTH, MAX_DELAY)
        progress = _progress(status)
        previous = self._last_poll
        self._last_poll = elapsed
        if progress is None:
            return random.uniform(backoff / 2, backoff)
        done, total = progress
        if self._base is None or done < self._base[0]:
            # First sight (or the count went back, a task redone): nothing to measure yet. No
            # task done yet means the run has only just started: its pace counts from now-0.
            self._base = (done, 0.0 if done == 0 and previous is None else elapsed)
            self._last_done, self._done_at = done, None
        elif done != self._last_done:
            # The change happened somewhere since the previous check: take the midpoint, not
            # now, or every estimate runs late by half a polling interval per task.
            self._done_at = ((previous if previous is not None else elapsed) + elapsed) / 2
            self._last_done = done
        base_done, base_at = self._base
        if self._done_at is None or done <= base_done:
            return random.uniform(backoff / 2, backoff)
        per_task = (self._done_at - base_at) / (done - base_done)
        remaining = self._done_at + per_task * (total - done) - elapsed
        # Aim just before the predicted finish, but check no more often than every ~5% of the
        # run's time so far (estimated from the pace when wait() joined the run midway): detection
        # latency stays a small share of the run, and an early guess costs few requests.
        run_elapsed = elapsed - base_at + base_done * per_task
        target = max(AIM * remaining, OVERDUE_SHARE * run_elapsed)
        return min(max(target, OVERDUE_MIN), MAX_DELAY)


def _progress(status: Status) -> tuple[int, int] | None:
    if not isinstance(status, StatusRunning) or status.progress is None or isinstance(status.progress, Unset):
        return None
    done, total = status.progress.completed_tasks, status.progress.total_tasks
    if not isinstance(done, int) or not isinstance(total, int) or total <= 0 or not 0 <= done < total:
        return None
    return done, total
