"""The ``run_many`` journal: a SQLite file (stdlib ``sqlite3``) recording each run of a batch, so
a crash loses no kickoff id and running the same batch again resumes it.

One row per input that was, or was about to be, kicked off: its index, a digest of its inputs,
the correlation id put in its kickoff's ``meta``, a state, the kickoff id, the outcome.

- ``sending``: committed before the kickoff request can leave the machine;
- ``started``: the kickoff id, committed the moment AMP answers;
- ``done``: the run ended (completed, or failed on AMP): its final status;
- ``unknown``: the answer was lost (or the process died while ``sending``): a run may have
  started that only AMP knows. Never kicked off again unless the caller says so.

A kickoff that provably never reached AMP, or that AMP refused (4xx), leaves no row: a rerun
kicks it off again. A row carries no token or secret: inputs are stored only as a digest.

A journal is refused (JournalError) when it cannot be written, checked by a write at open so
nothing is sent first, and when it is damaged: SQLite's structural check at open fails, or a row
holds what no journal writes. Resuming from a damaged journal could kick off again a run whose
row was lost, so none is tried; an outcome that cannot be read only makes the rerun ask AMP.

Durability, and why it costs little. Only one write is urgent: the kickoff id, which exists
nowhere else once the answer is read, so it is committed at once, before on_kickoff or anything
else runs. The ``sending`` row must be committed before the request leaves, and is committed as
late as that allows (once a request slot is held, right before the send), so a crash marks
``unknown`` only kickoffs that were truly on their way. Outcomes are not urgent (a rerun asks
AMP again for a started run whose outcome was lost), so they wait and ride along in the next
urgent commit (or at most ``OUTCOMES_PER_COMMIT`` of them, or the close). The file is in WAL
mode with ``synchronous=NORMAL``: a commit is a write to the WAL, no fsync, so it survives the
process being killed (SIGKILL included), though not a power loss; that keeps a commit under a
tenth of a millisecond: two commits per run against the milliseconds of CPU a run's requests
take, a few percent of a batch (``nox -s bench``, run_many). One process at a time: the file is
opened in exclusive locking mode, and a second process gets JournalBusy, not "database is
locked".
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ._version import __version__
from .errors import JournalBusy, JournalError, JournalMismatch, clip

__all__ = ["Entry", "Journal", "digest"]

logger = logging.getLogger("crewai_amp")

FORMAT = "crewai-amp-journal/1"
OUTCOMES_PER_COMMIT = 256
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS batch (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS runs ("
    " idx INTEGER PRIMARY KEY, digest TEXT NOT NULL, correlation_id TEXT NOT NULL,"
    " state TEXT NOT NULL, kickoff_id TEXT, outcome TEXT)",
)


def _plain(value: object) -> object:
    """What canonical JSON writes for a value json does not know: a generated model's dict, a
    UUID's text."""
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def digest(value: object) -> str:
    """The SHA-256 of ``value`` as canonical JSON (sorted keys, no spaces). TypeError or
    ValueError if it is not JSON."""
    text = json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain, allow_nan=False
    )
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True, slots=True)
class Entry:
    """One row, without its outcome (read with ``Journal.outcome``, one at a time: a 10,000-run
    journal's outcomes need not all be in memory): ``state`` is sending, started, done or
    unknown."""

    digest: str
    correlation_id: str
    state: str
    kickoff_id: str | None


STATES = frozenset({"sending", "started", "done", "unknown"})
_WHAT_IT_IS = (
    "a journal is a crewai-amp SQLite file this process can read and write, in a folder it can write"
)


def _busy(exc: sqlite3.Error) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and any(
        word in str(exc).lower() for word in ("locked", "busy")
    )


