"""run_many's journal: every kickoff id and outcome in a SQLite file, so running the same batch
again resumes it (finished outcomes from the journal, started runs waited on, only inputs never
sent kicked off), a lost kickoff answer is never re-sent by itself, and a journal made for
another batch or held by another process is a clear typed error."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from crewai_amp import (
    AmpClient,
    APIConnectionError,
    AsyncAmpClient,
    ExecutionError,
    InternalServerError,
    JournalBusy,
    JournalError,
    JournalMismatch,
    KickoffMayHaveStarted,
    ResponseTooLarge,
    ResponseValidationError,
    RunOutcome,
    StatusCompleted,
    UnprocessableEntityError,
)
from crewai_amp.testing import AmpEmulator, default_crew
from support import unread
from support.cli import child_env
from support.emulator import INPUTS, SCALE

BATCH = [{**INPUTS, "topic": f"topic {n}"} for n in range(12)]


@pytest.fixture
def amp() -> Any:
    with AmpEmulator(scale=SCALE) as emulator:
        yield emulator


def run_sync(
    amp: Any, inputs: Any, journal: Path, stop_after: int | None = None, concurrency: int = 4, **kwargs: Any
) -> list[RunOutcome]:
    outcomes: list[RunOutcome] = []
    with AmpClient(base_url=amp.base_url, token=amp.token) as client:
        for outcome in client.run_many(
            inputs, concurrency=concurrency, timeout=60, journal=journal, **kwargs
        ):
            outcomes.append(outcome)
            if stop_after is not None and len(outcomes) == stop_after:
                break
    return outcomes


def run_async(
    amp: Any, inputs: Any, journal: Path, stop_after: int | None = None, concurrency: int = 4, **kwargs: Any
) -> list[RunOutcome]:
    async def main() -> list[RunOutcome]:
        outcomes: list[RunOutcome] = []
        async with AsyncAmpClient(base_url=amp.base_url, token=amp.token) as client:
            runs = client.run_many(inputs, concurrency=concurrency, timeout=60, journal=journal, **kwargs)
            async for outcome in runs:
                outcomes.append(outcome)
                if stop_after is not None and len(outcomes) == stop_after:
                    break
            await runs.aclose()
        return outcomes

    return asyncio.run(main())


@pytest.fixture(params=[run_sync, run_async], ids=["sync", "async"])
def run(request: pytest.FixtureRequest) -> Any:
    return request.param


def test_a_batch_stopped_early_resumes_where_it_stopped(amp: AmpEmulator, run: Any, tmp_path: Path) -> None:
    journal = tmp_path / "runs.db"
    first = run(amp, BATCH, journal, stop_after=3)
    assert len(first) == 3
    started = amp.kickoff_count
    assert 3 <= started < len(BATCH)
    second = run(amp, BATCH, journal)
    assert sorted(o.index for o in second) == list(range(len(BATCH)))
    assert all(o.ok and isinstance(o.result, StatusCompleted) for o in second), [o.error for o in second]
    assert amp.kickoff_count == len(BATCH)  # the runs started in the first pass were waited on
    assert sorted(o.kickoff_id for o in second) == sorted(amp.kickoff_ids)
    for outcome in first:  # finished outcomes come back from the journal as they were
        again = next(o for o in second if o.index == outcome.index)
        assert again.kickoff_id == outcome.kickoff_id
        assert again.correlation_id == outcome.correlation_id
        assert outcome.result is not None and again.result is not None
        assert again.result.result.output == outcome.result.result.output


def test_a_finished_batch_runs_again_from_the_journal_alone(
    amp: AmpEmulator, run: Any, tmp_path: Path
) -> None:
    journal = tmp_path / "runs.db"
    first = run(amp, BATCH, journal)
    requests = sum(amp.stats.requests.values())
    again = run(amp, BATCH, journal)
    assert sum(amp.stats.requests.values()) == requests  # not one request
    assert {(o.index, o.kickoff_id) for o in again} == {(o.index, o.kickoff_id) for o in first}


def test_a_failed_run_is_a_finished_outcome_too(tmp_path: Path) -> None:
    journal = tmp_path / "runs.db"
    with AmpEmulator(crew=default_crew(fail_at="write"), scale=SCALE) as amp:
        (first,) = run_sync(amp, [INPUTS], journal)
        (again,) = run_sync(amp, [INPUTS], journal)
        assert amp.kickoff_count == 1
    assert isinstance(first.error, ExecutionError) and isinstance(again.error, ExecutionError)
    assert str(again.error) == str(first.error)
    assert again.error.status.error == first.error.status.error


def test_other_inputs_or_options_are_a_mismatch(amp: AmpEmulator, tmp_path: Path) -> None:
    journal = tmp_path / "runs.db"
    run_sync(amp, BATCH[:3], journal)
    swapped = [BATCH[1], BATCH[0], BATCH[2]]
    with pytest.raises(JournalMismatch, match="input #0"):
        run_sync(amp, swapped, journal)
    with pytest.raises(JournalMismatch, match="more inputs"):
        run_sync(amp, BATCH[:2], journal)
    with pytest.raises(JournalMismatch, match="kickoff options"):
        run_sync(amp, BATCH[:3], journal, meta={"team": "qa"})
    with pytest.raises(JournalMismatch, match="input #1"):  # a generator is checked as it goes
        run_sync(amp, iter([BATCH[0], BATCH[2]]), journal)  # type: ignore[arg-type]
    assert amp.kickoff_count == 3  # nothing was kicked off for a mismatched batch
    assert len(run_sync(amp, BATCH[:3] + BATCH[5:6], journal)) == 4  # more inputs is fine


def test_a_second_process_on_the_journal_is_told_so(amp: AmpEmulator, tmp_path: Path) -> None:
    journal = tmp_path / "runs.db"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(journal)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        with pytest.raises(JournalBusy, match="in use by another process"):
            run_sync(amp, BATCH, journal)
        assert amp.kickoff_count == 0
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=60)
    assert len(run_sync(amp, BATCH[:2], journal)) == 2  # free again once it is closed


HOLD = """
import sys
from crewai_amp._journal import Journal, digest
journal = Journal(sys.argv[1], digest({}))  # as run_many without kickoff options
print("holding", flush=True)
sys.stdin.read()
journal.close()
"""


def test_a_file_that_is_no_journal_is_a_typed_error(amp: AmpEmulator, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(JournalError):
        run_sync(amp, BATCH, garbage)
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE people (name TEXT)")
    with pytest.raises(JournalError, match="not a crewai-amp journal"):
        run_sync(amp, BATCH, other)
    assert amp.kickoff_count == 0


def test_a_lost_kickoff_answer_is_never_re_sent_unless_named(
    amp: AmpEmulator, run: Any, tmp_path: Path
) -> None:
    journal = tmp_path / "runs.db"
    amp.faults.inject("drop", route="kickoff")  # the first kickoff starts a crew; its answer is lost
    first = run(amp, BATCH[:4], journal)
    (lost,) = [o for o in first if not o.ok]
    assert isinstance(lost.error, KickoffMayHaveStarted)
    assert lost.kickoff_id is None and lost.correlation_id == lost.error.correlation_id
    assert amp.kickoff_count == 4

    again = run(amp, BATCH[:4], journal)
    (unknown,) = [o for o in again if not o.ok]
    assert unknown.index == lost.index
    assert isinstance(unknown.error, KickoffMayHaveStarted) and unknown.error.may_have_started
    assert unknown.error.correlation_id == lost.correlation_id
    assert lost.correlation_id in str(unknown.error)
    assert f"retry_unknown=[{lost.index}]" in str(unknown.error)
    assert amp.kickoff_count == 4  # not re-sent by itself

    retried = run(amp, BATCH[:4], journal, retry_unknown=[lost.index])
    assert all(o.ok for o in retried)
    assert amp.kickoff_count == 5
    new = next(o for o in retried if o.index == lost.index)
    assert new.correlation_id != lost.correlation_id  # the new kickoff is told apart from the old


def test_a_kickoff_amp_refused_is_kicked_off_on_the_rerun_a_5xx_is_not(run: Any, tmp_path: Path) -> None:
    journal = tmp_path / "runs.db"
    batch = [INPUTS, {"topic": "AI"}]  # the second lacks inputs: AMP answers 422, no run starts
    with AmpEmulator(scale=SCALE) as amp:
        amp.faults.inject("error", route="kickoff")  # the first kickoff gets a 500: proves nothing
        first = run(amp, batch, journal, concurrency=1)
        errors = {o.index: type(o.error) for o in first}
        assert errors == {0: InternalServerError, 1: UnprocessableEntityError}
        second = {o.index: o for o in run(amp, batch, journal, concurrency=1)}
        assert isinstance(second[1].error, UnprocessableEntityError)  # sent again: refused, no run
        assert isinstance(second[0].error, KickoffMayHaveStarted)  # not sent again by itself
        assert "InternalServerError" in str(second[0].error)
        assert amp.kickoff_count == 3


def test_a_kickoff_that_never_reached_amp_is_kicked_off_on_the_rerun(run: Any, tmp_path: Path) -> None:
    journal = tmp_path / "runs.db"
    with AmpEmulator(scale=SCALE) as amp:
        base_url = amp.base_url
    # Nobody listens there any more: connection refused, the kickoff never left.
    (first,) = run(_Down(base_url, "a-token-for-nobody"), [INPUTS], journal)
    assert isinstance(first.error, APIConnectionError) and not first.error.may_have_started
    with AmpEmulator(scale=SCALE) as amp:
        (again,) = run(amp, [INPUTS], journal)
        assert again.ok and amp.kickoff_count == 1


class _Down:
    """Where an emulator was: its URL, now refusing connections."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url, self.token = base_url, token


