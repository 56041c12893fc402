"""wait() and run(): every status reaches on_status, unknown states keep it waiting, an error
status raises ExecutionError, the deadline raises WaitTimeout, the checks are spaced as the
polling plan says, and an async wait cancels cleanly. Time is a FakeClock (never timed)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from crewai_amp import (
    AmpClient,
    APITimeoutError,
    ConfigurationError,
    ExecutionError,
    InternalServerError,
    NotFoundError,
    RateLimitError,
    StatusCompleted,
    StatusError,
    StatusRunning,
    StatusUnknown,
    WaitTimeout,
)
from crewai_amp._client import _Clock
from crewai_amp._polling import FIRST_DELAY, MAX_DELAY, PollPlan
from crewai_amp._states import STATES
from support.client import (
    COMPLETED,
    ERROR,
    KICKOFF_ID,
    REST,
    RUNNING,
    FakeClock,
    Script,
    as_read,
    async_client,
    call,
    json_response,
    sent_kickoff,
    sync_client,
)
from support.instances import same_data, unknown_enum_value

FACTORIES = pytest.mark.parametrize("factory", [sync_client, async_client], ids=["sync", "async"])
Factory = Callable[..., Any]


def statuses(*bodies: dict[str, Any]) -> list[httpx.Response]:
    return [json_response(body) for body in bodies]


def running(done: int, total: int) -> dict[str, Any]:
    return {"status": "running", "progress": {"completed_tasks": done, "total_tasks": total}}


@FACTORIES
def test_wait_sees_every_status_and_keeps_waiting_on_unknown(factory: Factory) -> None:
    variants = REST["components"]["schemas"]["StatusResponse"]["discriminator"]["mapping"]
    unknown = unknown_enum_value([*variants, *STATES])  # neither the live spec's nor the vocabulary's
    script = Script(*statuses(RUNNING, {"status": unknown}, RUNNING, COMPLETED))
    seen: list[Any] = []
    final = call(factory(script), "wait", KICKOFF_ID, on_status=seen.append)
    assert isinstance(final, StatusCompleted)
    assert same_data(final, as_read(COMPLETED))
    assert [type(s) for s in seen] == [StatusRunning, StatusUnknown, StatusRunning, StatusCompleted]
    assert seen[1].status == unknown
    assert len(script.requests) == 4


@FACTORIES
def test_wait_raises_execution_error_carrying_the_status(factory: Factory) -> None:
    script = Script(*statuses(RUNNING, ERROR))
    with pytest.raises(ExecutionError) as raised:
        call(factory(script), "wait", KICKOFF_ID)
    assert isinstance(raised.value.status, StatusError)
    assert raised.value.status.error == ERROR["error"]
    assert raised.value.kickoff_id == KICKOFF_ID
    assert ERROR["error"] in str(raised.value)


@FACTORIES
def test_wait_times_out_with_the_last_status(factory: Factory) -> None:
    clock = FakeClock()
    script = Script(*statuses(RUNNING))
    with pytest.raises(WaitTimeout) as raised:
        call(factory(script, clock), "wait", KICKOFF_ID, timeout=30)
    assert isinstance(raised.value, TimeoutError)
    assert isinstance(raised.value.last_status, StatusRunning)
    assert raised.value.kickoff_id == KICKOFF_ID
    # It never sleeps past the deadline, and gives up at it.
    assert sum(clock.slept) == pytest.approx(30)
    assert all(delay <= MAX_DELAY for delay in clock.slept)


def test_wait_timeout_zero_checks_once() -> None:
    script = Script(*statuses(RUNNING))
    with pytest.raises(WaitTimeout):
        sync_client(script).wait(KICKOFF_ID, timeout=0)
    assert len(script.requests) == 1


def test_wait_timeout_zero_still_returns_a_finished_run() -> None:
    assert isinstance(sync_client(Script(*statuses(COMPLETED))).wait(KICKOFF_ID, timeout=0), StatusCompleted)


def test_wait_without_a_timeout_waits_as_long_as_it_takes() -> None:
    clock = FakeClock()
    script = Script(*statuses(*[RUNNING] * 200, COMPLETED))
    assert isinstance(sync_client(script, clock).wait(KICKOFF_ID, timeout=None), StatusCompleted)
    assert sum(clock.slept) > 1000  # far past the default 600 s


@pytest.mark.parametrize("timeout", [-1, float("nan"), "30", True])
def test_an_invalid_timeout_is_a_configuration_error_before_any_request(timeout: Any) -> None:
    script = Script(*statuses(COMPLETED))
    with pytest.raises(ConfigurationError, match="timeout"):
        sync_client(script).wait(KICKOFF_ID, timeout=timeout)
    assert script.requests == []


@FACTORIES
def test_an_api_error_while_waiting_is_raised_as_is(factory: Factory) -> None:
    script = Script(*statuses(RUNNING), json_response({"error": "Kickoff ID not found"}, 404))
    with pytest.raises(NotFoundError):
        call(factory(script), "wait", KICKOFF_ID)


def test_a_failing_on_status_stops_waiting_with_its_error() -> None:
    def explode(status: Any) -> None:
        raise RuntimeError("callback failed")

    script = Script(*statuses(RUNNING, COMPLETED))
    with pytest.raises(RuntimeError, match="callback failed"):
        sync_client(script).wait(KICKOFF_ID, on_status=explode)
    assert len(script.requests) == 1


def test_async_on_status_may_be_a_coroutine_function() -> None:
    seen: list[str] = []

    async def record(status: Any) -> None:
        await asyncio.sleep(0)
        seen.append(status.status)

    script = Script(*statuses(RUNNING, COMPLETED))
    call(async_client(script), "wait", KICKOFF_ID, on_status=record)
    assert seen == ["running", "completed"]


# --- the deadline bounds the status checks too ---------------------------------------------


@FACTORIES
def test_retries_inside_wait_stop_at_its_deadline(factory: Factory) -> None:
    # Rate limited with Retry-After: 5 — a retry would start after the 1 s deadline, so wait()
    # gives up at once with WaitTimeout (chained to the 429), not 10 s later with RateLimitError.
    clock = FakeClock()
    script = Script(httpx.Response(429, headers={"Retry-After": "5"}, json={"error": "slow down"}))
    with pytest.raises(WaitTimeout) as raised:
        call(factory(script, clock), "wait", KICKOFF_ID, timeout=1)
    assert isinstance(raised.value.__cause__, RateLimitError)
    assert raised.value.last_status is None
    assert "429" in str(raised.value) or "slow down" in str(raised.value)
    assert clock.slept == []
    assert len(script.requests) == 1


@FACTORIES
def test_the_last_status_survives_a_deadline_reached_while_retrying(factory: Factory) -> None:
    clock = FakeClock()
    script = Script(json_response(RUNNING), httpx.Response(503))
    with pytest.raises(WaitTimeout) as raised:  # retries that would outlast the deadline
        call(factory(script, clock, max_retries=100), "wait", KICKOFF_ID, timeout=20)
    assert isinstance(raised.value.last_status, StatusRunning)
    assert isinstance(raised.value.__cause__, InternalServerError)
    assert sum(clock.slept) < 20


def test_retries_that_fit_before_the_deadline_still_happen() -> None:
    clock = FakeClock()
    script = Script(
        httpx.Response(503), httpx.Response(429, headers={"Retry-After": "2"}), json_response(COMPLETED)
    )
    assert isinstance(sync_client(script, clock).wait(KICKOFF_ID, timeout=60), StatusCompleted)
    assert len(script.requests) == 3


def request_timeouts(request: httpx.Request) -> dict[str, float]:
    timeouts: dict[str, float] = request.extensions["timeout"]
    return timeouts


def own_client(script: Script) -> AmpClient:
    """A client with its own httpx client (the SDK's default timeouts), on a mock transport; no
    longer first-request timeout, so every request shows the configured one."""
    client = AmpClient(base_url="https://crew.test", token="sk-test", first_request_timeout=None)
    client._http._transport = httpx.MockTransport(script)
    client._clock = FakeClock()
    return client


@pytest.mark.parametrize(("timeout", "read"), [(3, 3.0), (0, 1.0), (600, 30.0), (None, 30.0)])
def test_each_status_check_takes_no_longer_than_the_time_left(timeout: float | None, read: float) -> None:
    script = Script(json_response(COMPLETED))
    own_client(script).wait(KICKOFF_ID, timeout=timeout)
    assert request_timeouts(script.requests[0])["read"] == pytest.approx(read)
    assert request_timeouts(script.requests[0])["connect"] == pytest.approx(min(read, 5.0))


def test_status_outside_wait_keeps_the_configured_timeout() -> None:
    script = Script(json_response(COMPLETED))
    own_client(script).status(KICKOFF_ID)
    assert request_timeouts(script.requests[0]) == {"connect": 5.0, "read": 30.0, "write": 30.0, "pool": 30.0}


@FACTORIES
def test_a_status_check_cut_short_by_the_deadline_is_a_wait_timeout(factory: Factory) -> None:
    clock = FakeClock()

    def hang(request: httpx.Request) -> httpx.Response:
        clock.now += request_timeouts(request)["read"]  # the server never answers in time
        raise httpx.ReadTimeout("timed out", request=request)

    script = Script(json_response(RUNNING), hang)
    with pytest.raises(WaitTimeout) as raised:
        call(factory(script, clock), "wait", KICKOFF_ID, timeout=4)
    assert isinstance(raised.value.__cause__, APITimeoutError)
    assert isinstance(raised.value.last_status, StatusRunning)
    assert clock.now - 1000.0 <= 4 + 1.0  # the deadline, plus at most one minimal request


# --- spacing of the checks -----------------------------------------------------------------


def test_first_check_is_soon_then_backs_off_to_the_cap() -> None:
    random.seed(7)
    clock = FakeClock()
    script = Script(*statuses(*[RUNNING] * 12, COMPLETED))
    sync_client(script, clock).wait(KICKOFF_ID)
    first, *rest = clock.slept
    assert FIRST_DELAY / 2 <= first <= FIRST_DELAY
    assert all(delay <= MAX_DELAY for delay in rest)
    assert max(rest) > MAX_DELAY / 2  # it did grow towards the cap
    assert sum(clock.slept[:3]) < sum(clock.slept[-3:])


def test_progress_aims_the_next_check_at_the_predicted_finish() -> None:
    # 1 of 4 tasks done 10 s in: the crew should finish around 40 s; the plan checks near then.
    plan = PollPlan(started=0.0)
    plan.next_delay(StatusRunning.from_dict(running(0, 4)), now=0.5)
    plan.next_delay(StatusRunning.from_dict(running(0, 4)), now=9.5)
    delay = plan.next_delay(StatusRunning.from_dict(running(1, 4)), now=10.5)
    assert delay == MAX_DELAY  # the finish (~40 s) is far: capped
    delay = plan.next_delay(StatusRunning.from_dict(running(3, 4)), now=36.0)
    assert 0 < delay < MAX_DELAY
    # Past the prediction it checks every ~5% of the elapsed time, never in a busy loop.
    overdue = plan.next_delay(StatusRunning.from_dict(running(3, 4)), now=60.0)
    assert overdue == pytest.approx(0.05 * 60)


@pytest.mark.parametrize(
    "progress",
    [
        {"completed_tasks": 5, "total_tasks": 0},
        {"completed_tasks": 7, "total_tasks": 3},
        {"completed_tasks": -1, "total_tasks": 3},
    ],
)
def test_nonsense_progress_falls_back_to_backoff(progress: dict[str, int]) -> None:
    plan = PollPlan(started=0.0)
    status = StatusRunning.from_dict({"status": "running", "progress": progress})
    for step in range(6):
        delay = plan.next_delay(status, now=float(step))
        assert 0 < delay <= MAX_DELAY


def wait_on_crew(task_seconds: list[float], *, joined_at: float = 0.0) -> tuple[int, float]:
    """wait() on a crew whose tasks take ``task_seconds``, started ``joined_at`` seconds before
    wait() began: (status requests, seconds between completion and wait() returning)."""
    clock = FakeClock()
    started = clock.now - joined_at
    ends = [sum(task_seconds[: i + 1]) for i in range(len(task_seconds))]

    def status_now(request: httpx.Request) -> httpx.Response:
        elapsed = clock.now - started
        if elapsed >= ends[-1]:
            return json_response(COMPLETED)
        return json_response(running(sum(end <= elapsed for end in ends), len(ends)))

    script = Script(status_now)
    sync_client(script, clock).wait(KICKOFF_ID, timeout=None)
    return len(script.requests), clock.now - started - ends[-1]


@pytest.mark.parametrize(
    ("tasks", "most_requests", "typical_latency"),
    [
        ([1.0] * 4, 9, 0.4),
        ([6.0] * 5, 12, 1.5),
        ([2.0, 10.0, 3.0, 12.0, 3.0], 18, 3.0),
        ([15.0] * 8, 20, 6.0),
    ],
    ids=["4s", "30s", "30s-uneven", "120s"],
)
def test_progress_keeps_requests_few_and_detection_quick(
    tasks: list[float], most_requests: int, typical_latency: float
) -> None:
    # Over many jitter draws (seeded: the same every run), compare with a fixed 1 s loop, which
    # would send one request per second of the run.
    runs = []
    for seed in range(200):
        random.seed(seed)
        runs.append(wait_on_crew(tasks))
    requests = sorted(n for n, _ in runs)
    latencies = sorted(latency for _, latency in runs)
    assert requests[len(runs) // 2] <= most_requests
    assert latencies[len(runs) // 2] <= typical_latency
    assert latencies[-1] <= MAX_DELAY


def test_progress_made_before_wait_began_is_not_taken_for_speed() -> None:
    # Joining a run 25 s in, at 2 of 5 tasks: the first sight of progress says nothing about
    # pace, so the plan backs off as usual instead of polling every few milliseconds (it once
    # sent 75 requests here; a fixed 1 s loop sends 26).
    for seed in range(50):
        random.seed(seed)
        requests, latency = wait_on_crew([10.0] * 5, joined_at=25.0)
        assert requests <= 16
        assert latency <= MAX_DELAY


# --- run -----------------------------------------------------------------------------------


@FACTORIES
def test_run_is_kickoff_then_wait(factory: Factory) -> None:
    script = Script(json_response({"kickoff_id": KICKOFF_ID}), *statuses(RUNNING, COMPLETED))
    seen: list[Any] = []
    result = call(
        factory(script),
        "run",
        {"topic": "AI"},
        meta={"team": "qa"},
        crew_webhook_url="https://hooks.test/crew",
        on_status=seen.append,
    )
    assert isinstance(result, StatusCompleted)
    assert [(r.method, r.url.path) for r in script.requests] == [
        ("POST", "/kickoff"),
        ("GET", f"/status/{KICKOFF_ID}"),
        ("GET", f"/status/{KICKOFF_ID}"),
    ]
    sent = sent_kickoff(script.requests[0])
    assert sent["inputs"] == {"topic": "AI"}
    assert sent["meta"] == {"team": "qa"}
    assert sent["crewWebhookUrl"] == "https://hooks.test/crew"
    assert len(seen) == 2


@FACTORIES
def test_run_raises_execution_error(factory: Factory) -> None:
    script = Script(json_response({"kickoff_id": KICKOFF_ID}), *statuses(ERROR))
    with pytest.raises(ExecutionError):
        call(factory(script), "run", {"topic": "AI"})


# --- async cancellation --------------------------------------------------------------------


def test_async_wait_cancellation_propagates_and_leaves_nothing_running() -> None:
    async def scenario() -> None:
        clock = FakeClock()
        script = Script(*statuses(RUNNING))
        client = async_client(script, clock)

        sleeping = asyncio.Event()

        async def hang(seconds: float) -> None:  # a real pause: the task is sleeping when cancelled
            clock.slept.append(seconds)
            sleeping.set()
            await asyncio.Event().wait()

        clock.async_sleep = hang  # type: ignore[method-assign]
        task = asyncio.create_task(client.wait(KICKOFF_ID))
        await sleeping.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await client.close()
        assert len(script.requests) == 1
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        assert others == []

    asyncio.run(scenario())


def test_async_wait_under_wait_for_raises_timeout_not_a_hang() -> None:
    async def scenario() -> None:
        script = Script(*statuses(RUNNING))
        client = async_client(script)
        client._clock = _Clock()  # real sleeps (0.5 s first), cut short by wait_for
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(client.wait(KICKOFF_ID), timeout=0.05)
        await client.close()

    asyncio.run(scenario())


@FACTORIES
@pytest.mark.parametrize("timeout", [-1, "30"])
def test_run_with_an_invalid_timeout_starts_no_crew(factory: Factory, timeout: Any) -> None:
    # A ConfigurationError raised only once wait() begins would leave a paid run behind.
    script = Script(json_response({"kickoff_id": KICKOFF_ID}), *statuses(COMPLETED))
    with pytest.raises(ConfigurationError, match="timeout"):
        call(factory(script), "run", {"topic": "AI"}, timeout=timeout)
    assert script.requests == []
