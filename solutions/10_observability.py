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
# releases, each on the 60 golden tickets.
#
# 1. Name the step a release broke (or none), from the traces.
# 2. Measure each step's accuracy over the tickets that reached it.
# 3. Write the release test that would have stopped both releases, and choose its thresholds.
# 4. Answer an interview question (not graded by the checks: you score it against a rubric).
#
# Each task ends with cells tagged `check` that fail until the task is done; they call your
# functions on the runs below **and** on versions they have not seen, and say what they called,
# what came back and what was expected. Grade your work with `make grade` (or
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
import math
import random
from collections import Counter
from dataclasses import replace

from orchestra import datasets, sim
from orchestra.examples.support import STEPS, Case, Models, first_wrong, golden, pipeline
from orchestra.exercise import called

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
# tickets, in the same order as `tickets`) and returns the name of the step the release broke:
# the step that is the *first* to go wrong on more tickets after the release than before, by
# the largest margin. Careful: the pipeline was not perfect before either, and a step that was
# already often wrong last week is not to blame for this week. Two more rules:
#
# - on a tie, name the earliest of the tied steps in the pipeline (`STEPS` is in run order):
#   its mistakes hide the later step's, so it is the one to look at first;
# - if no step is first wrong more often than before, the release broke nothing: return `None`.
#
# The checks call it on the three runs above, and then on versions it has not seen: each
# generated from the three runs, ticket by ticket (a seeded mix), so that a name read off the
# table above, or a function that ignores `old`, fails.


# %%
### BEGIN SOLUTION
def culprit(old, new):
    def firsts(results):
        return Counter(
            first_wrong(r.trace, golden(t)) for r, t in zip(results, tickets, strict=True)
        )

    was, now = firsts(old), firsts(new)
    worse = {step: now[step] - was[step] for step in STEPS if now[step] > was[step]}
    return max(worse, key=worse.get) if worse else None  # max keeps the first of a tie


### END SOLUTION
### BEGIN STUB
# def culprit(old, new):
#     # TODO: from the traces, the step this release made worse (None if it broke none)
#     raise NotImplementedError("Task 1: write culprit(old, new)")
### END STUB

# %% tags=["check"]
# check 1: culprit names the step each release changed, and None for a release that changed nothing
for name, models in releases.items():
    changed = [
        s for s in ("classify", "urgency", "draft") if getattr(models, s) != getattr(before, s)
    ]
    got = called(f"culprit(runs['before'], runs[{name!r}])", culprit, runs["before"], runs[name])
    assert got == changed[0], (
        f"culprit(runs['before'], runs[{name!r}]) returned {got!r}, but {name} changed the "
        f"model of {changed[0]!r}. Count, per step, how often it is the first to go wrong, "
        f"before and after; the step whose count grew the most is the culprit"
    )
got = called("culprit(runs['before'], runs['before'])", culprit, runs["before"], runs["before"])
assert got is None, (
    f"culprit(runs['before'], runs['before']) returned {got!r}: the same runs before and after, so "
    f"no step got worse; expected None"
)
print("check 1 passed: release A broke 'draft', release B 'urgency', no change names none")


# %% tags=["check"]
# check 2: culprit on 40 generated versions (each ticket's run drawn from the three runs), ties
# and versions that broke nothing included, against a reference computed from the same runs
def firsts_of(results):
    return [first_wrong(r.trace, golden(t)) for r, t in zip(results, tickets, strict=True)]


def reference_culprit(was, now):
    was, now = Counter(was), Counter(now)
    worse = {step: now[step] - was[step] for step in STEPS if now[step] > was[step]}
    return max(worse, key=worse.get) if worse else None


versions = list(runs)  # before, release A, release B
firsts = {name: firsts_of(results) for name, results in runs.items()}
rng = random.Random(10)


def mixed():
    """A version whose i-th ticket ran as in one of the three runs, drawn with random weights."""
    weights = [rng.random() for _ in versions]
    picks = rng.choices(versions, weights=weights, k=len(tickets))
    results = [runs[v][i] for i, v in enumerate(picks)]
    return results, [firsts[v][i] for i, v in enumerate(picks)], Counter(picks)


