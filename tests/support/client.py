"""Helpers for the client tests: spec examples, scripted transports, a fake clock, and a way to
call sync and async clients alike."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
from crewai_amp import AmpClient, AsyncAmpClient

from support.paths import REST_SPEC, load_yaml

REST = load_yaml(REST_SPEC)
BASE = "https://crew.test"
TOKEN = "sk-secret-token-4f9a1c"
Handler = Callable[[httpx.Request], httpx.Response]
AnyClient = AmpClient | AsyncAmpClient


def response_example(path: str, method: str, name: str, status: str = "200") -> Any:
    content = REST["paths"][path][method]["responses"][status]["content"]["application/json"]
    return content["examples"][name]["value"]


def response_examples(path: str, method: str, status: str = "200") -> dict[str, Any]:
    content = REST["paths"][path][method]["responses"][status]["content"]["application/json"]
    return {name: example["value"] for name, example in content["examples"].items()}


def request_examples(path: str, method: str) -> dict[str, Any]:
    content = REST["paths"][path][method]["requestBody"]["content"]["application/json"]
    return {name: example["value"] for name, example in content["examples"].items()}


KICKOFF_ID: str = response_example("/kickoff", "post", "accepted")["kickoff_id"]
RUNNING: dict[str, Any] = response_example("/status/{kickoff_id}", "get", "running")
COMPLETED: dict[str, Any] = response_example("/status/{kickoff_id}", "get", "completed")
ERROR: dict[str, Any] = response_example("/status/{kickoff_id}", "get", "error")


def as_read(body: dict[str, Any]) -> dict[str, Any]:
    """What ``to_dict()`` of a parsed status writes for a spec-dialect body: the body, with a
    completed status's ``result.output`` and ``result.output_json`` always there (None when AMP
    sent none). ``raw_body()`` gives the body exactly as sent."""
    if body.get("status") != "completed":
        return body
    result = body.get("result") or {}
    return {**body, "result": {"output": None, "output_json": body.get("result_json"), **result}}


# operation -> (positional arguments, a success body from the spec)
OPERATIONS: dict[str, tuple[tuple[Any, ...], Any]] = {
    "inputs": ((), response_example("/inputs", "get", "research")),
    "kickoff": (({"topic": "AI"},), response_example("/kickoff", "post", "accepted")),
    "status": ((KICKOFF_ID,), RUNNING),
    "resume": ((KICKOFF_ID, "t-3", "ok", True), response_example("/resume", "post", "resumed")),
}
PATHS = {"inputs": "/inputs", "kickoff": "/kickoff", "status": f"/status/{KICKOFF_ID}", "resume": "/resume"}


class FakeClock:
    """Time that moves only when the client sleeps; every sleep is recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)  # still a suspension point, as a real sleep is


class Script:
    """A transport handler replaying answers in order (the last repeats), recording requests.
    An answer may be a response, an exception to raise, or a function of the request."""

    def __init__(self, *answers: httpx.Response | Exception | Handler) -> None:
        self.requests: list[httpx.Request] = []
        self._answers: Iterator[httpx.Response | Exception | Handler] = iter(answers)
        self._last = answers[-1]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        answer = next(self._answers, self._last)
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, httpx.Response):  # a fresh copy: a response is read only once
            return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)
        return answer(request)


CORRELATION_ID_KEY = "crewai_amp_correlation_id"  # documented in docs/client.md


def sent_kickoff(request: httpx.Request) -> dict[str, Any]:
    """A kickoff's JSON body as the caller gave it: the correlation id the client adds to every
    kickoff's meta checked (a UUID) and taken out, and meta left out if nothing else is in it."""
    body: dict[str, Any] = json.loads(request.content)
    meta = body["meta"]
    uuid.UUID(meta.pop(CORRELATION_ID_KEY))
    if not meta:
        del body["meta"]
    return body


def json_response(body: Any, status: int = 200, **kwargs: Any) -> httpx.Response:
    return httpx.Response(status, json=body, **kwargs)


def sync_client(handler: Handler, clock: FakeClock | None = None, **kwargs: Any) -> AmpClient:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    client = AmpClient(base_url=BASE, token=TOKEN, http_client=http, **kwargs)
    client._clock = clock or FakeClock()
    return client


def async_client(handler: Handler, clock: FakeClock | None = None, **kwargs: Any) -> AsyncAmpClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    client = AsyncAmpClient(base_url=BASE, token=TOKEN, http_client=http, **kwargs)
    client._clock = clock or FakeClock()
    return client


def call(client: AnyClient | Any, method: str, *args: Any, **kwargs: Any) -> Any:
    """Call a method of a sync or async client (or its with_raw_response) and return its result."""
    result = getattr(client, method)(*args, **kwargs)
    if asyncio.iscoroutine(result):
        return asyncio.run(result)
    return result
