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
#       backend: anthropic
#       concurrencies:
#       - 1
#       - 4
#       - 16
#       efforts:
#       - high
#       n_docs: 8
#       pipeline_docs: 12
#       requests_per_minute: 3
#       seed: 1
#       sweep_docs: 6
#       strong_models:
#       - claude-opus-5-5
#       sweep_time_scale: 0.01
#       time_scale: 0.005
#       vote_ns:
#       - 1
#       - 3
#       vote_tickets: 10
# ---

# %% [markdown]
# # 02 · Parallel and map-reduce: many documents at once, then one answer
#
# **What it is for.** You have N independent pieces of work (documents, tickets, rows) and one
# question about all of them. *Map*: the same LLM call on each item, many in flight at once.
# *Reduce*: combine the N results into one (totals, a digest, a ranking). The calls do not wait
# for each other, so the run takes about as long as the slowest *lane*, not the sum of the calls.
#
# **When not to use it.** When items depend on each other (the answer to one changes the prompt of
# the next), when N is tiny (a loop is clearer), or when the reduce needs every document *at once*
# in one prompt and they fit in the context window (one call may be cheaper than N).
#
# **Trade-off.** Parallelism buys latency, never cost: N calls cost the same in any order. It is
# capped twice: by your concurrency, and by the provider's rate limit. Past that limit more
# concurrency buys only 429s. This chapter measures both.
#
# Two more shapes of parallel work close the chapter: a **pipeline** of stages against a
# **barrier** between them, and **voting** (the same task N times, the answers aggregated).

# %% tags=["parameters"]
backend = "sim"  # "sim": offline simulator; "anthropic": real Claude (needs ANTHROPIC_API_KEY)
model = "claude-haiku-5-5"  # the extraction model: cheap and fast, the map runs it N times
seed = 0
n_docs = 12  # documents to extract from (the dataset has 12)
time_scale = 0.01  # wall-clock seconds per simulated second
concurrency = 8  # calls in flight at once in the map
max_tokens = 2048  # per call: room for the thinking (it counts in max_tokens) and the JSON
# the concurrency sweep against a rate-limited model
sweep_docs = 8  # items in the sweep (the documents, repeated if more than 12)
requests_per_minute = 4  # the simulated rate limit (model-minutes): a bucket of 4, +4 a minute
sweep_time_scale = 0.002  # the bucket's minute lasts 0.12 s wall-clock, so the sweep takes a second
concurrencies = [1, 4, 16]
pipeline_docs = 20  # documents through two stages, pipelined and behind a barrier
expensive_model = "claude-opus-5-5"  # the slow stage's model in the pipeline
summary_lanes = 2  # the summariser's own limit (calls at once on its model), in a pool per stage
vote_tickets = 60  # labelled tickets to vote on (chapter 03's 60 support tickets)
vote_ns = [1, 3, 5, 7]  # Haiku voters per ticket: N copies of one request
strong_models = ["claude-sonnet-5-5", "claude-opus-5-5"]  # baselines: one call of a stronger
# model at its default effort, and one at the effort above it
efforts = ["high", "xhigh"]  # baseline: one call of the same cheap model at a higher effort

# %% [markdown]
# ## Start the simulator and load the documents
#
# `orchestra/data/documents.jsonl`: twelve short hand-written business documents (invoices,
# meeting notes, incident reports), each with the fields to extract and their true values.

# %%
import json
from collections import Counter

import matplotlib.pyplot as plt
import pandas as pd

from orchestra import LLM, RateLimiter, datasets, sim, viz
from orchestra.patterns.mapreduce import Batch, Doc, map_reduce, parse_amount

simulator = sim.start(seed=seed, time_scale=time_scale) if backend == "sim" else None
base_url = simulator.url if simulator else None
records = datasets.load("documents")[:n_docs]
docs = [Doc(id=r["id"], kind=r["kind"], text=r["text"], fields=list(r["fields"])) for r in records]
print(
    len(docs), "documents:", ", ".join(f"{k} {n}" for k, n in Counter(d.kind for d in docs).items())
)
print()
print(docs[0].text)

# %% [markdown]
# ## The pattern: `orchestra.patterns.mapreduce`
#
# The whole pattern is a two-node workflow: `map_each` runs one extraction step per document (at
# most `concurrency` at once, results in document order), then `combine` hands the results to a
# plain Python `reduce` function. Read it; it is short.

# %%
import inspect

print(inspect.getsource(map_reduce))


# %% [markdown]
# ## The reduce: totals and a digest
#
# The reduce is ordinary code: no LLM call is needed to add numbers or sort by date. (An LLM
# reduce makes sense when combining needs judgement, e.g. "which incidents share a cause?".)
# A field the map could not extract comes back as `None`; the digest prints it as `?` (and a
# missing date as `????-??-??`) instead of dropping the line, so gaps stay visible. The same
# goes for the total: an invoice whose amount is missing is not counted as \\$0. The total then
# says it is a lower bound and how many amounts it lacks.


# %%
def digest(extracted: list[dict | None], docs: list[Doc]) -> dict:
    """Totals per kind, the invoiced sum (marked partial if amounts are missing), a dated digest."""
    lines, invoiced, unpriced = [], 0.0, 0
    for doc, row in zip(docs, extracted, strict=True):
        row = row or {}
        when = row.get("date") or row.get("invoice_date") or "????-??-??"
        if doc.kind == "invoice":
            amount = parse_amount(row.get("amount"))
            if amount is None:
                unpriced += 1  # a gap, not a zero: the total becomes a lower bound
            else:
                invoiced += amount
            what = f"{row.get('vendor') or '?'} {row.get('amount') or '?'} due {row.get('due_date') or '?'}"
        elif doc.kind == "meeting":
            what = (
                f"notes by {row.get('author') or '?'}, next {row.get('next_meeting_date') or '?'}"
            )
        else:
            what = f"{row.get('severity') or '?'} on {row.get('service') or '?'}"
        lines.append(f"{when}  {doc.kind:<8} {what}")
    total = round(invoiced, 2)
    shown = f"{total:,.2f}"
    if unpriced:
        gap = "1 invoice's amount" if unpriced == 1 else f"{unpriced} invoices' amounts"
        shown = f"≥ {shown} ({gap} missing)"
    return {
        "documents": len(docs),
        "invoiced_usd": total,
        "amounts_missing": unpriced,
        "invoiced": shown,
        "digest": sorted(lines),
    }


# %% [markdown]
# ## Run it: 12 extractions in parallel, one reduce
#
# `progress=True` shows a tqdm bar over the map. The trace keeps one span per document.
# Expect a few `?` and `????-??-??` in the digest: those are fields the model missed (Haiku on
# prose documents), not a bug in the reduce; the next section counts them against the truth.

# %%
async with LLM(model, backend=backend, max_tokens=max_tokens) as llm:
    result = await map_reduce(llm, digest, concurrency=concurrency, progress=True).run(
        Batch(docs=docs)
    )
print(
    result.status,
    "|",
    len(result.trace.steps()),
    "steps |",
    result.tokens,
    "tokens |",
    f"${result.cost_usd:.5f}",
)
summary = result.state.summary
print("invoiced (USD):", summary["invoiced"])
print("\n".join(summary["digest"]))

# %% [markdown]
# **Why `max_tokens=2048` for a JSON object of a few fields.** Haiku 5.5 thinks before it
# answers (adaptive thinking, on by default), and the thinking is output: billed as output
# tokens and counted in `max_tokens`. A limit sized for the answer alone (the 200 tokens this
# chapter used with the 4.5 models) can be spent on thinking, and the call then ends with
# `stop_reason` `max_tokens` and no JSON at all. The calls above, from the trace:

# %%
calls = result.trace.to_dataframe().query("kind == 'llm'")
thought = calls["thinking_tokens"].sum() / calls["output_tokens"].sum()
print(
    f"{len(calls)} calls: {calls['output_tokens'].sum():,} output tokens, {thought:.0%} of them "
    f"thinking; the longest call wrote {calls['output_tokens'].max():,} tokens "
    f"({calls['thinking_tokens'].max():,} at most thinking), against max_tokens={max_tokens}"
)
assert (calls["stop_reason"] != "max_tokens").all()  # no call was cut short

# %% [markdown]
# Against the data: each document record carries its true amount. The reduce is right when it
# adds exactly the amounts the map extracted; the total matches the data only when every amount
# was extracted, and extracted right.

# %%
invoices = [
    (r["fields"]["amount"], parse_amount((row or {}).get("amount")))
    for r, row in zip(records, result.state.extracted, strict=True)
    if r["kind"] == "invoice"
]
truth = round(sum(t for t, _ in invoices), 2)
got = [g for _, g in invoices if g is not None]
assert summary["invoiced_usd"] == round(sum(got), 2)  # the reduce adds what the map found
assert summary["amounts_missing"] == len(invoices) - len(got)  # and counts what it did not
if len(got) == len(invoices) and all(g == t for t, g in invoices):
    assert summary["invoiced_usd"] == truth  # complete and right: the data's own total
print(f"the data's invoices sum to {truth:,.2f} USD; the reduce reports {summary['invoiced']}")
print(
    f"{len(got)} of {len(invoices)} amounts extracted, "
    f"{sum(g == t for t, g in invoices)} of them equal to the truth"
)


