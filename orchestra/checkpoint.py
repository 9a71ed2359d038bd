"""Checkpoints: a journal of completed steps, in memory or in SQLite (chapter 08).

A store keeps, per run: the workflow's name and definition fingerprint, the initial state,
the budget, a status (``running``, ``completed``, ``aborted``, ``waiting``, ``failed``) and a
*journal*: one JSON row per completed step, keyed by the step's position in the workflow
(``03.extract``, ``02.map_each[5].summarize``), holding the step's delta and its LLM call
records. A person's decision is a journal row too (``05.approve#human0``).

``Workflow.resume`` walks the workflow again from the initial state and, for each key in
the journal, applies the saved delta instead of running the step; nothing completed runs
twice, no LLM call is repeated. ``SqliteStore`` commits each row in its own transaction
(WAL mode, ``synchronous=NORMAL``: a committed step survives a killed process; the last
commits may be lost on power failure, which only means those steps run again). Rows are
JSON, never pickle. A journal key can be written once only (primary key): a step cannot
be recorded twice.

    >>> store = SqliteStore("runs.db")
    >>> result = await wf.run(state, store=store, run_id="ticket-42")
    >>> store.journal("ticket-42").keys()      # what is done
    >>> await wf.resume("ticket-42", store)    # after a crash

**One owner per run.** Whoever runs or resumes a run holds its *lease* (an owner id and an
expiry), renewed with every commit and by a heartbeat while a step runs. A second resumer is
refused with ``RunBusyError`` and changes nothing; a lease is taken over only once it has
expired, or at once when its owner is a process on this machine that no longer exists (a
killed worker). Every commit checks the lease in the same transaction, so an owner that lost
its run cannot write to it.

Anything that cannot be trusted raises a named error, never a silent restart: a file that
is not a SQLite database, a row that is not JSON or not a journal entry
(``CorruptCheckpointError``, every row is validated when read), a run id made by another
workflow (``ForeignCheckpointError``), an unknown or duplicate run id (``CheckpointError``).
A database locked by another writer is not damaged: ``StoreBusyError`` (retryable).
"""

from __future__ import annotations

import json
import math
import os
import socket
import sqlite3
import time
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from orchestra.errors import (
    CheckpointError,
    CorruptCheckpointError,
    ForeignCheckpointError,
    RunBusyError,
    StoreBusyError,
)

__all__ = ["Store", "RunRecord", "Entry", "MemoryStore", "SqliteStore", "new_owner"]

LEASE_S = 30.0  # how long a run stays owned without a renewal

APPLICATION_ID = 0x0C4E5A  # marks a SQLite file as ours (PRAGMA application_id)


@dataclass
class RunRecord:
    """One run as a store keeps it (the journal apart)."""

    run_id: str
    workflow: str
    fingerprint: str
    """Hash of the workflow's shape: resuming with another definition is refused."""
    status: str
    initial: dict
    """The initial state as JSON."""
    budget: dict | None = None
    info: dict = field(default_factory=dict)
    """What the last invocation reported: reason, waiting_for, missing."""


class _Row(BaseModel):
    model_config = ConfigDict(extra="allow")


class CallRow(_Row):
    """One LLM call as a journal row keeps it: the numbers must be numbers."""

    cost_usd: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0

    @field_validator("cost_usd")
    @classmethod
    def _finite(cls, v: float) -> float:
        if not math.isfinite(v) or v < 0:
            raise ValueError("must be a finite, non-negative number")
        return v


class Entry(_Row):
    """One journal row: what a completed step (or a person's decision) left behind."""

    out: Any
    """The step's delta (a dict), a map item's value, or a person's decision."""
    status: Literal["ok", "fallback", "skipped", "human", "decision"] = "ok"
    by: str | None = None
    attempts: int = 0
    error: str | None = None
    calls: list[CallRow] = []


class Info(_Row):
    """What the last invocation of a run reported."""

    reason: str | None = None
    waiting_for: dict | None = None
    missing: list[str] = []
    carried: tuple[float, int] = (0.0, 0)
    """Spent on steps that never committed, (usd, tokens)."""


def _valid(model: type[BaseModel], value: Any, what: str) -> Any:
    try:
        return model.model_validate(value).model_dump()
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(map(str, err["loc"])) or "row"
        raise CorruptCheckpointError(
            f"{what} is not a valid {model.__name__.lower()} ({where}: {err['msg']}); the store "
            f"was changed outside orchestra. Restore a backup or start a new run"
        ) from None


