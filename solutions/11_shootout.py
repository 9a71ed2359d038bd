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
# Each task ends with a cell tagged `check` that fails until the task is done. Grade yourself
# with `make grade` (or `make grade NB=exercises/11_shootout.ipynb`). Times are **simulated
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
import math

import pandas as pd

from orchestra import LLM, RateLimiter, errors, measure, sim
from orchestra.examples import capstone as cap
from orchestra.examples import capstone_frameworks as fw
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
# The bound is the largest of the three. `calls_per_request` and `seconds_per_call` may be
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
    # raise NotImplementedError
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
    got = makespan_bound(*args)
    assert isinstance(got, tuple) and len(got) == 2, f"return (seconds, limited_by), got {got!r}"
    assert math.isclose(got[0], expected), (
        f"makespan_bound{args}: expected {expected} s ({why}), got {got[0]} s ({got[1]})"
    )
    assert got[1] == why, f"makespan_bound{args}: {expected} s is set by {why!r}, not {got[1]!r}"
print(f"check 1 passed: {len(cases)} hand-worked batches")

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
# Check 2 holds your bound to these runs: never above a measured makespan, and within twice
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
# check 2: on every measured run, bound <= measured makespan <= 2 x bound
compared = []
for c, row in measured.iterrows():
    bound, why = makespan_bound(
        n, row["calls"] / n, row["model (sim s)"] / row["calls"], c, requests_per_minute
    )
    compared.append({"concurrency": c, "bound (sim s)": bound, "limited by": why})
compared = measured[["makespan (sim s)"]].join(pd.DataFrame(compared).set_index("concurrency"))
compared["measured / bound"] = compared["makespan (sim s)"] / compared["bound (sim s)"]
low = compared[compared["measured / bound"] < 1 - 1e-9]
assert low.empty, (
    f"the bound is above what was measured, so it is not a lower bound:\n{low.round(2)}"
)
loose = compared[compared["measured / bound"] > 2]
assert loose.empty, (
    f"the measured makespan is more than twice the bound: a limit is missing\n{loose.round(2)}"
)
print("check 2 passed: the bound holds on every run and is within 2x of it")
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
# message that says which limit is in the way: the fix is a higher rate-limit tier, fewer calls
# per request, or a later deadline, not more workers.


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
    # raise NotImplementedError
    ### END STUB


# %% tags=["check"]
# check 3: slots_needed rounds up, says when only slots help, and refuses the impossible
fits = {  # (requests, calls each, s per call, rpm, deadline): slots
    (100, 2, 0.5, 600, 30): 4,  # 100 model-s in 30 s: 3.33 slots is 4
    (40, 2, 1.0, 600, 20): 4,  # 80 model-s in 20 s: exactly 4
    (100, 2, 0.5, 60, 150): 1,  # the rate limit needs 140 s; one slot's 100 s fits under it
    (10, 2, 1.0, 600, 2): 10,  # each request's own 2 s: one slot each
}
for args, expected in fits.items():
    got = slots_needed(*args)
    assert got == expected, f"slots_needed{args}: expected {expected} slots, got {got!r}"
impossible = {
    (100, 2, 0.5, 60, 100): "the rate limit needs 140 s",
    (10, 3, 2.0, 600, 5): "one request's 3 calls take 6 s in a row",
    (1000, 2, 1.0, 100_000, 10): "2000 model-s in 10 s needs 200 slots, max_slots is 100",
}
for args, why in impossible.items():
    try:
        got = slots_needed(*args, max_slots=100)
    except errors.ConfigError:
        continue
    except Exception as exc:
        raise AssertionError(
            f"slots_needed{args} raised {type(exc).__name__}; raise errors.ConfigError ({why})"
        ) from None
    raise AssertionError(f"slots_needed{args} returned {got!r}, but {why}: raise ConfigError")
print(f"check 3 passed: {len(fits)} fits and {len(impossible)} impossible deadlines")

# %% [markdown]
# ## Task 3 · Which concurrency to ship, from the measured runs
#
# The bound says how many slots are *needed*; it does not say they are *enough*: questions
# finish at different times, and the bucket's tokens arrive one at a time. Set `CHOICE` to the
# smallest concurrency in `measured` whose measured makespan leaves `headroom` of the deadline
# spare (`makespan <= (1 - headroom) * deadline_s`), and `FROM_BOUND` to what `slots_needed`
# says for the same batch (means from the measured calls, as in check 2). If no measured
# concurrency meets it, raise `errors.ConfigError`.

