"""Benchmark 7: webhook deliveries end to end, with real processes on 127.0.0.1.

The same signed deliveries, sent 50 at a time over two receivers (uvicorn), each to a handler
that appends one line to a file:

- inbox: the receivers store each delivery in a RedisInbox and answer; three worker processes
  handle them (``RedisInbox.work``);
- in the request: the receivers run the handler themselves, deduplicated across both through
  ``RedisDedupe``, the setup the inbox replaces.

Measured: deliveries per second from the first request sent to the last delivery handled, and
how long the sender waits for an answer (median); one Redis, started here, serves both.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the support package

SECRET = "whsec_" + base64.b64encode(b"bench-inbox-secret-32-bytes-long").decode()
WORKERS = 3
HANDLER = """
import os

LOG = {log!r}

def handle(event):
    fd = os.open(LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, (event.kickoff_id + "\\n").encode())
    finally:
        os.close(fd)
"""
INBOX_APP = (
    HANDLER
    + """
from crewai_amp.webhooks import RedisInbox, asgi_app
app = asgi_app(secret={secret!r}, inbox=RedisInbox({url!r}, stream={stream!r}))
"""
)
IN_REQUEST_APP = (
    HANDLER
    + """
from crewai_amp.webhooks import RedisDedupe, asgi_app
app = asgi_app(secret={secret!r}, on_crew=handle, dedupe=RedisDedupe({url!r}, prefix={stream!r} + ":"))
"""
)
WORKER = (
    HANDLER
    + """
import sys
from crewai_amp.webhooks import RedisInbox
RedisInbox({url!r}, stream={stream!r}).work(on_crew=handle, consumer=sys.argv[1])
"""
)


def _handled(log: Path) -> int:
    try:
        return log.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


async def _send(urls: list[str], count: int, tag: str) -> list[float]:
    import httpx
    from crewai_amp.webhooks import sign

    gate = asyncio.Semaphore(50)
    waits: list[float] = []
    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=60)) as client:

        async def one(n: int) -> None:
            body = json.dumps({"kickoff_id": f"{tag}-{n}", "result": "done", "token_usage": None}).encode()
            headers = sign(body, secret=SECRET, msg_id=f"msg_{tag}_{n}")
            async with gate:
                started = time.perf_counter()
                response = await client.post(urls[n % len(urls)], content=body, headers=headers)
                waits.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"delivery {n}: {response.status_code} {response.text}")

        await asyncio.gather(*(one(n) for n in range(count)))
    return waits


def _variant(kind: str, url: str, count: int, directory: Path, tag: str) -> dict[str, float]:
    from support.receiver import receiver_process

    log = directory / f"{tag}.log"
    stream = f"bench:{tag}"
    template = INBOX_APP if kind == "inbox" else IN_REQUEST_APP
    app = template.format(log=str(log), secret=SECRET, url=url, stream=stream)
    workers: list[subprocess.Popen[bytes]] = []
    with receiver_process(directory, app) as first, receiver_process(directory, app) as second:
        if kind == "inbox":
            script = directory / f"worker_{tag}.py"
            script.write_text(textwrap.dedent(WORKER.format(log=str(log), url=url, stream=stream)), "utf-8")
            workers = [
                subprocess.Popen([sys.executable, str(script), f"w{n}"], stdout=subprocess.DEVNULL)
                for n in range(WORKERS)
            ]
        try:
            started = time.perf_counter()
            waits = asyncio.run(_send([first, second], count, tag))
            deadline = time.monotonic() + 600
            while _handled(log) < count:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{kind}: only {_handled(log)} of {count} handled")
                time.sleep(0.01)
            elapsed = time.perf_counter() - started
        finally:
            for worker in workers:
                worker.terminate()
                worker.wait(30)
    return {"per_second": count / elapsed, "answer_ms": statistics.median(waits) * 1000}


def rows(quick: bool, Row: Any, interleaved: Any, summary: Any) -> list[Any]:
    from support.receiver import redis_server

    count = 500 if quick else 2000
    rounds = 1 if quick else 3
    results: dict[str, list[dict[str, float]]] = {"inbox": [], "request": []}
    with redis_server() as url, tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        serial = iter(range(1000))

        def run(kind: str) -> float:
            measured = _variant(kind, url, count, directory, f"{kind}{next(serial)}")
            results[kind].append(measured)
            return measured["per_second"]

        inbox, in_request = interleaved(rounds, lambda: run("inbox"), lambda: run("request"))
    ratio, spread = summary([a / b for a, b in zip(inbox, in_request, strict=True)])
    detail = {
        "inbox_deliveries_per_s": statistics.median(inbox),
        "in_request_deliveries_per_s": statistics.median(in_request),
        "inbox_answer_ms_median": statistics.median(r["answer_ms"] for r in results["inbox"]),
        "in_request_answer_ms_median": statistics.median(r["answer_ms"] for r in results["request"]),
        "deliveries": count,
        "cpus": os.cpu_count(),
    }
    return [
        Row(
            "webhook inbox throughput",
            f"inbox (2 receivers + {WORKERS} workers, Redis) / handled in the request (2 receivers, "
            f"RedisDedupe): deliveries/s end to end, {count} deliveries",
            ratio,
            "×",
            "informational",
            None,
            spread,
            detail,
        )
    ]
