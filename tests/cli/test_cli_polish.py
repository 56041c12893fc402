"""`crewai-amp` polish: the kickoff id in every --json error about one, elapsed time that says
what it counts from, enum values printed as values, no message said twice, and environment
variable names taken from the client's configuration."""

from __future__ import annotations

import io
import json
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from crewai_amp import _config
from crewai_amp.cli._output import Output
from crewai_amp.cli._progress import Clock, PlainLines
from crewai_amp.cli._render import render_event, view_of
from crewai_amp.testing import AmpEmulator, default_crew
from crewai_amp_api.models import StatusCompleted, StatusError, StatusRunning
from support.cli import ENV_NAMES, TRY, cli, start_emulator, wait_approving_the_review
from support.emulator import wait_for

TOKEN = "amp-cli-polish-token-4b7a0c9e11"
UNKNOWN_ID = "7c6d8f8e-0d7b-4f57-9c55-3f3a36a3c0a1"


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


@pytest.fixture
def review_emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[AmpEmulator]:
    started = _started(monkeypatch, crew=default_crew(review=["write"]))
    try:
        yield started
    finally:
        started.stop()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# --- the kickoff id in every --json error that concerns one ------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["status", UNKNOWN_ID],
        ["status", "nope"],
        ["wait", UNKNOWN_ID, "--timeout", "30", "--not-found-grace", "0"],
        ["resume", UNKNOWN_ID, "--task", "write", "--feedback", "ok", "--approve"],
        ["resume", "nope", "--task", "write", "--feedback", "ok", "--retry"],
    ],
)
def test_json_errors_about_a_kickoff_carry_its_id(
    emulator: AmpEmulator, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    run = cli(capsys, *argv, "--json")
    assert run.code == 3, run.err
    assert run.out == ""
    error = run.error()
    assert error["kickoff_id"] == argv[1]
    assert error["status_code"] == 404


@pytest.mark.parametrize("command", [["status", "some-id"], ["wait", "some-id"]])
def test_json_errors_carry_the_id_when_amp_is_unreachable_or_refuses_the_token(
    emulator: AmpEmulator,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
) -> None:
    run = cli(capsys, *command, "--json", "--base-url", f"http://127.0.0.1:{_closed_port()}")
    assert run.code == 3
    assert run.error()["kickoff_id"] == "some-id"
    monkeypatch.setenv("CREWAI_AMP_TOKEN", "wrong-token-0000")
    run = cli(capsys, *command, "--json")
    assert run.code == 3
    assert (run.error()["status_code"], run.error()["kickoff_id"]) == (401, "some-id")


def test_json_errors_after_a_kickoff_carry_its_id(
    review_emulator: AmpEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    run = cli(capsys, "kickoff", *TRY, "--wait", "--timeout", "0.2", "--json")  # paused for review
    assert run.code == 4
    (kid,) = review_emulator.kickoff_ids
    assert run.error()["kickoff_id"] == kid
    run = cli(capsys, "resume", kid, "--task", "research", "--feedback", "no", "--approve", "--json")
    assert run.code == 3
    assert (run.error()["status_code"], run.error()["kickoff_id"]) == (400, kid)


def test_a_json_usage_error_has_no_kickoff_id(capsys: pytest.CaptureFixture[str]) -> None:
    run = cli(capsys, "status", "--json")
    assert run.code == 2
    assert "kickoff_id" not in run.error()


# --- elapsed time: since the run started where known, else said to be since attach --------------------


def _seconds(line: str) -> float:
    match = re.match(r"\[\s*([0-9.]+)s", line)
    assert match, line
    return float(match.group(1))


def test_the_clock_counts_from_the_kickoff_when_this_process_made_it() -> None:
    clock = Clock(started=time.monotonic() - 90)
    assert clock.known
    assert clock.seconds() >= 90
    assert "since attach" not in clock.stamp()


def test_the_clock_learns_the_start_from_a_status_that_says() -> None:
    clock = Clock()
    running = view_of(StatusRunning.from_dict({"status": "running", "current_task": "Write"}))
    clock.learn(running)
    assert not clock.known
    assert clock.stamp().endswith("s since attach]")
    # A running status that carries execution_time (a field the spec gives finished runs).
    clock.learn(view_of(StatusRunning.from_dict({"status": "running", "execution_time": 75.0})))
    assert clock.known
    assert clock.seconds() >= 75
    assert "since attach" not in clock.stamp()
    # A finished run: elapsed is its execution time, and stops there.
    for finished in (
        StatusCompleted.from_dict({"status": "completed", "execution_time": 64.1}),
        StatusError.from_dict({"status": "error", "error": "x", "execution_time": 41.0}),
    ):
        clock = Clock()
        clock.learn(view_of(finished))
        assert clock.known
        first = clock.seconds()
        assert first == pytest.approx(view_of(finished).execution_time, abs=0.05)
        assert clock.seconds() == first


def test_plain_lines_say_since_attach_until_the_start_is_known() -> None:
    stdout = io.StringIO()
    lines = PlainLines(Output(json_mode=False, stdout=stdout, stderr=io.StringIO()))
    lines.update(StatusRunning.from_dict({"status": "running", "current_task": "Research"}))
    lines.update(StatusCompleted.from_dict({"status": "completed", "execution_time": 64.1}))
    first, last = stdout.getvalue().splitlines()
    assert first.split("] ")[0].endswith("s since attach")
    assert first.endswith("] running: Research")
    assert "since attach" not in last
    assert _seconds(last) == pytest.approx(64.1, abs=0.05)


def test_kickoff_wait_counts_from_the_kickoff(
    emulator: AmpEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    run = cli(capsys, "kickoff", *TRY, "--wait")
    assert run.code == 0, run.err
    progress = [line for line in run.out.splitlines() if line.startswith("[")]
    assert progress
    assert not any("since attach" in line for line in progress)


def test_waiting_on_a_finished_run_shows_its_execution_time(
    emulator: AmpEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    run = cli(capsys, "kickoff", *TRY, "--wait", "--json")
    document = run.json()
    run = cli(capsys, "wait", document["kickoff_id"])
    assert run.code == 0
    (line,) = [line for line in run.out.splitlines() if line.startswith("[")]
    assert "since attach" not in line
    assert _seconds(line) == pytest.approx(document["execution_time"], abs=0.05)


def test_a_reattached_wait_says_since_attach_until_the_run_says_more(
    review_emulator: AmpEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run = cli(capsys, "kickoff", *TRY)
    kid = run.out.strip()
    wait_for(lambda: review_emulator.awaiting_review(kid), what="the review")
    run = wait_approving_the_review(
        lambda: cli(capsys, "wait", kid), monkeypatch, review_emulator.base_url, TOKEN, kid
    )
    assert run.code == 0, run.err
    progress = [line for line in run.out.splitlines() if line.startswith("[")]
    assert progress[0].split("] ")[0].endswith("since attach")
    assert "running" in progress[0] or "waiting for human input" in progress[0]
    assert progress[-1].split("] ", 1)[1].startswith("completed")
    assert "since attach" not in progress[-1]  # the completed status gave the run's own time


# --- enum values printed as values -------------------------------------------------------------------

ENUM_REPR = re.compile(r"\b[A-Z][A-Za-z]*(Status|Type)\.[a-z_]+")


def test_statuses_and_resume_print_values_not_enum_reprs(
    review_emulator: AmpEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    run = cli(capsys, "kickoff", *TRY)
    kid = run.out.strip()
    wait_for(lambda: review_emulator.awaiting_review(kid), what="the review")
    outputs = []
    for argv in (
        ["status", kid],
        ["status", kid, "--json"],
        ["resume", kid, "--task", "write", "--feedback", "ok", "--approve"],
        ["wait", kid],
        ["status", kid],
        ["status", kid, "--json"],
        ["wait", kid, "--json"],
    ):
        run = cli(capsys, *argv)
        assert run.code == 0, (argv, run.err)
        outputs.append(run.out + run.err)
    text = "\n".join(outputs)
    assert not ENUM_REPR.search(text), ENUM_REPR.search(text)
    assert "resumed" in text and "completed" in text


def test_webhook_events_print_values_not_enum_reprs() -> None:
    from crewai_amp.webhooks import channel_of, parse_event

    bodies = [
        b'{"kickoff_id": "k-1", "task_id": "t-1", "status": "completed", "output": "x"}',
        b'{"kickoff_id": "k-1", "task_id": "t-1", "step": {"type": "tool_call", "tool": "search"}}',
        b'{"kickoff_id": "k-1", "status": "error", "error": "boom"}',
        b'{"kickoff_id": "k-1", "task_id": "t-1", "status": "brand_new_status"}',
    ]
    for json_mode in (False, True):
        stdout = io.StringIO()
        out = Output(json_mode=json_mode, stdout=stdout, stderr=io.StringIO())
        for body in bodies:
            channel = channel_of(json.loads(body))
            assert channel is not None
            render_event(out, channel, parse_event(body))
        text = stdout.getvalue()
        assert not ENUM_REPR.search(text), text
        assert "completed" in text and "tool_call" in text and "brand_new_status" in text


def test_the_readme_event_status_print_shows_the_value() -> None:
    from crewai_amp.webhooks import parse_event

    for status in ("completed", "a_value_added_later"):
        event = parse_event(f'{{"kickoff_id": "k", "task_id": "t", "status": "{status}"}}'.encode())
        assert (
            event.model_dump(by_alias=True, mode="json")["status"] == status
        )  # what the README's handler prints


# --- no message said twice --------------------------------------------------------------------------


def _said_twice(line: str, words: int = 5) -> str | None:
    tokens = re.findall(r"[\w'-]+", line.lower())
    seen: set[tuple[str, ...]] = set()
    for index in range(len(tokens) - words + 1):
        gram = tuple(tokens[index : index + words])
        if gram in seen:
            return " ".join(gram)
        seen.add(gram)
    return None


@pytest.mark.parametrize(
    "argv",
    [
        ["inputs", "--token", "wrong-token-1111"],
        ["status", UNKNOWN_ID],
        ["wait", UNKNOWN_ID, "--not-found-grace", "0"],
        ["resume", UNKNOWN_ID, "--task", "write", "--feedback", "ok", "--approve"],
        ["kickoff", "--input", "topic=AI"],
        ["kickoff", *TRY, "--wait", "--timeout", "0.001"],
        ["kickoff", "--inputs-file", "/nonexistent/inputs.json"],
        ["kickoff", "--input", "novalue"],
        ["status", "x", "--base-url", "ftp://crew.test"],
        ["inputs", "--base-url", "http://127.0.0.1:9"],
        ["webhooks", "listen", "--port", "0"],
        ["kickoff", "--input", "topic=\udcff"],
    ],
)
def test_no_error_says_the_same_thing_twice(
    emulator: AmpEmulator, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    run = cli(capsys, *argv)
    assert run.code != 0
    line = run.error_line()
    assert _said_twice(line) is None, line
    run = cli(capsys, *argv, "--json")
    error = run.error()
    assert _said_twice(f"{error['message']} {error.get('hint', '')}") is None, error


# --- environment variable names come from the client's configuration ----------------------------------


def test_the_cli_reads_environment_names_from_config() -> None:
    import crewai_amp.cli

    literal = re.compile(r"[\"']CREWAI_AMP_[A-Z_]+[\"']")
    for source in Path(crewai_amp.cli.__file__).parent.glob("*.py"):
        assert not literal.search(source.read_text("utf-8")), source.name
    assert (_config.ENV_BASE_URL, _config.ENV_TOKEN, _config.ENV_WEBHOOK_SECRET) == ENV_NAMES
