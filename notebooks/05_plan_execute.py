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
#       lengths:
#       - 2
#       - 4
#       n_tickets: 4
#       planners:
#       - - claude-haiku-5-5
#         - low
#       - - claude-sonnet-5-5
#         - high
#       seed: 1
#       time_scale: 0.0
# ---

# %% [markdown]
# # 05 · Plan-then-execute: a typed plan, checked before it is run
#
# A **planner** call reads a request that needs several steps and returns a **plan**: a list of
# steps, each naming one of the tools the executor has. An **executor** runs the steps one at a
# time, each step's output feeding the steps after it. Between the two sits a **check**: the
# plan is data (a pydantic model), so before anything is spent on it the executor can walk it
# and refuse a step that names a tool it does not have, a step that needs what only a later step
# makes, or a plan that never makes something the request asks for. A rejected plan, or a step
# that fails, sends the planner back with the problem (a bounded number of times); after that
# the run stops with what it made and says why.
#
# **Use it when** the steps depend on the request (a fixed chain would need a branch for every
# combination), when some steps need tools or data the model does not have (a policy book, a
# database), and when you want the plan in the open: logged, checked, shown to a person.
#
# **Do not use it when** the steps are always the same (write the chain: chapter 01; it costs no
# planner call and cannot be planned wrong), when one call can do the whole request with what is
# in its prompt, or when each step's result changes what the next should be (then the model
# must decide after every step: an agent loop, where the plan is re-made at every turn).
#
# **Cost and latency:** one planner call up front, then the steps in sequence; each re-plan adds
# a planner call. Every step of a plan is one more chance to plan it wrong (section 4 measures
# how often that happens on this desk), so the planner's quality and the re-plan bound are the
# dials. On today's models the planner's quality has two
# knobs: the model, and its **effort** (how long it thinks before it answers; planning is hard
# reasoning, where thinking helps most). Thinking tokens are billed as output, so a planner
# thinking harder is paid per plan, like a re-plan.

# %% tags=["parameters"]
backend = "sim"  # "sim": offline simulator; "anthropic": real Claude
planners = [  # (model, effort): the cheap planner at its default, thinking harder, the strongest
    ["claude-haiku-5-5", "medium"],
    ["claude-haiku-5-5", "high"],
    ["claude-opus-5-5", "medium"],
]
executor = "claude-haiku-5-5"  # the model behind the executor's LLM tools
lengths = [2, 3, 4, 5]  # parts per request (the planner adds a review step)
replans = [0, 2]  # max_replans settings to compare
n_tickets = 20  # tickets per setting and point (at most 60): fewer cannot show a difference
seed = 0
time_scale = 0.01  # wall-clock seconds per simulated second

# %% [markdown]
# ## Set-up: a support desk and its tools
#
# Each tool says what it **needs** and what it **makes**. Four are LLM calls; `lookup_policy`
# reads the desk's own policy book (which the model has never seen, and which has no entry for
# the category `other`), and `review` is free. A request lists its parts in order; its **goal**
# is the values it must end with.

# %%
import asyncio
import inspect
from typing import Literal

import matplotlib.pyplot as plt
import pandas as pd
from pydantic import create_model

from orchestra import LLM, datasets, log_steps, measure, sim, viz
from orchestra.errors import OutputFormatError, PlanError
from orchestra.examples.support_desk import (
    CATEGORIES,
    POLICIES,
    URGENCIES,
    grade,
    request,
    support_tools,
)
from orchestra.patterns import plan as pattern
from orchestra.patterns.plan import Job, Plan, Step, check, plan_prompt, planner_executor, plans
from orchestra.prices import LEGACY_HAIKU, price
from orchestra.viz import prose

