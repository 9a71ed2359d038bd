"""Plan-then-execute: a planner writes a typed plan, an executor runs it step by step (chapter 05).

One call plans: it returns a ``Plan`` (pydantic, through tool use), a list of steps that each
name a tool. The executor checks the plan before spending anything on it, then runs the steps
one at a time, each step's output feeding the steps after it. Every tool says what it
``needs`` and what it ``makes``, so the check is a walk over the plan:

- a step names a tool the executor does not have: ``UnknownToolError`` (an impossible step);
- a step needs a value that only a later step makes: ``StepOrderError``;
- a step needs a value, or the request asks for one, that no step makes: ``MissingStepError``.

A rejected plan, or a step that fails or returns nothing usable, sends the planner back with
the problem and what is known so far (values already known are not made again). At most
``max_replans`` times; then the run aborts, keeping what was made and saying why. A failure is
classified first: a ``pure`` tool (no model call, same inputs, same result) that failed on
values a re-plan keeps will fail again, and if no other tool makes its value no plan can get
past it, so the run stops at once instead of paying for re-plans that cannot help::

    loop(make_plan -> check -> execute, until=done or stuck, max_iterations=max_replans + 1) -> finish

    >>> wf = planner_executor(LLM("claude-haiku-5-5"), support_tools(haiku), max_replans=2)
    >>> result = await wf.run(Job(request="Classify the ticket, then ...", known={"ticket": t},
    ...                           goal=["category", "reply"]))
    >>> result.status, result.state.known["reply"], plans(result)
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pydantic import BaseModel

from orchestra import clock
from orchestra.compose import loop
from orchestra.errors import (
    LLMError,
    MissingStepError,
    PlanError,
    StepOrderError,
    UnknownToolError,
)
from orchestra.policies import Retry
from orchestra.steps import Context, step
from orchestra.workflow import RunResult, Workflow

__all__ = [
    "Step",
    "Plan",
    "Tool",
    "Job",
    "plan_prompt",
    "check",
    "run_steps",
    "unfixable",
    "planner_executor",
    "plans",
]


class Step(BaseModel):
    """One step of a plan."""

    tool: str
    """The name of one of the executor's tools."""
    instruction: str
    """What the step does, in one sentence."""


class Plan(BaseModel):
    """The steps to carry out the request, in order; each uses one of the listed tools."""

    steps: list[Step]


@dataclass(frozen=True)
class Tool:
    """Something the executor can do: what it needs, what it makes, and how."""

    description: str
    needs: tuple[str, ...]
    """Names of the known values it reads (``ticket``, ``category``, ...)."""
    makes: str
    """The name of the value it returns."""
    run: Callable[[dict[str, str]], Awaitable[str]]
    """Called with ``{name: value}`` for each of ``needs``; raises ValueError if it cannot."""
    pure: bool = False
    """No model call: the same inputs give the same result, so it fails again on them."""
    takes_instruction: bool = False
    """``run`` also gets the plan step's instruction, under the key ``instruction``."""


class Job(BaseModel):
    """The run's state: the request, what is known so far, and every plan tried."""

    request: str
    known: dict[str, str]
    """Named values: the inputs (``ticket``), then each step's output."""
    goal: list[str]
    """The names the request must end with."""
    plans: list[Plan] = []
    problems: list[str] = []
    """Why each rejected or failed plan stopped, one line per plan."""
    ran: list[str] = []
    """The tools that ran, in order, over all plans."""
    valid: bool = False
    """Whether the latest plan passed the check."""
    done: bool = False
    stuck: bool = False
    """The last problem is one no new plan can get past (``unfixable``): stop re-planning."""


def plan_prompt(job: Job, tools: dict[str, Tool]) -> str:
    """The planner's prompt: the tools, the task, what failed last time, and what is known."""
    block = "\n".join(f"- {name}: {t.description}" for name, t in tools.items())
    text = (
        f"Plan the steps for this request. Each step uses one of these tools:\n{block}\n"
        f"Task: {job.request}\n"
    )
    if job.problems:
        text += f"The last plan failed: {job.problems[-1]}. Plan again from what is known.\n"
    return text + "\n".join(f"{name.capitalize()}: {value}" for name, value in job.known.items())


