"""A minimal keep-alive HTTP server answering GET /status/<id> with the spec's `completed`
example — the fixed point both the SDK and raw httpx are measured against.

Run as a separate process so its CPU time is not charged to the client being measured:
    python tests/bench/status_server.py   # prints "PORT <n>" once listening on 127.0.0.1
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from pathlib import Path
from typing import Any

import uvicorn
import yaml

SPEC = Path(__file__).resolve().parents[2] / "specs" / "crewai-amp-rest-api.openapi.yml"


def completed_example() -> bytes:
    spec = yaml.safe_load(SPEC.read_text("utf-8"))
    content = spec["paths"]["/status/{kickoff_id}"]["get"]["responses"]["200"]["content"]
    return json.dumps(content["application/json"]["examples"]["completed"]["value"]).encode()


BODY = completed_example()
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})


def main() -> None:
    # IPPROTO_TCP: asyncio then sets TCP_NODELAY on accepted connections; without it every
    # keep-alive answer waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", http="h11")
    asyncio.run(uvicorn.Server(config).serve(sockets=[sock]))


if __name__ == "__main__":
    sys.exit(main())
