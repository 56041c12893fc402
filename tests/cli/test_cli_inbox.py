"""`crewai-amp webhooks inbox`: the counts of a Redis inbox, its dead letters, replaying them,
--json, and a Redis that cannot be reached (exit 3) or a URL that is not Redis (exit 2); the
URL's password never appears."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from crewai_amp.webhooks import RedisInbox, asgi_app
from support.cli import cli
from support.receiver import free_port, redis_server

TOKEN = "cli-inbox-t0ken"


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


def deliver(redis_url: str, stream: str, kickoff: str) -> None:
    """One delivery through a receiver (on its own event loop, with its own inbox client)."""
    body = json.dumps({"kickoff_id": kickoff, "result": "r", "token_usage": None}).encode()

    async def post() -> None:
        inbox = RedisInbox(redis_url, stream=stream)
        transport = httpx.ASGITransport(app=asgi_app(bearer_token=TOKEN, inbox=inbox))
        async with httpx.AsyncClient(transport=transport, base_url="http://r.test") as client:
            response = await client.post("/", content=body, headers={"authorization": f"Bearer {TOKEN}"})
            assert response.status_code == 200
        await inbox.aclose()

    asyncio.run(post())


def poison_one(inbox: RedisInbox) -> None:
    """Handle the queue with a handler that always fails, until one entry is dead."""
    import threading

    stop = threading.Event()

    def failing(event: Any) -> None:
        raise RuntimeError(f"cannot handle {event.kickoff_id}")

    worker = threading.Thread(target=inbox.work, kwargs={"on_crew": failing, "stop": stop}, daemon=True)
    worker.start()
    try:
        for _ in range(3000):
            if inbox.stats().dead:
                break
            stop.wait(0.02)
        else:
            pytest.fail("no dead letter")
    finally:
        stop.set()
        worker.join(60)


def test_counts_dead_letters_and_replay(redis_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    stream = "cli:inbox"
    inbox = RedisInbox(redis_url, stream=stream, max_attempts=1, claim_after=1, block=0.1)
    deliver(redis_url, stream, "k-dead")
    poison_one(inbox)
    deliver(redis_url, stream, "k-queued")
    run = cli(capsys, "webhooks", "inbox", "--redis", redis_url, "--stream", stream)
    assert run.code == 0
    assert "queued    1" in run.out and "pending   0  (0 retrying)" in run.out and "dead      1" in run.out
    assert "--replay" in run.err  # the hint

    listed = cli(capsys, "webhooks", "inbox", "--redis", redis_url, "--stream", stream, "--dead", "--json")
    document = listed.json()
    assert {k: document[k] for k in ("queued", "pending", "retrying", "dead")} == {
        "queued": 1,
        "pending": 0,
        "retrying": 0,
        "dead": 1,
    }
    (letter,) = document["dead_letters"]
    assert letter["error"] == "RuntimeError: cannot handle k-dead" and letter["attempts"] == 1
    assert json.loads(letter["body"])["kickoff_id"] == "k-dead" and letter["channel"] == "crew"

    prose = cli(capsys, "webhooks", "inbox", "--redis", redis_url, "--stream", stream, "--dead", "5")
    assert letter["id"] in prose.out and "RuntimeError: cannot handle k-dead" in prose.out

    replayed = cli(
        capsys, "webhooks", "inbox", "--redis", redis_url, "--stream", stream, "--replay", "--json"
    )
    assert (
        replayed.json()["replayed"] == 1 and replayed.json()["dead"] == 0 and replayed.json()["queued"] == 2
    )
    again = cli(
        capsys, "webhooks", "inbox", "--redis", redis_url, "--stream", stream, "--replay", letter["id"]
    )
    assert again.code == 0 and "replayed 0 dead letters" in again.out
    inbox.close()


def test_an_unreachable_redis_is_exit_3_without_the_password(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"redis://:pa55w0rd-secret@127.0.0.1:{free_port()}/0"
    run = cli(capsys, "webhooks", "inbox", "--redis", url, "--timeout", "1")
    assert run.code == 3 and "cannot read the inbox at redis://127.0.0.1:" in run.error_line()
    assert "pa55w0rd-secret" not in run.out + run.err
    as_json = cli(capsys, "webhooks", "inbox", "--redis", url, "--timeout", "1", "--json")
    assert as_json.code == 3 and as_json.error()["type"] == "InboxUnavailable"
    assert "pa55w0rd-secret" not in as_json.out + as_json.err


@pytest.mark.parametrize(
    "argv",
    [
        ["--redis", "http://not-redis"],
        [],
        ["--redis", "redis://127.0.0.1:1/0", "--dead", "0"],
        ["--redis", "redis://127.0.0.1:1/0", "--timeout", "-1"],
    ],
)
def test_usage_errors_are_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    run = cli(capsys, "webhooks", "inbox", *argv, "--json")
    assert run.code == 2 and run.error()["type"] == "UsageError"
