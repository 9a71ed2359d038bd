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
# Four tasks: implement a reduce step, fix a parallel step that cannot merge, stop a fan-out from
# earning 429s, and answer an interview question. Each task ends with a cell tagged `check`: run it
# to see whether your code works. `make grade` (or `make grade NB=exercises/02_parallel_mapreduce.ipynb`)
# runs the whole notebook in a fresh kernel and reports every check; save the notebook first.
# Everything runs offline against the simulator.

# %% tags=["parameters"]
model = "claude-haiku-4-5"
seed = 0
time_scale = 0.01
sweep_time_scale = 0.03  # the rate-limited run (task 3)
requests_per_minute = 30

# %%
import operator
import re

import nbformat
from pydantic import BaseModel

from orchestra import LLM, RateLimiter, Workflow, datasets, parallel, sim, step
from orchestra.errors import MergeConflictError
from orchestra.patterns.mapreduce import Batch, Doc, map_reduce, parse_amount

simulator = sim.start(seed=seed, time_scale=time_scale)
docs = [
    Doc(id=r["id"], kind=r["kind"], text=r["text"], fields=list(r["fields"]))
    for r in datasets.load("documents")
]
print(len(docs), "documents")


# %% [markdown]
# ## Task 1 · Implement the reduce step
#
# `map_reduce(llm, reduce)` calls `reduce(extracted, docs)` once, after the map: `extracted[i]` is
# the dict of fields extracted from `docs[i]` (or `None` if that item was skipped). Return a dict:
#
# - `"by_kind"`: how many documents of each kind, e.g. `{"invoice": 5, "meeting": 4, "incident": 3}`;
# - `"invoiced_usd"`: the sum of the invoices' `amount` fields as numbers (`parse_amount` turns
#   `"$1,250.00"` into `1250.0`), amounts that are missing count as 0, rounded to 2 decimals;
# - `"missing"`: how many requested field values came back as `None` (a skipped item counts all its fields).


# %%
def totals(extracted: list[dict | None], docs: list[Doc]) -> dict:
    ### BEGIN SOLUTION
    by_kind, invoiced, missing = {}, 0.0, 0
    for doc, row in zip(docs, extracted, strict=True):
        by_kind[doc.kind] = by_kind.get(doc.kind, 0) + 1
        row = row or {}
        missing += sum(row.get(f) is None for f in doc.fields)
        if doc.kind == "invoice":
            invoiced += parse_amount(row.get("amount")) or 0.0
    return {"by_kind": by_kind, "invoiced_usd": round(invoiced, 2), "missing": missing}
    ### END SOLUTION
    ### BEGIN STUB
    # # TODO: by_kind, invoiced_usd, missing
    # raise NotImplementedError
    ### END STUB


# %% tags=["check"]
# check 1: totals() combines the extracted rows
two = [
    Doc(id="a", kind="invoice", text="", fields=["amount", "email"]),
    Doc(id="b", kind="meeting", text="", fields=["date"]),
]
assert totals([{"amount": "$1,250.50", "email": None}, None], two) == {
    "by_kind": {"invoice": 1, "meeting": 1},
    "invoiced_usd": 1250.5,
    "missing": 2,
}
async with LLM(model, max_tokens=200) as llm:
    result = await map_reduce(llm, totals, concurrency=8).run(Batch(docs=docs))
rows = result.state.extracted
expected = sum(
    parse_amount(r["amount"]) or 0 for r, d in zip(rows, docs, strict=True) if d.kind == "invoice"
)
assert result.state.summary["invoiced_usd"] == round(expected, 2)
assert result.state.summary["by_kind"] == {"invoice": 5, "meeting": 4, "incident": 3}
print("check 1 passed:", result.state.summary)


