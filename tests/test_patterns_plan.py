"""Tests for orchestra.patterns.plan: the plan check, the executor, bounded re-planning."""

import asyncio
from types import SimpleNamespace

import pytest

from orchestra import LLM, datasets
from orchestra.errors import MissingStepError, PlanError, StepOrderError, UnknownToolError
from orchestra.examples.support_desk import grade, request, support_tools
from orchestra.patterns.plan import (
    Job,
    Plan,
    Step,
    Tool,
    check,
    plan_prompt,
    planner_executor,
    plans,
    run_steps,
    unfixable,
)


def tools(log: list, fail: set = frozenset(), pure: set = frozenset()) -> dict[str, Tool]:
    """a: ticket -> x; b: x -> y; c: y -> z. Each logs its run; those in ``fail`` raise; those
    in ``pure`` are marked pure."""

    def make(name, needs, makes):
        async def run(inputs):
            log.append(name)
            if name in fail:
                raise ValueError(f"{name} cannot")
            return f"{makes}({','.join(inputs.values())})"

        return Tool(f"do {name}", needs, makes, run, pure=name in pure)

    return {
        "a": make("a", ("ticket",), "x"),
        "b": make("b", ("x",), "y"),
        "c": make("c", ("y",), "z"),
    }


def plan_of(*names: str) -> Plan:
    return Plan(steps=[Step(tool=n, instruction=f"use {n}") for n in names])


class Scripted:
    """A planner that returns the given plans in turn, and counts the calls."""

    def __init__(self, *script: Plan):
        self.script, self.prompts = list(script), []

    async def ask(self, prompt, **kwargs):
        self.prompts.append(prompt)
        return SimpleNamespace(data=self.script[min(len(self.prompts), len(self.script)) - 1])


JOB = Job(request="Make z.", known={"ticket": "t"}, goal=["z"])


def test_check_accepts_a_good_plan_and_names_each_defect():
    ts = tools([])
    check(plan_of("a", "b", "c"), ts, {"ticket"}, ["z"])  # no error
    with pytest.raises(UnknownToolError) as unknown:
        check(plan_of("a", "translate", "c"), ts, {"ticket"}, ["z"])
    assert unknown.value.step == 2 and unknown.value.name == "translate"
    with pytest.raises(StepOrderError) as order:
        check(plan_of("b", "a", "c"), ts, {"ticket"}, ["z"])
    assert order.value.step == 1 and order.value.name == "x" and "only step 2" in str(order.value)
    with pytest.raises(MissingStepError) as gap:
        check(plan_of("a", "c"), ts, {"ticket"}, ["z"])
    assert gap.value.step == 2 and gap.value.name == "y"
    with pytest.raises(MissingStepError) as unasked:
        check(plan_of("a", "b"), ts, {"ticket"}, ["z"])
    assert unasked.value.step is None and unasked.value.name == "z"
    check(plan_of("c"), ts, {"ticket", "y"}, ["z"])  # what is known already counts


def test_a_good_plan_runs_each_step_on_the_outputs_before_it():
    log = []
    result = asyncio.run(planner_executor(Scripted(plan_of("a", "b", "c")), tools(log)).run(JOB))
    assert result.status == "completed" and log == ["a", "b", "c"]
    assert result.state.known["z"] == "z(y(x(t)))"
    assert result.state.ran == ["a", "b", "c"] and result.state.problems == []


@pytest.mark.parametrize("bad", [("b", "a", "c"), ("a", "c"), ("a", "nope", "c")])
def test_a_bad_plan_costs_no_tool_call_and_is_replanned(bad):
    log, planner = [], Scripted(plan_of(*bad), plan_of("a", "b", "c"))
    result = asyncio.run(planner_executor(planner, tools(log), max_replans=1).run(JOB))
    assert result.status == "completed" and log == ["a", "b", "c"]  # nothing ran for the bad one
    assert len(planner.prompts) == 2 and "The last plan failed" in planner.prompts[1]
    rows = plans(result)
    assert [r["plan"] for r in rows] == [1, 2] and rows[0]["problem"] and rows[1]["problem"] is None


