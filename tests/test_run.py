"""Tests for orchestra.run: what a run in progress accumulates, and how it stops."""

import pytest
from pydantic import BaseModel

from orchestra.budget import Budget
from orchestra.calls import Call
from orchestra.checkpoint import MemoryStore
from orchestra.errors import BudgetExceededError, StateTypeError
from orchestra.run import Run, Stop


class S(BaseModel):
    n: int = 0


def call(tokens=(100, 20), cost: float = 0.25) -> Call:
    return Call("claude-haiku-5-5", 1.0, 2.0, "ok", tokens[0], tokens[1], cost)


def test_charge_adds_spending_and_puts_llm_spans_under_the_step():
    run = Run("r")
    span = run.trace.open("ask", "step", "00.ask", None)
    run.charge([call((100, 20), 0.25), call((50, 10), 0.5)], span)
    assert run.spent_usd == pytest.approx(0.75) and run.spent_tokens == 180
    llm = [s for s in run.trace if s.kind == "llm"]
    assert len(llm) == 2 and all(s.parent_id == span.id and s.key == "00.ask" for s in llm)
    assert span.cost_usd == pytest.approx(0.75) and span.input_tokens == 150
    assert run.carried == [0.0, 0]  # charged is not carried


def test_uncommitted_adds_to_carried_only():
    run = Run("r", carried=(1.0, 10))
    assert (run.spent_usd, run.spent_tokens, run.carried) == (1.0, 10, [1.0, 10])
    run.uncommitted([call((100, 20), 0.25)])
    assert run.carried == [pytest.approx(1.25), 130]
    assert (run.spent_usd, run.spent_tokens) == (1.0, 10)  # charge() already counted them
    assert len(run.trace) == 0


def test_replay_charges_saved_calls_and_marks_skipped_steps_degraded():
    journal = {
        "00.a": {
            "out": {"n": 1},
            "status": "ok",
            "by": "a",
            "attempts": 2,
            "calls": [call((100, 20), 0.25).to_dict()],
        },
        "01.b": {"out": None, "status": "skipped", "error": "FatalLLMError: 400", "calls": []},
    }
    run = Run("r", journal=journal)
    assert run.replay("a", "00.a", None) == {"n": 1}
    assert run.degraded == []
    assert run.replay("b", "01.b", None) is None
    assert run.degraded == ["01.b"]
    assert run.spent_usd == pytest.approx(0.25) and run.spent_tokens == 120
    a, b = run.trace.steps()
    assert (a.status, a.attempts, a.answered_by) == ("replayed", 2, "a")
    assert (b.status, b.error) == ("replayed", "FatalLLMError: 400")
    assert not [s for s in run.trace if s.kind == "llm"]  # nothing was called again


def test_check_budget_stops_the_run_once_the_budget_is_reached():
    Run("r").check_budget("00.a")  # no budget: never stops
    run = Run("r", budget=Budget(max_tokens=120))
    span = run.trace.open("a", "step", "00.a", None)
    run.charge([call((50, 10))], span)
    run.check_budget("01.b")  # 60 of 120: goes on
    run.charge([call((50, 10))], span)
    with pytest.raises(Stop) as info:
        run.check_budget("02.c")
    stop = info.value
    assert stop.status == "aborted" and isinstance(stop.error, BudgetExceededError)
    assert "step 02.c" in stop.reason and stop.state is None


def test_commit_saves_plain_json_and_refuses_anything_else():
    store = MemoryStore()
    store.create("r", "w", "fp", {"initial": {}})
    run = Run("r", store=store)
    span = run.trace.open("a", "step", "00.a", None)
    run.commit("00.a", {"n": S(n=3)}, "ok", span, [call()])
    saved = store.journal("r")["00.a"]
    assert saved["out"] == {"n": {"n": 3}} and saved["calls"][0]["cost_usd"] == 0.25
    assert run.journal["00.a"] == saved
    with pytest.raises(StateTypeError, match="step 01.b .*cannot be saved as JSON"):
        run.commit("01.b", {"n": object()}, "ok", span, [])
    assert "01.b" not in store.journal("r") and "01.b" not in run.journal


def test_stop_with_state_returns_a_new_stop():
    err = BudgetExceededError("over", spent=1.0, limit=1.0, unit="usd")
    stop = Stop("waiting", "waits", error=err, waiting={"key": "00.a#human0"})
    ended = stop.with_state(S(n=2))
    assert ended is not stop and stop.state is None
    assert ended.state == S(n=2)
    assert (ended.status, ended.reason, ended.error, ended.waiting) == (
        "waiting",
        "waits",
        err,
        {"key": "00.a#human0"},
    )
