"""run_many's journal under faults: a journal that cannot be written, a damaged one, a write that
fails once AMP answered, a Ctrl-C mid-batch, an on_kickoff that raises, and a second batch on the
same journal. Each ends in a typed error, never a paid kickoff lost or sent twice: a kickoff id
always reaches the user (on_kickoff, the error, the log), and a rerun finishes the batch."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from crewai_amp import (
    AmpClient,
    AsyncAmpClient,
    JournalError,
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