def check(plan: Plan, tools: dict[str, Tool], known: set[str], goal: list[str]) -> None:
    """Raise the first problem of ``plan``, before anything is spent on it.

    >>> check(Plan(steps=[Step(tool="reply", instruction="Write")]), tools, {"ticket"}, ["reply"])
    MissingStepError: step 1 (reply) needs 'policy', which no step makes
    """
    have = set(known)
    for i, s in enumerate(plan.steps, 1):
        if s.tool not in tools:
            raise UnknownToolError(
                f"step {i} uses tool {s.tool!r}, which the executor does not have "
                f"(it has: {', '.join(tools)})",
                step=i,
                name=s.tool,
            )
        for need in (n for n in tools[s.tool].needs if n not in have):
            later = [j for j, t in enumerate(plan.steps[i:], i + 1) if makes(tools, t) == need]
            if later:
                msg = f"step {i} ({s.tool}) needs {need!r}, which only step {later[0]} makes"
                raise StepOrderError(msg, step=i, name=need)
            msg = f"step {i} ({s.tool}) needs {need!r}, which no step makes"
            raise MissingStepError(msg, step=i, name=need)
        have.add(tools[s.tool].makes)
    for name in (g for g in goal if g not in have):
        raise MissingStepError(f"the request asks for {name!r}, which no step makes", name=name)


def makes(tools: dict[str, Tool], s: Step) -> str | None:
    """What step ``s`` makes, or None when its tool is unknown."""
    return tools[s.tool].makes if s.tool in tools else None


async def run_steps(
    plan: Plan, tools: dict[str, Tool], known: dict[str, str], *, parallel: bool = False
) -> tuple[dict[str, str], list[str], str | None]:
    """Run a checked plan's steps in order: (the values now known, the tools run, the problem).

    A step whose value is already known is skipped (made by an earlier plan: not paid twice);
    the first step that raises or returns nothing stops the run with the problem. A tool that
    ``takes_instruction`` gets the step's instruction beside its inputs (the planner's words
    reach the tool: "summarize it for the billing team"). With ``parallel=True`` the steps run
    in waves: every step whose inputs are known runs at once (the plan's needs and makes are
    its dependency graph, as in LLMCompiler), so the run takes its longest chain, not its sum.

    >>> known, ran, problem = await run_steps(plan, tools, {"ticket": "I was charged twice"})
    """
    known, ran = dict(known), []
    pending = list(enumerate(plan.steps, 1))
    while pending:  # bounded: every pass runs at least one step, or ends the run
        pending = [(i, s) for i, s in pending if tools[s.tool].makes not in known]
        ready = [(i, s) for i, s in pending if all(n in known for n in tools[s.tool].needs)]
        wave, makes = [], set()
        for i, s in ready[: None if parallel else 1]:  # one step per value, the first in order
            if tools[s.tool].makes not in makes:
                makes.add(tools[s.tool].makes)
                wave.append((i, s))
        if not wave:
            break  # nothing left, or nothing can run (a plan that was not checked)
        t0 = clock.now()
        done = await asyncio.gather(
            *(clock.forked(lambda i=i, s=s: _call(i, s, tools, known), t0) for i, s in wave)
        )
        clock.join([took for _, took in done], len(done), t0)  # the wave ends with its slowest
        for (_, s), ((out, problem), _) in zip(wave, done, strict=True):
            if problem is None:
                known[tools[s.tool].makes] = out
                ran.append(s.tool)
        problems = [problem for (out, problem), _ in done if problem is not None]
        if problems:
            return known, ran, problems[0]
    return known, ran, None


async def _call(i: int, s: Step, tools: dict[str, Tool], known: dict[str, str]):
    """Step ``i``'s tool on the known values: (its value, None) or (None, the problem)."""
    tool = tools[s.tool]
    inputs = {n: known[n] for n in tool.needs}
    if tool.takes_instruction:
        inputs["instruction"] = s.instruction
    try:
        out = await tool.run(inputs)
        if not out or not out.strip():
            raise ValueError("it returned nothing")
    except (LLMError, ValueError) as exc:  # a failed or unusable step: re-plan
        return None, f"step {i} ({s.tool}) failed: {exc}"
    return out, None


