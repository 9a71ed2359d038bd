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
#     test_parameters:
#       seed: 1
#       time_scale: 0.0
# ---

# %% [markdown]
# # Exercise 04 · Evaluator-optimizer
#
# Implement the feedback loop of chapter 04, then fix a loop that never stops. Each task ends
# with a cell tagged `check` that runs your code against the simulator and fails until the task
# is done. Grade your work with `make grade` (or `make grade NB=exercises/04_evaluator_optimizer.ipynb`).
#
# Read `orchestra/patterns/evaluator.py` first: you reuse its `Draft` state, its `Grade`
# contract and its `rubric_prompt`.

# %% tags=["parameters"]
backend = "sim"  # "sim": offline simulator; "anthropic": real Claude
writer_model = "claude-haiku-4-5"
grader_model = "claude-sonnet-4-5"
threshold = 0.9
seed = 0
time_scale = 0.0

# %%
import asyncio
from pathlib import Path

import nbformat

from orchestra import LLM, Budget, Workflow, datasets, loop, sim, step
from orchestra.errors import BudgetExceededError
from orchestra.patterns.evaluator import Draft, Grade, rubric_prompt

simulator = sim.start(seed=seed, time_scale=time_scale) if backend == "sim" else None
writer, grader = LLM(writer_model, backend=backend), LLM(grader_model, backend=backend)
briefs = [Draft(product=p["product"], points=p["must_mention"]) for p in datasets.load("products")]


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
    prompt
)
assert "Feedback" not in rewrite_prompt(briefs[0])
results = await asyncio.gather(*(refine.run(b) for b in briefs[:6]))
first = sum(r.state.scores[0] for r in results) / len(results)
final = sum(r.state.score for r in results) / len(results)
assert final >= first + 0.2 and final >= 0.85, (first, final)
for r in results:
    assert all(s < threshold for s in r.state.scores[:-1]), r.state.scores
print(f"check 1 passed: mean grade {first:.2f} after one round, {final:.2f} at the end")


# %% [markdown]
# ## Task 2 · The loop that never stops
#
# `polish` below is the evaluator-optimizer as many tutorials write it. Given a brief it cannot
# satisfy (three required points in 3 words), it runs forever, paying for every round. Rewrite it
# on the engine: the `loop` node with `max_iterations`, and the run given a `Budget` of
# `budget_usd`. Keep the signature; return the `RunResult`. (A bounded loop that hits its bound
# may keep the last draft: `on_limit="continue"`.)


# %%
async def polish(brief: Draft, *, max_iterations: int = 4, budget_usd: float = 0.01):
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


# %% tags=["check"]
# check 2: an unreachable brief stops at max_iterations, and a small budget stops it sooner
impossible = briefs[0].model_copy(update={"max_words": 3})
async with asyncio.timeout(5):
    result = await polish(impossible, max_iterations=3)
assert len(result.state.scores) == 3 and result.state.draft, result.state.scores
async with asyncio.timeout(5):
    capped = await polish(impossible, max_iterations=50, budget_usd=0.003)
assert capped.status == "aborted" and isinstance(capped.error, BudgetExceededError), capped.reason
print("check 2 passed:", len(result.state.scores), "rounds, then", capped.reason.split(";")[0])

# %% [markdown]
# ## Task 3 · Interview question
#
# *"Your evaluator-optimizer loop in production costs three times what you budgeted. What do you
# look at first, and what do you change?"*
#
# Write your answer in the next markdown cell (tagged `answer-04`), in 4–8 sentences.

# %% [markdown] tags=["answer-04"] stub="_Your answer here._"
# First, find where the money goes: per-round cost from the trace, split between writer and
# grader. Usually the grader dominates (a long rubric prompt on a strong model, paid every
# round) and most runs gain little after round two (diminishing returns). Changes, cheapest
# first: bound the loop twice, with a lower `max_iterations` and a per-item cost `budget`
# (Budget) that stops the run and keeps the last draft; replace LLM-graded criteria that are
# checkable in code (mentions, word counts) by deterministic checks; use a cheaper grader model,
# after checking it against human labels; revisit the threshold (is 0.9 needed, or is 0.75
# enough?); and compare with a stronger one-pass writer. Each trades some quality for cost, so
# measure grade against cost per round before and after.

# %% tags=["check"]
# check 3: the interview answer is written and covers the key ideas
book = nbformat.read(Path("04_evaluator_optimizer.ipynb"), as_version=4)
text = next(c.source for c in book.cells if "answer-04" in c.metadata.get("tags", []))
assert len(text.split()) >= 50, "write 4-8 sentences"
keys = ("max_iterations", "budget", "grader", "diminishing", "threshold", "per round", "cheaper")
assert sum(k in text.lower() for k in keys) >= 3
print("check 3 passed")

# %%
await writer.aclose()
await grader.aclose()
if simulator:
    simulator.stop()