pd.set_option("display.max_colwidth", 110)
simulator = sim.start(seed=seed, time_scale=time_scale) if backend == "sim" else None
base_url = simulator.url if simulator else None
# latency: what the simulator charged, or on real Claude the wall-clock seconds (no other clock)
CLOCK = "simulated" if simulator else "wall-clock"
SECONDS = f"{CLOCK} s"
everything = datasets.load("tickets")
tickets = [everything[i * len(everything) // n_tickets] for i in range(n_tickets)]
worker = LLM(executor, backend=backend)
tools = support_tools(worker)


def named(setting) -> str:
    """A planner setting as the tables show it: ``haiku-5-5 high``."""
    model, effort = setting
    return f"{model.replace('claude-', '')} {effort}"


def planner_llm(setting) -> LLM:
    """The planner's client; max_tokens leaves room for thinking, which counts in it."""
    model, effort = setting
    return LLM(model, backend=backend, effort=effort, max_tokens=8192)


pd.DataFrame(
    [
        {"tool": n, "needs": ", ".join(t.needs) or "-", "makes": t.makes, "does": t.description}
        for n, t in tools.items()
    ]
).set_index("tool")

# %%
text, goal = request(5)
print(text)
print("goal:", goal)
print(len(tickets), "tickets:", ", ".join(t["category"] for t in tickets))


def job(k: int, ticket: dict, extra: str | None = None) -> Job:
    text, goal = request(k, extra)
    return Job(request=text, known={"ticket": ticket["text"]}, goal=goal)


# %% [markdown]
# ## 1. The plan is a type
#
# The planner answers through a tool whose input schema is `Plan`: a list of `Step`s, each a tool
# name and an instruction. The prompt lists the tools with what they do, states the task, and
# gives what is known (the ticket).

# %%
print(inspect.getsource(Step))
print(inspect.getsource(Plan))
print(plan_prompt(job(5, tickets[0]), tools))

# %%
strong = planner_llm(planners[-1])
reply = await strong.ask(plan_prompt(job(5, tickets[0]), tools), schema=Plan)
pd.DataFrame([s.model_dump() for s in reply.data.steps], index=range(1, len(reply.data.steps) + 1))

# %% [markdown]
# ## 2. Checking a plan before spending on it
#
# `check` walks the plan with the set of values known so far: each step's tool must exist, and
# everything it needs must be known already; at the end, everything the request asks for must
# have been made. Plans for the request "classify the ticket, look up the policy for its
# category, summarize it, then write a reply", wrong in instructive ways, and the right one;
# each wrong one is caught before a single tool runs:

# %%
print(inspect.getsource(pattern.check))

# %%
good = ["classify", "lookup_policy", "summarize", "reply", "review"]
wrong = {
    "a missing step (no classify)": ["lookup_policy", "summarize", "reply", "review"],
    "a step that needs a later one": ["lookup_policy", "classify", "summarize", "reply", "review"],
    "an impossible step (no such tool)": ["classify", "lookup_policy", "summarize", "translate"],
    "a step the request asked for, dropped": ["classify", "lookup_policy", "reply", "review"],
    "the right plan": good,
}
asked = ["category", "policy", "summary", "reply"]  # the values that request asks for


def verdict(names):
    steps = [Step(tool=n, instruction=f"{n} step") for n in names]
    try:
        check(Plan(steps=steps), tools, {"ticket"}, asked)
        return "ok", ""
    except PlanError as exc:
        return type(exc).__name__, str(exc)


pd.DataFrame(
    [
        {"plan": k, "tools": " > ".join(v), "check": verdict(v)[0], "why": verdict(v)[1]}
        for k, v in wrong.items()
    ]
).set_index("plan")

# %% [markdown]
# ## 3. Execute, re-plan, abort
#
# `planner_executor` is a workflow: a `loop` of `make_plan` (the planner's call, then `check`)
# and `execute` (the steps, one at a time), bounded by `max_replans + 1` rounds, then `finish`,
# which aborts the run if no plan worked. A step whose value is already known (made before a
# re-plan) is not run again. The re-planner sees the intermediate results: its prompt lists
# every value made so far, and what went wrong. A tool marked `takes_instruction` (here the
# summary and the reply) gets its plan step's instruction beside its inputs, so the planner's
# words ("summarize it for the billing team") reach the tool.

# %%
print(inspect.getsource(pattern.planner_executor))

# %% [markdown]
# The cheap planner on the longest request, ticket after ticket until a run completes after
# at least one re-plan. `plans` gives a row per plan tried: its tools, what stopped it, and what
# planning and executing it cost (a rejected plan costs its planner call and nothing else).

# %%
cheap = planner_llm(planners[0])
wf = planner_executor(cheap, tools, max_replans=2)
for t in everything[:20]:
    one = await wf.run(job(5, t))
    if len(one.state.plans) > 1 and one.status == "completed":
        break
print(one.status, "after", len(one.state.plans), "plan(s); tools run:", one.state.ran)
pd.DataFrame(plans(one)).set_index("plan").fillna("-").round(5)

# %% [markdown]
# **A step that fails, and one a re-plan cannot fix.** The policy book has no entry for
# `other`: on a ticket of that category `lookup_policy` raises. A re-plan would keep the
# category (known values are not made again), and `lookup_policy` is `pure` (no model call:
# the same input, the same failure), and no other tool makes a policy: no plan can get past
# it. So the executor **classifies the failure before re-planning** (`unfixable`) and stops at
# once, instead of paying for `max_replans` planner calls that would plan the same steps. It
# keeps what it made (the category, paid for once) and says why. A failure a new plan *can*
# get past (a model step that returned an unusable answer, a plan the check rejected) is
# re-planned as before.

# %%
other = next(t for t in everything if t["category"] == "other")
log_steps()
stuck = await planner_executor(strong, tools, max_replans=2).run(job(3, other))
log_steps(False)
print(stuck.status, "| known:", list(stuck.state.known), "| tools run:", stuck.state.ran)
print(stuck.reason)
print(inspect.getsource(pattern.unfixable))
if stuck.state.known.get("category") == "other":  # the classifier read it as `other`
    assert len(stuck.state.plans) == 1 and stuck.state.stuck  # no re-plan was paid for

# %% [markdown]
# **An impossible request.** No tool translates, so the planner names one that does not exist;
# the check refuses it every time, and nothing is spent on the executor.

# %%
french = await planner_executor(strong, tools, max_replans=1).run(
    job(3, tickets[0], extra="translate the reply into French")
)
print(french.status, "| tools run:", french.state.ran, "| plans:", len(french.state.plans))
print(french.reason)
assert french.state.ran == [] and "translate" in french.reason

# %% [markdown]
# **Independent steps at once.** A plan's steps are a dependency graph: each tool says what it
# needs and makes. `classify`, `summarize` and `rate_urgency` need only the ticket; the policy
# needs the category; the reply needs the policy. Run in order, the plan takes the sum of its
# steps; run in **waves** (`run_steps(..., parallel=True)`: every step whose inputs are known
# runs at once, the idea behind LLMCompiler), it takes its longest chain. The strong planner's
# plan from section 1, both ways, on a fresh simulator each time (the same samples):

# %%
from orchestra import clock

plan5, known0 = reply.data, {"ticket": tickets[0]["text"]}
try:
    check(plan5, tools, set(known0), request(5)[1])  # a checked plan: its graph is sound
except PlanError as exc:  # the planner's plan was wrong: the right one, by hand
    print("the planner's plan fails the check:", exc)
    right5 = ["classify", "lookup_policy", "summarize", "rate_urgency", "reply", "review"]
    plan5 = Plan(steps=[Step(tool=t, instruction=f"{t} the ticket") for t in right5])
ways = {}
for parallel in (False, True):
    if simulator:  # a fresh seeded server: both ways meet the same samples and latencies
        simulator.configure()
    t0 = clock.now()
    known5, ran5, problem5 = await pattern.run_steps(plan5, tools, known0, parallel=parallel)
    ways["in waves" if parallel else "in order"] = {
        f"{CLOCK} s": round(clock.now() - t0, 2),
        "tools run": " > ".join(ran5),
        "problem": problem5,
        "values": known5,
    }
same = ways["in order"]["values"] == ways["in waves"]["values"]
if simulator:
    assert same  # the same calls, the same answers: only the schedule differs
pd.DataFrame(ways).T.drop(columns="values").assign(**{"same values": same})

# %%
a, b = ways["in order"][f"{CLOCK} s"], ways["in waves"][f"{CLOCK} s"]
prose(
    f"In order the plan takes {a:.2f} {CLOCK} s; in waves {b:.2f} s ({a / b:.1f}× faster), with "
    f"{'the same' if same else 'different'} values. It costs the same: the same calls. What it "
    f"needs is a plan whose steps declare their inputs (a step that reads a value it did not "
    f"declare would run too early), and a failure now stops a whole wave, not one step."
)

# %% [markdown]
# **A person approves the plan.** The plan is data, so it can be shown before anything is spent
# on it: `planner_executor(..., approve=reviewer)` hands each plan that passed the check to
# `reviewer`, which returns None to approve or a reason to refuse; a refusal takes the re-plan
# path with the reason in the prompt, and the bound still holds. A real person answers through
# chapter 03's `approval` (the run pauses, and resumes with the answer); here a function
# stands in for the desk's lead, who has one rule: the desk reviews replies itself, so a plan
# must not spend a step on `review`.

# %%
seen = []


async def lead(plan: Plan) -> str | None:
    """The desk's lead, as a function: refuse a plan with a review step, approve the rest."""
    seen.append(" > ".join(s.tool for s in plan.steps))
    return "drop the review step: the desk reviews replies itself" if "review" in seen[-1] else None


vetted = await planner_executor(strong, tools, max_replans=1, approve=lead).run(job(3, tickets[0]))
print(vetted.status, "| plans shown to the lead:", len(seen), "| tools run:", vetted.state.ran)
for k, shown in enumerate(seen, 1):
    print(f"  plan {k}: {shown}")
print(vetted.reason or "completed")

# %%
refused = sum("review" in p for p in seen)
prose(
    f"The lead saw {len(seen)} plan(s) and refused {refused}; "
    + (
        "the planner dropped the step when told why, and the run completed."
        if vetted.status == "completed"
        else f"the planner did not drop the step when told why, so the run stopped at the bound "
        f"(max_replans=1) with {len(vetted.state.ran)} tool(s) run: a person's veto costs "
        f"planner calls, never executor calls."
    )
)

# %% [markdown]
# ## 4. Measured: plan length, re-planning, and the planner's price
#
# Every request length, with and without re-planning, for each planner setting (the cheap model
# at its default effort and thinking harder, and the strongest model), on the same tickets (the
# executor is always `executor`, at its default effort). A run **succeeds** when it completes;
# it is **right** when every value it was asked for passes `grade` (the category and the urgency
# against the dataset's labels, the policy against the book, the summary and reply by length).
# Calls, cost (at today's prices), simulated seconds and the planner's thinking tokens are per
# request, planner and executor together (on real Claude, wall-clock seconds: there is no
# simulated clock).

# %%
print(inspect.getsource(grade))


# %%
from tqdm.auto import tqdm


def llm_calls(result) -> int:
    return sum(1 for s in result.trace if s.kind == "llm")


def first_passes(job: Job) -> bool:
    """The first plan passed the check: no problem, or the first one is a step that failed."""
    return not job.problems or " failed: " in job.problems[0]


def planner_thinking(result) -> int:
    return sum(s.thinking_tokens for s in result.trace.steps() if s.name == "make_plan")


async def sweep(setting) -> list[dict]:
    rows = []
    bar = tqdm(total=len(lengths) * len(replans), desc=f"planner {named(setting)}")
    async with planner_llm(setting) as planner:
        for k in lengths:
            for r in replans:
                wf = planner_executor(planner, tools, max_replans=r)
                runs = await wf.run_many([job(k, t) for t in tickets], concurrency=8)
                bar.update()
                for t, res in zip(tickets, runs, strict=True):
                    marks = grade(res.state.known, res.state.goal, t)
                    rows.append(
                        {
                            "planner": named(setting),
                            "max_replans": r,
                            "parts": k,
                            "success": res.status == "completed",
                            "right": res.status == "completed" and all(marks.values()),
                            "values right": sum(marks.values()) / len(marks),
                            "first plan passes": first_passes(res.state),
                            "wrong": [n for n, ok in marks.items() if not ok],
                            "plans": len(res.state.plans),
                            "calls": llm_calls(res),
                            "cost ($)": res.cost_usd,
                            SECONDS: res.sim_s,  # wall-clock on real Claude
                            "planner thinking tokens": planner_thinking(res),
                        }
                    )
    bar.close()
    return rows


runs = pd.DataFrame([row for m in planners for row in await sweep(m)])
table = runs.drop(columns="wrong").groupby(["planner", "max_replans", "parts"], sort=False).mean()
table.round(
    {
        "first plan passes": 2,
        "success": 2,
        "right": 2,
        "values right": 2,
        "plans": 2,
        "calls": 2,
        "cost ($)": 5,
        SECONDS: 2,
        "planner thinking tokens": 0,
    }
)

# %%
fig, axes = plt.subplots(1, 3, figsize=(13, 4), dpi=100)
panels = [
    ("success", "success rate (0..1)"),
    ("cost ($)", "mean cost per request (USD, log scale)"),
    (SECONDS, f"mean {CLOCK} seconds per request"),
]
names = table.index.get_level_values("planner").unique()
colours = dict(zip(names, plt.get_cmap("tab10").colors, strict=False))
for ax, (column, label) in zip(axes, panels, strict=True):
    for (name, r), rows in table.groupby(level=["planner", "max_replans"]):
        parts = rows.index.get_level_values("parts")
        ax.plot(
            parts,
            rows[column],
            marker="o",
            color=colours[name],
            linestyle="-" if r else "--",
            label=f"planner {name}, max_replans={r}",
        )
    ax.set_xlabel("parts in the request (plan length - 1)")
    ax.set_ylabel(label)
    ax.set_xticks(lengths)
    ax.margins(y=0.1)
axes[0].set_ylim(-0.05, 1.05)
axes[1].set_yscale("log")  # the planners' prices per token differ many times over
axes[0].set_title("Runs that complete")
axes[1].set_title("Cost: planner + executor")
axes[2].set_title(f"Latency ({CLOCK}, sequential)")
handles, names = axes[0].get_legend_handles_labels()
fig.legend(handles, names, loc="lower center", ncol=3, fontsize=9, frameon=False)
fig.tight_layout(rect=(0, 0.12, 1, 1))

# %%
by = runs.groupby(["planner", "max_replans"])[["success", "right", "plans", "cost ($)"]].mean()
order = [named(p) for p in planners]
lo, hi = order[0], order[-1]
longest = table.xs(max(lengths), level="parts")
prose(
    f"Measured over {len(tickets)} tickets and {len(lengths)} request lengths ({len(tickets)} "
    f"requests per point): "
    + "; ".join(
        f"planner **{p}** completes {by.loc[(p, min(replans)), 'success']:.0%} of runs with "
        f"max_replans={min(replans)} and {by.loc[(p, max(replans)), 'success']:.0%} with "
        f"max_replans={max(replans)} (mean {by.loc[(p, max(replans)), 'plans']:.2f} plans per run, "
        f"${by.loc[(p, max(replans)), 'cost ($)']:.5f} per request)"
        for p in order
    )
    + f". At {max(lengths)} parts, without re-planning: "
    + ", ".join(f"{p} {longest.loc[(p, min(replans)), 'success']:.0%}" for p in order)
    + f". A request costs on average ${by.loc[(lo, max(replans)), 'cost ($)']:.5f} with {lo} "
    f"planning and re-planning, ${by.loc[(hi, min(replans)), 'cost ($)']:.5f} with {hi} "
    f"planning once."
)

# %% [markdown]
# Does a longer request get planned wrong more often? The first plan is the planner's own
# answer, before any re-plan helps it: count the first plans that pass the check (the runs
# with and without re-planning both made one), with a 95% Wilson interval. A sentence below
# says "falls" only where the intervals at the shortest and the longest request do not overlap.

# %%
from orchestra.measure import wilson  # a 95% interval for k of n

first = runs.groupby(["planner", "parts"], sort=False)["first plan passes"].agg(["sum", "count"])
first[["low", "high"]] = [wilson(k, n) for k, n in zip(first["sum"], first["count"], strict=True)]
first["first plans passing"] = [
    f"{k}/{n} ({lo:.2f}–{hi:.2f})"
    for k, n, lo, hi in first[["sum", "count", "low", "high"]].itertuples(index=False)
]
first["first plans passing"].unstack("parts")

# %%
fig, ax = plt.subplots(figsize=(7, 3.6), dpi=100)
for k, (p, rows) in enumerate(first.groupby(level="planner", sort=False)):
    parts = rows.index.get_level_values("parts") + (k - 1) * 0.06  # side by side
    share = rows["sum"] / rows["count"]
    ax.errorbar(
        parts,
        share,
        yerr=[share - rows["low"], rows["high"] - share],
        fmt="o-",
        capsize=3,
        color=colours[p],
        label=f"planner {p}",
    )
ax.set_xticks(lengths)
ax.set_xlabel("parts in the request (plan length - 1)")
ax.set_ylabel("first plans that pass the check (share)")
ax.set_ylim(0, 1.05)
ax.set_title(f"The first plan, {int(first['count'].iloc[0])} requests a point, 95% intervals")
ax.legend(fontsize=8, loc="lower left")
fig.tight_layout()


# %%
def trend(p: str) -> str:
    a, b = first.loc[(p, min(lengths))], first.loc[(p, max(lengths))]
    said = f"{a['sum']}/{a['count']} at {min(lengths)} parts, {b['sum']}/{b['count']} at {max(lengths)}"
    if b["high"] < a["low"]:
        return f"planner {p}: {said}, a fall this sample shows"
    if a["high"] < b["low"]:
        return f"planner {p}: {said}, a rise this sample shows"
    return (
        f"planner {p}: {said}, a change {a['count']} requests cannot show (the intervals overlap)"
    )


done = runs[runs["success"]]
misses = pd.Series([n for w in done["wrong"] for n in w], dtype=str).value_counts()
misses = ", ".join(f"{n} wrong in {c}" for n, c in misses.items()) or "none"
pooled = runs.groupby("planner", sort=False)["first plan passes"].agg(["sum", "count"])
a, b = pooled.loc[lo], pooled.loc[hi]
(al, ah), (bl, bh) = wilson(a["sum"], a["count"]), wilson(b["sum"], b["count"])
versus_ = (
    "a difference this sample shows"
    if ah < bl or bh < al
    else f"a difference {a['count']} requests cannot show"
)
prose(
    f"Over every length, first plans that pass: planner {lo} {a['sum']}/{a['count']} "
    f"({al:.2f}–{ah:.2f}), planner {hi} {b['sum']}/{b['count']} ({bl:.2f}–{bh:.2f}): {versus_}. "
    "By length: "
    + "; ".join(trend(p) for p in order)
    + f". Of the {len(done)} runs that completed, {int((done['wrong'].map(len) > 0).sum())} "
    f"carry a wrong value ({misses}): the executor's mistakes, which no plan check sees."
)

# %% [markdown]
# How to read it:
#
# - **Length.** Every step is a chance for the planner to pick the wrong tool, drop a step or
#   swap two, so a longer plan *can* be wrong more often: read above whether this sample shows
#   it, per planner, and how wide the intervals are at this `n_tickets` (a claim about a trend
#   needs more requests per point than a demo runs). Either way the check turns wrong plans
#   into re-plans, not into wrong answers.
# - **Re-planning** buys completions with planner calls: the cheap planner with re-planning
#   against the expensive one without is the trade to look at (success against cost). A
#   re-plan that cannot help (the `other` ticket above: the policy book has no entry) would be
#   pure cost: classifying the failure first skips it, and the bound caps the rest.
# - **Effort is the planner's other dial.** A plan is hard reasoning, where thinking helps most:
#   compare the cheap model at its default and at higher effort (first plans that pass, plans
#   per run) with what its extra thinking tokens cost. At today's prices a strong model's token
#   costs many cheap ones (section 5 computes the ratio), so the cheap model may think for a long
#   time before it costs what one strong plan does.
# - **A re-plan keeps what is known.** That saves paying twice for a good value, and keeps a
#   wrong one: a ticket the executor classified `other` by mistake would fail at the policy
#   book on every re-plan (the classification stops it at once). Re-planning fixes plans, not
#   values.
# - **Right is not success.** A run that completes can still carry a wrong value (counted
#   above): the executor's own mistakes (a ticket classified wrongly, an urgency misread) are
#   not the plan's, and no plan check catches them. That needs checks on the values (chapter
#   01's contracts, chapter 04's grader).
#
# ## 5. Against one large call
#
# The fairest alternative to a planner is no planner: one call that does the whole request. It
# is given the same information: the request, the categories, the urgency labels with the cues
# the executor's `rate_urgency` reads, and the ticket, answered through a structured-output
# schema with one field per value the model must make (the category and the urgency as the
# schema's choices: a free-text field would invite "charged twice" for an urgency, and lose
# by construction); the policy, which no model knows, is
# looked up in the book **in code** from the category the call gave (as the executor's
# `lookup_policy` does from the category its `classify` gave). Asked of each planner setting's
# model at its effort.


# %%
# the labels as the schema's choices (what a structured-output app declares), and the cues the
# executor's rate_urgency reads, when the request asks for an urgency
KINDS = {"category": Literal[tuple(CATEGORIES)], "urgency": Literal[tuple(URGENCIES)]}
CUES = "Urgency, one of: " + "; ".join(f"{u} ({cues})" for u, cues in URGENCIES.items()) + ".\n"


async def one_call(setting) -> list[dict]:
    rows = []
    async with planner_llm(setting) as llm:
        for k in tqdm(lengths, desc=f"one call, {named(setting)}"):
            text, goal = request(k)
            made = [g for g in goal if g != "policy"]  # the book is read in code
            Answer = create_model("Answer", **{g: (KINDS.get(g, str), ...) for g in made})
            cues = CUES if "urgency" in goal else ""

            async def ask(t, text=text, Answer=Answer, cues=cues):
                prompt = (
                    f"Do this for the support ticket below: {text}\n"
                    f"Categories: {', '.join(CATEGORIES)}.\n{cues}Ticket: {t['text']}"
                )
                try:
                    return await llm.ask(prompt, schema=Answer)
                except OutputFormatError as exc:  # an answer that does not fit: not right
                    return exc

            replies = await asyncio.gather(*(ask(t) for t in tickets))
            for t, rep in zip(tickets, replies, strict=True):
                ok = not isinstance(rep, Exception)
                known = rep.data.model_dump() if ok else {}
                if "policy" in goal and known.get("category") in POLICIES:
                    known["policy"] = POLICIES[known["category"]]
                marks = grade(known, goal, t)
                rows.append(
                    {
                        "approach": f"one call, {named(setting)}",
                        "parts": k,
                        "right": all(marks.values()),
                        "values right": sum(marks.values()) / len(marks),
                        "reply right": marks.get("reply"),  # None: not asked for
                        "calls": 1,
                        "cost ($)": rep.cost_usd if ok else 0.0,
                        # simulated seconds; on real Claude (no model_s) the wall-clock latency
                        SECONDS: (rep.model_s if rep.model_s is not None else rep.latency_s)
                        if ok
                        else 0.0,
                    }
                )
    return rows


single = pd.DataFrame([row for p in planners for row in await one_call(p)])
planned = runs[runs["max_replans"] == max(replans)].assign(
    approach=lambda d: "plan-then-execute, planner " + d["planner"]
)
columns = ["approach", "parts", "right", "values right", "calls", "cost ($)", SECONDS]
versus = pd.concat([planned, single])[columns].groupby(["approach", "parts"], sort=False).mean()
versus.round({"right": 2, "values right": 2, "calls": 2, "cost ($)": 5, SECONDS: 2})

# %%
ours = f"plan-then-execute, planner {lo}"
theirs = f"one call, {hi}"
# the one call's reply, where the request asks for one: on the simulator a free-text field of
# a structured answer is filled from the prompt's main task (a label here), which a real model
# would not do; a length whose one-call replies all fail the check is left out of the headline
replies = single[single["approach"] == theirs]["reply right"].dropna()
crippled = len(replies) > 0 and not replies.any()
fair = [k for k in lengths if not (crippled and "reply" in request(k)[1])]
best = (
    versus[versus.index.get_level_values("parts").isin(fair)]
    .groupby(level="approach", sort=False)[["right", "values right", "cost ($)", SECONDS]]
    .mean()
)
if crippled:
    print(
        f"one call to {hi}: its reply passed the reply check on 0 of {len(replies)} requests "
        f"(on the simulator the field holds a label, not a reply): the lengths that ask for a "
        f"reply ({', '.join(str(k) for k in lengths if k not in fair)} parts) are left out below"
    )
cheap_model, strong_model = planners[0][0], planners[-1][0]
OLD_STRONG = "claude-opus-4-5"  # deprecated: here only for its price, the previous generation's
ratio = price(strong_model).output_usd_per_mtok / price(cheap_model).output_usd_per_mtok
dearer = best.loc[ours, "cost ($)"] / best.loc[theirs, "cost ($)"]
n_req = len(fair) * len(tickets)
(a0, a1), (b0, b1) = (wilson(round(best.loc[x, "right"] * n_req), n_req) for x in (ours, theirs))
print(
    f"entirely right, {n_req} requests each: the plan {a0:.2f}–{a1:.2f}, the one call "
    f"{b0:.2f}–{b1:.2f} (95% intervals): "
    + (
        "a difference this sample shows"
        if a1 < b0 or b1 < a0
        else f"a difference {n_req} requests cannot show"
    )
)
prose(
    f"Measured over {len(fair)} request lengths ({', '.join(map(str, fair))} parts, "
    f"{len(tickets)} tickets each): plan-then-execute with planner "
    f"{lo} (max_replans={max(replans)}) gets {best.loc[ours, 'right']:.0%} of requests entirely "
    f"right and {best.loc[ours, 'values right']:.0%} of the values, for "
    f"${best.loc[ours, 'cost ($)']:.5f} and {best.loc[ours, SECONDS]:.1f} {CLOCK} seconds "
    f"per request; one call to {hi} gets {best.loc[theirs, 'right']:.0%} and "
    f"{best.loc[theirs, 'values right']:.0%}, for ${best.loc[theirs, 'cost ($)']:.5f} and "
    f"{best.loc[theirs, SECONDS]:.1f} s. At today's prices a {strong_model} output token "
    f"costs {ratio:.0f} {cheap_model} output tokens, so the plan with all its calls costs "
    + (
        f"**{dearer:.1f}× the one call**"
        if dearer >= 1
        else f"**{1 / dearer:.1f}× less than the one call**"
    )
    + f", and takes {best.loc[ours, SECONDS] / best.loc[theirs, SECONDS]:.1f}× its "
    f"{CLOCK} time. The previous generation's ratio ({OLD_STRONG} against {LEGACY_HAIKU}) was "
    f"{price(OLD_STRONG).output_usd_per_mtok / price(LEGACY_HAIKU).output_usd_per_mtok:.0f}."
)

# %% [markdown]
# What to take from it:
#
# - **Price per token decides the cost comparison**, not the number of calls: several calls to a
#   cheap model can cost less than one call to a model whose tokens cost many times more. The
#   ratio moves with each generation (above, today's and the previous one's): a verdict of the
#   form "one strong call is cheaper than a plan" must be recomputed when the price list changes.
# - **One call is one round trip**: whatever it costs, it is usually faster than a plan run in
#   sequence, and it cannot be planned wrong. When it gets the values right (compare the `right`
#   columns), the plan buys only the check, the log and the partial result on failure.
# - **The one call here was given the book in code**: a fair baseline gets the same information
#   and the same tools as the pattern it is compared with. Without the lookup it could never be
#   right on a request that asks for the policy, and without the urgency labels as choices it
#   could never name one of them: either way the comparison would be rigged. The question a
#   fair baseline answers is the useful one: what does the plan buy that one call does not?
#
# ## 6. The same pattern in LangGraph and LlamaIndex Workflows
#
# Same prompts, the same `Plan` type, the same `check` and tools (their LLM calls through each
# framework's own Anthropic client), the same bound, the same classification of a failure
# (`unfixable`). Both reuse `run_steps`, the executor's inner loop (run the checked steps in
# order, stop at the first failure):

# %%
print(inspect.getsource(pattern.run_steps))

# %% [markdown]
# **LangGraph**: a `plan` node (the planner's call, then the check) and an `execute` node, with
# **conditional edges**: after `plan`, to `execute` if the plan passed, back to `plan` while
# re-plans are left, else to the end; after `execute`, to the end if it finished, else back to
# `plan`. The bound is a counter on the edges; `recursion_limit` is the safety net.

# %%
from types import SimpleNamespace

from langchain_anthropic import ChatAnthropic
from langgraph.graph import END, START, StateGraph

from orchestra.patterns.plan import run_steps, unfixable


class Via:
    """The tools' LLM calls through another framework's client: ``ask(prompt).text``."""

    def __init__(self, complete):
        self.complete = complete  # an async function: prompt -> text

    async def ask(self, prompt: str):
        return SimpleNamespace(text=await self.complete(prompt))


def langgraph_plan(setting, base_url, max_replans):
    # max_tokens leaves room for thinking, which counts in it
    chat = lambda m, **kw: ChatAnthropic(model=m, base_url=base_url, max_tokens=8192, **kw)
    model, effort = setting
    writer = chat(executor)
    # structured output as orchestra asks for it (output_config.format), not a forced tool
    planner = chat(model, effort=effort).with_structured_output(Plan, method="json_schema")
    kit = support_tools(Via(lambda p: _content(writer, p)))

    async def plan(job: Job) -> dict:
        p = await planner.ainvoke(plan_prompt(job, kit))
        tried = {"plans": [*job.plans, p], "valid": True}
        try:
            check(p, kit, set(job.known), job.goal)
        except PlanError as exc:
            return {**tried, "valid": False, "problems": [*job.problems, str(exc)]}
        return tried

    async def execute(job: Job) -> dict:
        known, ran, problem = await run_steps(job.plans[-1], kit, job.known)
        out = {"known": known, "ran": [*job.ran, *ran]}
        if problem is None:
            return {**out, "done": True}
        stuck = unfixable(problem, job.plans[-1], kit)  # classify before re-planning
        return {**out, "problems": [*job.problems, problem], "stuck": stuck}

    def after_plan(job: Job) -> str:  # the bound: a counter on the edges
        return "execute" if job.valid else "plan" if len(job.plans) <= max_replans else END

    def after_execute(job: Job) -> str:
        return END if job.done or job.stuck or len(job.plans) > max_replans else "plan"

    graph = StateGraph(Job)
    graph.add_node("plan", plan)
    graph.add_node("execute", execute)
    graph.add_edge(START, "plan")
    graph.add_conditional_edges("plan", after_plan, ["execute", "plan", END])
    graph.add_conditional_edges("execute", after_execute, ["plan", END])
    return graph.compile()


async def _content(chat, prompt: str) -> str:
    return (await chat.ainvoke(prompt)).text


# %% [markdown]
# **LlamaIndex Workflows**: typed events. `make_plan` takes the `StartEvent` or a `Replan` and
# emits `Checked` (the plan passed), another `Replan`, or a `StopEvent` when the bound is
# reached; `execute` takes `Checked` and emits `StopEvent` or `Replan`. The events are the
# edges; the bound is a counter you carry in the state.

# %%
from llama_index.core.program import FunctionCallingProgram
from llama_index.core.prompts import PromptTemplate
from llama_index.core.workflow import Event, StartEvent, StopEvent, Workflow, step
from llama_index.llms.anthropic import Anthropic


class Checked(Event):
    job: Job


class Replan(Event):
    job: Job


def llama_plan(setting, base_url, max_replans):
    def claude(m, effort=None):
        # LlamaIndex's Anthropic has no effort field: it goes in the request body, which the
        # SDK passes through; max_tokens leaves room for thinking, which counts in it
        extra = {"extra_body": {"output_config": {"effort": effort}}} if effort else {}
        return Anthropic(model=m, base_url=base_url, max_tokens=8192, additional_kwargs=extra)

    writer = claude(executor)
    kit = support_tools(Via(lambda p: _completion(writer, p)))
    planner = FunctionCallingProgram.from_defaults(
        output_cls=Plan,
        prompt=PromptTemplate("{prompt}"),
        llm=claude(*setting),
        tool_required=False,  # Sonnet 5.5 and Opus 5.5 refuse a forced tool_choice
    )

    class PlanExecute(Workflow):
        @step
        async def make_plan(self, ev: StartEvent | Replan) -> Checked | Replan | StopEvent:
            job = ev.job
            p = await planner.acall(prompt=plan_prompt(job, kit))
            job = job.model_copy(update={"plans": [*job.plans, p]})
            try:
                check(p, kit, set(job.known), job.goal)
            except PlanError as exc:
                job = job.model_copy(update={"problems": [*job.problems, str(exc)]})
                return Replan(job=job) if len(job.plans) <= max_replans else StopEvent(result=job)
            return Checked(job=job)

        @step
        async def execute(self, ev: Checked) -> Replan | StopEvent:
            job = ev.job
            known, ran, problem = await run_steps(job.plans[-1], kit, job.known)
            job = job.model_copy(update={"known": known, "ran": [*job.ran, *ran]})
            if problem is None:
                return StopEvent(result=job.model_copy(update={"done": True}))
            stuck = unfixable(problem, job.plans[-1], kit)  # classify before re-planning
            job = job.model_copy(update={"problems": [*job.problems, problem], "stuck": stuck})
            return (
                Replan(job=job)
                if len(job.plans) <= max_replans and not stuck
                else StopEvent(result=job)
            )

    return PlanExecute(timeout=120)


async def _completion(llm, prompt: str) -> str:
    return (await llm.acomplete(prompt)).text


# %% [markdown]
# Each runs the longest request on the same tickets with the cheap planner and
# `max_replans=2`, at most 8 requests at a time. `measure.Meter` reads calls, tokens, cost and
# the simulated makespan from the simulator's log; lines count the orchestration only
# (`measure.lines_of_code`; the prompts, `Plan`, `check`, `run_steps` and the tools are shared).
# On real Claude there is no such log: the table keeps what each run's final state says
# (requests completed, plans) and the lines. The figure draws the requests completed first:
# cost says nothing without what it bought.

# %%
SLOTS, R = 8, max(replans)
jobs = [job(max(lengths), t) for t in tickets]


async def run_orchestra(jobs):
    out = await planner_executor(cheap, tools, max_replans=R).run_many(jobs, concurrency=SLOTS)
    return [r.state for r in out]


async def run_langgraph(jobs):
    app = langgraph_plan(planners[0], base_url, R)
    limit = {"recursion_limit": 2 * (R + 1) + 1, "max_concurrency": SLOTS}
    return [Job.model_validate(o) for o in await app.abatch(jobs, config=limit)]


async def run_llama(jobs):
    flow, limit = llama_plan(planners[0], base_url, R), asyncio.Semaphore(SLOTS)

    async def one(j):
        async with limit:
            return await flow.run(job=j)

    return await asyncio.gather(*(one(j) for j in jobs))


implementations = {
    "orchestra": (run_orchestra, [pattern.planner_executor, run_orchestra]),
    "LangGraph": (run_langgraph, [langgraph_plan, run_langgraph]),
    "LlamaIndex Workflows": (run_llama, [llama_plan, run_llama]),
}
measured, finals = [], {}
for label, (run, code) in implementations.items():
    with measure.Meter(simulator, label, code=code, concurrency=SLOTS) as meter:
        finals[label] = await run(jobs)
    measured.append(meter.result)
frameworks = measure.table(measured)
frameworks["requests completed"] = [
    sum(j.done for j in finals[label]) for label in frameworks.index
]
frameworks["mean plans"] = [sum(len(j.plans) for j in out) / len(out) for out in finals.values()]
if not simulator:
    print(
        "backend='anthropic': calls, tokens, cost and seconds are read from the simulator's log; "
        "on real Claude they are not measured, so the table keeps completions, plans and lines"
    )
shown = frameworks.drop(columns=["wall_s", "sim_s"]).dropna(axis="columns", how="all")
shown.round({"cost_usd": 5, "model_s": 2, "mean plans": 2})

# %%
fig = viz.compare(
    frameworks,
    quality=["requests completed"],
    title=f"Plan-then-execute, {len(jobs)} requests of {max(lengths)} parts "
    f"(planner {named(planners[0])})",
)

# %%
done_ = {label: sum(j.done for j in out) for label, out in finals.items()}
spans = {label: wilson(k, len(jobs)) for label, k in done_.items()}
lo_, hi_ = min(done_, key=done_.get), max(done_, key=done_.get)
shown_ = spans[lo_][1] < spans[hi_][0]
prose(
    "Requests completed (95% interval): "
    + ", ".join(f"{k} {done_[k]}/{len(jobs)} ({a:.2f}–{b:.2f})" for k, (a, b) in spans.items())
    + (
        ": the same for all three."
        if done_[lo_] == done_[hi_]
        else f": {hi_} completes {done_[hi_] - done_[lo_]} more than {lo_}, "
        + (
            "a difference this sample shows."
            if shown_
            else f"a difference {len(jobs)} requests cannot show (the intervals overlap): each "
            f"framework's request differs in bytes, so each meets other seeded plans."
        )
    )
    + " Mean plans per request: "
    + ", ".join(f"{k} {v:.2f}" for k, v in frameworks["mean plans"].items())
    + "."
)

# %% [markdown]
# The three send the same prompts but not byte-identical requests (each client names and
# describes the planning tool its own way), so the seeded plans differ, and with them how often
# a plan is rejected and re-made: that is most of the difference in calls and cost. What
# differs in the code: orchestra's workflow keeps each plan's cost in its trace and aborts with
# a named error and the partial state; in LangGraph the cycle is drawn as a graph and the bound
# lives on the conditional edges (with `recursion_limit` as the net); in LlamaIndex the cycle is
# the `Replan` event, and the bound and the accounting are yours.
#
# Wall-clock seconds measure the machine and each framework's overhead, not the model, so they
# are printed apart (they move from run to run).

# %% tags=["nbval-ignore-output"]
print(
    pd.DataFrame(
        {
            # no simulated makespan on real Claude: wall-clock only
            **(
                {"simulated makespan, 8 slots (s)": frameworks["sim_s"].round(2)}
                if simulator
                else {}
            ),
            "wall-clock (s, the machine's)": frameworks["wall_s"].round(3),
        }
    ).to_string()
)

# %% [markdown]
# ## Interview angle
#
# - *"When would you plan first instead of chaining or running an agent loop?"* A chain when
#   the steps never change; plan-then-execute when they depend on the request but not on
#   intermediate results; an agent loop when each result changes the next step. Planning
#   once is cheaper than deciding at every step, and the plan can be checked and shown.
# - *"How do you stop a bad plan from wasting money?"* Make the plan a type and check it
#   before running anything: every tool exists, every input is made by an earlier step, every
#   requested output is made. Declared inputs and outputs per tool make this a simple walk.
# - *"What happens when a step fails mid-plan?"* Keep what was made, re-plan from there with
#   the error in the prompt, bounded (`max_replans`); past the bound, abort with the partial
#   result and the reason. Do not re-plan what a new plan cannot fix (a missing capability,
#   missing data): classify the failure first.
# - *"Cheap or expensive planner?"* Measure, with enough requests per point to see a
#   difference (state n and the interval): longer plans give a planner more chances to err;
#   re-plans and a higher effort buy completions back, with extra calls or thinking tokens.
#   Compare success and cost per request, not per call, at today's prices: a strong model's
#   token can cost dozens of cheap ones.
# - *"What would you add for production?"* Run independent plan steps at once (the plan's
#   needs and makes are its dependency graph, as in LLMCompiler: section 3 runs it in waves);
#   let a person approve the plan before anything is spent (`approve=`, a refusal is a
#   re-plan with the reason); classify a failure before paying for a re-plan; and give the
#   re-planner the intermediate results (its prompt lists every value made so far).
# - *"Why not one big call?"* Often you should: it is one round trip. Plan when steps need
#   tools or data the model does not have, when intermediate results must be checked, or when
#   one call does many parts badly.

# %%
await worker.aclose()
await cheap.aclose()
await strong.aclose()
if simulator:
    simulator.stop()
