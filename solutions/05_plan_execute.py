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
import copy
import random
from types import SimpleNamespace

import pandas as pd

from orchestra import LLM, datasets, sim
from orchestra.errors import LLMError
from orchestra.examples.support_desk import request, support_tools
from orchestra.exercise import attempt, show_as
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
# The checks call your functions through `attempt` (`orchestra/exercise.py`): if your code
# raises, the failure names the call that raised, with its input in full and the line of yours
# it came from.


# %% jupyter={"source_hidden": true}
show_as(
    lambda v: isinstance(v, Plan), lambda p: f"plan_of({', '.join(repr(s.tool) for s in p.steps)})"
)
show_as(  # a tool kit as needs -> makes
    lambda v: isinstance(v, dict) and bool(v) and all(isinstance(t, Tool) for t in v.values()),
    lambda kit: (
        "{" + ", ".join(f"{n!r}: {list(t.needs)} -> {t.makes!r}" for n, t in kit.items()) + "}"
    ),
)


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
#     raise NotImplementedError("task 1: write first_problem()")
### END STUB


# %% tags=["check"]
# check 1: each kind of bad plan is named, a good one passes, on the support tools and on a kit it has not seen
def kind_of(error) -> str | None:
    names = {"UnknownToolError": "unknown tool", "StepOrderError": "order"}
    return None if error is None else names.get(type(error).__name__, "missing")


def _first_problem(plan, kit, known, goal):
    """The check's reference: the chapter's `check`, its error read as (kind, step)."""
    try:
        reference.check(plan, kit, set(known), list(goal))
    except Exception as exc:
        return (kind_of(exc), getattr(exc, "step", None))
    return None


async def _noop(x):
    return "ok"


# a kit the notebook never shows: other names, a tool with no needs, a tool needing two values
shop = {
    "fetch": Tool("Fetch the order", ("order_id",), "order", _noop),
    "price": Tool("Price the order", ("order",), "invoice", _noop),
    "tax": Tool("Add the tax", ("invoice", "region"), "total", _noop),
    "region": Tool("Find the region", (), "region", _noop),
    "send": Tool("Send the receipt", ("total", "order"), "receipt", _noop),
}
goal = ["category", "policy", "reply"]
cases = [
    (("classify", "lookup_policy", "reply", "review"), tools, {"ticket"}, goal),
    (("lookup_policy", "classify", "reply", "review"), tools, {"ticket"}, goal),
    (("classify", "reply", "review"), tools, {"ticket"}, goal),
    (("classify", "lookup_policy", "review"), tools, {"ticket"}, goal),
    (("classify", "lookup_policy", "translate", "reply"), tools, {"ticket"}, goal),
    (("classify", "review", "lookup_policy", "reply"), tools, {"ticket"}, goal),
    (("reply", "lookup_policy", "classify"), tools, {"ticket"}, goal),
    (("lookup_policy", "reply"), tools, {"ticket", "category"}, goal),  # a value already known
    ((), tools, {"ticket"}, goal),  # an empty plan: the goal is not met
    ((), tools, {"ticket"}, []),  # nothing asked, nothing to do
]
rng = random.Random(8)
for _ in range(60):
    names = [rng.choice([*shop, "refund"]) for _ in range(rng.randint(0, 5))]
    known = set(rng.sample(["order_id", "order", "region"], rng.randint(0, 2)))
    want = rng.sample(["order", "invoice", "total", "receipt"], rng.randint(0, 2))
    cases.append((tuple(names), shop, known, want))
for names, kit, known, want_goal in cases:
    plan, given = plan_of(*names), set(known)
    got = await attempt(first_problem, plan, kit, given, want_goal)
    want = _first_problem(plan, kit, known, want_goal)
    assert got == want, (
        f"first_problem(plan, tools, known, goal) with the plan {' > '.join(names) or '(no step)'}"
        f", known {sorted(known)}, goal {want_goal}, tools "
        f"{ {n: (t.needs, t.makes) for n, t in kit.items()} } (name: (needs, makes))\n"
        f"  returned {got!r}; expected {want!r}"
    )
    assert given == known, (
        f"first_problem changed the caller's `known` from {sorted(known)} to {sorted(given)}: "
        f"walk the plan with a copy (set(known))"
    )


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
    mine = await attempt(first_problem, p, tools, {"ticket"}, goal5)
    if mine != _first_problem(p, tools, {"ticket"}, goal5):
        disagree.append(
            (" > ".join(s.tool for s in p.steps), mine, _first_problem(p, tools, {"ticket"}, goal5))
        )
