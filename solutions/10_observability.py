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
#       concurrency: 4
#       seed: 0
#       time_scale: 0.0
# ---

# %% [markdown]
# # Exercise 10 · Name the culprit from the traces, and write the test that would have caught it
#
# The interview task: *"Answers got worse after the last release of our 5-step support
# pipeline. Here are the traces of last week's runs and of this week's. Which step is to
# blame? And what test would have stopped the release?"* You get the pipeline of chapter 10
# (`orchestra/examples/support.py`) as it ran before, and as it ran after **two** different
# releases, each on the 60 golden tickets. Each task ends with a cell tagged `check` that fails
# until the task is done. Grade your work with `make grade` (or
# `make grade NB=exercises/10_observability.ipynb`).
#
# Use the traces only: `first_wrong(trace, golden(ticket))` (chapter 10) names the first step
# whose output disagrees with a ticket's golden answer, `result.trace.steps()` lists the step
# spans, `result.trace.changes()` the per-step diff of the state.

# %% tags=["parameters"]
backend = "sim"  # the releases are staged on the simulator: offline only
seed = 0  # the simulator's seed (the checks' margins are measured at 0)
concurrency = 8  # runs in flight at once
time_scale = 0.0  # wall-clock seconds per simulated second (0: as fast as possible)

# %%
import asyncio
from collections import Counter
from dataclasses import replace

from orchestra import datasets, sim
from orchestra.examples.support import STEPS, Case, Models, first_wrong, golden, pipeline

HAIKU = "claude-haiku-5-5"
simulator = sim.start(seed=seed, time_scale=time_scale)
tickets = datasets.load("tickets")
# last week: a cheap classifier (its mistakes known and accepted), and a draft budget with room
# for the model's thinking and the reply (chapter 10's fix)
before = Models(classify=HAIKU, draft_max_tokens=2048)
releases = {
    "release A": replace(before, draft=HAIKU, draft_effort="low"),  # the draft, cheaper twice
    "release B": replace(before, urgency=HAIKU),
}


async def run(models):
    return await pipeline(models).run_many(
        [Case(text=t["text"]) for t in tickets], concurrency=concurrency
    )


runs = {"before": await run(before)} | {name: await run(m) for name, m in releases.items()}
for name, results in runs.items():
    right = sum(
        first_wrong(r.trace, golden(t)) is None for r, t in zip(results, tickets, strict=True)
    )
    print(f"{name:10s} {right} of {len(tickets)} answers right")

# %% [markdown]
# ## Task 1 · Which step is to blame?
#
# `culprit(old, new)` takes the results of the runs before and after a release (the same
# tickets, in the same order) and returns the name of the step the release broke. Careful: the
# pipeline was not perfect before either. A step that was already often wrong last week is not
# to blame for this week.


# %%
### BEGIN SOLUTION
def culprit(old, new):
    def firsts(results):
        return Counter(
            first_wrong(r.trace, golden(t)) for r, t in zip(results, tickets, strict=True)
        )

    was, now = firsts(old), firsts(new)
    return max(STEPS, key=lambda step: now[step] - was[step])


### END SOLUTION
### BEGIN STUB
# def culprit(old, new):
#     # TODO: from the traces, the step this release made worse
#     raise NotImplementedError
### END STUB

# %% tags=["check"]
# check 1: the culprit of each release is the step whose model the release changed
for name, models in releases.items():
    changed = [
        s for s in ("classify", "urgency", "draft") if getattr(models, s) != getattr(before, s)
    ]
    got = culprit(runs["before"], runs[name])
    assert got == changed[0], (
        f"{name}: you named {got!r}, but the release changed the model of {changed[0]!r}. "
        f"Count, per step, how often it is the first to go wrong, before and after"
    )

