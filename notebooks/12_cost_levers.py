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
#       cache_ttl: 1h
#       efforts:
#       - low
#       - high
#       models:
#       - claude-haiku-5-5
#       - claude-sonnet-5-5
#       n_tickets: 10
#       seed: 1
# ---

# %% [markdown]
# # 12 · Cost levers: model tier, effort, prompt caching and batches
#
# **The question.** *"This pipeline costs \\$40k a month. Cut it by 10× without losing quality."*
# The answer is four levers, measured on one workflow: **which model** each step uses, **how
# much it thinks** (`output_config.effort`), **what is read from the prompt cache** instead of
# paid again, and **what can wait** for the Message Batches API at half price. Each lever has a
# price in quality or latency; this chapter measures all four on chapter 03's ticket triage and
# stacks them into one table.
#
# **When not to pull them.** Before the pipeline is right: a cheap wrong answer is not a saving.
# When the volume is small: an engineer's day costs more than a year of a small bill. And each
# lever has its own trap: a smaller model that fails quietly on the hard tenth, a cache that
# silently never hits, a batch for a user who is waiting.
#
# Everything runs offline on the simulator: its prices are Anthropic's list prices
# (`orchestra.prices`), its cache and batches follow the API's rules, and its quality is a
# dial, not a measurement of the real models. The numbers show **how to decide**; your own
# pipeline's numbers decide.

# %% tags=["parameters"]
backend = "sim"  # "sim": offline simulator; "anthropic": real Claude (needs ANTHROPIC_API_KEY)
models = ["claude-haiku-5-5", "claude-sonnet-5-5", "claude-opus-5-5"]  # the tiers to compare
efforts = ["low", "medium", "high"]  # output_config.effort values to compare
baseline = "claude-opus-5-5"  # the first draft: the strongest model, at its default effort
seed = 0
n_tickets = 20  # labelled tickets per configuration (the dataset has 60)
use_cache = True  # mark the shared policy as a prompt-cache breakpoint
cache_ttl = "5m"  # "5m" or "1h": how long an unused cache entry lives
time_scale = 0.0  # wall-clock seconds per simulated second (0: nothing waits)
concurrency = 8  # tickets in flight at once
monthly_tickets = 3_000_000  # the volume of the interview question
night_share = 0.7  # share of the tickets that can wait for the nightly batch
max_tokens = 4096  # per call: room for thinking, which counts in it

# %% [markdown]
# ## The workflow: two labels per ticket, behind one shared policy
#
# Chapter 03's triage, reduced to its two model calls: **classify** the ticket into a team and
# judge its **urgency**. Both calls carry the same long system prompt, the support team's
# policy (about 1,300 tokens), as real pipelines do: instructions, definitions, tone, edge
# cases. That shared prefix is what prompt caching is for. `orchestra/data/tickets.jsonl` has
# the true team and urgency of every ticket, so quality is counted, not judged.

# %%
import itertools
import json
import math
from datetime import datetime, timedelta

import anthropic
import matplotlib.pyplot as plt
import pandas as pd
from tqdm.auto import tqdm

from orchestra import LLM, clock, datasets, sim, viz
from orchestra.batch import run_batch
from orchestra.examples.support import CATEGORIES  # chapter 03's labels and their cues
from orchestra.fanout import Slots, fan_out
from orchestra.llm import block
from orchestra.measure import Meter
from orchestra.patterns.router import classify_prompt, urgency_prompt
from orchestra.prices import CACHE_READ, CACHE_WRITE, listing, price, usage_cost_usd