def test_retry_unknown_needs_a_journal_and_indexes(amp: AmpEmulator) -> None:
    from crewai_amp import ConfigurationError

    with AmpClient(base_url=amp.base_url, token=amp.token) as client:
        with pytest.raises(ConfigurationError, match="needs the journal"):
            client.run_many(BATCH, retry_unknown=True)
        with pytest.raises(ConfigurationError, match="retry_unknown"):
            client.run_many(BATCH, journal="x.db", retry_unknown="3")  # type: ignore[arg-type]
        with pytest.raises(ConfigurationError, match="correlation id"):
            client.run_many(BATCH, meta={"crewai_amp_correlation_id": "mine"})


# --- a kickoff AMP accepted in an answer that could not be read -----------------------------------


def run_through(
    amp: AmpEmulator, inputs: Any, journal: Path, transport: Any, *, asynchronous: bool, **kwargs: Any
) -> list[RunOutcome]:
    """One batch, concurrency 1, its requests through ``transport``; the outcomes by index."""
    options: dict[str, Any] = {"base_url": amp.base_url, "token": amp.token}
    options["max_response_bytes"] = unread.LIMIT
    http = unread.http_client(transport, asynchronous=asynchronous)

    async def main() -> list[RunOutcome]:
        async with http, AsyncAmpClient(http_client=http, **options) as client:
            runs = client.run_many(inputs, concurrency=1, timeout=60, journal=journal, **kwargs)
            return [outcome async for outcome in runs]

    if asynchronous:
        outcomes = asyncio.run(main())
    else:
        with http, AmpClient(http_client=http, **options) as client:
            outcomes = list(client.run_many(inputs, concurrency=1, timeout=60, journal=journal, **kwargs))
    return sorted(outcomes, key=lambda outcome: outcome.index)


