"""Tests for orchestra.nodes: the Node protocol, binding, and running a sequence of nodes."""

import operator
from types import SimpleNamespace

import pytest
from fakes import S, inc, note

from orchestra.compose import branch, parallel
from orchestra.errors import CycleError, DefinitionError, FatalLLMError, UnknownStepError
from orchestra.nodes import Node, Scope, bind_sequence, missing_in, run_sequence
from orchestra.run import Run, Stop
from orchestra.steps import step
from orchestra.workflow import Workflow

pytestmark = pytest.mark.anyio


def scope(*ancestors) -> Scope:
    return Scope(S, "w", "w", ancestors, {"inc": inc})


def test_resolve_names_the_known_steps_for_an_unknown_route():
    assert scope().resolve("inc", "a") is inc
    with pytest.raises(UnknownStepError) as info:
        scope().resolve("incr", "a")
    assert "'incr'" in str(info.value) and "known: ['inc']" in str(info.value)


def test_resolve_refuses_a_route_naming_an_ancestor():
    outer = SimpleNamespace(name="outer")
    with pytest.raises(CycleError, match="'outer', which contains it"):
        scope(outer).inside("branch[x]").resolve("outer", "x")


def test_bind_sequence_refuses_what_is_not_a_node():
    async def plain(s):
        return {}

    with pytest.raises(DefinitionError, match="'plain' .*decorate it with @step"):
        bind_sequence([inc, plain], scope())
    with pytest.raises(DefinitionError, match="42 in w is not a step"):
        bind_sequence([42], scope())
    assert bind_sequence([inc], scope()) == (inc,)


def test_binding_leaves_the_definition_as_it_was():
    router = branch("kind", {"a": "inc"})
    wf = Workflow("w", state=S, steps=[inc, router])
    assert router.routes["a"] == ("inc",)  # the object the user built is untouched
    bound = wf.steps[1]
    assert bound is not router and bound.routes["a"] == (inc,)
    Workflow("w2", state=S, steps=[inc, router])  # so it can be used again


class Raise(Node):
    """A node that raises the Stop it was given."""

    name = "raise"

    def __init__(self, stop: Stop):
        self.stop = stop

    async def run_node(self, run, state, key, parent):
        raise self.stop


async def test_run_sequence_puts_the_partial_state_on_a_new_stop():
    original = Stop("aborted", "halt")
    run = Run("r")
    with pytest.raises(Stop) as info:
        await run_sequence((inc, inc, Raise(original), inc), run, S(), "", None)
    assert info.value is not original and original.state is None
    assert info.value.state == S(n=2) and info.value.reason == "halt"
    assert run.done == {"00.inc", "01.inc"}

    ended = Stop("aborted", "knew its state", state=S(n=7))
    with pytest.raises(Stop) as info:
        await run_sequence((inc, Raise(ended)), Run("r"), S(), "", None)
    assert info.value is ended and info.value.state == S(n=7)  # kept, not overwritten


def test_missing_in_descends_into_parallel_branches_and_sub_workflows():
    sub = Workflow("sub", state=S, steps=[inc, inc])
    wf = Workflow(
        "w",
        state=S,
        steps=[inc, parallel(note("a"), [note("b"), inc], merge={"notes": operator.add}), sub],
    )
    done = {"00.inc", "01.parallel[0].00.note_a", "02.sub.00.inc"}
    assert missing_in(wf.steps, "", done) == [
        "01.parallel[1].00.note_b",
        "01.parallel[1].01.inc",
        "02.sub.01.inc",
    ]
    assert missing_in(wf.steps, "", set()) == [
        "00.inc",
        "01.parallel[0].00.note_a",
        "01.parallel[1].00.note_b",
        "01.parallel[1].01.inc",
        "02.sub.00.inc",
        "02.sub.01.inc",
    ]


class Double(Node):
    """A node kind the engine has never heard of: it doubles ``n``."""

    def __init__(self, name: str = "double"):
        self.name, self.bound_in = name, None

    def bind(self, scope: Scope) -> Node:
        bound = Double(self.name)
        bound.bound_in = scope.where
        return bound

    def may_write(self) -> set[str]:
        return {"n"}

    def describe(self) -> str:
        return f"double:{self.name}"

    async def run_node(self, run, state, key, parent):
        return state.model_copy(update={"n": state.n * 2})


async def test_a_user_defined_node_runs_inside_a_workflow():
    wf = Workflow("w", state=S, steps=[inc, Double(), inc, Double()])
    assert wf.steps[1].bound_in == "w"
    result = await wf.run(S())
    assert result.status == "completed" and result.state.n == 6  # ((0+1)*2+1)*2

    @step(writes="n")
    async def boom(s: S) -> dict:
        raise FatalLLMError("400", status=400)

    # Protocol defaults: missing() is the node's own key, named() is empty.
    stopped = await Workflow("w", state=S, steps=[inc, Double(), boom, Double()]).run(S())
    assert stopped.status == "aborted" and stopped.state.n == 2
    assert stopped.missing == ["02.boom", "03.double"]
    with pytest.raises(UnknownStepError):
        Workflow("w", state=S, steps=[Double(), branch("kind", {"a": "double"})])
    assert (
        Workflow("w", state=S, steps=[Double()]).fingerprint
        != Workflow("w", state=S, steps=[Double("twice")]).fingerprint
    )  # its describe() is part of the fingerprint
