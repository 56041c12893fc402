"""SIGTERM and SIGHUP stop a command as Ctrl-C does.

`timeout`, CI cancellation and `docker stop` send SIGTERM; closing a terminal sends SIGHUP.
While a command runs, each raises `Interrupted` (a KeyboardInterrupt), so every path that
handles Ctrl-C handles them alike: a kickoff id already known is reported with the command that
picks the run up again, and the exit code is 128 + the signal's number (130 for SIGINT, 143
for SIGTERM, 129 for SIGHUP), as a shell reports a process the signal ended.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

__all__ = ["Interrupted", "exit_code", "interrupts"]

# SIGHUP does not exist on Windows.
_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


class Interrupted(KeyboardInterrupt):
    """A signal that stops the command as Ctrl-C does; `signum` is its number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def exit_code(exc: BaseException) -> int:
    """128 + the signal's number: 130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP."""
    return 128 + (exc.signum if isinstance(exc, Interrupted) else signal.SIGINT)


def _raise(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signum)


@contextlib.contextmanager
def interrupts() -> Iterator[None]:
    """SIGTERM and SIGHUP raise Interrupted while the block runs (only the main thread can set
    signal handlers; elsewhere, e.g. `main()` called from a worker thread, nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _raise) for signum in _SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
