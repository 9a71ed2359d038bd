# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: orchestra,-jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python (orchestra)
#     language: python
#     name: orchestra
#   orchestra:
#     mutant_parameters:
#       seed: 0
#       time_scale: 0.0
#     test_parameters:
#       n_briefs: 5
#       seed: 1
#       time_scale: 0.0
# ---

# %% [markdown]
# # Exercise 04 · Evaluator-optimizer: bounded by rounds and by cost
#
# The interview task: *"Here is a write → grade → rewrite loop from a tutorial. Make it safe to
# run in production, and tell me what threshold to ship with."* Implement the feedback loop,
# bound it twice (rounds and dollars), then pick the stopping threshold from a measured
# quality/cost curve. Each task ends with a cell tagged `check` that runs your code against the
# simulator and fails until the task is done; an interview question closes, scored against a
# rubric. Grade your work with `make grade` (or
# `make grade NB=exercises/04_evaluator_optimizer.ipynb`).
#
# Read `orchestra/patterns/evaluator.py` first: you reuse its `Draft` state, its `Grade`
# contract and its `rubric_prompt`.

# %% tags=["parameters"]
backend = "sim"  # "sim": offline simulator; "anthropic": real Claude
writer_model = "claude-haiku-5-5"
grader_model = "claude-sonnet-5-5"
threshold = 0.9  # the loop's default stopping grade (0..1)
target = 0.97  # task 3: the mean grade the business asks for
n_briefs = 6  # briefs measured in tasks 1 and 3
seed = 0
time_scale = 0.0  # wall-clock seconds per simulated second (0: as fast as possible)

# %%
import asyncio

import pandas as pd

from orchestra import LLM, Budget, RunResult, Workflow, datasets, loop, sim, step
from orchestra.errors import BudgetExceededError
from orchestra.patterns.evaluator import Draft, Grade, rubric_prompt

simulator = sim.start(seed=seed, time_scale=time_scale) if backend == "sim" else None
writer, grader = LLM(writer_model, backend=backend), LLM(grader_model, backend=backend)
briefs = [Draft(product=p["product"], points=p["must_mention"]) for p in datasets.load("products")]
briefs = briefs[:n_briefs]


@step
async def evaluate(state: Draft) -> dict:
    grade = (await grader.ask(rubric_prompt(state), schema=Grade)).data
    return {
        "score": grade.total,
        "feedback": grade.feedback,
        "scores": [*state.scores, grade.total],
    }


# %% [markdown]
# ## Task 1 · Feedback injection and the stop condition
#
# `rewrite_prompt(state)` is the writer's prompt. The first draft gets the brief:
#
#     Write a product description for the <product> in at most <max_words> words. It must mention: <a, b, c>.
#
# After round one it must also carry the grader's advice and the previous draft, in this shape
# (the simulator, like a real model, uses both):
#
#     Feedback:
#     - Mention USB-C charging
#     Previous draft: <the previous draft>
#
# `good_enough(state)` is the loop's stop condition: the last grade reached `threshold`.


# %%
### BEGIN SOLUTION
def rewrite_prompt(state: Draft) -> str:
    brief = (
        f"Write a product description for the {state.product} in at most {state.max_words} "
        f"words. It must mention: {', '.join(state.points)}."
    )
    if not state.draft:
        return brief
    advice = "\n".join(f"- {line}" for line in state.feedback)
    return f"{brief}\nFeedback:\n{advice}\nPrevious draft: {state.draft}"


def good_enough(state: Draft) -> bool:
    return state.score >= threshold


### END SOLUTION
### BEGIN STUB
# def rewrite_prompt(state: Draft) -> str:
#     # TODO: the brief; after round one, add the feedback lines and the previous draft
#     raise NotImplementedError
#
#
# def good_enough(state: Draft) -> bool:
#     # TODO: the stop condition
#     raise NotImplementedError
### END STUB


# %%
@step
async def generate(state: Draft) -> dict:
    return {"draft": (await writer.ask(rewrite_prompt(state))).text}


refine = Workflow(
    "refine",
    state=Draft,
    steps=[loop(generate, evaluate, until=lambda s: good_enough(s), max_iterations=4)],
)

# %% tags=["check"]
# check 1: feedback reaches the writer, grades improve, and the loop stops at the first good draft
again = briefs[0].model_copy(update={"draft": "Meet it.", "feedback": ["Mention USB-C charging"]})
prompt = rewrite_prompt(again)
assert "Feedback:\n- Mention USB-C charging" in prompt and "Previous draft: Meet it." in prompt, (
    f"after round one the prompt must carry the feedback lines and the previous draft; "
    f"got: {prompt!r}"
)
assert "Feedback" not in rewrite_prompt(briefs[0]), "the first draft has no feedback to give yet"
results = await refine.run_many(briefs)
first = sum(r.state.scores[0] for r in results) / len(results)
final = sum(r.state.score for r in results) / len(results)
assert final >= first + 0.2 and final >= 0.85, (
    f"the mean grade went from {first:.2f} (round 1) to {final:.2f} (end): the rewrites do not "
    f"use the feedback; expected at least +0.2 and 0.85"
)
for r in results:
    assert all(s < threshold for s in r.state.scores[:-1]), (
        f"grades {r.state.scores}: the loop went on after a draft reached {threshold}"
    )