def _damaged(path: str, problem: object) -> JournalError:
    """The error for a journal whose content cannot be trusted: resuming from it could kick off
    again a run it recorded, so it is refused."""
    return JournalError(
        f"the journal {path} is damaged ({clip(str(problem), 200)}): it cannot be resumed safely. Keep "
        "it: the kickoff ids it holds may still be read with sqlite3; look for those runs in AMP "
        "before running the batch again with a new journal, which would kick off every input again"
    )


def _entry(row: tuple[Any, ...]) -> tuple[int, Entry] | None:
    """A row as (index, Entry), or None if a field has a type or value no journal writes."""
    index, input_digest, correlation_id, state, kickoff_id = row
    if (
        isinstance(index, int)
        and index >= 0
        and isinstance(input_digest, str)
        and isinstance(correlation_id, str)
        and state in STATES
        and (kickoff_id is None or (isinstance(kickoff_id, str) and kickoff_id))
    ):
        return index, Entry(input_digest, correlation_id, state, kickoff_id)
    return None


class Journal:
    """The journal file of one ``run_many`` call. Thread-safe (the sync client's runs write
    from their threads)."""

    def __init__(self, path: str | os.PathLike[str], options_digest: str) -> None:
        self.path = os.fspath(path)
        self._lock = threading.Lock()
        self._closed = False
        self._outcomes: list[tuple[str, str, int]] = []
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=0, check_same_thread=False)
        except sqlite3.Error as exc:
            raise JournalError(f"cannot open the journal {self.path}: {exc} ({_WHAT_IT_IS})") from None
        try:
            self._open(options_digest)
        except BaseException:
            self._db.close()
            raise

    def _open(self, options_digest: str) -> None:
        try:
            # Exclusive before WAL: the lock is held from the first write until close, and no
            # shared-memory index is made, so no other process can open the file meanwhile.
            self._db.execute("PRAGMA locking_mode=EXCLUSIVE")
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("BEGIN IMMEDIATE")
            tables = {row[0] for row in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if tables and not {"batch", "runs"} <= tables:
                raise JournalError(f"{self.path} is an SQLite file, but not a crewai-amp journal")
            problems = [str(row[0]) for row in self._db.execute("PRAGMA quick_check(3)")]
            if problems != ["ok"]:
                raise _damaged(self.path, "; ".join(problems))
            for statement in _SCHEMA:
                self._db.execute(statement)
            stored = dict(self._db.execute("SELECT key, value FROM batch"))
            if not stored:
                self._db.executemany(
                    "INSERT INTO batch VALUES (?, ?)", [("format", FORMAT), ("options", options_digest)]
                )
            elif stored.get("format") != FORMAT:
                raise JournalError(
                    f"{self.path} is a journal in format {stored.get('format')!r}, not {FORMAT!r}"
                )
            elif stored.get("options") != options_digest:
                raise JournalMismatch(
                    f"the journal {self.path} was made for a batch with other kickoff options "
                    "(meta, webhooks...); give the same options, or use a new journal"
                )
            # A write at every open: a journal that cannot be written (a read-only file or
            # folder, a full disk) is refused here, before any kickoff is sent.
            self._db.execute(
                "INSERT OR REPLACE INTO batch VALUES ('written_by', ?)", (f"crewai-amp {__version__}",)
            )
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            if _busy(exc):
                raise JournalBusy(
                    f"the journal {self.path} is in use by another process, or another run_many of "
                    "this one (one batch runs per journal at a time)"
                ) from None
            if "malformed" in str(exc):
                raise _damaged(self.path, exc) from None
            raise JournalError(f"cannot use {self.path} as a journal: {exc} ({_WHAT_IT_IS})") from None

    # --- reading ------------------------------------------------------------------------------

    def entries(self) -> dict[int, Entry]:
        """Every row, by input index; JournalError if one cannot be read as a journal writes it."""
        with self._lock:
            try:
                rows = self._db.execute(
                    "SELECT idx, digest, correlation_id, state, kickoff_id FROM runs"
                ).fetchall()
            except sqlite3.Error as exc:  # a text that is not UTF-8, a page that is not a page
                raise _damaged(self.path, exc) from None
        entries: dict[int, Entry] = {}
        for row in rows:
            read = _entry(row)
            if read is None:
                raise _damaged(self.path, f"a row holds {clip(repr(row), 200)}")
            entries[read[0]] = read[1]
        return entries

    def outcome(self, index: int) -> dict[str, Any]:
        """The outcome stored for input ``index`` (empty if none or unreadable: the run is then
        asked about again)."""
        with self._lock:
            try:
                # As bytes: an outcome that is not UTF-8 text is unreadable, not an sqlite3 error.
                row = self._db.execute(
                    "SELECT CAST(outcome AS BLOB) FROM runs WHERE idx = ?", (index,)
                ).fetchone()
            except sqlite3.Error as exc:
                raise _damaged(self.path, exc) from None
        try:
            stored = json.loads(row[0]) if row and row[0] else {}
        except ValueError:
            return {}
        return stored if isinstance(stored, dict) else {}

    # --- writing --------------------------------------------------------------------------------

    def _commit(self, statements: Iterable[tuple[str, tuple[Any, ...]]]) -> None:
        """One transaction: the statements, after the outcomes waiting to be written."""
        with self._lock:
            if self._closed:
                raise JournalError(f"the journal {self.path} is closed")
            try:
                self._db.execute("BEGIN IMMEDIATE")
                if self._outcomes:
                    self._db.executemany(
                        "UPDATE runs SET state = ?, outcome = ? WHERE idx = ?", self._outcomes
                    )
                for sql, parameters in statements:
                    self._db.execute(sql, parameters)
                self._db.execute("COMMIT")
                self._outcomes.clear()  # written: until then they wait for the next commit
            except sqlite3.Error as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise JournalError(f"cannot write the journal {self.path}: {exc}") from None

    def sending(self, index: int, input_digest: str, correlation_id: str) -> None:
        """Before the kickoff request of input ``index`` can leave: committed now."""
        self._commit(
            [
                (
                    "INSERT OR REPLACE INTO runs (idx, digest, correlation_id, state) VALUES (?, ?, ?, 'sending')",
                    (index, input_digest, correlation_id),
                )
            ]
        )

    def started(self, index: int, kickoff_id: str) -> None:
        """AMP answered with the kickoff id: committed now."""
        self._commit(
            [("UPDATE runs SET state = 'started', kickoff_id = ? WHERE idx = ?", (kickoff_id, index))]
        )

    def unknown(self, index: int, reason: str) -> None:
        """The kickoff's answer was lost (``reason``: how): a run may have started."""
        self._commit(
            [
                (
                    "UPDATE runs SET state = 'unknown', outcome = ? WHERE idx = ?",
                    (json.dumps({"error": reason}), index),
                )
            ]
        )

    def not_started(self, index: int) -> None:
        """The kickoff never reached AMP, or AMP refused it: no row, so a rerun kicks it off."""
        self._commit([("DELETE FROM runs WHERE idx = ?", (index,))])

    def done(self, index: int, outcome: Mapping[str, Any]) -> None:
        """The run ended: written with the next commit (see the module docstring)."""
        with self._lock:
            self._outcomes.append(("done", json.dumps(outcome, ensure_ascii=False), index))
            due = len(self._outcomes) >= OUTCOMES_PER_COMMIT
        if due:
            self._commit([])

    def close(self) -> None:
        """Write the outcomes still waiting, and release the file. Idempotent. Outcomes that
        cannot be written are logged, not raised (a rerun asks AMP for those runs again): closing
        must not hide the error that ended the batch."""
        try:
            if self._outcomes and not self._closed:
                self._commit([])
        except JournalError as exc:
            logger.warning(
                "run_many: %d outcomes were not journaled (%s); a rerun asks AMP again",
                len(self._outcomes),
                exc,
            )
        finally:
            with self._lock:
                self._closed = True
                self._db.close()
