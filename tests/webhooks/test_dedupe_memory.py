"""The in-memory dedupe store under pressure, and the key namespaces: a flood of unsigned
deliveries never turns the receiver into a wall of 503s, signed ids are kept exactly as long as
they could be replayed, and a header id can never suppress another event's payload key."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Any

import httpx
import pytest
from crewai_amp import ConfigurationError
from crewai_amp.webhooks import DedupeFull, MemoryDedupe, asgi_app, delivery_key, parse_event, sign

TOKEN = "memory-dedupe-t0ken"
BEARER = {"authorization": f"Bearer {TOKEN}"}
SECRET = "whsec_" + base64.b64encode(b"memory-dedupe-test-secret-32-byt").decode()


async def post(app: Any, body: bytes, headers: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://receiver.test") as client:
        return await client.post("/hooks", content=body, headers=headers)


def batch(start: int, count: int) -> bytes:
    events = [
        {
            "id": f"e{n}",
            "execution_id": "x-1",
            "timestamp": "2026-10-01T10:00:00Z",
            "type": "llm_stream_chunk",
            "data": {},
        }
        for n in range(start, start + count)
    ]
    return json.dumps({"events": events}).encode()


async def test_a_flood_of_streamed_batches_never_makes_the_receiver_refuse_everything() -> None:
    # Before: 8 batches filled the default store and every delivery, task and crew events
    # included, got 503 for 600 s. Unsigned keys are now evicted oldest first.
    crews: list[Any] = []
    app = asgi_app(bearer_token=TOKEN, on_event=lambda event: None, on_crew=crews.append, dedupe_size=100)
    for n in range(8):
        response = await post(app, batch(n * 50, 50), BEARER)
        assert response.status_code == 200, response.text
    crew = json.dumps({"kickoff_id": "k-after-flood", "result": "done", "token_usage": None}).encode()
    response = await post(app, crew, BEARER)
    assert response.status_code == 200 and response.json()["status"] == "ok"
    assert len(crews) == 1


async def test_the_store_stays_bounded_and_keeps_the_newest_unsigned_keys() -> None:
    store = MemoryDedupe(max_entries=10)
    for n in range(25):
        token = await store.claim(f"p:{n}")
        assert isinstance(token, str)
        await store.complete(f"p:{n}", token)
    assert len(store) == 10
    assert await store.claim("p:24") is False and isinstance(await store.claim("p:0"), str)


async def test_signed_ids_are_kept_while_replayable_then_dropped_first() -> None:
    wall = [1_000_000.0]
    store = MemoryDedupe(max_entries=3, wall=lambda: wall[0])

    async def handled(key: str, signed: bool = True) -> None:
        token = await store.claim(key, replay_until=wall[0] + 300 if signed else None)
        assert isinstance(token, str), f"{key}: {token!r}"
        await store.complete(key, token)

    await handled("h:a")
    await handled("h:b")
    await handled("p:u", signed=False)
    await handled("h:c")  # full: the unsigned key makes room, not a signed id still replayable
    assert [await store.claim(k) for k in ("h:a", "h:b", "h:c")] == [False, False, False]
    await handled("p:u", signed=False)  # forgotten; and an unsigned delivery is never refused:
    assert isinstance(await store.claim("h:a"), str)  # the oldest signed id made room
    await handled("h:d")  # the unsigned key goes first again
    with pytest.raises(DedupeFull):  # only fresh signed ids left: a signed delivery waits
        await store.claim("h:e", replay_until=wall[0] + 300)
    wall[0] += 301  # their replay window has passed: they are dropped first
    await handled("h:e")
    assert len(store) == 1


async def test_a_late_release_never_frees_another_claim_in_memory() -> None:
    store = MemoryDedupe()
    first = await store.claim("k")
    assert isinstance(first, str)
    await store.release("k", "someone-else")
    assert await store.claim("k") is None  # still held by the first claim
    await store.release("k", first)
    assert isinstance(await store.claim("k"), str)


@pytest.mark.parametrize("ttl", [1, 599])
def test_a_memory_ttl_shorter_than_the_replay_window_is_refused(ttl: float) -> None:
    with pytest.raises(ConfigurationError, match="replay window"):
        MemoryDedupe(ttl=ttl)
    with pytest.raises(ConfigurationError, match="replay window"):
        asgi_app(secret=SECRET, on_task=print, dedupe_ttl=ttl)


async def test_a_header_id_spelling_a_payload_key_does_not_suppress_that_event() -> None:
    # Before: header ids and payload keys shared one namespace.
    crews: list[Any] = []
    app = asgi_app(bearer_token=TOKEN, on_crew=crews.append)
    crew = {"kickoff_id": "k-1", "result": "done", "token_usage": None}
    forged_id = delivery_key(parse_event(crew))
    other = {"kickoff_id": "k-other", "result": "x", "token_usage": None}
    first = await post(app, json.dumps(other).encode(), {**BEARER, "webhook-id": forged_id})
    assert first.json()["status"] == "ok"
    second = await post(app, json.dumps(crew).encode(), BEARER)
    assert second.json()["status"] == "ok"
    assert [event.kickoff_id for event in crews] == ["k-other", "k-1"]


async def test_a_signed_replay_inside_the_window_is_a_duplicate_even_after_a_flood() -> None:
    tasks: list[Any] = []
    app = asgi_app(secret=SECRET, on_task=tasks.append, dedupe_size=5)
    body = json.dumps({"kickoff_id": "k", "task_id": "t", "status": "completed"}).encode()
    headers = sign(body, secret=SECRET, msg_id="msg_keep", timestamp=int(time.time()))
    assert (await post(app, body, headers)).json()["status"] == "ok"
    for n in range(3):
        other = sign(body, secret=SECRET, msg_id=f"msg_{n}")
        assert (await post(app, body, other)).status_code == 200
    assert (await post(app, body, headers)).json()["status"] == "duplicate"
    assert len(tasks) == 4
    await asyncio.sleep(0)