def test_replans_are_bounded_and_the_abort_keeps_what_was_made():
    log, planner = [], Scripted(plan_of("a", "b", "c"))
    wf = planner_executor(planner, tools(log, fail={"c"}), max_replans=2)
    result = asyncio.run(wf.run(JOB))
    assert result.status == "aborted" and isinstance(result.error.cause, PlanError)
    assert len(planner.prompts) == 3  # the first plan and two re-plans, no more
    assert log == ["a", "b", "c", "c", "c"]  # made once, then kept across re-plans
    assert result.state.known["y"] == "y(x(t))" and "z" not in result.state.known
    assert "gave up after 3 plan(s)" in result.reason and "c cannot" in result.reason


def test_a_pure_step_that_fails_is_not_replanned():
    log, planner = [], Scripted(plan_of("a", "b", "c"))
    wf = planner_executor(planner, tools(log, fail={"c"}, pure={"c"}), max_replans=2)
    result = asyncio.run(wf.run(JOB))
    assert result.status == "aborted" and len(planner.prompts) == 1  # no re-plan paid for
    assert log == ["a", "b", "c"] and result.state.stuck
    assert "without re-planning" in result.reason and "c cannot" in result.reason


def test_a_pure_step_is_fixable_when_another_tool_makes_its_value():
    ts = tools([], pure={"c"})
    ts["c2"] = Tool("do c another way", ("y",), "z", ts["c"].run)
    problem = "step 3 (c) failed: c cannot"
    assert unfixable(problem, plan_of("a", "b", "c"), ts) is False
    assert unfixable(problem, plan_of("a", "b", "c"), tools([], pure={"c"})) is True
    assert unfixable(problem, plan_of("a", "b", "c"), tools([])) is False  # a model may do better
    assert unfixable("step 2 (b) needs 'x'", plan_of("a", "b", "c"), ts) is False  # a bad plan


def test_a_step_that_takes_instruction_gets_the_plans_words():
    seen = []

    async def run(inputs):
        seen.append(dict(inputs))
        return "done"

    ts = {
        "say": Tool("say", ("ticket",), "z", run, takes_instruction=True),
        "mute": Tool("mute", ("ticket",), "w", run),
    }
    plan = Plan(
        steps=[Step(tool="say", instruction="in French"), Step(tool="mute", instruction="x")]
    )
    known, ran, problem = asyncio.run(run_steps(plan, ts, {"ticket": "t"}))
    assert problem is None and ran == ["say", "mute"]
    assert seen == [{"ticket": "t", "instruction": "in French"}, {"ticket": "t"}]


def test_the_urgency_tool_reads_a_cueless_ticket_as_normal(sim):
    rate = support_tools(LLM("claude-haiku-5-5"))["rate_urgency"]
    said = asyncio.run(rate.run({"ticket": "Do you have an office in Lisbon?"}))
    assert said == "normal"  # the default label comes first: no cue, no alarm


def test_no_replans_means_the_first_problem_aborts():
    planner = Scripted(plan_of("b", "a", "c"), plan_of("a", "b", "c"))
    result = asyncio.run(planner_executor(planner, tools([]), max_replans=0).run(JOB))
    assert result.status == "aborted" and len(planner.prompts) == 1
    assert "only step 2 makes" in result.reason


def test_bad_arguments_are_named_errors():
    with pytest.raises(PlanError):
        planner_executor(Scripted(), tools([]), max_replans=-1)


def test_replan_prompt_carries_the_problem_and_the_known_values():
    job = JOB.model_copy(update={"known": {"ticket": "t", "x": "x1"}, "problems": ["step 2 broke"]})
    text = plan_prompt(job, tools([]))
    assert "- a: do a" in text and "Task: Make z." in text
    assert "The last plan failed: step 2 broke" in text and "X: x1" in text


