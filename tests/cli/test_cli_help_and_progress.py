"""`crewai-amp` help and progress: every command's --help ends with an example that is a valid
command line for it; a run paused for review is announced on a line of its own (never inside
the progress bar's line) while the elapsed clock keeps running; a flow's progress counts its
steps; a lost kickoff answer is reported as such by `kickoff --wait`; an error built from a
response gives its request id."""

from __future__ import annotations

import argparse
import io
import re
import shlex
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from crewai_amp._status import parse_status
from crewai_amp.cli import _commands, _output, _progress
from crewai_amp.cli._output import Output
from crewai_amp.cli._parser import build_parser, parse_args
from crewai_amp.cli._progress import Clock, PlainLines, RichBar
from crewai_amp.cli._render import PAUSED, summary, view_of
from crewai_amp.testing import AmpEmulator, default_crew
from support import unread as unread_support
from support.cli import ENV_NAMES, TRY, cli, start_emulator, wait_approving_the_review
from support.emulator import recording_receiver, wait_for
from support.unread import UNREADABLE, UnreadableKickoffs

TOKEN = "amp-cli-help-progress-token-7d1e"
NOTICE = "the run is waiting for human input; answer the review with: "


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)


# --- --help: an example for every command ------------------------------------------------------------


def _command_paths(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command path of the parser (the subcommands of subcommands too), read from it."""
    yield path
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _command_paths(sub, (*path, name))


COMMANDS = list(_command_paths(build_parser()))


def help_text(capsys: pytest.CaptureFixture[str], path: tuple[str, ...]) -> str:
    run = cli(capsys, *path, "--help")
    assert run.code == 0, run.err
    return run.out


def _example_commands(text: str) -> list[list[str]]:
    """The crewai-amp command lines of a help's example (inside `$( )` too), as arguments:
    shell redirections and comments cut off, "$id" standing for a kickoff id."""
    block = text.split("Example", 1)[1].split("\n", 1)[1]
    found: list[list[str]] = []
    for line in block.splitlines():
        for command in re.findall(r"crewai-amp [^)#]*", line):
            words = shlex.split(command)
            cut = next((i for i, word in enumerate(words) if word[0] in "><|"), len(words))
            found.append(["KICKOFF-ID" if word == "$id" else word for word in words[1:cut]])
    return found


@pytest.mark.parametrize("path", COMMANDS, ids=[" ".join(p) or "crewai-amp" for p in COMMANDS])
def test_every_help_ends_with_an_example_of_its_command_that_parses(
    capsys: pytest.CaptureFixture[str], path: tuple[str, ...]
) -> None:
    text = help_text(capsys, path)
    assert "Example" in text, text
    assert text.rstrip().rfind("Example") > text.rfind("options:")  # the example comes last
    examples = _example_commands(text)
    assert examples, text
    for arguments in examples:
        parse_args(arguments)  # a valid command line (UsageError otherwise)
    named = [arguments for arguments in examples if tuple(arguments[: len(path)]) == path]
    assert named, f"no example of `crewai-amp {' '.join(path)}` in:\n{text}"
    for arguments in named:
        if path and path[-1] not in ("mock", "webhooks"):  # a group's example runs a subcommand
            assert parse_args(arguments).run == " ".join(path)


# --- the review notice on its own line, the clock running through the pause ------------------------------


def _paused(**progress: Any) -> Any:
    body: dict[str, Any] = {
        "state": "PAUSED",
        "status": "Waiting for review",
        "last_step": {"task_id": "write"},
    }
    if progress:
        body["progress"] = progress
    return parse_status(body, "k-1")


def _running(**progress: Any) -> Any:
    return parse_status({"state": "RUNNING", "status": "Task is Running", "progress": progress}, "k-1")


def test_the_clock_keeps_running_through_a_pause_and_stops_when_the_run_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [5000.0]
    monkeypatch.setattr(_progress.time, "monotonic", lambda: now[0])
    clock = Clock(started=now[0] - 90)
    paused = view_of(_paused())
    assert paused.state == PAUSED
    clock.learn(paused)
    now[0] += 30
    assert clock.seconds() == pytest.approx(120)  # still counting while the run waits for a human
    clock.learn(view_of(_running(unit="task", completed=2, total=4)))
    now[0] += 5
    assert clock.seconds() == pytest.approx(125)
    clock.learn(view_of(parse_status({"state": "SUCCESS", "result": "done"}, "k-1")))
    now[0] += 100
    assert clock.seconds() == pytest.approx(125)  # ended: stopped


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_notice_while_the_bar_is_live_goes_through_its_console_on_a_line_of_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("rich")
    from rich.console import Console

    screen = FakeTerminal()
    out = Output(json_mode=False, stdout=screen, stderr=screen)
    console = Console(file=screen, force_terminal=True, width=100, highlight=False)
    bar = RichBar(console, out.clean, Clock(), out)
    with bar:
        bar.update(_running(unit="task", completed=1, total=4, current="Research"))
        out.note("the run is waiting for human input; answer the review with: crewai-amp resume k-1")
        assert out.live is console
    assert out.live is None
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.getvalue())  # without cursor movements
    lines = [line.strip() for line in re.split(r"[\r\n]", plain)]
    assert "the run is waiting for human input; answer the review with: crewai-amp resume k-1" in lines


def _approve_once_announced(monkeypatch: pytest.MonkeyPatch, amp: AmpEmulator) -> threading.Thread:
    """A reviewer who approves the run's review once the CLI has announced it."""
    announced = threading.Event()
    original = _commands._announce_pause

    def announce(*args: Any) -> None:
        original(*args)
        announced.set()

    monkeypatch.setattr(_commands, "_announce_pause", announce)

    def approve() -> None:
        if announced.wait(60):
            (kid,) = amp.kickoff_ids
            with httpx.Client(base_url=amp.base_url, trust_env=False) as http:
                http.post(
                    "/resume",
                    headers={"Authorization": f"Bearer {TOKEN}"},
                    json={
                        "execution_id": kid,
                        "task_id": "write",
                        "human_feedback": "ok",
                        "is_approve": True,
                    },
                )

    reviewer = threading.Thread(target=approve)
    reviewer.start()
    return reviewer


def test_kickoff_wait_on_a_terminal_announces_the_review_on_its_own_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("rich")
    monkeypatch.setattr(_output, "is_terminal", lambda stream: True)
    amp = start_emulator(monkeypatch, TOKEN, crew=default_crew(review=["write"]))
    try:
        reviewer = _approve_once_announced(monkeypatch, amp)
        run = cli(capsys, "kickoff", *TRY, "--wait")
        reviewer.join()
    finally:
        amp.stop()
    assert run.code == 0, run.err
    (notice,) = [line for line in run.out.splitlines() if NOTICE in line]
    assert notice.startswith(NOTICE)  # a line of its own, not the end of the bar's line
    assert NOTICE not in run.err  # said once, through the bar's console


def test_plain_lines_announce_the_review_apart_from_the_progress(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    amp = start_emulator(monkeypatch, TOKEN, crew=default_crew(review=["write"]))
    try:
        run = cli(capsys, "kickoff", *TRY)
        kid = run.out.strip()
        wait_for(lambda: amp.awaiting_review(kid), what="the review")
        run = wait_approving_the_review(
            lambda: cli(capsys, "wait", kid), monkeypatch, amp.base_url, TOKEN, kid
        )
    finally:
        amp.stop()
    assert run.code == 0, run.err
    assert [line for line in run.err.splitlines() if line.startswith(NOTICE)]
    assert all(line.startswith("[") for line in run.out.splitlines() if "waiting for human input" in line)


# --- a flow's progress counts steps -------------------------------------------------------------------


def test_a_flows_progress_shows_its_step_count() -> None:
    flow = view_of(_running(unit="step", completed=3, total=None, current="summarize"))
    assert flow.counts() == (3, None, "steps")
    assert summary(flow) == "running: summarize (3 steps done)"
    assert summary(view_of(_paused(unit="step", completed=2, total=None, current="review"))) == (
        "waiting for human input on review (2 steps done)"
    )
    crew = view_of(_running(unit="task", completed=1, total=4, current="Research"))
    assert summary(crew) == "running: Research (1/4 tasks done)"
    stdout = io.StringIO()
    lines = PlainLines(
        Output(json_mode=False, stdout=stdout, stderr=io.StringIO()), Clock(started=time.monotonic())
    )
    lines.update(_running(unit="step", completed=3, total=None, current="summarize"))
    assert stdout.getvalue().rstrip().endswith("] running: summarize (3 steps done)")


def test_a_flows_progress_bar_counts_steps() -> None:
    pytest.importorskip("rich")
    from rich.console import Console

    screen = FakeTerminal()
    console = Console(file=screen, force_terminal=True, width=120, highlight=False)
    bar = RichBar(console, str, Clock())
    with bar:
        bar.update(_running(unit="step", completed=3, total=None, current="summarize"))
        (task,) = bar._progress.tasks
        assert (task.completed, task.total, task.fields["unit"]) == (3, None, "steps")
        shown = str(bar._progress.columns[3].render(task))
    assert shown == "3 steps"


# --- a lost kickoff answer, and request ids ------------------------------------------------------------


@pytest.mark.parametrize("json_mode", [False, True], ids=["prose", "json"])
def test_kickoff_wait_reports_a_lost_kickoff_answer_as_may_have_started(
    capsys: pytest.CaptureFixture[str], json_mode: bool
) -> None:
    with AmpEmulator(scale=0.01, token=TOKEN) as amp:
        amp.faults.inject("drop", route="kickoff")
        connection = ["--base-url", amp.base_url, "--token", amp.token]
        run = cli(capsys, "kickoff", *TRY, "--wait", *connection, *(["--json"] if json_mode else []))
        assert amp.kickoff_count == 1  # started once, never re-sent
    assert run.code == 3 and "cannot reach AMP" not in run.err and TOKEN not in run.err
    if json_mode:
        error = run.error()
        assert error["type"] == "KickoffMayHaveStarted" and error["may_have_started"] is True
        assert f"crewai_amp_correlation_id={error['correlation_id']}" in error["message"]
        assert run.out == ""
    else:
        line = run.error_line()
        assert "a paid crew run may have started" in line and "crewai_amp_correlation_id=" in line


def test_an_api_error_gives_its_request_id(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, json={"error": "boom"}, headers={"x-request-id": "req-cli-7"})

    transport = httpx.MockTransport(answer)
    real_client = httpx.Client

    def client(*args: Any, **kwargs: Any) -> httpx.Client:
        return real_client(*args, **{**kwargs, "transport": transport})

    monkeypatch.setattr(httpx, "Client", client)
    connection = ["--base-url", "https://crew.test", "--token", TOKEN]
    run = cli(capsys, "inputs", *connection, "--json")
    assert run.code == 3
    error = run.error()
    assert error["request_id"] == "req-cli-7" and "(request id req-cli-7)" in error["message"]
    run = cli(capsys, "inputs", *connection)
    assert "(request id req-cli-7)" in run.error_line()


@pytest.mark.parametrize("kind", list(UNREADABLE))
@pytest.mark.parametrize("json_mode", [False, True], ids=["prose", "json"])
def test_kickoff_reports_an_unreadable_kickoff_answer_as_may_have_started_with_its_correlation_id(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, kind: str, json_mode: bool
) -> None:
    transport = UnreadableKickoffs(kind)
    real_client = httpx.Client

    def client(*args: Any, **kwargs: Any) -> httpx.Client:
        return real_client(*args, **{**kwargs, "transport": transport})

    monkeypatch.setattr(httpx, "Client", client)
    if kind == "oversized":  # the CLI's client reads at most its default max_response_bytes
        monkeypatch.setattr(unread_support, "LIMIT", 9 * 1024 * 1024)
    with recording_receiver() as receiver, AmpEmulator(scale=0.01, token=TOKEN) as amp:
        connection = [
            "--base-url",
            amp.base_url,
            "--token",
            amp.token,
            "--crew-webhook",
            receiver.url("/crew"),
        ]
        run = cli(capsys, "kickoff", *TRY, "--wait", *connection, *(["--json"] if json_mode else []))
        assert amp.kickoff_count == 1  # started once, never re-sent
        (delivery,) = wait_for(lambda: receiver.accepted("/crew"), what="the crew webhook")
    sent = delivery.payload["meta"]["crewai_amp_correlation_id"]  # the run that did start
    assert run.code == 3 and TOKEN not in run.err and run.out == ""
    if json_mode:
        error = run.error()
        assert error["type"] == "KickoffMayHaveStarted" and error["may_have_started"] is True
        assert error["correlation_id"] == sent
        assert f"crewai_amp_correlation_id={sent}" in error["message"]
    else:
        line = run.error_line()
        assert f"crewai_amp_correlation_id={sent}" in line
        assert "AMP accepted the kickoff, but no kickoff id could be read from its answer" in line
        assert "a second kickoff is a second paid run" in line
