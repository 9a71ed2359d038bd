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
#     test_parameters:
#       concurrencies:
#       - 1
#       - 2
#       - 4
#       deadline_s: 10.0
#       n_questions: 12
#       requests_per_minute: 24
#       seed: 1
# ---

# %% [markdown]
# # Exercise 11 · Capacity and choice: how many slots, what limits us, which system
#
# The interview question behind chapter 11 (`notebooks/11_shootout.ipynb`):
#
# > *"We must answer N support questions within D seconds under a provider limit of R requests
# > per minute. How many worker slots do we need, what limits us, and which system do we run it
# > on?"*
#
# The pipeline is the chapter's capstone (`orchestra/examples/capstone.py`): classify (a model
# call), retrieve (no model), generate (a model call), validate (a refused draft is generated
# once more), format. So one question is a **chain** of two or three calls, one after another,
# and a batch of questions shares the provider's rate limit: a token bucket of R requests that
# may all go at once (the burst), then refills at R per minute.
#
# 1. Write the lower bound of a batch's makespan and say what sets it; it is checked by hand
#    and against real runs of the capstone on a rate-limited simulator.
# 2. Turn it around: the fewest slots that can meet a deadline, or a named error when nothing can.
# 3. Choose the concurrency to ship from the measured runs, not from the bound alone.
# 4. Choose the system from what the pipeline needs and what each system's wiring costs.
# 5. Answer the interview question (scored against a rubric, not by a check).
#
# Each task ends with cells tagged `check` that fail until the task is done. They call your
# functions on this notebook's numbers **and** on cases they generate (seeded), compared with a
# reference, at the boundaries (a deadline met exactly), on ties and where nothing qualifies;
# each says what it called, what came back and what was expected. Grade yourself with
# `make grade` (or `make grade NB=exercises/11_shootout.ipynb`). Times are **simulated
# seconds**: what the simulator charged for each call (`orchestra.calls`), never wall-clock.

# %% tags=["parameters"]
backend = "sim"  # the checks rate-limit the simulator: they need it
model = "claude-haiku-5-5"
n_questions = 24  # golden questions in the batch (capstone_golden.jsonl has 24)
requests_per_minute = 45  # the provider's limit (model-minutes): a burst of 45, then 45 a minute
deadline_s = 30.0  # the batch must be answered within this many simulated seconds
headroom = 0.1  # task 3: ship a concurrency whose measured makespan leaves this share spare
concurrencies = [1, 2, 4, 8]  # slots measured in the runs below
seed = 0
time_scale = 0.01  # wall-clock s per simulated s: the simulator meters its limit on the clock

# %%
import itertools
import math
import random

import pandas as pd

from orchestra import LLM, RateLimiter, errors, measure, sim
from orchestra.examples import capstone as cap
from orchestra.examples import capstone_frameworks as fw
from orchestra.exercise import called
from orchestra.fanout import paced

simulator = sim.start(seed=seed, time_scale=time_scale)
questions = cap.golden(n_questions)


# %% [markdown]
# ## Task 1 · The lower bound of a batch's makespan
#
# `makespan_bound(requests, calls_per_request, seconds_per_call, slots, requests_per_minute)`
# returns `(seconds, limited_by)`: no schedule of the batch can finish sooner than `seconds`,
# and `limited_by` names the limit that sets it, one of
#
# - `"slots"`: all the model time spread evenly over the slots;
# - `"rate limit"`: after the burst of `requests_per_minute` calls, the bucket hands out one
#   call every `60 / requests_per_minute` seconds, and the last call cannot start before its turn;
# - `"one request"`: a request's calls run one after another, whatever the slots.
#
# The bound is the largest of the three; when two tie for the largest, either name is right.
# `calls_per_request` and `seconds_per_call` may be
# means over a measured batch (a request that regenerates makes one call more): the total
# model time and the number of calls are then exact, and the longest request's chain is at
# least the mean one, so the bound stays a bound.


# %%
def makespan_bound(
    requests: int,
    calls_per_request: float,
    seconds_per_call: float,
    slots: int,
    requests_per_minute: float,
) -> tuple[float, str]:
    """The shortest makespan (simulated s) a batch allows, and which limit sets it."""
    ### BEGIN SOLUTION
    calls = requests * calls_per_request
    limits = {
        "slots": calls * seconds_per_call / slots,
        "rate limit": max(0.0, calls - requests_per_minute) * 60 / requests_per_minute,
        "one request": calls_per_request * seconds_per_call,
    }
    limited_by = max(limits, key=limits.get)
    return limits[limited_by], limited_by
    ### END SOLUTION
    ### BEGIN STUB
    # # TODO: three limits; return the largest and its name
    # raise NotImplementedError("Task 1: write makespan_bound")
    ### END STUB