def test_on_the_simulator_a_strong_planner_plans_the_support_request(sim):
    ticket = datasets.load("tickets")[0]
    text, goal = request(5)
    wf = planner_executor(LLM("claude-opus-5-5"), support_tools(LLM("claude-haiku-5-5")))
    result = asyncio.run(wf.run(Job(request=text, known={"ticket": ticket["text"]}, goal=goal)))
    assert result.status == "completed"
    assert [s.tool for s in result.state.plans[-1].steps][:2] == ["classify", "lookup_policy"]
    assert all(
        grade(result.state.known, ["category", "policy", "summary", "reply"], ticket).values()
    )
    rows = plans(result)
    assert rows[0]["planning_usd"] > 0 and rows[-1]["executing_usd"] > 0
    total = sum(r["planning_usd"] + r["executing_usd"] for r in rows)
    assert abs(total - result.cost_usd) < 1e-12


def test_on_the_simulator_a_step_no_tool_does_is_an_unknown_tool(sim):
    text, goal = request(2, extra="translate the policy into French")
    wf = planner_executor(
        LLM("claude-opus-5-5"), support_tools(LLM("claude-haiku-5-5")), max_replans=1
    )
    result = asyncio.run(
        wf.run(Job(request=text, known={"ticket": "I was charged twice."}, goal=goal))
    )
    assert result.status == "aborted" and "'translate'" in result.reason
    assert result.state.ran == []  # nothing was spent on the executor


def test_parallel_steps_run_in_waves_and_take_the_longest_chain():
    from orchestra import clock

    def timed(seconds, makes, fail=False):
        async def run(inputs):
            clock.advance(seconds)
            await asyncio.sleep(0)
            if fail:
                raise ValueError(f"{makes} cannot")
            return f"{makes}({','.join(sorted(inputs.values()))})"

        return run

    ts = {
        "a": Tool("a", ("ticket",), "x", timed(1.0, "x")),
        "b": Tool("b", ("ticket",), "y", timed(2.0, "y")),
        "c": Tool("c", ("x", "y"), "z", timed(1.0, "z")),
    }

    async def go(parallel):
        clock.set_now(0.0)
        out = await run_steps(plan_of("a", "b", "c"), ts, {"ticket": "t"}, parallel=parallel)
        return out, clock.now()

    (seq, seq_s), (par, par_s) = asyncio.run(go(False)), asyncio.run(go(True))
    assert seq == par  # the same values, tools and (no) problem
    assert seq[0]["z"] == "z(x(t),y(t))" and seq[1] == ["a", "b", "c"]
    assert seq_s == 4.0 and par_s == 3.0  # the sum against the longest chain (b, then c)
    ts["a"] = Tool("a", ("ticket",), "x", timed(1.0, "x", fail=True))
    known, ran, problem = asyncio.run(
        run_steps(plan_of("a", "b", "c"), ts, {"ticket": "t"}, parallel=True)
    )
    assert problem.startswith("step 1 (a) failed") and ran == ["b"] and "y" in known


def test_a_person_can_reject_a_checked_plan_and_the_replan_hears_why():
    shown = []

    async def reviewer(plan):
        shown.append([s.tool for s in plan.steps])
        return "do a twice" if len(shown) == 1 else None  # the first plan is refused

    log, planner = [], Scripted(plan_of("a", "b", "c"))
    wf = planner_executor(planner, tools(log), max_replans=1, approve=reviewer)
    result = asyncio.run(wf.run(JOB))
    assert result.status == "completed" and len(shown) == 2 and log == ["a", "b", "c"]
    assert "a reviewer rejected it: do a twice" in planner.prompts[1]
    bad = Scripted(plan_of("b", "a", "c"), plan_of("a", "b", "c"))
    shown.clear()
    asyncio.run(planner_executor(bad, tools([]), max_replans=1, approve=reviewer).run(JOB))
    assert shown == [["a", "b", "c"]]  # a plan the check rejects never reaches the person
