"""Everything one emulator knows: its spec, dialect, crew, credentials, runs, faults and counters."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from ._crew import Crew
from ._deliveries import Deliveries, Hooks
from ._dialect import Dialect
from ._faults import Faults
from ._runner import Run, execute
from ._spec import Spec
from ._stats import Counters
from ._webhook_sender import Auth, WebhookSender

__all__ = ["DEFAULT_MAX_BODY_BYTES", "EmulatorState", "RequestLog"]

# The largest request body the emulator reads (a kickoff's inputs are a few KB): more is a 413.
DEFAULT_MAX_BODY_BYTES = 1024 * 1024

# Called once per request from the server's thread: method, path (no query), status (0 when
# the connection was dropped), milliseconds. Never given headers, so never the token.
RequestLog = Callable[[str, str, int, float], None]


class EmulatorState:
    """Shared by the HTTP app and the crew runner. Everything that changes a run happens on
    the server's event loop; other threads only read (or set fault knobs)."""

    def __init__(
        self,
        *,
        spec: Spec,
        dialect: Dialect,
        crew: Crew,
        token: str,
        webhook_auth: Auth,
        scale: float,
        faults: Faults,
        seed: int | None,
        webhook_attempts: int,
        webhook_backoff: float,
        webhook_timeout: float,
        webhook_hosts: frozenset[str] | None,
        on_request: RequestLog | None = None,
        not_found_polls: int = 0,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        self.spec = spec
        self.not_found_polls = not_found_polls
        self.max_body_bytes = max_body_bytes
        self.dialect = dialect
        self.crew = crew
        self.token = token
        self.webhook_auth = webhook_auth
        self.scale = scale
        self.faults = faults
        self.rng = random.Random(seed)
        self.runs: dict[str, Run] = {}
        self.counters = Counters()
        self.webhook_attempts = webhook_attempts
        self.webhook_backoff = webhook_backoff
        self.webhook_timeout = webhook_timeout
        self.webhook_hosts = webhook_hosts
        self.on_request = on_request
        self.sender: WebhookSender | None = None
        self.deliveries: Deliveries | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def __repr__(self) -> str:  # never shows the token or the secret
        return f"EmulatorState(runs={len(self.runs)}, scale={self.scale}, dialect={self.dialect.name!r})"

    async def startup(self) -> None:
        self.sender = WebhookSender(
            counters=self.counters,
            attempts=self.webhook_attempts,
            # Backoff is crew time: at scale 0.01 a 1 s backoff takes 10 ms.
            backoff=self.webhook_backoff * self.scale,
            timeout=self.webhook_timeout,
            hosts=self.webhook_hosts,
        )
        self.deliveries = Deliveries(self.dialect, self.sender, self.webhook_auth)

    async def shutdown(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self.sender is not None:
            await self.sender.aclose()

    def start_run(self, inputs: Mapping[str, Any], *, meta: dict[str, Any] | None, hooks: Hooks) -> Run:
        # Ids are UUIDs, as real AMP issues them and as the spec declares (format: uuid), so
        # answers validate against the spec as written and against the overlaid view the SDK
        # is generated from (which only relaxes the format to an opaque string).
        kickoff_id = str(uuid.uuid4())
        run = Run(kickoff_id, self.crew, inputs, meta=meta, render_status=self.dialect.status_body)
        run.not_found_left = self.not_found_polls
        self.runs[kickoff_id] = run
        self.counters.add("kickoffs_started")
        deliveries = self.deliveries
        assert deliveries is not None, "runs start only while the server is up"
        deliveries.hooks[kickoff_id] = hooks
        task = asyncio.get_running_loop().create_task(
            execute(run, scale=self.scale, events=deliveries), name=f"amp-emulator-run-{kickoff_id}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return run

    def hooks_of(self, run: Run) -> Hooks | None:
        return None if self.deliveries is None else self.deliveries.hooks.get(run.kickoff_id)
