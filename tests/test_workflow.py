"""Tests for orchestra.workflow: a sequence of nodes, checked when built, run and resumed."""

import pytest
from fakes import S, inc, note
from pydantic import BaseModel

from orchestra import errors  # DecisionMismatchError: looked up where used
from orchestra.checkpoint import MemoryStore
from orchestra.compose import approval, branch, loop, parallel
from orchestra.errors import (
    ConfigError,
    CycleError,
    DefinitionError,
    MergeConflictError,
    StateTypeError,
    UnknownStepError,
)
from orchestra.steps import step
from orchestra.workflow import Workflow, run_sync

pytestmark = pytest.mark.anyio  # async tests run on asyncio through anyio's pytest plugin


class Other(BaseModel):
    x: int = 0


async def test_sequence_threads_state():
    result = await Workflow("seq", state=S, steps=[inc, inc, inc]).run(S())
    assert result.status == "completed" and result.state.n == 3
    assert [s.key for s in result.trace.steps()] == ["00.inc", "01.inc", "02.inc"]


async def test_sub_workflow_as_a_step():
    inner = Workflow("inner", state=S, steps=[inc, inc])
    result = await Workflow("outer", state=S, steps=[inc, inner]).run(S())
    assert result.state.n == 3
    assert [s.key for s in result.trace.steps()] == ["00.inc", "01.inner.00.inc", "01.inner.01.inc"]


def test_definition_errors_name_the_fix():
    with pytest.raises(UnknownStepError, match="'inc_typo'.*known"):
        Workflow("w", state=S, steps=[inc, branch("kind", {"a": "inc_typo"})])
    with pytest.raises(CycleError, match="loop"):
        Workflow("w", state=S, steps=[inc, branch("kind", {"again": "w"})])
    with pytest.raises(MergeConflictError, match="merge="):
        Workflow("w", state=S, steps=[parallel(note("a"), note("b"))])
    with pytest.raises(DefinitionError, match="writes="):

        @step
        async def undeclared(s: S) -> dict:
            return {}

        Workflow("w", state=S, steps=[parallel(undeclared, inc)])
    with pytest.raises(DefinitionError, match="decorate it with @step"):

        async def plain(s):
            return {}

        Workflow("w", state=S, steps=[plain])
    with pytest.raises(DefinitionError, match="not a step"):
        Workflow("w", state=S, steps=[inc, "inc"])
    with pytest.raises(DefinitionError, match="bound"):
        Workflow("w", state=S, steps=[loop(inc, until=bool, max_iterations=0)])


def test_state_type_errors_at_build():
    @step
    async def wrong(s: Other) -> dict:
        return {}

    with pytest.raises(StateTypeError, match="annotate it with S"):
        Workflow("w", state=S, steps=[wrong])
    with pytest.raises(StateTypeError, match="no field 'nope'"):
        Workflow("w", state=S, steps=[step(writes="nope")(inc.fn)])
    with pytest.raises(StateTypeError, match="same state"):
        Workflow("w", state=S, steps=[Workflow("o", state=Other, steps=[])])
    with pytest.raises(StateTypeError, match="BaseModel"):
        Workflow("w", state=dict, steps=[])


def test_cycle_through_mutated_sub_workflow():
    inner = Workflow("inner", state=S, steps=[inc])
    outer = Workflow("outer", state=S, steps=[inner])
    inner.steps = (inc, outer)  # someone edits a built workflow
    with pytest.raises(CycleError, match="contains itself"):
        Workflow("top", state=S, steps=[outer])


async def test_wrong_state_at_run():
    wf = Workflow("w", state=S, steps=[inc])
    with pytest.raises(StateTypeError, match="carries S, got Other"):
        await wf.run(Other())
    with pytest.raises(StateTypeError, match="does not fit S"):
        await wf.run({"n": "lots"})
    assert (await wf.run({"n": 2})).state.n == 3  # a dict of fields is fine


def test_run_sync_for_scripts():
    assert run_sync(Workflow("w", state=S, steps=[inc]).run(S())).state.n == 1


# -- a decision answers the question it was made for, never the next one ------------------------


def two_approvals(wired: list):
    @step(writes="n")
    async def wire(s: S) -> dict:
        wired.append(s.n)  # the side effect nobody approved, if it runs
        return {"n": 10_000}

    return Workflow(
        "pay",
        state=S,
        steps=[
            approval("Send the reply?", into="ok"),
            approval("Wire $10,000?", into="ok", name="wire_ok"),
            wire,
        ],
    )


async def test_a_decision_sent_twice_does_not_answer_the_next_question():
    wired, store = [], MemoryStore()
    wf = two_approvals(wired)
    first = await wf.run(S(), store=store, run_id="p")
    question = first.waiting_for["key"]
    assert first.status == "waiting" and first.waiting_for["prompt"] == "Send the reply?"
    assert wf.waiting("p", store) == first.waiting_for
    second = await wf.resume("p", store, decision=True, question=question)
    assert second.status == "waiting" and second.waiting_for["prompt"] == "Wire $10,000?"
    with pytest.raises(errors.DecisionMismatchError) as info:  # e.g. a double-clicked button
        await wf.resume("p", store, decision=True, question=question)
    assert (info.value.expected, info.value.got) == (second.waiting_for["key"], question)
    assert wf.waiting("p", store) == second.waiting_for  # still asked, not approved
    assert second.waiting_for["key"] not in store.journal("p")
    assert store.load("p").status == "waiting" and wired == []
    done = await wf.resume("p", store, decision=True, question=second.waiting_for["key"])
    assert done.status == "completed" and wired == [0]


async def test_a_decision_without_its_question_is_refused():
    wired, store = [], MemoryStore()
    wf = two_approvals(wired)
    first = await wf.run(S(), store=store, run_id="p")
    journal = dict(store.journal("p"))
    with pytest.raises(ConfigError, match="question"):
        await wf.resume("p", store, decision=True)
    with pytest.raises(ConfigError, match="question"):  # sent again: still nothing decided
        await wf.resume("p", store, decision=True)
    assert store.journal("p") == journal and wired == []
    assert store.load("p").info["waiting_for"] == first.waiting_for
