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
#       time_scale: 0.005
# ---

# %% [markdown]
# # Exercises 02 · Parallel and map-reduce
#
# Five interview-style tasks: write a reduce that never hides a gap, choose a concurrency and a
# limiter for a rate-limited model (and justify them with a number you measured), fix a
# parallel step that cannot merge, write a vote that fails closed, and answer a design question. Each coding task ends with
# cells tagged `check`: run them to see whether your code works, and read their message when
# they fail. `make grade` (or `make grade NB=exercises/02_parallel_mapreduce.ipynb`) runs the
# whole notebook in a fresh kernel and reports every check; save the notebook first.
# Everything runs offline against the simulator.

# %% tags=["parameters"]
backend = "sim"  # "anthropic": Claude grades your interview answer (needs ANTHROPIC_API_KEY)
model = "claude-haiku-5-5"
seed = 0
time_scale = 0.01
sweep_time_scale = 0.02  # the rate-limited run (task 2): a model-minute lasts 1.2 s
requests_per_minute = 4  # the rate limit in task 2

# %%
import copy
import math
import operator
import pprint
import random
import re
from collections import Counter

from pydantic import BaseModel

from orchestra import LLM, RateLimiter, Workflow, datasets, parallel, sim, step
from orchestra.exercise import attempt, shown
from orchestra.patterns.mapreduce import Batch, Doc, map_reduce, parse_amount
from orchestra.patterns.vote import sampled, vote

simulator = sim.start(seed=seed, time_scale=time_scale)
records = datasets.load("documents")
docs = [Doc(id=r["id"], kind=r["kind"], text=r["text"], fields=list(r["fields"])) for r in records]
print(len(docs), "documents")

# %% [markdown]
# The checks call your functions through `attempt` (`orchestra/exercise.py`): if your code
# raises, the failure names the call that raised, with its input in full and the line of yours
# it came from.


# %% [markdown]
# ## Task 1 · A reduce that never hides a gap
#
# `map_reduce(llm, reduce)` calls `reduce(extracted, docs)` once, after the map: `extracted[i]` is
# the dict of fields extracted from `docs[i]`, or `None` if that item was skipped (it failed).
# A silent partial total is the classic map-reduce bug: an amount that is missing must not count
# as \\$0 without anyone knowing. Return a dict:
#
# - `"by_kind"`: how many documents of each kind, e.g. `{"invoice": 5, "meeting": 4, "incident": 3}`;
# - `"invoiced_usd"`: the sum of the invoice amounts that *were* extracted, as numbers
#   (`parse_amount("$1,250.00") == 1250.0`; `"$0.00"` is an amount, zero), rounded to 2 decimals;
# - `"amounts_missing"`: how many invoices have no amount (`None`, or the whole item skipped):
#   when it is above 0, `invoiced_usd` is only a lower bound;
# - `"missing"`: how many requested field values are `None`; a skipped item counts **all** its
#   fields.
#
# *Trade-off to state in an interview:* fail the whole run on one bad item, or finish with a
# partial result that says it is partial? Here: finish, and say so.


# %%
def totals(extracted: list[dict | None], docs: list[Doc]) -> dict:
    ### BEGIN SOLUTION
    by_kind, invoiced, unpriced, missing = {}, 0.0, 0, 0
    for doc, row in zip(docs, extracted, strict=True):
        by_kind[doc.kind] = by_kind.get(doc.kind, 0) + 1
        row = row or {}  # a skipped item: every field is missing
        missing += sum(row.get(f) is None for f in doc.fields)
        if doc.kind == "invoice":
            amount = parse_amount(row.get("amount"))
            if amount is None:
                unpriced += 1
            else:
                invoiced += amount
    return {
        "by_kind": by_kind,
        "invoiced_usd": round(invoiced, 2),
        "amounts_missing": unpriced,
        "missing": missing,
    }
    ### END SOLUTION
    ### BEGIN STUB
    # # TODO: by_kind, invoiced_usd, amounts_missing, missing
    # raise NotImplementedError("task 1: write totals()")
    ### END STUB