# %% tags=["check"]
# check 1: makespan_bound on hand-worked batches (each limit in turn sets the bound)
cases = {  # (requests, calls each, s per call, slots, rpm): (bound, limited by)
    (10, 2, 1.0, 4, 600): (5.0, "slots"),  # 20 model-s over 4 slots; 20 calls fit the burst
    (100, 2, 0.5, 50, 60): (140.0, "rate limit"),  # 200 calls: 60 at once, 140 at 1 a second
    (30, 2, 1.0, 6, 40): (30.0, "rate limit"),  # 60 calls: 40 at once, 20 more at 1.5 s each
    (4, 3, 2.0, 8, 60): (6.0, "one request"),  # 3 calls of 2 s in a row; 8 slots for 4 requests
    (12, 2, 0.5, 1, 600): (12.0, "slots"),  # one slot: the calls one after another
}
for args, (expected, why) in cases.items():
    call = f"makespan_bound{args}"
    got = called(call, makespan_bound, *args)
    assert isinstance(got, tuple) and len(got) == 2, (
        f"{call} returned {got!r}; return a pair (seconds, limited_by)"
    )
    assert math.isclose(got[0], expected), (
        f"{call} returned {got!r}: expected {expected} s ({why}), got {got[0]} s ({got[1]})"
    )
    assert got[1] == why, f"{call} returned {got!r}: {expected} s is set by {why!r}, not {got[1]!r}"
print(f"check 1 passed: {len(cases)} hand-worked batches")


# %% tags=["check"]
# check 2: makespan_bound on 60 generated batches against a reference (ties, a batch that just
# fits the burst), and never above the makespan of the same batch laid out by `paced`
def reference_limits(requests, calls_per_request, seconds_per_call, slots, rpm):
    calls = requests * calls_per_request
    return {
        "slots": calls * seconds_per_call / slots,
        "rate limit": max(0.0, calls - rpm) * 60 / rpm,
        "one request": calls_per_request * seconds_per_call,
    }


rng = random.Random(11)
batches = [
    (30, 2, 1.0, 4, 60),  # 60 calls, exactly the burst: the rate limit costs nothing, slots 15 s
    (20, 2, 1.0, 8, 20),  # the rate limit: 20 calls after the burst, 3 s each, 60 s
    (4, 2, 1.0, 4, 600),  # a tie: slots 8/4 = 2 s, one request's 2 calls 2 s
    (30, 2, 1.0, 2, 40),  # a tie: slots 60/2 = 30 s, the rate limit 20 x 1.5 = 30 s
    (11, 1, 6.0, 64, 10),  # a tie: the rate limit 1 x 6 = 6 s, one request 6 s
    (4, 2.5, 2.0, 16, 600),  # a mean of 2.5 calls (some regenerate): one request 5 s
]
while len(batches) < 60:
    batches.append(
        (
            rng.randint(1, 200),
            rng.choice([1, 2, 3, 2.5]),
            rng.choice([0.25, 0.5, 1.0, 1.5, 2.0]),
            rng.choice([1, 2, 3, 4, 8, 16, 64]),
            rng.choice([10, 30, 45, 60, 120, 600]),
        )
    )
ties = 0
for args in batches:
    limits = reference_limits(*args)
    top = max(limits.values())
    named = [k for k, v in limits.items() if math.isclose(v, top)]
    ties += len(named) > 1
    call = f"makespan_bound{args}"
    got = called(call, makespan_bound, *args)
    detail = ", ".join(f"{k} {v:g} s" for k, v in limits.items())
    assert isinstance(got, tuple) and len(got) == 2 and math.isclose(got[0], top), (
        f"{call} returned {got!r}; expected ({top:g}, {' or '.join(map(repr, named))}): the "
        f"three limits are {detail}, and the bound is the largest"
    )
    assert got[1] in named, (
        f"{call} returned {got!r}: {top:g} s is set by {' or '.join(map(repr, named))} "
        f"({detail}), not {got[1]!r}"
    )
for _ in range(20):  # requests whose chains differ: the bound (from means) stays below paced
    chains_ = [
        [rng.choice([0.5, 1.0, 2.0]) for _ in range(rng.choice([2, 2, 3]))]
        for _ in range(rng.randint(2, 30))
    ]
    k, rpm = rng.choice([1, 2, 4, 8]), rng.choice([6, 20, 60])
    calls_ = sum(map(len, chains_))
    args = (len(chains_), calls_ / len(chains_), sum(map(sum, chains_)) / calls_, k, rpm)
    laid = max(end for _, end in paced(chains_, k, rpm))
    got = called(f"makespan_bound{args}", makespan_bound, *args)
    assert got[0] <= laid + 1e-9, (
        f"makespan_bound{args} returned {got!r}, but the chains {chains_} laid out on {k} slots "
        f"at {rpm} requests/min by paced finish in {laid:g} s: a lower bound cannot exceed it"
    )
