"""Tests for orchestra.checkpoint and resume: replay without re-running, named errors."""

import sqlite3

import pytest
from fakes import fake_call
from pydantic import BaseModel

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