# %% tags=["check"]
# check 1: totals() adds what was found and counts every gap, on the example and on new batches
def _totals(extracted, docs):
    """The check's own reference (not your code): what totals() must return."""
    kinds, usd, unpriced, gaps = Counter(), 0.0, 0, 0
    for doc, row in zip(docs, extracted, strict=True):
        kinds[doc.kind] += 1
        gaps += sum((row or {}).get(f) is None for f in doc.fields)
        if doc.kind == "invoice":
            amount = parse_amount((row or {}).get("amount"))
            unpriced += amount is None
            usd += amount or 0.0
    return {
        "by_kind": dict(kinds),
        "invoiced_usd": round(usd, 2),
        "amounts_missing": unpriced,
        "missing": gaps,
    }


def _batch(rng: random.Random, n: int) -> tuple[list, list]:
    """A batch the notebook never showed: skipped items, absent keys, $0.00, unparsable amounts."""
    fields = {
        "invoice": ["vendor", "amount", "due_date", "email"],
        "meeting": ["date", "author", "attendees"],
        "incident": ["service", "severity"],
    }
    docs, rows = [], []
    for i in range(n):
        kind = rng.choice(list(fields))
        asked = rng.sample(fields[kind], rng.randint(1, len(fields[kind])))
        if kind == "invoice" and "amount" not in asked:
            asked.append("amount")
        docs.append(Doc(id=f"g{i}", kind=kind, text="", fields=asked))
        if rng.random() < 0.2:
            rows.append(None)  # the item was skipped
            continue
        row = {}
        for f in asked:
            if rng.random() < 0.15:
                continue  # the key is absent: as missing as None
            row[f] = rng.choice([None, "x"])
            if f == "amount":
                cents = f"${rng.randint(1, 99999):,}.{rng.randint(0, 99):02d}"
                row[f] = rng.choice([None, "$0.00", "n/a", cents])
        rows.append(row)
    return rows, docs


toy = [
    Doc(id="a", kind="invoice", text="", fields=["vendor", "amount", "email"]),
    Doc(id="b", kind="invoice", text="", fields=["vendor", "amount", "due_date"]),
    Doc(id="c", kind="invoice", text="", fields=["vendor", "amount"]),
    Doc(id="d", kind="meeting", text="", fields=["date", "author"]),
]
rows = [
    {"vendor": "Kestrel", "amount": "$1,250.50", "email": None},
    None,  # skipped: its 3 fields are missing, and so is its amount
    {"vendor": "Free sample Co", "amount": "$0.00"},  # zero is an amount, not a gap
    {"date": "2025-03-01", "author": None},
]
HINTS = {
    "by_kind": "every document counts once under its kind",
    "invoiced_usd": "the sum of the invoice amounts found, rounded to 2 decimals; a missing "
    "amount adds nothing, and only invoices count",
    "amounts_missing": "invoices only, whose amount is None, absent or unparsable, or whose "
    "item was skipped; $0.00 is an amount",
    "missing": "every requested field (doc.fields) whose value is None or absent; a skipped "
    "item counts all its fields",
}
rng = random.Random(2)
cases = [(rows, toy), ([], []), *(_batch(rng, rng.randint(1, 9)) for _ in range(40))]
for case_rows, case_docs in cases:
    before = copy.deepcopy((case_rows, case_docs))
    got = await attempt(totals, case_rows, case_docs)
    want = _totals(case_rows, case_docs)
    assert isinstance(got, dict), (
        f"{shown(totals, case_rows, case_docs)}\n  returned {got!r}; expected the dict {want!r}"
    )
    for key, value in want.items():
        assert got.get(key) == value, (
            f"{shown(totals, case_rows, case_docs)}\n  returned {key}={got.get(key)!r}; "
            f"expected {value!r}: {HINTS[key]}\n  the whole result: {got!r}"
        )
    assert (case_rows, case_docs) == before, (
        f"totals() changed its input: after {shown(totals, *before)}\n  the rows and docs are "
        f"{pprint.pformat((case_rows, case_docs), width=100)}\n  a reduce reads the map's "
        f"output, it must not rewrite it"
    )
async with LLM(model) as llm:
    result = await map_reduce(llm, totals, concurrency=8).run(Batch(docs=docs))