print(f"check 2 passed: {len(batches)} generated batches ({ties} ties), 20 laid out by paced")

# %% [markdown]
# ## The measured runs
#
# Now the capstone itself, `n_questions` questions at each concurrency in `concurrencies`, against
# the simulator limited to `requests_per_minute`. One shared `RateLimiter` (chapter 02) makes
# every call wait for the bucket before it is sent, so the provider answers no 429.
#
# Each question's calls are read from its run's trace, with what the simulator charged for each
# (seeded: the same every run). The makespan is those calls laid on the simulated clock with
# the rule the slots and the limiter enforce (`orchestra.fanout.paced`): a question takes the
# first free slot and holds it for its chain; each call also waits for a token of the bucket.
# Read `paced` in `orchestra/fanout.py`: it is the reference your bound is held to.
#
# `completed` counts the questions whose answer passed validation; the others had their draft
# refused twice (chapter 11 counts them too). Their calls took time all the same, and count.
#
# Check 3 holds your bound to these runs: never above a measured makespan, and within twice
# it (a missing limit shows as a much larger gap). It cannot be exact: the bound lets the mean
# request stand for the longest one, so it is loosest when there are about as many slots as
# questions.

# %%
cases = [cap.Case(question=q["question"]) for q in questions]


def chain_of(run) -> list[float]:
    """The simulated seconds of a run's answered model calls, in the order they ran."""
    spans = run.trace.to_dataframe()
    calls = spans[(spans["kind"] == "llm") & (spans["status"] == "ok")]
    return list(calls.sort_values("sim_start")["model_s"])


rows, chains = [], {}
for c in concurrencies:
    simulator.configure(limits=sim.Limits(requests_per_minute=requests_per_minute))  # fresh log
    limiter = RateLimiter(requests_per_minute=requests_per_minute, time_scale=time_scale)
    async with LLM(model, limiter=limiter) as llm:
        runs = await cap.pipeline(llm).run_many(cases, concurrency=c, progress=True)
    chains[c] = [chain_of(r) for r in runs]
    rows.append(
        {
            "concurrency": c,
            "completed": sum(r.status == "completed" for r in runs),
            "calls": sum(map(len, chains[c])),
            "429s": sum(e["status"] == 429 for e in simulator.log),
            "model (sim s)": sum(map(sum, chains[c])),
            "makespan (sim s)": max(end for _, end in paced(chains[c], c, requests_per_minute)),
        }
    )
simulator.configure(limits=sim.Limits())
measured = pd.DataFrame(rows).set_index("concurrency")
n = len(questions)
assert (measured["429s"] == 0).all(), "the shared RateLimiter keeps every call under the limit"
assert all(chains[c] == chains[concurrencies[0]] for c in concurrencies), (
    "the simulator charges each question the same calls at any concurrency (seeded)"
)
measured.round(2)

# %% tags=["check"]
# check 3: on every measured run, bound <= measured makespan <= 2 x bound
compared = []
for c, row in measured.iterrows():
    args = (n, row["calls"] / n, row["model (sim s)"] / row["calls"], c, requests_per_minute)
    bound, why = called(f"makespan_bound{args}", makespan_bound, *args)
    compared.append({"concurrency": c, "bound (sim s)": bound, "limited by": why})
compared = measured[["makespan (sim s)"]].join(pd.DataFrame(compared).set_index("concurrency"))
compared["measured / bound"] = compared["makespan (sim s)"] / compared["bound (sim s)"]
for c, row in compared.iterrows():
    said = (
        f"at concurrency {c} ({n} questions, {measured.loc[c, 'calls']} calls, "
        f"{measured.loc[c, 'model (sim s)']:.2f} model-s, {requests_per_minute} requests/min) "
        f"the measured makespan is {row['makespan (sim s)']:.2f} s and makespan_bound says "
        f"{row['bound (sim s)']:.2f} s, limited by {row['limited by']!r}"
    )
    assert row["measured / bound"] >= 1 - 1e-9, f"{said}: a lower bound cannot exceed a makespan"
    assert row["measured / bound"] <= 2, f"{said}: more than twice the bound, a limit is missing"