# %% [markdown]
# ### How good is the map? Field accuracy against the ground truth
#
# Each document record carries its true field values. A field counts as right when the
# extracted value equals the truth (amounts compared as numbers). Prose documents are harder
# than `Key: value` ones; Haiku drops or confuses some fields.


# %%
def correct(field, got, truth):
    return parse_amount(got) == truth if field == "amount" else got == truth


rows = [
    {"kind": r["kind"], "field": f, "right": correct(f, (got or {}).get(f), truth)}
    for r, got in zip(records, result.state.extracted, strict=True)
    for f, truth in r["fields"].items()
]
acc = pd.DataFrame(rows).groupby("kind")["right"].agg(["sum", "count"])
acc["accuracy"] = (acc["sum"] / acc["count"]).round(2)
acc.rename(columns={"sum": "fields right", "count": "fields"})

# %% [markdown]
# ## Sequential vs parallel: the same work, two timelines
#
# Same documents, same prompts, and the same answers and latencies. Today's models take no
# temperature: each call is a fresh sample, so asking twice may answer twice differently. The
# simulator keeps that reproducible: it gives the k-th identical request of its life its k-th
# sample (answer and latency, drawn from the seed), so `simulator.configure()` (a fresh count)
# before each run gives both runs the first sample of every document. With `concurrency=1` the calls queue up; with `concurrency=8` they overlap. Both charts are in **simulated seconds**: each
# call lasts exactly the model-seconds the simulator charged for it, whatever this machine's
# load (`orchestra.calls`); each black bar inside a step is its LLM call.

# %%
runs = {}
async with LLM(model, backend=backend, max_tokens=max_tokens) as llm:
    for c in (1, concurrency):
        if simulator:  # a fresh seeded server: both runs meet the same latencies
            simulator.configure()
        runs[c] = await map_reduce(llm, digest, concurrency=c).run(Batch(docs=docs))
for c, r in runs.items():
    print(
        f"concurrency {c}: {r.status}, same answers: {r.state.extracted == result.state.extracted}"
    )

# %%
fig = viz.timeline(runs[1].trace, title="Sequential: concurrency 1 (simulated seconds)")

# %%
fig = viz.timeline(
    runs[concurrency].trace, title=f"Parallel: concurrency {concurrency} (simulated seconds)"
)

# %% [markdown]
# How long *should* each run take? Lay the calls, in document order, on `c` lanes: each call
# starts when the earliest lane frees up. That is a *list schedule*,
# `orchestra.clock.schedule(durations, slots)`, and it is exactly how `map_each` hands out its
# slots. No schedule at all beats the **lower bound** `max(sum / c, longest call)`. The
# durations are the LLM spans' model-seconds only: a step's span contains its call, so summing
# every span would count each call twice.

# %%
import re

from orchestra.clock import schedule


def call_seconds(trace) -> list[float]:
    """The answered LLM calls' simulated seconds, in item order (from the trace's LLM spans;
    on real Claude, which charges no simulated seconds, their wall-clock seconds)."""
    spans = trace.to_dataframe()
    calls = spans[(spans["kind"] == "llm") & (spans["status"] == "ok")]
    index = calls["key"].map(lambda k: int(re.search(r"\[(\d+)\]", k).group(1)))
    return list(calls.assign(i=index).sort_values("i")["model_s" if simulator else "duration_s"])


bounds = []
for c, r in runs.items():
    d = call_seconds(r.trace)
    starts = schedule(d, c)
    bounds.append(
        {
            "concurrency": c,
            "calls": len(d),
            "sum of calls (sim s)": round(sum(d), 2),
            "makespan, result.sim_s": round(r.sim_s, 2),
            "list schedule (sim s)": round(max(s + x for s, x in zip(starts, d, strict=True)), 2),
            "lower bound (sim s)": round(max(sum(d) / c, max(d)), 2),
        }
    )
bounds = pd.DataFrame(bounds).set_index("concurrency")
bounds["makespan / schedule"] = (
    bounds["makespan, result.sim_s"] / bounds["list schedule (sim s)"]
).round(3)
if simulator:
    assert (bounds["makespan / schedule"] - 1).abs().max() <= 0.05, bounds
else:
    print("backend='anthropic': real Claude reports no simulated seconds; nothing to schedule")
bounds

# %%
seq, par = bounds.loc[1], bounds.loc[concurrency]
print(
    f"Sequentially the run takes {seq['makespan, result.sim_s']:.2f} simulated s, the sum of its "
    f"{seq['calls']:.0f} calls. With {concurrency} lanes it takes "
    f"{par['makespan, result.sim_s']:.2f} s: {seq['makespan, result.sim_s'] / par['makespan, result.sim_s']:.1f}× "
    f"faster, {par['makespan / schedule']:.3f}× the list schedule and "
    f"{par['makespan, result.sim_s'] / par['lower bound (sim s)']:.2f}× the lower bound "
    f"(the lanes cannot split a call: the last ones to start set the end)."
)

# %% tags=["nbval-ignore-output"]
for c, r in runs.items():
    spans = r.trace.to_dataframe()
    wall = spans["end"].max() - spans["start"].min()
    print(f"concurrency {c}: {wall:.3f} s wall-clock on this machine (mostly its own overhead)")

# %% [markdown]
# ## A concurrency sweep against a rate-limited model
#
# Real APIs meter requests per minute. We set the simulator to `requests_per_minute` (a token
# bucket: a full minute's worth may burst, then it refills at that rate) and run the same
# map over `sweep_docs` items at each concurrency in `concurrencies`, twice:
#
# - **no limiter**: every lane sends as fast as it can; the server answers 429 with
#   `retry-after`, and a `Retry` policy waits that long and sends again (the policy is the one
#   layer that retries, so every 429 shows in the trace and the log);
# - **one shared `RateLimiter`**: every call holds a slot from one client-side bucket that mirrors
#   the server's, so calls wait *before* sending instead of failing.
#
# The 429s are counted in `simulator.log`. The makespan is simulated time again, with one
# subtlety: the simulator meters its bucket on this machine's clock, and a busy CPU lets it
# refill while simulated time stands still. So we lay the calls the simulator charged on the
# simulated clock ourselves, with the rule a shared limiter enforces: a call starts when a lane
# is free **and** the bucket holds a request (`orchestra.fanout.paced`: `schedule` plus a
# bucket, for requests that are chains of calls; here each request is one call).

# %%
from orchestra.fanout import paced as lay_out


def paced(durations: list[float], slots: int, per_minute: float | None) -> float:
    """Simulated makespan: calls in order on `slots` lanes, each also waiting for a bucket token."""
    return max(end for _, end in lay_out([[d] for d in durations], slots, per_minute))


assert paced([1.0] * 4, 2, None) == 2.0  # no limit: a list schedule
assert paced([1.0] * 4, 4, 2) == 61.0  # a burst of 2, then one request every 30 s

# %%
from orchestra import Retry


async def sweep_run(c: int, limited: bool) -> dict:
    """One map over the sweep items at concurrency c; 429s from the simulator log."""
    simulator.configure(
        time_scale=sweep_time_scale, limits=sim.Limits(requests_per_minute=requests_per_minute)
    )
    limiter = (
        RateLimiter(requests_per_minute=requests_per_minute, time_scale=sweep_time_scale)
        if limited
        else None
    )
    items = (docs * (sweep_docs // len(docs) + 1))[:sweep_docs]
    retry = Retry(max_attempts=40, seed=seed)  # honours retry-after
    async with LLM(model, max_tokens=max_tokens, limiter=limiter) as llm:
        r = await map_reduce(llm, digest, concurrency=c, retry=retry).run(Batch(docs=items))
    d = call_seconds(r.trace)
    return {
        "limiter": "shared RateLimiter" if limited else "none",
        "concurrency": c,
        "status": r.status,
        "429s": sum(e["status"] == 429 for e in simulator.log),
        "makespan, no rate limit (sim s)": round(paced(d, c, None), 1),
        "makespan, rate-limited (sim s)": round(paced(d, c, requests_per_minute), 1),
        "mean call (sim s)": sum(d) / len(d),
    }


# %%
sweep = []
if simulator:
    for limited in (False, True):
        for c in concurrencies:
            sweep.append(await sweep_run(c, limited))
    simulator.configure(time_scale=time_scale, limits=sim.Limits())  # back to no limits
    sweep = pd.DataFrame(sweep)
else:
    print("backend='anthropic': no simulator to rate-limit, the sweep is skipped")

# %% [markdown]
# The table varies a little from run to run: the 429 counts without a limiter depend on who
# gets the next token of the bucket (a race), and repeated documents are answered in whatever
# order they arrive, each with its own seeded latency. What does not vary is printed under it.

# %% tags=["nbval-ignore-output"]
sweep

# %%
if simulator:
    none, shared = (sweep[sweep["limiter"] == k] for k in ("none", "shared RateLimiter"))
    mean = shared["mean call (sim s)"].mean()  # no 429s here: the same latencies every run
    print("every run completed:", (sweep["status"] == "completed").all())
    print("429s with one shared RateLimiter, all concurrencies:", shared["429s"].sum())
    print(f"429s without a limiter at concurrency {concurrencies[-1]}: some (how many is a race)")
    assert shared["429s"].sum() == 0 and none["429s"].iloc[-1] > 0
    rate_bound = (sweep_docs - requests_per_minute) / requests_per_minute * 60
    print(
        f"At {requests_per_minute} requests/min the bucket refills one request every "
        f"{60 / requests_per_minute:.0f} simulated s, and a call takes {mean:.2f} s on average: "
        f"one lane already sends faster (Little's law: lanes needed = rate × latency = "
        f"{requests_per_minute / 60:.2f}/s × {mean:.2f} s = {requests_per_minute / 60 * mean:.2f}). "
        f"After the burst of {requests_per_minute}, the other "
        f"{sweep_docs - requests_per_minute} calls cannot start before "
        f"{rate_bound:.0f} s, whatever the concurrency."
    )
    assert (sweep["makespan, rate-limited (sim s)"] >= rate_bound).all()

# %%
if simulator:
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8), dpi=100)
    left.plot(
        shared["concurrency"],
        shared["makespan, no rate limit (sim s)"],
        "o--",
        color="tab:gray",
        label="if there were no rate limit",
    )
    left.plot(
        shared["concurrency"],
        shared["makespan, rate-limited (sim s)"],
        "o-",
        color="tab:green",
        label=f"{requests_per_minute} requests/min",
    )
    left.axhline(rate_bound, color="black", lw=0.8, ls=":", label="rate bound")
    left.set_yscale("log")
    left.set_ylabel("simulated makespan (s, log scale)")
    left.set_title(f"{sweep_docs} extractions: time")
    for (name, rows), color in zip(
        sweep.groupby("limiter", sort=False), ["tab:red", "tab:green"], strict=True
    ):
        right.plot(rows["concurrency"], rows["429s"], "o-", color=color, label=f"limiter: {name}")
    right.set_ylabel("429 responses (count)")
    right.set_title(f"Rate-limit errors at {requests_per_minute} requests/min")
    for ax in (left, right):
        ax.set_xscale("log", base=2)
        ax.set_xticks(concurrencies, [str(c) for c in concurrencies])
        ax.set_xlabel("concurrency (calls in flight)")
        ax.legend(fontsize=8)
    fig.tight_layout()

