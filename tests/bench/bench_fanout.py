"""Benchmark 5: fan-out. 500 concurrent run() on one AsyncAmpClient against the emulator.

The emulator runs in one process, the client in another, so the client's peak RSS is its own.
    python tests/bench/bench_fanout.py client BASE_URL TOKEN N   # prints one JSON line
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

RUNS = 500
INPUTS = {"topic": "AI", "target_audience": "devs", "depth": "short"}
EMULATOR = """
import json, sys
from crewai_amp.testing import AmpEmulator
amp = AmpEmulator(scale=float(sys.argv[1])).start()
print(json.dumps({"base_url": amp.base_url, "token": amp.token}), flush=True)
sys.stdin.read()
print(json.dumps({"kickoffs": amp.kickoff_count}), flush=True)
amp.stop()
"""


def peak_rss_mb() -> float:
    """This process's own peak RSS. On Linux, VmHWM: ru_maxrss survives exec, so a child of a
    large bench runner would report the runner's size (121 MB here, for a 52 MB client)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def client_main(base_url: str, token: str, runs: int) -> None:
    import asyncio
    import time

    from crewai_amp import AmpError, AsyncAmpClient

    async def main() -> dict[str, Any]:
        peak_connections = 0
        errors: dict[str, int] = {}
        async with AsyncAmpClient(base_url=base_url, token=token) as client:
            pool = client._http._transport._pool  # type: ignore[attr-defined]

            async def one() -> None:
                try:
                    await client.run(INPUTS, timeout=120)
                except AmpError as exc:
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1

            async def sample() -> None:
                nonlocal peak_connections
                while True:
                    peak_connections = max(peak_connections, len(pool.connections))
                    await asyncio.sleep(0.01)

            sampler = asyncio.create_task(sample())
            started = time.perf_counter()
            await asyncio.gather(*(one() for _ in range(runs)))
            wall = time.perf_counter() - started
            sampler.cancel()
            limit = pool._max_connections
        rss_mb = peak_rss_mb()
        return {
            "wall": wall,
            "errors": errors,
            "peak_rss_mb": rss_mb,
            "peak_connections": peak_connections,
            "limit": limit,
        }

    print(json.dumps(asyncio.run(main())), flush=True)


def rows(quick: bool, Row: Any, interleaved: Any, summary: Any) -> list[Any]:
    runs = 100 if quick else RUNS
    emulator = subprocess.Popen(
        [sys.executable, "-c", EMULATOR, "0.05"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert emulator.stdin is not None and emulator.stdout is not None
    try:
        info = json.loads(emulator.stdout.readline())
        result = subprocess.run(
            [sys.executable, str(Path(__file__)), "client", info["base_url"], info["token"], str(runs)],
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
        measured = json.loads(result.stdout.strip().splitlines()[-1])
        emulator.stdin.close()
        kickoffs = json.loads(emulator.stdout.readline())["kickoffs"]
    finally:
        emulator.wait(timeout=30)
    errors = sum(measured["errors"].values())
    return [
        Row(f"fan-out, {runs} × run()", "errors", errors, "", "0", errors == 0, "", measured["errors"]),
        Row(f"fan-out, {runs} × run()", "wall time", measured["wall"], "s", "informational", None),
        Row(
            f"fan-out, {runs} × run()",
            "client peak RSS",
            measured["peak_rss_mb"],
            "MB",
            "< 150 MB",
            measured["peak_rss_mb"] < 150,
        ),
        Row(
            f"fan-out, {runs} × run()",
            "peak open connections (pool limit)",
            measured["peak_connections"],
            "",
            f"≤ {measured['limit']}",
            measured["peak_connections"] <= measured["limit"],
        ),
        Row(
            f"fan-out, {runs} × run()",
            "kickoffs received by the emulator",
            kickoffs,
            "",
            f"= {runs}",
            kickoffs == runs,
        ),
    ]


if __name__ == "__main__" and sys.argv[1:2] == ["client"]:
    client_main(sys.argv[2], sys.argv[3], int(sys.argv[4]))
