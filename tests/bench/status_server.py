"""A minimal keep-alive HTTP server answering every request with the spec's `completed` status
example — the fixed point both the SDK and raw httpx are measured against.

Each answer is written in one segment (status line, headers and body in one write), as most
production servers do for a small body: the per-call figure then measures the client, not a
server that sends its headers and its body in two TCP segments (uvicorn's h11 writer does),
which costs each client an extra read and turn of its event loop.

Run as a separate process so its CPU time is not charged to the client being measured:
    python tests/bench/status_server.py   # prints "PORT <n>" once listening on 127.0.0.1
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from pathlib import Path

import yaml

SPEC = Path(__file__).resolve().parents[2] / "specs" / "crewai-amp-rest-api.openapi.yml"


def completed_example() -> bytes:
    spec = yaml.safe_load(SPEC.read_text("utf-8"))
    content = spec["paths"]["/status/{kickoff_id}"]["get"]["responses"]["200"]["content"]
    return json.dumps(content["application/json"]["examples"]["completed"]["value"]).encode()


BODY = completed_example()
ANSWER = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
    + str(len(BODY)).encode()
    + b"\r\n\r\n"
    + BODY
)


class Answer(asyncio.Protocol):
    """One answer per request head received (GET requests: no body to skip)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.pending = b""

    def data_received(self, data: bytes) -> None:
        self.pending += data
        while (end := self.pending.find(b"\r\n\r\n")) >= 0:
            self.pending = self.pending[end + 4 :]
            self.transport.write(ANSWER)


async def serve(sock: socket.socket) -> None:
    server = await asyncio.get_running_loop().create_server(Answer, sock=sock)
    async with server:
        await server.serve_forever()


def main() -> None:
    # IPPROTO_TCP: asyncio then sets TCP_NODELAY on accepted connections; without it every
    # keep-alive answer waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    asyncio.run(serve(sock))


if __name__ == "__main__":
    sys.exit(main())