pairs = [mixed() for _ in range(2)] + [
    (runs[v], firsts[v], Counter({v: len(tickets)})) for v in versions
]
cases = [(pairs[a], pairs[b]) for a in range(len(pairs)) for b in range(len(pairs)) if a != b]
cases += [(mixed(), mixed()) for _ in range(40 - len(cases))]
kinds = Counter()
for n, ((old, was, old_mix), (new, now, new_mix)) in enumerate(cases):
    expected = reference_culprit(was, now)
    grew = [Counter(now)[s] - Counter(was)[s] for s in STEPS]
    kinds["nothing broke"] += expected is None
    kinds["a tie"] += expected is not None and grew.count(max(grew)) > 1
    call = (
        f"culprit(old, new) on generated case {n} (old: tickets from {dict(old_mix)}; "
        f"new: from {dict(new_mix)})"
    )
    got = called(call, culprit, old, new)
    assert got == expected, (
        f"{call} returned {got!r}; expected {expected!r}. Tickets first wrong at each step, "
        f"old: {[Counter(was)[s] for s in STEPS]}, new: {[Counter(now)[s] for s in STEPS]} "
        f"(steps {list(STEPS)}): the culprit is the step whose count grew the most (the "
        f"earliest on a tie), None if none grew"
    )
print(f"check 2 passed: {len(cases)} generated pairs of versions, {dict(kinds)}")

# %% [markdown]
# ## Task 2 · Each step's accuracy, over the tickets that reached it
#
# A release test measures each step on the golden tickets. Measure a step over the tickets that
# *reached* it right (every step before it did its job), so that one step's mistakes are not
# counted against the next: `step_accuracy(firsts)` takes, for each ticket, the step that went
# wrong first (`first_wrong(...)`: a name in `STEPS`, or `None` if the ticket came out right),
# and returns a dict with every step of `STEPS`: the share of the tickets that reached the
# step which it did right, or `None` for a step no ticket reached (no evidence is not 100%).
# An empty list is a version with no tickets: every step `None`. Leave the caller's list as it is.


# %%
### BEGIN SOLUTION
def step_accuracy(firsts):
    accuracy = {}
    for i, step in enumerate(STEPS):
        reached = [f for f in firsts if f is None or STEPS.index(f) >= i]
        accuracy[step] = sum(f != step for f in reached) / len(reached) if reached else None
    return accuracy


### END SOLUTION
### BEGIN STUB
# def step_accuracy(firsts):
#     # TODO: {step: share right of the tickets that reached it, or None if none reached it}
#     raise NotImplementedError("Task 2: write step_accuracy(firsts)")
### END STUB


# %% tags=["check"]
# check 3: step_accuracy against a reference, on the three runs and on 40 generated lists
# (empty, all right, a step no ticket reached), and the caller's list left unchanged
def reference_accuracy(firsts):
    out = {}
    for i, step in enumerate(STEPS):
        reached = [f for f in firsts if f is None or STEPS.index(f) >= i]
        out[step] = (len(reached) - reached.count(step)) / len(reached) if reached else None
    return out


def same(got, expected):
    if not isinstance(got, dict) or set(got) != set(expected):
        return False
    return all(
        g is e if e is None else g is not None and math.isclose(g, e)
        for g, e in ((got[s], expected[s]) for s in expected)
    )


rng = random.Random(11)
lists = {"an empty list (no tickets)": [], "all right": [None] * 3}
lists["no ticket reached the later steps"] = ["classify"] * 2
for n in range(36):
    weights = [rng.random() for _ in range(len(STEPS) + 1)]
    k = rng.randint(1, 12)
    lists[f"generated list {n}"] = rng.choices([*STEPS, None], weights=weights, k=k)
lists |= {f"the first-wrong steps of runs[{v!r}]": list(firsts[v]) for v in versions}
for name, given in lists.items():
    copy = list(given)
    got = called(f"step_accuracy({given!r})", step_accuracy, given)
    expected = reference_accuracy(copy)
    assert given == copy, (
        f"step_accuracy({copy!r}) changed the list it was given into {given!r}: leave the "
        f"caller's list as it is (work on a copy, or only read it)"
    )
    assert same(got, expected), (
        f"step_accuracy({copy!r}) ({name}) returned {got!r}; expected {expected!r} (for each "
        f"step: of the tickets whose first wrong step is None or that step or a later one, the "
        f"share not wrong at it; None where no ticket reached the step)"
    )
print(f"check 3 passed: {len(lists)} lists of first-wrong steps")

# %% [markdown]
# ## Task 3 · The test that would have caught it
#
# `test_release(results, thresholds)` is an integration test over the golden tickets: given one
# version's results, it raises `AssertionError` when a step's accuracy (your `step_accuracy`)
# is below its threshold in `thresholds` (a step at its threshold passes), with a message that
# names the step and says by how much it fell short. Then choose `THRESHOLDS` (for `classify`,
# `urgency` and `draft`) so that the test passes on last week's version and fails on both
# releases.

