"""A kickoff whose answer is lost, or comes in a body that cannot be read (too large, not JSON,
no kickoff id), may have started a paid run: a typed KickoffMayHaveStarted (still an
APIConnectionError), chained to the error it would have been, with the correlation id the client
put in the kickoff's meta, never retried. A kickoff that provably never left the machine, or
that AMP refused (4xx), is no such error."""

from __future__ import annotations

import pickle
import uuid
from typing import Any

import httpx
import pytest
from crewai_amp import (
    CORRELATION_ID_KEY,
    AmpClient,
    APIConnectionError,
    APITimeoutError,
    AsyncAmpClient,
    ConfigurationError,
    KickoffMayHaveStarted,
    ResponseTooLarge,
    ResponseValidationError,
)
from crewai_amp.testing import AmpEmulator
from support import unread
from support.client import KICKOFF_ID, TOKEN, Script, async_client, call, json_response, sync_client
from support.emulator import INPUTS, SCALE, recording_receiver, wait_for
from support.unread import UNREADABLE


@pytest.fixture(params=[sync_client, async_client], ids=["sync", "async"])
def factory(request: pytest.FixtureRequest) -> Any:
    return request.param


def sent_meta(request: httpx.Request) -> dict[str, Any]:
    import json

    meta: dict[str, Any] = json.loads(request.content)["meta"]
    return meta


# Raised once the request may have been written: the answer is what was lost.
LOST = [
    httpx.ReadTimeout("timed out"),
    httpx.ReadError("connection reset by peer"),
    httpx.RemoteProtocolError("Server disconnected without sending a response."),
    httpx.WriteError("broken pipe"),
    httpx.WriteTimeout("timed out"),
    httpx.DecodingError("invalid gzip"),
]


@pytest.mark.parametrize("lost", LOST, ids=lambda e: type(e).__name__)
def test_a_lost_kickoff_answer_is_a_typed_may_have_started_error(factory: Any, lost: Exception) -> None:
    script = Script(lost)
    with pytest.raises(KickoffMayHaveStarted) as caught:
        call(factory(script), "kickoff", {"topic": "AI"}, meta={"team": "qa"})
    error = caught.value
    assert isinstance(error, APIConnectionError)  # `except APIConnectionError` still catches it
    assert error.may_have_started is True
    assert len(script.requests) == 1  # never retried
    meta = sent_meta(script.requests[0])
    assert meta == {"team": "qa", CORRELATION_ID_KEY: error.correlation_id}  # the caller's meta kept
    uuid.UUID(error.correlation_id)
    assert error.correlation_id in str(error)
    assert "may have started" in str(error)
    assert error.request is not None and error.request.url.path == "/kickoff"


