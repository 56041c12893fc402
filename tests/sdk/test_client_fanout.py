"""Fan-out: thousands of concurrent run() on one client share its request slots fairly, polls of
started runs go before new kickoffs, and run_many returns each run's outcome, errors included."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from crewai_amp import (
    AmpClient,
    AsyncAmpClient,
    ConfigurationError,
    ExecutionError,
    RunOutcome,
    StatusCompleted,
)
from crewai_amp.testing import AmpEmulator
from support.client import BASE, COMPLETED, ERROR, KICKOFF_ID, RUNNING, TOKEN, json_response
from support.emulator import INPUTS, SCALE, wait_for

# --- thousands of runs against the emulator -----------------------------------------------


def test_two_thousand_concurrent_runs_with_no_caller_side_cap_all_succeed() -> None:
    runs = 2000
    with AmpEmulator(scale=SCALE) as amp:

        async def main() -> list[Any]:
            async with AsyncAmpClient(base_url=amp.base_url, token=amp.token) as client:
                return await asyncio.gather(
                    *(client.run(INPUTS, timeout=300) for _ in range(runs)), return_exceptions=True
                )

        results = asyncio.run(main())
        errors = [r for r in results if isinstance(r, BaseException)]
        assert errors == []
        assert all(isinstance(r, StatusCompleted) for r in results)
        assert amp.kickoff_count == runs  # every run kicked off exactly once


def test_run_many_yields_every_outcome_against_the_emulator() -> None:
    inputs_list = [{**INPUTS, "topic": f"topic {n}"} for n in range(40)]
    with AmpEmulator(scale=SCALE) as amp:

        async def main() -> list[RunOutcome]:
            async with AsyncAmpClient(base_url=amp.base_url, token=amp.token) as client:
                return [o async for o in client.run_many(inputs_list, concurrency=7, timeout=60)]

        outcomes = asyncio.run(main())
        assert sorted(o.index for o in outcomes) == list(range(40))
        assert all(o.ok and isinstance(o.result, StatusCompleted) and o.kickoff_id for o in outcomes)
        assert all(o.inputs is inputs_list[o.index] for o in outcomes)
        assert amp.kickoff_count == 40


def test_sync_run_many_in_threads_against_the_emulator() -> None:
    with AmpEmulator(scale=SCALE) as amp, AmpClient(base_url=amp.base_url, token=amp.token) as client:
        outcomes = list(client.run_many([INPUTS] * 12, concurrency=4, timeout=60))
        assert sorted(o.index for o in outcomes) == list(range(12))
        assert all(o.ok for o in outcomes)
        assert amp.kickoff_count == 12


# --- the limiter, observed through a transport --------------------------------------------


class Gate:
    """An async transport handler that holds every request until released, counting how many
    are in flight at once and in which order they arrived."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.peak = 0
        self.order: list[str] = []
        self.release = asyncio.Event()
        self.kickoffs = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        self.order.append(request.url.path)
        try:
            await self.release.wait()
        finally:
            self.in_flight -= 1
        if request.url.path == "/kickoff":
            self.kickoffs += 1
            return json_response({"kickoff_id": f"{KICKOFF_ID}-{self.kickoffs}"})
        return json_response(COMPLETED)


def gated_client(gate: Gate, **kwargs: Any) -> AsyncAmpClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(gate))
    return AsyncAmpClient(base_url=BASE, token=TOKEN, http_client=http, **kwargs)


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_in_flight_requests_never_exceed_max_concurrency() -> None:
    gate = Gate()
    client = gated_client(gate, max_concurrency=5)
    calls = [asyncio.create_task(client.status(KICKOFF_ID)) for _ in range(50)]
    await settle()
    assert gate.in_flight == 5
    gate.release.set()
    await asyncio.gather(*calls)
    assert gate.peak == 5


async def test_waiting_requests_are_served_first_come_first_served() -> None:
    gate = Gate()
    client = gated_client(gate, max_concurrency=1)
    first = asyncio.create_task(client.status("run-0"))
    await settle()
    rest = []
    for n in range(1, 6):
        rest.append(asyncio.create_task(client.status(f"run-{n}")))
        await settle()
    gate.release.set()
    await asyncio.gather(first, *rest)
    assert gate.order == [f"/status/run-{n}" for n in range(6)]