# %% [markdown]
# What to read in the charts:
#
# - **Left.** Without a rate limit, lanes pay: the makespan falls with concurrency (grey). Under
#   the limit it does not move (green): after the first minute's burst the bucket sets the pace,
#   and more lanes cannot make the run shorter. The run without a limiter finishes no sooner
#   either: each 429's `retry-after` sends the call back to wait for the same token.
# - **Right.** Without a limiter, the lanes outrun the bucket and the server answers 429: each
#   one a wasted round trip and a `retry-after` wait, and retries that wake together. With one
#   shared limiter they vanish, for the same makespan: waiting client-side costs nothing extra.
# - The limiter must be **shared** by every caller of that API key: one per worker would each
#   think it owns the whole budget.


# %% [markdown]
# ## Pipeline vs barrier: two stages over many documents
#
# A map often has two stages: extract the fields of each document, then summarise each
# extraction. With the same concurrency limit there are two ways to wire them:
#
# - **barrier**: `map_each(extract)`, then `map_each(summarise)`. No summary starts before the
#   last extraction is back, so lanes that finished their extractions early sit idle;
# - **pipeline**: `map_each(extract, summarise)`. Each document goes on to its summary as soon as
#   its own extraction is back, on the slot it already holds; at most `concurrency` calls are in
#   flight, as in the barrier.
#
# The latencies are uneven: this team extracts incident reports with Opus (a wrong severity pages
# the wrong people), which is slower than Haiku. `pipeline_docs` extraction jobs go through both
# forms: the 12 documents, then the first ones again as a second team files them, with the
# fields in the opposite order. Every request is then distinct, so each meets its own seeded
# latency whatever order this machine happens to send them in (two identical requests would get
# the first and second latency of that prompt in arrival order, a race). The simulator is reset
# before each form, so both meet the same latencies.

# %%
from pydantic import BaseModel

from orchestra import Workflow, map_each, step
from orchestra.patterns.mapreduce import extract_prompt


class Stages(BaseModel):
    docs: list[Doc]
    facts: list[str | None] = []
    summaries: list[str | None] = []


def two_stages(fast: LLM, slow: LLM, *, pipeline: bool) -> Workflow:
    """Extract (incident reports on the slow model), then summarise: pipelined or behind a barrier."""

    @step
    async def extract(doc: Doc) -> str:
        llm = slow if doc.kind == "incident" else fast
        return (await llm.ask(extract_prompt(doc))).text

    @step
    async def summarise(facts: str) -> str:
        return (await fast.ask(f"Summarize in one sentence: {facts}")).text

    if pipeline:
        stages = [
            map_each(extract, summarise, over="docs", into="summaries", concurrency=concurrency)
        ]
    else:
        stages = [
            map_each(extract, over="docs", into="facts", concurrency=concurrency),
            map_each(summarise, over="facts", into="summaries", concurrency=concurrency),
        ]
    return Workflow("pipeline" if pipeline else "barrier", state=Stages, steps=stages)


again = [d.model_copy(update={"fields": d.fields[::-1]}) for d in docs]  # a second form
flow = Stages(docs=(docs + again)[:pipeline_docs])
forms = {}
async with (
    LLM(model, backend=backend, max_tokens=max_tokens) as fast,
    LLM(expensive_model, backend=backend, max_tokens=max_tokens) as slow,
):
    for name, pipelined in (("barrier", False), ("pipeline", True)):
        if simulator:  # a fresh seeded server: both forms meet the same latencies
            simulator.configure()
        forms[name] = await two_stages(fast, slow, pipeline=pipelined).run(flow)
print(
    {name: r.status for name, r in forms.items()},
    "| same summaries:",
    forms["barrier"].state.summaries == forms["pipeline"].state.summaries,
)

# %% [markdown]
# Each form's makespan is checked against a list schedule computed here from the calls'
# charged seconds (`clock.schedule`, the rule `map_each` hands out slots by): the pipeline lays
# out whole items (extract + summarise); the barrier lays out the extractions, then the summaries
# from the moment the last extraction ends. Each has a lower bound no schedule beats: the
# pipeline's is `max(all work / c, longest item)`; the barrier's adds one such bound per stage.
# Idle lane-seconds are what the `concurrency` lanes could have done but did not.


# %%
def stage_seconds(trace, stage: str) -> list[float]:
    """One stage's charged seconds, in document order, from the trace's LLM spans (on real
    Claude, which charges no simulated seconds, each call's wall-clock seconds)."""
    spans = trace.to_dataframe()
    calls = spans[(spans["kind"] == "llm") & spans["key"].str.endswith(f".{stage}")]
    index = calls["key"].map(lambda k: int(re.search(r"\[(\d+)\]", k).group(1)))
    return list(calls.assign(i=index).sort_values("i")["model_s" if simulator else "duration_s"])


def ends(durations: list[float], slots: int, start: float = 0.0) -> list[float]:
    return [s + d for s, d in zip(schedule(durations, slots, start), durations, strict=True)]


def first_summary(trace) -> float:
    spans = trace.to_dataframe()
    done = spans[(spans["kind"] == "llm") & spans["key"].str.endswith(".summarise")]
    return done["sim_end"].min() - spans["sim_start"].min()


c = concurrency
work = {n: [stage_seconds(r.trace, s) for s in ("extract", "summarise")] for n, r in forms.items()}
if simulator:  # a fresh server before each form: the same calls, the same seconds
    assert work["barrier"] == work["pipeline"]
items = {n: [a + b for a, b in zip(*work[n], strict=True)] for n in forms}
one, two = work["barrier"]
reference = {
    "pipeline": max(ends(items["pipeline"], c)),
    "barrier": max(ends(two, c, max(ends(one, c)))),
}
bound = {
    "pipeline": max(sum(items["pipeline"]) / c, max(items["pipeline"])),
    "barrier": max(sum(one) / c, max(one)) + max(sum(two) / c, max(two)),
}
# the simulator's log since its last reset holds the pipeline's calls
charged = sum(e["model_s"] for e in simulator.log) if simulator else sum(items["pipeline"])
stages = pd.DataFrame(
    [
        {
            "form": name,
            "calls": 2 * len(items[name]),
            "makespan, result.sim_s": round(r.sim_s, 2),
            "list schedule (sim s)": round(reference[name], 2),
            "lower bound (sim s)": round(bound[name], 2),
            "makespan / bound": round(r.sim_s / bound[name], 3),
            "first summary at (sim s)": round(first_summary(r.trace), 2),
            "idle lane-seconds": round(c * r.sim_s - sum(items[name]), 2),
        }
        for name, r in forms.items()
    ]
).set_index("form")
if simulator:  # in simulated time the makespan is the list schedule (wall-clock adds overhead)
    assert (stages["makespan, result.sim_s"] - stages["list schedule (sim s)"]).abs().max() <= 0.01
    # the trace's seconds are what was charged
    assert abs(charged - sum(items["pipeline"])) <= 1e-3 * charged
stages

# %%
fig, axes = plt.subplots(2, 1, figsize=(10, 6.4), dpi=100, sharex=True)
for ax, (name, r) in zip(axes, forms.items(), strict=True):
    viz.lanes(
        r.trace,
        slots=c,
        bound=bound[name],
        ax=ax,
        title=f"{name}: {len(items[name])} documents, {c} slots (simulated seconds)",
    )
axes[0].set_xlabel("")

