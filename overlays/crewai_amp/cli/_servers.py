"""The commands that serve in the foreground until Ctrl-C: `mock serve` and `webhooks listen`.

Both listen on 127.0.0.1 only, print where they are, and stop cleanly on Ctrl-C or SIGTERM
(exit code 0: stopping is how a server is meant to end).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

from .._config import ENV_BASE_URL, ENV_TOKEN, ENV_WEBHOOK_SECRET
from ._errors import OK, UsageError
from ._output import Output
from ._parser import TRY_INPUTS
from ._render import render_event

__all__ = ["run_mock_serve", "run_webhooks_listen"]

HOST = "127.0.0.1"
TRY_KICKOFF = f"crewai-amp kickoff {TRY_INPUTS} --wait"


@contextlib.contextmanager
def _sigterm_stops() -> Iterator[None]:
    """Make SIGTERM behave like Ctrl-C while serving (only possible in the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _extra_missing(exc: ModuleNotFoundError, command: str) -> UsageError:
    return UsageError(
        f"{command} needs the emulator extra (missing module {exc.name!r})",
        hint="pip install 'crewai-amp-client[all]'",
    )


def _cannot_listen(port: int, exc: OSError) -> UsageError:
    return UsageError(
        f"cannot listen on {HOST}:{port}: {exc.strerror or exc}", hint="pick another --port, or 0"
    )


# --- mock serve -----------------------------------------------------------------------------------


def run_mock_serve(args: argparse.Namespace, out: Output) -> int:
    try:
        from ..testing import AmpEmulator, default_crew  # loads starlette and uvicorn
    except ModuleNotFoundError as exc:
        raise _extra_missing(exc, "mock serve") from None
    tasks = [task.id for task in default_crew().tasks]
    for task_id in [*args.review, *([args.fail_at] if args.fail_at else [])]:
        if task_id not in tasks:
            raise UsageError(
                f"the emulator's crew has no task {task_id!r}", hint=f"its tasks are: {', '.join(tasks)}"
            )
    if args.token is not None and not args.token.strip():
        raise UsageError(
            "--token is empty: an empty bearer token would let anyone in", hint="omit it for a random one"
        )
    crew = default_crew(review=args.review, fail_at=args.fail_at)
    emulator = AmpEmulator(
        crew,
        host=HOST,
        port=args.port,
        scale=args.scale,
        dialect=args.dialect,
        token=args.token,
        on_request=_request_log(out),
        failed_state=args.failed_state,
        old_deployment=args.old_deployment,
        not_found_polls=args.not_found_polls,
        max_body_bytes=args.max_body_bytes,
    )
    try:
        emulator.start()
    except OSError as exc:
        raise _cannot_listen(args.port, exc) from None
    try:
        _mock_banner(out, emulator, review=args.review, print_env=args.print_env)
        with _sigterm_stops(), contextlib.suppress(KeyboardInterrupt):
            emulator.serve_forever()
    finally:
        emulator.stop()
    out.note("emulator stopped")
    return OK


def _request_log(out: Output) -> Callable[[str, str, int, float], None]:
    """One stderr line per request the emulator answers: method, path, status, milliseconds
    (status 0: the connection was dropped by an injected fault). Headers, and so the token,
    are never logged."""
    writing = threading.Lock()  # called from the emulator's server thread

    def log(method: str, path: str, status: int, ms: float) -> None:
        with writing:
            if out.json_mode:
                out.stderr_json(
                    {"request": {"method": method, "path": path, "status": status, "ms": round(ms, 1)}}
                )
            else:
                out.note(f"{method} {path} {status or 'dropped'} {ms:.1f} ms")

    return log


def _mock_banner(out: Output, emulator: Any, *, review: list[str], print_env: bool) -> None:
    env = {
        ENV_BASE_URL: emulator.base_url,
        ENV_TOKEN: emulator.token,
        ENV_WEBHOOK_SECRET: emulator.webhook_secret,
    }
    export = "export " + " ".join(f"{name}={shlex.quote(value)}" for name, value in env.items())
    crew = emulator.crew
    if print_env:
        # stdout carries only what a shell can source; everything else goes to stderr.
        out.print(export)
    if out.json_mode:
        document = {
            "base_url": emulator.base_url,
            "port": emulator.port,
            "token": emulator.token,
            "webhook_secret": emulator.webhook_secret,
            "webhook_token": emulator.webhook_token,
            "dialect": emulator.dialect,
            "crew": crew.name,
            "inputs": list(crew.inputs),
            "tasks": [task.id for task in crew.tasks],
            "review": list(review),
            "scale": emulator.scale,
            "env": env,
        }
        if print_env:
            out.stderr_json(document)
        else:
            out.document(document)
        return
    hook_auth = (
        f"  webhook secret  {emulator.webhook_secret}"
        if emulator.dialect == "spec"
        else f"  webhook token   {emulator.webhook_token}  (observed dialect: webhooks carry Bearer <token>)"
    )
    lines = [
        f"AMP emulator listening on {emulator.base_url} (Ctrl-C to stop)",
        f"  crew            {crew.name}: inputs {', '.join(crew.inputs)}; "
        f"tasks {', '.join(task.id for task in crew.tasks)}; time scale {emulator.scale:g}; "
        f"dialect {emulator.dialect}",
        f"  base URL        {emulator.base_url}",
        f"  token           {emulator.token}",
        hook_auth,
        "  (a local fake, so its token is printed here; crewai-amp never prints a real token)",
        "",
        "Try it in another terminal:",
        f"  {export}",
        f"  {TRY_KICKOFF}",
    ]
    if review:
        lines += [
            "",
            f"The crew pauses for review after: {', '.join(review)}. Answer with:",
            f'  crewai-amp resume <kickoff id> --task {review[0]} --feedback "Looks good" --approve',
        ]
    show = out.note if print_env else out.print
    for line in lines:
        show(line)


# --- webhooks listen --------------------------------------------------------------------------------


class _RejectionLog:
    """ASGI middleware: reports each request the receiver turns away (status >= 400)."""

    def __init__(self, app: Any, report: Callable[[str, str, int, str], None]) -> None:
        self._app = app
        self._report = report

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await self._app(scope, receive, send)
            return
        status = 0
        body = bytearray()

        async def watching_send(message: Any) -> None:
            nonlocal status
            if message.get("type") == "http.response.start":
                status = int(message.get("status", 0))
            elif message.get("type") == "http.response.body" and status >= 400 and len(body) < 500:
                body.extend(message.get("body", b"")[:500])
            await send(message)

        await self._app(scope, receive, watching_send)
        if status >= 400:
            reason = bytes(body).decode("utf-8", "replace").strip()
            self._report(str(scope.get("method", "?")), str(scope.get("path", "?")), status, reason)


def _listen_socket(port: int) -> socket.socket:
    from ..testing._server import listening_socket

    try:
        return listening_socket(HOST, port)
    except OSError as exc:
        raise _cannot_listen(port, exc) from None


def run_webhooks_listen(args: argparse.Namespace, out: Output) -> int:
    basic: tuple[str, str] | None = args.basic
    bearer = args.bearer
    secret = args.secret or (None if bearer or basic else os.environ.get(ENV_WEBHOOK_SECRET))
    out.add_secret(secret)
    out.add_secret(bearer)
    out.add_secret(basic[1] if basic else None)
    if not secret and not bearer and not basic:
        raise UsageError(
            "the listener verifies every event: pass --secret S (or set "
            f"{ENV_WEBHOOK_SECRET}), --bearer T or --basic USER:PASSWORD"
        )
    try:
        from ..testing._server import uvicorn_server
        from ..webhooks import asgi_app
    except ModuleNotFoundError as exc:
        raise _extra_missing(exc, "webhooks listen") from None

    printing = threading.Lock()  # handlers run in worker threads: one event's lines stay together

    def printer(channel: str) -> Callable[[Any], None]:
        def on_event(event: Any) -> None:
            with printing:
                render_event(out, channel, event)

        return on_event

    def rejected(method: str, path: str, status: int, reason: str) -> None:
        if out.json_mode:
            out.stderr_json(
                {"rejected": {"method": method, "path": path, "status": status, "reason": reason}}
            )
        else:
            out.note(f"rejected {method} {path}: {status} {reason}".rstrip())

    try:
        app = asgi_app(
            secret=secret,
            bearer_token=bearer,
            basic_auth=basic,
            on_task=printer("task"),
            on_step=printer("step"),
            on_crew=printer("crew"),
            on_event=printer("stream"),
        )
    except (ValueError, TypeError) as exc:
        raise UsageError(f"cannot verify with this secret: {exc}") from None
    sock = _listen_socket(args.port)
    url = f"http://{HOST}:{sock.getsockname()[1]}"
    verify = "signature" if secret else "bearer" if bearer else "basic"
    if out.json_mode:
        out.stderr_json({"listening": {"url": url, "port": sock.getsockname()[1], "verify": verify}})
    else:
        how = (
            "Standard Webhooks signatures"
            if secret
            else "a bearer token"
            if bearer
            else "basic authentication"
        )
        out.print(f"listening on {url}, verifying {how} (Ctrl-C to stop)")
        out.print("point a kickoff at it:")
        out.print(
            f"  crewai-amp kickoff ... --task-webhook {url}/task "
            f"--step-webhook {url}/step --crew-webhook {url}/crew"
        )
    server = uvicorn_server(_RejectionLog(app, rejected), sock, lifespan=False)
    try:
        with _sigterm_stops(), contextlib.suppress(KeyboardInterrupt):
            server.run(sockets=[sock])
    finally:
        sock.close()
    out.note("listener stopped")
    return OK
