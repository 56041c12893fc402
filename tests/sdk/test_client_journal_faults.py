"""run_many's journal under faults: a journal that cannot be written, a damaged one, a write that
fails once AMP answered, a Ctrl-C mid-batch, an on_kickoff that raises, and a second batch on the
same journal. Each ends in a typed error, never a paid kickoff lost or sent twice: a kickoff id
always reaches the user (on_kickoff, the error, the log), and a rerun finishes the batch."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from crewai_amp import (
    AmpClient,
    AsyncAmpClient,
    JournalBusy,
    JournalError,
    KickoffMayHaveStarted,
    RunOutcome,
)
from crewai_amp.testing import AmpEmulator
from support.emulator import INPUTS, SCALE

BATCH = [{**INPUTS, "topic": f"topic {n}"} for n in range(6)]


@pytest.fixture
def amp() -> Any:
    with AmpEmulator(scale=SCALE) as emulator:
        yield emulator


def run_sync(amp: AmpEmulator, journal: Path, inputs: Any = BATCH, **kwargs: Any) -> list[RunOutcome]:
    kwargs.setdefault("concurrency", 2)
    with AmpClient(base_url=amp.base_url, token=amp.token) as client:
        return list(client.run_many(inputs, timeout=60, journal=journal, **kwargs))


def run_async(amp: AmpEmulator, journal: Path, inputs: Any = BATCH, **kwargs: Any) -> list[RunOutcome]:
    kwargs.setdefault("concurrency", 2)

    async def main() -> list[RunOutcome]:
        async with AsyncAmpClient(base_url=amp.base_url, token=amp.token) as client:
            runs = client.run_many(inputs, timeout=60, journal=journal, **kwargs)
            try:
                return [outcome async for outcome in runs]
            finally:
                await runs.aclose()

    return asyncio.run(main())


@pytest.fixture(params=[run_sync, run_async], ids=["sync", "async"])
def run(request: pytest.FixtureRequest) -> Any:
    return request.param


def rows(journal: Path) -> dict[int, tuple[str, str | None]]:
    """index -> (state, kickoff id), read with plain sqlite3."""
    with contextlib.closing(sqlite3.connect(journal)) as db:
        return {
            index: (state, kickoff_id)
            for index, state, kickoff_id in db.execute("SELECT idx, state, kickoff_id FROM runs")
        }


def finished_journal(amp: AmpEmulator, tmp_path: Path, inputs: Any = BATCH) -> Path:
    journal = tmp_path / "runs.db"
    assert all(o.ok for o in run_sync(amp, journal, inputs))
    return journal


# --- a journal that cannot be used is refused before anything is sent --------------------------------


def test_a_read_only_journal_is_refused_before_any_kickoff(
    amp: AmpEmulator, run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = finished_journal(amp, tmp_path, BATCH[:2])
    sent = amp.kickoff_count
    with monkeypatch.context() as patch:
        patch.setattr(sqlite3, "connect", _read_only_connect(sqlite3.connect))
        with pytest.raises(JournalError, match=r"cannot use .* as a journal"):
            run(amp, journal)  # 4 inputs never sent: each would be a kickoff
    assert amp.kickoff_count == sent
    assert len(run(amp, journal)) == len(BATCH)  # writable again: it resumes


def _read_only_connect(real_connect: Callable[..., sqlite3.Connection]) -> Callable[..., sqlite3.Connection]:
    def connect(path: str, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        return real_connect(f"file:{path}?mode=ro", *args, **{**kwargs, "uri": True})

    return connect


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes read-only files")
def test_a_journal_in_a_read_only_folder_or_file_is_refused(
    amp: AmpEmulator, run: Any, tmp_path: Path
) -> None:
    journal = finished_journal(amp, tmp_path, BATCH[:2])
    sent = amp.kickoff_count
    journal.chmod(0o400)
    try:
        with pytest.raises(JournalError):
            run(amp, journal)
    finally:
        journal.chmod(0o600)
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o500)
    with pytest.raises(JournalError):
        run(amp, folder / "runs.db")
    assert amp.kickoff_count == sent


@pytest.mark.parametrize("where", ["missing-folder", "a-folder"])
def test_a_journal_path_that_is_no_file_is_refused(
    amp: AmpEmulator, run: Any, tmp_path: Path, where: str
) -> None:
    path = tmp_path / "missing" / "runs.db" if where == "missing-folder" else tmp_path
    with pytest.raises(JournalError, match="cannot open the journal"):
        run(amp, path)
    assert amp.kickoff_count == 0


def _truncated(journal: Path) -> None:
    data = journal.read_bytes()
    journal.write_bytes(data[: len(data) // 2])


def _header_only(journal: Path) -> None:
    journal.write_bytes(journal.read_bytes()[:60])


def _zeros(journal: Path) -> None:
    journal.write_bytes(b"\0" * len(journal.read_bytes()))


def _scribbled_page(journal: Path) -> None:
    """The runs table's pages overwritten in their middle (a torn write, a bad sector)."""
    data = bytearray(journal.read_bytes())
    with contextlib.closing(sqlite3.connect(journal)) as db:
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        root = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'runs'").fetchone()[0]
    start = (root - 1) * page_size
    data[start : start + page_size] = b"\xa5" * page_size
    journal.write_bytes(bytes(data))