simulator = sim.start(seed=seed, time_scale=time_scale) if backend == "sim" else None
base_url = simulator.url if simulator else None
seconds = "simulated s" if simulator else "wall-clock s"  # what a latency column measures
every = datasets.load("tickets")
tickets = every[:: max(1, len(every) // n_tickets)][:n_tickets]  # a spread over all teams
URGENCY = {
    "normal": "a usual request",
    "high": "charged twice, declined, dispute, outage, down, crash, blocked, critical, production, hacked, damaged, urgent, asap, immediately, today, locked out",
    "low": "curious, suggestion, minor, no rush, whenever, someday, idea, not a big deal",
}
SECTIONS = [
    "Greet the customer by name when the ticket gives one, and never guess it.",
    "Quote order numbers exactly as the customer wrote them.",
    "Never promise an amount or a date that the ticket system has not confirmed.",
    "Escalate to a person when the customer mentions a lawyer, the press or a regulator.",
    "Keep personal data out of internal notes: no card numbers, no passwords, no addresses.",
    "Write in the customer's language; if unsure, answer in English and say so.",
    "One ticket, one topic: split a ticket that raises two unrelated problems.",
    "Log the product area and the customer's plan with every ticket.",
]
POLICY = "You triage support tickets for Northwind, a software and hardware shop.\n\n" + "\n".join(
    f"Rule {i + 1}.{j + 1}: {rule} This holds for every channel (mail, chat, phone notes) "
    f"and every plan (free, team, enterprise)."
    for i in range(4)
    for j, rule in enumerate(SECTIONS)
)
print(f"{len(tickets)} tickets; the shared policy is {len(POLICY):,} characters")


# %% [markdown]
# One function makes both calls for one ticket with a given client, and says whether each label
# was right. `cache` marks the policy as a cache breakpoint (`ask(..., system=POLICY,
# cache="5m")` sends it as a system block with `cache_control`); everything after it, the
# ticket, varies.


# %%
def parse_label(text: str) -> str | None:
    """The label of a JSON verdict, or None when the answer is not one."""
    try:
        return json.loads(text).get("label")
    except (json.JSONDecodeError, AttributeError):
        return None


PROMPTS = {
    "classify": lambda t: classify_prompt(t["text"], CATEGORIES),
    "urgency": lambda t: urgency_prompt("support", URGENCY, t["text"]),
}
ANSWER = {"classify": lambda r: parse_label(r.text), "urgency": lambda r: r.text.strip()}
TRUTH = {"classify": "category", "urgency": "urgency"}


async def label(llm: LLM, step: str, ticket: dict, cache: str | None = None):
    """One step's call on one ticket: the reply, and whether its label is right."""
    reply = await llm.ask(PROMPTS[step](ticket), system=POLICY, cache=cache)
    return reply, ANSWER[step](reply) == ticket[TRUTH[step]]


# %% [markdown]
# ## 1 · Model × effort on each step: the frontier
#
# Every step runs under every configuration (model × effort) on the same tickets, without the
# cache (caching is the next lever; it changes the price of the prompt, not the answers).
# A fresh seeded simulator for each configuration, so none inherits another's draws.

# %%
configs = [(m, e) for m in models for e in efforts]
draft = (baseline, listing(baseline).default_effort)  # what a request without effort runs at
if draft not in configs:
    configs.append(draft)


def name(model: str, effort: str) -> str:
    return f"{model.removeprefix('claude-')} · {effort}"


async def measure(step: str, model: str, effort: str | None) -> dict:
    if simulator:
        simulator.configure()
    async with LLM(model, backend=backend, effort=effort, max_tokens=max_tokens) as llm:
        out = await fan_out(
            lambda i, t: label(llm, step, t), tickets, limit=Slots(concurrency), progress=None
        )
    assert not any(isinstance(o, BaseException) for o in out), out
    return {
        "step": step,
        "config": name(model, effort),
        "model": model,
        "effort": effort,
        "right": [ok for _, ok in out],
        "usd": [r.cost_usd for r, _ in out],
        "seconds": [r.model_s or r.latency_s for r, _ in out],
    }


runs = []
for step in tqdm(PROMPTS, desc="steps"):
    for model, effort in tqdm(configs, desc=step, leave=False):
        runs.append(await measure(step, model, effort))
per_step = pd.DataFrame(
    {
        "step": r["step"],
        "config": r["config"],
        "accuracy": sum(r["right"]) / len(tickets),
        "USD per 1k tickets": sum(r["usd"]) / len(tickets) * 1000,
        "latency (s)": sum(r["seconds"]) / len(tickets),
    }
    for r in runs
)
per_step.pivot(index="config", columns="step").round(3)

# %% [markdown]
# Latency is the simulated model-seconds a call took (what the simulator charged), averaged over
# tickets. A pipeline configuration picks one row per step: with three models and three
# efforts that is 81 pipelines, measured here without another call, ticket by ticket (a ticket
# counts as right only when **both** labels are right, and its latency is the two calls in
# sequence).

# %%
by = {(r["step"], r["config"]): r for r in runs}
rows = []
for a in (r for r in runs if r["step"] == "classify"):
    for b in (r for r in runs if r["step"] == "urgency"):
        both = [x and y for x, y in zip(a["right"], b["right"], strict=True)]
        rows.append(
            {
                "classify": a["config"],
                "urgency": b["config"],
                "quality": sum(both) / len(tickets),
                "usd_per_1k": (sum(a["usd"]) + sum(b["usd"])) / len(tickets) * 1000,
                "latency_s": (sum(a["seconds"]) + sum(b["seconds"])) / len(tickets),
            }
        )
pipelines = pd.DataFrame(rows)
pipelines.index = [f"{c} → {u}" for c, u in zip(pipelines.classify, pipelines.urgency, strict=True)]
pipelines["on_frontier"] = viz.pareto(pipelines, cost="usd_per_1k", quality="quality")
start = name(*draft)
first_draft = pipelines.loc[f"{start} → {start}"]

# %% [markdown]
# **The rule this chapter ships by:** the cheapest pipeline whose quality is within **one
# standard error** of the best measured one (the "one-standard-error rule"): with `n` tickets
# the best configuration's accuracy `q` is only known to about ±√(q(1−q)/n), so anything
# inside that band is not measurably worse, and the cheapest of those wins. (The standard
# error uses Agresti and Coull's adjustment, two right and two wrong answers added, so that a
# perfect score on a small sample still has an error bar.) A latency ceiling would be a
# second filter; this pipeline has none (it runs behind a ticket queue).

# %%
best = pipelines["quality"].max()
n = len(tickets)
adjusted = (best * n + 2) / (n + 4)  # Agresti-Coull: a perfect score on n tickets is not 0 ± 0
se = math.sqrt(adjusted * (1 - adjusted) / (n + 4))
floor = best - se
eligible = pipelines[pipelines["quality"] >= floor - 1e-12]
ship = eligible["usd_per_1k"].idxmin()
shipped = pipelines.loc[ship]
assert pipelines.loc[ship, "on_frontier"]  # the cheapest of the eligible is never dominated
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), dpi=100)
viz.frontier(
    pipelines,
    x="usd_per_1k",
    y="quality",
    xlabel="USD per 1,000 tickets (log scale)",
    ylabel=f"both labels right (share of {len(tickets)} tickets)",
    chosen=ship,
    floor=floor,
    ax=left,
    title="quality against cost",
)
viz.frontier(
    pipelines,
    x="latency_s",
    y="quality",
    xlabel=f"latency per ticket ({seconds}, two calls in sequence)",
    ylabel="both labels right (share)",
    chosen=ship,
    floor=floor,
    ax=right,
    title="quality against latency",
    log_x=False,
)
fig.suptitle(f"{len(pipelines)} pipeline configurations (classify → urgency)")
fig.tight_layout()

