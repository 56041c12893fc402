"""Retries: which failures are retried for which operation, how long the client waits first, and
that a non-idempotent call (kickoff, resume) is never sent twice once it may have reached AMP.
Time is a FakeClock: retries run instantly and every sleep is recorded, never timed."""

from __future__ import annotations

import email.utils
import ssl
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from crewai_amp import (
    AmpClient,
    AmpError,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    InternalServerError,
    RateLimitError,
    StatusCompleted,
)
from crewai_amp._retry import backoff, retry_after
from support.client import (
    COMPLETED,
    KICKOFF_ID,
    OPERATIONS,
    TOKEN,
    FakeClock,
    Script,
    async_client,
    call,
    json_response,
    sync_client,
)
from support.instances import same_data

FACTORIES = pytest.mark.parametrize("factory", [sync_client, async_client], ids=["sync", "async"])
Factory = Callable[..., Any]
READS = ["inputs", "status"]
WRITES = ["kickoff", "resume"]
ok_body = {op: body for op, (_, body) in OPERATIONS.items()}


def success(operation: str) -> httpx.Response:
    return json_response(ok_body[operation])


# --- reads retry on what is transient ------------------------------------------------------


@FACTORIES
def test_transient_503_and_429_then_success(factory: Factory) -> None:
    clock = FakeClock()
    script = Script(
        httpx.Response(503), httpx.Response(429, headers={"Retry-After": "3"}), json_response(COMPLETED)
    )
    status = call(factory(script, clock), "status", KICKOFF_ID)
    assert isinstance(status, StatusCompleted)
    assert len(script.requests) == 3
    assert 0 <= clock.slept[0] <= 0.5  # full jitter on the first backoff
    assert clock.slept[1] == 3.0  # Retry-After honoured


@FACTORIES
@pytest.mark.parametrize("operation", READS)
@pytest.mark.parametrize("code", [408, 429, 500, 502, 503, 504, 599])
def test_reads_retry_on_408_429_and_5xx(factory: Factory, operation: str, code: int) -> None:
    script = Script(httpx.Response(code), success(operation))
    call(factory(script), operation, *OPERATIONS[operation][0])
    assert len(script.requests) == 2


@FACTORIES
@pytest.mark.parametrize("operation", READS)
@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("slow connect"),
        httpx.ReadTimeout("slow read"),
        httpx.ReadError("reset"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.PoolTimeout("pool full"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_reads_retry_on_connection_errors_and_timeouts(
    factory: Factory, operation: str, error: Exception
) -> None:
    script = Script(error, success(operation))
    call(factory(script), operation, *OPERATIONS[operation][0])
    assert len(script.requests) == 2


@pytest.mark.parametrize("code", [400, 401, 403, 404, 409, 422])
def test_client_errors_are_never_retried(code: int) -> None:
    script = Script(json_response({"error": "no"}, code))
    with pytest.raises(APIStatusError) as raised:
        sync_client(script).status(KICKOFF_ID)
    assert raised.value.status_code == code
    assert len(script.requests) == 1


@pytest.mark.parametrize(
    "error",
    [httpx.LocalProtocolError("bad header"), httpx.UnsupportedProtocol("ftp"), httpx.DecodingError("gzip")],
    ids=lambda e: type(e).__name__,
)
def test_errors_a_retry_cannot_fix_are_not_retried(error: Exception) -> None:
    script = Script(error)
    with pytest.raises(APIConnectionError):
        sync_client(script).inputs()
    assert len(script.requests) == 1


def test_a_certificate_rejection_is_not_retried() -> None:
    cause = ssl.SSLCertVerificationError("certificate verify failed: self-signed certificate")
    error = httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED]")
    error.__cause__ = cause
    script = Script(error)
    with pytest.raises(APIConnectionError, match="ConnectError"):
        sync_client(script).inputs()
    assert len(script.requests) == 1


@FACTORIES
def test_retries_stop_at_max_retries_and_raise_the_last_error(factory: Factory) -> None:
    clock = FakeClock()
    script = Script(json_response({"error": "down"}, 500))
    with pytest.raises(InternalServerError) as raised:
        call(factory(script, clock, max_retries=3), "inputs")
    assert len(script.requests) == 4
    assert len(clock.slept) == 3
    assert raised.value.status_code == 500


@FACTORIES
def test_max_retries_zero_sends_once(factory: Factory) -> None:
    clock = FakeClock()
    script = Script(httpx.Response(429, headers={"Retry-After": "1"}))
    with pytest.raises(RateLimitError):
        call(factory(script, clock, max_retries=0), "inputs")
    assert len(script.requests) == 1
    assert clock.slept == []


def test_an_exhausted_timeout_is_an_api_timeout_error() -> None:
    script = Script(httpx.ReadTimeout("timed out"))
    with pytest.raises(APITimeoutError, match="GET /inputs"):
        sync_client(script, max_retries=1).inputs()
    assert len(script.requests) == 2


# --- writes are sent once unless they provably never left ------------------------------------


@FACTORIES
@pytest.mark.parametrize("operation", WRITES)
def test_non_idempotent_calls_are_sent_once_when_the_connection_drops_after_sending(
    factory: Factory, operation: str
) -> None:
    script = Script(httpx.RemoteProtocolError("Server disconnected without sending a response."))
    with pytest.raises(APIConnectionError):
        call(factory(script), operation, *OPERATIONS[operation][0])
    assert len(script.requests) == 1


@FACTORIES
@pytest.mark.parametrize("operation", WRITES)
@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(503),
        httpx.Response(429, headers={"Retry-After": "1"}),
        httpx.Response(408),
        httpx.ReadTimeout("slow"),
        httpx.WriteTimeout("slow"),
        httpx.ReadError("reset"),
        httpx.WriteError("broken pipe"),
    ],
    ids=lambda a: getattr(a, "status_code", None) or type(a).__name__,
)
def test_non_idempotent_calls_are_not_retried_once_sent(
    factory: Factory, operation: str, answer: Any
) -> None:
    script = Script(answer)
    with pytest.raises(AmpError):
        call(factory(script), operation, *OPERATIONS[operation][0])
    assert len(script.requests) == 1