@pytest.mark.parametrize(
    "refused",
    [
        httpx.ConnectError("connection refused"),
        httpx.ConnectTimeout("timed out"),
        httpx.PoolTimeout("no slot"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_a_kickoff_that_never_left_is_not_uncertain_and_is_retried(factory: Any, refused: Exception) -> None:
    script = Script(refused)
    with pytest.raises(APIConnectionError) as caught:
        call(factory(script, max_retries=2), "kickoff", {"topic": "AI"})
    assert not isinstance(caught.value, KickoffMayHaveStarted)
    assert caught.value.may_have_started is False
    assert len(script.requests) == 3  # safe to repeat: nothing reached AMP


def test_a_refused_then_lost_kickoff_keeps_one_correlation_id(factory: Any) -> None:
    script = Script(httpx.ConnectError("refused"), httpx.ReadTimeout("timed out"))
    with pytest.raises(KickoffMayHaveStarted) as caught:
        call(factory(script, max_retries=2), "kickoff", {"topic": "AI"})
    ids = {sent_meta(request)[CORRELATION_ID_KEY] for request in script.requests}
    assert ids == {caught.value.correlation_id}


def test_a_lost_status_answer_stays_a_plain_timeout(factory: Any) -> None:
    with pytest.raises(APITimeoutError) as caught:
        call(factory(Script(httpx.ReadTimeout("timed out")), max_retries=0), "status", KICKOFF_ID)
    assert not isinstance(caught.value, KickoffMayHaveStarted)


def test_every_kickoff_carries_a_fresh_correlation_id_and_a_caller_may_choose_it(factory: Any) -> None:
    script = Script(json_response({"kickoff_id": KICKOFF_ID}))
    client = factory(script)
    call(client, "kickoff", {"topic": "AI"})
    call(client, "kickoff", {"topic": "AI"}, meta=None)
    call(client, "kickoff", {"topic": "AI"}, meta={CORRELATION_ID_KEY: "order-42"})
    first, second, chosen = (sent_meta(request)[CORRELATION_ID_KEY] for request in script.requests)
    assert first != second
    uuid.UUID(first), uuid.UUID(second)
    assert chosen == "order-42"


@pytest.mark.parametrize("value", ["", 7, None, ["x"]])
def test_a_correlation_id_that_is_not_a_string_is_refused_before_sending(factory: Any, value: Any) -> None:
    script = Script(json_response({"kickoff_id": KICKOFF_ID}))
    with pytest.raises(ConfigurationError, match=CORRELATION_ID_KEY):
        call(factory(script), "kickoff", {"topic": "AI"}, meta={CORRELATION_ID_KEY: value})
    assert script.requests == []


def test_the_error_masks_the_token_and_pickles_without_it(factory: Any) -> None:
    script = Script(httpx.RemoteProtocolError(f"peer said: token {TOKEN}"))
    with pytest.raises(KickoffMayHaveStarted) as caught:
        call(factory(script), "kickoff", {"topic": "AI"})
    assert TOKEN not in str(caught.value) and TOKEN not in repr(caught.value)
    data = pickle.dumps(caught.value)
    assert TOKEN.encode() not in data
    copy = pickle.loads(data)  # noqa: S301 - the test's own bytes
    assert copy.correlation_id == caught.value.correlation_id
    assert copy.may_have_started is True
    assert "authorization" not in copy.request.headers


def test_against_the_emulator_the_run_started_and_its_webhook_carries_the_correlation_id() -> None:
    with recording_receiver() as receiver, AmpEmulator(scale=SCALE) as amp:
        with AmpClient(base_url=amp.base_url, token=amp.token) as client:
            amp.faults.inject("drop", route="kickoff")  # the crew starts, its answer is lost
            with pytest.raises(KickoffMayHaveStarted) as caught:
                client.kickoff(INPUTS, meta={"requestId": "r-1"}, crew_webhook_url=receiver.url("/crew"))
        assert amp.kickoff_count == 1
        (started,) = amp.kickoff_ids
        (delivery,) = wait_for(lambda: receiver.accepted("/crew"), what="the crew webhook")
    assert delivery.payload["kickoff_id"] == started
    assert delivery.payload["meta"] == {"requestId": "r-1", CORRELATION_ID_KEY: caught.value.correlation_id}


# --- an answer that came but could not be read ---------------------------------------------------

# Each is a 2xx AMP sends once it accepted a kickoff: a paid run has started, and its id cannot be read.
UNREAD = {
    "oversized": (
        httpx.Response(200, content=b'{"kickoff_id": "k-1"' + b" " * 5000 + b"}"),
        ResponseTooLarge,
    ),
    "oversized-streamed": (  # no Content-Length: read until it passes the limit
        lambda _: httpx.Response(200, stream=httpx.ByteStream(b'{"kickoff_id": "k-1"' + b" " * 5000 + b"}")),
        ResponseTooLarge,
    ),
    "not-json": (httpx.Response(200, text="<html>502 Bad Gateway</html>"), ResponseValidationError),
    "no-kickoff-id": (json_response({"status": "accepted"}, 201), ResponseValidationError),
    "empty-kickoff-id": (json_response({"kickoff_id": ""}), ResponseValidationError),
}


@pytest.mark.parametrize("name", list(UNREAD))
def test_a_kickoff_answer_that_cannot_be_read_may_have_started_a_run(factory: Any, name: str) -> None:
    answer, cause = UNREAD[name]
    script = Script(answer)
    with pytest.raises(KickoffMayHaveStarted) as caught:
        call(factory(script, max_response_bytes=1000), "kickoff", {"topic": "AI"}, meta={"team": "qa"})
    error = caught.value
    assert error.may_have_started is True and isinstance(error, APIConnectionError)
    assert isinstance(error.__cause__, cause)  # the error it would have been, kept
    assert len(script.requests) == 1  # never retried: a second kickoff is a second run
    assert sent_meta(script.requests[0]) == {"team": "qa", CORRELATION_ID_KEY: error.correlation_id}
    message = str(error)
    assert message.startswith(str(error.__cause__).rstrip("."))  # what happened, then what to do
    assert f"meta {CORRELATION_ID_KEY}={error.correlation_id} in AMP's webhooks or dashboard" in message
    assert "AMP accepted the kickoff, but no kickoff id could be read from its answer" in message
    assert "may have started" in message
    assert error.request is not None and error.request.url.path == "/kickoff"


def test_the_body_of_an_unreadable_kickoff_answer_is_kept(factory: Any) -> None:
    with pytest.raises(KickoffMayHaveStarted) as caught:
        call(factory(Script(httpx.Response(202, text="accepted: run k-7"))), "kickoff", {"topic": "AI"})
    cause = caught.value.__cause__
    assert isinstance(cause, ResponseValidationError)
    assert (cause.raw, cause.status_code) == ("accepted: run k-7", 202)


def test_an_unreadable_5xx_kickoff_answer_may_have_started_a_run_an_unreadable_4xx_did_not(
    factory: Any,
) -> None:
    huge = b"x" * 5000
    with pytest.raises(KickoffMayHaveStarted) as caught:
        call(factory(Script(httpx.Response(502, content=huge)), max_response_bytes=1000), "kickoff", {})
    assert isinstance(caught.value.__cause__, ResponseTooLarge)
    assert "AMP's answer to the kickoff could not be read" in str(caught.value)
    # A 4xx is AMP refusing the kickoff: no run started, whatever its body.
    with pytest.raises(ResponseTooLarge) as refused:
        call(factory(Script(httpx.Response(422, content=huge)), max_response_bytes=1000), "kickoff", {})
    assert not isinstance(refused.value, KickoffMayHaveStarted) and refused.value.status_code == 422


def test_an_unreadable_answer_to_anything_but_a_kickoff_stays_what_it_was(factory: Any) -> None:
    with pytest.raises(ResponseTooLarge):
        call(factory(Script(httpx.Response(200, content=b"[" * 5000)), max_response_bytes=1000), "inputs")
    with pytest.raises(ResponseValidationError):
        call(factory(Script(httpx.Response(200, text="<html>"))), "resume", KICKOFF_ID, "t-3", "ok", True)


def test_the_request_id_of_an_unreadable_kickoff_answer_is_kept(factory: Any) -> None:
    answer = httpx.Response(200, text="<html>", headers={"x-request-id": "req-81"})
    with pytest.raises(KickoffMayHaveStarted) as caught:
        call(factory(Script(answer)), "kickoff", {"topic": "AI"})
    assert caught.value.request_id == "req-81" and "req-81" in str(caught.value)


@pytest.mark.parametrize("kind", list(UNREADABLE))
@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_against_the_emulator_an_unreadable_kickoff_answer_started_the_run_it_names(
    kind: str, asynchronous: bool
) -> None:
    import asyncio

    with recording_receiver() as receiver, AmpEmulator(scale=SCALE) as amp:
        http = unread.http_client(unread.UnreadableKickoffs(kind), asynchronous=asynchronous)
        options = {"base_url": amp.base_url, "token": amp.token, "http_client": http}
        options["max_response_bytes"] = unread.LIMIT
        crew_webhook = receiver.url("/crew")
        with pytest.raises(KickoffMayHaveStarted) as caught:
            if asynchronous:

                async def kickoff() -> None:
                    async with http, AsyncAmpClient(**options) as client:
                        await client.kickoff(INPUTS, crew_webhook_url=crew_webhook)

                asyncio.run(kickoff())
            else:
                with AmpClient(**options) as client, http:
                    client.kickoff(INPUTS, crew_webhook_url=crew_webhook)
        assert amp.kickoff_count == 1
        (started,) = amp.kickoff_ids  # the run the error says may have started did
        (delivery,) = wait_for(lambda: receiver.accepted("/crew"), what="the crew webhook")
    assert delivery.payload["kickoff_id"] == started
    assert delivery.payload["meta"] == {CORRELATION_ID_KEY: caught.value.correlation_id}