def unfixable(problem: str, plan: Plan, tools: dict[str, Tool]) -> bool:
    """Whether no new plan can get past ``problem``, a failed step of ``plan``.

    A re-plan keeps every known value, so a ``pure`` tool that failed will fail the same way on
    them; only another tool making the same value could route around it.

    >>> unfixable("step 2 (lookup_policy) failed: no entry for 'other'", plan, tools)
    True
    """
    failed = re.match(r"step (\d+) \(", problem)
    if failed is None:
        return False  # a rejected plan: another plan can be right
    tool = tools[plan.steps[int(failed.group(1)) - 1].tool]
    others = [t for t in tools.values() if t.makes == tool.makes and t is not tool]
    return tool.pure and not others


def planner_executor(
    planner,
    tools: dict[str, Tool],
    *,
    max_replans: int = 2,
    retry: Retry | None = Retry(max_attempts=3, base_delay=0.01, seed=0),
    parallel: bool = False,
    approve: Callable[[Plan], Awaitable[str | None]] | None = None,
) -> Workflow:
    """Plan, check, execute; re-plan at most ``max_replans`` times, else abort with what was made.

    ``parallel=True`` runs independent steps at once (``run_steps``). ``approve`` shows each
    plan that passed the check to a person before anything is spent on it: it returns None to
    approve, or their reason to reject, which the re-plan prompt carries like any problem.

    >>> result = await planner_executor(haiku, tools, max_replans=2).run(job)
    """
    if max_replans < 0:
        raise PlanError(f"max_replans must be 0 or more, got {max_replans}")

    @step(retry=retry)
    async def make_plan(job: Job, ctx: Context) -> dict:
        reply = await ctx.llm(planner).ask(plan_prompt(job, tools), schema=Plan)
        tried = {"plans": [*job.plans, reply.data], "valid": True}
        try:
            check(reply.data, tools, set(job.known), job.goal)
        except PlanError as exc:  # rejected before anything is spent on it
            return {**tried, "problems": [*job.problems, str(exc)], "valid": False}
        refused = await approve(reply.data) if approve is not None else None
        if refused:  # a person said no: the same path as a plan the check rejected
            return {
                **tried,
                "problems": [*job.problems, f"a reviewer rejected it: {refused}"],
                "valid": False,
            }
        return tried

    @step
    async def execute(job: Job) -> dict:
        if not job.valid:
            return {}
        known, ran, problem = await run_steps(job.plans[-1], tools, job.known, parallel=parallel)
        out = {"known": known, "ran": [*job.ran, *ran]}
        if problem is None:
            return {**out, "done": True}
        # classify before re-planning: a failure no plan can get past is not worth a planner call
        return {
            **out,
            "problems": [*job.problems, problem],
            "stuck": unfixable(problem, job.plans[-1], tools),
        }

    @step
    async def finish(job: Job) -> dict:
        if job.stuck:
            raise PlanError(
                f"stopped after {len(job.plans)} plan(s) without re-planning: "
                f"{job.problems[-1]}, and a re-plan keeps the values it failed on (a pure tool, "
                f"nothing else makes its value); known so far: {', '.join(job.known)}"
            )
        if not job.done:
            raise PlanError(
                f"gave up after {len(job.plans)} plan(s) (max_replans={max_replans}); "
                f"last problem: {job.problems[-1] if job.problems else 'none'}; "
                f"known so far: {', '.join(job.known)}"
            )
        return {}

    return Workflow(
        "plan_execute",
        state=Job,
        steps=[
            loop(
                make_plan,
                execute,
                until=lambda job: job.done or job.stuck,
                max_iterations=max_replans + 1,
                on_limit="continue",
            ),
            finish,
        ],
    )


def plans(result: RunResult) -> list[dict]:
    """One row per plan tried: its tools, what stopped it, and what planning and executing cost.

    >>> plans(result)[0]
    {'plan': 1, 'tools': 'classify > lookup_policy > reply > review', 'problem': None, ...}
    """
    job = result.state
    failed = iter(job.problems)
    spent = {}  # (round, step name) -> cost; keys look like 00.loop[1].00.make_plan
    for s in result.trace.steps():
        if s.key.startswith("00.loop["):
            spent[(int(s.key[8 : s.key.index("]")]), s.name)] = s.cost_usd
    return [
        {
            "plan": i + 1,
            "tools": " > ".join(s.tool for s in p.steps),
            "problem": None if job.done and i == len(job.plans) - 1 else next(failed, None),
            "planning_usd": spent.get((i, "make_plan"), 0.0),
            "executing_usd": spent.get((i, "execute"), 0.0),
        }
        for i, p in enumerate(job.plans)
    ]