@FACTORIES
@pytest.mark.parametrize("operation", WRITES)
@pytest.mark.parametrize(
    "error",
    [httpx.ConnectError("refused"), httpx.ConnectTimeout("slow connect"), httpx.PoolTimeout("pool")],
    ids=lambda e: type(e).__name__,
)
def test_non_idempotent_calls_are_retried_when_never_sent(
    factory: Factory, operation: str, error: Exception
) -> None:
    script = Script(error, success(operation))
    result = call(factory(script), operation, *OPERATIONS[operation][0])
    assert same_data(result, ok_body[operation])
    assert len(script.requests) == 2


def test_a_real_refused_connection_raises_api_connection_error() -> None:
    client = AmpClient(base_url="http://127.0.0.1:9", token=TOKEN, max_retries=1)
    client._clock = FakeClock()
    with pytest.raises(APIConnectionError) as raised:
        client.inputs()
    assert TOKEN not in str(raised.value)


# --- how long it waits ---------------------------------------------------------------------


def test_backoff_is_full_jitter_doubling_to_a_cap() -> None:
    # (5000: a huge max_retries must not end in an OverflowError from 2**attempt.)
    for attempt, cap in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (10, 8.0), (5000, 8.0)]:
        delays = [backoff(attempt) for _ in range(300)]
        assert all(0 <= d <= cap for d in delays)
        assert max(delays) > cap * 0.8  # the whole range is used, not a fixed delay
        assert min(delays) < cap * 0.2


def with_retry_after(value: str) -> httpx.Response:
    return httpx.Response(503, headers={"Retry-After": value})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3", 3.0),
        ("0", 0.0),
        ("1.5", 1.5),
        (" 2 ", 2.0),
        ("100000", 60.0),  # capped
        ("-5", 0.0),
        ("nan", None),
        ("inf", None),
        ("soon", None),
        ("", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # in the past
        ("Wed, 21 Oct 2015 07:28:00", None),  # no zone: not an HTTP date
    ],
)
def test_retry_after_seconds_and_dates(value: str, expected: float | None) -> None:
    assert retry_after(with_retry_after(value)) == expected


def test_retry_after_a_future_http_date_counts_from_now() -> None:
    now = time.time()
    value = email.utils.formatdate(now + 20, usegmt=True)
    assert retry_after(with_retry_after(value), now=now) == pytest.approx(20, abs=1)
    assert retry_after(with_retry_after(email.utils.formatdate(now + 3600, usegmt=True)), now=now) == 60.0


def test_retry_after_without_the_header_falls_back_to_backoff() -> None:
    clock = FakeClock()
    script = Script(
        with_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
        with_retry_after("100000"),
        httpx.Response(503),
        json_response({"inputs": []}),
    )
    sync_client(script, clock, max_retries=3).inputs()
    assert clock.slept[:2] == [0.0, 60.0]
    assert 0 <= clock.slept[2] <= 2.0  # third retry: backoff(2)


def test_raw_response_counts_the_retries() -> None:
    script = Script(httpx.Response(502), httpx.Response(503), json_response({"inputs": ["topic"]}))
    raw = sync_client(script).with_raw_response.inputs()
    assert raw.parsed == ["topic"]
    assert raw.retries == 2
