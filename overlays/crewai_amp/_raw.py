"""``client.with_raw_response``: every public call, returning a RawResponse instead.

Derived from the client's own bound methods (typed with ParamSpec, as openai-python's
``to_raw_response_wrapper``), so a signature is declared once. While a wrapped call runs, the
client records the response it parsed into a context variable, which the wrapper reads.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, overload

import httpx

from ._responses import RawResponse

if TYPE_CHECKING:
    from ._async_client import AsyncAmpClient
    from ._client import AmpClient

__all__ = ["AsyncRawClient", "RawClient", "record", "with_raw_response"]

P = ParamSpec("P")
R = TypeVar("R")

_SINK: contextvars.ContextVar[list[tuple[httpx.Response, int]] | None] = contextvars.ContextVar(
    "crewai_amp_raw_sink", default=None
)


def record(response: httpx.Response, retries: int) -> None:
    """Called by the client for each response it returns a value from."""
    sink = _SINK.get()
    if sink is not None:
        sink.append((response, retries))


def _raw(parsed: R, sink: list[tuple[httpx.Response, int]]) -> RawResponse[R]:
    response, retries = sink[-1]
    return RawResponse(parsed, response, retries)


def to_raw_response_wrapper(method: Callable[P, R]) -> Callable[P, RawResponse[R]]:
    @functools.wraps(method)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> RawResponse[R]:
        sink: list[tuple[httpx.Response, int]] = []
        token = _SINK.set(sink)
        try:
            parsed = method(*args, **kwargs)
        finally:
            _SINK.reset(token)
        return _raw(parsed, sink)

    return wrapped


def async_to_raw_response_wrapper(
    method: Callable[P, Coroutine[Any, Any, R]],
) -> Callable[P, Coroutine[Any, Any, RawResponse[R]]]:
    @functools.wraps(method)
    async def wrapped(*args: P.args, **kwargs: P.kwargs) -> RawResponse[R]:
        sink: list[tuple[httpx.Response, int]] = []
        token = _SINK.set(sink)
        try:
            parsed = await method(*args, **kwargs)
        finally:
            _SINK.reset(token)
        return _raw(parsed, sink)

    return wrapped


@overload
def with_raw_response(  # type: ignore[overload-overlap]
    method: Callable[P, Coroutine[Any, Any, R]],
) -> Callable[P, Coroutine[Any, Any, RawResponse[R]]]: ...
@overload
def with_raw_response(method: Callable[P, R]) -> Callable[P, RawResponse[R]]: ...
def with_raw_response(method: Callable[P, Any]) -> Callable[P, Any]:
    """``method`` (a client's ``inputs``, ``kickoff``, ``status`` or ``resume``, sync or async)
    returning a [RawResponse][crewai_amp.RawResponse]: the parsed value and the httpx.Response
    it came from.

    ```python
    raw = with_raw_response(client.kickoff)({"topic": "AI"})
    print(raw.parsed.kickoff_id, raw.status_code, raw.headers)
    ```
    """
    if inspect.iscoroutinefunction(method):
        return async_to_raw_response_wrapper(method)
    return to_raw_response_wrapper(method)


class RawClient:
    """``AmpClient.with_raw_response``."""

    def __init__(self, client: AmpClient) -> None:
        self.inputs = to_raw_response_wrapper(client.inputs)
        self.kickoff = to_raw_response_wrapper(client.kickoff)
        self.status = to_raw_response_wrapper(client.status)
        self.resume = to_raw_response_wrapper(client.resume)


class AsyncRawClient:
    """``AsyncAmpClient.with_raw_response``."""

    def __init__(self, client: AsyncAmpClient) -> None:
        self.inputs = async_to_raw_response_wrapper(client.inputs)
        self.kickoff = async_to_raw_response_wrapper(client.kickoff)
        self.status = async_to_raw_response_wrapper(client.status)
        self.resume = async_to_raw_response_wrapper(client.resume)