# %%
frontier_table = (
    pipelines[pipelines.on_frontier]
    .sort_values("usd_per_1k")[["quality", "usd_per_1k", "latency_s"]]
    .round(4)
)
frontier_table

# %%
viz.prose(
    f"Shipped: **{ship}**, quality {shipped.quality:.0%} at ${shipped.usd_per_1k:.3f} per "
    f"1,000 tickets and {shipped.latency_s:.2f} s per ticket. The first draft ({start} on both "
    f"steps) scored {first_draft.quality:.0%} at ${first_draft.usd_per_1k:.3f}: "
    f"{first_draft.usd_per_1k / shipped.usd_per_1k:.1f}× the cost. The best pipeline scored "
    f"{best:.0%}; one standard error at n = {len(tickets)} is {se:.0%}, so the floor is "
    f"{floor:.0%}. With {len(tickets)} tickets, differences of a ticket or two are noise: "
    f"measure more before trusting a gap smaller than that."
)

# %% [markdown]
# ## 2 · Prompt caching: pay for the policy once
#
# The shipped pipeline over the same tickets, without and with a cache breakpoint on the
# policy. The first call **writes** the prefix (at 1.25× the input price for 5 minutes, 2× for
# an hour); every later call with the identical prefix **reads** it, at a tenth of the input
# price, and answers sooner: the cached tokens are not processed again. A cache entry is only
# visible to requests that start after its writer answered, so the run sends one ticket first
# (a warm-up) and then fans out; eight first requests in parallel would all pay the write.

# %%
steps_shipped = {
    "classify": by[("classify", shipped.classify)],
    "urgency": by[("urgency", shipped.urgency)],
}


async def pipeline_run(cache: str | None) -> pd.DataFrame:
    """The shipped pipeline on every ticket; one row per call (and the mean time to first
    token the simulator's log reports, in ``attrs``)."""
    if simulator:
        simulator.configure()  # an empty cache, fresh draws
    rows = []
    with Meter(simulator, str(cache)) as meter:
        for step, r in steps_shipped.items():
            rows += await run_step(step, r, cache)
    out = pd.DataFrame(rows)
    out.attrs["ttft_s"] = meter.result.ttft_s
    return out


