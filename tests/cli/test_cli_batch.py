"""`crewai-amp batch INPUTS.jsonl --journal runs.db`: outcomes as JSON lines, each kickoff id on
stderr the moment AMP answers, and a batch killed with SIGKILL (or stopped by SIGTERM) that a
second run with the same journal finishes with not one kickoff paid twice.

The batches run as the real CLI in a child process; the emulator runs in this process (its
counters are what prove each input was kicked off once)."""

from __future__ import annotations

import contextlib
import json
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from crewai_amp.testing import AmpEmulator, Faults
from support.cli import child_command, child_env, cli
from support.cli_servers import LINE_TIMEOUT
from support.emulator import INPUTS, SCALE, wait_for
from support.unread import UnreadableKickoffs

TOKEN = "amp-cli-batch-token-7d2e91c4"
BATCH_TIMEOUT = 600  # a bound on a whole child batch, never a timing assertion


@pytest.fixture
def amp() -> Iterator[AmpEmulator]:
    with AmpEmulator(scale=SCALE, token=TOKEN) as emulator:
        yield emulator


def write_inputs(folder: Path, count: int) -> Path:
    path = folder / "inputs.jsonl"
    path.write_text("".join(json.dumps({**INPUTS, "topic": f"topic {n}"}) + "\n" for n in range(count)))
    return path


def batch_command(inputs: Path, journal: Path, *extra: str) -> list[str]:
    return child_command("batch", str(inputs), "--journal", str(journal), "--json", *extra)


def env_for(amp: AmpEmulator) -> dict[str, str]:
    return child_env(CREWAI_AMP_BASE_URL=amp.base_url, CREWAI_AMP_TOKEN=amp.token, PYTHONUNBUFFERED="1")


class Batch:
    """A `crewai-amp batch` child: stdout to a file (read at the end), stderr read line by line."""

    def __init__(self, amp: AmpEmulator, folder: Path, argv: list[str], name: str = "out") -> None:
        self.stdout_path = folder / f"{name}.outcomes"
        self._stdout = self.stdout_path.open("w")
        self.proc = subprocess.Popen(
            argv, stdout=self._stdout, stderr=subprocess.PIPE, text=True, env=env_for(amp)
        )
        self.err: list[str] = []

    def kicked_off(self, count: int) -> list[dict[str, Any]]:
        """Read stderr until ``count`` kickoff notices (each written once the id is journaled)."""
        assert self.proc.stderr is not None
        notices: list[dict[str, Any]] = []
        while len(notices) < count:
            line = self.proc.stderr.readline()
            assert line, (
                f"the batch ended (exit {self.proc.poll()}) after {len(notices)} kickoffs: {self.err}"
            )
            self.err.append(line)
            document = json.loads(line)
            if document.get("notice") == "kicked off":
                notices.append(document)
        return notices

    def finish(self, sig: int | None = None) -> tuple[int, list[dict[str, Any]], list[str]]:
        if sig is not None:
            self.proc.send_signal(sig)
        _, rest = self.proc.communicate(timeout=BATCH_TIMEOUT)
        self._stdout.close()
        self.err += rest.splitlines(keepends=True)
        outcomes = [json.loads(line) for line in self.stdout_path.read_text().splitlines()]
        return self.proc.returncode, outcomes, [line.rstrip("\n") for line in self.err]

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=LINE_TIMEOUT)
        self._stdout.close()


def quiet(
    amp: AmpEmulator, notices: list[dict[str, Any]], batch: Batch, concurrency: int
) -> list[dict[str, Any]]:
    """Stall every status check, so no run finishes and nothing new is kicked off; then read the
    notices of the kickoffs already on their way, until every kickoff AMP received is journaled
    and each of the batch's ``concurrency`` runs is stuck in a stalled status check: no kickoff
    can then be between its journal record and AMP (the rerun would rightly report it unknown)."""
    before = amp.stats.requests["status"]
    amp.faults = Faults(latency=3600, routes=frozenset({"status"}))

    seen = list(notices)

    def settled() -> bool:
        stats = amp.stats
        stalled = stats.requests["status"] - before
        return stats.kickoffs_received == stats.kickoffs_started == len(seen) and stalled >= concurrency

    def more() -> bool:
        return amp.kickoff_count > len(seen) or settled()

    while not settled():
        if amp.kickoff_count > len(seen):
            seen += batch.kicked_off(amp.kickoff_count - len(seen))
        else:
            wait_for(more, timeout=LINE_TIMEOUT, what="a kickoff")
    return seen