print("check 3 passed: the bound holds on every run and is within 2x of it")
changes = compared["limited by"].ne(compared["limited by"].shift()).cumsum()
for _, part in compared.groupby(changes):
    lo, hi = part.index.min(), part.index.max()
    print(
        f"  concurrency {lo if lo == hi else f'{lo} to {hi}'}: limited by "
        f"{part['limited by'].iloc[0]}, measured {part['makespan (sim s)'].min():.1f} to "
        f"{part['makespan (sim s)'].max():.1f} sim s"
    )
compared.round(2)

# %% [markdown]
# Read the `limited by` column down (the lines printed above sum it up): where the slots set
# the bound, more slots shorten the batch; where the rate limit sets it, no number of slots can
# take the batch below the rate bound.

# %% [markdown]
# ## Task 2 · The fewest slots that can meet a deadline
#
# `slots_needed(requests, calls_per_request, seconds_per_call, requests_per_minute, deadline_s,
# max_slots)` returns the smallest number of slots whose bound (task 1) is within `deadline_s`.
# When no number of slots can do it (the rate limit alone, or one request's chain, takes longer
# than the deadline) or it would take more than `max_slots`, raise `errors.ConfigError` with a
# message that names the limit in the way as `makespan_bound` names it (`"rate limit"`, `"one
# request"`, or `"slots"` for more than `max_slots`): the fix is a higher rate-limit tier, fewer
# calls per request, or a later deadline, not more workers. A deadline met exactly is met.


# %%
def slots_needed(
    requests: int,
    calls_per_request: float,
    seconds_per_call: float,
    requests_per_minute: float,
    deadline_s: float,
    max_slots: int = 1000,
) -> int:
    """The fewest slots whose makespan bound meets ``deadline_s``; ConfigError when none can."""
    ### BEGIN SOLUTION
    calls = requests * calls_per_request
    rate = max(0.0, calls - requests_per_minute) * 60 / requests_per_minute
    chain = calls_per_request * seconds_per_call
    if rate > deadline_s:
        raise errors.ConfigError(
            f"the rate limit alone needs {rate:.1f} s for {calls:g} calls, past the "
            f"{deadline_s} s deadline: ask for a higher limit or make fewer calls"
        )
    if chain > deadline_s:
        raise errors.ConfigError(
            f"one request's calls take {chain:.1f} s in a row, past the {deadline_s} s "
            "deadline: shorten the chain (fewer or faster calls)"
        )
    slots = max(1, math.ceil(calls * seconds_per_call / deadline_s))
    if slots > max_slots:
        raise errors.ConfigError(f"the deadline needs {slots} slots, more than {max_slots}")
    return slots
    ### END SOLUTION
    ### BEGIN STUB
    # # TODO: the smallest slots whose bound meets the deadline, or a ConfigError saying why not
    # raise NotImplementedError("Task 2: write slots_needed")
    ### END STUB


# %% tags=["check"]
# check 4: slots_needed rounds up, meets a deadline met exactly, and refuses the impossible with
# a ConfigError naming the limit in the way; on hand-worked and 50 generated batches
def reference_slots(requests, calls_per_request, seconds_per_call, rpm, deadline_s, max_slots):
    """The slots, or the names of the limits that no number of slots can beat."""
    limits = reference_limits(requests, calls_per_request, seconds_per_call, 1, rpm)
    over = [name for name in ("rate limit", "one request") if limits[name] > deadline_s]
    slots = max(1, math.ceil(limits["slots"] / deadline_s))  # all the model time over one slot
    return over or (slots if slots <= max_slots else ["slots"])


def check_slots(args, expected):
    call = f"slots_needed{args}"
    if isinstance(expected, int):
        limits = reference_limits(*args[:3], 1, args[3])
        why = (
            f"the rate limit needs {limits['rate limit']:g} s and one request "
            f"{limits['one request']:g} s, within the {args[4]} s deadline; "
            f"{limits['slots']:g} model-s over {expected} slot(s) fit it, over one fewer do not"
        )
        got = called(f"{call} (expected {expected}: {why})", slots_needed, *args)
        assert got == expected, f"{call} returned {got!r}; expected {expected} slots: {why}"
        return
    names = " or ".join(map(repr, expected))
    try:
        got = slots_needed(*args)
    except errors.ConfigError as exc:
        assert any(name in str(exc) for name in expected), (
            f"{call} raised ConfigError({str(exc)!r}), which does not name the limit in the way: "
            f"{names}"
        )
        return
    except NotImplementedError as exc:
        raise AssertionError(
            f"{call}: not written yet ({exc}): write it in its TODO cell"
        ) from None
    except Exception as exc:
        raise AssertionError(
            f"{call} raised {type(exc).__name__}: {exc}; raise errors.ConfigError naming {names}"
        ) from exc
    raise AssertionError(
        f"{call} returned {got!r}, but no number of slots meets the deadline ({names} is in the "
        f"way): raise errors.ConfigError naming it"
    )