async def test_status_checks_of_started_runs_go_before_queued_kickoffs() -> None:
    gate = Gate()
    client = gated_client(gate, max_concurrency=1)
    holder = asyncio.create_task(client.status("holder"))
    await settle()
    kickoffs = [asyncio.create_task(client.kickoff(INPUTS)) for _ in range(3)]
    await settle()
    polls = [asyncio.create_task(client.status(f"poll-{n}")) for n in range(3)]
    await settle()
    gate.release.set()
    await asyncio.gather(holder, *kickoffs, *polls)
    assert gate.order == [
        "/status/holder",
        "/status/poll-0",
        "/status/poll-1",
        "/status/poll-2",
        "/kickoff",
        "/kickoff",
        "/kickoff",
    ]


async def test_a_cancelled_waiter_gives_its_place_up_and_no_slot_leaks() -> None:
    gate = Gate()
    client = gated_client(gate, max_concurrency=1)
    holder = asyncio.create_task(client.status("holder"))
    await settle()
    doomed = asyncio.create_task(client.status("doomed"))
    survivor = asyncio.create_task(client.status("survivor"))
    await settle()
    doomed.cancel()
    await settle()
    gate.release.set()
    await asyncio.gather(holder, survivor)
    assert doomed.cancelled()
    assert "/status/doomed" not in gate.order
    # every slot came back: a full round of max_concurrency calls still runs
    assert isinstance(await client.status("after"), StatusCompleted)


async def test_a_wait_whose_deadline_passes_in_the_queue_times_out() -> None:
    gate = Gate()
    client = gated_client(gate, max_concurrency=1)
    holder = asyncio.create_task(client.status("holder"))
    await settle()
    with pytest.raises(Exception) as caught:
        await client.wait("queued", timeout=0.05)
    assert type(caught.value).__name__ == "WaitTimeout"
    assert "no free request slot" in str(caught.value)
    gate.release.set()
    await holder
    assert "/status/queued" not in gate.order


# --- run_many outcomes --------------------------------------------------------------------


