"""Evaluator-optimizer: generate -> grade against a rubric -> regenerate with the feedback (chapter 04).

One model writes, another grades the draft against a rubric and says what is missing; the
writer tries again with that feedback and its previous draft, until the grade reaches a
threshold. Every loop has a bound: ``max_iterations`` here, and a ``Budget`` when you run it::

    loop(generate, evaluate, until=score >= threshold, max_iterations=4)

What stops it, and how the run says so:

- the grade reaches ``threshold``: status ``completed``;
- ``max_iterations`` rounds without reaching it: with ``on_limit="continue"`` (the default here)
  the best effort is kept, status ``completed`` and the loop listed in ``result.degraded``;
  with ``on_limit="abort"`` status ``aborted`` and a ``LoopLimitError`` reason;
- the budget is spent: status ``aborted``, the last draft kept, a reason naming the budget.

    >>> wf = optimizer(LLM("claude-haiku-5-5"), LLM("claude-sonnet-5-5"), threshold=0.9)
    >>> result = await wf.run(Draft(product="Aurora X2", points=["USB-C charging"]),
    ...                       budget=Budget(max_cost_usd=0.01))
    >>> result.state.scores, iterations(result)
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from orchestra.compose import loop
from orchestra.policies import Retry
from orchestra.steps import Context, step
from orchestra.workflow import RunResult, Workflow

__all__ = ["Draft", "Grade", "write_prompt", "rubric_prompt", "optimizer", "iterations"]


class Draft(BaseModel):
    """The brief, the current draft and its grade; ``scores`` keeps one grade per round."""

    product: str
    points: list[str]
    """What the description must mention."""
    max_words: int = 60
    draft: str = ""
    score: float = 0.0
    """The last grade, 0..1: the mean of the rubric lines."""
    feedback: list[str] = []
    """The grader's advice on the last draft, one line per unmet rubric line."""
    scores: list[float] = []


class Grade(BaseModel):
    """A draft's grade against the rubric."""

    total: float = Field(ge=0, le=1)
    """Mean of the rubric lines' scores, 0..1."""
    feedback: list[str]
    """One line of advice per rubric line the draft does not meet."""


def write_prompt(s: Draft) -> str:
    """The writer's prompt: the brief, plus the feedback and previous draft after round one."""
    brief = (
        f"Write a product description for the {s.product} in at most {s.max_words} words. "
        f"It must mention: {', '.join(s.points)}."
    )
    if not s.draft:
        return brief
    advice = "\n".join(f"- {line}" for line in s.feedback)
    return f"{brief}\nFeedback:\n{advice}\nPrevious draft: {s.draft}"


def rubric_prompt(s: Draft) -> str:
    """The grader's prompt: one rubric line per required point, plus the word limit."""
    lines = [f"- Mentions {p}" for p in s.points] + [f"- At most {s.max_words} words"]
    return (
        "Score the following text against this rubric:\n" + "\n".join(lines) + f"\nDraft: {s.draft}"
    )


def optimizer(
    writer,
    grader,
    *,
    threshold: float = 0.9,
    max_iterations: int = 4,
    on_limit: Literal["abort", "continue"] = "continue",
    retry: Retry | None = Retry(max_attempts=3, base_delay=0.01, seed=0),
) -> Workflow:
    """A write -> grade loop that stops at ``threshold`` or after ``max_iterations`` rounds.

    >>> result = await optimizer(haiku, sonnet, threshold=0.9).run(Draft(...))
    """

    @step(retry=retry)
    async def generate(state: Draft, ctx: Context) -> dict:
        reply = await ctx.llm(writer).ask(write_prompt(state))
        return {"draft": reply.text}

    @step(retry=retry)
    async def evaluate(state: Draft, ctx: Context) -> dict:
        reply = await ctx.llm(grader).ask(rubric_prompt(state), schema=Grade)
        grade = reply.data
        return {
            "score": grade.total,
            "feedback": grade.feedback,
            "scores": [*state.scores, grade.total],
        }

    return Workflow(
        "evaluator_optimizer",
        state=Draft,
        steps=[
            loop(
                generate,
                evaluate,
                until=lambda s: s.score >= threshold,
                max_iterations=max_iterations,
                on_limit=on_limit,
            )
        ],
    )


def iterations(result: RunResult) -> list[dict]:
    """One row per round of the loop: its grade, and its cost and tokens from the trace.

    >>> iterations(result)[0]
    {'iteration': 1, 'score': 0.75, 'cost_usd': 0.0011, 'tokens': 412, 'model_s': 2.1}
    """
    rows = []
    for i, score in enumerate(result.state.scores):
        spans = [s for s in result.trace.steps() if s.key.startswith(f"00.loop[{i}].")]
        rows.append(
            {
                "iteration": i + 1,
                "score": score,
                "cost_usd": sum(s.cost_usd for s in spans),
                "tokens": sum(s.input_tokens + s.output_tokens for s in spans),
                "model_s": sum(s.model_s for s in spans),
            }
        )
    return rows