def test_a_batch_killed_midway_finishes_on_the_rerun_with_each_input_kicked_off_once(
    amp: AmpEmulator, tmp_path: Path
) -> None:
    inputs, journal = write_inputs(tmp_path, 200), tmp_path / "runs.db"
    first = Batch(amp, tmp_path, batch_command(inputs, journal, "--concurrency", "16"), "first")
    try:
        notices = quiet(amp, first.kicked_off(100), first, 16)
        first.proc.send_signal(signal.SIGKILL)  # no handler, no cleanup: only what was committed
        code, before, _ = first.finish()
    finally:
        first.kill()
    assert code == -signal.SIGKILL
    kicked = {notice["index"]: notice["kickoff_id"] for notice in notices}
    assert len(kicked) == len(notices) == amp.kickoff_count  # every kickoff AMP had, journaled
    assert len(before) < 200
    amp.faults = Faults()

    second = Batch(amp, tmp_path, batch_command(inputs, journal, "--concurrency", "16"), "second")
    try:
        code, outcomes, err = second.finish()
    finally:
        second.kill()
    assert code == 0, err[-3:]
    assert sorted(o["index"] for o in outcomes) == list(range(200))  # 200 outcomes, one per input
    assert all(o["ok"] and o["status"]["status"] == "completed" for o in outcomes)
    stats = amp.stats
    assert stats.kickoffs_received == stats.kickoffs_started == 200  # exactly 200 kickoffs
    by_index = {o["index"]: o["kickoff_id"] for o in outcomes}
    assert all(by_index[index] == kickoff_id for index, kickoff_id in kicked.items())  # resumed, not redone
    assert sorted(by_index.values()) == sorted(amp.kickoff_ids)
    assert json.loads(err[-1]) == {"notice": "done", "runs": 200, "completed": 200, "failed": 0}


def test_sigterm_stops_the_batch_reporting_every_kickoff_and_the_rerun_resumes(
    amp: AmpEmulator, tmp_path: Path
) -> None:
    inputs, journal = write_inputs(tmp_path, 30), tmp_path / "runs.db"
    first = Batch(amp, tmp_path, batch_command(inputs, journal, "--concurrency", "4"), "first")
    try:
        first.kicked_off(6)
        code, _, err = first.finish(signal.SIGTERM)
    finally:
        first.kill()
    assert code == 143
    notices = [json.loads(line) for line in err if '"kicked off"' in line]
    assert sorted(n["kickoff_id"] for n in notices) == sorted(amp.kickoff_ids)  # each one reported
    error = json.loads(err[-1])["error"]
    assert (error["type"], error["exit_code"]) == ("Interrupted", 143)
    assert f"crewai-amp batch {inputs} --journal {journal}" in error["hint"]
    sent = amp.kickoff_count

    code, outcomes, _ = Batch(amp, tmp_path, batch_command(inputs, journal), "second").finish()
    assert code == 0
    assert sorted(o["index"] for o in outcomes) == list(range(30))
    assert amp.kickoff_count == 30 >= sent