def new_owner() -> str:
    """A unique owner id for a lease: host, process and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(4).hex()}"


def _gone(owner: str) -> bool:
    """Whether the owner is a process of this machine that no longer exists (a killed worker)."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists, owned by another user
        return False
    return False


def _refuse(run_id: str, owner: str, expires: float) -> RunBusyError:
    left = max(0.0, expires - time.time())
    return RunBusyError(
        f"run {run_id!r} is being run by {owner} (its lease runs {left:.0f}s more); wait for it "
        f"to finish, or resume once the lease has expired",
        run_id=run_id,
        owner=owner,
        expires_in=left,
    )


class Store(Protocol):
    """What the engine needs from a checkpoint store."""

    def create(self, run_id: str, workflow: str, fingerprint: str, record: dict) -> None:
        """Register a new run (``record``: initial state and budget as JSON)."""

    def load(self, run_id: str) -> RunRecord:
        """The run's record; ``CheckpointError`` if there is none."""

    def journal(self, run_id: str) -> dict[str, dict]:
        """Completed keys and their entries, in commit order."""

    def commit(self, run_id: str, key: str, entry: dict, owner: str | None = None) -> None:
        """Durably record one completed step (one transaction); with ``owner``, only while it
        holds the run's lease (renewed by the commit), else ``RunBusyError``."""

    def finish(self, run_id: str, status: str, info: dict, owner: str | None = None) -> None:
        """Record how an invocation of the run ended, and release the owner's lease."""

    def lease(self, run_id: str, owner: str) -> None:
        """Take or renew the run's lease for ``owner``; ``RunBusyError`` if another holds it."""


def _decode(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError, RecursionError) as exc:
        raise CorruptCheckpointError(
            f"{what} is not valid JSON ({exc}); the store was changed "
            f"outside orchestra. Restore a backup or start a new run"
        ) from None


def _check_new(existing: RunRecord | None, run_id: str, workflow: str) -> None:
    if existing is None:
        return
    if existing.workflow != workflow:
        raise ForeignCheckpointError(
            f"run id {run_id!r} already belongs to workflow "
            f"{existing.workflow!r}; pick another run_id"
        )
    raise CheckpointError(
        f"run {run_id!r} already exists ({existing.status}); continue it "
        f"with wf.resume({run_id!r}, store) or pick another run_id"
    )


class MemoryStore:
    """A store in a dict, for tests and notebooks; rows go through JSON like SqliteStore's."""

    def __init__(self, *, lease_s: float = LEASE_S) -> None:
        self.lease_s = lease_s
        self.runs: dict[str, dict] = {}
        self.rows: dict[str, dict[str, str]] = {}
        self.leases: dict[str, tuple[str, float]] = {}

    def create(self, run_id: str, workflow: str, fingerprint: str, record: dict) -> None:
        _check_new(self.load(run_id) if run_id in self.runs else None, run_id, workflow)
        self.runs[run_id] = {
            "workflow": workflow,
            "fingerprint": fingerprint,
            "status": "running",
            "record": json.dumps(record),
            "info": "{}",
        }
        self.rows[run_id] = {}

    def load(self, run_id: str) -> RunRecord:
        if run_id not in self.runs:
            raise CheckpointError(f"no run {run_id!r} in this store; start it with wf.run(...)")
        r = self.runs[run_id]
        return _record(run_id, r["workflow"], r["fingerprint"], r["status"], r["record"], r["info"])

    def journal(self, run_id: str) -> dict[str, dict]:
        return {k: _entry(run_id, k, v) for k, v in self.rows.get(run_id, {}).items()}

    def lease(self, run_id: str, owner: str) -> None:
        held = self.leases.get(run_id)
        if held and held[0] != owner and held[1] > time.time() and not _gone(held[0]):
            raise _refuse(run_id, *held)
        self.leases[run_id] = (owner, time.time() + self.lease_s)

    def commit(self, run_id: str, key: str, entry: dict, owner: str | None = None) -> None:
        if owner is not None:
            held = self.leases.get(run_id)
            if not held or held[0] != owner:
                raise _lost(run_id, owner, held)
            self.leases[run_id] = (owner, time.time() + self.lease_s)
        rows = self.rows.setdefault(run_id, {})
        if key in rows:
            raise CheckpointError(f"step {key!r} of run {run_id!r} is already recorded")
        rows[key] = json.dumps(entry)

    def finish(self, run_id: str, status: str, info: dict, owner: str | None = None) -> None:
        if owner is not None:
            if self.leases.get(run_id, ("",))[0] != owner:
                return  # another owner took the run over: its record is not ours to change
            del self.leases[run_id]
        self.runs[run_id].update(status=status, info=json.dumps(info))


