"""A rejected body is not read: against the receiver under uvicorn on 127.0.0.1, a raw socket
client that keeps sending after an early 413 (or 405, 401, 415) manages at most a few MB before
the server closes the connection."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.receiver import receiver_process

LIMIT_MB = 16  # what the client may push before the close: loopback socket buffers (autotuned up to ~10 MB) and uvicorn's read-ahead; about 3 MB here
CHUNK = b"x" * 65536
APP = """
from crewai_amp.webhooks import asgi_app
app = asgi_app(bearer_token="t0ken", max_body=1024 * 1024, on_task=lambda event: None)
"""


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory: Path = tmp_path_factory.mktemp("receiver")
    with receiver_process(directory, APP) as url:
        yield url


def flood(base_url: str, head: bytes, total: int = 200 * 1024 * 1024) -> tuple[int, bytes]:
    """Send ``head`` then body bytes until the server closes (or ``total`` is reached); return
    the body bytes sent and everything the server answered."""
    host, port = base_url.removeprefix("http://").split(":")
    sent = 0
    with socket.create_connection((host, int(port))) as client:
        client.settimeout(10)
        client.sendall(head)
        try:
            while sent < total:
                sent += client.send(CHUNK)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass
        answer = b""
        try:
            while chunk := client.recv(65536):
                answer += chunk
        except (ConnectionResetError, TimeoutError):
            pass
    return sent, answer


def request(method: str, headers: str) -> bytes:
    return f"{method} /hooks HTTP/1.1\r\nhost: 127.0.0.1\r\n{headers}\r\n".encode()


@pytest.mark.parametrize(
    ("head", "status"),
    [
        (request("POST", "authorization: Bearer t0ken\r\ncontent-length: 50000000000\r\n"), b"413"),
        (request("POST", "authorization: Bearer t0ken\r\ntransfer-encoding: chunked\r\n"), b"413"),
        (request("PUT", "authorization: Bearer t0ken\r\ncontent-length: 50000000000\r\n"), b"405"),
        (request("POST", "authorization: Bearer wrong\r\ncontent-length: 50000000000\r\n"), b"401"),
        (
            request(
                "POST", "authorization: Bearer t0ken\r\ncontent-type: text/plain\r\ncontent-length: 9\r\n"
            ),
            b"415",
        ),
    ],
    ids=["413-content-length", "413-streamed", "405", "401", "415"],
)
def test_after_an_early_refusal_the_server_reads_at_most_a_few_mb(
    base_url: str, head: bytes, status: bytes
) -> None:
    if b"chunked" in head:  # a valid chunked body: one endless chunk
        head += b"%x\r\n" % (200 * 1024 * 1024)
    sent, answer = flood(base_url, head)
    assert answer.startswith(b"HTTP/1.1 " + status), answer[:200]
    assert b"connection: close" in answer.lower()
    assert sent <= LIMIT_MB * 1024 * 1024, f"{sent / 1024 / 1024:.1f} MB accepted after the refusal"