async def run_step(step: str, r: dict, cache: str | None) -> list[dict]:
    """One step of the shipped pipeline on every ticket: a warm-up call, then the rest."""
    async with LLM(r["model"], backend=backend, effort=r["effort"], max_tokens=max_tokens) as llm:
        warm = await label(llm, step, tickets[0], cache)
        rest = await fan_out(
            lambda i, t: label(llm, step, t, cache),
            tickets[1:],
            limit=Slots(concurrency),
            progress=None,
        )
    rate = price(r["model"]).input_usd_per_mtok / 1e6  # USD per uncached input token
    return [
        {
            "step": step,
            "ticket": t["id"],
            "right": ok,
            "usd": reply.cost_usd,
            "seconds": reply.model_s or reply.latency_s,
            "input": reply.input_tokens,
            "written": reply.cache_write_tokens,
            "read": reply.cache_read_tokens,
            # what the cache changed on this call's bill, against the input price
            "premium": reply.cache_write_tokens * rate * (CACHE_WRITE[cache_ttl] - 1),
            "discount": reply.cache_read_tokens * rate * (1 - CACHE_READ),
        }
        for t, (reply, ok) in zip(tickets, [warm, *rest], strict=True)
    ]


plain = await pipeline_run(None)
cached = await pipeline_run(cache_ttl if use_cache else None)


def summary(df: pd.DataFrame) -> dict:
    prompt = df["input"] + df["written"] + df["read"]
    return {
        "USD per 1k tickets": df["usd"].sum() / len(tickets) * 1000,
        "paid to write (USD)": df["premium"].sum(),
        "saved by reads (USD)": df["discount"].sum(),
        "hit rate (prompt tokens read)": df["read"].sum() / prompt.sum(),
        "latency per ticket (s)": df["seconds"].sum() / len(tickets),
        "time to first token per call (s)": df.attrs["ttft_s"],
        "quality": df.groupby("ticket")["right"].all().mean(),
    }


caching = pd.DataFrame({"uncached": summary(plain), "cached": summary(cached)}).T
caching.round(5)

# %%
same = bool((plain["right"].to_numpy() == cached["right"].to_numpy()).all())
if simulator:  # the same seeded draws: the cache changes the bill, never the answer
    assert same
saving = (
    1 - caching.loc["cached", "USD per 1k tickets"] / caching.loc["uncached", "USD per 1k tickets"]
)
# a write costs CACHE_WRITE - 1 of the input price more; each read saves 1 - CACHE_READ of it
even = math.ceil((CACHE_WRITE[cache_ttl] - 1) / (1 - CACHE_READ))
faster = (
    caching.loc["uncached", "latency per ticket (s)"]
    - caching.loc["cached", "latency per ticket (s)"]
)
viz.prose(
    f"Caching the policy read {caching.loc['cached', 'hit rate (prompt tokens read)']:.0%} of "
    f"the prompt tokens from the cache and cut the cost by {saving:.0%} "
    f"(${caching.loc['uncached', 'USD per 1k tickets']:.3f} → "
    f"${caching.loc['cached', 'USD per 1k tickets']:.3f} per 1,000 tickets), "
    + (
        "with the same labels on every ticket. "
        if same
        else "with fresh samples (quality "
        f"{caching.loc['uncached', 'quality']:.0%} and {caching.loc['cached', 'quality']:.0%}: "
        "the cache changes the bill, not the model). "
    )
    + f"Writing the policy once per step cost "
    f"${caching.loc['cached', 'paid to write (USD)']:.6f} above the input price; the reads "
    f"saved ${caching.loc['cached', 'saved by reads (USD)']:.6f} on {len(tickets)} tickets, "
    f"and a write pays for itself after {even} read{'s' if even > 1 else ''} of its prefix. "
    + (
        f"A ticket took {faster:.2f} simulated s less, all of it before the first token "
        f"({caching.loc['uncached', 'time to first token per call (s)']:.3f} → "
        f"{caching.loc['cached', 'time to first token per call (s)']:.3f} s per call): the "
        f"policy is read, not processed again (the simulator's stated assumption: reading a "
        f"cached token takes a tenth of the time processing it does)."
        if simulator
        else f"Wall-clock latency per ticket changed by {-faster:+.2f} s (one run: noisy)."
    )
    if use_cache
    else "Caching is off in this run (use_cache = False): the two rows are the same pipeline."
)

# %% [markdown]
# ### Three ways to miss the cache without noticing
#
# A miss is silent: the request succeeds, only `cache_read_input_tokens` stays 0 and the bill
# does not shrink. Each mistake below is measured on four tickets against the right way.
#
# 1. **A timestamp in the system prompt.** The prefix must be identical up to the breakpoint;
#    "Today is 09:00:01" changes it on every request, so every request *writes* (at 1.25×)
#    and none reads: worse than no cache at all.
# 2. **A reordered tool list.** Tools come first in the prefix (tools, then system, then
#    messages). Building the list from a set or a dict whose order changes is a new prefix.
# 3. **A prefix under the minimum.** Each model caches only prefixes of at least
#    `min_cache_tokens` (512 on Haiku and Sonnet 5.5, 1,024 on Opus 5.5): a short system
#    prompt with a breakpoint is sent, billed in full, and never cached.