def _lost(run_id: str, owner: str, held: tuple[str, float] | None) -> RunBusyError:
    other = held[0] if held else "nobody"
    return RunBusyError(
        f"run {run_id!r}: {owner} no longer owns it ({other} does): its lease expired and was "
        f"taken over; this invocation stops without writing",
        run_id=run_id,
        owner=other,
        expires_in=max(0.0, held[1] - time.time()) if held else 0.0,
    )


def _record(
    run_id: str, workflow: str, fingerprint: str, status: str, record: str, info: str
) -> RunRecord:
    rec = _decode(record, f"run {run_id!r}")
    if not isinstance(rec, dict) or "initial" not in rec:
        raise CorruptCheckpointError(f"run {run_id!r} has no initial state; start a new run")
    return RunRecord(
        run_id,
        workflow,
        fingerprint,
        status,
        rec["initial"],
        rec.get("budget"),
        _valid(Info, _decode(info, f"run {run_id!r} info"), f"run {run_id!r} info"),
    )


def _entry(run_id: str, key: str, text: str) -> dict:
    what = f"row {key!r} of run {run_id!r}"
    return _valid(Entry, _decode(text, what), what)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, workflow TEXT NOT NULL, fingerprint TEXT NOT NULL,
    status TEXT NOT NULL, record TEXT NOT NULL, info TEXT NOT NULL DEFAULT '{}',
    created REAL NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS journal (
    run_id TEXT NOT NULL, key TEXT NOT NULL, entry TEXT NOT NULL, created REAL NOT NULL,
    PRIMARY KEY (run_id, key));
CREATE TABLE IF NOT EXISTS leases (
    run_id TEXT PRIMARY KEY, owner TEXT NOT NULL, expires REAL NOT NULL);
"""


def _busy(exc: sqlite3.OperationalError) -> bool:
    """SQLite's "database is locked" / "busy": another connection holds the write lock."""
    return "locked" in str(exc) or "busy" in str(exc)


