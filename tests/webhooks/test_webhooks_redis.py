"""RedisDedupe against a real redis-server on 127.0.0.1 (started and stopped here): the atomic
claim, complete and release, the in-progress expiry, and two receiver processes (uvicorn) sharing
one Redis under concurrent duplicate deliveries, each delivery handled exactly once."""

from __future__ import annotations

import asyncio
import base64
import json
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from crewai_amp import ConfigurationError
from crewai_amp.webhooks import DedupeStore, RedisDedupe, asgi_app, sign
from support.receiver import receiver_process, redis_process, redis_server

SECRET = "whsec_" + base64.b64encode(b"redis-dedupe-test-secret-32byte!").decode()
TASK = json.dumps({"kickoff_id": "k", "task_id": "t", "status": "completed"}).encode()
TOKEN = "redis-t0ken"
IDS = 300


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture
async def store(redis_url: str, request: pytest.FixtureRequest) -> AsyncIterator[RedisDedupe]:
    dedupe = RedisDedupe(redis_url, lease=0.5, prefix=f"test:{request.node.name}:")
    yield dedupe
    await dedupe.aclose()


async def test_claim_complete_release(store: RedisDedupe) -> None:
    assert isinstance(store, DedupeStore)
    token = await store.claim("a")
    assert isinstance(token, str) and token
    assert await store.claim("a") is None  # being handled
    await store.complete("a", token)
    assert await store.claim("a") is False  # handled
    other = await store.claim("b")
    assert isinstance(other, str)
    await store.release("b", other)
    assert isinstance(await store.claim("b"), str)  # released: the retry takes it


async def test_a_claim_whose_holder_died_frees_itself(store: RedisDedupe) -> None:
    assert isinstance(await store.claim("c"), str)
    for _ in range(100):  # the 0.5 s lease, polled
        if isinstance(await store.claim("c"), str):
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail("the lease never expired")


async def test_a_renewed_claim_outlives_its_lease(store: RedisDedupe) -> None:
    token = await store.claim("r")
    assert isinstance(token, str)
    for _ in range(6):  # 1.2 s: well past the 0.5 s lease, renewed on the way
        await asyncio.sleep(0.2)
        assert await store.renew("r", token) is True
        assert await store.claim("r") is None
    assert await store.renew("r", "not-my-token") is False


async def test_a_late_release_does_not_free_a_claim_taken_over_since(redis_url: str) -> None:
    # One store, as in one receiver serving concurrent requests: each claim has its own token
    # (before, the store kept one token per key, and the late release freed the live claim).
    store = RedisDedupe(redis_url, lease=0.2, prefix="late:")
    try:
        first = await store.claim("k")
        assert isinstance(first, str)
        for _ in range(100):  # first's 0.2 s lease lapses; a second request takes the key
            second = await store.claim("k")
            if isinstance(second, str):
                break
            await asyncio.sleep(0.05)
        else:
            pytest.fail("the lease never expired")
        await store.release("k", first)  # too late: must not delete the second claim
        assert await store.claim("k") is None
        assert await store.renew("k", first) is False and await store.renew("k", second) is True
    finally:
        await store.aclose()


async def test_concurrent_claims_of_one_key_have_one_winner(store: RedisDedupe) -> None:
    results = await asyncio.gather(*(store.claim("race") for _ in range(50)))
    assert sum(isinstance(r, str) for r in results) == 1 and results.count(None) == 49


@pytest.mark.parametrize("ttl", [1, 599])
def test_a_ttl_shorter_than_the_replay_window_is_refused(redis_url: str, ttl: float) -> None:
    # A signed delivery verifies for 300 s either side of its timestamp: a key forgotten sooner
    # than 600 s lets a replay be handled twice.
    with pytest.raises(ConfigurationError, match="replay window"):
        RedisDedupe(redis_url, ttl=ttl)
    store = RedisDedupe(redis_url, ttl=200, tolerance=100)  # covers its own tolerance...
    with pytest.raises(ConfigurationError, match="replay window"):
        asgi_app(secret=SECRET, on_task=print, dedupe=store)  # ...not the receiver's 300 s