hand = {  # (requests, calls each, s per call, rpm, deadline, max_slots): slots, or the limit
    (100, 2, 0.5, 600, 30, 100): 4,  # 100 model-s in 30 s: 3.33 slots is 4
    (40, 2, 1.0, 600, 20, 100): 4,  # 80 model-s in 20 s: exactly 4
    (100, 2, 0.5, 60, 150, 100): 1,  # the rate limit needs 140 s; one slot's 100 s fits under it
    (10, 2, 1.0, 600, 2, 100): 10,  # each request's own 2 s: one slot each
    (100, 2, 0.5, 60, 140, 100): 1,  # the rate limit needs exactly the 140 s deadline: met
    (10, 3, 2.0, 600, 6, 100): 10,  # one request's chain takes exactly the 6 s deadline: met
    (1000, 2, 1.0, 100_000, 20, 100): 100,  # exactly max_slots: allowed
    (100, 2, 0.5, 60, 100, 100): ["rate limit"],  # the rate limit needs 140 s
    (10, 3, 2.0, 600, 5, 100): ["one request"],  # one request's 3 calls take 6 s in a row
    (1000, 2, 1.0, 100_000, 10, 100): ["slots"],  # 2000 model-s in 10 s: 200 slots, max 100
}
rng = random.Random(12)
generated = {}
while len(generated) < 50:
    args = (
        rng.randint(1, 120),
        rng.choice([1, 2, 3]),
        rng.choice([0.25, 0.5, 1.0, 1.5, 2.0]),
        rng.choice([60, 120, 600, 1200]),
        rng.choice([5, 10, 20, 30, 60, 120]),
        rng.choice([4, 16, 100]),
    )
    generated[args] = reference_slots(*args)
for args, expected in hand.items():
    assert reference_slots(*args) == expected, (args, expected)  # the reference agrees by hand
for args, expected in (hand | generated).items():
    check_slots(args, expected)
refusals = sum(isinstance(e, list) for e in generated.values())
print(
    f"check 4 passed: {len(hand)} hand-worked batches and {len(generated)} generated "
    f"({refusals} impossible)"
)

# %% [markdown]
# ## Task 3 · Which concurrency to ship, from the measured runs
#
# The bound says how many slots are *needed*; it does not say they are *enough*: questions
# finish at different times, and the bucket's tokens arrive one at a time. Write
# `choose_concurrency(measured, deadline_s, headroom)`: the smallest concurrency (the table's
# index) whose measured makespan (column `"makespan (sim s)"`) leaves `headroom` of the deadline
# spare, `makespan <= (1 - headroom) * deadline_s` (a makespan exactly at the budget meets it).
# If none does, raise `errors.ConfigError`. Do not change the table you are given. The cell
# after it sets `CHOICE` with it, beside what `slots_needed` says for the same batch (means from
# the measured calls, as in check 3). The check also gives it tables it has not seen.


# %%
def choose_concurrency(measured: pd.DataFrame, deadline_s: float, headroom: float) -> int:
    """The smallest measured concurrency whose makespan leaves ``headroom`` of the deadline."""
    ### BEGIN SOLUTION
    budget = (1 - headroom) * deadline_s
    meets = measured.index[measured["makespan (sim s)"] <= budget]
    if len(meets) == 0:
        raise errors.ConfigError(
            f"no measured concurrency finishes within {budget:g} s ({deadline_s:g} s less "
            f"{headroom:.0%} headroom): measure more slots, or see task 2 for what is in the way"
        )
    return int(min(meets))
    ### END SOLUTION
    ### BEGIN STUB
    # # TODO: the smallest concurrency that meets the deadline with headroom, else ConfigError
    # raise NotImplementedError("Task 3: write choose_concurrency")
    ### END STUB


# %% tags=["raises-exception"]
calls_each = measured["calls"].mean() / n
seconds_each = measured["model (sim s)"].sum() / measured["calls"].sum()
FROM_BOUND = slots_needed(n, calls_each, seconds_each, requests_per_minute, deadline_s)
CHOICE = choose_concurrency(measured, deadline_s, headroom)
print(
    f"{n} questions, {measured['calls'].iloc[0]} calls, {requests_per_minute} requests/min, "
    f"deadline {deadline_s:g} s with {headroom:.0%} headroom: the bound says at least "
    f"{FROM_BOUND} slot(s); measured, {CHOICE} slot(s) finish in "
    f"{measured.loc[CHOICE, 'makespan (sim s)']:.1f} sim s"
    + (
        f" (at {FROM_BOUND}: {measured.loc[FROM_BOUND, 'makespan (sim s)']:.1f} s)."
        if FROM_BOUND in measured.index and FROM_BOUND != CHOICE
        else "."
    )
)