# %%
SHORT = "You triage support tickets for Northwind. Answer in one word or JSON."
TOOLS = [
    {
        "name": n,
        "description": f"{n.replace('_', ' ')} for the ticket's customer",
        "input_schema": {"type": "object", "properties": {"id": {"type": "string"}}},
    }
    for n in ("lookup_order", "refund_order", "escalate_to_person")
]
mistake_model = steps_shipped["classify"]["model"]
sdk = anthropic.AsyncAnthropic(base_url=base_url) if simulator else anthropic.AsyncAnthropic()


async def send(system, tools, ticket):
    """One classify call through the SDK itself, as the mistakes are made."""
    kwargs = {"tools": tools} if tools else {}
    msg = await sdk.messages.create(
        model=mistake_model,
        max_tokens=max_tokens,
        system=system,
        messages=[{"role": "user", "content": PROMPTS["classify"](ticket)}],
        **kwargs,
    )
    u = msg.usage
    return u.cache_creation_input_tokens or 0, u.cache_read_input_tokens or 0, u


def marked(text):
    return [block(text, cache=cache_ttl)]


def with_breakpoint(tools):
    return [*tools[:-1], {**tools[-1], "cache_control": {"type": "ephemeral", "ttl": cache_ttl}}]


at = datetime(2026, 12, 7, 9, 0, 0)
# the same tools in another order on each call, never the fixed order above
ORDERS = list(itertools.permutations(TOOLS))[1:]
cases = {
    "right: the same policy every time": lambda i: (marked(POLICY), None),
    "a timestamp in the system prompt": lambda i: (
        marked(f"Now: {at + timedelta(seconds=i):%H:%M:%S}.\n{POLICY}"),
        None,
    ),
    "right: tools in a fixed order": lambda i: (marked(POLICY), with_breakpoint(TOOLS)),
    "a reordered tool list": lambda i: (
        marked(POLICY),
        with_breakpoint(list(ORDERS[i])),
    ),
    "a prefix under the minimum": lambda i: (marked(SHORT), None),
}
misses = []
for case, make in tqdm(cases.items(), desc="cache mistakes"):
    if simulator:
        simulator.configure()
    got = [await send(*make(i), t) for i, t in enumerate(tickets[:4])]
    misses.append(
        {
            "case": case,
            "tokens written": sum(w for w, _, _ in got),
            "tokens read": sum(r for _, r, _ in got),
            "calls that read": sum(r > 0 for _, r, _ in got),
            "USD per call": sum(usage_cost_usd(mistake_model, u) for *_, u in got) / len(got),
        }
    )
misses = pd.DataFrame(misses).set_index("case")
misses

# %%
# the first right call writes (on a fresh simulator; a cache still warm reads on all four)
assert misses.loc["right: the same policy every time", "calls that read"] >= 3
assert misses.loc["right: tools in a fixed order", "calls that read"] >= 3
assert misses.loc["a timestamp in the system prompt", "tokens read"] == 0
assert misses.loc["a reordered tool list", "tokens read"] == 0
assert misses.loc["a prefix under the minimum", ["tokens written", "tokens read"]].sum() == 0
viz.prose(
    f"The right way read the prefix on "
    f"{misses.loc['right: the same policy every time', 'calls that read']} of 4 calls; each "
    f"mistake read nothing. The timestamp "
    f"wrote {misses.loc['a timestamp in the system prompt', 'tokens written']:,} tokens "
    f"at {CACHE_WRITE[cache_ttl]}× the input price and read none: it costs more than not "
    f"caching. Check `cache_read_input_tokens` in production, not just that the requests succeed."
)

# %%
await sdk.close()

# %% [markdown]
# ## 3 · Batches: the nightly sweep at half price
#
# Most tickets in this queue are read the next morning. The Message Batches API takes a list of
# requests, answers each within 24 hours (usually much sooner) and bills it at half price,
# cache reads and writes included. `orchestra.batch.run_batch` submits the requests
# (`llm.request(...)` builds each exactly as `ask` would send it), polls with a growing
# interval, and returns the results in input order; it prints the batch id so a restarted
# kernel can pick the batch up again instead of paying twice.


