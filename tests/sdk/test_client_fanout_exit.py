"""run_many never orphans a paid run: on_kickoff hears every kickoff id as soon as AMP answers,
and leaving early (break, aclose(), cancelling the consumer, closing the client) kicks off
nothing more while the kickoffs already on their way still report their ids; the runs left
going are logged.

Kickoffs are held at a gate (a transport that answers them only when the test says), so which
kickoffs are on their way when the batch stops is known exactly, with no timing involved."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from crewai_amp import AmpClient, AsyncAmpClient, RunOutcome
from support.client import BASE, COMPLETED, TOKEN, json_response
from support.emulator import INPUTS, wait_for

BATCH = [{**INPUTS, "topic": f"topic {n}"} for n in range(10)]
CONCURRENCY = 4


class Gate:
    """Kickoffs wait until ``open_for(n)`` lets the first n through; every status is completed.
    Ids are k-0, k-1... in the order AMP answers."""

    def __init__(self) -> None:
        self.allowed = 0
        self.arrived = 0
        self.answered = 0
        self.cond = threading.Condition()

    def open_for(self, n: int) -> None:
        with self.cond:
            self.allowed = max(self.allowed, n)
            self.cond.notify_all()

    def _kickoff_id(self) -> str:
        with self.cond:
            self.arrived += 1
            number = self.arrived
            self.cond.wait_for(lambda: self.allowed >= number, timeout=60)
            kickoff_id = f"k-{self.answered}"
            self.answered += 1
            return kickoff_id

    def sync(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/kickoff":
            return json_response({"kickoff_id": self._kickoff_id()})
        return json_response(COMPLETED)

    async def async_(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/kickoff":
            return json_response({"kickoff_id": await asyncio.to_thread(self._kickoff_id)})
        return json_response(COMPLETED)


class Heard:
    """on_kickoff's calls, thread-safe."""

    def __init__(self) -> None:
        self.ids: dict[int, str] = {}
        self.lock = threading.Lock()

    def __call__(self, index: int, kickoff_id: str) -> None:
        with self.lock:
            assert index not in self.ids, "reported twice"
            self.ids[index] = kickoff_id


def async_client(gate: Gate) -> AsyncAmpClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(gate.async_))
    return AsyncAmpClient(base_url=BASE, token=TOKEN, http_client=http)


def sync_client(gate: Gate) -> AmpClient:
    http = httpx.Client(transport=httpx.MockTransport(gate.sync))
    return AmpClient(base_url=BASE, token=TOKEN, http_client=http)


def assert_every_sent_kickoff_reported(gate: Gate, heard: Heard, seen: list[RunOutcome]) -> None:
    assert gate.arrived == gate.answered  # no kickoff left unanswered
    assert sorted(heard.ids.values()) == sorted(f"k-{n}" for n in range(gate.answered))
    for outcome in seen:
        assert heard.ids[outcome.index] == outcome.kickoff_id


def assert_logged_going(caplog: pytest.LogCaptureFixture, heard: Heard, seen: list[RunOutcome]) -> None:
    finished = {outcome.index for outcome in seen}
    logged = " ".join(r.getMessage() for r in caplog.records if r.name == "crewai_amp")
    for index, kickoff_id in heard.ids.items():
        if index not in finished:
            assert kickoff_id in logged, f"run {kickoff_id} left going but not logged"


# --- on_kickoff ------------------------------------------------------------------------------------


def test_on_kickoff_hears_every_id_before_its_outcome_sync() -> None:
    gate, heard = Gate(), Heard()
    gate.open_for(len(BATCH))
    order: list[str] = []

    def on_kickoff(index: int, kickoff_id: str) -> None:
        heard(index, kickoff_id)
        order.append(f"kicked {index}")

    with sync_client(gate) as client:
        for outcome in client.run_many(BATCH, concurrency=CONCURRENCY, on_kickoff=on_kickoff):
            assert f"kicked {outcome.index}" in order
            order.append(f"outcome {outcome.index}")
            assert heard.ids[outcome.index] == outcome.kickoff_id
    assert len(heard.ids) == len(BATCH)


async def test_on_kickoff_may_be_async_and_is_awaited() -> None:
    gate, heard = Gate(), Heard()
    gate.open_for(len(BATCH))

    async def on_kickoff(index: int, kickoff_id: str) -> None:
        await asyncio.sleep(0)
        heard(index, kickoff_id)

    async with async_client(gate) as client:
        outcomes = [o async for o in client.run_many(BATCH, concurrency=CONCURRENCY, on_kickoff=on_kickoff)]
    assert {o.index: o.kickoff_id for o in outcomes} == heard.ids


async def test_a_failing_on_kickoff_ends_the_batch_with_its_error(caplog: pytest.LogCaptureFixture) -> None:
    gate = Gate()
    gate.open_for(len(BATCH))

    def on_kickoff(index: int, kickoff_id: str) -> None:
        raise RuntimeError(f"cannot store {kickoff_id}")

    async with async_client(gate) as client:
        with pytest.raises(RuntimeError, match="cannot store k-"):
            async for _ in client.run_many(BATCH, concurrency=CONCURRENCY, on_kickoff=on_kickoff):
                pass
    assert gate.arrived == gate.answered
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert all(f"k-{n}" in logged for n in range(gate.answered))  # the runs left going


