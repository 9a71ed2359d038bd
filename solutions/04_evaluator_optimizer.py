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
import random

import pandas as pd

from orchestra import LLM, Budget, RunResult, Workflow, datasets, loop, sim, step
from orchestra.errors import BudgetExceededError
from orchestra.exercise import attempt, shown
from orchestra.patterns.evaluator import Draft, Grade, rubric_prompt

simulator = sim.start(seed=seed, time_scale=time_scale) if backend == "sim" else None
writer, grader = LLM(writer_model, backend=backend), LLM(grader_model, backend=backend)
briefs = [Draft(product=p["product"], points=p["must_mention"]) for p in datasets.load("products")]
briefs = briefs[:n_briefs]

# %% [markdown]
# The checks call your functions through `attempt` (`orchestra/exercise.py`): if your code
# raises, the failure names the call that raised, with its input in full and the line of yours
# it came from.


# %% jupyter={"source_hidden": true}
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
# `good_enough(state)` is the loop's stop condition: the last grade reached `threshold` (the
# notebook's parameter: a grade equal to it is good enough).


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
#     raise NotImplementedError("task 1: write rewrite_prompt()")
#
#
# def good_enough(state: Draft) -> bool:
#     # TODO: the stop condition
#     raise NotImplementedError("task 1: write good_enough()")
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
# check 1: the prompt carries the feedback and the previous draft, the loop stops at the first good draft
def _prompt(d: Draft) -> str:
    """The check's own reference: the prompt in the shape the task gives."""
    brief = (
        f"Write a product description for the {d.product} in at most {d.max_words} words. "
        f"It must mention: {', '.join(d.points)}."
    )
    if not d.draft:
        return brief
    return (
        brief
        + "\nFeedback:\n"
        + "\n".join(f"- {x}" for x in d.feedback)
        + (f"\nPrevious draft: {d.draft}")
    )


rng = random.Random(6)
states = [
    briefs[0],
    briefs[0].model_copy(update={"draft": "Meet it.", "feedback": ["Mention USB-C charging"]}),
]
for _ in range(30):
    points = rng.sample(["USB-C charging", "a 2-year warranty", "dimmable", "IP67", "12 h"], 3)
    d = Draft(product=rng.choice(["Halo lamp", "Orbit kettle", "Mesa desk"]), points=points)
    d = d.model_copy(update={"max_words": rng.randint(3, 150)})
    if rng.random() < 0.7:  # after round one: a draft, and the grader's advice on it
        advice = [f"Mention {p}" for p in rng.sample(points, rng.randint(1, 3))]
        d = d.model_copy(update={"draft": f"Draft {rng.randint(1, 99)}.", "feedback": advice})
    states.append(d)
for d in states:
    before = d.model_dump()
    got, want = await attempt(rewrite_prompt, d), _prompt(d)
    assert got == want, (
        f"{shown(rewrite_prompt, d)} returned\n{got!r}\n  expected\n{want!r}"
        + ("\n  (the first draft has no feedback to give yet)" if not d.draft else "")
        + ("\n  (after round one: the feedback lines, then the previous draft)" if d.draft else "")
    )
    assert d.model_dump() == before, f"rewrite_prompt changed the state it was given: {d}"
# the stop condition reads `threshold`: the check moves it and tries grades around it
kept = threshold
try:
    for threshold in (kept, 0.5, 0.97):
        for score in (0.0, threshold - 0.01, threshold, threshold + 0.01, 1.0):
            d = briefs[0].model_copy(update={"score": score, "scores": [score]})
            got = await attempt(good_enough, d)
            assert got == (score >= threshold), (
                f"with threshold = {threshold}, {shown(good_enough, d)} returned {got!r}; "
                f"expected {score >= threshold} (a grade equal to the threshold is good enough; "
                f"read the notebook's `threshold`, not a number typed in)"
            )
finally:
    threshold = kept
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
print(
    f"check 1 passed: {len(states)} prompts, the stop condition at 3 thresholds; mean grade "
    f"{first:.2f} after one round, {final:.2f} at the end"
)


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
before = impossible.model_dump()
for rounds in (1, 3):
    result = await bounded(attempt(polish, impossible, max_iterations=rounds))
    assert len(result.state.scores) == rounds and result.state.draft, (
        f"{shown(polish, impossible, max_iterations=rounds)}: an unreachable brief ran "
        f"{len(result.state.scores)} round(s) (grades {result.state.scores}); expected {rounds} "
        f"round(s) and the last draft kept"
    )
