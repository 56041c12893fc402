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


# --- a half-sent request is timed out -----------------------------------------------------------

SLOW_APP = """
from crewai_amp.webhooks import asgi_app
app = asgi_app(bearer_token="t0ken", body_timeout=1, on_task=lambda event: None)
"""


def test_a_half_sent_body_gets_408_and_the_connection_is_closed(tmp_path: Path) -> None:
    # Before: the receiver waited for the rest of the body forever (uvicorn times out only idle
    # keep-alive connections).
    with receiver_process(tmp_path, SLOW_APP) as url:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port))) as client:
            client.settimeout(60)  # generous: the receiver's deadline is 1 s
            client.sendall(request("POST", "authorization: Bearer t0ken\r\ncontent-length: 100\r\n"))
            client.sendall(b'{"kickoff_id": ')  # ...and nothing more
            answer = b""
            try:
                while chunk := client.recv(65536):
                    answer += chunk
            except TimeoutError:
                pytest.fail(f"no answer to a half-sent body; got {answer!r}")
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"connection: close" in answer.lower() and b"did not arrive within 1 s" in answer


async def test_a_body_that_never_ends_is_cut_off_by_the_deadline_in_asgi() -> None:
    import asyncio

    from crewai_amp.webhooks import asgi_app

    app = asgi_app(bearer_token="t0ken", body_timeout=0.2, on_task=lambda event: None)
    sent: list[dict[str, object]] = []
    messages = [{"type": "http.request", "body": b"{", "more_body": True}]

    async def receive() -> dict[str, object]:
        if messages:
            return messages.pop()
        await asyncio.Event().wait()  # the client never sends the rest
        raise AssertionError("unreachable")

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/", "headers": [(b"authorization", b"Bearer t0ken")]}
    await asyncio.wait_for(app(scope, receive, send), 30)
    assert sent[0]["status"] == 408


# --- JSON nested too deep ---------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [201, 250, 5000])
async def test_json_nested_too_deep_is_a_clear_permanent_400(depth: int) -> None:
    # Before: valid JSON 250 deep got a 400 calling it "not JSON".
    import httpx
    from crewai_amp.webhooks import asgi_app

    app = asgi_app(bearer_token="t0ken", on_crew=lambda event: None)
    body = b'{"kickoff_id": "k", "status": "completed", "meta": {"a": ' + b"[" * depth + b"]" * depth + b"}}"
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://r.test") as client:
        for channel_path in ("/", "/crew"):
            response = await client.post(
                channel_path, content=body, headers={"authorization": "Bearer t0ken"}
            )
            assert response.status_code == 400
            error = response.json()["error"]
            assert "nested too deeply" in error and "not JSON" not in error


def test_json_nested_up_to_the_limit_parses() -> None:
    from crewai_amp.webhooks import parse_event

    depth = 198  # with the object and "meta" around it: 200 levels
    body = b'{"kickoff_id": "k", "status": "completed", "meta": {"a": ' + b"[" * depth + b"]" * depth + b"}}"
    assert parse_event(body).kickoff_id == "k"


# --- configuration that cannot work is refused at once -----------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"basic_auth": ("amp", "")},
        {"basic_auth": ("", "pw")},
        {"basic_auth": ("a:b", "pw")},
        {"bearer_token": "t0ken "},
        {"bearer_token": " t0ken"},
        {"bearer_token": "t0ken\n"},
        {"bearer_token": ""},
        {"bearer_token": "   "},
        {"flow_feedback_secret": "whsec_abc "},
        {"flow_feedback_secret": ""},
        {"bearer_token": "t0ken", "body_timeout": 0},
        {"bearer_token": "t0ken", "store_timeout": -1},
    ],
    ids=lambda kwargs: repr(kwargs),
)
def test_unusable_credentials_are_refused_at_config(kwargs: dict[str, object]) -> None:
    # Before: an empty basic password and a bearer token with a trailing space were accepted,
    # and every delivery then failed.
    from crewai_amp import ConfigurationError
    from crewai_amp.webhooks import asgi_app

    with pytest.raises(ConfigurationError) as raised:
        asgi_app(on_task=lambda event: None, **kwargs)  # type: ignore[arg-type]
    for value in ("t0ken", "abc"):
        assert value not in str(raised.value)  # the secret is never echoed
