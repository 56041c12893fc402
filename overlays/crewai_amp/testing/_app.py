"""The emulator's HTTP side: the operations of the REST spec, as a Starlette app, behind a
thin ASGI front that counts requests and injects faults.

Routes, and the checks of every request (parameters and JSON body), come from the spec the
wheel carries (`_spec`): a request the spec refuses is a 400 naming the field, whatever field
the spec has grown. What each operation does is hand-written below, and what it answers is
shaped by the emulator's dialect (`_dialect`). An operation the spec has and the emulator
does not implement answers a clear 501 (or 404, when that is what the operation declares).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from crewai_amp_api.models import (
    Error,
    ErrorDetails,
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

from ._deliveries import Hooks
from ._faults import ROUTES
from ._options import HumanInputWebhook, read_options
from ._runner import dumps
from ._spec import Operation, Problem
from ._state import EmulatorState

__all__ = ["IMPLEMENTED", "build_app"]

_JSON = "application/json"
# The spec's operations the emulator has behaviour for, by operationId.
IMPLEMENTED = frozenset({"listInputs", "kickoffCrew", "getKickoffStatus", "resumeKickoff"})
Handler = Callable[[Request, Any], Awaitable[Response]]


def error_response(
    status: int, message: str, details: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> Response:
    body = Error(error=message)
    if details is not None:
        body.details = ErrorDetails.from_dict(details)
    return Response(dumps(body.to_dict()), status_code=status, media_type=_JSON, headers=headers)


def _refused(problems: list[Problem]) -> Response:
    first = problems[0]
    where = f"`{first.field}`: " if first.field else ""
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return error_response(
        400,
        f"Invalid request: {where}{first.message}{more}",
        {"errors": [problem.as_dict() for problem in problems]},
    )


def build_app(state: EmulatorState) -> ASGIApp:
    """The emulator as an ASGI app (lifespan included): mount it anywhere, or let
    `AmpEmulator` serve it."""
    inputs_body = state.dialect.inputs_body(state.crew)
    token = state.token.encode()

    def unauthorized(request: Request) -> Response | None:
        header = request.headers.get("authorization")
        challenge = {"WWW-Authenticate": "Bearer"}
        if header:
            scheme, _, credentials = header.partition(" ")
            # Starlette decodes header values as latin-1, so this round-trips the raw bytes.
            if scheme.lower() == "bearer" and hmac.compare_digest(
                credentials.strip().encode("latin-1"), token
            ):
                return None
        body = state.dialect.unauthorized(token_given=bool(header))
        return Response(dumps(body), status_code=401, media_type=_JSON, headers=challenge)

    def endpoint(operation: Operation, handler: Handler | None) -> Callable[[Request], Awaitable[Response]]:
        """The operation's handler behind the checks: 401, then 400 for anything the spec
        refuses (parameters, then the body), then the handler with the parsed body."""

        async def checked(request: Request) -> Response:
            denied = unauthorized(request)
            if denied is not None:
                return denied
            if handler is None:
                return _not_implemented(operation)
            problems = operation.parameter_problems("path", request.path_params)
            problems += operation.parameter_problems("query", request.query_params)
            data: Any = None
            if operation.body is not None:
                raw = await request.body()
                if raw or operation.body_required:
                    data, problem = _json_body(raw)
                    if problem is not None:
                        return error_response(400, problem)
                    if operation.operation_id == "kickoffCrew":
                        data = state.dialect.kickoff_body(data)
                    problems += operation.body_problems(data)
            if problems:
                return _refused(problems)
            return await handler(request, data)

        return checked

    async def inputs(request: Request, data: Any) -> Response:
        return Response(inputs_body, media_type=_JSON)

    async def kickoff(request: Request, data: Any) -> Response:
        options, problems = read_options(data)
        if options is None:
            return _refused(problems)
        body = _from_dict(KickoffRequest, data)
        if isinstance(body, Response):
            return body
        given = body.inputs.to_dict()
        missing = [name for name in state.crew.inputs if given.get(name) is None]
        if missing:
            code, answer = state.dialect.missing_inputs(missing, list(state.crew.inputs))
            return Response(dumps(answer), status_code=code, media_type=_JSON)
        human_input = options.humanInputWebhook
        if human_input is None and options.humanInputWebhookUrl is not None:
            human_input = HumanInputWebhook(url=options.humanInputWebhookUrl)
        hooks = Hooks(streaming=options.webhooks, human_input=human_input)
        hooks.replace_urls(**_webhook_urls(body))
        run = state.start_run(
            given, meta=None if isinstance(body.meta, Unset) else body.meta.to_dict(), hooks=hooks
        )
        return Response(dumps(KickoffResponse(kickoff_id=run.kickoff_id).to_dict()), media_type=_JSON)

    async def status(request: Request, data: Any) -> Response:
        kickoff_id = request.path_params["kickoff_id"]
        run = state.runs.get(kickoff_id)
        if run is None or run.not_found_left > 0:
            if run is not None:  # not_found_polls: a run not visible yet
                run.not_found_left -= 1
            answer = state.dialect.not_found(kickoff_id)
            if answer is not None:
                code, body = answer
                return Response(dumps(body), status_code=code, media_type=_JSON)
            return error_response(404, f"No kickoff with id {_shown(kickoff_id)}")
        return Response(run.status_body(), media_type=_JSON)

    async def legacy_status(request: Request) -> Response:
        return unauthorized(request) or await status(request, None)

    async def resume(request: Request, data: Any) -> Response:
        body = _from_dict(ResumeRequest, data)
        if isinstance(body, Response):
            return body
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
        hooks = state.hooks_of(run)
        if hooks is not None:
            hooks.replace_urls(**_webhook_urls(body))
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
        if exc.status_code == 404:
            message = f"No operation at {request.method} {_shown(request.url.path)}"
        else:
            message = str(exc.detail)
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

    handlers: dict[str, Handler] = {
        "listInputs": inputs,
        "kickoffCrew": kickoff,
        "getKickoffStatus": status,
        "resumeKickoff": resume,
    }
    assert set(handlers) == IMPLEMENTED
    routes = [
        Route(op.path, endpoint(op, handlers.get(op.operation_id)), methods=[op.method])
        for op in state.spec.operations.values()
    ]
    if state.dialect.name == "observed":
        # Older CrewAI docs put status here; deployed crews still answer it.
        routes.append(Route("/{kickoff_id}/status", legacy_status, methods=["GET"]))
    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: http_error, Exception: server_error},
        lifespan=lifespan,
    )
    return _Front(app, state)


class _BodyTooLarge(HTTPException):
    """Raised by the body reader once a body passes the limit: the app's HTTPException handler
    answers 413 (and the connection closes: the rest is never read)."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            413,
            f"Request body too large: the emulator reads at most {limit} bytes (its max_body_bytes)",
            headers={"Connection": "close"},
        )


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class _Front:
    """Counts every request, refuses a body over the limit (413), then maybe injects a fault;
    otherwise hands over untouched."""

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
        limit = state.max_body_bytes
        declared = _declared_length(scope)
        if declared is not None and declared > limit:  # refused before a byte of it is read
            await self._too_large(scope, receive, send, limit)
            return
        receive = _bounded(receive, limit)
        faults = state.faults
        if route != "other" and faults.active:
            kind = faults.choose(route, state.rng)
            if faults.latency and faults.applies_to(route):
                await asyncio.sleep(faults.latency)
            if kind is not None:
                counters.fault(kind)
                started = time.perf_counter()
                try:
                    status = await _inject(kind, self.app, scope, receive, send, state)
                except _BodyTooLarge:  # read by the fault itself, outside the app
                    status = await self._too_large(scope, receive, send, limit)
                if state.on_request is not None:
                    state.on_request(
                        scope["method"], scope["path"], status, (time.perf_counter() - started) * 1000
                    )
                return

        status = 0

        async def counting_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                counters.response(status)
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, counting_send)
        finally:
            if state.on_request is not None:
                state.on_request(
                    scope["method"], scope["path"], status, (time.perf_counter() - started) * 1000
                )

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, limit: int) -> int:
        refused = _BodyTooLarge(limit)
        response = error_response(413, refused.detail, headers=dict(refused.headers or {}))
        self.state.counters.response(413)
        await response(scope, receive, send)
        return 413


