"""Tests for orchestra.checkpoint and resume: replay without re-running, named errors."""

import asyncio
import json
import socket
import sqlite3
import subprocess
import sys
import time

import pytest
from fakes import fake_call
from pydantic import BaseModel

from orchestra import errors  # RunBusyError, StoreBusyError: looked up where used
from orchestra.checkpoint import MemoryStore, SqliteStore
from orchestra.compose import map_each
from orchestra.errors import (
    CheckpointError,
    CorruptCheckpointError,
    FatalLLMError,
    ForeignCheckpointError,
)
from orchestra.steps import step
from orchestra.workflow import Workflow

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["memory", "sqlite"])
def store(request, tmp_path):
    return MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "runs.db")


class S(BaseModel):
    log: list[str] = []
    docs: list[str] = []
    sums: list[str | None] = []


def make(n: int, fail_at: set, executed: list):
    """n steps that append their name; those in fail_at raise a fatal error."""

    def one(i: int):
        @step(name=f"s{i}", writes="log")
        async def run(s: S) -> dict:
            executed.append(i)
            fake_call(cost=0.001)
            if i in fail_at:
                raise FatalLLMError("400 bad request", status=400)
            return {"log": s.log + [f"s{i}"]}

        return run

    return Workflow("chain", state=S, steps=[one(i) for i in range(n)])


async def test_failed_run_resumes_at_the_failed_step(store):
    executed, fail = [], {7}
    wf = make(10, fail, executed)
    first = await wf.run(S(), store=store, run_id="r")
    assert first.status == "aborted" and first.state.log == [f"s{i}" for i in range(7)]
    assert list(store.journal("r")) == [f"{i:02d}.s{i}" for i in range(7)]
    fail.clear()  # the fix
    done = await wf.resume("r", store)
    assert done.status == "completed" and done.state.log == [f"s{i}" for i in range(10)]
    assert executed == list(range(8)) + [7, 8, 9]  # 0-6 never ran again
    assert done.cost_usd == pytest.approx(0.011)  # 8 first time (7 failed) + 3 now
    assert [s.status for s in done.trace.steps()][:7] == ["replayed"] * 7
    assert store.load("r").status == "completed"


async def test_map_items_are_journaled_one_by_one(store):
    seen = []

    @step
    async def summarize(doc: str) -> str:
        seen.append(doc)
        if doc == "d3" and seen.count("d3") == 1:
            raise FatalLLMError("400", status=400)
        return doc.upper()

    wf = Workflow(
        "map", state=S, steps=[map_each(summarize, over="docs", into="sums", concurrency=2)]
    )
    first = await wf.run(S(docs=["d0", "d1", "d2", "d3", "d4"]), store=store, run_id="m")
    assert first.status == "aborted" and first.state.sums[:3] == ["D0", "D1", "D2"]
    done = await wf.resume("m", store)
    assert done.state.sums == ["D0", "D1", "D2", "D3", "D4"]
    assert sorted(seen) == ["d0", "d1", "d2", "d3", "d3", "d4"]


async def test_foreign_workflow_and_duplicate_run_id(store):
    wf = make(2, set(), [])
    await wf.run(S(), store=store, run_id="r")
    other = Workflow("other", state=S, steps=list(wf.steps))
    with pytest.raises(ForeignCheckpointError, match="made by workflow 'chain'"):
        await other.resume("r", store)
    with pytest.raises(ForeignCheckpointError):  # same name, changed definition
        await make(3, set(), []).resume("r", store)
    with pytest.raises(ForeignCheckpointError, match="pick another run_id"):
        await other.run(S(), store=store, run_id="r")
    with pytest.raises(CheckpointError, match="already exists.*resume"):
        await wf.run(S(), store=store, run_id="r")
    with pytest.raises(CheckpointError, match="no run 'nope'"):
        await wf.resume("nope", store)


