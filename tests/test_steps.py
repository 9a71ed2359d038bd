"""Tests for orchestra.steps: the @step decorator, ctx, the step's timeout, its output."""

import asyncio

import pytest
from fakes import S, inc

from orchestra.errors import DefinitionError, StateTypeError
from orchestra.steps import step
from orchestra.workflow import Workflow

pytestmark = pytest.mark.anyio


def test_step_decorator_rejects_sync_functions():
    with pytest.raises(DefinitionError, match="async def"):
        step(lambda s: {})


async def test_ctx_gives_key_and_attempt():
    seen = []

    @step
    async def look(s: S, ctx) -> dict:
        seen.append((ctx.key, ctx.attempt, ctx.run_id))
        return {}

    result = await Workflow("w", state=S, steps=[inc, look]).run(S(), run_id="r1")
    assert seen == [("01.look", 1, "r1")] and result.run_id == "r1"


async def test_wrong_step_output():
    @step
    async def bad_field(s: S) -> dict:
        return {"m": 1}

    @step(writes="n")
    async def bad_type(s: S) -> dict:
        return {"n": "one"}

    @step(writes="n")
    async def undeclared(s: S) -> dict:
        return {"kind": "b"}

    for bad, match in (
        (bad_field, "'m'"),
        (bad_type, "bad_type.*n='one'"),
        (undeclared, "declares writes"),
    ):
        with pytest.raises(StateTypeError, match=match):
            await Workflow("w", state=S, steps=[bad]).run(S())


async def test_a_step_that_outlives_its_timeout_aborts_the_run():
    @step(writes="n", timeout=0.02)
    async def slow(s: S) -> dict:
        await asyncio.sleep(5)
        return {"n": 1}

    started = asyncio.get_running_loop().time()
    result = await Workflow("w", state=S, steps=[inc, slow]).run(S())
    assert asyncio.get_running_loop().time() - started < 1  # cut at the timeout, not 5 s
    assert result.status == "aborted" and "TimeoutError" in result.reason
    assert result.state.n == 1 and result.missing == ["01.slow"]
    assert result.trace.steps()[-1].attempts == 1  # no retry policy: one attempt


def test_step_decorator_refuses_a_step_twice_and_wrong_parameters():
    with pytest.raises(DefinitionError, match="apply @step once"):
        step(inc)

    async def three(s, ctx, extra):
        return {}

    with pytest.raises(DefinitionError, match=r"takes \(state\) or \(state, ctx\)"):
        step(three)


def test_step_records_its_contract():
    @step(name="renamed", writes="n", timeout=1.5)
    async def f(s: S, ctx) -> dict:
        return {}

    assert (f.name, f.writes, f.timeout, f.takes_ctx, f.state_type) == (
        "renamed",
        ("n",),
        1.5,
        True,
        S,
    )
    assert (inc.takes_ctx, inc.writes) == (False, ("n",))
