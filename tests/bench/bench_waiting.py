"""Benchmark 4: waiting for a crew.

Crews of 1 s, 5 s and 30 s on the emulator, run at real pace and side by side: one watched by
`wait()`, one by a fixed 1 s poll loop, one announcing its end to a crew webhook. A watcher
thread reads the emulator's own state every 2 ms to learn when each run really completed.
Reported: status requests, and detection latency (completion seen - completion happened).
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
    import httpx
    from crewai_amp import AmpClient
    from crewai_amp.testing import AmpEmulator, default_crew
    from crewai_amp.testing._server import BackgroundServer
    from crewai_amp.webhooks import asgi_app

    durations = [1.0, 5.0] if quick else [1.0, 5.0, 30.0]
    base = default_crew()
    arrived: dict[str, float] = {}

    def on_crew(event: Any) -> None:
        arrived[event.kickoff_id] = time.monotonic()

    results: dict[tuple[float, str], dict[str, Any]] = {}
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

        def adaptive(duration: float, sdk: AmpClient, counter: Counter, kid: str) -> None:
            sdk.wait(kid, timeout=duration * 4 + 10)
            results[(duration, "wait()")] = {"requests": counter.count, "seen": time.monotonic(), "kid": kid}

        def fixed(duration: float, sdk: AmpClient, counter: Counter, kid: str) -> None:
            while True:
                time.sleep(1.0)
                if sdk.status(kid).status in ("completed", "error"):
                    break
            results[(duration, "fixed 1 s")] = {
                "requests": counter.count,
                "seen": time.monotonic(),
                "kid": kid,
            }

        def webhook(duration: float, sdk: AmpClient, counter: Counter, kid: str) -> None:
            deadline = time.monotonic() + duration * 4 + 10
            while kid not in arrived and time.monotonic() < deadline:
                time.sleep(0.005)
            results[(duration, "crew webhook")] = {
                "requests": 0,
                "seen": arrived.get(kid, float("nan")),
                "kid": kid,
            }

        threads = []
        clients = []
        for duration in durations:
            # Kickoffs read the emulator's crew script: set it to this duration (real pace).
            amp._state.crew = base.scaled(duration / base.duration)  # type: ignore[attr-defined]
            for target in (adaptive, fixed, webhook):
                counter = Counter()
                sdk = client(counter)
                clients.append(sdk)
                hook_url = hook if target is webhook else None
                kid = sdk.kickoff(INPUTS, crew_webhook_url=hook_url).kickoff_id
                watching.add(kid)
                counter.count = 0  # count status requests only
                thread = threading.Thread(target=target, args=(duration, sdk, counter, kid))
                thread.start()
                threads.append(thread)
        for thread in threads:
            thread.join()
        stop.set()
        watcher.join()
        receiver.stop()
        for sdk in clients:
            sdk.close()

    out = []
    total = {"wait()": 0.0, "fixed 1 s": 0.0}
    for duration in durations:
        w, f = results[(duration, "wait()")], results[(duration, "fixed 1 s")]
        lat = {
            k: results[(duration, k)]["seen"] - completed_at[str(results[(duration, k)]["kid"])]
            for k in ("wait()", "fixed 1 s", "crew webhook")
        }
        total["wait()"] += w["requests"]
        total["fixed 1 s"] += f["requests"]
        ratio = w["requests"] / f["requests"]
        out.append(
            Row(
                f"waiting, {duration:g} s crew",
                "status requests, wait() / fixed 1 s loop",
                ratio,
                "×",
                "≤ 0.33×",
                ratio <= 1 / 3,
                f"{int(w['requests'])} vs {int(f['requests'])} requests",
            )
        )
        out.append(
            Row(
                f"waiting, {duration:g} s crew",
                "detection latency of wait(), share of the run",
                lat["wait()"] / duration,
                "of run",
                "≤ 10 %",
                lat["wait()"] <= 0.1 * duration,
                f"{lat['wait()'] * 1000:.0f} ms (fixed loop: {lat['fixed 1 s'] * 1000:.0f} ms)",
            )
        )
        out.append(
            Row(
                f"waiting, {duration:g} s crew",
                "crew webhook latency (delivery - completion)",
                lat["crew webhook"] * 1000,
                "ms",
                "< 50 ms",
                lat["crew webhook"] < 0.050,
                "",
            )
        )
    ratio = total["wait()"] / total["fixed 1 s"]
    out.append(
        Row(
            "waiting, all crews",
            "status requests, wait() / fixed 1 s loop (sum)",
            ratio,
            "×",
            "≤ 0.33×",
            ratio <= 1 / 3,
            f"{int(total['wait()'])} vs {int(total['fixed 1 s'])} requests",
        )
    )
    return out
