"""`crewai-amp` under abuse: stdout closed, full or without a reader; input that is not text;
terminal control characters in what the server or a webhook sender says."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from crewai_amp.cli import _output, main
from crewai_amp.cli._output import Output, escape_controls
from crewai_amp.cli._progress import PlainLines
from crewai_amp.cli._render import render_event
from crewai_amp.testing import AmpEmulator, default_crew
from support.cli import ENV_NAMES, TRY, child_command, child_env, cli, start_emulator

TOKEN = "amp-cli-abuse-token-9d3e51a7c2"
HOSTILE = "\x1b[2J\x1b]0;owned\x07\x9b31m\x7f\x00\r"  # clear screen, set title, C1 CSI, DEL, NUL, CR


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)


def _started(monkeypatch: pytest.MonkeyPatch, **options: Any) -> AmpEmulator:
    return start_emulator(monkeypatch, TOKEN, **options)


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[AmpEmulator]:
    started = _started(monkeypatch)
    try:
        yield started
    finally:
        started.stop()


def _env(emulator: AmpEmulator) -> dict[str, str]:
    return child_env(CREWAI_AMP_BASE_URL=emulator.base_url, CREWAI_AMP_TOKEN=emulator.token)


def _no_control_reaches_the_terminal(text: str) -> None:
    assert not any(ch in text for ch in "\x1b\x9b\x07\x00\x7f\r"), repr(text)


# --- stdout closed, full, or its reader gone: the kickoff id goes to stderr, exit 74 ------------------


def _kickoff_with_stdout(emulator: AmpEmulator, how: str, *extra: str) -> tuple[int, str]:
    """Run `crewai-amp kickoff` in a child whose stdout is closed / a pipe with no reader /
    /dev/full. Returns the exit code and stderr."""
    argv = child_command("kickoff", *TRY, *extra)
    if how == "closed":  # as the shell's `>&-`: the CLI starts with descriptor 1 closed
        close_then_exec = "import os, sys; os.close(1); os.execv(sys.executable, sys.argv[1:])"
        result = subprocess.run(
            [argv[0], "-c", close_then_exec, *argv],
            stderr=subprocess.PIPE,
            env=_env(emulator),
            timeout=120,
        )
        return result.returncode, result.stderr.decode("utf-8")
    if how == "no reader":  # a pipe whose reader has exited: every write is EPIPE
        read_end, write_end = os.pipe()
        os.close(read_end)
        try:
            result = subprocess.run(
                argv, stdout=write_end, stderr=subprocess.PIPE, env=_env(emulator), timeout=120
            )
        finally:
            os.close(write_end)
        return result.returncode, result.stderr.decode("utf-8")
    assert how == "full"
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    with open("/dev/full", "wb") as full:  # every write is ENOSPC
        result = subprocess.run(argv, stdout=full, stderr=subprocess.PIPE, env=_env(emulator), timeout=120)
    return result.returncode, result.stderr.decode("utf-8")


@pytest.mark.parametrize("how", ["closed", "no reader", "full"])
def test_kickoff_with_stdout_unusable_gives_the_id_on_stderr_and_exits_74(
    emulator: AmpEmulator, how: str
) -> None:
    code, err = _kickoff_with_stdout(emulator, how)
    assert code == 74, err
    (kid,) = emulator.kickoff_ids  # one crew started, and its id is not lost
    notice, error = err.strip().splitlines()  # the id on stderr the moment it was known, then the error
    assert notice == f"kicked off {kid}; follow it with: crewai-amp wait {kid}"
    assert error.startswith("error: ")
    assert kid in error
    assert f"crewai-amp wait {kid}" in error
    assert "Traceback" not in err and "Exception ignored" not in err
    assert TOKEN not in err


@pytest.mark.parametrize("how", ["closed", "no reader", "full"])
def test_kickoff_json_with_stdout_unusable_gives_a_json_error_with_the_id(
    emulator: AmpEmulator, how: str
) -> None:
    code, err = _kickoff_with_stdout(emulator, how, "--json")
    assert code == 74, err
    (kid,) = emulator.kickoff_ids
    notice, line = err.strip().splitlines()
    assert json.loads(notice)["kickoff_id"] == kid
    error = json.loads(line)["error"]
    assert (error["type"], error["exit_code"], error["kickoff_id"]) == ("OutputError", 74, kid)


def test_kickoff_wait_with_stdout_full_still_gives_the_id(emulator: AmpEmulator) -> None:
    code, err = _kickoff_with_stdout(emulator, "full", "--wait", "--timeout", "60")
    assert code == 74, err
    (kid,) = emulator.kickoff_ids
    assert kid in err


def test_kickoff_wait_whose_reader_leaves_after_the_first_line(
    emulator: AmpEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `crewai-amp kickoff --wait | head -1`: the reader takes "kicked off <id>" and exits; the
    # progress lines after it meet a broken pipe. The first progress line waits for the reader
    # to be gone, so the order is certain.
    read_end, write_end = os.pipe()
    reader_gone = threading.Event()

    def reader() -> None:
        with os.fdopen(read_end, "r", encoding="utf-8") as lines:
            lines.readline()
        reader_gone.set()

    thread = threading.Thread(target=reader)
    thread.start()
    original = PlainLines.update

    def update(self: PlainLines, status: Any) -> None:
        assert reader_gone.wait(30)
        original(self, status)

    monkeypatch.setattr(PlainLines, "update", update)
    stdout = os.fdopen(write_end, "w", encoding="utf-8")
    stderr = io.StringIO()
    monkeypatch.setattr(sys, "stdout", stdout)
    monkeypatch.setattr(sys, "stderr", stderr)
    try:
        code = main(["kickoff", *TRY, "--wait"])
    finally:
        thread.join()
        stdout.close()
    (kid,) = emulator.kickoff_ids
    assert code == 74, stderr.getvalue()
    line = stderr.getvalue().strip().splitlines()[-1]
    assert line.startswith(f"error: kicked off {kid}, but cannot write to stdout: ")
    assert f"crewai-amp wait {kid}" in line


def test_a_read_only_command_whose_reader_left_ends_quietly(emulator: AmpEmulator) -> None:
    # `crewai-amp inputs | head -0`: nothing was lost, so nothing to report.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            child_command("inputs"), stdout=write_end, stderr=subprocess.PIPE, env=_env(emulator), timeout=120
        )
    finally:
        os.close(write_end)
    assert result.returncode == 0
    assert result.stderr == b""


def test_a_read_only_command_with_stdout_full_says_so(emulator: AmpEmulator) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    with open("/dev/full", "wb") as full:
        result = subprocess.run(
            child_command("inputs"), stdout=full, stderr=subprocess.PIPE, env=_env(emulator), timeout=120
        )
    assert result.returncode == 74
    assert result.stderr.decode().startswith("error: cannot write to stdout: ")


def test_output_reports_each_kind_of_stdout_failure() -> None:
    class Failing(io.StringIO):
        def __init__(self, exc: Exception) -> None:
            super().__init__()
            self.exc = exc

        def flush(self) -> None:
            raise self.exc

    for stream, broken in (
        (Failing(BrokenPipeError(32, "Broken pipe")), True),
        (Failing(OSError(28, "No space left on device")), False),
        (None, False),
    ):
        out = Output(json_mode=False, stdout=stream, stderr=io.StringIO())
        with pytest.raises(_output.OutputFailed) as caught:
            out.print("x")
        assert caught.value.broken_pipe is broken
    closed = io.StringIO()
    closed.close()
    with pytest.raises(_output.OutputFailed):
        Output(json_mode=True, stdout=closed, stderr=io.StringIO()).document({"a": 1})


# --- input that is not text: exit 2, nothing started ------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["kickoff", "--input", "topic=\udcff", *TRY[2:]],  # undecodable byte 0xff, as Python sees it
        ["kickoff", "--input=topic=\udce9t\udce9", *TRY[2:]],
        ["kickoff", *TRY, "--meta", "who=\ud800"],  # a lone surrogate
        ["kickoff", *TRY, "--input", "\udcffkey=v"],
        ["status", "\udcff"],
        ["resume", "K", "--task", "write", "--feedback", "gut \udcfc", "--approve"],
    ],
)
def test_undecodable_arguments_exit_2(
    emulator: AmpEmulator, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    run = cli(capsys, *argv)
    assert run.code == 2, run.err
    assert "not valid text" in run.error_line()
    assert emulator.kickoff_count == 0
    run = cli(capsys, *argv, "--json")
    assert run.code == 2
    assert run.error()["type"] == "UsageError"


def test_an_undecodable_token_is_refused_without_showing_it(capsys: pytest.CaptureFixture[str]) -> None:
    run = cli(capsys, "--token", "sk-\udcffsecret", "--base-url", "http://127.0.0.1:9", "inputs")
    assert run.code == 2
    assert "--token" in run.error_line()
    assert "secret" not in run.err.replace("--token", "")


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b'{"topic": "caf\xe9"}', "not UTF-8"),  # latin-1 bytes
        (b'{"topic": "\xff\xfe"}', "not UTF-8"),
        (b"\xff\xfe{\x00}\x00", "not UTF-8"),  # UTF-16 with a BOM
        (b'{"topic": "\\udc80", "target_audience": "x", "depth": "y"}', "lone surrogate"),
        (b'{"topic": "AI", "nested": {"list": ["ok", "\\ud800"]}}', "nested.list[1]"),
        (b'{"\\udfff": "key"}', "lone surrogate"),
    ],
)
def test_inputs_files_that_are_not_text_exit_2(
    emulator: AmpEmulator, capsys: pytest.CaptureFixture[str], tmp_path: Path, content: bytes, says: str
) -> None:
    path = tmp_path / "inputs.json"
    path.write_bytes(content)
    run = cli(capsys, "kickoff", "--inputs-file", str(path))
    assert run.code == 2, run.err
    assert says in run.error_line()
    assert emulator.kickoff_count == 0


def test_undecodable_stdin_exits_2(emulator: AmpEmulator) -> None:
    for content in (b'{"topic": "\xff"}', b'{"topic": "\\udc80"}'):
        result = subprocess.run(
            child_command("kickoff", "--inputs-file", "-"),
            input=content,
            capture_output=True,
            env=_env(emulator),
            timeout=120,
        )
        assert result.returncode == 2, result.stderr
        assert result.stderr.decode().startswith("error: inputs file stdin ")
    assert emulator.kickoff_count == 0


def test_undecodable_argv_bytes_from_a_real_command_line(emulator: AmpEmulator) -> None:
    result = subprocess.run(
        [os.fsencode(part) for part in child_command("kickoff", *TRY)] + [b"--input", b"topic=\xff"],
        capture_output=True,
        env=_env(emulator),
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert b"not valid text" in result.stderr
    assert emulator.kickoff_count == 0


# --- terminal control characters from the server: escaped; --json stays valid ------------------------


def test_escape_controls_keeps_text_and_escapes_controls() -> None:
    assert escape_controls("plain, tab\tand\nnewline; ünïcødé ✓") == "plain, tab\tand\nnewline; ünïcødé ✓"
    assert escape_controls("a\x1b[31mb\x9bc\x07\x00\x7f") == "a\\x1b[31mb\\x9bc\\x07\\x00\\x7f"
    assert escape_controls("line\r\nnext\rover") == "line\nnext\\x0dover"


@pytest.fixture
def hostile_crew_error(monkeypatch: pytest.MonkeyPatch) -> Iterator[AmpEmulator]:
    started = _started(monkeypatch, crew=default_crew().failing_at("write", error=f"boom {HOSTILE} end"))
    try:
        yield started
    finally:
        started.stop()


def test_control_characters_in_crew_output_and_task_names_are_escaped(
    emulator: AmpEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    topic = f"AI{HOSTILE}"
    argv = ["kickoff", "--input", f"topic={topic}", *TRY[2:]]
    run = cli(capsys, *argv, "--wait")  # the topic is in task names and the final output
    assert run.code == 0, run.err
    _no_control_reaches_the_terminal(run.out + run.err)
    assert "AI\\x1b[2J\\x1b]0;owned\\x07\\x9b31m\\x7f\\x00\\x0d" in run.out
    kid = run.out.splitlines()[0].removeprefix("kicked off ")
    run = cli(capsys, "status", kid)
    _no_control_reaches_the_terminal(run.out)
    run = cli(capsys, "status", kid, "--json")
    _no_control_reaches_the_terminal(run.out)
    assert topic in run.json()["result"]["output"]  # valid JSON, the exact text kept


def test_control_characters_on_a_terminal_with_rich_are_escaped(
    emulator: AmpEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("rich")
    monkeypatch.setattr(_output, "is_terminal", lambda stream: True)
    run = cli(capsys, "kickoff", "--input", f"topic=[bold]AI{HOSTILE}", *TRY[2:], "--wait")
    assert run.code == 0, run.err
    _no_control_reaches_the_terminal(run.out)
    assert "\\x1b[2J" in run.out
    assert "[bold]AI" in run.out  # server text is never read as rich markup


def test_control_characters_in_server_error_text_are_escaped(
    hostile_crew_error: AmpEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    run = cli(capsys, "kickoff", *TRY, "--wait")
    assert run.code == 1
    _no_control_reaches_the_terminal(run.out + run.err)
    assert "boom \\x1b[2J" in run.error_line()
    run = cli(capsys, "kickoff", *TRY, "--wait", "--json")
    assert run.code == 1
    _no_control_reaches_the_terminal(run.out + run.err)
    assert f"boom {HOSTILE} end" in run.json()["error"]
    assert f"boom {HOSTILE} end" in run.error()["message"]
    # An HTTP error's text, echoing what the command line sent.
    run = cli(capsys, "status", f"id{HOSTILE}")
    assert run.code == 3
    _no_control_reaches_the_terminal(run.err)


@pytest.mark.parametrize("terminal", [False, True])
def test_control_characters_in_webhook_events_are_escaped(
    monkeypatch: pytest.MonkeyPatch, terminal: bool
) -> None:
    if terminal:
        pytest.importorskip("rich")
    monkeypatch.setattr(_output, "is_terminal", lambda stream: terminal)
    stdout = io.StringIO()
    out = Output(json_mode=False, stdout=stdout, stderr=io.StringIO())
    event = {
        "kickoff_id": f"k{HOSTILE}",
        "task_id": f"t{HOSTILE}",
        "status": "completed",
        "agent": f"[red]agent{HOSTILE}",
        "output": f"line one{HOSTILE}\nline two",
    }
    render_event(out, "task", event)
    _no_control_reaches_the_terminal(stdout.getvalue())
    assert "[red]agent" in stdout.getvalue()
    out.json_mode = True
    stdout.seek(0)
    stdout.truncate()
    render_event(out, "task", event)
    _no_control_reaches_the_terminal(stdout.getvalue())
    assert json.loads(stdout.getvalue())["event"] == event


def test_secrets_are_blanked_before_controls_are_escaped() -> None:
    err = io.StringIO()
    Output(json_mode=False, stdout=io.StringIO(), stderr=err, secrets=[TOKEN]).error(
        f"echo \x1b[31m{TOKEN}\x1b[0m", code=3, kind="X"
    )
    assert TOKEN not in err.getvalue()
    assert err.getvalue() == "error: echo \\x1b[31m***\\x1b[0m\n"


def test_lone_surrogates_from_the_server_are_escaped_not_a_failure() -> None:
    stdout = io.StringIO()
    out = Output(json_mode=False, stdout=stdout, stderr=io.StringIO())
    out.print("half \udc80 of a pair")  # JSON may carry "\udc80"; no encoder can write it
    assert stdout.getvalue() == "half \\udc80 of a pair\n"
    stdout = io.StringIO()
    Output(json_mode=True, stdout=stdout, stderr=io.StringIO()).document({"output": "x\udc80y\x9b"})
    stdout.getvalue().encode("utf-8")  # writable as UTF-8
    assert json.loads(stdout.getvalue()) == {"output": "x\udc80y\x9b"}  # valid JSON, same value


def test_a_terminal_that_cannot_encode_a_character_shows_it_escaped() -> None:
    raw = io.BytesIO()
    ascii_terminal = io.TextIOWrapper(raw, encoding="ascii")
    Output(json_mode=False, stdout=ascii_terminal, stderr=io.StringIO()).print("café ✓")
    assert raw.getvalue() == b"caf\\xe9 \\u2713\n"


def test_inputs_nested_as_deeply_as_json_allows_are_checked_without_a_crash(
    emulator: AmpEmulator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for depth in (900, 2000, 5000):
        path = tmp_path / "inputs.json"
        path.write_text('{"deep": ' + "[" * depth + "]" * depth + "}", encoding="utf-8")
        run = cli(capsys, "kickoff", "--inputs-file", str(path))
        assert run.code in (2, 3), run.err  # refused here (2), or sent and judged by AMP (3)
        assert "unexpected" not in run.err