assert not disagree, (
    f"on plans from a real planner (goal {goal5}, known ['ticket']), first_problem and the "
    f"chapter's check disagree: (plan, yours, expected) {disagree}"
)
print(f"check 1 passed: {len(cases)} plans (10 hand-made, the rest generated) and 12 real ones")

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
#     raise NotImplementedError("task 2: write plan_and_execute()")
### END STUB


# %% tags=["check"]
# check 2: bad plans cost no tool call, the bound holds, what was made is kept, and it works
class Scripted:
    """A planner that returns the given plans in turn."""

    def __init__(self, *script):
        self.script, self.prompts = script, []

    def __repr__(self):
        return (
            "Scripted(" + ", ".join(" > ".join(s.tool for s in p.steps) for p in self.script) + ")"
        )

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
out = await attempt(plan_and_execute, planner, start, 2, tools=kit)
assert start == Job(request=text, known={"ticket": tickets[0]["text"]}, goal=goal), (
    f"plan_and_execute changed the caller's job: it is now {start}; work on a copy "
    f"(job.model_copy(deep=True))"
)
assert out["status"] == "completed" and out["plans"] == 2, f"bad plan then good one: got {out}"
assert calls == ["classify", "lookup_policy", "reply", "review"], (
    f"the rejected plan must cost no tool call, and each good step runs once: ran {calls}"
)
assert "The last plan failed" in planner.prompts[1], (
    "the re-plan prompt must carry the problem with the last plan (put it in job.problems)"
)
kit, calls = counted(tools, fail={"reply"})
planner = Scripted(good)
out = await attempt(plan_and_execute, planner, start, 2, tools=kit)
blank = {k: v for k, v in out.get("known", {}).items() if not str(v).strip()}
assert not blank, (
    f"with a 'reply' tool that raises ValueError, plan_and_execute returned {out}: it kept "
    f"{blank} as made, but a step that raises or returns an empty string has failed (note the "
    f"problem and re-plan)"
)
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


async def _empty(x):
    return "  "  # a tool that answers nothing: a failed step, like a raise


# on a kit it has not seen: k rejected plans, then a good one, against max_replans (the bound
# equal to k must still complete); a tool that returns nothing; the job's own goal
kit_goal = ["order", "receipt"]
good_shop = plan_of("fetch", "region", "price", "tax", "send")
bad_shop = [plan_of("send", "fetch"), plan_of("fetch", "refund"), plan_of("fetch", "region")]
rng = random.Random(9)
runs = [(k, r, None) for k in range(4) for r in (k - 1, k) if r >= 0]
runs += [(rng.randint(0, 3), rng.randint(0, 3), rng.choice([None, "tax"])) for _ in range(12)]
for k, max_replans, dud in runs:
    job = Job(
        request="Bill the order and send the receipt", known={"order_id": "A7"}, goal=kit_goal
    )
    kit, calls = counted(shop)
    if dud:
        kit[dud] = Tool("Add the tax", ("invoice", "region"), "total", _empty)
    script = Scripted(*rng.sample(bad_shop * 2, k), good_shop)
    out = await attempt(plan_and_execute, script, job, max_replans, tools=kit)
    asked = min(k, max_replans) + 1 if not dud else max_replans + 1
    done = k <= max_replans and not dud
    said = (
        f"plan_and_execute(planner, job, max_replans={max_replans}, tools=<a shop kit>) with a "
        f"planner that answers {k} rejected plan(s), then a good one"
        + (f", and a {dud!r} tool that returns an empty string" if dud else "")
        + f", job {job}\n  returned {out}"
    )
    assert isinstance(out, dict) and out.get("status") == ("completed" if done else "aborted"), (
        f"{said}\n  expected status {'completed' if done else 'aborted'}"
        + ("" if dud else f": {k} rejection(s) need {k} re-plan(s), and {max_replans} are allowed")
        + (": a step that returns nothing has failed, whatever the plan" if dud else "")
    )
    assert out["plans"] == asked == len(script.prompts), (
        f"{said}\n  after asking for {len(script.prompts)} plan(s); expected {asked} plan(s), "
        f"at most max_replans + 1 = {max_replans + 1}"
    )
    assert len(set(calls)) == len(calls) and set(calls) <= {s.tool for s in good_shop.steps}, (
        f"{said}\n  ran the tools {calls}: a rejected plan costs no tool call, and a value made "
        f"once is not made again"
    )
    made = {"order_id"} | ({"order", "region", "invoice"} if k <= max_replans else set())
    made |= {"total", "receipt"} if done else set()
    assert set(out.get("known", {})) == made and (out.get("reason") is None) == done, (
        f"{said}\n  expected known to hold {sorted(made)} (every value made, also on an abort) "
        f"and reason {'None' if done else 'the last problem'}"
    )
    assert job.known == {"order_id": "A7"} and job.problems == [], (
        f"{said}\n  and the caller's job is now {job}: work on a copy"
    )
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
# report `status` and `cost_usd`). Keep the runs in `runs_at`: a dict from `(planner,
# max_replans)` to the list of `RunResult`s. Build `table` from it: a DataFrame indexed by
# `(planner, max_replans)` with the columns `success` (the share of runs completed) and
# `cost ($)` (the mean cost per request).