# --- leaving early, async ------------------------------------------------------------------------

Leave = Callable[[Any], Any]


async def leave_by_aclose(runs: Any) -> None:
    await runs.aclose()  # the generator is suspended at the outcome it gave


async def leave_by_cancelling(runs: Any) -> None:
    # Asking for the next outcome kicks off the next inputs: cancelled while it is on its way.
    consumer = asyncio.create_task(runs.__anext__())
    await asyncio.to_thread(
        wait_for, lambda: GATES[-1].arrived == CONCURRENCY + 1, what="the next kickoff sent"
    )
    consumer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await consumer


GATES: list[Gate] = []


@pytest.mark.parametrize(
    ("leave", "sent"),
    [(leave_by_aclose, CONCURRENCY), (leave_by_cancelling, CONCURRENCY + 1)],
    ids=["aclose", "cancel"],
)
async def test_leaving_early_kicks_off_nothing_more_and_reports_every_sent_kickoff(
    leave: Leave, sent: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "crewai_amp")
    gate, heard = Gate(), Heard()
    GATES.append(gate)
    gate.open_for(1)  # one kickoff answered; the others on their way, held at the gate
    seen: list[RunOutcome] = []
    async with async_client(gate) as client:
        runs = client.run_many(BATCH, concurrency=CONCURRENCY, on_kickoff=heard)
        seen.append(await runs.__anext__())
        await asyncio.to_thread(wait_for, lambda: gate.arrived == CONCURRENCY, what="the first kickoffs sent")
        asyncio.get_running_loop().call_later(0.05, gate.open_for, len(BATCH))  # answers come after the stop
        await leave(runs)
        assert_every_sent_kickoff_reported(gate, heard, seen)
        await asyncio.sleep(0.2)
        assert gate.arrived == sent  # nothing more kicked off
    assert_logged_going(caplog, heard, seen)


async def test_a_break_without_aclose_still_reports_every_sent_kickoff(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, "crewai_amp")
    gate, heard = Gate(), Heard()
    gate.open_for(1)
    seen: list[RunOutcome] = []
    async with async_client(gate) as client:
        async for outcome in client.run_many(BATCH, concurrency=CONCURRENCY, on_kickoff=heard):
            seen.append(outcome)
            await asyncio.to_thread(
                wait_for, lambda: gate.arrived == CONCURRENCY, what="the first kickoffs sent"
            )
            break  # no aclose(): the event loop finalizes the generator
        gate.open_for(len(BATCH))
        await asyncio.to_thread(wait_for, lambda: len(heard.ids) == gate.arrived, what="every id reported")
    assert_every_sent_kickoff_reported(gate, heard, seen)
    assert gate.arrived == CONCURRENCY


async def test_closing_the_client_waits_for_sent_kickoffs_and_stops_the_batch(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, "crewai_amp")
    gate, heard = Gate(), Heard()
    gate.open_for(1)
    client = async_client(gate)
    runs = client.run_many(BATCH, concurrency=CONCURRENCY, on_kickoff=heard)
    seen = [await runs.__anext__()]
    await asyncio.to_thread(wait_for, lambda: gate.arrived == CONCURRENCY, what="the first kickoffs sent")
    asyncio.get_running_loop().call_later(0.05, gate.open_for, len(BATCH))
    await client.close()  # the generator is left suspended: close() stops it
    assert_every_sent_kickoff_reported(gate, heard, seen)
    with pytest.raises(StopAsyncIteration):
        await runs.__anext__()
    assert gate.arrived == CONCURRENCY
    assert_logged_going(caplog, heard, seen)


# --- leaving early, sync ----------------------------------------------------------------------------


def test_sync_break_reports_every_sent_kickoff(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "crewai_amp")
    gate, heard = Gate(), Heard()
    gate.open_for(1)
    seen: list[RunOutcome] = []
    with sync_client(gate) as client:
        for outcome in client.run_many(BATCH, concurrency=CONCURRENCY, on_kickoff=heard):
            seen.append(outcome)
            wait_for(lambda: gate.arrived == CONCURRENCY, what="the first kickoffs sent")
            threading.Timer(0.05, gate.open_for, [len(BATCH)]).start()
            break  # closing the generator waits for the kickoffs on their way
        assert_every_sent_kickoff_reported(gate, heard, seen)
    assert gate.arrived == CONCURRENCY
    assert_logged_going(caplog, heard, seen)


def test_sync_client_close_stops_a_batch_left_suspended() -> None:
    gate, heard = Gate(), Heard()
    gate.open_for(1)
    client = sync_client(gate)
    runs = client.run_many(BATCH, concurrency=CONCURRENCY, on_kickoff=heard)
    seen = [next(runs)]
    wait_for(lambda: gate.arrived == CONCURRENCY, what="the first kickoffs sent")
    threading.Timer(0.05, gate.open_for, [len(BATCH)]).start()
    client.close()
    assert_every_sent_kickoff_reported(gate, heard, seen)
    assert list(runs) == []
    assert gate.arrived == CONCURRENCY