async def test_the_receiver_with_redis_handles_a_failure_on_the_retry(redis_url: str) -> None:
    calls: list[str] = []

    def flaky(event: object) -> None:
        calls.append("call")
        if len(calls) == 1:
            raise RuntimeError("first attempt fails")

    store = RedisDedupe(redis_url, prefix="retry:")
    app = asgi_app(secret=SECRET, on_task=flaky, dedupe=store)
    body = json.dumps({"kickoff_id": "k", "task_id": "t", "status": "completed"}).encode()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://r.test") as client:
        statuses = [
            (
                await client.post("/", content=body, headers=sign(body, secret=SECRET, msg_id="msg_r"))
            ).status_code
            for _ in range(3)
        ]
    await store.aclose()
    assert statuses == [500, 200, 200] and len(calls) == 2


async def post_signed(app: object, msg_id: str, body: bytes = TASK) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://r.test") as client:
        return await client.post("/", content=body, headers=sign(body, secret=SECRET, msg_id=msg_id))


async def test_a_claim_written_during_a_redis_stall_blocks_the_key_for_one_lease_at_most() -> None:
    # Redis paused mid-claim: the receiver gives up after store_timeout and answers 503, and the
    # claim lands when Redis resumes. Before, that claim blocked every retry (409) for 120 s.
    calls: list[object] = []
    with redis_process() as server:
        store = RedisDedupe(server.url, prefix="stall:")
        app = asgi_app(secret=SECRET, on_task=calls.append, dedupe=store, store_timeout=0.5, dedupe_wait=0.1)
        assert (
            await post_signed(app, "msg_warm")
        ).status_code == 200  # a pooled connection: the claim is written
        server.pause()
        try:
            stalled = await post_signed(app, "msg_stall")
        finally:
            server.resume()
        assert stalled.status_code == 503 and stalled.headers["retry-after"]
        statuses = []
        deadline = asyncio.get_running_loop().time() + 60  # generous: the lease is 10 s
        while not statuses or statuses[-1] != 200:
            assert asyncio.get_running_loop().time() < deadline, f"still refused: {statuses[-5:]}"
            statuses.append((await post_signed(app, "msg_stall")).status_code)
            await asyncio.sleep(0.5)
        await store.aclose()
    assert set(statuses) <= {409, 200} and len(calls) == 2  # the warm-up and the stalled one


async def test_a_handler_slower_than_the_lease_keeps_its_claim(redis_url: str) -> None:
    # Two replicas: the first handler runs three leases long. Before, its claim lapsed after
    # pending_ttl and the second replica handled the same delivery again.
    calls: list[str] = []
    started, finish = asyncio.Event(), asyncio.Event()

    async def slow(event: object) -> None:
        calls.append("slow")
        started.set()
        await finish.wait()

    # A lease well above what a loaded machine can stall the renewals for (every lease / 3).
    stores = [RedisDedupe(redis_url, lease=3, prefix="slow:") for _ in range(2)]
    first = asgi_app(secret=SECRET, on_task=slow, dedupe=stores[0])
    second = asgi_app(secret=SECRET, on_task=calls.append, dedupe=stores[1], dedupe_wait=0.2)
    running = asyncio.create_task(post_signed(first, "msg_slow"))
    await asyncio.wait_for(started.wait(), 30)
    answers = []
    for _ in range(4):  # over six seconds: past the first lease twice
        await asyncio.sleep(1.5)
        answers.append((await post_signed(second, "msg_slow")).status_code)
    finish.set()
    assert (await running).status_code == 200
    assert answers == [409] * 4 and calls == ["slow"]
    assert (await post_signed(second, "msg_slow")).json()["status"] == "duplicate"
    for store in stores:
        await store.aclose()


@pytest.mark.parametrize(
    "bad",
    [5, None, object(), "http://not-redis", {"url": "redis://x"}],
    ids=["int", "none", "obj", "http", "dict"],
)
def test_unusable_redis_arguments_are_configuration_errors(bad: object) -> None:
    with pytest.raises(ConfigurationError):
        RedisDedupe(bad)


