"""Benchmark 5: fan-out. 10,000 concurrent run() on one AsyncAmpClient against the emulator, with
no cap of the caller's own, side by side with the same runs under an ideal caller-side
semaphore (100 runs at a time, the pool's size).

The emulator runs in its own process (a fresh one per variant, so its counts are the
variant's), the client in another, so the client's peak RSS (VmHWM) is its own.
    python tests/bench/bench_fanout.py client BASE_URL TOKEN N MODE   # prints one JSON line
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

RUNS = 10_000
SEMAPHORE = 100
INPUTS = {"topic": "AI", "target_audience": "devs", "depth": "short"}
EMULATOR = """
import json, sys
from crewai_amp.testing import AmpEmulator
amp = AmpEmulator(scale=float(sys.argv[1])).start()
print(json.dumps({"base_url": amp.base_url, "token": amp.token}), flush=True)
sys.stdin.read()
stats = amp.stats
print(json.dumps({"kickoffs": stats.kickoffs_received, "requests": sum(stats.requests.values())}), flush=True)
amp.stop()
"""


def peak_rss_mb() -> float:
    """This process's own peak RSS. On Linux, VmHWM: ru_maxrss survives exec, so a child of a
    large bench runner would report the runner's size."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def client_main(base_url: str, token: str, runs: int, mode: str) -> None:
    import asyncio
    import time

    from crewai_amp import AmpError, AsyncAmpClient

    async def main() -> dict[str, Any]:
        peak_connections = 0
        errors: dict[str, int] = {}
        async with AsyncAmpClient(base_url=base_url, token=token) as client:
            pool = client._http._transport._pool  # type: ignore[attr-defined]
            gate = asyncio.Semaphore(SEMAPHORE)

            async def one() -> None:
                try:
                    if mode == "semaphore":
                        async with gate:
                            await client.run(INPUTS, timeout=600)
                    else:
                        await client.run(INPUTS, timeout=600)
                except AmpError as exc:
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1

            async def sample() -> None:
                nonlocal peak_connections
                while True:
                    peak_connections = max(peak_connections, len(pool.connections))
                    await asyncio.sleep(0.05)

            sampler = asyncio.create_task(sample())
            started = time.perf_counter()
            await asyncio.gather(*(one() for _ in range(runs)))
            wall = time.perf_counter() - started
            sampler.cancel()
            limit = pool._max_connections
        return {
            "wall": wall,
            "errors": errors,
            "peak_rss_mb": peak_rss_mb(),
            "peak_connections": peak_connections,
            "limit": limit,
        }

    print(json.dumps(asyncio.run(main())), flush=True)


def measure(runs: int, mode: str) -> dict[str, Any]:
    emulator = subprocess.Popen(
        [sys.executable, "-c", EMULATOR, "0.01"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert emulator.stdin is not None and emulator.stdout is not None
    try:
        info = json.loads(emulator.stdout.readline())
        result = subprocess.run(
            [sys.executable, str(Path(__file__)), "client", info["base_url"], info["token"], str(runs), mode],
            capture_output=True,
            text=True,
            timeout=1800,
            check=True,
        )
        measured: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
        emulator.stdin.close()
        measured.update(json.loads(emulator.stdout.readline()))
    finally:
        emulator.wait(timeout=60)
    return measured


def rows(quick: bool, Row: Any, interleaved: Any, summary: Any) -> list[Any]:
    runs = 1000 if quick else RUNS
    sdk = measure(runs, "sdk")
    ideal = measure(runs, "semaphore")
    name = f"fan-out, {runs} × run()"
    errors = sum(sdk["errors"].values())
    ratio = sdk["wall"] / ideal["wall"]
    return [
        Row(name, "errors (no caller-side cap)", errors, "", "0", errors == 0, "", sdk["errors"]),
        Row(
            name,
            f"wall time, no cap / caller-side Semaphore({SEMAPHORE})",
            ratio,
            "×",
            "≤ 2×",
            ratio <= 2.0,
            "",
            {"no_cap_s": sdk["wall"], "semaphore_s": ideal["wall"], "semaphore_errors": ideal["errors"]},
        ),
        Row(name, "wall time (no cap)", sdk["wall"], "s", "informational", None),
        Row(
            name,
            "client peak RSS (VmHWM, no cap)",
            sdk["peak_rss_mb"],
            "MB",
            "< 150 MB",
            sdk["peak_rss_mb"] < 150,
            "",
            {"semaphore_peak_rss_mb": ideal["peak_rss_mb"]},
        ),
        Row(
            name,
            "requests per run (no cap / semaphore)",
            sdk["requests"] / runs,
            "",
            "informational",
            None,
            "",
            {"semaphore": ideal["requests"] / runs},
        ),
        Row(
            name,
            "peak open connections (pool limit)",
            sdk["peak_connections"],
            "",
            f"≤ {sdk['limit']}",
            sdk["peak_connections"] <= sdk["limit"],
        ),
        Row(
            name,
            "kickoffs received by the emulator",
            sdk["kickoffs"],
            "",
            f"= {runs}",
            sdk["kickoffs"] == runs,
        ),
    ]


if __name__ == "__main__" and sys.argv[1:2] == ["client"]:
    client_main(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