found = result.state.extracted
summary = result.state.summary
amounts = [
    parse_amount((r or {}).get("amount"))
    for r, d in zip(found, docs, strict=True)
    if d.kind == "invoice"
]
truth = {
    "by_kind": {"invoice": 5, "meeting": 4, "incident": 3},
    "invoiced_usd": round(sum(a for a in amounts if a is not None), 2),
    "amounts_missing": sum(a is None for a in amounts),
    "missing": sum(
        (r or {}).get(f) is None for r, d in zip(found, docs, strict=True) for f in d.fields
    ),
}
for key, value in truth.items():
    assert summary.get(key) == value, (
        f"map_reduce(llm, totals) on the 12 documents: {key} is {summary.get(key)!r}; the "
        f"extracted rows give {value!r} ({HINTS[key]})"
    )
print(f"check 1 passed: the example, an empty batch and {len(cases) - 2} generated ones;", summary)

# %% [markdown]
# ## Task 2 · A rate-limited fan-out: how many lanes, and how to pace them
#
# The model below allows `requests_per_minute` requests per (model-)minute, as a token bucket:
# a full minute's worth may burst, then it refills at that rate. Two decisions:
#
# 1. `lanes(requests_per_minute, mean_call_s)`: the concurrency that just keeps up with the rate
#    limit, by Little's law (calls in flight = arrival rate × time in the system), at least 1.
#    More lanes than that cannot go faster; they only earn 429s.
# 2. `make_llm()`: the client the map uses. Today a 12-wide fan-out outruns the bucket and the
#    server answers 429 (the SDK retries them, so the run still completes, slowly and noisily).
#    Change it so that **no call gets a 429, without lowering the concurrency**. Hint: chapter
#    02, "one shared `RateLimiter`" (minutes are model-minutes: mind the `time_scale`).
#
# The mean call latency comes from a measurement, not a guess: the cell below maps over the
# documents once (no rate limit yet) and reads it from the trace.

# %%
async with LLM(model) as llm:
    probe = await map_reduce(llm, lambda rows, docs: {}, concurrency=8).run(Batch(docs=docs))
spans = probe.trace.to_dataframe()
mean_call_s = spans.loc[spans["kind"] == "llm", "model_s"].mean()
print(f"measured: a call takes {mean_call_s:.2f} simulated s on average")


# %%
def lanes(requests_per_minute: float, mean_call_s: float) -> int:
    ### BEGIN SOLUTION
    return max(1, math.ceil(requests_per_minute / 60 * mean_call_s))
    ### END SOLUTION
    ### BEGIN STUB
    # # TODO: Little's law, at least one lane
    # raise NotImplementedError("task 2: write lanes()")
    ### END STUB


def make_llm() -> LLM:
    ### BEGIN SOLUTION
    # one limiter mirroring the server's bucket; every call holds a slot before sending
    limiter = RateLimiter(requests_per_minute=requests_per_minute, time_scale=sweep_time_scale)
    return LLM(model, max_retries=30, limiter=limiter)
    ### END SOLUTION
    ### BEGIN STUB
    # return LLM(model, max_retries=30)
    ### END STUB


# %% tags=["check"]
# check 2: lanes() follows Little's law (rate × latency, rounded up), at least one lane
def _lanes(rpm, latency_s):
    """The check's own reference: calls in flight = calls per second × seconds each, rounded up."""
    return max(1, math.ceil(rpm / 60 * latency_s))


cases = [
    (4000, 1.5),  # 66.7 calls/s × 1.5 s in flight: exactly 100
    (4000, 2.0),  # 133.3: round up, 133 lanes do not keep up
    (600, 3.0),  # exactly 30: no extra lane
    (120, 0.5),  # exactly 1
    (50, 0.7),  # 0.58: one lane already outruns 50 requests/min
    (1, 0.01),  # far under one: still one lane
    (4, mean_call_s),
]
rng = random.Random(3)
while len(cases) < 47:
    rpm, latency = rng.randint(1, 20000), round(rng.uniform(0.05, 12.0), 2)
    if abs(rpm / 60 * latency - round(rpm / 60 * latency)) > 1e-6:  # clear of float ties
        cases.append((rpm, latency))