class SqliteStore:
    """A durable store in one SQLite file (WAL mode; one transaction per completed step).

    >>> store = SqliteStore("runs.db")     # or ":memory:"
    """

    def __init__(self, path: str | Path, *, lease_s: float = LEASE_S, busy_s: float = 5.0):
        self.path, self.lease_s = str(path), lease_s
        try:
            # autocommit mode: each statement below is its own transaction; a writer waits up
            # to busy_s for another to finish before StoreBusyError
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=busy_s)
            self.db.execute("PRAGMA journal_mode=WAL")  # cannot change inside a transaction
            self.db.execute("PRAGMA synchronous=NORMAL")
            # Check and create in one transaction: a process killed half-way (or a second one
            # opening the same new file) never leaves tables without the mark, or the reverse.
            self.db.execute("BEGIN IMMEDIATE")
            try:
                app = self.db.execute("PRAGMA application_id").fetchone()[0]
                tables = {
                    r[0]
                    for r in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")
                }
                if app not in (0, APPLICATION_ID) or (app == 0 and tables):
                    raise CorruptCheckpointError(
                        f"{self.path} is a SQLite database of another "
                        f"application; use a new file for checkpoints"
                    )
                self.db.execute(f"PRAGMA application_id={APPLICATION_ID}")
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self.db.execute(statement)
            except BaseException:
                with suppress(sqlite3.Error):  # a connection already gone has nothing to undo
                    self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if _busy(exc):  # a healthy file another process is writing: wait, do not discard
                self.db.close()
                raise self._busy(exc) from None
            raise self._unusable(exc) from None
        except sqlite3.DatabaseError as exc:
            raise self._unusable(exc) from None

    def close(self) -> None:
        self.db.close()

    def _sql(self, sql: str, args: tuple = ()) -> list:
        try:
            return self.db.execute(sql, args).fetchall()
        except sqlite3.IntegrityError:
            raise
        except sqlite3.OperationalError as exc:
            if _busy(exc):
                raise self._busy(exc) from None
            raise self._damaged(exc) from None
        except sqlite3.DatabaseError as exc:
            raise self._damaged(exc) from None

    def _busy(self, exc: Exception) -> StoreBusyError:
        return StoreBusyError(
            f"{self.path} is locked by another writer ({exc}); nothing is lost: retry "
            f"shortly, or resume the run once the other process is done"
        )

    def _unusable(self, exc: Exception) -> CorruptCheckpointError:
        return CorruptCheckpointError(
            f"{self.path} is not a usable checkpoint database ({exc}); move it aside and start "
            f"again"
        )

    def _damaged(self, exc: Exception) -> CorruptCheckpointError:
        return CorruptCheckpointError(
            f"{self.path}: {exc}; the checkpoint database is damaged. Restore a backup or "
            f"start again"
        )

    def _transaction(self, work: Any) -> Any:
        """Run ``work()`` in one write transaction (taken at once, so checks and writes agree)."""
        self._sql("BEGIN IMMEDIATE")
        try:
            out = work()
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self._sql("COMMIT")
        return out

    def create(self, run_id: str, workflow: str, fingerprint: str, record: dict) -> None:
        rows = self._sql("SELECT workflow FROM runs WHERE run_id=?", (run_id,))
        _check_new(self.load(run_id) if rows else None, run_id, workflow)
        now = time.time()
        self._sql(
            "INSERT INTO runs VALUES (?, ?, ?, 'running', ?, '{}', ?, ?)",
            (run_id, workflow, fingerprint, json.dumps(record), now, now),
        )

    def load(self, run_id: str) -> RunRecord:
        rows = self._sql(
            "SELECT workflow, fingerprint, status, record, info FROM runs WHERE run_id=?", (run_id,)
        )
        if not rows:
            raise CheckpointError(f"no run {run_id!r} in {self.path}; start it with wf.run(...)")
        return _record(run_id, *rows[0])

    def journal(self, run_id: str) -> dict[str, dict]:
        rows = self._sql("SELECT key, entry FROM journal WHERE run_id=? ORDER BY rowid", (run_id,))
        return {key: _entry(run_id, key, entry) for key, entry in rows}

    def _held(self, run_id: str) -> tuple[str, float] | None:
        rows = self._sql("SELECT owner, expires FROM leases WHERE run_id=?", (run_id,))
        return (rows[0][0], rows[0][1]) if rows else None

    def lease(self, run_id: str, owner: str) -> None:
        def take() -> None:
            held = self._held(run_id)
            if held and held[0] != owner and held[1] > time.time() and not _gone(held[0]):
                raise _refuse(run_id, *held)
            self._sql(
                "INSERT OR REPLACE INTO leases VALUES (?, ?, ?)",
                (run_id, owner, time.time() + self.lease_s),
            )

        self._transaction(take)

    def commit(self, run_id: str, key: str, entry: dict, owner: str | None = None) -> None:
        def write() -> None:
            if owner is not None:
                held = self._held(run_id)
                if not held or held[0] != owner:
                    raise _lost(run_id, owner, held)
                self._sql(
                    "UPDATE leases SET expires=? WHERE run_id=?",
                    (time.time() + self.lease_s, run_id),
                )
            try:
                self._sql(
                    "INSERT INTO journal VALUES (?, ?, ?, ?)",
                    (run_id, key, json.dumps(entry), time.time()),
                )
            except sqlite3.IntegrityError:
                raise CheckpointError(
                    f"step {key!r} of run {run_id!r} is already recorded"
                ) from None

        self._transaction(write)

    def finish(self, run_id: str, status: str, info: dict, owner: str | None = None) -> None:
        def write() -> None:
            if owner is not None:
                held = self._held(run_id)
                if not held or held[0] != owner:
                    return  # another owner took the run over: its record is not ours to change
                self._sql("DELETE FROM leases WHERE run_id=?", (run_id,))
            self._sql(
                "UPDATE runs SET status=?, info=?, updated=? WHERE run_id=?",
                (status, json.dumps(info), time.time(), run_id),
            )

        self._transaction(write)

    def commits(self, run_id: str) -> list[tuple[str, float]]:
        """(key, commit time) of each journal row, in commit order (for tests and charts)."""
        return self._sql(
            "SELECT key, created FROM journal WHERE run_id=? ORDER BY rowid", (run_id,)
        )