# %%
bar, pipe = stages.loc["barrier"], stages.loc["pipeline"]
faster = bar["makespan, result.sim_s"] - pipe["makespan, result.sim_s"]
print(
    f"Behind the barrier the run takes {bar['makespan, result.sim_s']:.2f} simulated s and the "
    f"{c} lanes sit idle for {bar['idle lane-seconds']:.1f} lane-seconds; pipelined it takes "
    f"{pipe['makespan, result.sim_s']:.2f} s ({faster:+.2f} s"
    + (" saved" if faster > 0 else ", no faster")
    + f"), and the first summary is ready at {pipe['first summary at (sim s)']:.2f} s instead of "
    f"{bar['first summary at (sim s)']:.2f} s. Each form is within "
    f"{max(stages['makespan / bound']):.2f}× of its own lower bound. "
    + (
        f"The two bounds are equal ({pipe['lower bound (sim s)']:.2f} s): each stage's work spread "
        f"over {c} lanes outlasts its longest call, so what separates the forms is the idle time "
        f"at the barrier."
        if pipe["lower bound (sim s)"] == bar["lower bound (sim s)"]
        else f"The pipeline's bound ({pipe['lower bound (sim s)']:.2f} s) is below the barrier's "
        f"({bar['lower bound (sim s)']:.2f} s): a straggler of stage 1 holds up only its own item."
    )
)
if simulator:  # the same calls in both forms: the pipeline's bound is never higher
    assert pipe["lower bound (sim s)"] <= bar["lower bound (sim s)"] + 1e-9
slowest = flow.docs[max(range(len(one)), key=one.__getitem__)]
print(
    f"The slowest extraction, the one the barrier waits for: {slowest.id} ({slowest.kind}, "
    f"on {expensive_model if slowest.kind == 'incident' else model}), {max(one):.2f} s."
)
if simulator:
    assert pipe["first summary at (sim s)"] < bar["first summary at (sim s)"]

# %% [markdown]
# What to read in the timelines: in the barrier, the slots that finished their extractions wait
# (white) for the slowest extraction before any summary starts; in the pipeline, a slot moves straight on to the summary of the document it just
# extracted, and the next document after that. The pipeline's gain grows with how uneven the
# first stage is and with how few items each lane gets; with hundreds of even items per lane
# the barrier's idle tail is a rounding error. Its surer gain is the time to the first result.
#
# **When the barrier is still right.** When stage 2 needs *all* of stage 1: a global ranking
# ("the five largest invoices"), a deduplication across documents, a summary that compares each
# document with the batch, or normalising by the batch's median. Then a pipeline cannot start
# stage 2 early anyway, and the barrier says so in the code. A barrier is also simpler to
# checkpoint and to retry as a stage. `map_reduce` above is one: its reduce is the barrier.

# %% [markdown]
# ### A pool per stage, and backpressure between them
#
# `map_each(extract, summarise)` gives every lane to whichever stage its item is in. In
# production the stages rarely share one limit: each model has its own rate limit and price,
# so a stage on a slow or scarce model gets few lanes and a cheap stage many. That is a
# **pool per stage** (`orchestra.fanout.stages`): stage s runs on `pools[s]` workers of its own,
# and items pass between stages through a queue. Then a second question appears: what if the
# next stage falls behind? With an **unbounded** queue the fast stage runs ahead and finished
# work piles up (here a few strings; in production, fetched documents, open connections, rows
# held in memory). With a **bounded** queue of `buffer` places, a worker whose item finds it full
# waits with the item, so its stage slows to the pace of the next: **backpressure**. With
# `buffer=0` a worker hands its item straight to a free worker of the next stage, or waits.
#
# The same documents once more, on a fresh simulator so each call meets the same latency as
# above. Suppose the summariser's model allows only `summary_lanes` calls at once (its own
# rate limit, or a quota shared with other teams): the summaries get a pool of that size, the
# extractions the rest of the `concurrency` lanes. The summaries are now the bottleneck, which
# is when the queue between the stages matters. `stages` returns each item's
# simulated seconds per stage; `fanout.staged` lays them out by the rule the pools and the queue
# follow (first come, first served), for each buffer size.

# %%
from orchestra.fanout import staged, stages

# the summariser's model allows `summary_lanes` calls at once; the extractions get the rest
pools = [max(1, concurrency - summary_lanes), max(1, summary_lanes)]


async def staged_run(buffer: int | None) -> tuple[list, list[list[float]]]:
    async def extract(doc: Doc) -> str:
        llm = slow if doc.kind == "incident" else fast
        return (await llm.ask(extract_prompt(doc))).text

    async def summarise(facts: str) -> str:
        return (await fast.ask(f"Summarize in one sentence: {facts}")).text

    if simulator:  # a fresh seeded server: the same latencies as the two forms above
        simulator.configure()
    return await stages(flow.docs, [extract, summarise], pools=pools, buffer=buffer)


async with (
    LLM(model, backend=backend, max_tokens=max_tokens) as fast,
    LLM(expensive_model, backend=backend, max_tokens=max_tokens) as slow,
):
    outs, seconds = await staged_run(buffer=1)
print(f"pools {pools}: same summaries as map_each:", outs == forms["pipeline"].state.summaries)
if simulator:  # the same requests on a fresh server: the same charged seconds per call
    assert outs == forms["pipeline"].state.summaries
    assert [list(x) for x in zip(*seconds, strict=True)] == work["pipeline"]


# %%
def waiting_most(layout) -> int:
    """Most items at once done with stage 1 and not yet in stage 2 (in the buffer or held)."""
    moments = sorted({row[0][1] for row in layout} | {row[1][0] for row in layout})
    return max(sum(r[0][1] <= t < r[1][0] for r in layout) for t in moments)


configs = [(f"one shared pool of {c} (no summariser limit)", None)] + [
    (f"pools {pools[0]}+{pools[1]}, buffer {b if b is not None else 'unbounded'}", b)
    for b in (None, 2, 0)
]
rows = []
for label, b in configs:
    if label.startswith("one shared"):
        ends_ = ends(items["pipeline"], c)
        rows.append({"form": label, "makespan (sim s)": max(ends_), "most waiting": 0})  # none

        continue
    layout = staged(seconds, pools, buffer=b)
    rows.append(
        {
            "form": label,
            "makespan (sim s)": max(r[1][1] for r in layout),
            "most waiting": waiting_most(layout),
            "stage-1 workers held (worker-s)": sum(r[0][2] - r[0][1] for r in layout),
        }
    )
per_stage = pd.DataFrame(rows).set_index("form").round(2)
per_stage

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.4), dpi=100, sharey=True)
y = range(len(per_stage))
left.barh(y, per_stage["makespan (sim s)"], color="tab:green")
left.set_xlabel("makespan (simulated s)")
left.set_title("Time")
right.barh(y, per_stage["most waiting"], color="tab:orange")
right.set_xlabel("most items waiting between the stages (count)")
right.set_title("Work piled up")
left.set_yticks(list(y), per_stage.index)
left.invert_yaxis()
fig.suptitle(f"{len(flow.docs)} documents, two stages, {c} lanes in all")
fig.tight_layout()

# %%
free = per_stage.iloc[1]
tight = per_stage.iloc[-1]
print(
    f"With a pool per stage ({pools[0]} extracting, {pools[1]} summarising) and no bound on the "
    f"queue, up to {free['most waiting']:.0f} extractions wait for a summariser; with a "
    f"hand-off (buffer 0) at most {tight['most waiting']:.0f} do, and the extraction workers "
    f"spend {tight['stage-1 workers held (worker-s)']:.1f} worker-seconds holding finished items "
    f"(backpressure) instead of starting new ones. The makespan moves from "
    f"{free['makespan (sim s)']:.2f} to {tight['makespan (sim s)']:.2f} simulated s "
    f"({tight['makespan (sim s)'] / free['makespan (sim s)'] - 1:+.1%}): "
    + (
        "bounding the queue costs nothing here, the summaries set the pace either way."
        if abs(tight["makespan (sim s)"] - free["makespan (sim s)"]) < 0.01
        else "the bound costs a little time, for a bounded amount of work in flight."
    )
    + f" The shared pool's {per_stage.iloc[0]['makespan (sim s)']:.2f} s is what {c} lanes "
    f"would give if one limit covered both stages: it lends every lane to whichever stage needs "
    f"it. With a limit per model, a pool per stage is what the providers allow."
)
assert (per_stage["most waiting"].iloc[1:] <= per_stage["most waiting"].iloc[1]).all()

# %% [markdown]
# ## The same map-reduce in LangChain (LCEL) and LlamaIndex Workflows
#
# Same prompt, same reduce, same concurrency. LCEL: a `RunnableLambda | ChatAnthropic | parser`
# chain, fanned out with `.abatch(..., config={"max_concurrency": n})`. LlamaIndex: a start step
# that `ctx.send_event`s one event per document, an extract step with `num_workers=n`, and a
# reduce step that waits with `ctx.collect_events` for all N results.

# %%
from langchain_anthropic import ChatAnthropic
from langchain_core.runnables import RunnableLambda


async def lcel_map_reduce(docs: list[Doc]) -> dict:
    chat = ChatAnthropic(model=model, base_url=base_url, max_tokens=max_tokens)
    parse = RunnableLambda(lambda m: json.loads(m.text))
    chain = RunnableLambda(extract_prompt) | chat | parse
    rows = await chain.abatch(docs, config={"max_concurrency": concurrency})
    rows = [{f: row.get(f) for f in doc.fields} for doc, row in zip(docs, rows, strict=True)]
    return {"extracted": rows, "summary": digest(rows, docs)}


