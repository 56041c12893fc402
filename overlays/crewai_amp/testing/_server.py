"""Serving an ASGI app with uvicorn: the one listening-socket and server setup that the
emulator (in a background thread) and `crewai-amp webhooks listen` (in the foreground) share.

The server is set up against slow and idle clients: an idle keep-alive connection is closed
after `KEEP_ALIVE` seconds, and a request head larger than `MAX_HEAD` bytes is refused
(h11's limit on an incomplete event). uvicorn has no timeout for a slow body: an app that must
bound one does it itself (the webhook receiver caps body size).
"""

from __future__ import annotations

import socket
import threading
import time

import uvicorn
from starlette.types import ASGIApp

__all__ = ["KEEP_ALIVE", "MAX_HEAD", "BackgroundServer", "listening_socket", "uvicorn_server"]

# Longer than clients keep idle connections (httpx: 5 s), so a client never reuses one the
# server is closing; short enough that idle connections do not pile up.
KEEP_ALIVE = 30
MAX_HEAD = 64 * 1024


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to host:port (0: an ephemeral port) and already listening, so
    connections queue before the server takes over. Raises OSError (e.g. port in use) in the
    caller's thread."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not the default 0: asyncio sets TCP_NODELAY on accepted connections only
    # when the listening socket says TCP, and without it every keep-alive answer after the
    # first waits ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def uvicorn_server(app: ASGIApp, sock: socket.socket, *, lifespan: bool) -> uvicorn.Server:
    """A uvicorn server for `app` on `sock` (run it with `server.run(sockets=[sock])`): quiet,
    no proxy headers, no server header, and the slow-client limits above."""
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on" if lifespan else "off",
        proxy_headers=False,
        server_header=False,
        ws="none",
        http="h11",
        timeout_graceful_shutdown=2,
        timeout_keep_alive=KEEP_ALIVE,
        h11_max_incomplete_event_size=MAX_HEAD,
    )
    return uvicorn.Server(config)


class BackgroundServer:
    """Serve `app` on host:port (0: an ephemeral port) from a daemon thread with its own
    event loop. `start()` returns once the server accepts connections (and the app's lifespan
    startup ran); `stop()` asks it to exit and waits."""

    def __init__(self, app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._app = app
        self._host = host
        self._requested_port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.port: int | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = 10.0) -> int:
        if self._server is not None:
            raise RuntimeError("this server was already started")
        # Binding here, not in uvicorn, gives the ephemeral port before the thread starts and
        # turns "port in use" into an OSError in the caller's thread.
        sock = self._socket = listening_socket(self._host, self._requested_port)
        self.port = sock.getsockname()[1]
        server = self._server = uvicorn_server(self._app, sock, lifespan=True)
        thread = self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"amp-emulator-{self.port}", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive():
                sock.close()
                raise RuntimeError("the emulator's server failed to start (see the log above)")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the emulator's server did not start within {timeout} s")
            time.sleep(0.005)
        return self.port

    def join(self, timeout: float | None = None) -> None:
        """Wait for the server thread to end (it ends after `stop()`)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.should_exit = True
        thread.join(timeout)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout)
        if self._socket is not None:
            self._socket.close()
