"""`crewai-amp` end to end, in-process (`main([...])`), against the AMP emulator on 127.0.0.1:
every command, every exit code, --json everywhere, progress lines, Ctrl-C, and a token that is
never printed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import support.cli as support_cli
from crewai_amp.cli import _output, _progress, main
from crewai_amp.testing import AmpEmulator, default_crew
from support.cli import wait_approving_the_review
from support.emulator import wait_for

TOKEN = "amp-cli-e2e-token-5c1d9e0b7a"
TRY = ["--input", "topic=AI", "--input", "target_audience=devs", "--input", "depth=short"]
FINAL = "Final report on AI for devs (short)"


def start_emulator(monkeypatch: pytest.MonkeyPatch, **options: Any) -> AmpEmulator:
    return support_cli.start_emulator(monkeypatch, TOKEN, **options)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CREWAI_AMP_BASE_URL", "CREWAI_AMP_TOKEN", "CREWAI_AMP_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[AmpEmulator]:
    started = start_emulator(monkeypatch)
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def review_emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[AmpEmulator]:
    started = start_emulator(monkeypatch, crew=default_crew(review=["write"]))
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def failing_emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[AmpEmulator]:
    started = start_emulator(monkeypatch, crew=default_crew(fail_at="write"))
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def slow_emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[AmpEmulator]:
    started = start_emulator(monkeypatch, scale=1.0)
    try:
        yield started
    finally:
        started.stop()


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err
        assert TOKEN not in out, "the token was printed on stdout"
        assert TOKEN not in err, "the token was printed on stderr"
        assert "Traceback" not in err

    def json(self) -> Any:
        return json.loads(self.out)

    def _after_kickoff_notice(self) -> list[str]:
        """stderr's lines, without the kickoff notice a kickoff writes first."""
        lines = self.err.strip().splitlines()
        if lines and (lines[0].startswith("kicked off ") or lines[0].startswith('{"notice": "kicked off"')):
            return lines[1:]
        return lines

    def error(self) -> dict[str, Any]:
        lines = self._after_kickoff_notice()
        assert len(lines) == 1, self.err
        body: dict[str, Any] = json.loads(lines[0])["error"]
        return body

    def error_line(self) -> str:
        lines = self._after_kickoff_notice()
        assert len(lines) == 1, self.err
        assert lines[0].startswith("error: "), self.err
        return lines[0]


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> Run:
    code = main(list(argv))
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


def kickoff_id(capsys: pytest.CaptureFixture[str], emulator: AmpEmulator) -> str:
    run = cli(capsys, "kickoff", *TRY)
    assert run.code == 0, run.err
    (kid,) = run.out.split()
    assert kid in emulator.kickoff_ids
    return kid


# --- success paths -------------------------------------------------------------------------------