def journal_states(journal: Path) -> dict[int, str]:
    with contextlib.closing(sqlite3.connect(journal)) as db:
        return dict(db.execute("SELECT idx, state FROM runs"))


@pytest.mark.parametrize("kind", list(unread.UNREADABLE))
@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_an_unreadable_kickoff_answer_is_journaled_unknown_and_never_re_sent_unless_named(
    amp: AmpEmulator, tmp_path: Path, kind: str, asynchronous: bool
) -> None:
    journal, batch = tmp_path / "runs.db", BATCH[:3]
    first = run_through(amp, batch, journal, unread.UnreadableKickoffs(kind), asynchronous=asynchronous)
    lost = first[0]  # concurrency 1: the first kickoff is the one answered unreadably
    assert isinstance(lost.error, KickoffMayHaveStarted) and lost.kickoff_id is None
    cause = lost.error.__cause__
    assert isinstance(cause, ResponseTooLarge if kind == "oversized" else ResponseValidationError)
    assert lost.correlation_id == lost.error.correlation_id
    assert all(o.ok for o in first[1:]), [o.error for o in first]
    assert amp.kickoff_count == 3 and len(amp.kickoff_ids) == 3  # AMP started all three
    assert journal_states(journal) == {0: "unknown", 1: "done", 2: "done"}

    plain = unread.UnreadableKickoffs(kind, times=0)
    again = run_through(amp, batch, journal, plain, asynchronous=asynchronous)
    unknown = again[0].error
    assert isinstance(unknown, KickoffMayHaveStarted) and unknown.correlation_id == lost.correlation_id
    assert type(cause).__name__ in str(unknown)  # the rerun says how the kickoff went wrong
    assert "retry_unknown=[0]" in str(unknown) and lost.correlation_id in str(unknown)
    assert ".;" not in str(unknown) and ".." not in str(unknown)
    assert amp.kickoff_count == 3  # not re-sent by itself

    retried = run_through(amp, batch, journal, plain, asynchronous=asynchronous, retry_unknown=[0])
    assert all(o.ok for o in retried) and amp.kickoff_count == 4
    assert retried[0].correlation_id != lost.correlation_id


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_a_refusal_too_large_to_read_is_kicked_off_again_on_the_rerun(
    amp: AmpEmulator, tmp_path: Path, asynchronous: bool
) -> None:
    journal, batch = tmp_path / "runs.db", [{"topic": "AI"}]  # inputs missing: AMP answers 422
    (first,) = run_through(
        amp, batch, journal, unread.UnreadableKickoffs("oversized"), asynchronous=asynchronous
    )
    assert isinstance(first.error, ResponseTooLarge) and first.error.status_code == 422
    assert journal_states(journal) == {}  # a refusal: no run started
    (again,) = run_through(
        amp, batch, journal, unread.UnreadableKickoffs("oversized", times=0), asynchronous=asynchronous
    )
    assert isinstance(again.error, UnprocessableEntityError)  # sent again, and refused again
    assert amp.kickoff_count == 2
