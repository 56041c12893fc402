"""Where the CLI's words go: stdout for results, stderr for errors and notes, JSON or prose.

One `Output` per command run. It knows the secrets in play (the API token, a webhook secret)
and blanks them out of everything it writes, it renders errors as one line (or one JSON
object with `--json`), and it loads `rich` lazily, falling back to plain text with a one-line
hint when the `cli` extra is not installed.

Much of what the CLI prints comes from the server or a webhook sender (crew output, task names,
error text), so no terminal control character reaches the terminal: in prose each C0 control
but tab and newline, DEL and each C1 control is shown as `\\xNN`; in JSON, which already escapes
C0, DEL and C1 are written as `\\u00NN`, so the document stays valid and means the same.

A failed write to stdout (closed, a reader that left, a full disk) is an `OutputFailed`, so a
command that must not lose what it was printing (a kickoff id) can still say it on stderr.

While a live display (a progress bar) holds the terminal, `live` is its console: a line for a
terminal goes through it, and rich prints it on a line of its own above the bar.
"""

from __future__ import annotations

import errno
import json
import re
from collections.abc import Iterable, Mapping
from typing import IO, TYPE_CHECKING, Any

from ..errors import mask_secrets

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["RICH_HINT", "Output", "OutputFailed", "escape_controls", "is_terminal"]

RICH_HINT = "hint: install the cli extra for a live progress bar: pip install 'crewai-amp-client[cli]'"

# C0 but \t and \n, DEL, C1; and lone surrogates, which no stream can encode.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_JSON_CONTROLS = re.compile(r"[\x7f-\x9f\ud800-\udfff]")  # json.dumps escapes C0 itself


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """`text` with every terminal control character shown as `\\xNN` (CRLF read as a newline)
    and every lone surrogate as `\\udNNN`."""
    return _CONTROLS.sub(_escape, text.replace("\r\n", "\n"))


def _json_text(data: Any, *, indent: int | None = None) -> str:
    text = json.dumps(data, indent=indent, ensure_ascii=False, default=str)
    return _JSON_CONTROLS.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


class OutputFailed(Exception):
    """stdout cannot be written: closed, its reader left (EPIPE), or its disk is full."""

    def __init__(self, reason: str, *, broken_pipe: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.broken_pipe = broken_pipe


def is_terminal(stream: IO[str] | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError):  # a closed or exotic stream
        return False


class Output:
    """The CLI's voice for one command. `json_mode` is `--json`."""

    def __init__(
        self,
        *,
        json_mode: bool,
        stdout: IO[str] | None,
        stderr: IO[str] | None,
        secrets: Iterable[str] = (),
    ) -> None:
        self.json_mode = json_mode
        self.stdout = stdout
        self.stderr = stderr
        self._secrets: list[str] = []
        self._rich_missing_said = False
        self.live: Console | None = None  # the console of a live progress bar (see the module doc)
        for secret in secrets:
            self.add_secret(secret)

    # --- secrets ------------------------------------------------------------------------------

    def add_secret(self, secret: str | None) -> None:
        """Never write this string (a token, a webhook secret) anywhere."""
        if secret and secret not in self._secrets:
            self._secrets.append(secret)

    def redact(self, text: str) -> str:
        """`text` with the secrets masked by the SDK's one rule (`errors.mask_secrets`): a
        secret of 8 characters or more wherever it appears, a shorter one where it stands
        alone, so `--token e` never turns "error" into "***rror"."""
        return mask_secrets(text, self._secrets) if self._secrets else text

    def clean(self, text: str) -> str:
        """`text` as it may be shown: secrets blanked, terminal controls escaped (for rich,
        which writes its own control sequences and so cannot go through `print`)."""
        return escape_controls(self.redact(text))

    def _redact_value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, Mapping):
            return {self.redact(str(key)): self._redact_value(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self._redact_value(item) for item in value]
        return value

    # --- writing ------------------------------------------------------------------------------

    @property
    def stdout_is_terminal(self) -> bool:
        return is_terminal(self.stdout)

    @property
    def stderr_is_terminal(self) -> bool:
        return is_terminal(self.stderr)

    def _write(self, stream: IO[str] | None, text: str) -> None:
        if stream is None:  # started with the descriptor closed (`>&-`): Python gives None
            raise OSError(errno.EBADF, "the stream is closed")
        line = self.clean(text) + "\n"
        live = self.live
        if live is not None and is_terminal(stream):
            live.print(line[:-1], markup=False, highlight=False, emoji=False, soft_wrap=True)
            return
        try:
            stream.write(line)
        except UnicodeEncodeError:  # a terminal whose encoding cannot show every character
            encoding = getattr(stream, "encoding", None) or "utf-8"
            stream.write(line.encode(encoding, "backslashreplace").decode(encoding))
        stream.flush()

    def _write_stdout(self, text: str) -> None:
        try:
            self._write(self.stdout, text)
        except BrokenPipeError:
            raise OutputFailed("its reader has gone (broken pipe)", broken_pipe=True) from None
        except (OSError, ValueError) as exc:  # ValueError: a closed file object
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise OutputFailed(reason) from None

    def print(self, text: str = "") -> None:
        """A line of human output on stdout."""
        self._write_stdout(text)

    def note(self, text: str) -> None:
        """A human remark on stderr (kept out of stdout so pipes see only results); silent
        in --json mode, where stderr carries only JSON errors."""
        if not self.json_mode:
            self._write(self.stderr, text)

    def document(self, data: Mapping[str, Any]) -> None:
        """The one JSON document a --json command writes to stdout."""
        self._write_stdout(_json_text(self._redact_value(data), indent=2))

    def json_line(self, data: Mapping[str, Any]) -> None:
        """One compact JSON object on one stdout line (a stream of events)."""
        self._write_stdout(_json_text(self._redact_value(data)))

    def stderr_json(self, data: Mapping[str, Any]) -> None:
        """One compact JSON object on one stderr line (a notice in --json mode)."""
        self._write(self.stderr, _json_text(self._redact_value(data)))

    def error(self, message: str, *, code: int, kind: str, hint: str | None = None, **details: Any) -> None:
        """The one error line on stderr: `error: message (hint)`, or with --json one object
        {"error": {"type", "message", "exit_code", ...details}}."""
        if self.json_mode:
            body: dict[str, Any] = {"type": kind, "message": message, "exit_code": code}
            if hint:
                body["hint"] = hint
            body.update({key: value for key, value in details.items() if value is not None})
            self.stderr_json({"error": body})
            return
        line = f"error: {message}"
        if hint:
            line += f" ({hint})"
        self._write(self.stderr, " ".join(line.split()))  # one line, whatever the message held

    # --- rich -----------------------------------------------------------------------------------

    def console(self, *, stderr: bool = False) -> Console | None:
        """A rich Console on stdout (or stderr), or None when rich is not installed (with a
        one-line hint on stderr, once, unless --json keeps stderr for JSON)."""
        try:
            from rich.console import Console
        except ImportError:
            if not self._rich_missing_said and not self.json_mode:
                self._rich_missing_said = True
                self._write(self.stderr, RICH_HINT)
            return None
        return Console(file=self.stderr if stderr else self.stdout, highlight=False, soft_wrap=False)