# %%
from orchestra.patterns.plan import planner_executor

text5, goal5 = request(5)
jobs = [Job(request=text5, known={"ticket": t["text"]}, goal=goal5) for t in tickets]

### BEGIN SOLUTION
runs_at = {}
for model in planner_models:
    async with LLM(model, backend=backend) as planner:
        for r in (0, 1, 2):
            runs_at[model, r] = await planner_executor(planner, tools, max_replans=r).run_many(jobs)
table = pd.DataFrame(
    [
        {
            "planner": model,
            "max_replans": r,
            "success": sum(x.status == "completed" for x in runs) / len(runs),
            "cost ($)": sum(x.cost_usd for x in runs) / len(runs),
        }
        for (model, r), runs in runs_at.items()
    ]
).set_index(["planner", "max_replans"])
### END SOLUTION
### BEGIN STUB
# runs_at = {}  # TODO: (planner, max_replans) -> the RunResults of planner_executor on jobs
# table = None  # TODO: success and mean cost per (planner, max_replans)
### END STUB
table

# %% tags=["check"]
# check 3: the table is measured over every setting, each row the share and mean of its runs
assert isinstance(table, pd.DataFrame), (
    f"table is {type(table).__name__}, not a DataFrame: write task 3's first cell"
)
assert list(table.index.names) == ["planner", "max_replans"], (
    f"table is indexed by {list(table.index.names)}; expected (planner, max_replans)"
)
settings = [(m, r) for m in planner_models for r in (0, 1, 2)]
assert sorted(runs_at) == sorted(settings) and sorted(table.index) == sorted(settings), (
    f"runs_at has {sorted(runs_at)} and the table {sorted(table.index)}; expected every "
    f"setting {settings}"
)
for key, runs in runs_at.items():
    assert len(runs) == len(jobs), f"runs_at[{key}] holds {len(runs)} runs for {len(jobs)} jobs"
    share = sum(x.status == "completed" for x in runs) / len(runs)
    cost = sum(x.cost_usd for x in runs) / len(runs)
    row = table.loc[key]
    assert abs(row["success"] - share) < 1e-9, (
        f"table at {key}: success {float(row['success'])!r}; runs_at[{key}] completed "
        f"{sum(x.status == 'completed' for x in runs)} of {len(runs)}, a share of {share!r}"
    )
    assert abs(row["cost ($)"] - cost) < 1e-12, (
        f"table at {key}: cost ($) {float(row['cost ($)'])!r}; the costs of runs_at[{key}], "
        f"{[round(x.cost_usd, 6) for x in runs]}, average {cost!r} per request (a mean, not "
        f"their total)"
    )
    replans = [x.state.problems for x in runs]
    assert all(len(p) <= key[1] + 1 for p in replans), (
        f"runs_at[{key}]: a run recorded {max(map(len, replans))} problems, more than "
        f"max_replans + 1 = {key[1] + 1}: was planner_executor given max_replans={key[1]}?"
    )