def test_inputs(emulator: AmpEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    run = cli(capsys, "inputs")
    assert run.code == 0
    assert run.out.split() == ["topic", "target_audience", "depth"]
    run = cli(capsys, "inputs", "--json")
    assert run.code == 0
    assert run.json() == {"inputs": ["topic", "target_audience", "depth"]}


def test_flags_instead_of_the_environment(
    emulator: AmpEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CREWAI_AMP_BASE_URL")
    monkeypatch.delenv("CREWAI_AMP_TOKEN")
    run = cli(capsys, "--base-url", emulator.base_url, "inputs", "--token", TOKEN, "--json")
    assert run.code == 0
    assert run.json()["inputs"][0] == "topic"


def test_kickoff_wait_completes_with_plain_progress_lines(
    emulator: AmpEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    run = cli(capsys, "kickoff", *TRY, "--wait")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0].startswith("kicked off ")
    kid = lines[0].removeprefix("kicked off ")
    assert emulator.status_of(kid) == "completed"
    progress = [line for line in lines if line.startswith("[")]
    assert progress, run.out
    assert progress[-1].split("] ", 1)[1].startswith("completed")
    assert len(progress) == len(set(line.split("] ", 1)[1] for line in progress))  # one per change
    assert run.out.count("completed in") == 1  # said once, by the last progress line
    assert run.out.rstrip().splitlines()[-1].startswith(FINAL)  # the final output comes last


def test_kickoff_wait_json_is_one_document(emulator: AmpEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    run = cli(capsys, "--json", "kickoff", *TRY, "--wait", "--timeout", "60")
    assert run.code == 0, run.err
    document = run.json()
    assert document["status"] == "completed"
    assert document["kickoff_id"] in emulator.kickoff_ids
    assert document["result"]["output"].startswith(FINAL)
    assert [task["task_id"] for task in document["result"]["tasks"]] == [
        "research",
        "outline",
        "write",
        "review",
    ]
    (notice,) = run.err.splitlines()  # the id on stderr the moment it was known, and nothing else
    assert json.loads(notice) == {
        "notice": "kicked off",
        "kickoff_id": document["kickoff_id"],
        "correlation_id": json.loads(notice)["correlation_id"],
    }


def test_kickoff_then_status_then_wait(emulator: AmpEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    run = cli(capsys, "kickoff", *TRY, "--json")
    assert run.code == 0
    kid = run.json()["kickoff_id"]
    run = cli(capsys, "wait", kid)
    assert run.code == 0, run.err
    assert FINAL in run.out
    run = cli(capsys, "status", kid)
    assert run.code == 0
    assert run.out.startswith("completed")
    assert FINAL in run.out
    run = cli(capsys, "status", kid, "--json")
    assert run.code == 0
    assert run.json()["status"] == "completed"
    assert run.json()["kickoff_id"] == kid
    run = cli(capsys, "wait", kid, "--json", "--timeout", "30")
    assert run.code == 0
    assert run.json()["result"]["output"].startswith(FINAL)


def test_kickoff_prints_the_id_and_how_to_follow_it(
    emulator: AmpEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    run = cli(capsys, "kickoff", *TRY)
    assert run.code == 0
    (kid,) = run.out.split()
    assert f"crewai-amp wait {kid}" in run.err


def test_inputs_file_and_input_flags_merge(
    emulator: AmpEmulator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "inputs.json"
    path.write_text(
        json.dumps({"topic": "Rust", "target_audience": "devs", "depth": "deep"}), encoding="utf-8"
    )
    run = cli(capsys, "kickoff", "--inputs-file", str(path), "--input", "topic=Go", "--wait", "--json")
    assert run.code == 0, run.err
    assert run.json()["result"]["output"].startswith("Final report on Go for devs (deep)")


def test_running_status_lines_then_completion(
    review_emulator: AmpEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The crew pauses for review; the CLI shows the pause (or a running line, where the spec has
    no pause variant); then a reviewer approves (from another thread, once the CLI has shown that
    line) and the CLI shows completion."""
    kid = kickoff_id(capsys, review_emulator)
    wait_for(lambda: review_emulator.awaiting_review(kid), what="the review")
    run = wait_approving_the_review(
        lambda: cli(capsys, "wait", kid), monkeypatch, review_emulator.base_url, TOKEN, kid
    )
    assert run.code == 0, run.err
    states = [line.split("] ", 1)[1] for line in run.out.splitlines() if line.startswith("[")]
    assert states[0].startswith(("running: ", "waiting for human input"))
    assert "tasks done)" in states[0]
    assert states[-1].startswith("completed")


def test_resume_approve(review_emulator: AmpEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    kid = kickoff_id(capsys, review_emulator)
    assert wait_for(lambda: review_emulator.awaiting_review(kid), what="the review") == "write"
    run = cli(capsys, "resume", kid, "--task", "write", "--feedback", "Looks good", "--approve")
    assert run.code == 0, run.err
    assert run.out.startswith("resumed")
    assert f"crewai-amp wait {kid}" in run.err
    run = cli(capsys, "wait", kid, "--json")
    assert run.code == 0
    outputs = {task["task_id"]: task["output"] for task in run.json()["result"]["tasks"]}
    assert "Revised" not in outputs["write"]


def test_resume_retry_then_approve(review_emulator: AmpEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    kid = kickoff_id(capsys, review_emulator)
    wait_for(lambda: review_emulator.awaiting_review(kid), what="the review")
    run = cli(
        capsys, "resume", kid, "--task", "write", "--feedback", "More formal, please", "--retry", "--json"
    )
    assert run.code == 0, run.err
    document = run.json()
    assert document["status"] == "retrying"
    assert (document["kickoff_id"], document["task_id"]) == (kid, "write")
    # The task runs again and waits for review again; approve it this time.
    wait_for(lambda: review_emulator.awaiting_review(kid), what="the second review")
    run = cli(capsys, "resume", kid, "--task", "write", "--feedback", "Better", "--approve")
    assert run.code == 0, run.err
    run = cli(capsys, "wait", kid, "--json")
    assert run.code == 0
    outputs = {task["task_id"]: task["output"] for task in run.json()["result"]["tasks"]}
    assert "More formal, please" in outputs["write"]


def test_resume_a_task_that_is_not_waiting_exits_3(
    review_emulator: AmpEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    kid = kickoff_id(capsys, review_emulator)
    wait_for(lambda: review_emulator.awaiting_review(kid), what="the review")
    run = cli(capsys, "resume", kid, "--task", "research", "--feedback", "no", "--approve")
    assert run.code == 3
    assert "400" in run.error_line()
    run = cli(capsys, "resume", kid, "--task", "research", "--feedback", "no", "--approve", "--json")
    assert run.code == 3
    assert run.error()["status_code"] == 400
    assert review_emulator.awaiting_review(kid) == "write"


# --- the crew ends in error: exit 1 ----------------------------------------------------------------


def test_crew_error_exits_1(failing_emulator: AmpEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    run = cli(capsys, "kickoff", *TRY, "--wait")
    assert run.code == 1
    assert "Tool timeout in step 4" in run.error_line()
    assert "ended in error: Tool timeout in step 4" in run.out
    kid = run.out.splitlines()[0].removeprefix("kicked off ")
    run = cli(capsys, "status", kid)
    assert run.code == 1
    assert run.out.startswith("ended in error")
    run = cli(capsys, "status", kid, "--json")
    assert run.code == 1
    assert run.json()["status"] == "error"
    run = cli(capsys, "wait", kid, "--json")
    assert run.code == 1
    assert run.json()["status"] == "error"  # the final status still goes to stdout...
    error = run.error()  # ...and the error to stderr
    assert (error["type"], error["exit_code"], error["kickoff_id"]) == ("ExecutionError", 1, kid)


# --- API and auth errors: exit 3 -----------------------------------------------------------------


def test_wrong_token_exits_3_and_never_prints_a_token(
    emulator: AmpEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "wrong-token-e4c2b81d"
    monkeypatch.setenv("CREWAI_AMP_TOKEN", wrong)
    for argv in (["inputs"], ["kickoff", *TRY, "--wait"], ["status", "x"], ["wait", "x"]):
        run = cli(capsys, *argv)
        assert run.code == 3, argv
        line = run.error_line()
        assert "401" in line
        assert "CREWAI_AMP_TOKEN" in line
        assert wrong not in run.out + run.err
        run = cli(capsys, *argv, "--json")
        assert run.code == 3
        assert run.error()["type"] == "AuthenticationError"
        assert run.error()["status_code"] == 401
        assert wrong not in run.out + run.err
    assert emulator.kickoff_count == 2  # the two refused kickoffs, neither retried


def test_missing_inputs_and_unknown_id_exit_3(
    emulator: AmpEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    run = cli(capsys, "kickoff", "--input", "topic=AI")
    assert run.code == 3
    assert "422" in run.error_line()
    run = cli(capsys, "status", "7c6d8f8e-0d7b-4f57-9c55-3f3a36a3c0a1", "--json")
    assert run.code == 3
    assert run.error()["status_code"] == 404
    assert run.out == ""


# --- timeouts: exit 4 ----------------------------------------------------------------------------


def test_timeout_exits_4_and_says_how_to_keep_waiting(
    slow_emulator: AmpEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    run = cli(capsys, "kickoff", *TRY, "--wait", "--timeout", "0.05")
    assert run.code == 4
    kid = run.out.splitlines()[0].removeprefix("kicked off ")
    assert f"crewai-amp wait {kid}" in run.error_line()
    run = cli(capsys, "wait", kid, "--timeout", "0.05", "--json")
    assert run.code == 4
    error = run.error()
    assert (error["type"], error["exit_code"], error["kickoff_id"]) == ("WaitTimeout", 4, kid)
    assert run.out == ""


def test_resume_command_carries_the_base_url_flag_never_the_token(
    slow_emulator: AmpEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CREWAI_AMP_BASE_URL")
    url = slow_emulator.base_url
    run = cli(capsys, "kickoff", *TRY, "--wait", "--timeout", "0.05", "--base-url", url)
    assert run.code == 4
    assert f"--base-url {url}" in run.error_line()


# --- Ctrl-C: exit 130 ----------------------------------------------------------------------------


def test_ctrl_c_while_waiting_exits_130_and_says_how_to_resume(
    slow_emulator: AmpEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupt(self: Any, status: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(_progress.PlainLines, "update", interrupt)
    run = cli(capsys, "kickoff", *TRY, "--wait")
    assert run.code == 130
    kid = run.out.splitlines()[0].removeprefix("kicked off ")
    line = run.error_line()
    assert kid in line
    assert f"crewai-amp wait {kid}" in line
    assert slow_emulator.status_of(kid) == "running"  # only the waiting stopped, not the crew

    monkeypatch.setattr(_progress.NoDisplay, "update", interrupt)
    run = cli(capsys, "wait", kid, "--json")
    assert run.code == 130
    error = run.error()
    assert (error["type"], error["exit_code"], error["kickoff_id"]) == ("Interrupted", 130, kid)
    assert f"crewai-amp wait {kid}" in error["hint"]


# --- on a terminal ---------------------------------------------------------------------------------


def test_on_a_terminal_a_rich_progress_bar_and_panel(
    emulator: AmpEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("rich")
    monkeypatch.setattr(_output, "is_terminal", lambda stream: True)
    bars: list[Any] = []
    original = _progress.RichBar.__init__

    def init(self: _progress.RichBar, console: Any, *args: Any, **kwargs: Any) -> None:
        bars.append(self)
        original(self, console, *args, **kwargs)

    monkeypatch.setattr(_progress.RichBar, "__init__", init)
    run = cli(capsys, "kickoff", *TRY, "--wait")
    assert run.code == 0, run.err
    assert len(bars) == 1
    assert "completed" in run.out
    assert "Final report on AI" in run.out
    assert "4/4" in run.out


def test_on_a_terminal_without_rich_plain_lines_and_a_hint(
    emulator: AmpEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setattr(_output, "is_terminal", lambda stream: True)
    monkeypatch.setitem(sys.modules, "rich.console", None)  # `from rich.console import ...` fails
    run = cli(capsys, "kickoff", *TRY, "--wait")
    assert run.code == 0, run.err
    assert run.err.count("pip install 'crewai-amp-client[cli]'") == 1
    assert len(run.err.splitlines()) == 2  # the kickoff notice, the hint
    assert any(line.startswith("[") and "completed" in line for line in run.out.splitlines())
    assert FINAL in run.out


def test_an_api_error_while_waiting_still_reports_the_kickoff_id(
    emulator: AmpEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    # The kickoff succeeded (a paid run), then every status check fails: with --json nothing else
    # on stdout or stderr carries the id, so the error must.
    emulator.faults.routes = frozenset({"status"})
    emulator.faults.error_rate = 1.0
    run = cli(capsys, "kickoff", *TRY, "--wait", "--json")
    assert run.code == 3
    error = run.error()
    (kid,) = emulator.kickoff_ids
    assert (error["type"], error["status_code"], error["kickoff_id"]) == ("InternalServerError", 500, kid)
    assert f"crewai-amp wait {kid}" in error["hint"]
    assert run.out == ""
    emulator.faults.clear()
    run = cli(capsys, "wait", "7c6d8f8e-0d7b-4f57-9c55-3f3a36a3c0a1", "--not-found-grace", "0", "--json")
    assert run.code == 3
    assert run.error()["kickoff_id"] == "7c6d8f8e-0d7b-4f57-9c55-3f3a36a3c0a1"
    assert "hint" not in run.error()  # an unknown id: no point waiting again