async def test_completed_run_resumes_to_the_same_state_without_running(store):
    executed = []
    wf = make(3, set(), executed)
    first = await wf.run(S(), store=store, run_id="r")
    again = await wf.resume("r", store)
    assert again.state == first.state and executed == [0, 1, 2]


async def test_corrupted_row_is_named(tmp_path):
    path = tmp_path / "runs.db"
    wf = make(3, {2}, [])
    await wf.run(S(), store=SqliteStore(path), run_id="r")
    db = sqlite3.connect(path)
    db.execute("UPDATE journal SET entry='{not json' WHERE key='01.s1'")
    db.commit()
    with pytest.raises(CorruptCheckpointError, match="01.s1.*not valid JSON"):
        await wf.resume("r", SqliteStore(path))
    db.execute("""UPDATE journal SET entry='{"out": {"log": 5}}' WHERE key='01.s1'""")
    db.commit()
    with pytest.raises(CorruptCheckpointError, match="does not fit S"):
        await wf.resume("r", SqliteStore(path))


def test_non_sqlite_and_foreign_sqlite_files(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(CorruptCheckpointError, match="not a usable checkpoint database"):
        SqliteStore(junk)
    foreign = tmp_path / "app.db"
    db = sqlite3.connect(foreign)
    db.execute("CREATE TABLE users (id INTEGER)")
    db.commit()
    with pytest.raises(CorruptCheckpointError, match="another application"):
        SqliteStore(foreign)


def test_store_refuses_to_record_a_step_twice(store):
    store.create("r", "w", "f", {"initial": {}, "budget": None})
    store.commit("r", "00.a", {"out": {}})
    with pytest.raises(CheckpointError, match="already recorded"):
        store.commit("r", "00.a", {"out": {}})
    assert list(store.journal("r")) == ["00.a"]


async def test_decision_survives_reopening_the_file(tmp_path):
    from orchestra.compose import approval

    class H(BaseModel):
        ok: bool | None = None
        log: list[str] = []

    @step(writes="log")
    async def after(s: H) -> dict:
        return {"log": s.log + [f"approved={s.ok}"]}

    wf = Workflow("h", state=H, steps=[approval("Go?", into="ok"), after])
    first = await wf.run(H(), store=SqliteStore(tmp_path / "h.db"), run_id="h1")
    assert first.status == "waiting"
    reopened = SqliteStore(tmp_path / "h.db")  # e.g. after a kernel restart
    assert reopened.load("h1").info["waiting_for"]["prompt"] == "Go?"
    done = await wf.resume("h1", reopened, decision=False, question="00.approval#human0")
    assert done.state.log == ["approved=False"]
    assert "00.approval#human0" in reopened.journal("h1")


# -- one owner per run: a lease in the store ----------------------------------------------------


def pending_b(effects: list, sleep_s: float = 0.1):
    """a, b, c; b fails on its first execution (aborting the run), then sleeps and succeeds."""

    @step(writes="log")
    async def a(s: S) -> dict:
        return {"log": s.log + ["a"]}

    @step(writes="log")
    async def b(s: S) -> dict:
        if not effects:
            effects.append("failed")
            raise FatalLLMError("400 bad request", status=400)
        await asyncio.sleep(sleep_s)
        effects.append("b")  # the side effect that must happen once
        return {"log": s.log + ["b"]}

    @step(writes="log")
    async def c(s: S) -> dict:
        return {"log": s.log + ["c"]}

    return Workflow("lease", state=S, steps=[a, b, c])


async def test_two_concurrent_resumes_run_the_pending_step_once(store):
    effects = []
    wf = pending_b(effects)
    assert (await wf.run(S(), store=store, run_id="r")).status == "aborted"
    outcomes = await asyncio.gather(
        wf.resume("r", store), wf.resume("r", store), return_exceptions=True
    )
    assert effects.count("b") == 1, outcomes  # b's side effect happened once
    done = [o for o in outcomes if not isinstance(o, BaseException)]
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(done) == 1 and done[0].status == "completed", outcomes
    assert done[0].state.log == ["a", "b", "c"]
    assert len(refused) == 1 and isinstance(refused[0], errors.RunBusyError), outcomes
    assert store.load("r").status == "completed"  # the loser did not mark it failed
    assert list(store.journal("r")) == ["00.a", "01.b", "02.c"]


async def test_a_live_foreign_lease_refuses_resume_until_it_expires(store):
    effects = []
    wf = pending_b(effects, sleep_s=0.0)
    await wf.run(S(), store=store, run_id="r")
    store.lease_s = 0.2
    store.lease("r", "otherhost:1:x")  # another machine runs it now
    with pytest.raises(errors.RunBusyError) as info:
        await wf.resume("r", store)
    assert info.value.owner == "otherhost:1:x" and 0 < info.value.expires_in <= 0.2
    assert effects == ["failed"] and list(store.journal("r")) == ["00.a"]
    assert store.load("r").status == "aborted"  # nothing changed
    time.sleep(0.3)  # the other owner stopped renewing: its lease ran out
    done = await wf.resume("r", store)
    assert done.status == "completed" and effects == ["failed", "b"]


async def test_a_dead_local_owner_is_taken_over_at_once(store):
    effects = []
    wf = pending_b(effects, sleep_s=0.0)
    await wf.run(S(), store=store, run_id="r")
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()  # a worker that was killed: its pid no longer exists
    store.lease("r", f"{socket.gethostname()}:{proc.pid}:x")  # a 30 s lease, left behind
    done = await wf.resume("r", store)
    assert done.status == "completed" and effects == ["failed", "b"]
    # a live process on this host keeps its run
    wf2 = pending_b([], sleep_s=0.0)
    await wf2.run(S(), store=store, run_id="r2")
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        store.lease("r2", f"{socket.gethostname()}:{alive.pid}:x")
        with pytest.raises(errors.RunBusyError):
            await wf2.resume("r2", store)
    finally:
        alive.kill()
        alive.wait()


def test_an_owner_that_lost_its_lease_cannot_write(store):
    store.create("r", "w", "f", {"initial": {}, "budget": None})
    store.lease_s = 0.05
    store.lease("r", "host:1:old")
    store.commit("r", "00.a", {"out": {}}, owner="host:1:old")  # while it owns the run
    time.sleep(0.1)  # its lease expired (e.g. a long pause)...
    store.lease("r", "host:2:new")  # ...and another took the run over
    with pytest.raises(errors.RunBusyError):
        store.commit("r", "01.b", {"out": {}}, owner="host:1:old")
    store.finish("r", "failed", {"reason": "late"}, owner="host:1:old")
    assert list(store.journal("r")) == ["00.a"]  # the late commit wrote nothing
    assert store.load("r").status != "failed" and store.load("r").info.get("reason") is None
    store.commit("r", "01.b", {"out": {}}, owner="host:2:new")  # the new owner can
    assert list(store.journal("r")) == ["00.a", "01.b"]


# -- a locked database is busy, not damaged -----------------------------------------------------


def test_a_locked_database_is_busy_not_corrupt(tmp_path):
    path = tmp_path / "runs.db"
    store = SqliteStore(path, busy_s=0.1)
    store.create("r", "w", "f", {"initial": {}, "budget": None})
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another writer holds the file
    try:
        with pytest.raises(errors.StoreBusyError) as info:
            store.commit("r", "00.a", {"out": {}})
        assert "Restore a backup" not in str(info.value)
        assert info.value.retryable
    finally:
        other.execute("ROLLBACK")
    store.commit("r", "00.a", {"out": {}})  # nothing was lost: retrying works
    assert list(store.journal("r")) == ["00.a"]


def test_opening_a_locked_database_is_busy_and_keeps_the_checkpoint(tmp_path):
    path = tmp_path / "runs.db"
    store = SqliteStore(path)
    store.create("r", "w", "f", {"initial": {}, "budget": None})
    store.commit("r", "00.a", {"out": {"x": 1}})
    store.close()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process writing, for longer than the busy wait
    try:
        with pytest.raises(errors.StoreBusyError) as info:
            SqliteStore(path, busy_s=0.1)
        assert "move it aside" not in str(info.value) and "nothing is lost" in str(info.value)
        assert info.value.retryable
    finally:
        other.execute("ROLLBACK")
        other.close()
    reopened = SqliteStore(path, busy_s=0.1)  # the lock gone, the same file opens whole
    assert list(reopened.journal("r")) == ["00.a"]


# -- tampered rows are named, never half-trusted -------------------------------------------------


def _tamper_calls_not_objects(entry: dict) -> str:
    return json.dumps({**entry, "calls": [5]})


def _tamper_cost_is_text(entry: dict) -> str:
    return json.dumps({**entry, "calls": [{**entry["calls"][0], "cost_usd": "lots"}]})


def _tamper_deeply_nested(entry: dict) -> str:
    return '{"out": ' + "[" * 100_000 + "]" * 100_000 + "}"


def _tamper_out_null(entry: dict) -> str:
    return json.dumps({**entry, "out": None, "status": "ok"})


@pytest.mark.parametrize(
    "tamper",
    [_tamper_calls_not_objects, _tamper_cost_is_text, _tamper_deeply_nested, _tamper_out_null],
    ids=["calls-not-objects", "cost-is-text", "deeply-nested", "out-null"],
)
async def test_a_tampered_journal_row_is_corrupt(tmp_path, tamper):
    path = tmp_path / "runs.db"
    executed = []
    wf = make(3, {2}, executed)
    await wf.run(S(), store=SqliteStore(path), run_id="r")
    db = sqlite3.connect(path)
    (text,) = db.execute("SELECT entry FROM journal WHERE key='01.s1'").fetchone()
    db.execute("UPDATE journal SET entry=? WHERE key='01.s1'", (tamper(json.loads(text)),))
    db.commit()
    with pytest.raises(CorruptCheckpointError):
        await wf.resume("r", SqliteStore(path))


async def test_tampered_run_info_is_corrupt(tmp_path):
    path = tmp_path / "runs.db"
    wf = make(3, {2}, [])
    await wf.run(S(), store=SqliteStore(path), run_id="r")
    db = sqlite3.connect(path)
    db.execute("""UPDATE runs SET info='{"reason": "x", "carried": "xy"}' WHERE run_id='r'""")
    db.commit()
    with pytest.raises(CorruptCheckpointError):
        await wf.resume("r", SqliteStore(path))


class _Killed(BaseException):
    """Stands in for a SIGKILL: nothing after it runs."""


class _DiesAt:
    """A sqlite3 connection whose process dies when it reaches a given statement."""

    def __init__(self, db: sqlite3.Connection, fatal: str):
        self._db, self._fatal = db, fatal

    def execute(self, sql: str, *args):
        if sql.replace(" ", "").startswith(self._fatal):
            self._db.close()  # the process is gone: what it had not committed is lost
            raise _Killed
        return self._db.execute(sql, *args)

    def __getattr__(self, name: str):
        return getattr(self._db, name)


def test_a_store_killed_while_creating_its_file_can_be_reopened(tmp_path, monkeypatch):
    path = tmp_path / "runs.db"
    connect = sqlite3.connect
    monkeypatch.setattr(
        sqlite3, "connect", lambda *a, **kw: _DiesAt(connect(*a, **kw), "PRAGMAapplication_id=")
    )
    with pytest.raises(_Killed):
        SqliteStore(path)  # the first worker is killed while it sets the file up
    monkeypatch.setattr(sqlite3, "connect", connect)
    store = SqliteStore(path)  # the next worker opens the same file
    store.create("r", "w", "f", {"initial": {}, "budget": None})
    assert store.load("r").status