for rpm, latency in cases:
    got = await attempt(lanes, rpm, latency)
    want = _lanes(rpm, latency)
    assert got == want, (
        f"{shown(lanes, rpm, latency)} returned {got!r}; expected {want}: {rpm} requests/min is "
        f"{rpm / 60:.3f} calls/s, each in flight {latency} s, so {rpm / 60 * latency:.3f} calls "
        f"in flight, rounded up, at least 1"
    )
print(
    f"check 2 passed: {len(cases)} cases; at {requests_per_minute} requests/min, "
    f"{lanes(requests_per_minute, mean_call_s)} lane"
)

# %% tags=["check"]
# check 3: a 12-wide fan-out under the rate limit gets no 429, and still completes
simulator.configure(
    time_scale=sweep_time_scale, limits=sim.Limits(requests_per_minute=requests_per_minute)
)
async with make_llm() as llm:
    r = await map_reduce(llm, lambda rows, docs: {}, concurrency=12).run(Batch(docs=docs))
log = list(simulator.log)
simulator.configure(time_scale=time_scale, limits=sim.Limits())
got_429 = sum(e["status"] == 429 for e in log)
assert r.status == "completed", f"the run did not complete: {r.reason}"
assert got_429 == 0, (
    f"{got_429} of {len(log)} requests got a 429: {len(docs)} calls at once against a bucket of "
    f"{requests_per_minute}; the client must wait before sending (a shared RateLimiter with the "
    f"server's requests_per_minute and time_scale={sweep_time_scale})"
)
assert sum(e["status"] == 200 for e in log) == len(docs), (
    f"{sum(e['status'] == 200 for e in log)} answered calls for {len(docs)} documents"
)
print(f"check 3 passed: {len(docs)} calls at concurrency 12, no 429")


# %% [markdown]
# ## Task 3 · Fix the planted bug: two parallel checks, one field
#
# Two checks look at each invoice at the same time and both append to `flags`. Building the
# workflow fails with `MergeConflictError`: the engine refuses to guess how to combine two
# branches that write the same field. Fix `build_review` so both flags survive, in branch order,
# after the flags the invoice already had (read the error message). *Trade-off:* run the two
# checks one after the other instead and nothing conflicts, but the latency adds up.


# %%
class Review(BaseModel):
    text: str
    flags: list[str] = []


@step(writes="flags")
async def large_amount(r: Review) -> dict:
    amount = parse_amount(re.search(r"\$[\d,.]+", r.text).group())
    return {"flags": ["large amount"] if amount > 1000 else []}


@step(writes="flags")
async def has_contact(r: Review) -> dict:
    return {"flags": [] if "@" in r.text else ["no contact email"]}


# %%
def build_review() -> Workflow:
    ### BEGIN SOLUTION
    # each branch returns only its own flags; operator.add folds them: old + a + b
    return Workflow(
        "review",
        state=Review,
        steps=[parallel(large_amount, has_contact, merge={"flags": operator.add})],
    )
    ### END SOLUTION
    ### BEGIN STUB
    # return Workflow("review", state=Review, steps=[parallel(large_amount, has_contact)])
    ### END STUB


# %% tags=["check"]
# check 4: both parallel branches' flags are merged, after the old ones, nothing invented
cases = [
    (
        "Vendor: Kestrel Systems Inc\nAmount: $12,900.00",
        ["seen", "large amount", "no contact email"],
    ),
    ("Vendor: Bluebird\nAmount: $80.00\nEmail: a@b.example", ["seen"]),  # nothing to flag
    ("Vendor: Bluebird\nAmount: $80.00", ["seen", "no contact email"]),  # one branch flags
    ("Amount: $5,000.00\nEmail: a@b.example", ["seen", "large amount"]),  # the other one
    ("Amount: $1,000.00", ["seen", "no contact email"]),  # $1,000 is not above $1,000
]
cases = [(text, ["seen"], want) for text, want in cases]
rng = random.Random(4)
for _ in range(8):  # other amounts, contacts and earlier flags
    amount, email = rng.choice([80, 999.99, 1000, 1000.01, 25000]), rng.random() < 0.5
    old = rng.sample(["seen", "vip", "late"], rng.randint(0, 2))
    text = f"Amount: ${amount:,.2f}" + ("\nEmail: x@y.example" if email else "")
    want = old + ["large amount"] * (amount > 1000) + ["no contact email"] * (not email)
    cases.append((text, old, want))
