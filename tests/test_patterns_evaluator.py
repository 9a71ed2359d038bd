"""Tests for orchestra.patterns.evaluator: the bounded write -> grade -> rewrite loop."""

import asyncio

from orchestra import LLM, Budget
from orchestra.errors import BudgetExceededError, LoopLimitError
from orchestra.patterns.evaluator import Draft, iterations, optimizer, rubric_prompt, write_prompt

BRIEF = dict(
    product="Aurora X2",
    points=["adjustable colour temperature", "USB-C charging", "two-year warranty"],
)


def test_loop_stops_once_the_grade_reaches_the_threshold(sim):
    wf = optimizer(LLM("claude-haiku-5-5"), LLM("claude-sonnet-5-5"), threshold=0.9)
    result = asyncio.run(wf.run(Draft(**BRIEF)))
    assert result.status == "completed" and result.degraded == []
    assert result.state.scores[-1] >= 0.9 and all(s < 0.9 for s in result.state.scores[:-1])
    rows = iterations(result)
    assert [r["iteration"] for r in rows] == list(range(1, len(result.state.scores) + 1))
    assert abs(sum(r["cost_usd"] for r in rows) - result.cost_usd) < 1e-12


def test_unreachable_rubric_hits_max_iterations(sim):
    impossible = Draft(**BRIEF, max_words=3)  # three points never fit in three words
    haiku, sonnet = LLM("claude-haiku-5-5"), LLM("claude-sonnet-5-5")
    kept = asyncio.run(optimizer(haiku, sonnet, max_iterations=3).run(impossible))
    assert kept.status == "completed" and kept.degraded == ["00.loop"]
    assert len(kept.state.scores) == 3
    stopped = asyncio.run(
        optimizer(haiku, sonnet, max_iterations=3, on_limit="abort").run(impossible)
    )
    assert stopped.status == "aborted" and isinstance(stopped.error, LoopLimitError)


def test_budget_stops_the_loop_and_keeps_the_last_draft(sim):
    wf = optimizer(LLM("claude-haiku-5-5"), LLM("claude-sonnet-5-5"), max_iterations=10)
    result = asyncio.run(wf.run(Draft(**BRIEF, max_words=3), budget=Budget(max_cost_usd=0.004)))
    assert result.status == "aborted" and isinstance(result.error, BudgetExceededError)
    assert result.state.draft and len(result.state.scores) < 10
    assert "budget" in result.reason


def test_prompts_carry_feedback_and_previous_draft():
    first = Draft(**BRIEF)
    assert "Feedback" not in write_prompt(first)
    again = first.model_copy(update={"draft": "Meet it.", "feedback": ["Mention USB-C charging"]})
    assert "Feedback:\n- Mention USB-C charging\nPrevious draft: Meet it." in write_prompt(again)
    assert "- At most 60 words" in rubric_prompt(again)