async def test_a_client_that_decodes_responses_works_too(redis_url: str) -> None:
    import redis.asyncio

    client = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
    store = RedisDedupe(client, prefix="decoded:")
    try:
        token = await store.claim("d")
        assert isinstance(token, str)
        assert await store.renew("d", token) is True
        await store.complete("d", token)
        assert await store.claim("d") is False
    finally:
        await client.aclose()


async def test_an_unreachable_redis_is_a_503_and_nothing_is_handled() -> None:
    from support.receiver import free_port

    calls: list[object] = []
    store = RedisDedupe(f"redis://127.0.0.1:{free_port()}/0")
    app = asgi_app(bearer_token=TOKEN, on_crew=calls.append, dedupe=store)
    body = json.dumps({"kickoff_id": "k", "status": "completed"}).encode()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://r.test") as client:
        response = await client.post("/", content=body, headers={"authorization": f"Bearer {TOKEN}"})
    await store.aclose()
    assert response.status_code == 503 and "dedupe store" in response.json()["error"] and calls == []


def test_the_repr_hides_the_url_password() -> None:
    store = RedisDedupe("redis://:s3cret-pw@127.0.0.1:1/0")
    assert "s3cret-pw" not in repr(store)


APP = """
import os
from crewai_amp.webhooks import RedisDedupe, asgi_app

LOG = {log!r}

def record(event):
    line = getattr(event, "kickoff_id", None) or event.id
    with open(LOG, "a", encoding="utf-8") as handled:
        handled.write(f"{{line}} {{os.getpid()}}\\n")
    if line.startswith("fail-") and not os.path.exists(LOG + "." + line):
        open(LOG + "." + line, "w").close()
        raise RuntimeError("the first attempt of " + line + " fails")

app = asgi_app(
    secret={secret!r},
    on_crew=record,
    dedupe=RedisDedupe({url!r}, prefix="replicas:"),
)
"""


def test_two_receiver_processes_sharing_redis_handle_each_delivery_exactly_once(
    redis_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "handled.log"
    app = APP.format(log=str(log), secret=SECRET, url=redis_url)
    with receiver_process(tmp_path, app) as first, receiver_process(tmp_path, app) as second:
        outcomes = asyncio.run(_deliver_everything_three_times(first, second))
    lines = log.read_text("utf-8").splitlines()
    handled = Counter(line.split()[0] for line in lines)
    pids = {line.split()[1] for line in lines}
    ok = [f"run-{i}" for i in range(IDS)]
    failing = [f"fail-{i}" for i in range(10)]
    assert {k: n for k, n in handled.items() if k in ok and n != 1} == {}
    assert set(handled) == {*ok, *failing}
    assert all(handled[k] == 2 for k in failing)  # the failed first attempt, then the retry
    assert len(pids) == 2  # both replicas took part
    assert outcomes["5xx-then-ok"] == len(failing)


async def _deliver_everything_three_times(*urls: str) -> dict[str, int]:
    """Each id: three copies at once (same webhook-id, fresh signatures), spread over both
    replicas; an id whose handler fails first is redelivered until a 200, like a sender would."""
    limits = httpx.Limits(max_connections=60)
    outcomes: Counter[str] = Counter()
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        gate = asyncio.Semaphore(60)

        async def deliver(index: int, kickoff: str) -> int:
            body = json.dumps({"kickoff_id": kickoff, "status": "completed"}).encode()
            headers = sign(body, secret=SECRET, msg_id=f"msg_{kickoff}")
            async with gate:
                response = await client.post(urls[index % 2], content=body, headers=headers)
            return response.status_code

        async def with_retries(index: int, kickoff: str) -> None:
            statuses = [await deliver(index, kickoff)]
            while statuses[-1] != 200:
                statuses.append(await deliver(index + 1, kickoff))
            if statuses[0] >= 500:
                outcomes["5xx-then-ok"] += 1

        ids = [f"run-{i}" for i in range(IDS)] + [f"fail-{i}" for i in range(10)]
        await asyncio.gather(*(with_retries(copy, kickoff) for kickoff in ids for copy in range(3)))
    return dict(outcomes)
