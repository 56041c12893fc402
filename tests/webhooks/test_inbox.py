"""RedisInbox against a real redis-server on 127.0.0.1 (started and stopped here), in process:
the receiver stores before it answers, workers acknowledge after success, failures are retried
with backoff, dead letters are listed and replayed, a key is handled once, and an entry whose
worker vanished is taken over. Processes, kills and outages: test_inbox_chaos.py."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from crewai_amp import ConfigurationError
from crewai_amp.webhooks import DeadLetter, InboxStats, RedisInbox, asgi_app, sign
from crewai_amp_events import HumanInputRequestedPayload, LegacyCrewCompletedPayload
from support.receiver import free_port, redis_process, redis_server

SECRET = "whsec_" + base64.b64encode(b"inbox-test-secret-32-bytes-long!").decode()
TOKEN = "inbox-t0ken"
DEADLINE = 60.0  # seconds any condition may take on a loaded machine


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture
def inbox(redis_url: str, request: pytest.FixtureRequest) -> Iterator[RedisInbox]:
    box = RedisInbox(redis_url, stream=f"test:{request.node.name}", claim_after=1.0, backoff=0.05, block=0.1)
    yield box
    box.close()


def crew(kickoff: str) -> bytes:
    return json.dumps({"kickoff_id": kickoff, "result": "done", "token_usage": None}).encode()


async def post(app: Any, body: bytes, headers: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://receiver.test") as client:
        return await client.post("/hooks", content=body, headers=headers)


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


class Worker:
    """``inbox.work(...)`` in a thread, stopped by an Event."""

    def __init__(self, inbox: RedisInbox, **handlers: Any) -> None:
        self.stop = threading.Event()
        self.errors: list[BaseException] = []

        def run() -> None:
            try:
                inbox.work(stop=self.stop, **handlers)
            except BaseException as exc:
                self.errors.append(exc)

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(DEADLINE)
        assert not self.thread.is_alive() and not self.errors


async def test_the_receiver_stores_and_a_worker_handles_once(inbox: RedisInbox) -> None:
    app = asgi_app(secret=SECRET, inbox=inbox)
    body = crew("k-1")
    headers = sign(body, secret=SECRET, msg_id="msg_1")
    first = await post(app, body, headers)
    assert first.status_code == 200 and first.json() == {"status": "queued", "channel": "crew"}
    assert (await post(app, body, sign(body, secret=SECRET, msg_id="msg_1"))).json()["status"] == "duplicate"
    assert inbox.stats() == InboxStats(queued=1, pending=0, retrying=0, dead=0)
    handled: list[Any] = []
    worker = Worker(inbox, on_crew=handled.append)
    try:
        wait_for(
            lambda: inbox.stats() == InboxStats(0, 0, 0, 0) and len(handled) == 1, "the entry to be handled"
        )
    finally:
        worker.close()
    assert isinstance(handled[0], LegacyCrewCompletedPayload) and handled[0].kickoff_id == "k-1"
    assert (await post(app, body, sign(body, secret=SECRET, msg_id="msg_1"))).json()["status"] == "duplicate"


async def test_a_streamed_batch_becomes_one_entry_per_event_routed_by_type(inbox: RedisInbox) -> None:
    app = asgi_app(bearer_token=TOKEN, inbox=inbox)
    events = [
        {
            "id": f"e{n}",
            "execution_id": "x",
            "timestamp": "2026-10-01T10:00:00Z",
            "type": kind,
            "data": {"n": n, "big": 10**30},
        }
        for n, kind in enumerate(["task_completed", "llm_stream_chunk", "task_completed"])
    ]
    body = json.dumps({"events": events}).encode()
    answer = await post(app, body, {"authorization": f"Bearer {TOKEN}"})
    assert answer.json() == {"status": "queued", "channel": "stream", "queued": 3, "duplicates": 0}
    again = await post(app, body, {"authorization": f"Bearer {TOKEN}"})
    assert again.json() == {"status": "duplicate", "channel": "stream", "queued": 0, "duplicates": 3}
    completed: list[Any] = []
    other: list[Any] = []
    worker = Worker(inbox, on_events={"task_completed": completed.append}, on_event=other.append)
    try:
        wait_for(lambda: len(completed) + len(other) == 3, "three events")
    finally:
        worker.close()
    assert [e.id for e in completed] == ["e0", "e2"] and [e.id for e in other] == ["e1"]
    assert completed[0].data == {"n": 0, "big": 10**30}  # every value kept as sent


async def test_a_failure_is_retried_with_backoff_then_acknowledged(inbox: RedisInbox) -> None:
    app = asgi_app(bearer_token=TOKEN, inbox=inbox)
    await post(app, crew("k-flaky"), {"authorization": f"Bearer {TOKEN}"})
    attempts: list[float] = []

    def flaky(event: Any) -> None:
        attempts.append(time.monotonic())
        if len(attempts) < 3:
            raise RuntimeError(f"attempt {len(attempts)} fails")

    worker = Worker(inbox, on_crew=flaky)
    try:
        wait_for(lambda: len(attempts) == 3 and inbox.stats().pending == 0, "the third attempt")
    finally:
        worker.close()
    assert inbox.stats() == InboxStats(0, 0, 0, 0)


def test_the_backoff_doubles_and_never_passes_claim_after(redis_url: str) -> None:
    config = RedisInbox(redis_url, backoff=1.0, claim_after=30.0).config
    delays = [config.retry_in(attempt) for attempt in range(1, 8)]
    for attempt, delay in enumerate(delays[:5], start=1):
        assert 0.9 * 2 ** (attempt - 1) <= delay <= 1.1 * 2 ** (attempt - 1)
    assert delays[-1] == 30.0


async def test_after_max_attempts_an_entry_is_dead_with_its_error_and_can_be_replayed(redis_url: str) -> None:
    inbox = RedisInbox(
        redis_url, stream="test:dead", claim_after=1.0, backoff=0.02, block=0.1, max_attempts=2
    )
    app = asgi_app(bearer_token=TOKEN, inbox=inbox)
    await post(app, crew("k-poison"), {"authorization": f"Bearer {TOKEN}"})
    calls: list[str] = []

    def poison(event: Any) -> None:
        calls.append(event.kickoff_id)
        raise ValueError("cannot handle k-poison")

    worker = Worker(inbox, on_crew=poison)
    try:
        wait_for(lambda: inbox.stats().dead == 1, "the dead letter")
    finally:
        worker.close()
    assert calls == ["k-poison", "k-poison"]
    assert inbox.stats() == InboxStats(queued=0, pending=0, retrying=0, dead=1)
    (dead,) = inbox.dead()
    assert isinstance(dead, DeadLetter) and dead.attempts == 2 and dead.channel == "crew"
    assert (
        dead.error == "ValueError: cannot handle k-poison"
        and json.loads(dead.body)["kickoff_id"] == "k-poison"
    )
    assert inbox.replay() == 1 and inbox.stats() == InboxStats(queued=1, pending=0, retrying=0, dead=0)
    fixed: list[Any] = []
    worker = Worker(inbox, on_crew=fixed.append)
    try:
        wait_for(lambda: len(fixed) == 1 and inbox.stats() == InboxStats(0, 0, 0, 0), "the replayed entry")
    finally:
        worker.close()
    assert inbox.replay(["0-1"]) == 0  # an unknown id: nothing happens
    inbox.close()


async def test_an_entry_held_by_a_vanished_worker_is_taken_over(inbox: RedisInbox) -> None:
    app = asgi_app(bearer_token=TOKEN, inbox=inbox)
    await post(app, crew("k-orphan"), {"authorization": f"Bearer {TOKEN}"})
    client = inbox.sync_client()
    client.xgroup_create(inbox.stream, inbox.group, id="0", mkstream=True)
    taken = client.xreadgroup(inbox.group, "vanished", {inbox.stream: ">"}, count=1)  # read, never acked
    assert len(taken[0][1]) == 1 and inbox.stats().pending == 1
    handled: list[Any] = []
    worker = Worker(inbox, on_crew=handled.append)
    try:
        wait_for(lambda: len(handled) == 1 and inbox.stats().pending == 0, "the take-over after claim_after")
    finally:
        worker.close()


def test_a_handler_slower_than_claim_after_keeps_its_entry(redis_url: str) -> None:
    # claim_after well above what a loaded machine can stall the heartbeat for (it renews every
    # claim_after / 3): a take-over here would be a missed renewal, not a slow machine.
    inbox = RedisInbox(redis_url, stream="test:slow-handler", claim_after=3.0, backoff=0.05, block=0.1)
    app = asgi_app(bearer_token=TOKEN, inbox=inbox)
    asyncio.run(post(app, crew("k-slow"), {"authorization": f"Bearer {TOKEN}"}))
    calls: list[str] = []
    started, finish = threading.Event(), threading.Event()

    def slow(event: Any) -> None:
        calls.append("slow")
        started.set()
        finish.wait(DEADLINE)

    first, second = Worker(inbox, on_crew=slow), Worker(inbox, on_crew=slow)
    try:
        assert started.wait(DEADLINE)
        time.sleep(2 * inbox.config.claim_after)  # twice claim_after: renewed, never taken over
        assert calls == ["slow"]
        finish.set()
        wait_for(lambda: inbox.stats() == InboxStats(0, 0, 0, 0), "the slow entry to be acknowledged")
    finally:
        finish.set()
        first.close()
        second.close()
        inbox.close()
    assert calls == ["slow"]


async def test_a_key_already_handled_is_acknowledged_without_running(inbox: RedisInbox) -> None:
    app = asgi_app(bearer_token=TOKEN, inbox=inbox)
    handled: list[Any] = []
    await post(app, crew("k-once"), {"authorization": f"Bearer {TOKEN}"})
    worker = Worker(inbox, on_crew=handled.append)
    try:
        wait_for(lambda: len(handled) == 1 and inbox.stats().pending == 0, "the first entry")
        # The stored-once marker is gone (expired, or cleared by hand): a copy is stored again,
        # and the handled-once record skips it.
        client = inbox.sync_client()
        client.delete(*client.keys(f"{inbox.stream}:seen:*"))
        assert (await post(app, crew("k-once"), {"authorization": f"Bearer {TOKEN}"})).json()[
            "status"
        ] == "queued"
        wait_for(lambda: inbox.stats() == InboxStats(0, 0, 0, 0), "the copy to be acknowledged")
    finally:
        worker.close()
    assert len(handled) == 1


async def test_awork_is_the_async_twin(inbox: RedisInbox) -> None:
    app = asgi_app(bearer_token=TOKEN, inbox=inbox)
    human = {
        "kickoff_id": "k",
        "execution_id": "k",
        "task_id": "t-uuid",
        "task_output": "draft",
        "meta": None,
    }
    await post(app, json.dumps(human).encode(), {"authorization": f"Bearer {TOKEN}"})
    await post(app, crew("k-async"), {"authorization": f"Bearer {TOKEN}"})
    seen: list[Any] = []
    stop = asyncio.Event()

    async def on_human_input(event: Any) -> None:
        seen.append(event)

    def on_crew(event: Any) -> None:  # a sync handler runs in a thread
        seen.append(event)

    task = asyncio.create_task(inbox.awork(on_human_input=on_human_input, on_crew=on_crew, stop=stop))
    deadline = time.monotonic() + DEADLINE
    while len(seen) < 2 or (await inbox.astats()).pending:
        assert time.monotonic() < deadline and not task.done()
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, DEADLINE)
    assert {type(e) for e in seen} == {HumanInputRequestedPayload, LegacyCrewCompletedPayload}
    assert await inbox.astats() == InboxStats(0, 0, 0, 0) and await inbox.adead() == []
    assert await inbox.areplay() == 0
    await inbox.aclose()


async def test_redis_unreachable_is_a_503_with_retry_after() -> None:
    inbox = RedisInbox(f"redis://127.0.0.1:{free_port()}/0", put_timeout=1)
    app = asgi_app(bearer_token=TOKEN, inbox=inbox)
    response = await post(app, crew("k"), {"authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 503 and response.headers["retry-after"] == "1"
    assert response.json() == {"error": "the webhook inbox is unavailable"}


async def test_redis_paused_is_a_503_and_the_retry_is_not_blocked() -> None:
    with redis_process() as server:
        inbox = RedisInbox(server.url, put_timeout=0.5, claim_after=1.0, block=0.1)
        app = asgi_app(bearer_token=TOKEN, inbox=inbox)
        headers = {"authorization": f"Bearer {TOKEN}"}
        server.pause()
        try:
            paused = await post(app, crew("k-paused"), headers)
        finally:
            server.resume()
        assert paused.status_code == 503
        retry = await post(app, crew("k-paused"), headers)  # stored now, or already by the late write
        assert retry.status_code == 200 and retry.json()["status"] in ("queued", "duplicate")
        assert inbox.stats().queued == 1
        await inbox.aclose()


def test_configuration_is_checked(redis_url: str) -> None:
    for kwargs in (
        {"claim_after": 0},
        {"max_attempts": 0},
        {"max_attempts": 1.5},
        {"backoff": -1},
        {"ttl": 599},
        {"stream": ""},
        {"group": " g"},
        {"put_timeout": 0},
    ):
        with pytest.raises(ConfigurationError):
            RedisInbox(redis_url, **kwargs)  # type: ignore[arg-type]
    for bad in (5, None, object(), "http://not-redis"):
        with pytest.raises(ConfigurationError):
            RedisInbox(bad)
    inbox = RedisInbox(redis_url)
    with pytest.raises(ConfigurationError, match="workers"):
        asgi_app(bearer_token=TOKEN, inbox=inbox, on_crew=print)
    with pytest.raises(ConfigurationError, match="replay window"):
        asgi_app(bearer_token=TOKEN, inbox=RedisInbox(redis_url, ttl=700, tolerance=100), tolerance=400)
    with pytest.raises(ConfigurationError, match="stop"):
        inbox.work(on_crew=print, stop=5)
    with pytest.raises(ConfigurationError, match="consumer"):
        inbox.work(on_crew=print, consumer="")
    with pytest.raises(TypeError, match="work\\(\\) got an unexpected keyword argument 'on_crews'"):
        inbox.work(on_crews=print)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="awork\\(\\) got an unexpected keyword argument 'on_tsk'"):
        asyncio.run(inbox.awork(on_tsk=print))  # type: ignore[call-arg]
    assert "s3cret" not in repr(RedisInbox("redis://:s3cret@127.0.0.1:1/0"))


async def test_clients_of_either_kind_and_decoded_responses_work(redis_url: str) -> None:
    import redis
    import redis.asyncio

    for client in (
        redis.Redis.from_url(redis_url, decode_responses=True),
        redis.asyncio.Redis.from_url(redis_url),
    ):
        inbox = RedisInbox(
            client, stream=f"test:clients:{type(client).__module__}", claim_after=1.0, block=0.1
        )
        app = asgi_app(bearer_token=TOKEN, inbox=inbox)
        assert (await post(app, crew("k-c"), {"authorization": f"Bearer {TOKEN}"})).status_code == 200
        handled: list[Any] = []
        worker = Worker(inbox, on_crew=handled.append)
        try:
            wait_for(
                lambda handled=handled, inbox=inbox: (
                    len(handled) == 1 and inbox.stats() == InboxStats(0, 0, 0, 0)
                ),
                "the entry",
            )
        finally:
            worker.close()
        inbox.close()
        await inbox.aclose()


def test_entries_waiting_behind_a_slow_handler_go_to_another_worker_once(redis_url: str) -> None:
    # A worker reads a batch; its first handler is slow. The rest of the batch is not held
    # hostage: another worker takes it over after claim_after, and the slow worker, when it
    # gets to those entries, sees they are no longer its own and does not run them again.
    inbox = RedisInbox(redis_url, stream="test:batch", claim_after=1.0, backoff=0.05, block=0.1, batch=5)
    app = asgi_app(bearer_token=TOKEN, inbox=inbox)
    for kickoff in ("k-slow", "k-2", "k-3"):
        asyncio.run(post(app, crew(kickoff), {"authorization": f"Bearer {TOKEN}"}))
    calls: list[tuple[str, str]] = []
    started, finish = threading.Event(), threading.Event()

    def slow_worker(event: Any) -> None:
        calls.append(("slow", event.kickoff_id))
        if event.kickoff_id == "k-slow":
            started.set()
            finish.wait(DEADLINE)

    first = Worker(inbox, on_crew=slow_worker)
    assert started.wait(DEADLINE)
    second = Worker(inbox, on_crew=lambda event: calls.append(("second", event.kickoff_id)))
    try:
        wait_for(lambda: {("second", "k-2"), ("second", "k-3")} <= set(calls), "the take-over")
        finish.set()
        wait_for(lambda: inbox.stats() == InboxStats(0, 0, 0, 0), "the inbox to drain")
    finally:
        finish.set()
        first.close()
        second.close()
        inbox.close()
    assert sorted(calls) == [("second", "k-2"), ("second", "k-3"), ("slow", "k-slow")]