def _bounded(receive: Receive, limit: int) -> Receive:
    """``receive`` that raises _BodyTooLarge once the body read passes ``limit`` bytes."""
    read = 0

    async def bounded() -> Message:
        nonlocal read
        message = await receive()
        if message["type"] == "http.request":
            read += len(message.get("body", b""))
            if read > limit:
                raise _BodyTooLarge(limit)
        return message

    return bounded


async def _inject(
    kind: str, app: ASGIApp, scope: Scope, receive: Receive, send: Send, state: EmulatorState
) -> int:
    """Answer with the fault `kind`; returns the status sent (0: the connection was dropped)."""
    if kind == "drop":
        # The operation runs (a kickoff starts its crew), then its answer is lost with the
        # connection: what a client sees when a proxy or the network fails mid-request.
        async def discard(message: Message) -> None:
            return None

        await app(scope, receive, discard)
        await _drop_connection(send)
        return 0
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
    return response.status_code


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
    if path.startswith("/status/") or (path.endswith("/status") and path.count("/") == 2):
        return "status"
    name = path[1:]
    return name if name in ROUTES else "other"


def _not_implemented(operation: Operation) -> Response:
    # 501 says it best; an operation that does not declare it gets the 404 it does declare,
    # so a conformance run over a spec with a new operation stays within the spec.
    code = 404 if "404" in operation.responses and "501" not in operation.responses else 501
    return error_response(
        code,
        f"The emulator does not implement {operation.operation_id} ({operation.method} {operation.path})",
        {"operation": operation.operation_id},
    )


def _webhook_urls(body: KickoffRequest | ResumeRequest) -> dict[str, str | None]:
    """The webhook URLs a kickoff or resume gave, as `Hooks` takes them."""
    urls = {
        "task_url": body.task_webhook_url,
        "step_url": body.step_webhook_url,
        "crew_url": body.crew_webhook_url,
    }
    return {name: None if isinstance(url, Unset) else url for name, url in urls.items()}


def _from_dict(model: Any, data: Any) -> Any:
    """The generated model of a spec-valid body; a 400 if the model still cannot take it."""
    try:
        return model.from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return error_response(
            400, f"Invalid request: {type(exc).__name__} reading the body as {model.__name__}"
        )


def _shown(value: str) -> str:
    return repr(value if len(value) <= 80 else value[:77] + "...")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _json_body(raw: bytes) -> tuple[Any, str | None]:
    """The parsed body, or why it is refused: not JSON, or text that is not Unicode (JSON's
    `\\ud800` escapes can spell lone surrogates, which no UTF-8 answer or webhook can carry)."""
    try:
        data = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return None, "The request body is not valid JSON"
    if b"\\u" in raw:
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            return (
                None,
                "The request body contains a lone surrogate (\\ud800-\\udfff), which is not Unicode text",
            )
    return data, None