# %%
from llama_index.core.workflow import Context, Event, StartEvent, StopEvent, Workflow, step  # noqa: F811
from llama_index.llms.anthropic import Anthropic


async def llama_map_reduce(docs: list[Doc]) -> dict:
    class DocEvent(Event):
        i: int
        doc: Doc

    class Extracted(Event):
        i: int
        row: dict

    class MapReduce(Workflow):
        llm = Anthropic(model=model, base_url=base_url, max_tokens=max_tokens)

        @step
        async def fan_out(self, ctx: Context, ev: StartEvent) -> DocEvent | None:
            await ctx.store.set("docs", ev.docs)
            for i, doc in enumerate(ev.docs):
                ctx.send_event(DocEvent(i=i, doc=doc))
            return None

        @step(num_workers=concurrency)
        async def extract(self, ev: DocEvent) -> Extracted:
            reply = await self.llm.acomplete(extract_prompt(ev.doc))
            data = json.loads(reply.text)
            return Extracted(i=ev.i, row={f: data.get(f) for f in ev.doc.fields})

        @step
        async def reduce(self, ctx: Context, ev: Extracted) -> StopEvent | None:
            docs = await ctx.store.get("docs")
            got = ctx.collect_events(ev, [Extracted] * len(docs))
            if got is None:
                return None
            rows = [e.row for e in sorted(got, key=lambda e: e.i)]
            return StopEvent(result={"extracted": rows, "summary": digest(rows, docs)})

    return await MapReduce(timeout=120).run(docs=docs)


# %%
from orchestra import measure


async def orchestra_map_reduce(docs: list[Doc]) -> dict:
    async with LLM(model, backend=backend, max_tokens=max_tokens) as llm:
        r = await map_reduce(llm, digest, concurrency=concurrency).run(Batch(docs=docs))
    return {"extracted": r.state.extracted, "summary": r.state.summary}


implementations = {
    "orchestra": orchestra_map_reduce,
    "LangChain LCEL": lcel_map_reduce,
    "LlamaIndex Workflows": llama_map_reduce,
}
outputs, tables = {}, []
for label, run in implementations.items():
    if simulator:  # a fresh seeded server: every framework meets the same latencies
        simulator.configure()
    out, table = await measure.side_by_side(
        simulator, {label: run}, docs, shared=(digest,), concurrency=concurrency
    )
    outputs |= out
    tables.append(table)
comparison = pd.concat(tables)
for label, out in outputs.items():
    print(f"{label:<21} same extractions and summary as orchestra: {out == outputs['orchestra']}")

# %% tags=["nbval-ignore-output"]
comparison[["wall_s"]].rename(columns={"wall_s": "wall-clock s (framework overhead, varies)"})

# %% [markdown]
# Quality first: how many of the documents' fields each framework extracted right, against
# the truth, as in the accuracy table above (`correct`).

# %%
fields = sum(len(r["fields"]) for r in records)
comparison = comparison.drop(columns=["wall_s"])
comparison["fields right"] = [
    sum(
        correct(f, (row or {}).get(f), true)
        for r, row in zip(records, outputs[label]["extracted"], strict=True)
        for f, true in r["fields"].items()
    )
    for label in comparison.index
]
print(
    f"fields right, of {fields}: "
    + ", ".join(f"{k} {v}" for k, v in comparison["fields right"].items())
)
comparison

# %%
fig = viz.compare(
    comparison,
    quality=["fields right"],
    title=f"Map-reduce over {len(docs)} documents ({fields} fields), concurrency {concurrency}",
)

# %%
columns = {
    "calls": "calls",
    "input_tokens": "input tokens",
    "output_tokens": "output tokens",
    "cost_usd": "cost",
    "sim_s": "simulated makespan",
    "lines": "lines of code",
    "fields right": "fields right",
}
# on real Claude there is no simulator log: calls, tokens and seconds are not measured
columns = {c: name for c, name in columns.items() if comparison[c].notna().all()}
same = [name for c, name in columns.items() if comparison[c].round(9).nunique() == 1]
differ = [name for c, name in columns.items() if name not in same]
print("the same for all three:", ", ".join(same) or "nothing")
print("different:", ", ".join(differ) or "nothing")
for c in [c for c in ("input_tokens", "lines") if c in columns]:
    if comparison[c].nunique() > 1:
        print(f"  {columns[c]}: " + ", ".join(f"{k} {v:,}" for k, v in comparison[c].items()))

# %% [markdown]
# The simulated makespan lays each framework's answered calls on the same `concurrency` lanes,
# longest first (`measure.Meter`): the same rule for all three, whatever order the machine
# happened to send them in, so it shows parallelism and not one framework's overhead on this
# machine (the wall-clock column above, not charted, is mostly that overhead). Each framework
# met a freshly configured simulator, so each request got its first sample (answer and
# latency): the same calls on the same lanes give the same makespan, and `viz.compare` leaves
# an equal cost panel out. Quality it always draws, equal or not: the same fields right at the
# same cost is the finding. The three send the same request: the prompt, `max_tokens`, no effort or
# thinking setting (the model's defaults). LlamaIndex sends the prompt as a list of content
# blocks (`[{"type": "text", ...}]`) rather than a plain string, which the simulator reads as
# the same words, as a real model would; it sends no temperature to a 5.x model (the API
# would refuse one). Lines of code
# count only what you write for the task, one way for all (`measure.lines_of_code`); the
# pattern module is library code, like `abatch` and `collect_events`.
#
# What the numbers do not show is what you get for free. Orchestra's `map_each` keeps results
# in item order and journals each item (a crash mid-map resumes with the items done, chapter
# 08); LCEL's `abatch` is the shortest for a plain map but the reduce is yours; LlamaIndex
# spreads the fan-out over three steps and an event buffer, which pays off when steps are many
# and dynamic, less for a simple map.

# %% [markdown]
# ## Voting: the same question, asked N times
#
# Parallelization has a second form. Map-reduce *sections* a task: independent pieces, one call
# each. **Voting** runs the *same* task N times and aggregates the answers, buying accuracy or
# confidence with calls. Its classic form is **self-consistency**: ask one model the same
# question N times and keep the most common answer. Today's models take no temperature: every
# call is a sample at the model's own sampling, so N copies of one request are N samples,
# `sampled(llm, prompt, n)`. The simulator gives the k-th identical request of its life its
# k-th sample, so a seeded run gets the same *set* of N answers whatever order the copies
# arrive in: a vote, and every rate computed from votes, reproduces. Voters can also differ by
# construction: different models, efforts or phrasings (`panel`). They run at once, so N votes
# take about as long as the slowest one, and cost N times one.
#
# Three aggregation rules. **majority**: a label wins with more than half of all N votes.
# **consensus**: every vote names the same label. **k of N** (`rule=k`, k more than half of N):
# a label wins with at least k votes, the dial between the two (majority is k = ⌊N/2⌋ + 1,
# consensus is k = N). Under every rule a verdict **fails closed**: a missing vote (the call
# failed) or a malformed one (not exactly one of the labels) counts against every label, and a
# tie decides nothing; the label is then None and the item goes to a person or a stronger
# model. A check that reads `verdict.label == "pass"` is never passed by accident. Five votes
# under each rule:

# %%
from orchestra.patterns.vote import aggregate, panel, sampled, vote

RULES = ["majority", 4, "consensus"]
examples = [
    ["pass"] * 5,
    ["pass"] * 4 + ["fail"],
    ["pass"] * 3 + ["fail"] * 2,
    ["pass"] * 4 + [None],
    ["pass"] * 3 + ["fail", None],
    ["pass", "pass", "fail", "fail", None],
]
pd.DataFrame(
    [
        {"votes (None: missing or malformed)": str(votes)}
        | {f"rule={rule!r}": "{} ({})".format(*aggregate(votes, rule)) for rule in RULES}
        for votes in examples
    ]
).set_index("votes (None: missing or malformed)")

# %% [markdown]
# ### Self-consistency against fair baselines
#
# The labelled set: chapter 03's support tickets (`vote_tickets` of them, spread over all five
# categories), each with its true category. The question is the one a team faces when one cheap
# call is not accurate enough. Should it
#
# - ask the cheap model N times and take the majority (Haiku 5.5, N in `vote_ns`),
# - ask the cheap model once but let it think harder (`haiku.with_(effort=e)`, e in `efforts`),
# - or ask a stronger model once (each of `strong_models`, at its default effort, and at the
#   effort above it: a stronger model can think harder too)?
#
# Every approach is the same code, `vote(sampled(llm, prompt, n))`, with n = 1 for the single
# calls (one vote decides, unless it is malformed), and each runs on a freshly configured
# simulator, so an N-vote run gets the first N samples of every ticket's request. We keep the
# verdicts, what they cost (each reply's cost from `orchestra.prices`: today's prices) and the
# simulated seconds each ticket took: its voters run at once, so that is its slowest voter.

# %%
import math

from orchestra import clock
from orchestra.fanout import Slots, fan_out
from orchestra.prices import listing, price