def test_a_batch_writes_one_json_line_per_outcome(amp: AmpEmulator, tmp_path: Path) -> None:
    inputs, journal = write_inputs(tmp_path, 5), tmp_path / "runs.db"
    code, outcomes, err = Batch(amp, tmp_path, batch_command(inputs, journal)).finish()
    assert code == 0
    assert sorted(o["index"] for o in outcomes) == list(range(5))
    for outcome in outcomes:
        assert outcome["ok"] is True
        assert outcome["inputs"]["topic"] == f"topic {outcome['index']}"
        assert outcome["kickoff_id"] in amp.kickoff_ids
        assert outcome["correlation_id"]
        assert outcome["status"]["result"]["output"].startswith(f"Final report on topic {outcome['index']}")
    notices = {
        json.loads(line)["index"]: json.loads(line)["kickoff_id"] for line in err if "kicked off" in line
    }
    assert notices == {o["index"]: o["kickoff_id"] for o in outcomes}
    assert TOKEN not in "".join(err) + outcomes.__repr__()

    code, again, _ = Batch(amp, tmp_path, batch_command(inputs, journal), "again").finish()
    assert code == 0 and amp.kickoff_count == 5  # from the journal alone
    assert {o["index"]: o["kickoff_id"] for o in again} == notices


def test_a_lost_kickoff_answer_is_reported_and_retried_only_when_asked(
    amp: AmpEmulator, tmp_path: Path
) -> None:
    inputs, journal = write_inputs(tmp_path, 3), tmp_path / "runs.db"
    amp.faults.inject("drop", route="kickoff")
    code, outcomes, _ = Batch(amp, tmp_path, batch_command(inputs, journal, "--concurrency", "1")).finish()
    assert code == 1
    (lost,) = [o for o in outcomes if not o["ok"]]
    assert lost["error"]["type"] == "KickoffMayHaveStarted" and lost["error"]["may_have_started"] is True
    assert lost["correlation_id"] in lost["error"]["message"]

    code, outcomes, _ = Batch(amp, tmp_path, batch_command(inputs, journal), "again").finish()
    assert code == 1 and amp.kickoff_count == 3  # reported again, not re-sent
    (still,) = [o for o in outcomes if not o["ok"]]
    assert still["index"] == lost["index"] and f"--retry-unknown {lost['index']}" in still["error"]["message"]

    retry = batch_command(inputs, journal, "--retry-unknown", str(lost["index"]))
    code, outcomes, _ = Batch(amp, tmp_path, retry, "retried").finish()
    assert code == 0 and amp.kickoff_count == 4
    assert all(o["ok"] for o in outcomes)


def test_a_journal_of_another_batch_or_in_use_is_a_usage_error(amp: AmpEmulator, tmp_path: Path) -> None:
    inputs, journal = write_inputs(tmp_path, 3), tmp_path / "runs.db"
    assert Batch(amp, tmp_path, batch_command(inputs, journal)).finish()[0] == 0
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps({**INPUTS, "topic": "something else"}) + "\n")
    code, outcomes, err = Batch(amp, tmp_path, batch_command(other, journal), "other").finish()
    assert code == 2 and outcomes == []
    error = json.loads(err[-1])["error"]
    assert error["type"] == "JournalMismatch" and "input #0" in error["message"]

    amp.faults = Faults(latency=3600, routes=frozenset({"status"}))  # the holder keeps running
    (tmp_path / "held").mkdir()
    held = write_inputs(tmp_path / "held", 2)
    holder = Batch(amp, tmp_path, batch_command(held, tmp_path / "held.db"), "held")
    try:
        holder.kicked_off(1)
        code, _, err = Batch(amp, tmp_path, batch_command(inputs, tmp_path / "held.db"), "second").finish()
    finally:
        holder.kill()
    assert code == 2
    error = json.loads(err[-1])["error"]
    assert error["type"] == "JournalBusy" and "another process" in error["message"]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("", "holds no inputs"),
        ('{"topic": "AI"}\nnot json\n', "line 2: not a JSON object"),
        ('{"topic": "AI"}\n["a list"]\n', "line 2: expected a JSON object"),
    ],
)
def test_a_bad_inputs_file_is_a_usage_error_naming_the_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str, problem: str
) -> None:
    path = tmp_path / "inputs.jsonl"
    path.write_text(content)
    run = cli(capsys, "batch", str(path), "--base-url", "http://127.0.0.1:9", "--token", TOKEN)
    assert run.code == 2
    assert problem in run.error_line()


