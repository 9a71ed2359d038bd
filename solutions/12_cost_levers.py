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
#       n_tickets: 6
#       seed: 1
# ---

# %% [markdown]
# # Exercises 12 · Cost levers
#
# Three interview-style tasks on chapter 12's triage: choose the cheapest configuration of a
# step that meets a quality floor and a latency ceiling, predict what a month costs with prompt
# caching and batches, and explain the plan. Each coding task ends with a cell tagged `check`;
# read its message when it fails. `make grade` (or `make grade NB=exercises/12_cost_levers.ipynb`)
# runs the notebook in a fresh kernel and reports every check; save the notebook first.
# Everything runs offline.

# %% tags=["parameters"]
backend = "sim"  # "anthropic": Claude grades your interview answer (needs ANTHROPIC_API_KEY)
seed = 0
n_tickets = 8  # labelled tickets per measured configuration
time_scale = 0.0

# %%
import json
import random

import pandas as pd

from orchestra import LLM, datasets, sim
from orchestra.fanout import Slots, fan_out
from orchestra.patterns.router import classify_prompt, urgency_prompt
from orchestra.prices import BATCH, CACHE_READ, CACHE_WRITE, price

simulator = sim.start(seed=seed, time_scale=time_scale)
every = datasets.load("tickets")
tickets = every[:: max(1, len(every) // n_tickets)][:n_tickets]
CATEGORIES = {
    "billing": "charges, refunds, invoices, pay, payments, card, discount, subscription plan, price, VAT",
    "technical": "errors, bugs, crashes, outage, webhook, slow or broken app, API, sync, update, notifications",
    "account": "password, profile, username, sign in, sign up, two-factor, admin, ownership, delete my account",
    "shipping": "delivery, package, parcel, tracking, courier, order arrived damaged or wrong item, customs",
    "other": "anything else",
}
URGENCY = {
    "normal": "a usual request",
    "high": "charged twice, outage, down, crash, blocked, hacked, damaged, urgent, asap, immediately",
    "low": "curious, suggestion, minor, no rush, whenever, someday, idea",
}
POLICY = "You triage support tickets for Northwind.\n" + "\n".join(
    f"Rule {i + 1}: quote order numbers exactly, never promise amounts or dates the ticket "
    f"system has not confirmed, and keep personal data out of internal notes."
    for i in range(24)
)
PROMPTS = {
    "classify": lambda t: classify_prompt(t["text"], CATEGORIES),
    "urgency": lambda t: urgency_prompt("support", URGENCY, t["text"]),
}


def right(step: str, text: str, ticket: dict) -> bool:
    if step == "urgency":
        return text.strip() == ticket["urgency"]
    try:
        return json.loads(text).get("label") == ticket["category"]
    except (json.JSONDecodeError, AttributeError):
        return False


async def measure(step: str, model: str, effort: str, cache: str | None = None) -> list:
    """One step under one configuration on every ticket: the replies and whether each is right."""
    simulator.configure()
    async with LLM(model, effort=effort, max_tokens=4096) as llm:
        first = await llm.ask(PROMPTS[step](tickets[0]), system=POLICY, cache=cache)  # warm-up
        rest = await fan_out(
            lambda i, t: llm.ask(PROMPTS[step](t), system=POLICY, cache=cache),
            tickets[1:],
            limit=Slots(8),
        )
    replies = [first, *rest]
    return [(r, right(step, r.text, t)) for r, t in zip(replies, tickets, strict=True)]


rows = []
for step in PROMPTS:
    for model in ("claude-haiku-5-5", "claude-sonnet-5-5", "claude-opus-5-5"):
        for effort in ("low", "high"):
            out = await measure(step, model, effort)
            rows.append(
                {
                    "step": step,
                    "config": f"{model.removeprefix('claude-')} · {effort}",
                    "accuracy": sum(ok for _, ok in out) / len(out),
                    "usd_per_1k": sum(r.cost_usd for r, _ in out) / len(out) * 1000,
                    "latency_s": sum(r.model_s for r, _ in out) / len(out),
                }
            )
measured = pd.DataFrame(rows).set_index("config")
measured.round(4)

# %% [markdown]
# ## Task 1 · The cheapest configuration that is good enough and fast enough
#
# Write `cheapest(table, floor, ceiling)`. `table` has one row per configuration of **one**
# step (its index names the configuration) with the columns `accuracy` (a share, 0 to 1),
# `usd_per_1k` and `latency_s`. Return the index label of the configuration with the lowest
# `usd_per_1k` among those with `accuracy >= floor` **and** `latency_s <= ceiling` (a value
# equal to the floor or the ceiling is good enough). Two rows at the same cost: the more
# accurate one, then the faster one. No row qualifies: return `None` (the team must measure
# more, or relax a requirement; shipping the cheapest anyway is how quality quietly drops).


# %%
def cheapest(table: pd.DataFrame, floor: float, ceiling: float):
    ### BEGIN SOLUTION
    ok = table[(table["accuracy"] >= floor) & (table["latency_s"] <= ceiling)]
    if ok.empty:
        return None
    order = ok.assign(neg_accuracy=-ok["accuracy"]).sort_values(
        ["usd_per_1k", "neg_accuracy", "latency_s"], kind="stable"
    )
    return order.index[0]
    ### END SOLUTION
    ### BEGIN STUB
    # # TODO: the cheapest row meeting the floor and the ceiling; ties: more accurate, then faster
    # raise NotImplementedError
    ### END STUB


# %% tags=["check"]
# check 1: the cheapest configuration within the floor and the ceiling, ties and None included
def table(*rows):
    return pd.DataFrame(rows, columns=["config", "accuracy", "usd_per_1k", "latency_s"]).set_index(
        "config"
    )


toy = table(
    ("tiny", 0.70, 0.5, 0.4),  # cheapest, below every floor here
    ("small", 0.85, 1.0, 0.9),
    ("mid", 0.90, 4.0, 1.5),
    ("big", 0.95, 9.0, 3.0),
)
for floor, ceiling, want, why in [
    (0.85, 2.0, "small", "small meets 0.85 exactly: a value equal to the floor is good enough"),
    (0.86, 2.0, "mid", "small is just under the floor"),
    (0.90, 1.5, "mid", "mid's latency equals the ceiling: fast enough"),
    (0.90, 1.49, None, "mid is too slow and big slower still: nothing qualifies"),
    (0.0, 10.0, "tiny", "with no real floor, the cheapest row"),
    (0.99, 10.0, None, "no row is that accurate: None, never the cheapest anyway"),
]:
    got = cheapest(toy, floor, ceiling)
    assert got == want, (
        f"cheapest(toy, floor={floor}, ceiling={ceiling}) returned {got!r}; expected {want!r}: "
        f"{why}.\n{toy}"
    )
tie = table(("worse", 0.88, 2.0, 1.0), ("better", 0.92, 2.0, 1.2), ("slower", 0.92, 2.0, 1.4))
got = cheapest(tie, 0.8, 5.0)
assert got == "better", (
    f"three rows cost the same; cheapest returned {got!r}: the more accurate one should win, "
    f"then the faster of those ('better')"
)
rng = random.Random(12)
for case in range(300):  # generated tables: the answer qualifies and nothing cheaper does
    t = table(
        *[
            (
                f"c{i}",
                rng.choice([0.6, 0.7, 0.8, 0.9, 1.0]),
                rng.choice([1.0, 2.0, 3.0]),
                rng.random(),
            )
            for i in range(rng.randint(1, 6))
        ]
    )
    floor, ceiling = rng.choice([0.7, 0.8, 0.9]), rng.choice([0.3, 0.6, 1.0])
    ok = t[(t.accuracy >= floor) & (t.latency_s <= ceiling)]
    got = cheapest(t, floor, ceiling)
    if ok.empty:
        assert got is None, f"case {case}: no row qualifies, cheapest returned {got!r}\n{t}"
        continue
    assert got in ok.index, (
        f"case {case}: {got!r} does not meet floor {floor} and ceiling {ceiling:.2f}\n{t}"
    )
    best = ok[ok.usd_per_1k == ok.usd_per_1k.min()]
    assert got in best.index and t.loc[got, "accuracy"] == best.accuracy.max(), (
        f"case {case}: {got!r} is not the cheapest (then most accurate) qualifying row\n{t}"
    )
plan = {
    step: cheapest(measured[measured.step == step], floor=0.75, ceiling=3.0) for step in PROMPTS
}
assert all(plan.values()), f"on the measured table some step has no configuration: {plan}"
print(f"check 1 passed: on the measured table, {plan}")

# %% [markdown]
# ## Task 2 · What a month costs, with caching and batches
#
# Product asks for next month's bill. Write `month_usd(volume, usd_uncached, prefix_tokens,
# input_price, writes, batch_share, ttl="5m")`:
#
# - `volume` requests, each costing `usd_uncached` (measured, without the cache);
# - the first `prefix_tokens` of each prompt are the shared, cached prefix, at `input_price`
#   USD per million input tokens when not cached;
# - with caching, `writes` of the requests **write** the prefix (at `CACHE_WRITE[ttl]` times
#   the input price: 1.25 for "5m", 2.0 for "1h") and every other request **reads** it (at
#   `CACHE_READ`, 0.1, times the input price); both replace the prefix's uncached price;
# - a `batch_share` of the requests goes through the Message Batches API, billed at `BATCH`
#   (0.5) of the real-time price, the rest in real time.
#
# Return the month's cost in USD.


# %%
def month_usd(
    volume: int,
    usd_uncached: float,
    prefix_tokens: int,
    input_price: float,
    writes: int,
    batch_share: float,
    ttl: str = "5m",
) -> float:
    ### BEGIN SOLUTION
    prefix_usd = prefix_tokens * input_price / 1e6  # the prefix of one request, uncached
    realtime = (
        volume * (usd_uncached - prefix_usd)
        + writes * prefix_usd * CACHE_WRITE[ttl]
        + (volume - writes) * prefix_usd * CACHE_READ
    )
    return realtime * (1 - batch_share + batch_share * BATCH)
    ### END SOLUTION
    ### BEGIN STUB
    # # TODO: the uncached cost, the prefix repriced as writes and reads, then the batch share
    # raise NotImplementedError
    ### END STUB


# %% tags=["check"]
# check 2: a month's cost by hand, at the boundaries, and against a measured run
def close(a, b):
    return abs(a - b) <= 1e-9 + 1e-6 * abs(b)


# 1,000,000 requests at $0.002, 10,000 prefix tokens at $0.10 per million ($0.001 per request)
by_hand = [
    (dict(writes=1_000_000, batch_share=0.0), 2_250.0, "every request writes: 1.25x the prefix"),
    (dict(writes=0, batch_share=0.0), 1_100.0, "every request reads: 0.1x the prefix"),
    (dict(writes=100, batch_share=0.0), 1_100.115, "100 writes pay 1.25x instead of 0.1x"),
    (dict(writes=0, batch_share=1.0), 550.0, "everything in batches: half of 1,100"),
    (dict(writes=0, batch_share=0.5), 825.0, "half in batches: 550 + 275"),
    (dict(writes=1_000_000, batch_share=0.0, ttl="1h"), 3_000.0, "1h writes: 2x the prefix"),
]
for extra, want, why in by_hand:
    got = month_usd(1_000_000, 0.002, 10_000, 0.10, **extra)
    assert close(got, want), (
        f"month_usd(1_000_000, 0.002, 10_000, 0.10, {extra}) = {got!r}; expected {want}: {why}"
    )
got = month_usd(1000, 0.003, 0, 2.0, writes=0, batch_share=0.0)
assert close(got, 3.0), f"no shared prefix: caching changes nothing; expected 3.0, got {got!r}"
rng = random.Random(21)
for case in range(200):  # generated: more writes cost more, batching halves what it takes
    v, p = rng.randint(1, 10**6), rng.randint(0, 20_000)
    c = p * 0.5 / 1e6 + rng.uniform(1e-5, 1e-2)
    w, b = rng.randint(0, v), rng.random()
    args = (v, c, p, 0.5)
    now, batched = month_usd(*args, w, 0.0), month_usd(*args, w, 1.0)
    assert close(batched, now * BATCH), f"case {case}: all in batches must cost half"
    assert close(month_usd(*args, w, b), now * (1 - b) + batched * b), (
        f"case {case}: a batch share of {b:.2f} is that share at the batch price"
    )
    if p and w < v:
        assert month_usd(*args, w + 1, 0.0) > now, f"case {case}: one more write must cost more"
# a measured run: Haiku 5.5 classifying every ticket, uncached, then cached (one warm-up write)
plain = await measure("classify", "claude-haiku-5-5", "low")
cached = await measure("classify", "claude-haiku-5-5", "low", cache="5m")
prefix = cached[0][0].cache_write_tokens
wrote = sum(r.cache_write_tokens > 0 for r, _ in cached)
predicted = month_usd(
    len(tickets),
    sum(r.cost_usd for r, _ in plain) / len(plain),
    prefix,
    price("claude-haiku-5-5").input_usd_per_mtok,
    wrote,
    0.0,
)
spent = sum(r.cost_usd for r, _ in cached)
assert prefix > 0 and wrote == 1, f"the measured run should write once: {wrote} writes of {prefix}"
assert abs(predicted - spent) <= 0.02 * spent, (
    f"month_usd predicts ${predicted:.6f} for the {len(tickets)} cached calls; they cost "
    f"${spent:.6f}"
)
per_request = sum(r.cost_usd for r, _ in plain) / len(plain)
haiku_in = price("claude-haiku-5-5").input_usd_per_mtok
# a month: 3,000,000 requests, a write every five minutes at most (30 × 24 × 12), 70% batched
month = month_usd(3_000_000, per_request, prefix, haiku_in, 8_640, 0.7)
print(
    f"check 2 passed: {len(tickets)} cached calls predicted ${predicted:.6f}, measured "
    f"${spent:.6f}; a month of 3,000,000 with 70% in batches: ${month:,.2f} "
    f"(${3_000_000 * per_request:,.2f} uncached in real time)"
)

# %% [markdown]
# ## Task 3 · Interview question
#
# *"Our triage pipeline runs Opus on every step, costs \\$40k a month, and finance wants a 10×
# cut without losing quality. What do you do, in what order, and what could go wrong?"* Write
# your answer in `answer` below (a few sentences: what you measure, which levers in which order,
# the rule you ship by, and the traps), then run the next cell: it shows the points a strong
# answer makes and a model answer, so you can score yourself. With `backend = "anthropic"`
# (and a key), Claude grades your answer against the same points and explains.

# %% tags=["answer-12"]
### BEGIN SOLUTION
answer = """
First measure: a labelled set, and per step the quality, cost and latency of each model and
effort, so each step gets its own frontier. Pull the levers that do not touch quality first:
prompt caching of the shared instructions and policy (reads cost a tenth of the input price;
check the hit rate, since a timestamp in the system prompt, a reordered tool list or a prefix
under the minimum silently misses), and the Message Batches API at half price for the share of
traffic nobody waits for (results within 24 hours, so never for a user in a chat). Then choose
model and effort per step by a stated rule: the cheapest configuration within one standard
error of the best, under the latency ceiling, with the sample size said. Predict the month from
the measured cost per request, the write and read counts and the batch share, then watch the
quality metric and the cache hit rate after launch, with a canary on a small share first.
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
    "Measure first: a labelled set, and quality, cost and latency per step for each model and "
    "effort, not one model for the whole pipeline.",
    "Prompt caching for the shared prefix, with its prices (writes above, reads a tenth of the "
    "input price) and a check of the hit rate; names a silent miss (timestamp, tool order, "
    "prefix under the minimum).",
    "Batches at half price only for the traffic nobody waits for (results within 24 hours).",
    "Model and effort per step chosen by a stated rule on the frontier (cheapest within the "
    "noise of the best, under a latency ceiling), with the sample size.",
    "Predicts the month from the measurements and monitors quality and hit rate after launch "
    "(canary or gradual rollout).",
]
MODEL_ANSWER = (
    "Measure per step on a labelled set: quality, cost and latency for each model × effort. "
    "Cache the shared policy (check the hit rate: timestamps, tool order and short prefixes miss "
    "silently), batch what nobody waits for at half price, then pick per step the cheapest "
    "configuration within one standard error of the best under the latency ceiling. Predict the "
    "month from those numbers; roll out behind a canary and watch quality and hit rate."
)

await review(answer, RUBRIC, MODEL_ANSWER, backend=backend, min_words=40)

# %%
simulator.stop()