print(f"check 1 passed: mean grade {first:.2f} after one round, {final:.2f} at the end")


# %% [markdown]
# ## Task 2 · The loop that never stops
#
# `polish` below is the evaluator-optimizer as many tutorials write it. Given a brief it cannot
# satisfy (three required points in 3 words), it runs forever, paying for every round. Rewrite it
# on the engine: the `loop` node stopping at `threshold`, with `max_iterations`, and the run
# given a `Budget` of `budget_usd`. Keep the signature; return the `RunResult`. (A bounded loop
# that hits its bound may keep the last draft: `on_limit="continue"`.)
#
# The check also measures the overshoot: a budget is checked before each step, so a run may end
# above it, but by no more than the step that was in flight.


# %%
async def polish(
    brief: Draft,
    *,
    threshold: float = threshold,
    max_iterations: int = 4,
    budget_usd: float = 0.05,
) -> RunResult:
    ### BEGIN SOLUTION
    wf = Workflow(
        "polish",
        state=Draft,
        steps=[
            loop(
                generate,
                evaluate,
                until=lambda s: s.score >= threshold,
                max_iterations=max_iterations,
                on_limit="continue",
            )
        ],
    )
    return await wf.run(brief, budget=Budget(max_cost_usd=budget_usd))
    ### END SOLUTION
    ### BEGIN STUB
    # state = brief
    # while state.score < threshold:
    #     state = state.model_copy(update=await generate(state))
    #     state = state.model_copy(update=await evaluate(state))
    # return state
    ### END STUB


# %%
async def bounded(coro, seconds=30):
    """The check's own guard: a loop with no bound would otherwise hang the notebook."""
    try:
        async with asyncio.timeout(seconds):
            result = await coro
    except TimeoutError:
        raise AssertionError(
            f"polish was still running after {seconds} s: the loop has no bound"
        ) from None
    assert isinstance(result, RunResult), (
        f"polish returned a {type(result).__name__}; expected the RunResult of a workflow run"
    )
    return result


# %% tags=["check"]
# check 2: bounded by rounds and by dollars, the overshoot at most the step in flight
impossible = briefs[0].model_copy(update={"max_words": 3})
result = await bounded(polish(impossible, max_iterations=3))
assert len(result.state.scores) == 3 and result.state.draft, (
    f"an unreachable brief with max_iterations=3 ran {len(result.state.scores)} round(s) "
    f"(grades {result.state.scores}); expected 3 rounds and the last draft kept"
)
capped = await bounded(polish(impossible, max_iterations=50, budget_usd=0.003))
assert capped.status == "aborted" and isinstance(capped.error, BudgetExceededError), (
    f"max_iterations=50 and a $0.003 budget: expected the budget to stop the run, got status "
    f"{capped.status} after {len(capped.state.scores)} round(s) and ${capped.cost_usd:.4f}"
)
dearest = max(s.cost_usd for s in capped.trace.steps())
assert capped.cost_usd - 0.003 <= dearest + 1e-12, (
    f"spent ${capped.cost_usd:.5f} of $0.003: more over budget than one step (${dearest:.5f})"
)
easy = await bounded(polish(briefs[1], max_iterations=6, budget_usd=0.05))
assert easy.status == "completed" and easy.state.score >= threshold, (
    f"a reachable brief with room to spare: expected a completed run at grade >= {threshold}, "
    f"got {easy.status}, grades {easy.state.scores} ({easy.reason})"
)
over = capped.cost_usd / 0.003 - 1
print(
    f"check 2 passed: 3 rounds, then the budget after {len(capped.state.scores)} "
    f"({over:+.0%} of the budget, at most the step in flight)"
)


# %% [markdown]
# ## Task 3 · Ship a threshold
#
# The stopping threshold trades grade for rounds. Measure it: run `polish(b, threshold=t)` on
# every brief for `t` in 0.6, 0.7, 0.8, 0.9 and 1.0 (`max_iterations=4`, `budget_usd=0.05`), and
# build `curve`: a DataFrame indexed by `t` (index name `threshold`) with the columns
# `mean grade` (the final grade of each run, averaged) and `mean cost ($)` (each run's
# `cost_usd`, averaged). Then set `THRESHOLD` to **the cheapest threshold whose mean grade
# reaches `target`** (if none does, the one with the highest mean grade), and print one sentence
# that justifies it with the numbers.

# %%
### BEGIN SOLUTION
rows = []
for t in (0.6, 0.7, 0.8, 0.9, 1.0):
    runs = await asyncio.gather(*(polish(b, threshold=t, budget_usd=0.05) for b in briefs))
    rows.append(
        {
            "threshold": t,
            "mean grade": sum(r.state.score for r in runs) / len(runs),
            "mean cost ($)": sum(r.cost_usd for r in runs) / len(runs),
        }
    )