def test_batch_help_shows_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    run = cli(capsys, "batch", "--help")
    assert run.code == 0
    assert "crewai-amp batch inputs.jsonl --journal runs.db" in run.out
    assert "--retry-unknown" in run.out and "--concurrency" in run.out


def test_the_installed_module_runs_batch(amp: AmpEmulator, tmp_path: Path) -> None:
    inputs = write_inputs(tmp_path, 2)
    result = subprocess.run(
        [sys.executable, "-m", "crewai_amp", "batch", str(inputs), "--concurrency", "2"],
        capture_output=True,
        text=True,
        env=env_for(amp),
        timeout=BATCH_TIMEOUT,
    )
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 2
    assert "kicked off #0: " in result.stderr and "kicked off #1: " in result.stderr
    assert result.stderr.splitlines()[-1] == "2 runs: 2 completed"


@pytest.mark.parametrize("json_mode", [False, True], ids=["prose", "json"])
@pytest.mark.parametrize("damage", ["truncated", "a-row-not-utf8", "not-sqlite", "a-folder"])
def test_a_journal_that_cannot_be_used_exits_2_with_one_clear_line(
    capsys: pytest.CaptureFixture[str], amp: AmpEmulator, tmp_path: Path, damage: str, json_mode: bool
) -> None:
    inputs, journal = write_inputs(tmp_path, 3), tmp_path / "runs.db"
    connection = ["--base-url", amp.base_url, "--token", amp.token, *(["--json"] if json_mode else [])]
    assert cli(capsys, "batch", str(inputs), "--journal", str(journal), *connection).code == 0
    if damage == "truncated":
        journal.write_bytes(journal.read_bytes()[:5000])
    elif damage == "a-row-not-utf8":
        with contextlib.closing(sqlite3.connect(journal)) as db, db:
            db.execute("UPDATE runs SET correlation_id = CAST(x'ff' AS TEXT) WHERE idx = 1")
    elif damage == "not-sqlite":
        journal.write_text("index,kickoff_id\n0,abc\n")
    else:
        journal = tmp_path
    run = cli(capsys, "batch", str(inputs), "--journal", str(journal), *connection)  # no traceback
    assert run.code == 2 and run.out == "" and amp.kickoff_count == 3
    if json_mode:
        error = run.error()
        assert error["type"] == "JournalError" and str(journal) in error["message"]
    else:
        assert str(journal) in run.error_line()


def test_an_unreadable_kickoff_answer_is_reported_unknown_and_retried_only_when_asked(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, amp: AmpEmulator, tmp_path: Path
) -> None:
    inputs, journal = write_inputs(tmp_path, 2), tmp_path / "runs.db"
    transport = UnreadableKickoffs("not-json")  # AMP starts the first run; its answer is unreadable
    real_client = httpx.Client
    monkeypatch.setattr(httpx, "Client", lambda *a, **k: real_client(*a, **{**k, "transport": transport}))
    command = ["batch", str(inputs), "--journal", str(journal), "--concurrency", "1", "--json"]
    command += ["--base-url", amp.base_url, "--token", amp.token]

    def outcomes(*extra: str) -> tuple[int, dict[int, dict[str, Any]]]:
        run = cli(capsys, *command, *extra)
        return run.code, {o["index"]: o for o in map(json.loads, run.out.splitlines())}

    code, first = outcomes()
    assert code == 1 and first[1]["ok"] and amp.kickoff_count == 2
    lost = first[0]
    assert lost["error"]["type"] == "KickoffMayHaveStarted" and lost["error"]["may_have_started"] is True
    assert f"crewai_amp_correlation_id={lost['correlation_id']}" in lost["error"]["message"]
    code, again = outcomes()
    assert code == 1 and amp.kickoff_count == 2  # reported again, not re-sent
    assert again[0]["correlation_id"] == lost["correlation_id"]
    assert (
        "ResponseValidationError" in again[0]["error"]["message"]
        and "--retry-unknown 0" in again[0]["error"]["message"]
    )
    code, retried = outcomes("--retry-unknown", "0")
    assert code == 0 and amp.kickoff_count == 3 and retried[0]["ok"]
