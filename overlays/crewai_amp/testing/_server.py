"""uvicorn in a background thread: started, waited for, stopped."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn
from starlette.types import ASGIApp

__all__ = ["BackgroundServer"]


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
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        # IPPROTO_TCP, not the default 0: asyncio sets TCP_NODELAY on accepted connections only
        # when the listening socket says TCP, and without it every keep-alive answer after the
        # first waits ~40 ms for a delayed ACK (Nagle).
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self._host, self._requested_port))
        except OSError:
            sock.close()
            raise
        # Binding here, not in uvicorn, gives the ephemeral port before the thread starts and
        # turns "port in use" into an OSError in the caller's thread.
        self._socket = sock
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self._app,
            host=self._host,
            port=self.port,
            log_level="warning",
            access_log=False,
            lifespan="on",
            proxy_headers=False,
            server_header=False,
            ws="none",
            timeout_graceful_shutdown=2,
            timeout_keep_alive=30,
        )
        server = self._server = uvicorn.Server(config)
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