# %% tags=["check"]
# check 5: choose_concurrency picks the smallest measured concurrency that meets the deadline
# with headroom, on the measured runs and on 30 generated ones (out of order, a makespan
# exactly at the budget, none that qualifies, an empty table), leaving the table unchanged
budget = (1 - headroom) * deadline_s
ok = measured.index[measured["makespan (sim s)"] <= budget]
assert len(ok), f"no measured concurrency finishes within {budget:.1f} s: change the parameters"
call = "choose_concurrency(measured, deadline_s, headroom)"
got = called(call, choose_concurrency, measured, deadline_s, headroom)
assert got == min(ok), (
    f"{call} returned {got!r}; the measured makespans are "
    f"{measured['makespan (sim s)'].round(2).to_dict()} (concurrency: sim s), those within "
    f"{budget:.1f} s ({deadline_s:g} s less {headroom:.0%}) are at {list(ok)}, and the "
    f"smallest of them is {min(ok)}"
)


def table(makespans):
    """A measured table: concurrency -> makespan, in the order given."""
    index = pd.Index(list(makespans), name="concurrency")
    return pd.DataFrame({"makespan (sim s)": list(makespans.values())}, index=index)


tables = [  # (table, deadline_s, headroom)
    (table({1: 40.0, 2: 22.5, 4: 15.0, 8: 14.0}), 20.0, 0.25),  # 4 makes exactly the 15 s budget
    (table({8: 10.0, 2: 30.0, 4: 14.0, 1: 50.0}), 20.0, 0.25),  # rows out of order: 4, not 8
    (table({1: 50.0, 2: 14.0, 4: 16.0, 8: 9.0}), 20.0, 0.25),  # 4 is slower than 2: 2
    (table({1: 40.0, 2: 21.0, 4: 16.0}), 20.0, 0.25),  # none within 15 s
    (table({}), 20.0, 0.25),  # nothing measured
    (table({1: 9.5, 2: 6.0}), 10.0, 0.0),  # no headroom: 1 meets 10 s
]
rng = random.Random(13)
for _ in range(30):
    slots_ = rng.sample([1, 2, 3, 4, 6, 8, 12, 16], rng.randint(1, 6))
    deadline = rng.choice([10.0, 20.0, 30.0, 60.0])
    tables.append(
        (
            table({c: round(rng.uniform(0.3, 1.6) * deadline * 4 / c**0.7, 1) for c in slots_}),
            deadline,
            rng.choice([0.0, 0.1, 0.25, 0.5]),
        )
    )
for given, deadline, room in tables:
    before_call = given.copy()
    limit = (1 - room) * deadline
    meets = given.index[given["makespan (sim s)"] <= limit]
    call = (
        f"choose_concurrency(<a table of makespans {given['makespan (sim s)'].to_dict()}>, "
        f"deadline_s={deadline}, headroom={room})"
    )
    if len(meets):
        got = called(call, choose_concurrency, given, deadline, room)
        assert got == min(meets), (
            f"{call} returned {got!r}; the concurrencies within {limit:g} s are "
            f"{sorted(meets)}, and the smallest of them is {min(meets)}"
        )
    else:
        try:
            got = choose_concurrency(given, deadline, room)
        except errors.ConfigError:
            got = None
        except Exception as exc:
            raise AssertionError(
                f"{call} raised {type(exc).__name__}: {exc}; no concurrency finishes within "
                f"{limit:g} s: raise errors.ConfigError"
            ) from exc
        assert got is None, (
            f"{call} returned {got!r}, but no concurrency finishes within {limit:g} s: raise "
            f"errors.ConfigError"
        )
    assert given.equals(before_call) and list(given.columns) == list(before_call.columns), (
        f"{call} changed the table it was given (now {given.to_dict()}): the caller's table "
        f"must stay as it was"
    )
print(f"check 5 passed: the measured table and {len(tables)} generated ones")

# %% [markdown]
# The same in one picture: each measured makespan (bars), your bound under it (a black mark,
# named by the limit that sets it), and the deadline with and without its headroom.

# %%
import matplotlib.pyplot as plt