# %% [markdown]
# ## Task 2 · Fix the planted bug: two parallel checks, one field
#
# Two checks look at each invoice at the same time and both append to `flags`. Building the workflow
# fails with `MergeConflictError`: the engine refuses to guess how to combine two branches that
# write the same field. Fix `build_review` so both flags survive (read the error message).


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
# check 2: both parallel branches' flags are merged
wf = build_review()
r = await wf.run(Review(text="Vendor: Kestrel Systems Inc\nAmount: $12,900.00", flags=["seen"]))
assert r.status == "completed", r.reason
assert r.state.flags == ["seen", "large amount", "no contact email"], r.state.flags
print("check 2 passed:", r.state.flags)


# %% [markdown]
# ## Task 3 · Fix the planted bug: a fan-out that earns 429s
#
# The model below is limited to `requests_per_minute`. `make_llm()` returns the client the map
# uses; at concurrency 16 the fan-out outruns the limit and the server answers 429 (the SDK
# retries them, so the run still completes, slowly and noisily). Change `make_llm` so that no call
# gets a 429, without lowering the concurrency. Hint: chapter 02, "one shared `RateLimiter`".


# %%
def make_llm() -> LLM:
    ### BEGIN SOLUTION
    # one limiter mirroring the server's bucket; every call holds a slot before sending
    limiter = RateLimiter(requests_per_minute=requests_per_minute, time_scale=sweep_time_scale)
    return LLM(model, max_tokens=200, max_retries=30, limiter=limiter)
    ### END SOLUTION
    ### BEGIN STUB
    # return LLM(model, max_tokens=200, max_retries=30)
    ### END STUB


# %% tags=["check"]
# check 3: a 16-wide fan-out under a rate limit gets no 429
simulator.configure(
    time_scale=sweep_time_scale, limits=sim.Limits(requests_per_minute=requests_per_minute)
)
async with make_llm() as llm:
    r = await map_reduce(llm, lambda rows, docs: {}, concurrency=16).run(Batch(docs=docs * 3))
got_429 = sum(e["status"] == 429 for e in simulator.log)
simulator.configure(time_scale=time_scale, limits=sim.Limits())
assert r.status == "completed", r.reason
assert got_429 == 0, f"{got_429} calls got a 429"
print("check 3 passed: 36 calls, no 429")

# %% [markdown]
# ## Task 4 · Interview question
#
# *"You must extract fields from 10,000 documents; the model allows 4,000 requests per minute and
# a call takes about 2 seconds. How much concurrency do you use, how long will the job take at best,
# and what happens if you use more?"* Answer in the cell below (a few sentences: the bound, the
# concurrency, the 429s, and what you would monitor).

# %% [markdown] tags=["answer-02"] stub="_Your answer here._"
# **At best** the job is rate-bound: a full bucket of 4,000 calls bursts at once, then 4,000 a
# minute, so (10,000 − 4,000) / 4,000 = 1.5 minutes plus one call's latency. **Concurrency**: by
# Little's law, in-flight calls = rate × latency = 4,000/60 per s × 2 s ≈ 135; beyond that the
# rate limit binds and extra concurrency only buys **429** responses, each a wasted round trip and
# a retry-after wait, and retries that all wake at once. So cap concurrency near 135 and pace with
# one shared **rate limiter** (requests and input tokens per minute) mirroring the server's
# buckets; still honour retry-after. Monitor the 429 rate, the makespan against the lower bound,
# and the failed items, so a reduce never silently totals a partial map.

# %% tags=["check"]
# check 4: the interview answer is written and names the key ideas
book = nbformat.read("02_parallel_mapreduce.ipynb", as_version=4)
answer = next(c.source for c in book.cells if "answer-02" in c.metadata.get("tags", []))
words = answer.lower()
assert len(answer.split()) >= 60, "write a few sentences (60 words or more)"
missing = [k for k in ("concurrency", "429", "rate", "minute") if k not in words]
assert not missing, f"the answer does not mention: {missing}"
print("check 4 passed")

# %%
simulator.stop()