assert impossible.model_dump() == before, (
    f"polish changed the brief it was given: before {before}, after {impossible.model_dump()}; "
    f"the caller's brief is theirs (the run's state is a copy)"
)
capped = await bounded(attempt(polish, impossible, max_iterations=50, budget_usd=0.003))
assert capped.status == "aborted" and isinstance(capped.error, BudgetExceededError), (
    f"{shown(polish, impossible, max_iterations=50, budget_usd=0.003)}: expected the budget to "
    f"stop the run (status aborted, a BudgetExceededError), got status {capped.status} after "
    f"{len(capped.state.scores)} round(s) and ${capped.cost_usd:.4f}"
)
# the threshold is polish's argument: 0 stops after one round, above 1 runs every round
for t, rounds in ((0.0, 1), (1.01, 2)):
    r = await bounded(attempt(polish, briefs[1], threshold=t, max_iterations=2))
    assert len(r.state.scores) == rounds, (
        f"{shown(polish, briefs[1], threshold=t, max_iterations=2)} ran "
        f"{len(r.state.scores)} round(s), grades {r.state.scores}; expected {rounds}: the loop "
        f"must stop at the threshold it is given, not the notebook's {threshold}"
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
# keep the results in `runs_at`: a dict from `t` to the list of `RunResult`s. Build `curve` from
# it: a DataFrame indexed by `t` (index name `threshold`) with the columns `mean grade` (the
# final grade of each run, averaged) and `mean cost ($)` (each run's `cost_usd`, averaged).

# %%
### BEGIN SOLUTION
runs_at = {}
for t in (0.6, 0.7, 0.8, 0.9, 1.0):
    runs_at[t] = await asyncio.gather(*(polish(b, threshold=t, budget_usd=0.05) for b in briefs))
curve = pd.DataFrame(
    [
        {
            "threshold": t,
            "mean grade": sum(r.state.score for r in runs) / len(runs),
            "mean cost ($)": sum(r.cost_usd for r in runs) / len(runs),
        }
        for t, runs in runs_at.items()
    ]
).set_index("threshold")
### END SOLUTION
### BEGIN STUB
# runs_at = {}  # TODO: threshold -> [the RunResult of polish(b, threshold=t) for each brief]
# curve = None  # TODO: a DataFrame indexed by threshold: mean grade, mean cost ($)
### END STUB
curve

# %% tags=["check"]
# check 3: the curve is measured over the five thresholds, each point the mean of its runs
assert isinstance(curve, pd.DataFrame), (
    f"curve is {type(curve).__name__}, not a DataFrame: write task 3's first cell"
)
assert [round(t, 2) for t in curve.index] == [0.6, 0.7, 0.8, 0.9, 1.0], (
    f"curve is indexed by {list(curve.index)}; expected the thresholds 0.6 to 1.0"
)
assert {"mean grade", "mean cost ($)"} <= set(curve.columns), (
    f"curve has the columns {list(curve.columns)}; expected 'mean grade' and 'mean cost ($)'"
)
assert sorted(round(t, 2) for t in runs_at) == [0.6, 0.7, 0.8, 0.9, 1.0], (
    f"runs_at has the keys {sorted(runs_at)}; expected the thresholds 0.6 to 1.0"
)
for t, runs in runs_at.items():
    assert len(runs) == len(briefs), f"runs_at[{t}] holds {len(runs)} runs for {len(briefs)} briefs"
    for r in runs:  # a run polished at t went on while its grade stayed under t
        early = [x for x in r.state.scores[:-1] if x >= t]
        assert not early and (r.state.score >= t or len(r.state.scores) == 4 or r.error), (
            f"runs_at[{t}]: a run with grades {r.state.scores} did not stop at threshold {t}: "
            f"was polish called with threshold={t} (and max_iterations=4)?"
        )
    grade = sum(r.state.score for r in runs) / len(runs)
    cost = sum(r.cost_usd for r in runs) / len(runs)
    row = curve.loc[t]
    assert abs(row["mean grade"] - grade) < 1e-9, (
        f"curve at {t}: mean grade {float(row['mean grade'])!r}; the final grades of runs_at[{t}], "
        f"{[r.state.score for r in runs]}, average {grade!r} (the last grade of each run, "
        f"not its first, averaged over the briefs)"
    )
    assert abs(row["mean cost ($)"] - cost) < 1e-12, (
        f"curve at {t}: mean cost ($) {float(row['mean cost ($)'])!r}; the costs of runs_at[{t}], "
        f"{[round(r.cost_usd, 6) for r in runs]}, average {cost!r} (a mean per brief, not "
        f"their total)"
    )
print(f"check 3 passed: {len(curve)} thresholds, each the mean of {len(briefs)} runs")

# %% [markdown]
# Then write `pick(curve, target)`: **the cheapest threshold whose mean grade reaches `target`**
# (a mean grade equal to the target reaches it; between equally cheap ones, the lower
# threshold), or, if none does, the one with the highest mean grade (again the lower on a tie).
# The cell ships `THRESHOLD = pick(curve, target)`; print one sentence that justifies it with
# the numbers.


# %%
def pick(curve: pd.DataFrame, target: float) -> float:
    ### BEGIN SOLUTION
    good = curve[curve["mean grade"] >= target]
    best = good["mean cost ($)"].idxmin() if len(good) else curve["mean grade"].idxmax()
    return float(best)
    ### END SOLUTION
    ### BEGIN STUB
    # # TODO: the cheapest threshold reaching target, else the highest mean grade
    # raise NotImplementedError("task 3: write pick()")
    ### END STUB


THRESHOLD = pick(curve, target)
### BEGIN SOLUTION
print(
    f"THRESHOLD = {THRESHOLD}: mean grade {curve.loc[THRESHOLD, 'mean grade']:.3f} for "
    f"${curve.loc[THRESHOLD, 'mean cost ($)']:.5f} per product; the strictest threshold costs "
    f"${curve['mean cost ($)'].iloc[-1]:.5f} for {curve['mean grade'].iloc[-1]:.3f}."
)
### END SOLUTION
### BEGIN STUB
# # TODO: print one sentence that justifies THRESHOLD with the numbers
### END STUB


# %% tags=["check"]
# check 4: pick() is the cheapest good threshold, on your curve and on curves it has not seen
def _pick(curve, target):
    """The check's own reference: cheapest reaching the target (lower on a tie), else best grade."""
    rows = sorted(curve.iterrows(), key=lambda kv: kv[0])
    good = [(row["mean cost ($)"], t) for t, row in rows if row["mean grade"] >= target]
    if good:
        return float(min(good)[1])
    return float(max(rows, key=lambda kv: (kv[1]["mean grade"], -kv[0]))[0])


def _curve(grades, costs):
    frame = pd.DataFrame({"mean grade": grades, "mean cost ($)": costs})
    return frame.set_index(pd.Index([0.6, 0.7, 0.8, 0.9, 1.0], name="threshold"))


rng = random.Random(7)
tables = [
    (curve, target),  # yours
    (_curve([0.8, 0.9, 0.97, 0.98, 0.99], [1, 2, 3, 4, 5]), 0.97),  # equal to the target
    (_curve([0.8, 0.9, 0.96, 0.98, 0.99], [1, 2, 3, 4, 5]), 0.97),
    (_curve([0.97, 0.98, 0.99, 0.99, 1.0], [5, 4, 3, 3, 9]), 0.97),  # cheaper further up; a tie
    (_curve([0.5, 0.6, 0.7, 0.7, 0.65], [1, 2, 3, 4, 5]), 0.97),  # none reaches: best grade
    (_curve([0.9, 0.9, 0.9, 0.9, 0.9], [2, 2, 2, 2, 2]), 0.85),  # all tied
]
for _ in range(30):
    grades = [round(rng.uniform(0.6, 1.0), 2) for _ in range(5)]
    costs = [round(rng.uniform(0.001, 0.01), 4) for _ in range(5)]
    tables.append((_curve(grades, costs), rng.choice([0.8, 0.9, 0.95, grades[2]])))
for table, goal in [
    (t, g) for t, g in tables if isinstance(t, pd.DataFrame)
]:  # (yours, once written)
    before = table.copy()
    got, want = await attempt(pick, table, goal), _pick(before, goal)
    assert table.equals(before), (
        f"pick(curve, {goal}) changed the curve it was given, from\n{before}\n  to\n{table}\n  "
        f"the caller's table is theirs: sort or filter a copy"
    )
    assert got is not None and abs(got - want) < 1e-9, (
        f"pick(curve, {goal}) returned {got!r}; expected {want} for the curve\n{table}\n  "
        + (
            f"(the cheapest threshold with a mean grade of at least {goal}; on a tie, the lower)"
            if (table["mean grade"] >= goal).any()
            else f"(no threshold reaches {goal}: the highest mean grade, the lower on a tie)"
        )
    )
assert isinstance(curve, pd.DataFrame), "curve is not a DataFrame: write task 3's first cell"
assert THRESHOLD is not None and abs(THRESHOLD - _pick(curve, target)) < 1e-9, (
    f"THRESHOLD = {THRESHOLD}, but your curve gives {_pick(curve, target)}: keep "
    f"THRESHOLD = pick(curve, target), not a number read off the table"
)
print(f"check 4 passed: pick() on {len(tables)} curves; ship threshold {THRESHOLD}")


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