# %%
### BEGIN SOLUTION
THRESHOLDS = {"classify": 0.75, "urgency": 0.82, "draft": 0.88}


def test_release(results, thresholds):
    accuracy = step_accuracy(
        [first_wrong(r.trace, golden(t)) for r, t in zip(results, tickets, strict=True)]
    )
    low = {s: accuracy[s] for s, least in thresholds.items() if accuracy[s] < least}
    assert not low, "; ".join(
        f"{s}: {accuracy[s]:.1%} right, below its threshold {thresholds[s]:.1%}" for s in low
    )


### END SOLUTION
### BEGIN STUB
# THRESHOLDS = {}  # TODO: {"classify": ..., "urgency": ..., "draft": ...}
#
#
# def test_release(results, thresholds):
#     # TODO: raise AssertionError naming each step whose accuracy is below its threshold
#     raise NotImplementedError("Task 3: write test_release(results, thresholds)")
### END STUB


# %%
def verdict(call, results, thresholds):
    """None if test_release passes, its message if it fails (any other error: a failed check)."""
    try:
        test_release(results, thresholds)
    except AssertionError as exc:
        return str(exc) or "(an AssertionError with no message)"
    except NotImplementedError:
        raise AssertionError(
            f"{call}: test_release is not written yet: write it in Task 3's TODO cell"
        ) from None
    except Exception as exc:
        raise AssertionError(f"{call} raised {type(exc).__name__}: {exc}") from exc
    return None


# %% tags=["check"]
# check 4: with THRESHOLDS, the test passes on last week's version and fails on both releases,
# naming the step each broke
got = verdict("test_release(runs['before'], THRESHOLDS)", runs["before"], THRESHOLDS)
assert got is None, (
    f"test_release(runs['before'], THRESHOLDS) with THRESHOLDS = {THRESHOLDS!r} failed with "
    f"{got!r}, but last week's version shipped: its accuracies are {reference_accuracy(firsts['before'])}"
)
for name, step in (("release A", "draft"), ("release B", "urgency")):
    got = verdict(f"test_release(runs[{name!r}], THRESHOLDS)", runs[name], THRESHOLDS)
    assert got is not None, (
        f"test_release(runs[{name!r}], THRESHOLDS) with THRESHOLDS = {THRESHOLDS!r} passed: it "
        f"would have let the regression ship. {name}'s accuracies: "
        f"{reference_accuracy(firsts[name])}"
    )
    assert step in got, (
        f"test_release(runs[{name!r}], THRESHOLDS) failed with {got!r}, which does not name "
        f"{step!r}, the step {name} broke: say which step fell short, and by how much"
    )
print("check 4 passed: last week's version ships, both releases are stopped")

# %% tags=["check"]
# check 5: test_release honours the thresholds it is given: thresholds of 0 pass, a step
# exactly at its threshold passes, one just above its accuracy fails and is named, on 30
# generated versions
rng = random.Random(12)
for n in range(30):
    results, given, mix = mixed()
    accuracy = reference_accuracy(given)
    exact = {s: accuracy[s] for s in ("classify", "urgency", "draft")}
    zero = dict.fromkeys(exact, 0.0)
    call = f"test_release(version {n} (tickets from {dict(mix)}), {zero})"
    got = verdict(call, results, zero)
    assert got is None, (
        f"{call} failed with {got!r}, but no accuracy can be below a threshold of 0: judge "
        f"the version by the thresholds given (the argument), not by THRESHOLDS"
    )
    call = f"test_release(version {n} (tickets from {dict(mix)}), {exact})"
    got = verdict(call, results, exact)
    assert got is None, (
        f"{call} failed with {got!r}: each threshold equals that step's accuracy, and a step at "
        f"its threshold passes (>=, not >)"
    )
    step = rng.choice(list(exact))
    higher = exact | {step: exact[step] + 0.01}
    call = f"test_release(version {n} (tickets from {dict(mix)}), {higher})"
    got = verdict(call, results, higher)
    assert got is not None and step in got, (
        f"{call} returned {'without failing' if got is None else f'the message {got!r}'}: "
        f"{step!r} is {exact[step]:.4f} right, below its threshold {higher[step]:.4f}: fail, "
        f"naming {step!r} (use the thresholds given, not THRESHOLDS)"
    )
print("check 5 passed: 30 generated versions, at and just above each threshold")

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
