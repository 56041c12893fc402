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
from support.receiver import receiver_process, redis_server

SECRET = "whsec_" + base64.b64encode(b"redis-dedupe-test-secret-32byte!").decode()
TOKEN = "redis-t0ken"
IDS = 300


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture
async def store(redis_url: str, request: pytest.FixtureRequest) -> AsyncIterator[RedisDedupe]:
    dedupe = RedisDedupe(redis_url, pending_ttl=0.5, prefix=f"test:{request.node.name}:")
    yield dedupe
    await dedupe.aclose()


async def test_claim_complete_release(store: RedisDedupe) -> None:
    assert isinstance(store, DedupeStore)
    assert await store.claim("a") is True
    assert await store.claim("a") is None  # being handled
    await store.complete("a")
    assert await store.claim("a") is False  # handled
    assert await store.claim("b") is True
    await store.release("b")
    assert await store.claim("b") is True  # released: the retry takes it


async def test_a_claim_whose_holder_died_frees_itself(store: RedisDedupe) -> None:
    assert await store.claim("c") is True
    for _ in range(100):  # the 0.5 s in-progress expiry, polled
        if await store.claim("c") is True:
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail("the pending claim never expired")


async def test_a_late_release_does_not_free_another_receivers_claim(redis_url: str) -> None:
    first = RedisDedupe(redis_url, pending_ttl=0.2, prefix="late:")
    second = RedisDedupe(redis_url, prefix="late:")
    try:
        assert await first.claim("k") is True
        for _ in range(100):  # first's 0.2 s claim expires
            if await second.claim("k") is True:
                break
            await asyncio.sleep(0.05)
        else:
            pytest.fail("the pending claim never expired")
        await first.release("k")  # too late: must not delete second's claim
        assert await first.claim("k") is None
    finally:
        await first.aclose()
        await second.aclose()


async def test_concurrent_claims_of_one_key_have_one_winner(store: RedisDedupe) -> None:
    results = await asyncio.gather(*(store.claim("race") for _ in range(50)))
    assert results.count(True) == 1 and results.count(None) == 49


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
        assert await store.claim("d") is True
        await store.complete("d")
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