if isinstance(compared, pd.DataFrame) and "bound (sim s)" in compared:  # once check 3 passes
    fig, ax = plt.subplots(figsize=(8, 4))
    x = list(range(len(compared)))
    ax.bar(x, compared["makespan (sim s)"], width=0.6, color="tab:blue", label="measured makespan")
    ax.scatter(x, compared["bound (sim s)"], color="black", marker="_", s=1200, zorder=3)
    ax.scatter([], [], color="black", marker="_", s=200, label="bound (task 1)")
    for i, (b, why) in enumerate(
        zip(compared["bound (sim s)"], compared["limited by"], strict=True)
    ):
        ax.annotate(
            why,
            (i, b),
            xytext=(0, -14),
            textcoords="offset points",
            ha="center",
            fontsize=9,
            color="white",
            fontweight="bold",
        )
    ax.axhline(deadline_s, color="tab:red", ls="--", label=f"deadline ({deadline_s:g} s)")
    ax.axhline(
        (1 - headroom) * deadline_s,
        color="tab:red",
        ls=":",
        label=f"deadline less {headroom:.0%} headroom",
    )
    ax.set(xticks=x, xticklabels=[str(c) for c in compared.index])
    ax.set(xlabel="concurrency (slots)", ylabel="makespan (simulated s)")
    ax.set_ylim(0, 1.3 * max(compared["makespan (sim s)"].max(), deadline_s))
    ax.set_title(f"{n} capstone questions at {requests_per_minute} requests/min")
    ax.legend(loc="upper right", frameon=False)
    fig.tight_layout()

# %% [markdown]
# ## Task 4 · Which system
#
# Five of chapter 11's seven systems run from this kernel (CrewAI and AutoGen need their own
# environment, and are agent frameworks rather than pipelines). What each of the five offers
# without extra work (section 5 of the chapter, and each framework's documentation), and how
# many lines its wiring takes (counted as the chapter counts them, `measure.lines_of_code`):
#
# - **cycles**: a refused draft goes back to `generate` as a loop of the flow (LCEL can only
#   retry a step, with `with_retry`);
# - **resumes after a crash**: a journal of completed steps, so a killed run continues where it
#   stopped (orchestra's checkpoint store, LangGraph's checkpointer, Temporal's history);
# - **spans machines**: workers in other processes and on other machines share the work (Temporal).

# %%
CAN = {  # system: (cycles, resumes after a crash, spans machines)
    "orchestra": (True, True, False),
    "LCEL": (False, False, False),
    "LangGraph": (True, True, False),
    "LlamaIndex Workflows": (True, False, False),
    "Temporal": (True, True, True),
}
WIRING = {name: fw.wiring(name) for name in CAN}  # counted as chapter 11 counts them
offers = pd.DataFrame(
    [
        {
            "system": name,
            "lines": measure.lines_of_code(*WIRING[name]),
            "cycles": CAN[name][0],
            "resumes after a crash": CAN[name][1],
            "spans machines": CAN[name][2],
        }
        for name in WIRING
    ]
).set_index("system")
offers

# %% [markdown]
# Write `choose_system(needs, offers)`: among the systems that offer **every** need in `needs`
# (a set of column names of `offers`), the one with the fewest lines of wiring: less code to
# write, read and keep (on a tie, any of the tied). With no needs, any system will do. When no
# system offers every need, raise `errors.ConfigError` naming the needs. Leave `offers` as it
# is: the check gives you other tables too.


# %%
def choose_system(needs: set[str], offers: pd.DataFrame) -> str:
    """The system with the fewest lines among those that offer every need."""
    ### BEGIN SOLUTION
    able = offers[offers[sorted(needs)].all(axis=1)] if needs else offers
    if able.empty:
        raise errors.ConfigError(f"no system offers all of {sorted(needs)}")
    return str(able["lines"].idxmin())
    ### END SOLUTION
    ### BEGIN STUB
    # # TODO
    # raise NotImplementedError("Task 4: write choose_system")
    ### END STUB


# %% tags=["check"]
# check 6: choose_system picks the fewest lines among the systems that offer every need, on
# the table above and 40 generated ones (ties, no system that qualifies), leaving them unchanged
def reference_system(needs, table):
    able = table[table[sorted(needs)].all(axis=1)] if needs else table
    return sorted(able.index[able["lines"] == able["lines"].min()])  # [] when none qualifies


NEEDS = ["cycles", "resumes after a crash", "spans machines"]
asks = [set(needs) for k in range(4) for needs in itertools.combinations(NEEDS, k)]
tables = [(offers, needs) for needs in asks]
rng = random.Random(14)
names = [*offers.index, "Prefect", "Burr", "Haystack"]
for _ in range(40):
    systems = rng.sample(names, rng.randint(1, 6))
    rows = {
        name: {"lines": rng.choice([40, 60, 60, 90, 150])} | {k: rng.random() < 0.5 for k in NEEDS}
        for name in systems
    }
    tables.append((pd.DataFrame.from_dict(rows, orient="index"), rng.choice(asks)))
