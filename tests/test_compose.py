"""Tests for orchestra.compose: parallel, map_each, branch, loop and approval inside a workflow."""

import asyncio
import operator

import pytest
from fakes import S, inc, note
from pydantic import BaseModel

from orchestra.checkpoint import MemoryStore
from orchestra.compose import approval, branch, loop, map_each, parallel
from orchestra.errors import FatalLLMError, LoopLimitError, UnknownStepError
from orchestra.steps import step
from orchestra.workflow import Workflow

pytestmark = pytest.mark.anyio


async def test_parallel_merges_with_rule_in_branch_order():
    wf = Workflow(
        "par", state=S, steps=[parallel(note("a"), [note("b"), inc], merge={"notes": operator.add})]
    )
    result = await wf.run(S(notes=["old"]))
    assert result.state.notes == ["old", "a", "b"] and result.state.n == 1


async def test_parallel_runs_concurrently():
    @step(writes="n")
    async def slow(s: S) -> dict:
        await asyncio.sleep(0.05)
        return {"n": 1}

    @step(writes="kind")
    async def slow2(s: S) -> dict:
        await asyncio.sleep(0.05)
        return {"kind": "b"}

    result = await Workflow("p", state=S, steps=[parallel(slow, slow2)]).run(S())
    a, b = result.trace.steps()
    assert a.start < b.end and b.start < a.end  # overlapping
    assert (result.state.n, result.state.kind) == (1, "b")


async def test_map_each_keeps_order_and_limit():
    running, peak = 0, 0

    @step
    async def upper(doc: str) -> str:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01 * (len(doc) % 3))
        running -= 1
        return doc.upper()

    docs = [f"doc{i}" + "x" * i for i in range(10)]
    wf = Workflow("m", state=S, steps=[map_each(upper, over="docs", into="out", concurrency=3)])
    result = await wf.run(S(docs=docs))
    assert result.state.out == [d.upper() for d in docs]
    assert peak == 3
    assert {s.key for s in result.trace.steps()} == {f"00.map_each[{i}].upper" for i in range(10)}


async def test_map_each_hands_its_slot_back_during_a_retry_backoff():
    from orchestra.errors import RetryableLLMError
    from orchestra.policies import Retry

    class Items(BaseModel):
        items: list[int]
        out: list[int | None] = []

    finished: list[int] = []
    failed_once: set[int] = set()

    @step(retry=Retry(max_attempts=2, base_delay=0.01))
    async def work(i: int) -> int:
        if i == 0 and i not in failed_once:
            failed_once.add(i)
            raise RetryableLLMError("overloaded", status=529, retry_after=0.2)
        await asyncio.sleep(0.01)
        finished.append(i)
        return i

    wf = Workflow(
        "slots", state=Items, steps=[map_each(work, over="items", into="out", concurrency=1)]
    )
    result = await wf.run(Items(items=[0, 1, 2]))
    assert result.status == "completed" and result.state.out == [0, 1, 2]
    assert finished == [1, 2, 0]  # 1 and 2 ran while item 0 waited out its retry-after


async def test_branch_routes_by_value_and_name():
    @step(writes="notes")
    async def refund(s: S) -> dict:
        return {"notes": ["refund"]}

    router = branch("kind", {"a": refund, "b": "inc"}, default=note("other"))
    wf = Workflow("b", state=S, steps=[inc, router])
    assert (await wf.run(S(kind="a"))).state.notes == ["refund"]
    assert (await wf.run(S(kind="b"))).state.n == 2
    assert (await wf.run(S(kind="zzz"))).state.notes == ["other"]


async def test_branch_without_route_aborts_with_reason():
    wf = Workflow("b", state=S, steps=[branch(lambda s: s.kind, {"a": inc})])
    result = await wf.run(S(kind="q"))
    assert result.status == "aborted" and "no route for value 'q'" in result.reason
    assert isinstance(result.error, UnknownStepError)


async def test_loop_until_and_bound():
    done = Workflow("l", state=S, steps=[loop(inc, until=lambda s: s.n >= 3, max_iterations=5)])
    result = await done.run(S())
    assert result.state.n == 3 and result.trace.steps()[-1].key == "00.loop[2].00.inc"

    stuck = Workflow("l2", state=S, steps=[loop(inc, until=lambda s: False, max_iterations=4), inc])
    result = await stuck.run(S())
    assert result.status == "aborted" and isinstance(result.error, LoopLimitError)
    assert result.state.n == 4 and result.missing == ["00.loop", "01.inc"]

    lenient = Workflow(
        "l3",
        state=S,
        steps=[loop(inc, until=lambda s: False, max_iterations=2, on_limit="continue"), inc],
    )
    result = await lenient.run(S())
    assert result.status == "completed" and result.state.n == 3 and result.degraded == ["00.loop"]


