"""Tests for orchestra.budget: ceilings stop a run cleanly with a partial result."""

import pytest
from fakes import fake_call
from pydantic import BaseModel

from orchestra.budget import Budget
from orchestra.checkpoint import MemoryStore
from orchestra.errors import BudgetExceededError, RetryableLLMError
from orchestra.policies import Retry
from orchestra.steps import step
from orchestra.workflow import Workflow

pytestmark = pytest.mark.anyio


class S(BaseModel):
    n: int = 0


@step(writes="n")
async def spend(s: S) -> dict:
    fake_call(tokens=(80, 20), cost=0.01)
    return {"n": s.n + 1}


def test_check_names_the_ceiling():
    Budget(max_cost_usd=1.0, max_tokens=100).check(0.5, 99)
    with pytest.raises(BudgetExceededError, match="tokens") as info:
        Budget(max_tokens=100).check(0.0, 100)
    assert (info.value.spent, info.value.limit, info.value.unit) == (100, 100, "tokens")
    with pytest.raises(BudgetExceededError, match=r"\$0.0300 of \$0.03"):
        Budget(max_cost_usd=0.03).check(0.03, 0)


async def test_cost_ceiling_stops_run_with_partial_state():
    wf = Workflow("w", state=S, steps=[spend] * 10)
    result = await wf.run(S(), budget=Budget(max_cost_usd=0.035))
    assert result.status == "aborted" and result.state.n == 4
    assert "budget reached before step 04.spend" in result.reason
    assert result.missing == [f"{i:02d}.spend" for i in range(4, 10)]
    assert result.cost_usd == pytest.approx(0.04) and isinstance(result.error, BudgetExceededError)


async def test_token_ceiling_and_resume_with_higher_budget():
    wf = Workflow("w", state=S, steps=[spend] * 5)
    store = MemoryStore()
    first = await wf.run(S(), store=store, budget=Budget(max_tokens=250))
    assert first.status == "aborted" and first.state.n == 3 and first.tokens == 300
    again = await wf.resume(first.run_id, store)  # same saved budget: still over
    assert again.status == "aborted" and again.state.n == 3
    done = await wf.resume(first.run_id, store, budget=Budget(max_tokens=1000))
    assert done.status == "completed" and done.state.n == 5 and done.tokens == 500
    assert done.trace.total_tokens == 200  # only the two steps run now cost anything now


async def test_the_budget_is_checked_before_every_retry():
    attempts = []

    @step(writes="n", retry=Retry(max_attempts=5, base_delay=0.001))
    async def overloaded(s: S) -> dict:
        attempts.append(1)
        fake_call(tokens=(80, 20), cost=0.01)  # billed, then the answer is unusable
        raise RetryableLLMError("529 overloaded", status=529)

    result = await Workflow("w", state=S, steps=[overloaded]).run(
        S(), budget=Budget(max_cost_usd=0.015)
    )
    assert len(attempts) == 2  # crossed after 2 billed attempts: no 3rd, 4th, 5th
    assert result.status == "aborted" and "budget" in result.reason
    assert result.cost_usd == pytest.approx(0.02)
    assert isinstance(result.error, BudgetExceededError)


def test_an_unknown_cost_refuses_a_cost_budget():
    nan = float("nan")
    with pytest.raises(BudgetExceededError, match="price"):
        Budget(max_cost_usd=1.0).check(nan, 0)
    Budget(max_tokens=1000).check(nan, 10)  # a token budget can still be enforced


async def test_an_unpriced_model_stops_a_run_with_a_cost_budget():
    @step(writes="n")
    async def unpriced(s: S) -> dict:
        fake_call(model="claude-future-9", cost=float("nan"))  # the client's cost for it
        return {"n": s.n + 1}

    wf = Workflow("w", state=S, steps=[unpriced] * 3)
    result = await wf.run(S(), budget=Budget(max_cost_usd=100.0))
    assert result.status == "aborted" and result.state.n == 1
    assert "price" in result.reason


@step(writes="n")
async def read_cached(s: S) -> dict:
    from orchestra.calls import Call, record

    # 10 uncached prompt tokens, 90 read from the prompt cache, 20 out: 120 tokens, cheap
    record(Call("claude-haiku-5-5", 1.0, 2.0, "ok", 10, 20, 0.001, cache_read_tokens=90))
    return {"n": s.n + 1}


async def test_a_token_ceiling_counts_cached_prompt_tokens():
    result = await Workflow("w", state=S, steps=[read_cached] * 5).run(
        S(), budget=Budget(max_tokens=300)
    )
    assert result.status == "aborted" and result.state.n == 3 and result.tokens == 360