strongest = table.loc[(planner_models[-1], 0), "success"]
assert strongest >= 0.5, f"success for {planner_models[-1]} without re-plans is {strongest}"
# (no check that more re-plans complete more per model: each run's first plan is a fresh
# sample on today's models, so with a few tickets a bound of 2 can complete fewer by chance)
print(f"check 3 passed: {len(table)} settings, each the share and mean of {len(jobs)} runs")

# %% [markdown]
# Then write `cheapest(table, target)`: the `(planner, max_replans)` with the lowest `cost ($)`
# among the settings whose `success` reaches `target` (a success equal to the target reaches
# it; on a tie in cost, the first in the table's order), or `None` when no setting reaches it.
# Ship `CHOICE = cheapest(table, target)`.


# %%
def cheapest(table: pd.DataFrame, target: float) -> tuple[str, int] | None:
    ### BEGIN SOLUTION
    good = table[table["success"] >= target]
    return tuple(good["cost ($)"].idxmin()) if len(good) else None
    ### END SOLUTION
    ### BEGIN STUB
    # # TODO: the cheapest setting whose success reaches target, else None
    # raise NotImplementedError("task 3: write cheapest()")
    ### END STUB


CHOICE = cheapest(table, target)
CHOICE


# %% tags=["check"]
# check 4: cheapest() picks the cheapest good setting, on your table and on tables it has not seen
def _cheapest(table, target):
    """The check's own reference: lowest cost among success >= target, first on a tie; else None."""
    good = [(row["cost ($)"], n, key) for n, (key, row) in enumerate(table.iterrows())]
    good = [g for g in good if table.loc[g[2], "success"] >= target]
    return tuple(min(good)[2]) if good else None


def _table(success, costs):
    index = pd.MultiIndex.from_tuples(
        [(m, r) for m in ("haiku", "sonnet") for r in (0, 1, 2)], names=["planner", "max_replans"]
    )
    return pd.DataFrame({"success": success, "cost ($)": costs}, index=index)


rng = random.Random(10)
tables = [
    (table, target),  # yours
    (_table([0.5, 0.7, 0.8, 0.9, 1.0, 1.0], [1, 2, 3, 4, 5, 6]), 0.8),  # equal to the target
    (_table([0.5, 0.7, 0.7, 0.9, 1.0, 1.0], [1, 2, 3, 4, 5, 6]), 0.8),
    (_table([0.9, 0.9, 0.9, 0.9, 0.9, 0.9], [3, 2, 2, 5, 2, 9]), 0.8),  # a tie in cost
    (_table([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [1, 2, 3, 4, 5, 6]), 0.8),  # none reaches: None
]
for _ in range(30):
    success = [rng.choice([0.0, 0.2, 0.4, 0.6, 0.8, 1.0]) for _ in range(6)]
    costs = [round(rng.uniform(0.001, 0.02), 4) for _ in range(6)]
    tables.append((_table(success, costs), rng.choice([0.6, 0.8, 1.0])))
for frame, goal in [
    (t, g) for t, g in tables if isinstance(t, pd.DataFrame)
]:  # (yours, once written)
    before = frame.copy()
    got, want = await attempt(cheapest, frame, goal), _cheapest(before, goal)
    assert frame.equals(before), (
        f"cheapest(table, {goal}) changed the table it was given, from\n{before}\n  to\n"
        f"{frame}\n  the caller's table is theirs: sort or filter a copy"
    )
    got = tuple(got) if isinstance(got, (tuple, list)) else got
    if got is not None and want is not None:
        got = (got[0], int(got[1]))
    assert got == want, (
        f"cheapest(table, {goal}) returned {got!r}; expected {want!r} for the table\n{frame}\n  "
        + (
            f"(the lowest cost among the settings with success of at least {goal}; first on a tie)"
            if want is not None
            else f"(no setting reaches {goal}: None, so that nobody ships a setting that fails)"
        )
    )
assert isinstance(table, pd.DataFrame), "table is not a DataFrame: write task 3's first cell"
want = _cheapest(table, target)
assert CHOICE is not None and tuple(CHOICE) == want, (
    f"CHOICE = {CHOICE!r}, but your table gives {want}: set CHOICE = cheapest(table, target), "
    f"not a setting read off the table"
)
print(
    f"check 4 passed: cheapest() on {len(tables)} tables; ship planner {CHOICE[0]} with max_replans={CHOICE[1]}"
)

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