wf = await attempt(build_review)
for text, old, want in cases:
    r = await wf.run(Review(text=text, flags=old))
    assert r.status == "completed", (
        f"build_review().run(Review(text={text!r}, flags={old!r})) did not complete: {r.reason}"
    )
    assert r.state.flags == want, (
        f"build_review().run(Review(text={text!r}, flags={old!r}))\n  ended with flags "
        f"{r.state.flags}; expected {want}: the old flags, then large_amount's, then "
        f"has_contact's"
    )
print(f"check 4 passed: {len(cases)} reviews")

# %% [markdown]
# ## Task 4 · A vote that fails closed
#
# Five cheap voters answer the same question; `decide(votes, rule)` turns their answers into one
# verdict. A vote is a label, or `None` when that voter's call failed or its answer was not one
# of the labels (malformed). Return the winning label, or `None` to escalate (a person or a
# stronger model looks):
#
# - `"majority"`: the label named by **more than half of all N voters**; a missing or malformed
#   vote counts against every label, so `["pass", None]` decides nothing;
# - `"consensus"`: the label only if **every** vote names it (one missing vote: escalate).
#
# A tie never decides. A release gate that reads `decide(votes, rule) == "pass"` must therefore
# never open on a tie, a malformed answer or a missing vote. *Trade-off to state:* majority
# decides more often, consensus lets fewer errors through and escalates more.


# %%
def decide(votes: list[str | None], rule: str) -> str | None:
    ### BEGIN SOLUTION
    counts = Counter(v for v in votes if v is not None)
    if rule == "consensus":
        return next(iter(counts)) if votes and None not in votes and len(counts) == 1 else None
    label, top = counts.most_common(1)[0] if counts else (None, 0)
    return label if top * 2 > len(votes) else None  # more than half of all N, missing included
    ### END SOLUTION
    ### BEGIN STUB
    # # TODO: the label that wins under rule, else None
    # raise NotImplementedError("task 4: write decide()")
    ### END STUB


# %% tags=["check"]
# check 5: decide() fails closed: ties, missing and malformed votes never decide
def _decide(votes, rule):
    """The check's own reference: more than half of ALL votes, or every vote, else None."""
    counts = Counter(v for v in votes if v is not None)
    if rule == "consensus":
        return votes[0] if votes and None not in votes and len(counts) == 1 else None
    top = counts.most_common(1)
    return top[0][0] if top and top[0][1] * 2 > len(votes) else None


cases = [
    (["pass", "pass", "fail"], "majority"),
    (["pass", "pass", "fail"], "consensus"),  # one dissent: escalate
    (["pass", "pass", "pass"], "consensus"),
    (["pass", "fail"], "majority"),  # a tie
    (["pass", "pass", "fail", "fail"], "majority"),  # a tie of four
    (["pass", None], "majority"),  # half of all N is not more than half
    (["pass", "pass", None], "majority"),  # two of three
    (["pass", "pass", None], "consensus"),  # a missing vote is not agreement
    (["pass", None, None], "majority"),  # one real vote of three
    ([None, None, None], "majority"),  # nothing came back
    ([None, None, None], "consensus"),
    ([], "majority"),  # no voter at all
    ([], "consensus"),
    (["fail", "fail", "fail", "pass", "pass"], "majority"),
    (["billing", "billing", "technical", None, "billing"], "majority"),
]
rng = random.Random(5)
for _ in range(60):
    n = rng.randint(1, 7)
    votes = [rng.choice(["pass", "fail", "hold", None]) for _ in range(n)]
    cases.append((votes, rng.choice(["majority", "consensus"])))
for votes, rule in cases:
    given = list(votes)
    got = await attempt(decide, given, rule)
    want = _decide(votes, rule)
    why = (
        "more than half of all N votes must name it; None counts against every label; a tie "
        "decides nothing"
        if rule == "majority"
        else "every vote must name it; one missing vote escalates"
    )
    assert got == want, f"{shown(decide, votes, rule)} returned {got!r}; expected {want!r}: {why}"
    assert given == votes, (
        f"{shown(decide, votes, rule)} changed the caller's list to {given}: a verdict reads "
        f"the votes, it must not reorder or drop them (the caller logs them)"
    )
