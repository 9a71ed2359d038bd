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
#       n_tickets: 10
#       seed: 0
#       time_scale: 0.0
#     test_parameters:
#       n_tickets: 5
#       seed: 1
#       time_scale: 0.0
# ---

# %% [markdown]
# # Exercise 05 · Plan-then-execute: check the plan, bound the re-plans, pick the planner
#
# The interview task: *"Our planner-executor agent sometimes runs plans that cannot work, and
# sometimes loops. Make it refuse a bad plan before it spends anything, bound the re-planning,
# and tell me which planner model to ship."* Write the plan check, write the bounded
# plan → check → execute → re-plan loop in plain asyncio, then choose a planner and a re-plan
# bound from measured numbers. Each task ends with a cell tagged `check` that fails until the
# task is done; an interview question closes, scored against a rubric. Grade your work with
# `make grade` (or `make grade NB=exercises/05_plan_execute.ipynb`).
#
# Read `orchestra/patterns/plan.py` (the `Plan` and `Tool` types, `plan_prompt`, `run_steps`)
# and `orchestra/examples/support_desk.py` (the tools and requests) first.

# %% tags=["parameters"]
backend = "sim"  # "sim": offline simulator; "anthropic": real Claude
planner_models = ["claude-haiku-5-5", "claude-sonnet-5-5", "claude-opus-5-5"]
executor = "claude-haiku-5-5"
target = 0.8  # task 3: the share of requests that must complete
n_tickets = 10  # tickets measured in tasks 2 and 3 (enough that success rates separate)
seed = 0
time_scale = 0.0  # wall-clock seconds per simulated second (0: as fast as possible)

# %%
from types import SimpleNamespace

import pandas as pd

from orchestra import LLM, datasets, sim
from orchestra.errors import LLMError
from orchestra.examples.support_desk import request, support_tools
from orchestra.patterns import plan as reference
from orchestra.patterns.plan import Job, Plan, Step, Tool, plan_prompt