# %%
calls_each = measured["calls"].mean() / n
seconds_each = measured["model (sim s)"].sum() / measured["calls"].sum()
### BEGIN SOLUTION
FROM_BOUND = slots_needed(n, calls_each, seconds_each, requests_per_minute, deadline_s)
meets = measured[measured["makespan (sim s)"] <= (1 - headroom) * deadline_s]
if meets.empty:
    raise errors.ConfigError(f"no measured concurrency meets {deadline_s} s with headroom")
CHOICE = int(meets.index.min())
### END SOLUTION
### BEGIN STUB
# FROM_BOUND = ...  # TODO: slots_needed for this batch
# CHOICE = ...  # TODO: the smallest measured concurrency that meets the deadline with headroom
### END STUB
print(f"the bound asks for at least {FROM_BOUND} slots; the measurements say ship {CHOICE}")

# %% tags=["check"]
# check 4: CHOICE is the smallest measured concurrency that meets the deadline with headroom
budget = (1 - headroom) * deadline_s
ok = measured.index[measured["makespan (sim s)"] <= budget]
assert len(ok), f"no measured concurrency finishes within {budget:.1f} s: change the parameters"
assert FROM_BOUND == slots_needed(n, calls_each, seconds_each, requests_per_minute, deadline_s), (
    f"FROM_BOUND is {FROM_BOUND!r}: it should be what slots_needed says for this batch"
)
assert CHOICE == min(ok), (
    f"CHOICE is {CHOICE!r}; the concurrencies that finish within {budget:.1f} sim s are "
    f"{list(ok)}, and the cheapest of them is {min(ok)}:\n{measured['makespan (sim s)'].round(2)}"
)
print(
    f"check 4 passed. {n} questions, {measured['calls'].iloc[0]} calls, {requests_per_minute} requests/min, "
    f"deadline {deadline_s:g} s with {headroom:.0%} headroom: the bound says at least "
    f"{FROM_BOUND} slot(s); measured, {CHOICE} slot(s) finish in "
    f"{measured.loc[CHOICE, 'makespan (sim s)']:.1f} sim s"
    + (
        f" (at {FROM_BOUND}: {measured.loc[FROM_BOUND, 'makespan (sim s)']:.1f} s)."
        if FROM_BOUND in measured.index and FROM_BOUND != CHOICE
        else "."
    )
)

# %% [markdown]
# The same in one picture: each measured makespan (bars), your bound under it (a black mark,
# named by the limit that sets it), and the deadline with and without its headroom.

# %%
import matplotlib.pyplot as plt

if isinstance(compared, pd.DataFrame) and "bound (sim s)" in compared:  # once check 2 passes
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
# write, read and keep. With no needs, any system will do.


# %%
def choose_system(needs: set[str], offers: pd.DataFrame) -> str:
    """The system with the fewest lines among those that offer every need."""
    ### BEGIN SOLUTION
    able = offers[offers[sorted(needs)].all(axis=1)] if needs else offers
    return str(able["lines"].idxmin())
    ### END SOLUTION
    ### BEGIN STUB
    # # TODO
    # raise NotImplementedError
    ### END STUB


# %% tags=["check"]
# check 5: choose_system picks the fewest lines among the systems that offer every need
asks = [
    set(),
    {"cycles"},
    {"resumes after a crash"},
    {"spans machines"},
    {"cycles", "resumes after a crash"},
    {"resumes after a crash", "spans machines"},
]
for needs in asks:
    able = offers[offers[sorted(needs)].all(axis=1)] if needs else offers
    expected = able["lines"].idxmin()
    got = choose_system(needs, offers)
    assert got == expected, (
        f"needs {sorted(needs) or 'nothing'}: the systems that offer it all are "
        f"{list(able.index)} and {expected} has the fewest lines; you chose {got!r}"
    )
print(
    "check 5 passed:", {" + ".join(sorted(a)) or "nothing": choose_system(a, offers) for a in asks}
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