async def test_human_decision_waits_then_resumes():
    calls = []

    @step(writes="n")
    async def before(s: S) -> dict:
        calls.append("before")
        return {"n": 41}

    wf = Workflow(
        "h",
        state=S,
        steps=[before, approval("Ship it?", into="ok", show=lambda s: {"n": s.n}), inc],
    )
    store = MemoryStore()
    first = await wf.run(S(), store=store)
    assert first.status == "waiting" and first.state.n == 41
    assert first.waiting_for == {
        "key": "01.approval#human0",
        "prompt": "Ship it?",
        "payload": {"n": 41},
    }
    assert first.missing == ["01.approval", "02.inc"]
    done = await wf.resume(first.run_id, store, decision=True, question=first.waiting_for["key"])
    assert done.status == "completed" and done.state.ok is True and done.state.n == 42
    assert calls == ["before"]  # not run again


def test_a_branch_default_route_is_part_of_the_fingerprint():
    def fingerprint(default):
        return Workflow(
            "b", state=S, steps=[branch("kind", {"a": inc}, default=default)]
        ).fingerprint

    assert fingerprint(inc) != fingerprint(note("other"))
    assert fingerprint(inc) != fingerprint(None)


async def test_a_merge_rule_is_applied_once_on_resume():
    failures = []

    @step(writes="notes")
    async def keep(s: S) -> dict:
        return {"notes": s.notes}  # unchanged: an equal list

    @step(writes="notes")
    async def add(s: S) -> dict:
        return {"notes": ["B2"]}

    @step(writes="n")
    async def fails_once(s: S) -> dict:
        if not failures:
            failures.append(1)
            raise FatalLLMError("400 bad request", status=400)
        return {"n": s.n + 1}

    def build(last):
        return Workflow(
            "merge", state=S, steps=[parallel(keep, add, merge={"notes": operator.add}), last]
        )

    clean = await build(inc).run(S(notes=["init"]))
    assert clean.state.notes == ["init", "B2"]
    store = MemoryStore()
    wf = build(fails_once)
    first = await wf.run(S(notes=["init"]), store=store, run_id="m")
    assert first.status == "aborted" and first.state.notes == ["init", "B2"]
    done = await wf.resume("m", store)  # the branches replay from the journal
    assert done.status == "completed"
    assert done.state == clean.state


# -- map_each with several steps: a pipeline, against two map_each in a row (a barrier) ------


class Docs(BaseModel):
    docs: list[str]
    facts: list[str | None] = []
    notes: list[str | None] = []


def reference_schedule(durations: list[float], slots: int, start: float = 0.0) -> list[float]:
    """Start times of a greedy list schedule in input order, written apart from orchestra."""
    lanes, starts = [start] * slots, []
    for d in durations:
        i = lanes.index(min(lanes))
        starts.append(lanes[i])
        lanes[i] += d
    return starts


def two_stages(first: list[float], second: list[float]):
    """An extract and a summarise step whose fake calls take the given simulated seconds."""
    from fakes import fake_call

    @step
    async def extract(doc: str) -> str:
        fake_call(model_s=first[int(doc)])
        return f"facts of {doc}"

    @step
    async def summarise(facts: str) -> str:
        fake_call(model_s=second[int(facts.split()[-1])])
        return facts.replace("facts", "summary")

    return extract, summarise


UNEVEN = [3.0, 0.5, 0.5, 0.5, 2.0, 0.5, 0.5, 0.5]  # one slow document per lane's first round
SECOND = [0.5, 1.0, 1.0, 1.0, 0.5, 1.0, 1.0, 1.0]


async def test_a_pipeline_passes_each_output_on_and_keeps_item_order():
    extract, summarise = two_stages(UNEVEN, SECOND)
    wf = Workflow(
        "pipe", state=Docs, steps=[map_each(extract, summarise, over="docs", into="notes")]
    )
    result = await wf.run(Docs(docs=[str(i) for i in range(8)]))
    assert result.state.notes == [f"summary of {i}" for i in range(8)]
    keys = {s.key for s in result.trace.steps()}
    assert keys == {f"00.map_each[{i}].{n}" for i in range(8) for n in ("extract", "summarise")}


async def test_pipeline_and_barrier_makespans_are_their_schedules():
    extract, summarise = two_stages(UNEVEN, SECOND)
    docs = Docs(docs=[str(i) for i in range(8)])
    pipeline = Workflow(
        "pipe",
        state=Docs,
        steps=[map_each(extract, summarise, over="docs", into="notes", concurrency=2)],
    )
    barrier = Workflow(
        "barrier",
        state=Docs,
        steps=[
            map_each(extract, over="docs", into="facts", concurrency=2),
            map_each(summarise, over="facts", into="notes", concurrency=2),
        ],
    )
    piped, waited = await pipeline.run(docs), await barrier.run(docs)
    assert piped.state.notes == waited.state.notes
    items = [a + b for a, b in zip(UNEVEN, SECOND, strict=True)]
    pipe_end = max(s + d for s, d in zip(reference_schedule(items, 2), items, strict=True))
    stage1 = max(s + d for s, d in zip(reference_schedule(UNEVEN, 2), UNEVEN, strict=True))
    starts = reference_schedule(SECOND, 2, stage1)
    barrier_end = max(s + d for s, d in zip(starts, SECOND, strict=True))
    assert piped.sim_s == pytest.approx(pipe_end) and waited.sim_s == pytest.approx(barrier_end)
    assert piped.sim_s < waited.sim_s  # lanes idle at the barrier; the pipeline fills them
    # an item's second call starts when its first ends, on the same slot
    spans = {s.key: s for s in piped.trace.steps()}
    for i in range(8):
        first, second = spans[f"00.map_each[{i}].extract"], spans[f"00.map_each[{i}].summarise"]
        assert second.sim_start == pytest.approx(first.sim_end)
    # behind the barrier no summary starts before the last extraction ends
    t0 = min(s.sim_start for s in waited.trace)  # the run's start on this task's clock
    summaries = [s for s in waited.trace.steps() if s.name == "summarise"]
    assert min(s.sim_start for s in summaries) - t0 == pytest.approx(stage1)