def scripted_runs(failing: set[str]) -> httpx.MockTransport:
    """Kickoff answers an id naming the topic; status answers error for the failing topics;
    a kickoff whose topic is "refused" gets a 422."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/kickoff":
            import json

            topic = json.loads(request.content)["inputs"]["topic"]
            if topic == "refused":
                return json_response({"error": "missing input"}, 422)
            return json_response({"kickoff_id": f"id-{topic}"})
        topic = request.url.path.rsplit("id-", 1)[1]
        if topic in failing:
            return json_response(ERROR)
        return json_response(COMPLETED)

    return httpx.MockTransport(handle)


async def test_run_many_returns_each_runs_error_instead_of_raising() -> None:
    http = httpx.AsyncClient(transport=scripted_runs({"bad"}))
    client = AsyncAmpClient(base_url=BASE, token=TOKEN, http_client=http)
    inputs_list = [{"topic": t} for t in ("a", "bad", "refused", "b")]
    outcomes = {o.inputs["topic"]: o async for o in client.run_many(inputs_list, concurrency=2)}
    assert outcomes["a"].ok and outcomes["a"].kickoff_id == "id-a"
    assert isinstance(outcomes["a"].result, StatusCompleted)
    assert isinstance(outcomes["bad"].error, ExecutionError)
    assert outcomes["bad"].kickoff_id == "id-bad" and outcomes["bad"].result is None
    assert type(outcomes["refused"].error).__name__ == "UnprocessableEntityError"
    assert outcomes["refused"].kickoff_id is None
    assert outcomes["b"].ok


def test_sync_run_many_returns_errors_too() -> None:
    http = httpx.Client(transport=scripted_runs({"bad"}))
    client = AmpClient(base_url=BASE, token=TOKEN, http_client=http)
    outcomes = {o.inputs["topic"]: o for o in client.run_many([{"topic": "bad"}, {"topic": "ok"}])}
    assert isinstance(outcomes["bad"].error, ExecutionError)
    assert outcomes["ok"].ok


async def test_run_many_starts_no_more_than_concurrency_runs_and_reads_inputs_lazily() -> None:
    started: list[int] = []
    running = 0
    peak = 0

    async def handle(request: httpx.Request) -> httpx.Response:
        nonlocal running, peak
        if request.url.path == "/kickoff":
            running += 1
            peak = max(peak, running)
            return json_response({"kickoff_id": KICKOFF_ID})
        await asyncio.sleep(0)
        running -= 1
        return json_response(COMPLETED)

    def endless() -> Iterator[dict[str, Any]]:
        n = 0
        while True:
            started.append(n)
            yield {"topic": str(n)}
            n += 1

    client = AsyncAmpClient(
        base_url=BASE, token=TOKEN, http_client=httpx.AsyncClient(transport=httpx.MockTransport(handle))
    )
    seen = 0
    outcomes = client.run_many(endless(), concurrency=3)
    async for _outcome in outcomes:
        seen += 1
        if seen == 10:
            break
    await outcomes.aclose()
    assert peak <= 3
    assert len(started) <= 10 + 3


@pytest.mark.parametrize("concurrency", [0, -1, 1.5, True, "4"])
def test_run_many_refuses_a_bad_concurrency_before_any_run(concurrency: Any) -> None:
    calls: list[httpx.Request] = []
    http = httpx.AsyncClient(
        transport=httpx.MockTransport(lambda r: calls.append(r) or json_response(RUNNING))
    )
    client = AsyncAmpClient(base_url=BASE, token=TOKEN, http_client=http)
    with pytest.raises(ConfigurationError):
        client.run_many([INPUTS], concurrency=concurrency)
    assert calls == []


def test_run_many_refuses_an_unknown_option_before_any_run() -> None:
    client = AmpClient(base_url=BASE, token=TOKEN)
    with pytest.raises(TypeError, match="unexpected keyword argument 'webhook'"):
        client.run_many([INPUTS], webhook="https://x")  # type: ignore[call-arg]


@pytest.mark.parametrize("value", [0, -3, 2.5, True, None])
def test_max_concurrency_must_be_a_positive_integer(value: Any) -> None:
    with pytest.raises(ConfigurationError, match="max_concurrency"):
        AsyncAmpClient(base_url=BASE, token=TOKEN, max_concurrency=value)


def test_the_sync_client_bounds_threads_to_max_concurrency() -> None:
    lock = threading.Lock()
    in_flight = 0
    peak = 0
    go = threading.Event()

    def handle(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        go.wait(5)
        with lock:
            in_flight -= 1
        return json_response(COMPLETED)

    client = AmpClient(
        base_url=BASE,
        token=TOKEN,
        http_client=httpx.Client(transport=httpx.MockTransport(handle)),
        max_concurrency=2,
    )
    threads = [threading.Thread(target=client.status, args=(KICKOFF_ID,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    wait_for(lambda: in_flight >= 2, what="two requests in flight")
    go.set()
    for thread in threads:
        thread.join(10)
    assert peak == 2


def test_the_sync_limiter_serves_in_order_and_a_timed_out_waiter_keeps_no_slot() -> None:
    from crewai_amp._limiter import LimiterTimeout, SyncLimiter

    limiter = SyncLimiter(1)
    limiter.acquire(starts_run=False)
    with pytest.raises(LimiterTimeout):
        limiter.acquire(starts_run=False, timeout=0.01)
    order: list[str] = []
    ready = threading.Barrier(3)

    def take(name: str, starts_run: bool) -> None:
        ready.wait()
        limiter.acquire(starts_run=starts_run)
        order.append(name)
        limiter.release()

    kickoff = threading.Thread(target=take, args=("kickoff", True))
    poll = threading.Thread(target=take, args=("poll", False))
    kickoff.start()
    poll.start()
    ready.wait()
    # both queued (the timed-out ticket is still in line, to be skipped)
    wait_for(lambda: len(limiter._others) + len(limiter._kickoffs) == 3, what="both threads queued")
    limiter.release()
    kickoff.join(10)
    poll.join(10)
    assert order == ["poll", "kickoff"]
    limiter.acquire(starts_run=True, timeout=1)  # the slot came back