# %%
async def nightly() -> tuple[list, float, float, int]:
    """Both steps of the shipped pipeline for every ticket, as one batch per step's model."""
    if simulator:
        simulator.configure()
    out, waited, took, polls = [], 0.0, 0.0, 0
    for step, r in steps_shipped.items():
        async with LLM(
            r["model"], backend=backend, effort=r["effort"], max_tokens=max_tokens
        ) as llm:
            bodies = [
                llm.request(PROMPTS[step](t), system=POLICY, cache=cache_ttl if use_cache else None)
                for t in tickets
            ]
            t0 = clock.now()
            done = await run_batch(llm, bodies, progress=f"batch: {step}")
        assert not done.errors, done.errors
        out += [(step, t, reply) for t, reply in zip(tickets, done.results, strict=True)]
        # the two steps' batches are independent: sent together, the night ends with the later
        waited, took = max(waited, clock.now() - t0), max(took, done.processing_s)
        polls += done.polls
    return out, waited, took, polls


batched, batch_wait_s, batch_took_s, batch_polls = await nightly()
batch_right = pd.DataFrame(
    {"ticket": t["id"], "right": ANSWER[step](reply) == t[TRUTH[step]]}
    for step, t, reply in batched
)
batch_usd = sum(reply.cost_usd for *_, reply in batched)
batch_writes = sum(reply.cache_write_tokens > 0 for *_, reply in batched)
realtime_usd = cached["usd"].sum()
# the real-time run's end-to-end time: its calls laid out on `concurrency` slots, the steps
# one after the other per ticket (each ticket's two calls in sequence)
per_ticket = cached.groupby("ticket", sort=False)["seconds"].sum().to_numpy()
starts = clock.schedule(per_ticket, concurrency)
realtime_s = max(s + d for s, d in zip(starts, per_ticket, strict=True))
batches = pd.DataFrame(
    {
        "USD per 1k tickets": [realtime_usd / len(tickets) * 1000, batch_usd / len(tickets) * 1000],
        f"end to end ({seconds})": [realtime_s, batch_wait_s],
        "quality": [
            summary(cached)["quality"],
            batch_right.groupby("ticket")["right"].all().mean(),
        ],
        "calls that wrote the cache": [int((cached["written"] > 0).sum()), batch_writes],
    },
    index=[f"real time ({concurrency} in flight, cached)", "batch (cached)"],
)
batches.round(4)

# %%
realtime_writes = int((cached["written"] > 0).sum())
one_model = steps_shipped["classify"]["model"] == steps_shipped["urgency"]["model"]
write_note = (
    f": half price, but {batch_writes} requests wrote the cache against {realtime_writes} in "
    f"real time"
    + (
        ", where the urgency step read what the classify step had written (one model, one "
        "cache); the two batches ran side by side and each wrote its own"
        if one_model
        else ""
    )
    if batch_writes != realtime_writes
    else ""
)
assert batch_usd < realtime_usd  # the same requests at half price (and their cache writes)
if simulator:
    assert batches["quality"].nunique() == 1  # the same labels
viz.prose(
    f"The batch cost ${batch_usd / len(tickets) * 1000:.3f} per 1,000 tickets against "
    f"${realtime_usd / len(tickets) * 1000:.3f} in real time "
    f"({batch_usd / realtime_usd:.2f}×{write_note}), and took "
    f"{batch_wait_s / 60:.0f} {'simulated ' if simulator else ''}minutes "
    f"end to end (the batch itself ran {batch_took_s / 60:.0f} minutes; the rest is the "
    f"polling interval, {batch_polls} polls) against {realtime_s:.1f} s in real time. "
    f"Half price for minutes to hours of waiting: right for the nightly sweep, wrong for a "
    f"customer in a chat window."
)

# %% [markdown]
# **When a batch is wrong.** Someone is waiting (a chat, an agent's next step, a page that
# renders the answer): the batch's latency is minutes to 24 hours, with no promise inside that.
# A step whose output feeds the next decision the same day. And a batch is not a retry layer:
# an `errored` or `expired` request comes back in its place (`run_batch` returns the named
# error there) and is yours to resubmit.

# %% [markdown]
# ## 4 · The whole answer: every lever, stacked
#
# From the first draft (the strongest model at its default effort on both steps, real time,
# no cache) to the shipped pipeline, one lever at a time, each row measured above. The monthly
# figure scales the measured cost per ticket to `monthly_tickets`; only the `night_share` that
# can wait goes through the batch.

