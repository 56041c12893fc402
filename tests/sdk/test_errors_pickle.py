"""Every error in crewai_amp.errors pickles (also across a ProcessPoolExecutor) to an equal
message and equal attributes."""

from __future__ import annotations

import json
import pickle
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import httpx
import pytest
from crewai_amp import errors
from crewai_amp._status import StatusUnknown, parse_status
from support.client import COMPLETED, ERROR, KICKOFF_ID, RUNNING, as_read
from support.instances import same_data


def roundtrip(value: Any, protocol: int = pickle.DEFAULT_PROTOCOL) -> Any:
    """``value`` through pickle: the test's own bytes, never untrusted data."""
    return pickle.loads(pickle.dumps(value, protocol=protocol))  # noqa: S301


def _response(status: int) -> httpx.Response:
    request = httpx.Request("GET", f"https://crew.test/status/{KICKOFF_ID}")
    return httpx.Response(status, json={"error": "nope"}, headers={"x-request-id": "req-1"}, request=request)


def examples() -> dict[str, errors.AmpError]:
    """One instance of every error class, with the attributes the SDK gives it."""
    request = httpx.Request("POST", "https://crew.test/kickoff")
    made: dict[str, errors.AmpError] = {
        "AmpError": errors.AmpError("base"),
        "ConfigurationError": errors.ConfigurationError("no token"),
        "APIConnectionError": errors.APIConnectionError("refused", request=request),
        "APITimeoutError": errors.APITimeoutError("slow", request=None),
        "KickoffMayHaveStarted": errors.KickoffMayHaveStarted(
            "answer lost", correlation_id="c-1", request=request
        ),
        "ResponseValidationError": errors.ResponseValidationError(
            "bad body", raw="{oops", status_code=200, response=_response(200)
        ),
        "ResponseTooLarge": errors.ResponseTooLarge("big", limit=10, received=11, status_code=200),
        "ExecutionError": errors.ExecutionError("failed", kickoff_id=KICKOFF_ID, status=parse_status(ERROR)),
        "WaitTimeout": errors.WaitTimeout(
            "too long",
            kickoff_id=KICKOFF_ID,
            last_status=StatusUnknown("paused", {"status": "paused", "x": 1}),
        ),
        "WebhookVerificationError": errors.WebhookVerificationError("bad signature"),
        "JournalError": errors.JournalError("not a journal"),
        "JournalBusy": errors.JournalBusy("in use"),
        "JournalMismatch": errors.JournalMismatch("other inputs"),
        "EventParseError": errors.EventParseError("bad event", raw={"a": 1}),
        "RunNotFoundError": errors.RunNotFoundError(
            "no crew run",
            response=_response(200),
            body={"state": "NOT FOUND", "result": None},
            kickoff_id=KICKOFF_ID,
        ),
    }
    for code, name in [
        (400, "BadRequestError"),
        (401, "AuthenticationError"),
        (404, "NotFoundError"),
        (422, "UnprocessableEntityError"),
        (429, "RateLimitError"),
        (503, "InternalServerError"),
        (418, "APIStatusError"),
    ]:
        cls = errors.status_error_class(code)
        assert cls.__name__ == name
        made[name] = cls(f"answered {code}", response=_response(code), body={"error": "nope"})
    return made


def test_the_examples_cover_every_exported_error_class() -> None:
    exported = {
        name
        for name in errors.__all__
        if isinstance(getattr(errors, name), type) and issubclass(getattr(errors, name), BaseException)
    }
    assert exported == set(examples())


def comparable(value: object) -> object:
    """What an attribute says: an httpx Request/Response compares by identity, so by content."""
    if isinstance(value, httpx.Response):
        return (value.status_code, value.headers.multi_items(), value.content, comparable(value.request))
    if isinstance(value, httpx.Request):
        return (value.method, str(value.url))
    if hasattr(value, "to_dict"):
        return (type(value), value.to_dict())
    return value


def assert_same(copy: BaseException, original: BaseException) -> None:
    assert type(copy) is type(original)
    assert str(copy) == str(original)
    assert copy.args == original.args
    assert set(vars(copy)) == set(vars(original))
    for key, value in vars(original).items():
        assert comparable(getattr(copy, key)) == comparable(value), key


@pytest.mark.parametrize("name", sorted(examples()))
def test_every_error_pickles_to_an_equal_message_and_attributes(name: str) -> None:
    original = examples()[name]
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        assert_same(roundtrip(original, protocol), original)


def raise_error(name: str) -> None:
    raise examples()[name]


def test_errors_cross_a_process_pool_intact() -> None:
    names = sorted(examples())
    with ProcessPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(raise_error, name) for name in names}
        for name, future in futures.items():
            error = future.exception(timeout=60)
            assert error is not None
            assert_same(error, examples()[name])


def test_an_error_raised_by_the_client_pickles() -> None:
    from support.client import Script, json_response, sync_client

    client = sync_client(Script(json_response({"error": "unknown kickoff"}, 404)))
    with pytest.raises(errors.NotFoundError) as caught:
        client.status(KICKOFF_ID)
    copy: Any = roundtrip(caught.value)
    assert str(copy) == str(caught.value)
    assert copy.status_code == 404 and copy.body == {"error": "unknown kickoff"}
    assert copy.response.json() == {"error": "unknown kickoff"}


def test_statuses_pickle_too() -> None:
    for body in (RUNNING, COMPLETED, ERROR, {"status": "paused", "why": "review"}):
        status = parse_status(body)
        assert comparable(roundtrip(status)) == comparable(status)


def test_a_pickled_status_still_writes_its_json() -> None:
    """Fields the body left out stay the generated UNSET singleton after a round trip, so
    to_dict() leaves them out again instead of writing an object JSON cannot encode."""
    for body in (RUNNING, COMPLETED, ERROR):
        copy: Any = roundtrip(parse_status(body))
        assert json.loads(json.dumps(copy.to_dict())) == copy.to_dict() and same_data(copy, as_read(body))
    error = errors.ExecutionError("failed", kickoff_id=KICKOFF_ID, status=parse_status(ERROR))
    assert same_data(roundtrip(error).status, ERROR)
