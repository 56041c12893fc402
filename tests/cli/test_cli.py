"""The `crewai-amp` command line without a server: parsing, usage errors (exit code 2), --json
error documents, the inputs file, rendering of statuses, and `python -m crewai_amp`."""

from __future__ import annotations

import io
import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import crewai_amp
import pytest
from crewai_amp.cli import main
from crewai_amp.cli._errors import describe
from crewai_amp.cli._output import Output
from crewai_amp.cli._render import StatusView, status_document, summary, view_of
from crewai_amp.errors import (
    APIConnectionError,
    AuthenticationError,
    ExecutionError,
    NotFoundError,
    ResponseValidationError,
    WaitTimeout,
)
from crewai_amp_api.models import StatusCompleted, StatusError, StatusRunning
from support.cli import child_env

TOKEN = "tok-cli-unit-3f9a77d1e2"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CREWAI_AMP_BASE_URL", "CREWAI_AMP_TOKEN", "CREWAI_AMP_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert "Traceback" not in err
    return lines[0]


def json_error(err: str) -> dict[str, Any]:
    lines = err.splitlines()
    assert len(lines) == 1, err
    body: dict[str, Any] = json.loads(lines[0])["error"]
    return body


def closed_port() -> int:
    """A port on 127.0.0.1 with (very likely) nothing listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# --- help, version, global options ---------------------------------------------------------------


def test_help_and_version_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for command in ("inputs", "kickoff", "status", "wait", "resume", "mock", "webhooks"):
        assert command in out
    assert "exit codes" in out
    code, out, _ = run(capsys, "--version")
    assert code == 0
    assert crewai_amp.__version__ in out
    for sub in (["kickoff"], ["resume"], ["mock", "serve"], ["webhooks", "listen"]):
        code, out, _ = run(capsys, *sub, "--help")
        assert code == 0, sub
        assert "--json" in out


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["nope"],
        ["status"],
        ["status", "a", "b"],
        ["kickoff", "--input", "novalue"],
        ["kickoff", "--input", "=value"],
        ["kickoff", "--meta", "x"],
        ["kickoff", "--timeout", "-1", "--wait"],
        ["kickoff", "--timeout", "soon", "--wait"],
        ["wait", "ID", "--timeout", "0"],
        ["status", ""],
        ["wait", " "],
        ["resume", "", "--task", "t", "--feedback", "f", "--approve"],
        ["mock"],
        ["mock", "serve", "--port", "70000"],
        ["mock", "serve", "--scale", "-1"],
        ["webhooks"],
        ["webhooks", "listen", "--secret", "a", "--bearer", "b"],
    ],
)
def test_usage_errors_exit_2_with_one_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    line = one_error_line(err)
    assert "--help" in line


@pytest.mark.parametrize(
    "argv",
    [
        ["resume", "ID", "--task", "t", "--feedback", "f"],
        ["resume", "ID", "--task", "t", "--feedback", "f", "--approve", "--retry"],
        ["resume", "ID", "--feedback", "f", "--approve"],
        ["resume", "ID", "--task", "t", "--approve"],
    ],
)
def test_resume_needs_task_feedback_and_exactly_one_decision(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code, _, err = run(capsys, "--base-url", "http://127.0.0.1:9", "--token", TOKEN, *argv)
    assert code == 2
    line = one_error_line(err)
    assert "approve" in line or "retry" in line or "--task" in line or "--feedback" in line


def test_resume_decision_parses_to_a_boolean() -> None:
    from crewai_amp.cli._parser import parse_args

    approve = parse_args(["resume", "K", "--task", "t", "--feedback", "ok", "--approve"])
    retry = parse_args(["resume", "K", "--task", "t", "--feedback", "again", "--retry"])
    assert approve.approve is True
    assert retry.approve is False


def test_global_options_before_and_after_the_command() -> None:
    from crewai_amp.cli._parser import parse_args

    before = parse_args(["--json", "--base-url", "http://a", "--token", "t", "status", "ID"])
    after = parse_args(["status", "ID", "--json", "--base-url", "http://a", "--token", "t"])
    for args in (before, after):
        assert (args.json, args.base_url, args.token, args.kickoff_id) == (True, "http://a", "t", "ID")
    neither = parse_args(["status", "ID"])
    assert not hasattr(neither, "json")
    assert not hasattr(neither, "token")
    # Given in both places, the one after the command wins.
    both = parse_args(["--base-url", "http://first", "status", "ID", "--base-url", "http://second"])
    assert both.base_url == "http://second"


def test_missing_url_or_token_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = run(capsys, "inputs", "--token", TOKEN)
    assert code == 2
    assert "CREWAI_AMP_BASE_URL" in one_error_line(err)
    code, _, err = run(capsys, "status", "ID", "--base-url", "http://127.0.0.1:9")
    assert code == 2
    assert "CREWAI_AMP_TOKEN" in one_error_line(err)
    # The environment counts too: only the token is missing now.
    monkeypatch.setenv("CREWAI_AMP_BASE_URL", "http://127.0.0.1:9")
    code, _, err = run(capsys, "wait", "ID")
    assert code == 2
    assert "CREWAI_AMP_TOKEN" in one_error_line(err)


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--base-url", "ftp://crew.test", "http:// or https://"),
        ("--base-url", "https://user:pw@crew.test", "credentials"),
        ("--token", "sk-two\nlines", "characters an HTTP header cannot carry"),
    ],
)
def test_an_unusable_url_or_token_is_a_usage_error_naming_the_problem(
    capsys: pytest.CaptureFixture[str], option: str, value: str, says: str
) -> None:
    settings = {"--base-url": "http://127.0.0.1:9", "--token": TOKEN, option: value}
    code, out, err = run(capsys, "inputs", *[item for pair in settings.items() for item in pair])
    assert code == 2
    line = one_error_line(err)
    assert says in line
    assert "--base-url/--token" in line
    assert "pw" not in line and "sk-two" not in line and TOKEN not in err + out


def test_timeout_without_wait_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "kickoff", "--input", "a=b", "--timeout", "5")
    assert code == 2
    assert "--wait" in one_error_line(err)


# --- --json errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["--json"],
        ["kickoff", "--input", "bad", "--json"],
        ["--json", "resume", "ID", "--task", "t", "--feedback", "f"],
        ["inputs", "--json"],
        ["kickoff", "--inputs-file", "/nonexistent/inputs.json", "--json"],
    ],
)
def test_usage_errors_as_json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    error = json_error(err)
    assert error["type"] == "UsageError"
    assert error["exit_code"] == 2
    assert error["message"]


def test_connection_refused_exits_3_as_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    code, out, err = run(capsys, "inputs", "--base-url", url, "--token", TOKEN)
    assert code == 3
    assert out == ""
    line = one_error_line(err)
    assert f"cannot reach AMP at {url}" in line
    assert "CREWAI_AMP_BASE_URL" in line
    assert TOKEN not in err
    code, out, err = run(capsys, "status", "some-id", "--base-url", url, "--token", TOKEN, "--json")
    assert code == 3
    assert out == ""
    error = json_error(err)
    assert error["exit_code"] == 3
    assert error["type"] in {"APIConnectionError", "APITimeoutError"}
    assert TOKEN not in err


# --- the inputs file -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "cannot read"),
        ("{not json", "not valid JSON"),
        ('["a"]', "JSON object"),
        ("", "not valid JSON"),
        # Python's json reads these, but no request body can carry them: not a crewai-amp bug (70).
        ('{"topic": NaN}', "NaN is not a JSON number"),
        ('{"n": -Infinity}', "-Infinity is not a JSON number"),
        ('{"n": 1e999}', "out of range"),
        pytest.param('{"deep": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply", id="deep"),
    ],
)
def test_bad_inputs_file_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str | None, problem: str
) -> None:
    path = tmp_path / "inputs.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    code, out, err = run(
        capsys, "kickoff", "--inputs-file", str(path), "--base-url", "http://x", "--token", "t"
    )
    assert code == 2
    assert out == ""
    assert problem in one_error_line(err)


def test_inputs_file_then_input_flags_win(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from crewai_amp.cli._commands import _kickoff_inputs
    from crewai_amp.cli._parser import parse_args

    path = tmp_path / "inputs.json"
    path.write_text(json.dumps({"topic": "from file", "depth": "long", "n": 3}), encoding="utf-8")
    args = parse_args(
        [
            "kickoff",
            "--inputs-file",
            str(path),
            "--input",
            "topic=from flag",
            "--input",
            "eq=a=b",
            "--input",
            "e=",
        ]
    )
    assert _kickoff_inputs(args) == {"topic": "from flag", "depth": "long", "n": 3, "eq": "a=b", "e": ""}
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"topic": "from stdin"}'))
    args = parse_args(["kickoff", "--inputs-file", "-", "--input", "depth=short"])
    assert _kickoff_inputs(args) == {"topic": "from stdin", "depth": "short"}


# --- rendering ----------------------------------------------------------------------------------


def test_status_views_tolerate_unset_fields_and_unknown_statuses() -> None:
    bare = StatusRunning.from_dict({"status": "running"})
    assert summary(view_of(bare)) == "running"
    partial = StatusRunning.from_dict({"status": "running", "current_task": "Research", "progress": {}})
    assert summary(view_of(partial)) == "running: Research"
    full = StatusRunning.from_dict(
        {"status": "running", "current_task": "Write", "progress": {"completed_tasks": 2, "total_tasks": 4}}
    )
    assert summary(view_of(full)) == "running: Write (2/4 tasks done)"
    done = StatusCompleted.from_dict(
        {
            "status": "completed",
            "result": {"output": "It works.", "tasks": [{"task_id": "a"}]},
            "execution_time": 1.5,
        }
    )
    view = view_of(done)
    assert (view.output, view.execution_time, view.tasks) == ("It works.", 1.5, [{"task_id": "a"}])
    assert summary(view) == "completed in 1.50 s (1 tasks)"
    assert summary(view_of(StatusCompleted.from_dict({"status": "completed"}))) == "completed"
    failed = StatusError.from_dict({"status": "error", "error": "Tool timeout"})
    assert summary(view_of(failed)) == "ended in error: Tool timeout"

    class Unknown:  # the shape of StatusUnknown: a status string and the raw body
        def __init__(self) -> None:
            self.status = "paused"
            self.raw = {"status": "paused", "reason": "maintenance"}

    assert summary(view_of(Unknown())) == "status 'paused' (not known to this version of crewai-amp)"
    assert status_document("K", Unknown()) == {"kickoff_id": "K", "status": "paused", "reason": "maintenance"}
    assert view_of(object()) == StatusView(state="unknown", document={"status": "unknown"})


def test_status_document_keeps_unknown_fields() -> None:
    status = StatusRunning.from_dict({"status": "running", "eta_seconds": 12})
    assert status_document("K", status) == {"kickoff_id": "K", "status": "running", "eta_seconds": 12}


def test_output_redacts_secrets_everywhere() -> None:
    out_stream, err_stream = io.StringIO(), io.StringIO()
    out = Output(json_mode=False, stdout=out_stream, stderr=err_stream, secrets=[TOKEN])
    out.print(f"token {TOKEN}")
    out.note(f"note {TOKEN}")
    out.error(f"bad {TOKEN}", code=3, kind="X")
    out.json_mode = True
    out.document({"a": [TOKEN, {TOKEN: TOKEN}]})
    out.error(f"bad {TOKEN}", code=3, kind="X", body={"echo": TOKEN})
    text = out_stream.getvalue() + err_stream.getvalue()
    assert TOKEN not in text
    assert "***" in text


@pytest.mark.parametrize("short", ["e", "a", "r"])
def test_a_short_token_never_garbles_the_output(capsys: pytest.CaptureFixture[str], short: str) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    code, _, err = run(capsys, "inputs", "--base-url", url, "--token", short)
    assert code == 3
    line = one_error_line(err)
    assert line.startswith("error: cannot reach AMP at http://127.0.0.1:")
    assert "***" not in line  # the token appears nowhere as a word of its own
    output = Output(json_mode=False, stdout=io.StringIO(), stderr=io.StringIO(), secrets=[short])
    assert output.redact(f"rejected token {short}: retry later") == "rejected token ***: retry later"


def test_multiline_messages_become_one_error_line() -> None:
    err = io.StringIO()
    Output(json_mode=False, stdout=io.StringIO(), stderr=err).error(
        "first\nsecond", code=3, kind="X", hint="h"
    )
    assert err.getvalue() == "error: first second (h)\n"


def _response(status: int) -> Any:
    import httpx

    return httpx.Response(status, request=httpx.Request("GET", "http://x/status/1"))


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (ExecutionError("failed", kickoff_id="K", status=StatusError.from_dict({"status": "error"})), 1),
        (AuthenticationError("unauthorized", response=_response(401), body={}), 3),
        (NotFoundError("no such kickoff", response=_response(404), body={}), 3),
        (APIConnectionError("refused"), 3),
        (ResponseValidationError("bad body", raw="<html>"), 3),
        (WaitTimeout("600 s", kickoff_id="K", last_status=None), 4),
        (KeyboardInterrupt(), 130),
        (RuntimeError("bug"), 70),
    ],
)
def test_each_outcome_has_its_exit_code(exc: BaseException, code: int) -> None:
    failure = describe(exc)
    assert failure.code == code
    assert failure.message


def test_the_command_to_resume_waiting_never_carries_credentials() -> None:
    from crewai_amp.cli._errors import wait_command

    assert wait_command("K") == "crewai-amp wait K"
    assert wait_command("K", "http://127.0.0.1:8000") == "crewai-amp wait K --base-url http://127.0.0.1:8000"
    assert (
        wait_command("K", "https://user:pw@crew.example/x")
        == "crewai-amp wait K --base-url https://crew.example/x"
    )


def test_an_unexpected_bug_is_one_line_not_a_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from crewai_amp.cli import _commands

    def broken(args: Any, out: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(_commands, "connect", broken)
    code, _, err = run(capsys, "inputs")
    assert code == 70
    assert "boom" in one_error_line(err)


# --- python -m crewai_amp, and the installed console script --------------------------------------


def test_python_dash_m_crewai_amp() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "crewai_amp", "--help"],
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "crewai-amp" in result.stdout
    assert "kickoff" in result.stdout
    usage = subprocess.run(
        [sys.executable, "-m", "crewai_amp", "kickoff", "--input", "oops"],
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=60,
    )
    assert usage.returncode == 2
    assert usage.stderr.startswith("error: ")
    assert "Traceback" not in usage.stderr


def test_installed_console_script() -> None:
    script = shutil.which("crewai-amp")
    if script is None:
        pytest.skip("no crewai-amp on PATH: it exists when the wheel is installed (nox -s tests)")
    result = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "kickoff" in result.stdout
    version = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0
    assert crewai_amp.__version__ in version.stdout
