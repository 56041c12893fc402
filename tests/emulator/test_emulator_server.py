"""The one uvicorn setup the emulator and `webhooks listen` share: bound before it serves, and
limited against slow and oversized clients."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import httpx
import pytest
from crewai_amp.testing import AmpEmulator
from crewai_amp.testing._server import KEEP_ALIVE, MAX_HEAD, listening_socket, uvicorn_server
from support.emulator import client_for


def test_the_shared_server_has_the_slow_client_limits() -> None:
    async def app(scope: object, receive: object, send: object) -> None:  # never called
        raise AssertionError

    sock = listening_socket("127.0.0.1", 0)
    try:
        config = uvicorn_server(app, sock, lifespan=False).config
        assert config.timeout_keep_alive == KEEP_ALIVE
        assert config.h11_max_incomplete_event_size == MAX_HEAD
        assert config.server_header is False and config.proxy_headers is False
    finally:
        sock.close()


def test_a_port_in_use_is_an_oserror_in_the_caller() -> None:
    sock = listening_socket("127.0.0.1", 0)
    try:
        with pytest.raises(OSError):
            listening_socket("127.0.0.1", sock.getsockname()[1]).close()
    finally:
        sock.close()


def test_an_oversized_request_head_is_refused_and_the_emulator_keeps_serving() -> None:
    with AmpEmulator(scale=0.01) as amp:
        answer = b""
        with socket.create_connection(("127.0.0.1", amp.port), timeout=30) as raw:
            try:
                raw.sendall(
                    b"GET /inputs HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (MAX_HEAD * 2) + b"\r\n\r\n"
                )
                while chunk := raw.recv(65536):
                    answer += chunk
            except ConnectionResetError:
                pass  # the server answered and closed while the rest of the head was in flight
        # Refused (a 4xx, or the connection closed on the sender) and never served.
        assert answer == b"" or answer.startswith(b"HTTP/1.1 4"), answer[:80]
        assert amp.stats.requests["inputs"] == 0
        with client_for(amp) as http:
            assert http.get("/inputs").status_code == 200


# --- request bodies are bounded; an empty token is refused ------------------------------------


def big_kickoff(size: int) -> bytes:
    return json.dumps({"inputs": {"topic": "x" * size, "target_audience": "devs", "depth": "short"}}).encode()


def test_a_body_over_the_limit_is_a_413_before_it_is_read() -> None:
    with AmpEmulator(scale=0.01, max_body_bytes=10_000) as amp, client_for(amp) as http:
        answer = http.post(
            "/kickoff", content=big_kickoff(50_000), headers={"content-type": "application/json"}
        )
        assert answer.status_code == 413
        assert "max_body_bytes" in answer.json()["error"] and "10000" in answer.json()["error"]
        assert answer.headers["connection"] == "close"
        assert amp.kickoff_ids == []
        assert http.post(
            "/kickoff", content=big_kickoff(100), headers={"content-type": "application/json"}
        ).is_success


def test_a_streamed_body_without_a_length_is_cut_at_the_limit() -> None:
    sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal sent
        for _ in range(10_000):  # 640 MB if it were read whole
            sent += 65536
            yield b" " * 65536

    with AmpEmulator(scale=0.01, max_body_bytes=100_000) as amp, client_for(amp) as http:
        try:
            answer = http.post("/kickoff", content=chunks(), headers={"content-type": "application/json"})
            assert answer.status_code == 413
        except httpx.TransportError:
            pass  # the server answered and closed while the body was still being written
        assert sent < 100 * 65536  # refused long before the end
        assert amp.kickoff_ids == [] and amp.stats.responses.get(413) == 1
        with client_for(amp) as again:
            assert again.get("/inputs").status_code == 200  # and it keeps serving


def test_the_body_limit_holds_when_a_fault_reads_the_body() -> None:
    with AmpEmulator(scale=0.01, max_body_bytes=10_000) as amp, client_for(amp) as http:
        amp.faults.inject("error", route="kickoff")

        def chunks() -> Iterator[bytes]:
            yield from (b" " * 5000 for _ in range(10))

        answer = http.post("/kickoff", content=chunks(), headers={"content-type": "application/json"})
        assert answer.status_code == 413


@pytest.mark.parametrize("value", [0, -1, 1.5, True])
def test_max_body_bytes_must_be_a_positive_integer(value: object) -> None:
    with pytest.raises(ValueError, match="max_body_bytes"):
        AmpEmulator(max_body_bytes=value)  # type: ignore[arg-type]


@pytest.mark.parametrize("token", ["", "   "])
def test_an_empty_token_is_refused(token: str) -> None:
    with pytest.raises(ValueError, match="non-empty"):
        AmpEmulator(token=token)
