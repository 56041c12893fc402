"""Benchmark: `AsyncAmpClient.run_many` over 10,000 runs against the emulator, side by side with
what a user would write instead (an `asyncio.Semaphore` loop over raw httpx: kickoff, then a
status check every 0.5 s until the run ends), and with its journal on.

Each variant gets a fresh emulator in its own process (so its counts are the variant's) and
runs in its own client process (so its peak RSS, VmHWM, is its own); the variants alternate
(A B C, C B A...) so a noisy machine moves them alike.
    python tests/bench/bench_run_many.py client MODE BASE_URL TOKEN RUNS   # prints one JSON line
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

RUNS = 10_000
CONCURRENCY = 100
POLL = 0.5  # the raw loop's status period
MODES = ("run_many", "raw", "run_many+journal")
INPUTS = {"target_audience": "devs", "depth": "short"}


def inputs(runs: int) -> list[dict[str, Any]]:
    return [{**INPUTS, "topic": f"topic {n}"} for n in range(runs)]


async def _run_many(base_url: str, token: str, runs: int, journal: str | None) -> dict[str, Any]:
    from crewai_amp import AsyncAmpClient

    ok = 0
    async with AsyncAmpClient(base_url=base_url, token=token) as client:
        async for outcome in client.run_many(
            inputs(runs), concurrency=CONCURRENCY, timeout=600, journal=journal
        ):
            ok += outcome.ok
    return {"ok": ok}


async def _raw(base_url: str, token: str, runs: int) -> dict[str, Any]:
    import asyncio

    import httpx

    gate = asyncio.Semaphore(CONCURRENCY)
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    ok = 0
    async with httpx.AsyncClient(
        base_url=base_url, headers={"Authorization": f"Bearer {token}"}, limits=limits, timeout=30
    ) as http:

        async def one(body: dict[str, Any]) -> None:
            nonlocal ok
            async with gate:
                kickoff_id = (await http.post("/kickoff", json={"inputs": body})).json()["kickoff_id"]
                while True:
                    status = (await http.get(f"/status/{kickoff_id}")).json()["status"]
                    if status in ("completed", "error"):
                        ok += status == "completed"
                        return
                    await asyncio.sleep(POLL)

        await asyncio.gather(*(one(body) for body in inputs(runs)))
    return {"ok": ok}


def client_main(mode: str, base_url: str, token: str, runs: int) -> None:
    import asyncio
    import resource
    import time

    from bench_fanout import peak_rss_mb

    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        if mode == "raw":
            result = asyncio.run(_raw(base_url, token, runs))
        else:
            journal = str(Path(folder, "runs.db")) if mode.endswith("journal") else None
            result = asyncio.run(_run_many(base_url, token, runs, journal))
        used = resource.getrusage(resource.RUSAGE_SELF)
        result.update(
            wall=time.perf_counter() - started, cpu=used.ru_utime + used.ru_stime, peak_rss_mb=peak_rss_mb()
        )
    print(json.dumps(result), flush=True)


def measure(mode: str, runs: int) -> dict[str, Any]:
    from bench_fanout import EMULATOR

    emulator = subprocess.Popen(
        [sys.executable, "-c", EMULATOR, "0.01"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert emulator.stdin is not None and emulator.stdout is not None
    try:
        info = json.loads(emulator.stdout.readline())
        result = subprocess.run(
            [sys.executable, str(Path(__file__)), "client", mode, info["base_url"], info["token"], str(runs)],
            capture_output=True,
            text=True,
            timeout=3600,
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
    rounds = 1 if quick else 3
    results: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MODES}
    for index in range(rounds):
        for mode in MODES if index % 2 == 0 else tuple(reversed(MODES)):
            results[mode].append(measure(mode, runs))
    walls = {mode: [r["wall"] for r in measured] for mode, measured in results.items()}
    sdk, raw, journal = (summary(walls[m])[0] for m in MODES)
    cpu = {mode: summary([r["cpu"] for r in measured])[0] for mode, measured in results.items()}
    name = f"run_many, {runs} runs, concurrency {CONCURRENCY}"
    ratio = sdk / raw
    cost = journal / sdk - 1
    cpu_cost = cpu["run_many+journal"] / cpu["run_many"] - 1
    peak = max(r["peak_rss_mb"] for r in results["run_many"] + results["run_many+journal"])
    counts = {mode: [r["kickoffs"] for r in measured] for mode, measured in results.items()}
    return [
        Row(
            name,
            f"wall time, run_many / Semaphore({CONCURRENCY}) loop over raw httpx (status every {POLL:g} s)",
            ratio,
            "×",
            "≤ 1.5×",
            ratio <= 1.5,
            "",
            {"run_many_s": sdk, "raw_s": raw, "rounds": rounds, "walls": walls},
        ),
        Row(
            name,
            "journal cost: wall time with journal= / without",
            cost * 100,
            "%",
            "≤ 10 %",
            cost <= 0.10,
            "",
            {"journal_s": journal, "run_many_s": sdk, "walls": walls["run_many+journal"]},
        ),
        Row(
            name,
            "journal cost: client CPU time (user+sys) with journal= / without",
            cpu_cost * 100,
            "%",
            "≤ 10 %",
            cpu_cost <= 0.10,
            "",
            {
                "journal_cpu_s": cpu["run_many+journal"],
                "run_many_cpu_s": cpu["run_many"],
                "raw_cpu_s": cpu["raw"],
            },
        ),
        Row(
            name,
            "client peak RSS (VmHWM, run_many, journal on or off)",
            peak,
            "MB",
            "< 150 MB",
            peak < 150,
            "",
            {"raw_peak_rss_mb": max(r["peak_rss_mb"] for r in results["raw"])},
        ),
        Row(
            name,
            "requests per run (run_many / raw)",
            results["run_many"][0]["requests"] / runs,
            "",
            "informational",
            None,
            "",
            {
                "raw": results["raw"][0]["requests"] / runs,
                "journal": results["run_many+journal"][0]["requests"] / runs,
            },
        ),
        Row(
            name,
            "kickoffs received by the emulator, every variant and round",
            min(min(c) for c in counts.values()),
            "",
            f"= {runs}",
            all(c == runs for measured in counts.values() for c in measured),
            "",
            counts,
        ),
    ]


if __name__ == "__main__" and sys.argv[1:2] == ["client"]:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    client_main(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
