"""`crewai-amp kickoff` never loses a kickoff id: it goes to stderr the moment AMP answers, in
every mode; SIGTERM and SIGHUP stop the command as Ctrl-C does (the id, the "keep waiting with"
command, exit 143 / 129); and a lost kickoff answer says a paid run may have started, with its
correlation id, instead of "cannot reach AMP".

The CLI runs in a child process and gets real signals; the emulator runs in this process."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator

import pytest
from crewai_amp.testing import AmpEmulator, Faults
from support.cli import TRY, cli
from support.cli_servers import Cli
from support.emulator import wait_for

TOKEN = "amp-cli-signals-token-3b8f0a61"


@pytest.fixture
def slow_amp() -> Iterator[AmpEmulator]:
    with AmpEmulator(scale=1.0, token=TOKEN) as emulator:  # a run takes ~13 s: the CLI is waiting
        yield emulator


def kickoff(amp: AmpEmulator, *extra: str) -> Cli:
    return Cli("kickoff", *TRY, "--wait", "--base-url", amp.base_url, "--token", amp.token, *extra)


SIGNALS = [pytest.param(signal.SIGTERM, 143, id="SIGTERM"), pytest.param(signal.SIGHUP, 129, id="SIGHUP")]


@pytest.mark.parametrize(("sig", "code"), SIGNALS)
def test_a_signal_while_waiting_json_gives_the_id_and_how_to_keep_waiting(
    slow_amp: AmpEmulator, sig: int, code: int
) -> None:
    child = kickoff(slow_amp, "--json")
    try:
        notice = json.loads(child.stderr_line())  # written the moment AMP answered
        assert notice["notice"] == "kicked off"
        kickoff_id = notice["kickoff_id"]
        assert slow_amp.kickoff_ids == [kickoff_id]
        assert child.stop(sig) == code
        error = json.loads(child.rest(child.err)[-1])["error"]
    finally:
        child.close()
    assert (error["type"], error["exit_code"], error["kickoff_id"]) == ("Interrupted", code, kickoff_id)
    assert f"keep waiting with: crewai-amp wait {kickoff_id}" in error["hint"]
    assert slow_amp.status_of(kickoff_id) == "running"  # only the waiting stopped
    assert TOKEN not in "".join(child.seen_err)


@pytest.mark.parametrize(("sig", "code"), SIGNALS)
def test_a_signal_while_waiting_in_prose_says_the_same(slow_amp: AmpEmulator, sig: int, code: int) -> None:
    child = kickoff(slow_amp)
    try:
        kickoff_id = child.stdout_line().removeprefix("kicked off ")
        assert (
            child.stderr_line()
            == f"kicked off {kickoff_id}; follow it with: crewai-amp wait {kickoff_id} --base-url {slow_amp.base_url}"
        )
        child.stdout_line()  # the first progress line: waiting
        assert child.stop(sig) == code
        (line,) = child.rest(child.err)
    finally:
        child.close()
    assert line.startswith(f"error: stopped waiting for {kickoff_id}; the crew keeps running")
    assert f"keep waiting with: crewai-amp wait {kickoff_id}" in line


def test_sigterm_before_amp_answers_says_a_run_may_have_started() -> None:
    # The kickoff reaches AMP, whose answer never comes: the CLI cannot know the id.
    with AmpEmulator(
        scale=1.0, token=TOKEN, faults=Faults(latency=3600, routes=frozenset({"kickoff"}))
    ) as amp:
        child = Cli("kickoff", *TRY, "--base-url", amp.base_url, "--token", amp.token, "--json")
        try:
            wait_for(lambda: amp.kickoff_count == 1, timeout=60, what="the kickoff to arrive")
            assert child.stop(signal.SIGTERM) == 143
            error = json.loads(child.rest(child.err)[-1])["error"]
        finally:
            child.close()
    assert error["type"] == "Interrupted" and error["may_have_started"] is True
    assert "may have started" in error["message"]
    assert f"crewai_amp_correlation_id={error['correlation_id']}" in error["hint"]


@pytest.mark.parametrize("json_mode", [False, True], ids=["prose", "json"])
def test_a_lost_kickoff_answer_says_a_run_may_have_started_not_cannot_reach(
    capsys: pytest.CaptureFixture[str], json_mode: bool
) -> None:
    with AmpEmulator(scale=0.01, token=TOKEN) as amp:
        amp.faults.inject("drop", route="kickoff")  # the crew starts; its answer is lost
        connection = ["--base-url", amp.base_url, "--token", amp.token]
        run = cli(capsys, "kickoff", *TRY, *connection, *(["--json"] if json_mode else []))
        assert len(amp.kickoff_ids) == 1 and amp.kickoff_count == 1  # started once, never retried
    assert run.code == 3
    assert "cannot reach AMP" not in run.err
    if json_mode:
        error = run.error()
        assert error["type"] == "KickoffMayHaveStarted" and error["may_have_started"] is True
        assert f"crewai_amp_correlation_id={error['correlation_id']}" in error["message"]
    else:
        line = run.error_line()
        assert "a paid crew run may have started" in line
        assert "crewai_amp_correlation_id=" in line
        assert "a second kickoff is a second paid run" in line
