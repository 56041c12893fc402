"""The emulator's HTTP side: the four operations of the REST spec, as a Starlette app, behind a
thin ASGI front that counts requests and injects faults.

Every answer is built with the generated REST models (`crewai_amp_api.models`) and their
`to_dict()`, so it stays valid against the spec when the spec is regenerated. The generated
`from_dict()` trusts its input's types, so request bodies are type-checked here first: a
malformed body is a 400 naming the field, never a crash.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import math
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from crewai_amp_api.models import (
    Error,
    ErrorDetails,
    InputsResponse,
    KickoffRequest,
    KickoffResponse,
    ResumeRequest,
    ResumeResponse,
    ResumeResponseStatus,
)
from crewai_amp_api.types import Unset
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._faults import ROUTES
from ._runner import dumps
from ._state import EmulatorState

__all__ = ["build_app"]

_JSON = "application/json"
_URL_FIELDS = ("taskWebhookUrl", "stepWebhookUrl", "crewWebhookUrl")


def error_response(
    status: int, message: str, details: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> Response:
    body = Error(error=message)
    if details is not None:
        body.details = ErrorDetails.from_dict(details)
    return Response(dumps(body.to_dict()), status_code=status, media_type=_JSON, headers=headers)


def build_app(state: EmulatorState) -> ASGIApp:
    """The emulator as an ASGI app (lifespan included): mount it anywhere, or let
    `AmpEmulator` serve it."""
    inputs_body = dumps(InputsResponse(inputs=list(state.crew.inputs)).to_dict())
    token = state.token.encode()

    def unauthorized(request: Request) -> Response | None:
        header = request.headers.get("authorization")
        challenge = {"WWW-Authenticate": "Bearer"}
        if not header:
            return error_response(
                401, "Missing bearer token (Authorization: Bearer <token>)", headers=challenge
            )
        scheme, _, credentials = header.partition(" ")
        # Starlette decodes header values as latin-1, so this round-trips the raw bytes.
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            credentials.strip().encode("latin-1"), token
        ):
            return error_response(401, "Invalid bearer token", headers=challenge)
        return None

    async def checked_body(
        request: Request, problem_of: Callable[[Any], str | None]
    ) -> tuple[Any, Response | None]:
        """The request's JSON body, or the answer refusing it: 401 before reading it, 400 when
        it is not JSON or `problem_of` finds something wrong with it."""
        denied = unauthorized(request)
        if denied is not None:
            return None, denied
        data, problem = _json_body(await request.body())
        if problem is None:
            problem = problem_of(data)
        return data, None if problem is None else error_response(400, problem)

    async def inputs(request: Request) -> Response:
        return unauthorized(request) or Response(inputs_body, media_type=_JSON)

    async def kickoff(request: Request) -> Response:
        data, refused = await checked_body(request, _kickoff_problem)
        if refused is not None:
            return refused
        body = KickoffRequest.from_dict(data)
        given = body.inputs.to_dict()
        missing = [name for name in state.crew.inputs if given.get(name) is None]
        if missing:
            return error_response(
                422,
                f"Missing required inputs: {', '.join(missing)}",
                {"missing": missing, "required": list(state.crew.inputs)},
            )
        run = state.start_run(
            given,
            meta=None if isinstance(body.meta, Unset) else body.meta.to_dict(),
            **_webhook_urls(body),
        )
        return Response(dumps(KickoffResponse(kickoff_id=run.kickoff_id).to_dict()), media_type=_JSON)

    async def status(request: Request) -> Response:
        denied = unauthorized(request)
        if denied is not None:
            return denied
        kickoff_id = request.path_params["kickoff_id"]
        run = state.runs.get(kickoff_id)
        if run is None:
            return error_response(404, f"No kickoff with id {_shown(kickoff_id)}")
        return Response(run.status_body(), media_type=_JSON)

    async def resume(request: Request) -> Response:
        data, refused = await checked_body(request, _resume_problem)
        if refused is not None:
            return refused
        body = ResumeRequest.from_dict(data)
        run = state.runs.get(body.execution_id)
        if run is None:
            return error_response(404, f"No kickoff with id {_shown(body.execution_id)}")
        waiting = run.awaiting_task
        if not run.resume(body.task_id, approve=body.is_approve, feedback=body.human_feedback):
            return error_response(
                400,
                f"Task {_shown(body.task_id)} is not awaiting human feedback",
                {"task_id": body.task_id, "awaiting_task_id": waiting, "status": run.status},
            )
        run.set_webhooks(**_webhook_urls(body))
        if body.is_approve:
            answer = ResumeResponse(
                status=ResumeResponseStatus.RESUMED, message=f"Execution resumed at task {body.task_id}"
            )
        else:
            answer = ResumeResponse(
                status=ResumeResponseStatus.RETRYING, message=f"Retrying task {body.task_id} with feedback"
            )
        return Response(dumps(answer.to_dict()), media_type=_JSON)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        message = "Not found" if exc.status_code == 404 else str(exc.detail)
        return error_response(exc.status_code, message, headers=dict(exc.headers or {}))

    async def server_error(request: Request, exc: Exception) -> Response:
        return error_response(500, f"Internal emulator error: {type(exc).__name__}")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await state.startup()
        try:
            yield
        finally:
            await state.shutdown()

    app = Starlette(
        routes=[
            Route("/inputs", inputs, methods=["GET"]),
            Route("/kickoff", kickoff, methods=["POST"]),
            Route("/status/{kickoff_id}", status, methods=["GET"]),
            Route("/resume", resume, methods=["POST"]),
        ],
        exception_handlers={HTTPException: http_error, Exception: server_error},
        lifespan=lifespan,
    )
    return _Front(app, state)


class _Front:
    """Counts every request, then maybe injects a fault; otherwise hands over untouched."""

    def __init__(self, app: ASGIApp, state: EmulatorState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = self.state
        counters = state.counters
        route = _route_of(scope["path"])
        counters.request(route, kickoff=route == "kickoff" and scope["method"] == "POST")
        faults = state.faults
        if route != "other" and faults.active:
            kind = faults.choose(route, state.rng)
            if faults.latency and faults.applies_to(route):
                await asyncio.sleep(faults.latency)
            if kind is not None:
                counters.fault(kind)
                await _inject(kind, self.app, scope, receive, send, state)
                return

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                counters.response(message["status"])
            await send(message)

        await self.app(scope, receive, counting_send)


async def _inject(
    kind: str, app: ASGIApp, scope: Scope, receive: Receive, send: Send, state: EmulatorState
) -> None:
    if kind == "drop":
        # The operation runs (a kickoff starts its crew), then its answer is lost with the
        # connection: what a client sees when a proxy or the network fails mid-request.
        async def discard(message: Message) -> None:
            return None

        await app(scope, receive, discard)
        await _drop_connection(send)
        return
    # The request is read, then refused without running the operation.
    while (await receive()).get("more_body", False):
        pass
    # Retry-After takes whole seconds.
    retry_after = {"Retry-After": str(math.ceil(state.faults.retry_after))}
    if kind == "rate_limit":
        response = error_response(429, "Rate limit exceeded (injected fault)", headers=retry_after)
    elif kind == "unavailable":
        response = error_response(503, "Service unavailable (injected fault)", headers=retry_after)
    else:
        response = error_response(500, "Internal server error (injected fault)")
    state.counters.response(response.status_code)
    await response(scope, receive, send)


class _DroppedConnection(Exception):
    pass


async def _drop_connection(send: Send) -> None:
    # uvicorn hands the app its request cycle's bound `send`; closing that cycle's transport
    # ends the connection with no response at all, and uvicorn, seeing the client gone, sends
    # nothing more. Any other server: start an answer and abandon it, which makes the server
    # close the connection mid-response.
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is not None and callable(getattr(transport, "close", None)):
        transport.close()
        for _ in range(3):  # let the loop run connection_lost before we return
            await asyncio.sleep(0)
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1024")]})
    raise _DroppedConnection("connection dropped (injected fault)")


def _route_of(path: str) -> str:
    if path.startswith("/status/"):
        return "status"
    name = path[1:]
    return name if name in ROUTES else "other"


def _webhook_urls(body: KickoffRequest | ResumeRequest) -> dict[str, str | None]:
    """The webhook URLs a kickoff or resume gave, as `start_run`/`set_webhooks` take them."""
    urls = {
        "task_url": body.task_webhook_url,
        "step_url": body.step_webhook_url,
        "crew_url": body.crew_webhook_url,
    }
    return {name: None if isinstance(url, Unset) else url for name, url in urls.items()}


def _shown(value: str) -> str:
    return repr(value if len(value) <= 80 else value[:77] + "...")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _json_body(raw: bytes) -> tuple[Any, str | None]:
    try:
        return json.loads(raw, parse_constant=_reject_constant), None
    except (ValueError, RecursionError):
        return None, "The request body is not valid JSON"


def _kickoff_problem(data: Any) -> str | None:
    if not isinstance(data, dict):
        return "The request body must be a JSON object"
    if "inputs" not in data:
        return "`inputs` is required"
    if not isinstance(data["inputs"], dict):
        return "`inputs` must be an object"
    if "meta" in data and not isinstance(data["meta"], dict):
        return "`meta` must be an object"
    return _urls_problem(data)


def _resume_problem(data: Any) -> str | None:
    if not isinstance(data, dict):
        return "The request body must be a JSON object"
    for name in ("execution_id", "task_id", "human_feedback"):
        if name not in data:
            return f"`{name}` is required"
        if not isinstance(data[name], str):
            return f"`{name}` must be a string"
    if "is_approve" not in data:
        return "`is_approve` is required"
    if not isinstance(data["is_approve"], bool):
        return "`is_approve` must be a boolean"
    return _urls_problem(data)


def _urls_problem(data: dict[str, Any]) -> str | None:
    for name in _URL_FIELDS:
        if name in data and not (isinstance(data[name], str) and is_webhook_url(data[name])):
            return f"`{name}` must be an absolute http(s) URL"
    return None


# RFC 3986 `URI` restricted to http(s) with a host: what the spec's `format: uri` allows for a
# URL the emulator can actually POST to.
_UNRESERVED = r"A-Za-z0-9\-._~"
_SUB_DELIMS = r"!$&'()*+,;="
_PCT = r"%[0-9A-Fa-f]{2}"
_PCHAR = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:@]|{_PCT})"
_URL = re.compile(
    rf"(?P<scheme>[Hh][Tt][Tt][Pp][Ss]?)://"
    rf"(?:(?:[{_UNRESERVED}{_SUB_DELIMS}:]|{_PCT})*@)?"
    rf"(?P<host>\[[0-9A-Fa-f:.]+\]|(?:[{_UNRESERVED}{_SUB_DELIMS}]|{_PCT})+)"
    rf"(?::(?P<port>[0-9]{{0,5}}))?"
    rf"(?:/{_PCHAR}*)*"
    rf"(?:\?(?:{_PCHAR}|[/?])*)?"
    rf"(?:#(?:{_PCHAR}|[/?])*)?"
)


def is_webhook_url(value: str) -> bool:
    match = _URL.fullmatch(value)
    if match is None:
        return False
    port = match.group("port")
    if port and int(port) > 65535:
        return False
    host = match.group("host")
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return False
    return True
