"""Tests for race(...): the first branch to succeed wins, the rest are cancelled, and the winner
is kept in the journal so that a resumed run takes the same branch without racing again."""

import asyncio

import pytest
from fakes import S, fake_call

from orchestra import clock
from orchestra.checkpoint import SqliteStore
from orchestra.compose import race
from orchestra.errors import DefinitionError, FatalLLMError
from orchestra.steps import step
from orchestra.workflow import Workflow

pytestmark = pytest.mark.anyio


def answer(kind: str, wait_s, seen: list, model_s: float = 1.0, fail: bool = False):
    """A step that waits ``wait_s`` wall seconds (a number, or a function read at each call),
    charges ``model_s``, then writes ``kind``."""

    @step(name=f"ask_{kind}", writes="kind")
    async def ask(s: S) -> dict:
        seen.append(f"{kind} started")
        await asyncio.sleep(wait_s() if callable(wait_s) else wait_s)
        fake_call(model_s=model_s)
        if fail:
            raise FatalLLMError(f"{kind} refused")
        seen.append(f"{kind} finished")
        return {"kind": kind}

    return ask


async def test_the_first_to_succeed_wins_and_the_others_are_cancelled():
    seen: list[str] = []
    wf = Workflow("r", state=S, steps=[race(answer("slow", 0.5, seen), answer("fast", 0.01, seen))])
    result = await wf.run(S())
    assert result.status == "completed" and result.state.kind == "fast"
    assert "slow started" in seen and "slow finished" not in seen  # cancelled mid-way
    await asyncio.sleep(0.6)
    assert "slow finished" not in seen  # and stays cancelled


async def test_a_branch_that_fails_is_out_and_the_next_one_wins():
    seen: list[str] = []
    failing = answer("fast", 0.01, seen, fail=True)
    wf = Workflow("r", state=S, steps=[race(failing, answer("slow", 0.05, seen))])
    result = await wf.run(S())
    assert result.status == "completed" and result.state.kind == "slow"


async def test_when_every_branch_fails_the_run_is_aborted_with_the_first_failure():
    seen: list[str] = []
    wf = Workflow(
        "r",
        state=S,
        steps=[race(answer("a", 0.02, seen, fail=True), answer("b", 0.01, seen, fail=True))],
    )
    result = await wf.run(S(kind="before"))
    assert result.status == "aborted" and "b refused" in result.reason
    assert result.state.kind == "before"


async def test_in_simulated_time_the_race_ends_with_its_winner():
    seen: list[str] = []
    # the winner answers first in wall-clock time and was charged 2 model-seconds; the loser
    # would have been charged 9, but it was cancelled before its call
    branches = race(answer("slow", 0.5, seen, model_s=9.0), answer("fast", 0.01, seen, 2.0))
    t0 = clock.now()
    result = await Workflow("r", state=S, steps=[branches]).run(S())
    assert result.state.kind == "fast"
    assert result.sim_s == pytest.approx(2.0) and clock.now() - t0 == pytest.approx(2.0)


async def test_a_resumed_run_keeps_the_winner_and_races_no_more(tmp_path):
    store = SqliteStore(tmp_path / "runs.db")
    seen: list[str] = []
    crash = {"now": True}

    @step(writes="n")
    async def then(s: S) -> dict:
        if crash["now"]:
            raise FatalLLMError("the step after the race fails once")
        return {"n": 1}

    waits = {"x": 0.01, "y": 0.3}
    branches = race(
        answer("x", lambda: waits["x"], seen), answer("y", lambda: waits["y"], seen), name="hedge"
    )
    wf = Workflow("r", state=S, steps=[branches, then])

    first = await wf.run(S(), store=store, run_id="r1")
    assert first.status == "aborted" and first.state.kind == "x"
    # now the other branch would answer first: the journal decides, not the clock
    waits.update(x=0.3, y=0.01)
    seen.clear()
    crash["now"] = False
    again = await wf.resume("r1", store)
    assert again.status == "completed" and again.state.kind == "x"
    assert seen == []  # the winner's step replayed from the journal, nothing raced or called
    assert [s.status for s in again.trace.steps()] == ["replayed", "ok"]


async def test_a_race_needs_two_branches():
    with pytest.raises(DefinitionError, match="at least two"):
        Workflow("r", state=S, steps=[race(answer("a", 0.0, []))])