# %%
cached_per_1k = caching.loc["cached", "USD per 1k tickets"]
batched_per_1k = batch_usd / len(tickets) * 1000
mixed_per_1k = (1 - night_share) * cached_per_1k + night_share * batched_per_1k
levers = pd.DataFrame(
    [
        (
            f"first draft: {start}, both steps",
            first_draft.usd_per_1k,
            first_draft.quality,
            first_draft.latency_s,
        ),
        (
            f"model and effort per step: {ship}",
            shipped.usd_per_1k,
            shipped.quality,
            shipped.latency_s,
        ),
        (
            f"prompt caching ({cache_ttl})" if use_cache else "prompt caching (off)",
            cached_per_1k,
            caching.loc["cached", "quality"],
            caching.loc["cached", "latency per ticket (s)"],
        ),
        (
            f"batch for the {night_share:.0%} that can wait",
            mixed_per_1k,
            batches.iloc[1]["quality"],
            None,
        ),
    ],
    columns=["lever", "USD per 1k tickets", "quality", "latency per ticket (s)"],
).set_index("lever")
levers["saved vs the row above"] = 1 - levers["USD per 1k tickets"] / levers[
    "USD per 1k tickets"
].shift(1)
levers["USD per month"] = levers["USD per 1k tickets"] * monthly_tickets / 1000
levers.round(4)

# %%
fig = viz.savings(levers, cost="USD per 1k tickets", xlabel="USD per 1,000 tickets (log scale)")

# %%
factor = levers["USD per 1k tickets"].iloc[0] / levers["USD per 1k tickets"].iloc[-1]
viz.prose(
    f"Stacked, the levers cut the cost per ticket {factor:.0f}× "
    f"(${levers['USD per month'].iloc[0]:,.0f} → ${levers['USD per month'].iloc[-1]:,.0f} a "
    f"month at {monthly_tickets:,} tickets), with quality going from {first_draft.quality:.0%} to "
    f"{levers['quality'].iloc[-1]:.0%} on {len(tickets)} tickets (model and effort are the only "
    f"levers that touch quality; caching and batching change the bill, not the answers). "
    f"The price: "
    f"{night_share:.0%} of the tickets are labelled the next morning, not now."
)

# %% [markdown]
# ## 5 · The same two dials in LangChain, LangGraph and LlamaIndex
#
# Each framework's own way, checked against the installed versions (langchain-anthropic 1.7,
# langgraph 1.2, llama-index-llms-anthropic 0.12.3):
#
# - **LangChain (LCEL)**: `ChatAnthropic(effort=...)` sets `output_config.effort`; the cache
#   breakpoint is a `cache_control` key on a content block of the `SystemMessage` (or the
#   `cache_control=` keyword at call time, the API's top-level automatic breakpoint).
# - **LangGraph** uses the same `ChatAnthropic` inside a node: the prompt cache belongs to the
#   model call. (LangGraph's own `CachePolicy` caches a node's *result* by its input, a
#   different thing: it skips the call entirely for a repeated input.)
# - **LlamaIndex**: a `CachePoint` block in a message marks the breakpoint on the block before
#   it. Not in a system message: 0.12.3 joins a system message's text blocks into a plain
#   string and drops the `CachePoint` silently (`messages_to_anthropic_messages`), so the
#   policy goes first in the user turn. Its `Anthropic` has no effort field: effort goes into
#   the request body, `additional_kwargs={"extra_body": {"output_config": {"effort": ...}}}`.
#
# Each classifies the same four tickets with the shipped classify configuration; the meter
# reads the simulator's log, so all three are counted the same way.

# %%
from langchain_anthropic import ChatAnthropic
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.output_parsers import StrOutputParser
from langgraph.graph import END, START, StateGraph
from llama_index.core.base.llms.types import CacheControl, CachePoint, ChatMessage, TextBlock
from llama_index.llms.anthropic import Anthropic
from typing_extensions import TypedDict