def _sql(statement: str) -> Callable[[Path], None]:
    def damage(journal: Path) -> None:
        with contextlib.closing(sqlite3.connect(journal)) as db:
            db.execute(statement)
            db.commit()

    return damage


DAMAGED = r"is damaged \("
DAMAGE: dict[str, tuple[Callable[[Path], None], str]] = {
    "truncated": (_truncated, DAMAGED),
    "header-only": (_header_only, f"{DAMAGED}|not a database"),
    "zeros": (_zeros, "not a database"),
    "scribbled-page": (_scribbled_page, DAMAGED),
    "correlation-id-not-utf8": (
        _sql("UPDATE runs SET correlation_id = CAST(x'ff00fe' AS TEXT) WHERE idx = 1"),
        "damaged",
    ),
    "unknown-state": (_sql("UPDATE runs SET state = 'stxrted' WHERE idx = 1"), DAMAGED),
    "kickoff-id-a-blob": (_sql("UPDATE runs SET kickoff_id = x'0102' WHERE idx = 1"), DAMAGED),
}


@pytest.mark.parametrize("name", list(DAMAGE))
def test_a_damaged_journal_is_a_typed_error_and_nothing_is_sent(
    amp: AmpEmulator, tmp_path: Path, name: str
) -> None:
    journal = finished_journal(amp, tmp_path, BATCH[:3])
    damage, problem = DAMAGE[name]
    damage(journal)
    sent = amp.kickoff_count
    with pytest.raises(JournalError, match=problem) as caught:
        run_sync(amp, journal, BATCH[:3])
    assert type(caught.value) is JournalError  # not a mismatch, not a raw sqlite3 error
    assert amp.kickoff_count == sent  # nothing kicked off again from a journal that cannot be trusted
    if "is damaged (" in str(caught.value):
        assert "new journal, which would kick off every input again" in str(caught.value)


def test_an_unreadable_outcome_is_asked_of_amp_again(amp: AmpEmulator, tmp_path: Path) -> None:
    journal = finished_journal(amp, tmp_path, BATCH[:3])
    _sql("UPDATE runs SET outcome = CAST(x'7b22ff' AS TEXT) WHERE idx = 0")(journal)
    sent, asked = amp.kickoff_count, amp.stats.requests["status"]
    again = run_sync(amp, journal, BATCH[:3])
    assert all(o.ok for o in again) and amp.kickoff_count == sent
    assert amp.stats.requests["status"] > asked  # the run whose outcome was unreadable


# --- a journal write that fails mid-batch -------------------------------------------------------------


def failing_writes(monkeypatch: pytest.MonkeyPatch, statement: str, *, after: int = 0) -> None:
    """Journal statements starting with ``statement`` fail as on a full disk, after ``after``
    that succeed."""
    done = 0

    def check(sql: str) -> None:
        nonlocal done
        if sql.startswith(statement):
            done += 1
            if done > after:
                raise sqlite3.OperationalError("database or disk is full")

    class Failing(sqlite3.Connection):
        def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
            check(sql)
            return super().execute(sql, *args)

        def executemany(self, sql: str, *args: Any) -> sqlite3.Cursor:
            check(sql)
            return super().executemany(sql, *args)

    real_connect = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", lambda *a, **k: real_connect(*a, **{**k, "factory": Failing}))


