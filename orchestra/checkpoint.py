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

Anything that cannot be trusted raises a named error, never a silent restart: a file that
is not a SQLite database or a row that is not JSON (``CorruptCheckpointError``), a run id
made by another workflow (``ForeignCheckpointError``), an unknown or duplicate run id
(``CheckpointError``).
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from orchestra.errors import CheckpointError, CorruptCheckpointError, ForeignCheckpointError

__all__ = ["Store", "RunRecord", "MemoryStore", "SqliteStore"]

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


class Store(Protocol):
    """What the engine needs from a checkpoint store."""

    def create(self, run_id: str, workflow: str, fingerprint: str, record: dict) -> None:
        """Register a new run (``record``: initial state and budget as JSON)."""

    def load(self, run_id: str) -> RunRecord:
        """The run's record; ``CheckpointError`` if there is none."""

    def journal(self, run_id: str) -> dict[str, dict]:
        """Completed keys and their entries, in commit order."""

    def commit(self, run_id: str, key: str, entry: dict) -> None:
        """Durably record one completed step (one transaction)."""

    def finish(self, run_id: str, status: str, info: dict) -> None:
        """Record how an invocation of the run ended."""


def _decode(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError) as exc:
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

    def __init__(self) -> None:
        self.runs: dict[str, dict] = {}
        self.rows: dict[str, dict[str, str]] = {}

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
        rec = _decode(r["record"], f"run {run_id!r}")
        return RunRecord(
            run_id,
            r["workflow"],
            r["fingerprint"],
            r["status"],
            rec["initial"],
            rec.get("budget"),
            _decode(r["info"], f"run {run_id!r} info"),
        )

    def journal(self, run_id: str) -> dict[str, dict]:
        return {
            k: _decode(v, f"row {k!r} of run {run_id!r}")
            for k, v in self.rows.get(run_id, {}).items()
        }

    def commit(self, run_id: str, key: str, entry: dict) -> None:
        rows = self.rows.setdefault(run_id, {})
        if key in rows:
            raise CheckpointError(f"step {key!r} of run {run_id!r} is already recorded")
        rows[key] = json.dumps(entry)

    def finish(self, run_id: str, status: str, info: dict) -> None:
        self.runs[run_id].update(status=status, info=json.dumps(info))


_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, workflow TEXT NOT NULL, fingerprint TEXT NOT NULL,
    status TEXT NOT NULL, record TEXT NOT NULL, info TEXT NOT NULL DEFAULT '{}',
    created REAL NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS journal (
    run_id TEXT NOT NULL, key TEXT NOT NULL, entry TEXT NOT NULL, created REAL NOT NULL,
    PRIMARY KEY (run_id, key));
"""


class SqliteStore:
    """A durable store in one SQLite file (WAL mode; one transaction per completed step).

    >>> store = SqliteStore("runs.db")     # or ":memory:"
    """

    def __init__(self, path: str | Path):
        self.path = str(path)
        try:
            # autocommit mode: each statement below is its own transaction
            self.db = sqlite3.connect(self.path, isolation_level=None)
            app = self.db.execute("PRAGMA application_id").fetchone()[0]
            tables = {
                r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            if app not in (0, APPLICATION_ID) or (app == 0 and tables):
                raise CorruptCheckpointError(
                    f"{self.path} is a SQLite database of another "
                    f"application; use a new file for checkpoints"
                )
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(_SCHEMA)
            self.db.execute(f"PRAGMA application_id={APPLICATION_ID}")
        except sqlite3.DatabaseError as exc:
            raise CorruptCheckpointError(
                f"{self.path} is not a usable checkpoint database "
                f"({exc}); move it aside and start again"
            ) from None

    def close(self) -> None:
        self.db.close()

    def _sql(self, sql: str, args: tuple = ()) -> list:
        try:
            return self.db.execute(sql, args).fetchall()
        except sqlite3.IntegrityError:
            raise
        except sqlite3.DatabaseError as exc:
            raise CorruptCheckpointError(
                f"{self.path}: {exc}; the checkpoint database is "
                f"damaged. Restore a backup or start again"
            ) from None

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
        workflow, fingerprint, status, record, info = rows[0]
        rec = _decode(record, f"run {run_id!r}")
        if not isinstance(rec, dict) or "initial" not in rec:
            raise CorruptCheckpointError(f"run {run_id!r} in {self.path} has no initial state")
        return RunRecord(
            run_id,
            workflow,
            fingerprint,
            status,
            rec["initial"],
            rec.get("budget"),
            _decode(info, f"run {run_id!r} info"),
        )

    def journal(self, run_id: str) -> dict[str, dict]:
        rows = self._sql("SELECT key, entry FROM journal WHERE run_id=? ORDER BY rowid", (run_id,))
        out = {}
        for key, entry in rows:
            value = _decode(entry, f"row {key!r} of run {run_id!r}")
            if not isinstance(value, dict) or "out" not in value:
                raise CorruptCheckpointError(
                    f"row {key!r} of run {run_id!r} is not a journal "
                    f"entry; restore a backup or start a new run"
                )
            out[key] = value
        return out

    def commit(self, run_id: str, key: str, entry: dict) -> None:
        try:
            self._sql(
                "INSERT INTO journal VALUES (?, ?, ?, ?)",
                (run_id, key, json.dumps(entry), time.time()),
            )
        except sqlite3.IntegrityError:
            raise CheckpointError(f"step {key!r} of run {run_id!r} is already recorded") from None

    def finish(self, run_id: str, status: str, info: dict) -> None:
        self._sql(
            "UPDATE runs SET status=?, info=?, updated=? WHERE run_id=?",
            (status, json.dumps(info), time.time(), run_id),
        )

    def commits(self, run_id: str) -> list[tuple[str, float]]:
        """(key, commit time) of each journal row, in commit order (for tests and charts)."""
        return self._sql(
            "SELECT key, created FROM journal WHERE run_id=? ORDER BY rowid", (run_id,)
        )
