"""Running `crewai-amp` as a user does, in a subprocess whose stdout and stderr are read line by
line: shared by the tests of the commands that serve until stopped (`mock serve`,
`webhooks listen`)."""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
from typing import IO

from support.cli import child_env

LINE_TIMEOUT = 60.0  # a bound on waiting for a line, never a timing assertion


def subprocess_env() -> dict[str, str]:
    """The child environment of `_cli_support.child_env`, unbuffered so lines arrive as written."""
    return child_env(PYTHONUNBUFFERED="1")


class Cli:
    """`python -m crewai_amp ...` in a subprocess, its stdout and stderr read line by line."""

    def __init__(self, *argv: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "crewai_amp", *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=subprocess_env(),
        )
        self.out: queue.Queue[str | None] = queue.Queue()
        self.err: queue.Queue[str | None] = queue.Queue()
        self.seen_out: list[str] = []
        self.seen_err: list[str] = []
        assert self.proc.stdout is not None
        assert self.proc.stderr is not None
        self._readers = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, self.out), daemon=True),
            threading.Thread(target=self._pump, args=(self.proc.stderr, self.err), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _pump(stream: IO[str], lines: queue.Queue[str | None]) -> None:
        for line in stream:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    def _line(self, lines: queue.Queue[str | None], seen: list[str], what: str) -> str:
        try:
            line = lines.get(timeout=LINE_TIMEOUT)
        except queue.Empty:
            raise AssertionError(f"no {what} line; so far: {seen}") from None
        if line is None:
            raise AssertionError(
                f"{what} closed (exit {self.proc.poll()}); so far: {seen}; stderr: {self.seen_err}"
            )
        seen.append(line)
        return line

    def stdout_line(self) -> str:
        return self._line(self.out, self.seen_out, "stdout")

    def stderr_line(self) -> str:
        return self._line(self.err, self.seen_err, "stderr")

    def stdout_until(self, last: str) -> list[str]:
        lines: list[str] = []
        while True:
            line = self.stdout_line()
            lines.append(line)
            if line == last:
                return lines

    def stop(self, sig: int = signal.SIGINT) -> int:
        """Send `sig` and wait for the exit code (killing it if it does not go)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=LINE_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("the server did not stop") from None
        for reader in self._readers:
            reader.join(LINE_TIMEOUT)
        return code

    def rest(self, lines: queue.Queue[str | None]) -> list[str]:
        rest: list[str] = []
        while True:
            line = lines.get(timeout=LINE_TIMEOUT)
            if line is None:
                return rest
            rest.append(line)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


def start(clis: list[Cli], *argv: str) -> Cli:
    cli = Cli(*argv)
    clis.append(cli)
    return cli