# on real votes: five Haiku voters per ticket, your verdicts against the library's
labels = ["billing", "technical", "account", "shipping", "other"]
tickets = datasets.load("tickets")[1::10]
async with LLM(model) as llm:
    verdicts = [
        await vote(
            sampled(
                llm,
                "Classify the support ticket into one of: billing, technical, account, shipping, "
                f"other. Respond with only the label.\nTicket: {t['text']}",
                5,
            ),
            choices=labels,
        )
        for t in tickets
    ]
for t, v in zip(tickets, verdicts, strict=True):
    for rule in ("majority", "consensus"):
        want = v.label if rule == "majority" else (v.votes[0] if len(set(v.votes)) == 1 else None)
        got = await attempt(decide, list(v.votes), rule)
        assert got == want, (
            f"{shown(decide, list(v.votes), rule)} on ticket {t['id']} returned {got!r}; "
            f"expected {want!r}"
        )
escalated = sum(decide(v.votes, "consensus") is None for v in verdicts)
print(
    f"check 5 passed: {len(cases)} vote lists; on {len(tickets)} tickets, majority escalated "
    f"{sum(decide(v.votes, 'majority') is None for v in verdicts)}, consensus {escalated}"
)

# %% [markdown]
# ## Task 5 · Interview question
#
# *"You must extract fields from 10,000 documents; the model allows 4,000 requests per minute and
# a call takes about 2 seconds. How much concurrency do you use, how long will the job take at
# best, and what happens if you use more?"* Write your answer in `answer` below (a few
# sentences: the bound, the concurrency, the 429s, and what you would monitor), then run the
# next cell: it shows the points a strong answer makes and a model answer, so you can score
# yourself. With `backend = "anthropic"` (and a key), Claude grades your answer against the
# same points and explains.

# %% tags=["answer-02"]
### BEGIN SOLUTION
answer = """
At best the job is rate-bound: a full bucket of 4,000 calls bursts at once, then 4,000 a
minute, so (10,000 - 4,000) / 4,000 = 1.5 minutes plus one call's latency. Concurrency: by
Little's law, calls in flight = rate x latency = 66.7 per s x 2 s = about 134; beyond that the
rate limit binds and extra concurrency only buys 429s, each a wasted round trip and a
retry-after wait, and retries that all wake at once. So cap concurrency near 134 and pace with
one shared rate limiter (requests and input tokens per minute) mirroring the server's buckets;
still honour retry-after. Monitor the 429 rate, the makespan against the bound, and failed
items, so the reduce never silently totals a partial map.
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
    "The bound: rate-bound, not lane-bound: about (10,000 − 4,000) / 4,000 = 1.5 minutes after "
    "the first minute's burst (or 2.5 minutes if the bucket is not full), plus one call.",
    "The concurrency from Little's law: rate × latency = 4,000/60 per s × 2 s ≈ 134 in flight.",
    "More lanes than that buy 429s, not speed: wasted round trips, retry-after waits, retries "
    "that wake together.",
    "Pace with one rate limiter shared by every caller of the key (requests and tokens per "
    "minute), and still honour retry-after.",
    "What to monitor: the 429 rate, the makespan against its bound, failed items (a partial "
    "reduce must say it is partial).",
]
MODEL_ANSWER = (
    "Rate-bound: 4,000 burst, the other 6,000 at 4,000 a minute, so about 1.5 minutes plus a call. "
    "Little's law: 66.7 calls/s × 2 s ≈ 134 in flight keeps up with the limit; more lanes only "
    "earn 429s (wasted round trips, retry-after waits, synchronized retries). Cap near 134, pace "
    "with one shared token bucket mirroring the server's requests and token limits, honour "
    "retry-after, and watch 429s, makespan vs bound, and failed items."
)

await review(answer, RUBRIC, MODEL_ANSWER, backend=backend, min_words=40)

# %%
simulator.stop()