simulator = sim.start(seed=seed, time_scale=time_scale) if backend == "sim" else None
everything = datasets.load("tickets")
tickets = [everything[i * len(everything) // n_tickets] for i in range(n_tickets)]
worker = LLM(executor, backend=backend)
tools = support_tools(worker)


def plan_of(*names: str) -> Plan:
    return Plan(steps=[Step(tool=n, instruction=f"{n} step") for n in names])


# %% [markdown]
# ## Task 1 · Refuse a bad plan before spending on it
#
# `first_problem(plan, tools, known, goal)` returns the first thing wrong with `plan`, as
# `(kind, step)`, or `None` when it can run:
#
# - `("unknown tool", i)`: step `i` (1-based) names a tool not in `tools`;
# - `("order", i)`: step `i` needs a value that only a later step makes;
# - `("missing", i)`: step `i` needs a value that no step makes (and is not in `known`);
# - `("missing", None)`: a value in `goal` that no step makes.
#
# A tool's `needs` and `makes` say what it reads and returns; values in `known` are there
# from the start. Write it yourself: the check compares it with the chapter's `check` on plans
# from a real planner.


# %%
### BEGIN SOLUTION
def first_problem(plan: Plan, tools: dict[str, Tool], known: set[str], goal: list[str]):
    have = set(known)
    for i, s in enumerate(plan.steps, 1):
        if s.tool not in tools:
            return ("unknown tool", i)
        for need in tools[s.tool].needs:
            if need in have:
                continue
            later = [t for t in plan.steps[i:] if t.tool in tools and tools[t.tool].makes == need]
            return ("order", i) if later else ("missing", i)
        have.add(tools[s.tool].makes)
    if any(g not in have for g in goal):
        return ("missing", None)
    return None


### END SOLUTION
### BEGIN STUB
# def first_problem(plan: Plan, tools: dict[str, Tool], known: set[str], goal: list[str]):
#     # TODO: walk the steps with the set of values known so far
#     raise NotImplementedError
### END STUB

# %% tags=["check"]
# check 1: each kind of bad plan is named, a good one passes, and real plans agree with `check`
goal = ["category", "policy", "reply"]
cases = {
    ("classify", "lookup_policy", "reply", "review"): None,
    ("lookup_policy", "classify", "reply", "review"): ("order", 1),
    ("classify", "reply", "review"): ("missing", 2),
    ("classify", "lookup_policy", "review"): ("missing", None),
    ("classify", "lookup_policy", "translate", "reply"): ("unknown tool", 3),
    ("classify", "review", "lookup_policy", "reply"): None,
    ("reply", "lookup_policy", "classify"): ("order", 1),
}
for names, expected in cases.items():
    got = first_problem(plan_of(*names), tools, {"ticket"}, goal)
    assert got == expected, f"plan {' > '.join(names)}: expected {expected}, got {got}"
got = first_problem(plan_of("lookup_policy", "reply"), tools, {"ticket", "category"}, goal)
assert got is None, f"a value already known counts: 'category' is known, got {got}"


def kind_of(error) -> str | None:
    names = {"UnknownToolError": "unknown tool", "StepOrderError": "order"}
    return None if error is None else names.get(type(error).__name__, "missing")


async def real_plans(model: str, n: int) -> list[Plan]:
    async with LLM(model, backend=backend) as planner:
        text, _ = request(5)
        return [
            (
                await planner.ask(
                    plan_prompt(Job(request=text, known={"ticket": t["text"]}, goal=[]), tools),
                    schema=Plan,
                )
            ).data
            for t in everything[:n]
        ]


_, goal5 = request(5)
disagree = []
for p in await real_plans("claude-haiku-5-5", 12):
    try:
        reference.check(p, tools, {"ticket"}, goal5)
        error = None
    except Exception as exc:
        error = exc
    mine = first_problem(p, tools, {"ticket"}, goal5)
    if (mine[0] if mine else None) != kind_of(error):
        disagree.append((" > ".join(s.tool for s in p.steps), mine, kind_of(error)))
assert not disagree, f"on real plans, first_problem and check disagree: {disagree}"
print(f"check 1 passed: {len(cases) + 1} hand-made plans and 12 real ones")

# %% [markdown]
# ## Task 2 · The bounded re-plan loop, in plain asyncio
#
# `plan_and_execute(planner, job, max_replans)` asks `planner.ask(plan_prompt(job, tools),
# schema=Plan)` for a plan (`.data` is the `Plan`), refuses it with `first_problem` (a problem
# is written as text into `job.problems`, so the next prompt carries it), and runs a good plan
# step by step: each tool gets `{name: value}` for its `needs`, its output goes into
# `job.known[tool.makes]`, and a tool whose value is already known is not run again. A tool that
# raises `ValueError` or `LLMError`, or returns an empty string, is a failed step: note the
# problem and re-plan. At most `max_replans` re-plans (so `max_replans + 1` plans); then stop.
#
# Return a dict: `status` (`"completed"` or `"aborted"`), `known` (every value made, also when
# aborted), `plans` (how many plans were asked for) and `reason` (None when completed, else the
# last problem).


# %%
### BEGIN SOLUTION
async def plan_and_execute(planner, job: Job, max_replans: int, tools=tools) -> dict:
    job = job.model_copy(deep=True)
    for n in range(1, max_replans + 2):
        plan = (await planner.ask(plan_prompt(job, tools), schema=Plan)).data
        bad = first_problem(plan, tools, set(job.known), job.goal)
        if bad:
            job.problems.append(f"{bad[0]} at step {bad[1]}")
            continue
        for i, s in enumerate(plan.steps, 1):
            tool = tools[s.tool]
            if tool.makes in job.known:
                continue
            try:
                out = await tool.run({k: job.known[k] for k in tool.needs})
            except (ValueError, LLMError) as exc:
                out, why = "", str(exc)
            else:
                why = "it returned nothing"
            if not out.strip():
                job.problems.append(f"step {i} ({s.tool}) failed: {why}")
                break
            job.known[tool.makes] = out
        else:
            return {"status": "completed", "known": job.known, "plans": n, "reason": None}
    return {"status": "aborted", "known": job.known, "plans": n, "reason": job.problems[-1]}


### END SOLUTION
### BEGIN STUB
# async def plan_and_execute(planner, job: Job, max_replans: int, tools=tools) -> dict:
#     # TODO: plan, check, run the steps; re-plan with the problem, at most max_replans times
#     raise NotImplementedError
### END STUB


# %% tags=["check"]
# check 2: bad plans cost no tool call, the bound holds, what was made is kept, and it works
class Scripted:
    """A planner that returns the given plans in turn."""

    def __init__(self, *script):
        self.script, self.prompts = script, []

    async def ask(self, prompt, **kwargs):
        self.prompts.append(prompt)
        return SimpleNamespace(data=self.script[min(len(self.prompts), len(self.script)) - 1])


def counted(kit: dict, fail: set = frozenset()) -> tuple[dict, list]:
    calls = []

    def wrap(name, t):
        async def run(x):
            calls.append(name)
            if name in fail:
                raise ValueError(f"{name} is down")
            return await t.run(x)

        return Tool(t.description, t.needs, t.makes, run)

    return {n: wrap(n, t) for n, t in kit.items()}, calls


text = (
    "Classify the ticket, look up the policy for its category, then write a reply to the customer."
)
goal = ["category", "policy", "reply"]
start = Job(request=text, known={"ticket": tickets[0]["text"]}, goal=goal)
good = plan_of("classify", "lookup_policy", "reply", "review")
kit, calls = counted(tools)
planner = Scripted(plan_of("lookup_policy", "classify", "reply"), good)
out = await plan_and_execute(planner, start, 2, tools=kit)
assert out["status"] == "completed" and out["plans"] == 2, f"bad plan then good one: got {out}"
assert calls == ["classify", "lookup_policy", "reply", "review"], (
    f"the rejected plan must cost no tool call, and each good step runs once: ran {calls}"
)
assert "The last plan failed" in planner.prompts[1], (
    "the re-plan prompt must carry the problem with the last plan (put it in job.problems)"
)
kit, calls = counted(tools, fail={"reply"})
planner = Scripted(good)
out = await plan_and_execute(planner, start, 2, tools=kit)
assert out["status"] == "aborted" and len(planner.prompts) == 3 and out["plans"] == 3, (
    f"max_replans=2 means 3 plans, then stop: asked {len(planner.prompts)}, returned {out}"
)
assert calls.count("classify") == 1 and calls.count("reply") == 3, (
    f"values already known are not made again on a re-plan: ran {calls}"
)
assert "policy" in out["known"] and out["reason"] and "reply" in out["reason"], (
    f"an abort keeps what was made and says why: {out}"
)
once = Scripted(plan_of("reply"), good)
out = await plan_and_execute(once, start, 0, tools=tools)
assert out["status"] == "aborted" and len(once.prompts) == 1, "max_replans=0: one plan only"
async with LLM("claude-opus-5-5", backend=backend) as strong:
    real = [
        await plan_and_execute(strong, Job(request=text, known={"ticket": t["text"]}, goal=goal), 2)
        for t in tickets
    ]
done = sum(r["status"] == "completed" for r in real)
assert done >= len(tickets) - 1, (
    f"a strong planner should complete nearly all: {done}/{len(tickets)}"
)
print(f"check 2 passed: the bound holds; {done}/{len(tickets)} real requests completed")

# %% [markdown]
# ## Task 3 · Which planner, and how many re-plans?
#
# Measure the longest request (`request(5)`) on the tickets for every planner model in
# `planner_models` and `max_replans` in 0, 1, 2, with the chapter's `planner_executor` (its runs
# report `status` and `cost_usd`). Build `table`: a DataFrame indexed by `(planner, max_replans)`
# with the columns `success` (share of runs completed) and `cost ($)` (mean per request). Then
# set `CHOICE` to the cheapest `(planner, max_replans)` whose success reaches `target`.


# %%
from orchestra.patterns.plan import planner_executor

text5, goal5 = request(5)
jobs = [Job(request=text5, known={"ticket": t["text"]}, goal=goal5) for t in tickets]

### BEGIN SOLUTION
rows = []
for model in planner_models:
    async with LLM(model, backend=backend) as planner:
        for r in (0, 1, 2):
            runs = await planner_executor(planner, tools, max_replans=r).run_many(jobs)
            rows.append(
                {
                    "planner": model,
                    "max_replans": r,
                    "success": sum(x.status == "completed" for x in runs) / len(runs),
                    "cost ($)": sum(x.cost_usd for x in runs) / len(runs),
                }
            )
table = pd.DataFrame(rows).set_index(["planner", "max_replans"])
CHOICE = table[table["success"] >= target]["cost ($)"].idxmin()
### END SOLUTION
### BEGIN STUB
# table = ...  # TODO: success and mean cost per (planner, max_replans)
# CHOICE = ...  # TODO: the cheapest setting that reaches the target
### END STUB
table.round(5)

# %% tags=["check"]
# check 3: the table is measured over every setting, and the choice is the cheapest good one
assert list(table.index.names) == ["planner", "max_replans"], "index by (planner, max_replans)"
assert len(table) == 3 * len(planner_models), f"{len(table)} rows: measure every setting"
strongest = table.loc[(planner_models[-1], 0), "success"]
assert strongest >= 0.5, f"success for {planner_models[-1]} without re-plans is {strongest}"
# (no check that more re-plans complete more per model: each run's first plan is a fresh
# sample on today's models, so with a few tickets a bound of 2 can complete fewer by chance)
good_enough = table[table["success"] >= target]
assert len(good_enough), f"no setting reaches {target}: check the runs"
cheapest = good_enough["cost ($)"].idxmin()
if tuple(CHOICE) in good_enough.index:
    chosen, best = table.loc[tuple(CHOICE)], good_enough.loc[cheapest]
    why = (
        f"it completes {chosen['success']:.0%} (the cheapest one {best['success']:.0%}) and "
        f"costs ${chosen['cost ($)'] - best['cost ($)']:.5f} more per request"
        + ("; success beyond the target is paid for" if chosen["success"] > best["success"] else "")
    )
else:
    why = "it does not reach the target"
assert tuple(CHOICE) == cheapest, (
    f"{CHOICE} is not the cheapest setting that completes at least {target:.0%}, "
    f"{(cheapest[0], int(cheapest[1]))}: {why}\n{good_enough}"
)
print(f"check 3 passed: ship planner {CHOICE[0]} with max_replans={CHOICE[1]}")

# %% [markdown]
# ## Interview question
#
# *"Our planner-executor completes 70% of requests in production and costs too much. How do you
# find out why, and what do you change?"*
#
# Write your answer in the next cell, as the string `answer`, in 4–8 sentences, then run
# the cell after it: it shows the points a strong answer makes and a model answer, and you score
# yourself (with `backend = "anthropic"` and a key, Claude grades your answer against the same
# rubric and explains).

# %% tags=["answer-05"]
### BEGIN SOLUTION
answer = """
First, classify the failures from the traces: rejected plans (by kind: unknown tool, wrong
order, missing step), steps that failed at run time, and aborts after the re-plan bound, each
with its cost. Plan errors grow with plan length and fall with the planner's quality, so
compare a cheaper planner with re-plans against a stronger one without, on success and cost
per request rather than per call. Check every plan before running it (typed plan, declared
inputs and outputs per tool) so a bad plan costs one planner call and nothing else; keep what
was made across re-plans; and do not re-plan failures a new plan cannot fix (a missing tool,
missing data, a wrong value already made): abort with the partial result and the reason, or
route to a person. Where the steps never change, drop the planner for a fixed chain, and where
one call does the job, use one call.
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
    "classifies failures from traces: rejected plans by kind, failed steps, aborts, with their cost",
    "knows plan errors grow with plan length and fall with the planner's quality",
    "compares a cheap planner with re-plans against a strong one without, per request, on success and cost",
    "checks a typed plan before running it, so a bad plan costs only the planner call",
    "bounds re-planning, keeps what was made, and does not re-plan what a new plan cannot fix",
    "considers dropping the planner: a fixed chain or one call where they do the job",
]
MODEL_ANSWER = """Classify the failures from the traces first: plans rejected by the check (and
why), steps that failed at run time, aborts after the re-plan bound, each with its cost. Plan
errors grow with plan length and fall with the planner's quality, so compare a cheap planner
with re-plans against a strong one without, per request. Check every typed plan before running
it so that a bad plan costs one planner call; keep what was made across re-plans; do not re-plan
what a new plan cannot fix (a missing tool or data): abort with the partial result and the
reason. Where the steps never change, use a fixed chain; where one call does it, one call."""
await review(answer, RUBRIC, MODEL_ANSWER, backend=backend)

# %%
await worker.aclose()
if simulator:
    simulator.stop()