def recorder(seen: list[tuple[int, str]], asynchronous: bool) -> Any:
    """An on_kickoff that keeps what it is given (a coroutine function for the async client)."""

    def keep(index: int, kickoff_id: str) -> None:
        seen.append((index, kickoff_id))

    async def keep_async(index: int, kickoff_id: str) -> None:
        await asyncio.sleep(0)
        keep(index, kickoff_id)

    return keep_async if asynchronous else keep


def test_a_kickoff_id_the_journal_cannot_record_still_reaches_the_user(
    amp: AmpEmulator,
    run: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR, logger="crewai_amp")
    journal, seen = tmp_path / "runs.db", []
    with monkeypatch.context() as patch:
        failing_writes(patch, "UPDATE runs SET state = 'started'")
        with pytest.raises(JournalError) as caught:
            run(amp, journal, BATCH[:3], concurrency=1, on_kickoff=recorder(seen, run is run_async))
    (kicked,) = amp.kickoff_ids  # the batch stopped: nothing more was kicked off
    assert amp.kickoff_count == 1
    assert seen == [(0, kicked)]  # on_kickoff has it (awaited, for an async callback)
    assert f"inputs #0 kicked off as {kicked}" in str(caught.value)  # the error names it
    assert kicked in caplog.text  # and the log
    again = run(amp, journal, BATCH[:3], concurrency=1)  # the journal knows only it was being sent
    assert isinstance(again[0].error, KickoffMayHaveStarted) and all(o.ok for o in again[1:])
    assert amp.kickoff_count == 3


def test_a_kickoff_the_journal_cannot_record_as_sending_is_not_sent_and_stops_the_batch(
    amp: AmpEmulator,
    run: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="crewai_amp")
    journal = tmp_path / "runs.db"
    with monkeypatch.context() as patch:
        failing_writes(patch, "INSERT OR REPLACE INTO runs", after=1)
        with pytest.raises(JournalError, match="inputs #1 was not kicked off"):
            run(amp, journal, BATCH[:3], concurrency=1)
    assert amp.kickoff_count == 1
    assert "may have started" not in caplog.text  # it was never sent, and the log does not say otherwise
    assert rows(journal) == {0: ("done", amp.kickoff_ids[0])}
    assert all(o.ok for o in run(amp, journal, BATCH[:3])) and amp.kickoff_count == 3


def test_outcomes_the_journal_cannot_write_are_asked_of_amp_again(
    amp: AmpEmulator,
    run: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="crewai_amp")
    journal = tmp_path / "runs.db"
    with monkeypatch.context() as patch:
        failing_writes(patch, "UPDATE runs SET state = ?, outcome = ?")  # written last, at the close
        (first,) = run(amp, journal, BATCH[:1])
    assert first.ok  # not hidden by an error at the close
    assert "1 outcomes were not journaled" in caplog.text
    assert rows(journal) == {0: ("started", first.kickoff_id)}
    (again,) = run(amp, journal, BATCH[:1])
    assert again.ok and again.kickoff_id == first.kickoff_id and amp.kickoff_count == 1


# --- the batch stopped by Ctrl-C, or by its on_kickoff --------------------------------------------------


