"""`nox -s bench`: the SDK measured side by side with what users would use instead.

Every figure is a ratio or a count measured in one run, in interleaved rounds (A, B, A, B...),
reported as the median with the min–max, so a noisy shared machine moves both sides alike.
Results: a table on stdout, and bench-results/results.json + results.md.

    python tests/bench/run.py [--only NAME ...] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
RESULTS = REPO / "bench-results"
sys.path.insert(0, str(HERE))


@dataclass
class Row:
    benchmark: str
    metric: str
    value: float
    unit: str
    goal: str
    met: bool | None  # None: informational
    spread: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


def summary(values: list[float]) -> tuple[float, str]:
    return statistics.median(values), f"{min(values):.3g}–{max(values):.3g}"


def interleaved(
    rounds: int, a: Callable[[], float], b: Callable[[], float]
) -> tuple[list[float], list[float]]:
    """Run a and b alternately (a b, b a, ...) so drift on the machine hits both alike."""
    first, second = [], []
    for index in range(rounds):
        if index % 2 == 0:
            first.append(a())
            second.append(b())
        else:
            second.append(b())
            first.append(a())
    return first, second


# --- 1. per-call overhead ----------------------------------------------------------------


class StatusServer:
    """tests/bench/status_server.py in its own process."""

    def __enter__(self) -> str:
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "status_server.py")], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            self.process.kill()
            raise RuntimeError(f"status server did not start: {line!r}")
        return f"http://127.0.0.1:{line.split()[1]}"

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def bench_overhead(quick: bool) -> list[Row]:
    import asyncio

    import httpx
    from crewai_amp import AmpClient, AsyncAmpClient

    calls = 200 if quick else 1000
    # The difference measured is ~5% of a call on a shared machine: enough rounds that the
    # median ratio is stable to about ±0.02.
    rounds = 3 if quick else 15
    kickoff_id = "abcd1234-5678-90ef-ghij-klmnopqrstuv"
    rows = []
    with StatusServer() as base_url:
        url = f"{base_url}/status/{kickoff_id}"
        sdk = AmpClient(base_url=base_url, token="bench-token")
        raw = httpx.Client(headers={"Authorization": "Bearer bench-token"})
        for _ in range(50):  # warm both pools and code paths
            sdk.status(kickoff_id)
            raw.get(url).json()

        def sdk_run() -> float:
            started = time.perf_counter()
            for _ in range(calls):
                sdk.status(kickoff_id)
            return time.perf_counter() - started

        def raw_run() -> float:
            started = time.perf_counter()
            for _ in range(calls):
                raw.get(url).json()
            return time.perf_counter() - started

        sdk_times, raw_times = interleaved(rounds, sdk_run, raw_run)
        ratios = [s / r for s, r in zip(sdk_times, raw_times, strict=True)]
        median, spread = summary(ratios)
        rows.append(
            Row(
                "per-call overhead (sync)",
                f"AmpClient.status() / httpx.Client.get().json(), {calls} calls",
                median,
                "×",
                "≤ 1.10×",
                median <= 1.10,
                spread,
                {
                    "sdk_us_per_call": statistics.median(sdk_times) / calls * 1e6,
                    "raw_us_per_call": statistics.median(raw_times) / calls * 1e6,
                },
            )
        )
        sdk.close()
        raw.close()

        async def async_pair() -> tuple[list[float], list[float]]:
            asdk = AsyncAmpClient(base_url=base_url, token="bench-token")
            araw = httpx.AsyncClient(headers={"Authorization": "Bearer bench-token"})
            for _ in range(50):
                await asdk.status(kickoff_id)
                (await araw.get(url)).json()
            sdk_times: list[float] = []
            raw_times: list[float] = []
            for index in range(rounds):
                order = [("sdk", asdk), ("raw", araw)] if index % 2 == 0 else [("raw", araw), ("sdk", asdk)]
                for name, _client in order:
                    started = time.perf_counter()
                    if name == "sdk":
                        for _ in range(calls):
                            await asdk.status(kickoff_id)
                        sdk_times.append(time.perf_counter() - started)
                    else:
                        for _ in range(calls):
                            (await araw.get(url)).json()
                        raw_times.append(time.perf_counter() - started)
            await asdk.close()
            await araw.aclose()
            return sdk_times, raw_times

        asdk_times, araw_times = asyncio.run(async_pair())
        ratios = [s / r for s, r in zip(asdk_times, araw_times, strict=True)]
        median, spread = summary(ratios)
        rows.append(
            Row(
                "per-call overhead (async)",
                f"AsyncAmpClient.status() / httpx.AsyncClient.get().json(), {calls} calls",
                median,
                "×",
                "≤ 1.10×",
                median <= 1.10,
                spread,
                {
                    "sdk_us_per_call": statistics.median(asdk_times) / calls * 1e6,
                    "raw_us_per_call": statistics.median(araw_times) / calls * 1e6,
                },
            )
        )
    return rows


# --- 2. import cost ----------------------------------------------------------------------

# The line a user writes, timed inside a fresh interpreter (so nothing is cached in-process and
# interpreter start-up is not counted), against `import httpx`, which it cannot cost less than.
USER_IMPORT = "from crewai_amp import AmpClient"
HEAVY = ("pydantic", "attrs", "crewai_amp_api", "crewai_amp_events", "rich", "starlette", "uvicorn")


def import_time_s(statement: str) -> float:
    """Seconds `statement` takes in a fresh interpreter."""
    code = f"import time\nstarted = time.perf_counter()\n{statement}\nprint(time.perf_counter() - started)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(result.stdout.strip())


def bench_import(quick: bool) -> list[Row]:
    rounds = 7 if quick else 31
    ours, theirs = interleaved(
        rounds, lambda: import_time_s(USER_IMPORT), lambda: import_time_s("import httpx")
    )
    ratios = [a / b for a, b in zip(ours, theirs, strict=True)]
    median, spread = summary(ratios)
    probe = "import sys\n{}\nprint(','.join(m for m in " + repr(HEAVY) + " if m in sys.modules))"

    def heavy(statement: str) -> set[str]:
        out = subprocess.run(
            [sys.executable, "-c", probe.format(statement)], capture_output=True, text=True, check=True
        ).stdout.strip()
        return set(filter(None, out.split(",")))

    # what the user's import loads beyond httpx (httpx itself loads rich when it is installed)
    loaded = ",".join(sorted(heavy(USER_IMPORT) - heavy("import httpx")))
    return [
        Row(
            "import cost",
            f"`{USER_IMPORT}` / `import httpx` (fresh interpreter per sample)",
            median,
            "×",
            "≤ 1.25×",
            median <= 1.25,
            spread,
            {
                "crewai_amp_ms": statistics.median(ours) * 1000,
                "httpx_ms": statistics.median(theirs) * 1000,
                "heavy_modules_loaded_by_import": loaded or "none",
            },
        )
    ]


# --- 6. regeneration ---------------------------------------------------------------------


def bench_regenerate(quick: bool) -> list[Row]:
    rounds = 2 if quick else 3

    def timed(*args: str) -> float:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "generator", "generate", *args], cwd=REPO, check=True, capture_output=True
        )
        return time.perf_counter() - started

    full, noop = interleaved(rounds, lambda: timed(), lambda: timed("--if-changed"))
    full_median, full_spread = summary(full)
    noop_median, noop_spread = summary(noop)
    return [
        Row(
            "regeneration",
            "full regeneration (warm), outside venv creation",
            full_median,
            "s",
            "informational",
            None,
            full_spread,
        ),
        Row(
            "regeneration",
            "no-op regeneration (MANIFEST says nothing changed)",
            noop_median,
            "s",
            "< 2 s",
            noop_median < 2.0,
            noop_spread,
        ),
    ]


BENCHMARKS: dict[str, Callable[[bool], list[Row]]] = {
    "overhead": bench_overhead,
    "import": bench_import,
    "regenerate": bench_regenerate,
}


def _optional(name: str, module: str, function: str) -> None:
    """Register benchmarks that live in their own module (they import heavier things)."""

    def run(quick: bool) -> list[Row]:
        import importlib

        rows: list[Row] = getattr(importlib.import_module(module), function)(quick, Row, interleaved, summary)
        return rows

    BENCHMARKS[name] = run


_optional("webhooks", "bench_webhook_rows", "rows")
_optional("waiting", "bench_waiting", "rows")
_optional("fanout", "bench_fanout", "rows")
_optional("inbox", "bench_inbox", "rows")
_optional("run_many", "bench_run_many", "rows")
_optional("bomb", "bench_bomb", "rows")


def render(rows: list[Row]) -> str:
    lines = [
        "| benchmark | metric | median | min–max | goal | met |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        met = {True: "yes", False: "**no**", None: "—"}[row.met]
        lines.append(
            f"| {row.benchmark} | {row.metric} | {row.value:.3g} {row.unit} | {row.spread} | {row.goal} | {met} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", choices=sorted(BENCHMARKS), help="run only these")
    parser.add_argument("--quick", action="store_true", help="fewer rounds, for a smoke run")
    args = parser.parse_args(argv)
    rows: list[Row] = []
    failures: dict[str, str] = {}
    for name in args.only or list(BENCHMARKS):
        print(f"running {name}...", file=sys.stderr, flush=True)
        try:
            rows.extend(BENCHMARKS[name](args.quick))
        except Exception as exc:  # a broken benchmark is reported, the others still run
            failures[name] = f"{type(exc).__name__}: {exc}"
            print(f"  {name} failed: {failures[name]}", file=sys.stderr)
    table = render(rows)
    print(table)
    RESULTS.mkdir(exist_ok=True)
    machine = {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count()}
    run = {"date": time.strftime("%Y-%m-%d", time.gmtime()), "quick": args.quick}
    (RESULTS / "results.json").write_text(
        json.dumps(
            {"machine": machine, "run": run, "rows": [asdict(r) for r in rows], "failures": failures},
            indent=2,
        )
        + "\n"
    )
    (RESULTS / "results.md").write_text(f"{table}\n\nMachine: {machine}\n")
    if failures:
        print(f"failed benchmarks: {failures}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
