"""Benchmark: a decompression bomb. 20 concurrent `AsyncAmpClient.inputs()` against a server whose
answer is a small gzip body that inflates far past `max_response_bytes` (1 MB): each call must
raise ResponseTooLarge, and the client's peak RSS must stay near what it is without the bomb.

The server and the client each run in their own process, so the client's peak RSS (VmHWM) is
its own.
    python tests/bench/bench_bomb.py server            # prints "PORT <n> <gzip bytes> <inflated bytes>"
    python tests/bench/bench_bomb.py client BASE_URL   # prints one JSON line
"""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

CALLS = 20
LIMIT = 1_000_000
# JSON that compresses about 170:1, as the measured case (0.39 MB of gzip, 67 MB inflated).
_LINE = json.dumps({"task": "research", "output": "The quick brown fox jumps over the lazy dog. " * 3})


def bomb() -> tuple[bytes, int]:
    lines = (json.dumps(f"{n // 4}:{_LINE}") for n in range(360_000))
    body = ('{"inputs": [' + ",".join(lines) + "]}").encode()
    return gzip.compress(body, compresslevel=9), len(body)


def server_main() -> None:
    import uvicorn

    payload, inflated = bomb()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-encoding", b"gzip"),
        (b"content-length", str(len(payload)).encode()),
    ]

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    print(f"PORT {sock.getsockname()[1]} {len(payload)} {inflated}", flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", http="h11")
    asyncio.run(uvicorn.Server(config).serve(sockets=[sock]))


def client_main(base_url: str) -> None:
    from bench_fanout import peak_rss_mb
    from crewai_amp import AsyncAmpClient, ResponseTooLarge

    async def main() -> dict[str, Any]:
        async with AsyncAmpClient(base_url=base_url, token="bench-token", max_response_bytes=LIMIT) as client:
            baseline = peak_rss_mb()
            results = await asyncio.gather(*(client.inputs() for _ in range(CALLS)), return_exceptions=True)
        kinds: dict[str, int] = {}
        for result in results:
            name = type(result).__name__
            kinds[name] = kinds.get(name, 0) + 1
        too_large = sum(isinstance(r, ResponseTooLarge) for r in results)
        return {"baseline_mb": baseline, "peak_rss_mb": peak_rss_mb(), "too_large": too_large, "kinds": kinds}

    print(json.dumps(asyncio.run(main())), flush=True)


def measure() -> dict[str, Any]:
    here = Path(__file__).resolve()
    server = subprocess.Popen([sys.executable, str(here), "server"], stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    try:
        _, port, compressed, inflated = server.stdout.readline().split()
        result = subprocess.run(
            [sys.executable, str(here), "client", f"http://127.0.0.1:{port}"],
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
        measured: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
        measured.update(compressed_mb=int(compressed) / 1e6, inflated_mb=int(inflated) / 1e6)
        return measured
    finally:
        server.terminate()
        server.wait(timeout=10)


def rows(quick: bool, Row: Any, interleaved: Any, summary: Any) -> list[Any]:
    measured = measure()
    name = (
        f"decompression bomb, {CALLS} concurrent calls, "
        f"{measured['compressed_mb']:.2f} MB gzip → {measured['inflated_mb']:.0f} MB"
    )
    return [
        Row(
            name,
            f"calls that raised ResponseTooLarge (max_response_bytes={LIMIT})",
            measured["too_large"],
            "",
            f"= {CALLS}",
            measured["too_large"] == CALLS,
            "",
            measured["kinds"],
        ),
        Row(
            name,
            "client peak RSS (VmHWM)",
            measured["peak_rss_mb"],
            "MB",
            "< 150 MB",
            measured["peak_rss_mb"] < 150,
            "",
            {"before_the_calls_mb": measured["baseline_mb"]},
        ),
    ]


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    if sys.argv[1:2] == ["server"]:
        server_main()
    elif sys.argv[1:2] == ["client"]:
        client_main(sys.argv[2])
    else:
        print(json.dumps(measure()))