curve = pd.DataFrame(rows).set_index("threshold")
good = curve[curve["mean grade"] >= target]
THRESHOLD = float(good["mean cost ($)"].idxmin() if len(good) else curve["mean grade"].idxmax())
print(
    f"THRESHOLD = {THRESHOLD}: mean grade {curve.loc[THRESHOLD, 'mean grade']:.3f} for "
    f"${curve.loc[THRESHOLD, 'mean cost ($)']:.5f} per product; the strictest threshold costs "
    f"${curve['mean cost ($)'].iloc[-1]:.5f} for {curve['mean grade'].iloc[-1]:.3f}."
)
### END SOLUTION
### BEGIN STUB
# curve = None  # TODO: a DataFrame indexed by threshold: mean grade, mean cost ($)
# THRESHOLD = None  # TODO: the cheapest threshold that reaches `target`
### END STUB
curve

# %% tags=["check"]
# check 3: the curve is measured over the five thresholds and the pick is the cheapest good one
assert isinstance(curve, pd.DataFrame), f"curve is {type(curve).__name__}, not a DataFrame"
assert [round(t, 2) for t in curve.index] == [0.6, 0.7, 0.8, 0.9, 1.0], (
    f"curve is indexed by {list(curve.index)}; expected the thresholds 0.6 to 1.0"
)
assert {"mean grade", "mean cost ($)"} <= set(curve.columns), (
    f"curve has the columns {list(curve.columns)}; expected 'mean grade' and 'mean cost ($)'"
)
assert (curve["mean cost ($)"] > 0).all() and curve["mean grade"].between(0, 1).all(), curve
reach = curve[curve["mean grade"] >= target]
expected = reach["mean cost ($)"].idxmin() if len(reach) else curve["mean grade"].idxmax()
assert THRESHOLD is not None and abs(THRESHOLD - expected) < 1e-9, (
    f"THRESHOLD = {THRESHOLD}, but the cheapest threshold with a mean grade of at least {target} "
    f"is {expected}: grades {curve['mean grade'].round(3).tolist()}, costs "
    f"{curve['mean cost ($)'].round(5).tolist()}"
)
print(f"check 3 passed: ship threshold {THRESHOLD}")


# %% [markdown]
# ## Task 4 · Interview question
#
# *"Your evaluator-optimizer loop in production costs three times what you budgeted. What do you
# look at first, and what do you change?"*
#
# Write your answer in the next cell, as the string `answer`, in 4–8 sentences, then run
# the cell after it: it shows the points a strong answer makes and a model answer, and you score
# yourself (with `backend = "anthropic"` and a key, Claude grades your answer against the same
# rubric and explains).

# %% tags=["answer-04"]
### BEGIN SOLUTION
answer = """
First, find where the money goes: per-round cost from the trace, split between writer and
grader. Usually the grader dominates (a long rubric prompt on a strong model, paid every
round, and its thinking tokens billed as output) and most runs gain little after round two
(diminishing returns). Changes, cheapest
first: bound the loop twice, with a lower `max_iterations` and a per-item cost budget that
stops the run and keeps the last draft, knowing that a budget checked before each step is
overshot by the step in flight; replace LLM-graded criteria that are checkable in code
(mentions, word counts) by deterministic checks; use a cheaper grader model or a lower
effort, after checking it against human labels; revisit the threshold on a measured quality/cost curve; and compare with
a stronger one-pass writer. Each trades some quality for cost, so measure before and after.
"""
### END SOLUTION
### BEGIN STUB
# answer = """
# _Your answer here._
# """
### END STUB

# %% tags=["rubric"]
# The interview answer: score yourself against the rubric (no automatic pass or fail)
from orchestra.interview import review

RUBRIC = [
    "measures first: cost per round from the traces, split between writer and grader",
    "names diminishing returns: most of the grade comes in the first rounds",
    "bounds the loop twice: max_iterations and a per-item cost budget, and says what happens at each",
    "knows a budget checked before each step is overshot by the step in flight",
    "cuts the grader's cost: deterministic checks for checkable criteria, a cheaper grader or lower effort validated against labels",
    "picks the threshold from a measured quality/cost curve, or a stronger one-pass writer",
]
MODEL_ANSWER = """Measure first: per-round cost from the traces, writer against grader. The grader
usually dominates (a long rubric prompt on a strong model, its thinking billed as output, paid
every round), and the grade gains little after round two. Bound the loop twice, fewer rounds
and a per-item budget that keeps the last draft, knowing a budget checked before each step is
overshot by the step in flight. Grade checkable criteria in code (mentions, word counts), use a
cheaper grader or a lower effort validated against human labels, and pick the threshold from a
measured quality/cost curve; compare with a stronger one-pass writer. Measure again after each
change."""

await review(answer, RUBRIC, MODEL_ANSWER, backend=backend)

# %%
await writer.aclose()
await grader.aclose()
if simulator:
    simulator.stop()