# %% [markdown]
# ## Task 2 · The test that would have caught it
#
# `test_release(results)` is an integration test over the golden tickets: given one version's
# results, it raises `AssertionError` (with a message saying which step and by how much) when
# that version should not ship. It must pass on last week's version and fail on both releases.
# Measure a step's accuracy over the tickets that *reached* it right (the steps before it did
# their job), so that one step's mistakes are not counted against the next.

# %%
### BEGIN SOLUTION
THRESHOLDS = {"classify": 0.75, "urgency": 0.82, "draft": 0.88}


def test_release(results):
    firsts = [first_wrong(r.trace, golden(t)) for r, t in zip(results, tickets, strict=True)]
    for step, least in THRESHOLDS.items():
        reached = [f for f in firsts if f is None or STEPS.index(f) >= STEPS.index(step)]
        right = sum(f != step for f in reached) / len(reached)
        assert right >= least, f"{step}: {right:.0%} right of {len(reached)}, below {least:.0%}"


### END SOLUTION
### BEGIN STUB
# def test_release(results):
#     # TODO: assert each step's accuracy on the golden tickets; raise AssertionError when a
#     # version should not ship
#     raise NotImplementedError
### END STUB

# %% tags=["check"]
# check 2: the test passes on last week's version and fails on both releases
try:
    test_release(runs["before"])
except AssertionError as exc:
    raise AssertionError(f"your test fails on last week's version, which shipped: {exc}") from None
for name in releases:
    try:
        test_release(runs[name])
    except AssertionError:
        continue
    raise AssertionError(f"your test passes on {name}: it would have let the regression ship")

# %% [markdown]
# ## Interview question
#
# *"Your alert on the draft step's failure rate fired at 3 a.m. and stopped by itself at
# 3:20. What do you do in the morning, and what do you change?"*
#
# Write your answer in the next cell, as the string `answer`, in 4–8 sentences: what you
# read in the traces, how you tell a real incident from a false alarm, and what you would
# change in the rule or in the pipeline. Then run the cell after it, and score yourself
# against the points a strong answer makes.

# %% tags=["answer-10"]
### BEGIN SOLUTION
answer = """
Pull the traces of the failed draft executions between 3:00 and 3:20: their errors (529s from
the provider, timeouts, a cut answer refused), the model and the attempts. If the errors are
the provider's and spread over every step that calls it, it was a provider incident: check
the provider's status page, and whether retries with backoff or a fallback model would have
absorbed it (the runs that failed are the cost). If only the draft step failed, look for what
changed there (a prompt, a model, max_tokens) and replay a failed run. A false alarm is one
where the rate stayed within what the baseline allows: measure the rule's false-alarm rate on
last month's traces, and add a "for" clause (fire after the condition holds for several
evaluations) or a longer window if one-off crossings page someone at night. Then write the
post-mortem from the traces: timeline, first failing step, cause, fix, and the test or alert
that would catch it sooner.
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
    "reads the traces of the failed executions: errors, model, attempts, which steps failed",
    "separates a provider incident (every step calling it) from a change in one step",
    "checks the rate against the baseline: real incident or a crossing the rule allows",
    "measures the rule's false-alarm rate on history; a 'for' clause or a longer window",
    "names a pipeline fix: retries with backoff, a fallback model, or the step's own bug",
    "writes a post-mortem from the traces, with the test or alert that catches it sooner",
]
MODEL_ANSWER = """Open the traces of the failed executions: the errors, the model, the attempts,
and which steps failed. Errors from the provider spread over every step that calls it point to a
provider incident (its status page; would retries with backoff or a fallback model have absorbed
it?); failures in one step only point to a change there (a prompt, a model, max_tokens): replay a
failed run. Then check the rate against the baseline: a crossing the rule allows is a false alarm,
so measure the rule's false-alarm rate on past traces and add a 'for' clause or a longer window.
Write the post-mortem from the traces, with the test or alert that would catch it sooner."""
await review(answer, RUBRIC, MODEL_ANSWER, backend=backend)

# %%
simulator.stop()
