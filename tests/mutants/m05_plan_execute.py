"""Wrong solutions to exercise 05 (a plan check, a bounded re-plan loop, a measured choice); see the package doc."""

from mutants import Mutant

CHECK = """
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
"""

LOOP = """
async def plan_and_execute(planner, job: Job, max_replans: int, tools=tools) -> dict:
    {copy}
    for n in range(1, {plans}):
        plan = (await planner.ask(plan_prompt(job, tools), schema=Plan)).data
        bad = first_problem(plan, tools, set(job.known), {goal})
        if bad and {checked}:
            job.problems.append(f"{{bad[0]}} at step {{bad[1]}}")
            continue
        for i, s in enumerate(plan.steps, 1):
            tool = tools[s.tool]
            if tool.makes in job.known and {skip}:
                continue
            try:
                out = await tool.run({{k: job.known[k] for k in tool.needs}})
            except (ValueError, LLMError) as exc:
                out, why = "", str(exc)
            else:
                why = "it returned nothing"
            if {empty}:
                job.problems.append(f"step {{i}} ({{s.tool}}) failed: {{why}}")
                break
            job.known[tool.makes] = out
        else:
            return {{"status": "completed", "known": job.known, "plans": n, "reason": None}}
    return {{"status": "aborted", "known": {kept}, "plans": n, "reason": job.problems[-1]}}
"""


def loop(
    plans="max_replans + 2",
    checked="True",
    skip="True",
    kept="job.known",
    empty="not out.strip()",
    copy="job = job.model_copy(deep=True)",
    goal="job.goal",
):
    return LOOP.format(
        plans=plans, checked=checked, skip=skip, kept=kept, empty=empty, copy=copy, goal=goal
    )


TABLE = """
runs_at = {{}}
for model in planner_models:
    async with LLM(model, backend=backend) as planner:
        for r in (0, 1, 2):
            runs_at[model, r] = await planner_executor(planner, tools, max_replans=r).run_many(jobs)
table = pd.DataFrame(
    [
        {{
            "planner": model,
            "max_replans": r,
            "success": sum(x.status == "completed" for x in runs){share},
            "cost ($)": sum(x.cost_usd for x in runs){per},
        }}
        for (model, r), runs in runs_at.items()
    ]
).set_index(["planner", "max_replans"])
"""

CHEAPEST = """
good = table[table["success"] {at} {target}]
return tuple(good["cost ($)"].idxmin()) if len(good) else None
"""

MUTANTS = [
    # task 1: the plan check
    Mutant(
        "order ignored: a value made anywhere in the plan counts as made",
        0,
        CHECK.replace(
            "            if need in have:\n",
            "            if need in have or any(tools.get(t.tool) and tools[t.tool].makes == need"
            " for t in plan.steps):\n",
        ),
        caught_by=0,
    ),
    Mutant(
        "the request's goal is never checked",
        0,
        CHECK.replace('        return ("missing", None)\n', "        return None\n"),
        caught_by=0,
    ),
    Mutant(
        "no look-ahead: a step that needs a later one is called missing",
        0,
        CHECK.replace('("order", i) if later else ("missing", i)', '("missing", i)'),
        caught_by=0,
    ),
    Mutant(
        "what is known at the start is ignored",
        0,
        CHECK.replace("    have = set(known)\n", "    have = set()\n"),
        caught_by=0,
    ),
    Mutant(
        "an unknown tool is not checked (the walk fails on it)",
        0,
        CHECK.replace('            return ("unknown tool", i)\n', "            continue\n"),
        caught_by=0,
    ),
    Mutant(
        "the caller's known set grows (have = known)",
        0,
        CHECK.replace("    have = set(known)\n", "    have = known\n"),
        caught_by=0,
    ),
    Mutant(
        "an empty plan has nothing wrong",
        0,
        CHECK.replace(
            "    have = set(known)\n",
            "    if not plan.steps:\n        return None\n    have = set(known)\n",
        ),
        caught_by=0,
    ),
    # task 2: the bounded loop
    Mutant("one re-plan too many", 1, loop(plans="max_replans + 3"), caught_by=1),
    Mutant(
        "the bound one short: max_replans re-plans allowed, one fewer made",
        1,
        loop(plans="max_replans + 1"),
        caught_by=1,
    ),
    Mutant("a tool's empty answer counts as done", 1, loop(empty="out is None"), caught_by=1),
    Mutant("the caller's job is changed (no copy)", 1, loop(copy="pass"), caught_by=1),
    Mutant("the notebook's goal checked, not the job's", 1, loop(goal="goal"), caught_by=1),
    Mutant("values already known are made again", 1, loop(skip="False"), caught_by=1),
    Mutant("the plan is run without being checked", 1, loop(checked="False"), caught_by=1),
    Mutant("an abort throws away what was made", 1, loop(kept="{}"), caught_by=1),
    # task 3: the measurement
    Mutant(
        "success as a count of runs, not a share",
        2,
        TABLE.format(share="", per=" / len(runs)"),
        caught_by=2,
    ),
    Mutant(
        "the total cost of the requests, not the mean per request",
        2,
        TABLE.format(share=" / len(runs)", per=""),
        caught_by=2,
    ),
    # task 3: the choice
    Mutant(
        "the cheapest setting, whatever its success",
        3,
        'return tuple(table["cost ($)"].idxmin())\n',
        caught_by=3,
    ),
    Mutant(
        "the most successful setting, whatever it costs",
        3,
        'return tuple(table["success"].idxmax())\n',
        caught_by=3,
    ),
    Mutant(
        "the strongest planner without re-plans, to be safe (typed in)",
        3,
        "return (planner_models[-1], 0)\n",
        caught_by=3,
    ),
    Mutant(
        "a success equal to the target does not reach it (> for >=)",
        3,
        CHEAPEST.format(at=">", target="target"),
        caught_by=3,
    ),
    Mutant(
        "no setting reaches the target: idxmin of nothing raises",
        3,
        'good = table[table["success"] >= target]\nreturn tuple(good["cost ($)"].idxmin())\n',
        caught_by=3,
    ),
    Mutant(
        "the target typed in (0.8), the argument ignored",
        3,
        CHEAPEST.format(at=">=", target="0.8"),
        caught_by=3,
    ),
    Mutant(
        "the caller's table sorted by cost in place",
        3,
        """
        table.sort_values("cost ($)", inplace=True)
        good = table[table["success"] >= target]
        return tuple(good.index[0]) if len(good) else None
        """,
        caught_by=3,
    ),
]

SAYS = {
    "the caller's known set grows (have = known)": "changed the caller's `known`",
    "an empty plan has nothing wrong": "with the plan (no step)",
    "the bound one short: max_replans re-plans allowed, one fewer made": "max_replans=2 means 3 plans",
    "a tool's empty answer counts as done": "returns an empty string has failed",
    "the caller's job is changed (no copy)": "changed the caller's job",
    "the notebook's goal checked, not the job's": "expected status completed",
    "success as a count of runs, not a share": "a share of",
    "the total cost of the requests, not the mean per request": "a mean, not their total",
    "the strongest planner without re-plans, to be safe (typed in)": "cheapest(table,",
    "a success equal to the target does not reach it (> for >=)": "of at least 0.8",
    "no setting reaches the target: idxmin of nothing raises": "raised ValueError",
    "the target typed in (0.8), the argument ignored": "cheapest(table, ",
    "the caller's table sorted by cost in place": "changed the table it was given",
}
