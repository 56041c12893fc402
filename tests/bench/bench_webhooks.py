"""Micro-benchmark: webhook verify + parse, side by side, on the same signed events.

- ``unwrap``: ``crewai_amp.webhooks.unwrap(body, headers, secret=...)`` (channel inferred), and
  ``unwrap_channel`` with the channel given (as a receiver mounted per AMP URL would);
- ``reference``: ``standardwebhooks.Webhook(secret).verify(body, headers)`` then the right
  model's ``model_validate`` (what a user would write with the reference package);
- ``floor``: bare ``hmac`` + ``base64`` + ``json.loads``, no typed model, no header handling.

Interleaved rounds (the order rotates every round, so drift on the machine hits all alike);
each figure is the median over rounds. Ratios are per round (same round, same conditions).

    PYTHONPATH=overlays:generated python tests/bench/bench_webhooks.py [--quick]

``main()`` prints a table and returns the results as a dict.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

SECRET = "whsec_" + base64.b64encode(b"bench-secret-bench-secret-bench!").decode()
EVENTS = 3000
ROUNDS = 9


def events(count: int = EVENTS) -> list[tuple[str, bytes, dict[str, str]]]:
    """(channel, body, headers): a mix of task, step and crew events, signed now."""
    from crewai_amp.webhooks import sign

    out = []
    for index in range(count):
        kind = ("task", "step", "crew")[index % 3]
        payload: dict[str, Any]
        if kind == "task":
            payload = {
                "kickoff_id": f"2f9c1a34-0000-4000-8000-{index:012d}",
                "task_id": f"research_{index % 5}",
                "agent": "Senior Researcher",
                "status": "completed",
                "output": "Market summary: demand is up. " * 12,
                "execution_time": 12.4,
                "meta": {"requestId": index},
            }
        elif kind == "step":
            payload = {
                "kickoff_id": f"2f9c1a34-0000-4000-8000-{index:012d}",
                "task_id": "research_1",
                "agent": "Senior Researcher",
                "step": {"type": "tool_call", "tool": "search", "input": {"q": "AI agents"}},
                "timestamp": "2026-11-25T08:00:00Z",
            }
        else:
            payload = {
                "kickoff_id": f"2f9c1a34-0000-4000-8000-{index:012d}",
                "status": "completed",
                "result": {
                    "output": "Final report. " * 20,
                    "tasks": [{"task_id": f"t{n}", "agent": "Writer", "output": "ok"} for n in range(3)],
                },
                "execution_time": 42.0,
            }
        body = json.dumps(payload).encode()
        out.append((kind, body, sign(body, secret=SECRET, msg_id=f"msg_{index:08d}")))
    return out


def _contenders(batch: list[tuple[str, bytes, dict[str, str]]]) -> dict[str, Callable[[], float]]:
    import standardwebhooks
    from crewai_amp.webhooks import unwrap
    from crewai_amp_events import CrewCompletedPayload, StepEventPayload, TaskCompletedPayload

    reference = standardwebhooks.Webhook(SECRET)
    models: dict[str, Any] = {
        "task": TaskCompletedPayload,
        "step": StepEventPayload,
        "crew": CrewCompletedPayload,
    }
    key = base64.b64decode(SECRET.removeprefix("whsec_"))

    def ours() -> float:
        started = time.perf_counter()
        for _, body, headers in batch:
            unwrap(body, headers, secret=SECRET)
        return time.perf_counter() - started

    def ours_channel() -> float:
        started = time.perf_counter()
        for kind, body, headers in batch:
            unwrap(body, headers, secret=SECRET, channel=kind)  # type: ignore[arg-type]
        return time.perf_counter() - started

    def theirs() -> float:
        started = time.perf_counter()
        for kind, body, headers in batch:
            models[kind].model_validate(reference.verify(body, headers))
        return time.perf_counter() - started

    def floor() -> float:
        started = time.perf_counter()
        for _, body, headers in batch:
            signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
            expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
            if not hmac.compare_digest(expected, headers["webhook-signature"][3:]):
                raise AssertionError("floor: signature mismatch")
            json.loads(body)
        return time.perf_counter() - started

    return {"unwrap": ours, "unwrap_channel": ours_channel, "reference": theirs, "floor": floor}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    quick = "--quick" in (sys.argv[1:] if argv is None else argv)
    count, rounds = (600, 5) if quick else (EVENTS, ROUNDS)
    batch = events(count)
    contenders = _contenders(batch)
    for run in contenders.values():  # warm up: imports, caches, the TypeAdapter
        run()
    names = list(contenders)
    times: dict[str, list[float]] = {name: [] for name in names}
    for index in range(rounds):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            times[name].append(contenders[name]())

    def ratio(a: str, b: str) -> float:
        return statistics.median(x / y for x, y in zip(times[a], times[b], strict=True))

    results: dict[str, Any] = {
        "events": count,
        "rounds": rounds,
        "us_per_event": {name: statistics.median(times[name]) / count * 1e6 for name in names},
        "unwrap_vs_reference": ratio("unwrap", "reference"),
        "unwrap_vs_floor": ratio("unwrap", "floor"),
        "unwrap_channel_vs_reference": ratio("unwrap_channel", "reference"),
        "unwrap_channel_vs_floor": ratio("unwrap_channel", "floor"),
    }
    print(f"webhook verify+parse: {count} events (task/step/crew mix), {rounds} interleaved rounds")
    for name in names:
        print(f"  {name:<16} {results['us_per_event'][name]:7.2f} µs/event (median)")
    print(f"  unwrap / reference            {results['unwrap_vs_reference']:.2f}×  (goal < 1)")
    print(f"  unwrap / floor                {results['unwrap_vs_floor']:.2f}×  (goal ≤ 2)")
    print(f"  unwrap(channel) / reference   {results['unwrap_channel_vs_reference']:.2f}×")
    print(f"  unwrap(channel) / floor       {results['unwrap_channel_vs_floor']:.2f}×")
    return results


if __name__ == "__main__":
    main()