async def test_a_pipeline_holds_at_most_concurrency_calls_in_flight():
    running, peak = 0, 0

    async def busy() -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.005)
        running -= 1

    @step
    async def first(x: str) -> str:
        await busy()
        return x

    @step
    async def second(x: str) -> str:
        await busy()
        return x.upper()

    wf = Workflow(
        "p", state=S, steps=[map_each(first, second, over="docs", into="out", concurrency=3)]
    )
    result = await wf.run(S(docs=[f"d{i}" for i in range(10)]))
    assert result.state.out == [f"D{i}" for i in range(10)] and peak == 3


async def test_a_pipeline_resumes_inside_an_item():
    from orchestra.errors import FatalLLMError as Boom

    ran: list[str] = []
    fail = {"on": True}

    @step
    async def first(x: str) -> str:
        ran.append(f"first {x}")
        return x + "!"

    @step
    async def second(x: str) -> str:
        if fail["on"] and x == "b!":
            raise Boom("planted")
        ran.append(f"second {x}")
        return x.upper()

    store = MemoryStore()
    wf = Workflow("p", state=S, steps=[map_each(first, second, over="docs", into="out")])
    result = await wf.run(S(docs=["a", "b"]), store=store)
    assert result.status == "aborted"
    fail["on"], ran[:] = False, []
    again = await wf.resume(result.run_id, store)
    assert again.status == "completed" and again.state.out == ["A!", "B!"]
    assert ran == ["second b!"]  # item b's first step and all of item a were not run again


def test_map_each_rejects_two_steps_with_one_name():
    from orchestra.errors import DefinitionError

    with pytest.raises(DefinitionError, match="distinct names"):
        Workflow("p", state=S, steps=[map_each(inc, inc, over="docs", into="out")])


async def test_pipeline_and_barrier_on_the_simulator_are_what_it_charged(sim):
    from orchestra import LLM

    sim.configure(time_scale=0.01)  # real sleeps, so the machine's order varies
    llm = LLM("claude-haiku-5-5", base_url=sim.url)

    @step
    async def extract(doc: str) -> str:
        prompt = f"Extract the following fields as JSON: date, owner.\nDocument: {doc}"
        return (await llm.ask(prompt, max_tokens=80)).text

    @step
    async def summarise(facts: str) -> str:
        return (await llm.ask(f"Summarize in one sentence: {facts}", max_tokens=60)).text

    docs = Docs(
        docs=[f"Report {i} by Ana on 2025-03-0{1 + i % 9}. " * (1 + i % 4) for i in range(12)]
    )
    pipeline = Workflow(
        "pipe",
        state=Docs,
        steps=[map_each(extract, summarise, over="docs", into="notes", concurrency=4)],
    )
    barrier = Workflow(
        "barrier",
        state=Docs,
        steps=[
            map_each(extract, over="docs", into="facts", concurrency=4),
            map_each(summarise, over="facts", into="notes", concurrency=4),
        ],
    )
    piped, waited = await pipeline.run(docs), await barrier.run(docs)
    for result in (piped, waited):
        calls = [s for s in result.trace if s.kind == "llm"]
        assert len(calls) == 24
        for c in calls:  # each call lasts what the simulator charged
            assert c.sim_duration == pytest.approx(c.model_s, rel=1e-9)

    def charged(result, stage: str) -> list[float]:
        by_item = {
            int(s.key.split("[")[1].split("]")[0]): s.model_s
            for s in result.trace
            if s.kind == "llm" and s.key.endswith(stage)
        }
        return [by_item[i] for i in range(12)]

    items = [
        a + b for a, b in zip(charged(piped, "extract"), charged(piped, "summarise"), strict=True)
    ]
    assert piped.sim_s == pytest.approx(
        max(s + d for s, d in zip(reference_schedule(items, 4), items, strict=True))
    )
    first, second = charged(waited, "extract"), charged(waited, "summarise")
    stage1 = max(s + d for s, d in zip(reference_schedule(first, 4), first, strict=True))
    starts = reference_schedule(second, 4, stage1)
    assert waited.sim_s == pytest.approx(max(s + d for s, d in zip(starts, second, strict=True)))