def test_ctrl_c_in_a_sync_batch_loses_no_id_and_a_rerun_kicks_each_input_off_once(
    amp: AmpEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal, seen, batch = tmp_path / "runs.db", [], [{**INPUTS, "topic": f"topic {n}"} for n in range(12)]
    consumer = threading.current_thread()
    real_wait = concurrent.futures.wait
    calls = 0

    def wait(*args: Any, **kwargs: Any) -> Any:  # Ctrl-C lands while the batch waits for a run
        nonlocal calls
        if threading.current_thread() is consumer:
            calls += 1
            if calls == 2:  # at most 4 of the 12 kicked off by then (concurrency 2)
                raise KeyboardInterrupt
        return real_wait(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(concurrent.futures, "wait", wait)
        with pytest.raises(KeyboardInterrupt):
            run_sync(amp, journal, batch, on_kickoff=recorder(seen, False))
    started = set(amp.kickoff_ids)
    assert 1 <= len(started) <= 4 and amp.kickoff_count == len(started)
    assert {kickoff_id for _, kickoff_id in seen} == started  # every kickoff AMP took was reported
    recorded = rows(journal)
    assert {kickoff_id for _, kickoff_id in recorded.values()} == started  # and journaled
    assert {state for state, _ in recorded.values()} <= {"started", "done"}

    again = run_sync(amp, journal, batch)
    assert sorted(o.index for o in again) == list(range(len(batch))) and all(o.ok for o in again)
    assert amp.kickoff_count == len(batch)  # each input kicked off once, over both runs
    assert {o.kickoff_id for o in again} == set(amp.kickoff_ids)


def test_an_on_kickoff_that_raises_stops_the_batch_and_loses_no_run(
    amp: AmpEmulator, run: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="crewai_amp")
    journal, seen = tmp_path / "runs.db", []

    def on_kickoff(index: int, kickoff_id: str) -> None:
        seen.append((index, kickoff_id))
        if index == 1:
            raise RuntimeError("the caller's store is down")

    with pytest.raises(RuntimeError, match="store is down"):  # the caller's own error, as raised
        run(amp, journal, on_kickoff=on_kickoff)
    failed = dict(seen)[1]
    assert rows(journal)[1][1] == failed  # journaled before on_kickoff was called
    assert failed in caplog.text and "on_kickoff" in caplog.text
    sent = amp.kickoff_count
    assert sent < len(BATCH)  # nothing more was kicked off once it raised
    again = run(amp, journal)
    assert all(o.ok for o in again) and amp.kickoff_count == len(BATCH)
    assert next(o for o in again if o.index == 1).kickoff_id == failed  # waited on, not sent again


def test_an_async_on_kickoff_for_the_sync_client_is_refused_up_front(
    amp: AmpEmulator, tmp_path: Path
) -> None:
    from crewai_amp import ConfigurationError

    async def on_kickoff(index: int, kickoff_id: str) -> None:
        return None

    with pytest.raises(ConfigurationError, match="on_kickoff"):
        run_sync(amp, tmp_path / "runs.db", on_kickoff=on_kickoff)
    assert amp.kickoff_count == 0


def test_a_sync_on_kickoff_that_returns_an_awaitable_ends_the_batch_with_the_id_kept(
    amp: AmpEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # An object with an async __call__ (or a lambda calling an async function) is no coroutine
    # function: its awaitable shows only once called, in a run's thread, where no one awaits it.
    from crewai_amp import ConfigurationError

    class Saver:
        async def __call__(self, index: int, kickoff_id: str) -> None:
            return None

    journal = tmp_path / "runs.db"
    with (
        caplog.at_level(logging.ERROR, logger="crewai_amp"),
        pytest.raises(ConfigurationError, match="awaitable") as raised,
    ):
        run_sync(amp, journal, on_kickoff=Saver())
    assert raised.value.__cause__ is None  # the journal recorded the id
    first = rows(journal)
    kicked = [kickoff_id for _, kickoff_id in first.values() if kickoff_id]
    assert kicked and all(kickoff_id in caplog.text for kickoff_id in kicked[:1])
    assert amp.kickoff_count == len(kicked) < len(BATCH)  # each id journaled; then it stopped
    again = run_sync(amp, journal)
    assert all(o.ok for o in again) and amp.kickoff_count == len(BATCH)


# --- one batch per journal ----------------------------------------------------------------------------


def test_a_second_batch_on_a_journal_in_use_in_this_process_is_refused(
    amp: AmpEmulator, tmp_path: Path
) -> None:
    journal = tmp_path / "runs.db"
    with AmpClient(base_url=amp.base_url, token=amp.token) as client:
        first = client.run_many(BATCH, concurrency=1, timeout=60, journal=journal)
        assert next(first).ok  # the first batch holds the journal
        sent = amp.kickoff_count
        with pytest.raises(JournalBusy, match="another run_many"):
            next(client.run_many(BATCH, concurrency=1, timeout=60, journal=journal))
        assert amp.kickoff_count == sent
        rest = list(first)
    assert len(rest) == len(BATCH) - 1 and all(o.ok for o in rest)
