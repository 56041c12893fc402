"""Shared by the emulator, webhook-delivery and CLI end-to-end tests: the default crew's inputs,
a time scale that runs it in well under a second, a bounded wait for a condition, the
helpers that parametrize an `emulator` fixture and talk to it over plain HTTP, the REST spec
the wheel carries (what the emulator validates against), and a webhook receiver on 127.0.0.1
that records every delivery."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
import pytest

if TYPE_CHECKING:
    from crewai_amp.testing import AmpEmulator

T = TypeVar("T")

SCALE = 0.01  # the default crew (~13 s at scale 1.0) in ~0.13 s
INPUTS = {"topic": "AI", "target_audience": "devs", "depth": "short"}


def wait_for(predicate: Callable[[], T | None], *, timeout: float = 10.0, what: str = "condition") -> T:
    """Poll until `predicate` returns something truthy; a bounded loop, never a timing check."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.005)


def with_options(**options: Any) -> pytest.MarkDecorator:
    """Parametrize the test module's `emulator` fixture with AmpEmulator arguments."""
    return pytest.mark.parametrize("emulator", [options], indirect=True, ids=[""])


def client_for(emulator: AmpEmulator) -> httpx.Client:
    """A plain HTTP client for `emulator`, with its bearer token."""
    return httpx.Client(
        base_url=emulator.base_url,
        headers={"Authorization": f"Bearer {emulator.token}"},
        timeout=10,
        trust_env=False,
    )


def shipped_spec() -> dict[str, Any]:
    """The overlaid OpenAPI document the installed client was generated from (a fresh copy)."""
    document: dict[str, Any] = json.loads(
        resources.files("crewai_amp_api").joinpath("openapi.json").read_text("utf-8")
    )
    return document


def schema_validator(document: dict[str, Any], name: str) -> Any:
    """A jsonschema validator (formats checked) for `#/components/schemas/<name>` of `document`."""
    import jsonschema

    schema = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int

    @property
    def payload(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """What a recording receiver got; `failures[path]` = how many next requests answer 500."""

    base_url: str = ""
    deliveries: list[Delivery] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def accepted(self, path: str | None = None) -> list[Delivery]:
        with self.lock:
            return [d for d in self.deliveries if d.status == 200 and (path is None or d.path == path)]

    def all(self) -> list[Delivery]:
        with self.lock:
            return list(self.deliveries)


@contextlib.contextmanager
def recording_receiver() -> Iterator[Receiver]:
    """A receiver on 127.0.0.1 (ephemeral port) that records every POST, whatever its path."""
    from crewai_amp.testing._server import BackgroundServer
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    state = Receiver()

    async def record(request: Request) -> Response:
        body = await request.body()
        path = request.url.path
        with state.lock:
            failing = state.failures.get(path, 0)
            if failing:
                state.failures[path] = failing - 1
            status = 500 if failing else 200
            state.deliveries.append(Delivery(path, dict(request.headers), body, status))
        return Response(status_code=status)

    server = BackgroundServer(Starlette(routes=[Route("/{path:path}", record, methods=["POST"])]))
    state.base_url = f"http://127.0.0.1:{server.start()}"
    try:
        yield state
    finally:
        server.stop()


def paused_status(document: dict[str, Any] | None = None) -> str:
    """What `GET /status` says of a run paused for review in the spec dialect: the spec's
    `pending_human_input` variant when it has one, else `running` (all the spec then allows)."""
    schema = (document or shipped_spec())["components"]["schemas"]["StatusResponse"]
    variants = schema.get("discriminator", {}).get("mapping", {})
    return "pending_human_input" if "pending_human_input" in variants else "running"