model_c, effort_c = steps_shipped["classify"]["model"], steps_shipped["classify"]["effort"]
few = tickets[:: max(1, len(tickets) // 4)][:4]  # four teams, not four billing tickets
breakpoint_ = {"type": "ephemeral", "ttl": cache_ttl}


def lcel_chain():
    chat = ChatAnthropic(model=model_c, base_url=base_url, effort=effort_c, max_tokens=max_tokens)
    system = SystemMessage(content=[{"type": "text", "text": POLICY, "cache_control": breakpoint_}])
    return (lambda t: [system, HumanMessage(PROMPTS["classify"](t))]) | chat | StrOutputParser()


async def lcel(ts):
    chain = lcel_chain()
    return [parse_label(await chain.ainvoke(t)) for t in ts]


class Triage(TypedDict):
    ticket: dict
    label: str | None


async def langgraph(ts):
    chain = lcel_chain()

    async def classify(s: Triage) -> dict:
        return {"label": parse_label(await chain.ainvoke(s["ticket"]))}

    graph = StateGraph(Triage)
    graph.add_node("classify", classify)
    graph.add_edge(START, "classify")
    graph.add_edge("classify", END)
    app = graph.compile()
    return [(await app.ainvoke({"ticket": t, "label": None}))["label"] for t in ts]


async def llamaindex(ts):
    llm = Anthropic(
        model=model_c,
        base_url=base_url,
        max_tokens=max_tokens,
        additional_kwargs={"extra_body": {"output_config": {"effort": effort_c}}},
    )
    out = []
    for t in ts:
        # the policy leads the user turn: 0.12.3 flattens a system message to a plain string
        # and drops its CachePoint (messages_to_anthropic_messages), so no breakpoint there
        blocks = [
            TextBlock(text=POLICY),
            CachePoint(cache_control=CacheControl(**breakpoint_)),
            TextBlock(text=PROMPTS["classify"](t)),
        ]
        reply = await llm.achat([ChatMessage(role="user", blocks=blocks)])
        out.append(parse_label(reply.message.content))
    return out


async def orchestra_way(ts):
    async with LLM(model_c, backend=backend, effort=effort_c, max_tokens=max_tokens) as llm:
        return [parse_label((await label(llm, "classify", t, cache_ttl))[0].text) for t in ts]


measured, labels = [], {}
for who, run in tqdm(
    {
        "orchestra": orchestra_way,
        "LCEL": lcel,
        "LangGraph": langgraph,
        "LlamaIndex": llamaindex,
    }.items(),
    desc="frameworks",
):
    if simulator:
        simulator.configure()
    with Meter(simulator, who) as m:
        labels[who] = await run(few)
    measured.append(m.result)
frameworks = pd.DataFrame(
    {
        "calls": [m.calls for m in measured],
        "cache writes (tokens)": [m.cache_write_tokens for m in measured],
        "cache reads (tokens)": [m.cache_read_tokens for m in measured],
        "thinking tokens": [m.thinking_tokens for m in measured],
        "USD": [m.cost_usd for m in measured],
        "labels": [", ".join(map(str, labels[m.label])) for m in measured],
    },
    index=[m.label for m in measured],
)
frameworks

# %%
if simulator:
    assert (frameworks["cache reads (tokens)"] > 0).all()  # every framework's breakpoint hits
    # each writes its prefix once: the same one, but LlamaIndex's sits in the user turn
    assert (frameworks["cache writes (tokens)"] > 0).all()

# %% [markdown]
# All four write the policy once and read it after. The thinking differs only as far as each
# framework sends the effort (LangChain also turns adaptive thinking on explicitly when effort
# is set; the others leave the model's default).
#
# ## Interview angle
#
# - *"Cut this pipeline's cost by 10× without losing quality."* Measure first: quality on a
#   labelled set, cost and latency per request, per step. Then the levers in order of risk:
#   caching (no quality change; check the hit rate), batching what can wait (no quality change;
#   latency of hours), then model and effort per step on a frontier, shipped by a stated rule
#   (the cheapest within one standard error of the best), with the sample size said out loud.
# - *"Which model for which step?"* Not one model for the pipeline: each step has its own
#   frontier. An easy label runs on the cheapest tier at low effort; the step where errors are
#   expensive gets the tier that measurably helps.
# - *"Our cache hit rate is zero."* Something before the breakpoint changes: a timestamp or a
#   request id in the system prompt, tools built from an unordered collection, a prefix under
#   the model's minimum, a different model (caches are per model), or parallel first requests
#   (warm the cache with one, then fan out).
# - *"5-minute or 1-hour cache?"* A 5-minute write costs 1.25× the input price, a 1-hour
#   write 2×, a read 0.1× either way: the hour pays when traffic has gaps longer than five
#   minutes but shorter than an hour (a nightly batch with a shared prefix, a slow queue).
# - *"When not to batch?"* When someone waits, when a step's result decides the next step now,
#   when you need a latency promise; and a batch's failed requests are yours to resubmit.
# - *"What does effort buy?"* Thinking tokens, billed as output: on an easy step low effort
#   costs less and loses nothing measurable; on a hard one it is the cheapest quality there is.

# %%
viz.prose(
    f"Closing numbers (n = {len(tickets)} tickets, {backend}): shipped {ship} at "
    f"{shipped.quality:.0%} quality; cache hit rate "
    f"{caching.loc['cached', 'hit rate (prompt tokens read)']:.0%}, saving {saving:.0%}; "
    f"batch {batch_usd / realtime_usd:.2f}× the real-time cost, {batch_wait_s / 60:.0f} "
    f"simulated minutes against {realtime_s:.1f} s; all levers stacked {factor:.0f}×."
)

# %%
if simulator:
    simulator.stop()
