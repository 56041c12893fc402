"""A kickoff that AMP accepts, answered in a body the client cannot read: an httpx transport that
forwards every request to a real server (the emulator, which starts the run) and replaces the
body of the first ``times`` kickoff answers, keeping their status (a 422 refusal stays one)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx

# The client tests give these clients a max_response_bytes of LIMIT: the emulator's own answers
# fit, an "oversized" kickoff answer does not.
LIMIT = 100_000


def _oversized(body: bytes) -> bytes:
    return body + b" " * (2 * LIMIT)  # still the kickoff's JSON: only its size is wrong


UNREADABLE: dict[str, Callable[[bytes], bytes]] = {
    "oversized": _oversized,
    "not-json": lambda body: b"<html><body>502 Bad Gateway. Try again.</body></html>",
    "no-kickoff-id": lambda body: b'{"status": "accepted"}',
}


class UnreadableKickoffs(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Forwards to the server; the first ``times`` answers to POST /kickoff get their body
    replaced by ``UNREADABLE[kind]`` of it."""

    def __init__(self, kind: str, *, times: int = 1) -> None:
        self.mangle = UNREADABLE[kind]
        self.left = times
        self._lock = threading.Lock()
        self._sync = httpx.HTTPTransport()
        self._async = httpx.AsyncHTTPTransport()

    def _take(self, request: httpx.Request) -> bool:
        if request.method != "POST" or request.url.path != "/kickoff":
            return False
        with self._lock:
            if self.left == 0:
                return False
            self.left -= 1
            return True

    def _replaced(self, response: httpx.Response) -> httpx.Response:
        headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _RECOMPUTED]
        return httpx.Response(response.status_code, headers=headers, content=self.mangle(response.content))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._sync.handle_request(request)
        if not self._take(request):
            return response
        try:
            response.read()
        finally:
            response.close()
        return self._replaced(response)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._async.handle_async_request(request)
        if not self._take(request):
            return response
        try:
            await response.aread()
        finally:
            await response.aclose()
        return self._replaced(response)

    def close(self) -> None:
        self._sync.close()

    async def aclose(self) -> None:
        await self._async.aclose()


_RECOMPUTED = frozenset({"content-length", "content-encoding", "transfer-encoding"})


def http_client(transport: UnreadableKickoffs, *, asynchronous: bool = False) -> Any:
    """An httpx client (async when asked) sending through ``transport``."""
    if asynchronous:
        return httpx.AsyncClient(transport=transport, trust_env=False)
    return httpx.Client(transport=transport, trust_env=False)
