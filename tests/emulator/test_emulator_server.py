"""The one uvicorn setup the emulator and `webhooks listen` share: bound before it serves, and
limited against slow and oversized clients."""

from __future__ import annotations

import socket

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