for given, needs in tables:
    kept, expected = given.copy(), reference_system(needs, given)
    shown = given.to_dict(orient="index") if given is not offers else "offers"
    asked = "{" + ", ".join(map(repr, sorted(needs))) + "}" if needs else "set()"
    call = f"choose_system({asked}, {shown})"
    if expected:
        got = called(call, choose_system, needs, given)
        assert got in expected, (
            f"{call} returned {got!r}; of the systems that offer "
            f"{sorted(needs) or 'nothing in particular'}, the one with the fewest lines is "
            f"{' or '.join(map(repr, expected))}"
        )
    else:
        try:
            got = choose_system(needs, given)
        except errors.ConfigError:
            got = None
        except Exception as exc:
            raise AssertionError(
                f"{call} raised {type(exc).__name__}: {exc}; no system offers all of "
                f"{sorted(needs)}: raise errors.ConfigError naming them"
            ) from exc
        assert got is None, (
            f"{call} returned {got!r}, but no system offers all of {sorted(needs)}: raise "
            f"errors.ConfigError naming them"
        )
    assert given.equals(kept) and list(given.index) == list(kept.index), (
        f"{call} changed the table it was given: leave the caller's table as it was"
    )
print(
    f"check 6 passed on {len(tables)} tables:",
    {" + ".join(sorted(a)) or "nothing": choose_system(a, offers) for a in asks[:5]},
)

# %% [markdown]
# ## Task 5 · Interview question
#
# *"We must answer N support questions within D seconds under a provider limit of R requests per
# minute. How many worker slots do we need, what limits us, and which system do we run it on?"*
#
# Write your answer in `answer` (a few sentences, as you would say it). Then run the
# cell after it: it shows the points a strong answer makes and a model answer, and you score
# yourself, one point per point you made. With `backend = "anthropic"` and an API key, Claude
# grades your answer against the same points.

# %% tags=["answer-11"]
### BEGIN SOLUTION
answer = """
Measure one request first: how many calls it makes (2 to 3 here, with a regeneration) and the
model-seconds each takes. Three limits bound the batch: all the model time over the slots, the
rate limit (after the burst, one call every 60/R seconds, so the last of N x k calls cannot start
before (N k - R) 60 / R), and one request's chain of calls in a row. The slots needed are the
model time divided by the deadline, rounded up; if the rate limit or the chain alone exceeds the
deadline, more workers cannot help: ask for a higher tier, cut calls per request (cache, batch,
a smaller prompt), or move the deadline. The bound is necessary, not sufficient: measure the
batch at a few concurrencies with a shared rate limiter, and ship the smallest one that meets
the deadline with headroom; past the point where the rate limit binds, extra slots buy nothing.
Then the system: a fixed chain needs little (fewest lines of wiring), a loop needs cycles,
surviving a crash needs a journal (orchestra's checkpoints, LangGraph), and work spread over
machines needs durable workers (Temporal), paid in servers and CPU per request.
"""
### END SOLUTION
### BEGIN STUB
# answer = """
# TODO: your answer here.
# """
### END STUB

# %% tags=["rubric"]
# the interview answer against the rubric
from orchestra.interview import review

RUBRIC = [
    "Measures one request first: calls per request and model-seconds per call.",
    "Names the three limits: model time over the slots, the rate limit after its burst, one request's chain.",
    "Slots needed = model time / deadline, rounded up; the largest limit sets the makespan.",
    "When the rate limit (or the chain) alone exceeds the deadline, more workers cannot help: higher tier, fewer calls, later deadline.",
    "The bound is necessary, not sufficient: measure a few concurrencies and ship the smallest that meets the deadline with headroom.",
    "Chooses the system from what the pipeline needs (cycles, crash recovery, machines) and what it costs to wire and run.",
]
MODEL_ANSWER = """\
Count the calls per request and the model-seconds per call. No schedule beats the largest of:
all model time over the slots, the rate limit (after a burst of R, one call per 60/R s), and
one request's chain. Slots needed is model time over the deadline, rounded up; if the rate
limit alone is longer than the deadline, no worker count helps: raise the tier or cut calls.
The bound is a floor: measure a few concurrencies and ship the smallest that meets the deadline
with headroom. Pick the system that offers what the pipeline needs (cycles, resuming after a
crash, workers across machines) with the least wiring, and pay for durability only when needed."""

await review(answer, RUBRIC, MODEL_ANSWER, backend=backend)

# %%
simulator.stop()
