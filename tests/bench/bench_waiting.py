"""Benchmark 4: waiting for a crew.

Crews of 1 s, 5 s and 30 s on the emulator, run at real pace and side by side: several watched
by `wait()` (its checks are jittered, so one run is one draw), as many by a fixed 1 s poll loop,
as many announcing their end to a crew webhook. All run at once, so the repeats cost no wall time. A watcher
thread reads the emulator's own state every 2 ms to learn when each run really completed.
Reported: status requests, and detection latency (completion seen - completion happened), as
medians over the repeats with the min–max. Completion is known to within the watcher's 2 ms
period, so a webhook can seem to arrive a hair before the run completed.
"""

from __future__ import annotations

import threading
import time
from typing import Any

INPUTS = {"topic": "AI", "target_audience": "devs", "depth": "short"}


class Counter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, request: Any) -> None:
        self.count += 1


def rows(quick: bool, Row: Any, interleaved: Any, summary: Any) -> list[Any]:
    import statistics

    import httpx
    from crewai_amp import AmpClient
    from crewai_amp.testing import AmpEmulator, default_crew
    from crewai_amp.testing._server import BackgroundServer
    from crewai_amp.webhooks import asgi_app

    durations = [1.0, 5.0] if quick else [1.0, 5.0, 30.0]
    repeats = 3 if quick else 9
    base = default_crew()
    arrived: dict[str, float] = {}

    def on_crew(event: Any) -> None:
        arrived[event.kickoff_id] = time.monotonic()

    results: dict[tuple[float, str, int], dict[str, Any]] = {}
    with AmpEmulator(scale=1.0) as amp:
        receiver = BackgroundServer(asgi_app(secret=amp.webhook_secret, on_crew=on_crew))
        receiver.start()
        hook = f"http://127.0.0.1:{receiver.port}/crew"
        completed_at: dict[str, float] = {}
        watching: set[str] = set()
        stop = threading.Event()

        def watch() -> None:
            while not stop.is_set():
                for kid in list(watching):
                    if kid not in completed_at and amp.status_of(kid) in ("completed", "error"):
                        completed_at[kid] = time.monotonic()
                time.sleep(0.002)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()

        def client(counter: Counter) -> AmpClient:
            http = httpx.Client(event_hooks={"request": [counter]})
            return AmpClient(base_url=amp.base_url, token=amp.token, http_client=http)

        def adaptive(duration: float, rep: int, sdk: AmpClient, counter: Counter, kid: str) -> None:
            sdk.wait(kid, timeout=duration * 4 + 10)
            results[(duration, "wait()", rep)] = {
                "requests": counter.count,
                "seen": time.monotonic(),
                "kid": kid,
            }

        def fixed(duration: float, rep: int, sdk: AmpClient, counter: Counter, kid: str) -> None:
            while True:
                time.sleep(1.0)
                if sdk.status(kid).status in ("completed", "error"):
                    break
            results[(duration, "fixed 1 s", rep)] = {
                "requests": counter.count,
                "seen": time.monotonic(),
                "kid": kid,
            }

        def webhook(duration: float, rep: int, sdk: AmpClient, counter: Counter, kid: str) -> None:
            deadline = time.monotonic() + duration * 4 + 10
            while kid not in arrived and time.monotonic() < deadline:
                time.sleep(0.005)
            results[(duration, "crew webhook", rep)] = {
                "requests": 0,
                "seen": arrived.get(kid, float("nan")),
                "kid": kid,
            }

        threads = []
        clients = []
        for duration in durations:
            # Kickoffs read the emulator's crew script: set it to this duration (real pace).
            amp._state.crew = base.scaled(duration / base.duration)  # type: ignore[attr-defined]
            plan = [(adaptive, rep) for rep in range(repeats)] + [(fixed, rep) for rep in range(repeats)]
            plan += [(webhook, rep) for rep in range(repeats)]
            for target, rep in plan:
                counter = Counter()
                sdk = client(counter)
                clients.append(sdk)
                hook_url = hook if target is webhook else None
                kid = sdk.kickoff(INPUTS, crew_webhook_url=hook_url).kickoff_id
                watching.add(kid)
                counter.count = 0  # count status requests only
                thread = threading.Thread(target=target, args=(duration, rep, sdk, counter, kid))
                thread.start()
                threads.append(thread)
        for thread in threads:
            thread.join()
        stop.set()
        watcher.join()
        receiver.stop()
        for sdk in clients:
            sdk.close()

    def latency(duration: float, kind: str, rep: int) -> float:
        result = results[(duration, kind, rep)]
        return float(result["seen"]) - completed_at[str(result["kid"])]

    out = []
    total = {"wait()": 0.0, "fixed 1 s": 0.0}
    for duration in durations:
        waited = [results[(duration, "wait()", rep)]["requests"] for rep in range(repeats)]
        polled = [results[(duration, "fixed 1 s", rep)]["requests"] for rep in range(repeats)]
        waited_latency = [latency(duration, "wait()", rep) for rep in range(repeats)]
        polled_latency = statistics.median(latency(duration, "fixed 1 s", rep) for rep in range(repeats))
        hook_latencies = [latency(duration, "crew webhook", rep) for rep in range(repeats)]
        hook_latency = statistics.median(hook_latencies)
        requests, polled_requests = statistics.median(waited), statistics.median(polled)
        total["wait()"] += requests
        total["fixed 1 s"] += polled_requests
        ratio = requests / polled_requests
        lat = statistics.median(waited_latency)
        out.append(
            Row(
                f"waiting, {duration:g} s crew",
                f"status requests, wait() / fixed 1 s loop (median of {repeats})",
                ratio,
                "×",
                "≤ 0.33×",
                ratio <= 1 / 3,
                f"{requests:g} ({min(waited)}–{max(waited)}) vs {polled_requests:g} requests",
            )
        )
        out.append(
            Row(
                f"waiting, {duration:g} s crew",
                f"detection latency of wait(), share of the run (median of {repeats})",
                lat / duration,
                "of run",
                "≤ 10 %",
                lat <= 0.1 * duration,
                f"{lat * 1000:.0f} ms ({min(waited_latency) * 1000:.0f}–{max(waited_latency) * 1000:.0f}; "
                f"fixed loop: {polled_latency * 1000:.0f} ms)",
            )
        )
        out.append(
            Row(
                f"waiting, {duration:g} s crew",
                f"crew webhook latency, delivery - completion (median of {repeats})",
                hook_latency * 1000,
                "ms",
                "< 50 ms",
                hook_latency < 0.050,
                f"{min(hook_latencies) * 1000:.1f}–{max(hook_latencies) * 1000:.1f} ms",
            )
        )
    ratio = total["wait()"] / total["fixed 1 s"]
    out.append(
        Row(
            "waiting, all crews",
            "status requests, wait() / fixed 1 s loop (sum of medians)",
            ratio,
            "×",
            "≤ 0.33×",
            ratio <= 1 / 3,
            f"{total['wait()']:g} vs {total['fixed 1 s']:g} requests",
        )
    )
    return out