LABELS = {
    "billing": "charges, refunds, invoices, pay, payments, card, discount, subscription plan, price, VAT",
    "technical": "errors, bugs, crashes, outage, webhook, slow or broken app, API, sync, update, notifications, screen, colours",
    "account": "password, profile, username, sign in, sign up, two-factor, admin, ownership, delete my account or data",
    "shipping": "delivery, package, parcel, tracking, courier, order arrived damaged or wrong item, customs",
    "other": "anything else",
}


def ticket_prompt(text: str) -> str:
    block = "\n".join(f"- {name}: {what}" for name, what in LABELS.items())
    return (
        "Classify the support ticket into one of the labels. Respond with only the label.\n"
        f"Labels:\n{block}\nTicket: {text}"
    )


every_ticket = datasets.load("tickets")
tickets = every_ticket[:: max(1, len(every_ticket) // vote_tickets)][:vote_tickets]
truth = [t["category"] for t in tickets]
print(len(tickets), "tickets:", ", ".join(f"{k} {n}" for k, n in Counter(truth).items()))


async def decide_all(llm: LLM, n: int, label: str) -> tuple[list, list[float], measure.Meter]:
    """Every ticket put to n copies of one request (majority): verdicts, simulated s per ticket."""
    if simulator:  # a fresh seeded server: every request starts from its first sample
        simulator.configure()

    async def one(i: int, ticket: dict):
        t0 = clock.now()
        verdict = await vote(sampled(llm, ticket_prompt(ticket["text"]), n), choices=list(LABELS))
        return verdict, clock.now() - t0  # the voters run at once: the slowest one's seconds

    lanes = max(1, concurrency // n)  # tickets at once: at most `concurrency` calls in flight
    with measure.Meter(simulator, label) as meter:
        done = await fan_out(one, tickets, limit=Slots(lanes), progress=label)
    return [v for v, _ in done], [s for _, s in done], meter


def name(model_id: str) -> str:
    """A model's short name: Opus 5.5 for claude-opus-5-5."""
    family, *version = model_id.removeprefix("claude-").split("-")
    return f"{family.title()} {'.'.join(version)}"


def voting(n: int) -> str:
    return f"{name(model)}, {n} vote{'s' * (n > 1)}"


cheap = name(model)
runs, setups = {}, {}
async with LLM(model, backend=backend, max_tokens=max_tokens) as haiku:
    for n in vote_ns:
        setups[voting(n)] = (haiku, n)
    for e in efforts:
        setups[f"{cheap} at effort {e}, 1 call"] = (haiku.with_(effort=e), 1)
    for m in strong_models:
        setups[f"{name(m)}, 1 call"] = (haiku.with_model(m), 1)
        steps_ = listing(m).efforts
        up = steps_[steps_.index(listing(m).default_effort) + 1 :][:1]
        for e in up:  # the next effort up, if the model has one
            setups[f"{name(m)} at effort {e}, 1 call"] = (haiku.with_model(m).with_(effort=e), 1)
    for label, (llm, n) in setups.items():
        runs[label] = await decide_all(llm, n, label)

# %% [markdown]
# The table: how many tickets each approach got right (`right`, k of n, and a 95% Wilson
# interval: with a few dozen tickets, a few tickets' difference is within the noise), how many
# it could not decide (a tie, no majority, a malformed answer), what 1,000 tickets would cost at
# today's prices, and the simulated seconds a ticket takes.


# %%
from orchestra.measure import wilson  # a 95% interval for k of n

rows = []
for label, (verdicts, seconds, meter) in runs.items():
    llm, n = setups[label]
    right = sum(v.label == t for v, t in zip(verdicts, truth, strict=True))
    low, high = wilson(right, len(tickets))
    cost = math.fsum(sorted(c for v in verdicts for c in v.costs))  # what the replies reported
    if simulator:  # the votes are what the simulator charged
        assert meter.result.calls == n * len(tickets), meter.result
        assert abs(meter.result.cost_usd - cost) < 1e-9
    rows.append(
        {
            "approach": label,
            "model": llm.model,
            "effort": llm.effort or listing(llm.model).default_effort,
            "calls per ticket": n,
            "right": f"{right}/{len(tickets)}",
            "accuracy": right / len(tickets),
            "95% interval": f"{low:.2f}–{high:.2f}",
            "low": low,
            "high": high,
            "undecided": sum(v.label is None for v in verdicts),
            "cost per 1,000 tickets (USD)": cost / len(tickets) * 1000,
            "latency per ticket (sim s, mean)": sum(seconds) / len(seconds),
        }
    )
board = pd.DataFrame(rows).set_index("approach")
board.drop(columns=["low", "high"]).round(
    {"accuracy": 3, "cost per 1,000 tickets (USD)": 4, "latency per ticket (sim s, mean)": 2}
)

# %%
fig, axes = plt.subplots(1, 3, figsize=(13, 0.45 * len(board) + 1.6), dpi=100, sharey=True)
y = range(len(board))
colors = ["tab:blue" if m == model else "tab:purple" for m in board["model"]]
axes[0].barh(y, board["accuracy"], color=colors)
axes[0].errorbar(
    board["accuracy"],
    y,
    xerr=[board["accuracy"] - board["low"], board["high"] - board["accuracy"]],
    fmt="none",
    ecolor="black",
    capsize=3,
    label="95% interval",
)
axes[0].set_xlim(0, 1)
axes[0].set_xlabel(f"accuracy (share of {len(tickets)} tickets right)")
axes[0].legend(fontsize=8, loc="lower left")
axes[1].barh(y, board["cost per 1,000 tickets (USD)"], color=colors)
axes[1].set_xscale("log")
axes[1].set_xlabel("cost per 1,000 tickets (USD, today's prices, log scale)")
axes[2].barh(y, board["latency per ticket (sim s, mean)"], color=colors)
axes[2].set_xlabel("latency per ticket (simulated s, mean)")
axes[0].set_yticks(list(y), board.index)
axes[0].invert_yaxis()
for ax, title in zip(axes, ["Quality", "Cost", "Latency"], strict=True):
    ax.set_title(title)
axes[2].legend(
    handles=[
        plt.Rectangle((0, 0), 1, 1, color="tab:blue", label=cheap),
        plt.Rectangle((0, 0), 1, 1, color="tab:purple", label="a stronger model"),
    ],
    fontsize=8,
    loc="lower right",
)
fig.suptitle("Self-consistency votes against one stronger call and one harder-thinking call")
fig.tight_layout()

# %% [markdown]
# What a token costs is a price-list fact, so it is read from `orchestra.prices`, not
# remembered: the ratios moved a lot between model generations, and will again.

# %%
rates = pd.DataFrame(
    [
        {
            "model": m,
            "input (USD/MTok)": price(m).input_usd_per_mtok,
            "output (USD/MTok)": price(m).output_usd_per_mtok,
            f"input × {cheap}": price(m).input_usd_per_mtok / price(model).input_usd_per_mtok,
            f"output × {cheap}": price(m).output_usd_per_mtok / price(model).output_usd_per_mtok,
        }
        for m in [model, *strong_models]
    ]
).set_index("model")
rates

# %% [markdown]
# Now the comparisons, each on the same tickets. A paired comparison looks at the tickets where
# two approaches *differ*: if one is right on x of them and the other on y, an exact sign test
# says whether x against y is more than a coin would give. Below p = 0.05 we call it a
# difference; above, the sample cannot tell the two apart, whatever the accuracies say.


# %%
def correct(label: str) -> list[bool]:
    return [v.label == t for v, t in zip(runs[label][0], truth, strict=True)]


def paired(a: str, b: str) -> str:
    """Two approaches on the same tickets: counts, and an exact sign test where they differ."""
    ra, rb = correct(a), correct(b)
    x = sum(p and not q for p, q in zip(ra, rb, strict=True))
    y = sum(q and not p for p, q in zip(ra, rb, strict=True))
    m = x + y
    p = min(1.0, 2 * sum(math.comb(m, i) for i in range(min(x, y) + 1)) / 2**m) if m else 1.0
    n = len(tickets)
    said = (
        "a difference this sample supports" if p < 0.05 else f"a difference {n} tickets cannot show"
    )
    return (
        f"{a}: {sum(ra)}/{n} right; {b}: {sum(rb)}/{n}. Where they differ, the first is right on "
        f"{x} ticket{'s' * (x != 1)} and the second on {y} (sign test p = {p:.2f}): {said}."
    )


N = 5 if 5 in vote_ns else max(vote_ns)
votes_n, one_call = voting(N), voting(min(vote_ns))  # min(vote_ns) is 1 unless set otherwise
strongest = expensive_model if expensive_model in strong_models else strong_models[-1]
dear = f"{name(strongest)}, 1 call"
pairs = [(votes_n, one_call), (votes_n, dear)]
pairs += [(f"{cheap} at effort {e}, 1 call", one_call) for e in efforts]
pairs += [(votes_n, f"{cheap} at effort {efforts[-1]}, 1 call")] if efforts else []
pairs += [(votes_n, k) for k in board.index if k.startswith(f"{name(strongest)} at effort")]
for a, b in pairs:
    if a != b:
        print(paired(a, b))

# %%
v, d = board.loc[votes_n], board.loc[dear]
ratio = v["cost per 1,000 tickets (USD)"] / d["cost per 1,000 tickets (USD)"]
per_call = d["cost per 1,000 tickets (USD)"] / board.loc[one_call, "cost per 1,000 tickets (USD)"]
print(
    f"Cost: {N} {cheap} votes cost {ratio:.2f}× one {name(strongest)} call "
    f"(${v['cost per 1,000 tickets (USD)']:.3f} against ${d['cost per 1,000 tickets (USD)']:.3f} "
    f"per 1,000 tickets): one {name(strongest)} call cost as much as {per_call:.0f} {cheap} calls "
    f"here, where the price list says {rates.loc[strongest, f'output × {cheap}']:.0f}× per output "
    f"token (the two models also think for different lengths)."
)
print(
    f"Latency: a ticket takes {v['latency per ticket (sim s, mean)']:.2f} simulated s with "
    f"{N} votes (the slowest of {N} calls), {board.loc[one_call, 'latency per ticket (sim s, mean)']:.2f} s "
    f"with one {cheap} call and {d['latency per ticket (sim s, mean)']:.2f} s with one "
    f"{name(strongest)} call."
)

# %% [markdown]
# ### Between majority and unanimity: k of N
#
# With N votes per ticket, `rule=k` decides only when at least k of them agree. Raising k from
# a bare majority to all N trades coverage for safety: fewer tickets are decided automatically,
# fewer wrong labels get through, and the rest go to a person. The N-vote run above already
# holds every ticket's N votes, and a rule reads only the set of votes (not their order), so
# each k re-reads them: no new calls.

# %%
K = max(vote_ns)
top = runs[voting(K)][0]
rows = []
for k in range(K // 2 + 1, K + 1):
    said = [aggregate(v.votes, k)[0] for v in top]
    decided = [(s, t) for s, t in zip(said, truth, strict=True) if s is not None]
    right = sum(s == t for s, t in decided)
    low, high = wilson(right, len(decided))
    rows.append(
        {
            "k": k,
            "rule": {K // 2 + 1: "majority", K: "consensus"}.get(k, f"{k} of {K}"),
            "decided": f"{len(decided)}/{len(tickets)}",
            "decided share": len(decided) / len(tickets),
            "right among decided": f"{right}/{len(decided)}",
            "accuracy of decided": right / len(decided) if decided else math.nan,
            "95% interval": f"{low:.2f}–{high:.2f}",
            "low": low,
            "high": high,
            "wrong, let through": len(decided) - right,
            "escalated": len(tickets) - len(decided),
        }
    )
    if k == K // 2 + 1:  # a bare majority of N is the majority rule; all N is consensus
        assert said == [aggregate(v.votes, "majority")[0] for v in top]
    if k == K:
        assert said == [aggregate(v.votes, "consensus")[0] for v in top]
ladder = pd.DataFrame(rows).set_index("k")
assert ladder["decided share"].is_monotonic_decreasing  # a stricter rule never decides more
assert ladder["wrong, let through"].is_monotonic_decreasing  # nor lets more errors through
ladder.drop(columns=["low", "high"]).round({"decided share": 3, "accuracy of decided": 3})

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6), dpi=100)
left.plot(ladder.index, ladder["decided share"], "o-", color="tab:blue", label="decided")
left.plot(
    ladder.index,
    ladder["wrong, let through"] / len(tickets),
    "o--",
    color="tab:red",
    label="decided wrong",
)
left.set_ylim(0, 1.05)
left.set_ylabel(f"share of {len(tickets)} tickets")
left.set_title("Coverage: what the vote decides")
left.legend(fontsize=8)
right.errorbar(
    ladder.index,
    ladder["accuracy of decided"],
    yerr=[
        ladder["accuracy of decided"] - ladder["low"],
        ladder["high"] - ladder["accuracy of decided"],
    ],
    fmt="o-",
    capsize=3,
    color="tab:green",
    label="accuracy, 95% interval",
)
right.set_ylim(0, 1.05)
right.set_ylabel("share of the decided tickets right")
right.set_title("Precision: how often a decision is right")
right.legend(fontsize=8, loc="lower right")
for ax in (left, right):
    ax.set_xticks(list(ladder.index), [f"{k}\n{r}" for k, r in ladder["rule"].items()])
    ax.set_xlabel(f"k: votes that must agree, of N = {K}")
fig.suptitle(f"{cheap}, {K} votes per ticket: the agreement threshold")
fig.tight_layout()

# %%
first, last = ladder.iloc[0], ladder.iloc[-1]
overlap = first["low"] <= last["high"] and last["low"] <= first["high"]
print(
    f"From k = {ladder.index[0]} ({first['rule']}) to k = {ladder.index[-1]} ({last['rule']}): "
    f"decided {first['decided']} -> {last['decided']} tickets, wrong labels let through "
    f"{first['wrong, let through']} -> {last['wrong, let through']}, escalated "
    f"{first['escalated']} -> {last['escalated']}. Among the decided, "
    f"{first['right among decided']} -> {last['right among decided']} right ("
    + (
        f"the intervals overlap: on {len(tickets)} tickets that shift is not shown"
        if overlap
        else "the intervals do not overlap"
    )
    + "). Choose k by what an error costs against what a person's look costs."
)

# %% [markdown]
# ### How much of the gain correlated errors leave
#
# The textbook case for voting assumes each sample is right with the same probability p, on
# its own: then the chance that more than half of N votes are right climbs fast with N
# (Condorcet's jury theorem). Real models are not like that: a hard ticket is hard for every
# sample, so a ticket's samples tend to be right together or wrong together. The simulator
# models that (each ticket has a hidden hardness shared by every sample and every model, as
# measured on real models: Wang et al. 2022 on self-consistency, Kim et al. 2025 on correlated
# errors). Below, the K-vote run's samples against what independent samples with the same
# accuracy would give: how many of its K samples each ticket got right, and the majority's
# accuracy at each N. No new calls: the N-vote runs' samples are the first N of these. (The
# N = 1 row differs from the independent line by which sample came first: `p` averages all K.)

# %%
right_votes = [sum(v == t for v in verdict.votes) for verdict, t in zip(top, truth, strict=True)]
p_bar = sum(right_votes) / (K * len(tickets))  # a sample's accuracy, over all K samples


def majority_if_independent(p: float, n: int) -> float:
    """P(more than half of n independent votes are right), each right with probability p."""
    return sum(math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(n // 2 + 1, n + 1))


gains = pd.DataFrame(
    [
        {
            "N": n,
            "accuracy, measured": board.loc[voting(n), "accuracy"],
            "accuracy if independent": majority_if_independent(p_bar, n),
        }
        for n in vote_ns
    ]
).set_index("N")
gains["gain over 1 vote, measured"] = gains["accuracy, measured"] - board.loc[one_call, "accuracy"]
gains["gain if independent"] = gains["accuracy if independent"] - p_bar
gains.round(3)

# %%
counts = Counter(right_votes)
expected = [
    len(tickets) * math.comb(K, k) * p_bar**k * (1 - p_bar) ** (K - k) for k in range(K + 1)
]
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6), dpi=100)
left.bar(range(K + 1), [counts.get(k, 0) for k in range(K + 1)], color="tab:blue", label="measured")
left.plot(range(K + 1), expected, "o--", color="black", label=f"independent, p = {p_bar:.2f}")
left.set_xlabel(f"samples right, of the {K} on one ticket")
left.set_ylabel("tickets (count)")
left.set_title("Right or wrong together")
left.legend(fontsize=8, loc="upper left")
right.plot(gains.index, gains["accuracy, measured"], "o-", color="tab:blue", label="measured")
right.plot(
    gains.index, gains["accuracy if independent"], "o--", color="black", label="if independent"
)
right.set_xticks(vote_ns)
right.set_ylim(min(gains["accuracy, measured"].min(), p_bar) - 0.1, 1.0)
right.set_xlabel("N: votes per ticket (majority)")
right.set_ylabel(f"accuracy (share of {len(tickets)} tickets)")
right.set_title("What N votes buy")
right.legend(fontsize=8, loc="lower right")
fig.suptitle(f"{cheap}: {K} samples per ticket against independent samples of the same accuracy")
fig.tight_layout()

# %%
var_seen = sum((r - K * p_bar) ** 2 for r in right_votes) / len(right_votes)
var_indep = K * p_bar * (1 - p_bar)
mostly_wrong = sum(r <= K // 2 for r in right_votes)
mostly_wrong_indep = len(tickets) * (1 - majority_if_independent(p_bar, K))
g = gains.loc[max(vote_ns)]
print(
    f"A sample is right {p_bar:.1%} of the time (over all {K} samples of {len(tickets)} tickets). "
    f"Were the samples independent, a majority of {max(vote_ns)} would be wrong on "
    f"{1 - g['accuracy if independent']:.1%} of tickets; measured, it is wrong on "
    f"{1 - g['accuracy, measured']:.1%} ({(1 - g['accuracy, measured']) * len(tickets):.0f} of "
    f"{len(tickets)}). The reason is in the left chart: the right votes per ticket vary "
    f"{var_seen / var_indep:.1f}× as much as independent samples would ({var_seen:.2f} against "
    f"{var_indep:.2f}), and {mostly_wrong} tickets have at most {K // 2} of {K} samples right, "
    f"where independence would expect {mostly_wrong_indep:.1f}: votes cannot out-vote those."
)
if simulator:  # the simulator's errors are correlated: more spread than independent samples
    assert var_seen > var_indep

# %% [markdown]
# ### What voting cannot fix: errors the voters share
#
# Voting averages out *independent* slips: if each voter is right more often than not, and on
# its own, the majority of more voters is right more often. When the samples read the same
# misleading cue the same way, a ticket's voters are mostly wrong together, and more votes only
# make the wrong majority surer (consensus can even certify it as "unanimous"). Above, that was
# counted over all the tickets; below are the tickets themselves: every ticket on which the
# majority of the `K` Haiku votes chose a wrong label, with each stronger model's single answer
# and a panel of three different models (`panel`), each asked once.

# %%
shared = [i for i, v in enumerate(top) if aggregate(v.votes, "majority")[0] not in (None, truth[i])]
if simulator:  # a fresh seeded server: the panel's calls are each one's first sample
    simulator.configure()
async with LLM(model, backend=backend, max_tokens=max_tokens) as haiku:
    trio = [haiku, haiku.with_model("claude-sonnet-5-5"), haiku.with_model(expensive_model)]
    panels = [
        await vote(
            panel([(llm, ticket_prompt(tickets[i]["text"])) for llm in trio]), choices=list(LABELS)
        )
        for i in shared
    ]


def tally(votes: list[str | None]) -> str:
    return ", ".join(f"{label} ×{k}" for label, k in Counter(votes).most_common())


trio_names = ", ".join(name(llm.model) for llm in trio)
pd.DataFrame(
    [
        {
            "ticket": tickets[i]["text"][:60] + "…",
            "true": truth[i],
            f"{cheap} ×{K}": tally(top[i].votes),
        }
        | {f"{name(m)} ×1": runs[f"{name(m)}, 1 call"][0][i].votes[0] for m in strong_models}
        | {f"panel: {trio_names}": f"{', '.join(map(str, p.votes))} → {p.label}"}
        for i, p in zip(shared, panels, strict=True)
    ],
    columns=[
        "ticket",
        "true",
        f"{cheap} ×{K}",
        *(f"{name(m)} ×1" for m in strong_models),
        f"panel: {trio_names}",
    ],
)

# %%
fixed = sum(p.label == truth[i] for i, p in zip(shared, panels, strict=True))
print(
    f"{len(shared)} of {len(tickets)} tickets {'keeps' if len(shared) == 1 else 'keep'} a wrong "
    f"{cheap} majority with {K} votes: most of the samples make the same mistake, so more of "
    f"them cannot help. The panel of {trio_names} got {fixed} of {len(shared)} right: "
    f"different models decorrelate errors only where their mistakes differ. The fix is "
    f"upstream (a clearer label description, a differently built check) or a person."
)

# %% [markdown]
# ### The same vote in LangChain (LCEL) and LlamaIndex Workflows
#
# Five Haiku votes on two tickets, majority rule: five copies of one request, no temperature.
# LCEL: a `RunnableParallel` of five identical `ChatAnthropic` chains (one client), then the
# same `aggregate`. LlamaIndex: a start step that `send_event`s one event per voter, an `ask`
# step with `num_workers=5`, and a `tally` step that `collect_events` all five.

# %%
from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import RunnableParallel
from llama_index.core.workflow import Workflow as LlamaWorkflow
from llama_index.core.workflow import step as llama_step

from orchestra.patterns.vote import parse_label

N_VOTES = 5 if 5 in vote_ns else max(vote_ns)
few = tickets[:2]


async def orchestra_votes(few: list[dict]) -> list[str | None]:
    async with LLM(model, backend=backend, max_tokens=max_tokens) as llm:
        out = []
        for t in few:
            voters = sampled(llm, ticket_prompt(t["text"]), N_VOTES)
            out.append((await vote(voters, choices=list(LABELS))).label)
        return out


async def lcel_votes(few: list[dict]) -> list[str | None]:
    chat = ChatAnthropic(model=model, base_url=base_url, max_tokens=max_tokens)
    voters = RunnableParallel({f"v{j}": chat | StrOutputParser() for j in range(N_VOTES)})
    out = []
    for t in few:
        said = await voters.ainvoke(ticket_prompt(t["text"]))
        votes = [parse_label(said[f"v{j}"], list(LABELS)) for j in range(N_VOTES)]
        out.append(aggregate(votes, "majority")[0])
    return out


async def llama_votes(few: list[dict]) -> list[str | None]:
    class Ballot(Event):
        voter: int

    class Voted(Event):
        label: str | None

    class Vote(LlamaWorkflow):
        llm = Anthropic(model=model, base_url=base_url, max_tokens=max_tokens)

        @llama_step
        async def start(self, ctx: Context, ev: StartEvent) -> Ballot | None:
            await ctx.store.set("prompt", ev.prompt)
            for j in range(N_VOTES):
                ctx.send_event(Ballot(voter=j))
            return None

        @llama_step(num_workers=N_VOTES)
        async def ask(self, ctx: Context, ev: Ballot) -> Voted:
            reply = await self.llm.acomplete(await ctx.store.get("prompt"))
            return Voted(label=parse_label(reply.text, list(LABELS)))

        @llama_step
        async def tally(self, ctx: Context, ev: Voted) -> StopEvent | None:
            got = ctx.collect_events(ev, [Voted] * N_VOTES)
            if got is None:
                return None
            return StopEvent(result=aggregate([e.label for e in got], "majority")[0])

    return [await Vote(timeout=60).run(prompt=ticket_prompt(t["text"])) for t in few]


voted, tables = {}, []
for label, run in {
    "orchestra": orchestra_votes,
    "LangChain LCEL": lcel_votes,
    "LlamaIndex Workflows": llama_votes,
}.items():
    if simulator:  # a fresh seeded server: every framework meets the same samples
        simulator.configure()
    out, table_ = await measure.side_by_side(
        simulator, {label: run}, few, shared=(ticket_prompt,), concurrency=N_VOTES
    )
    voted |= out
    tables.append(table_.drop(columns=["wall_s"]))
for label, out in voted.items():
    print(f"{label:<21} verdicts {out}; same as orchestra: {out == voted['orchestra']}")
if simulator:  # same requests on a fresh simulator: same samples, same verdicts
    assert all(out == voted["orchestra"] for out in voted.values()), voted
pd.concat(tables)

# %% [markdown]
# The verdicts agree because the three send the same request five times (the prompt and
# `max_tokens`, no temperature) and each met a fresh
# simulator, which hands the k-th copy of a request its k-th sample whatever order the copies
# arrive in: each ticket gets the same five samples, so the same majority. The calls, tokens and
# cost are equal for the same reason, and so is the simulated makespan (each framework's calls
# laid on five lanes, `measure.Meter`). What differs is the code you write (lines in the
# table): with LCEL the voters are one `RunnableParallel`, but the parsing and the tally are
# yours, and so is failing closed (`RunnableParallel` raises if one voter fails, where `vote`
# counts a missing vote); LlamaIndex needs three steps and an event buffer for what is one
# `gather`. On the 4.5 models these versions built one client per temperature to get different
# samples; on today's models that request is refused, and it is not needed.

# %% [markdown]
# ## Interview angle
#
# - *"Extract from 10,000 documents with a 4,000 requests/min limit: how long, and how much
#   concurrency?"* At best (N − R)/R minutes once the burst is spent, about 1.5 minutes; by
#   Little's law you need concurrency ≈ rate × latency (4,000/60 × 1.5 s ≈ 100 lanes) to reach it.
#   More lanes only earn 429s. Say which bound binds: lanes, rate, or the slowest call.
# - *"Why do we get 429s even with a semaphore?"* A semaphore caps calls *in flight*, not calls
#   *per minute*. Pace with a token bucket shared by every caller of the key, mirroring the
#   server's buckets (requests and tokens), and still honour `retry-after`.
# - *"Does parallelism save money?"* No: the same calls cost the same. It saves latency. Cheaper
#   maps come from a smaller model, shorter prompts (prompt caching) or the batch API (50% off,
#   asynchronous, hours).
# - *"Where does the reduce go wrong?"* Silent partial results: one failed item must show up
#   (None plus a reason, or the run fails), not vanish from a total. Keep results in item order.
# - *"Two stages over many items: pipeline or barrier?"* Pipeline when each item's stage 2 needs
#   only its own stage 1: no lane waits for the slowest item, and the first result comes early.
#   Barrier when stage 2 needs all of stage 1 (a ranking, a dedup, a batch statistic). Compare
#   each makespan with its bound: `max(work / lanes, longest item)`, and per stage for a barrier.
#   When each stage's model has its own limit, give each stage its own pool, and bound the queue
#   between them: backpressure keeps a fast stage from piling up work a slow one cannot take.
# - *"Is five cheap votes better than one expensive call?"* Measure it against the fair
#   baselines on labelled data: one call of the stronger model, and one call of the cheap model
#   at a higher effort, at today's prices (read the ratio from the price list: it changes with
#   each generation). Report accuracy with its sample size, k of n and an interval, and call a
#   difference only when a paired test on the same items supports it. Votes fix independent
#   slips, not shared ones, cost N calls and take as long as the slowest. Check how correlated
#   the errors are (spread of right votes per item against a binomial) before paying for N.
# - *"How sure must a vote be?"* k of N is the dial: a bare majority decides most, unanimity
#   escalates most and lets the fewest errors through. Either way fail closed: a tie, a
#   malformed or a missing vote is never a pass. On today's models self-consistency needs no
#   temperature: N copies of one request are N samples.

# %%
if simulator:
    simulator.stop()
