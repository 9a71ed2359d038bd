"""The simulated clock: durations are what the simulator charged, whatever the machine's load.

At ``time_scale=0.01`` a call of 0.7 model-seconds sleeps 7 ms of wall clock, and the client's
and the event loop's own milliseconds are of the same size; dividing wall-clock by the scale
would count them a hundredfold. The engine's clock adds up model-seconds instead. These tests
check it against an independent reference (a list schedule written here), with the machine
kept busy by two CPU-bound processes, at 1, 8 and 16 calls in flight.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import BaseModel

from orchestra import LLM, Workflow, clock, map_each, step

pytestmark = pytest.mark.anyio

ITEMS = 32


class Batch(BaseModel):
    docs: list[str]
    notes: list[str | None] = []


def reference_makespan(durations: list[float], slots: int) -> float:
    """Greedy list scheduling in input order, written independently of orchestra.fanout."""
    lanes = [0.0] * slots
    for d in durations:
        i = lanes.index(min(lanes))
        lanes[i] += d
    return max(lanes)


@pytest.fixture
def busy_machine():
    """Two CPU-bound processes for the length of the test: the clock must not notice."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    yield
    for p in procs:
        p.kill()
        p.wait()


@pytest.fixture
def slow_sim(sim):
    sim.configure(time_scale=0.01)  # real sleeps: 0.7 model-seconds take 7 ms of wall clock
    return sim


def make_map(llm: LLM, concurrency: int) -> Workflow:
    @step
    async def summarize(doc: str) -> str:
        return (await llm.ask(f"Summarize in one sentence: {doc}", max_tokens=60)).text

    return Workflow(
        "map",
        state=Batch,
        steps=[map_each(summarize, over="docs", into="notes", concurrency=concurrency)],
    )


@pytest.mark.parametrize("concurrency", [1, 8, 16])
async def test_map_makespan_is_the_schedule_of_what_was_charged(
    slow_sim, busy_machine, concurrency
):
    llm = LLM("claude-haiku-5-5", base_url=slow_sim.url)
    docs = [
        f"Document {i}: " + "the quarterly report was late " * (1 + i % 7) for i in range(ITEMS)
    ]
    result = await make_map(llm, concurrency).run(Batch(docs=docs))
    assert result.status == "completed"
    calls = [s for s in result.trace if s.kind == "llm"]
    assert len(calls) == ITEMS
    for c in calls:  # each call lasts exactly what the simulator charged
        assert c.sim_duration == pytest.approx(c.model_s, rel=0.05)
    charged = [c.model_s for c in sorted(calls, key=lambda c: c.key)]
    by_item = sorted(calls, key=lambda c: int(c.key.split("[")[1].split("]")[0]))
    bound = reference_makespan([c.model_s for c in by_item], concurrency)
    assert result.sim_s == pytest.approx(bound, rel=0.05)
    assert bound >= max(charged) and bound >= sum(charged) / concurrency - 1e-9
    wall = max(s.end for s in result.trace) - min(s.start for s in result.trace)
    assert result.sim_s < wall / 0.01  # wall-clock ÷ scale would have counted the overhead


async def test_a_sequence_takes_the_sum_and_a_parallel_join_the_longest(sim):
    from orchestra import parallel

    llm = LLM("claude-opus-5-5", base_url=sim.url)

    class S(BaseModel):
        a: str = ""
        b: str = ""
        c: str = ""

    def asker(field: str, words: int):
        @step(name=field, writes=field)
        async def ask(s: S) -> dict:
            return {field: (await llm.ask("Write a sentence. " * words, max_tokens=200)).text}

        return ask

    seq = await Workflow("seq", state=S, steps=[asker("a", 1), asker("b", 5)]).run(S())
    spent = [s.model_s for s in seq.trace if s.kind == "llm"]
    assert seq.sim_s == pytest.approx(sum(spent))

    par = await Workflow(
        "par", state=S, steps=[parallel(asker("a", 1), asker("b", 9)), asker("c", 1)]
    ).run(S())
    a, b, c = (
        next(s.model_s for s in par.trace if s.kind == "llm" and s.key.endswith(k))
        for k in ("[0].00.a", "[1].00.b", "01.c")
    )
    assert par.sim_s == pytest.approx(max(a, b) + c)


async def test_run_many_lays_runs_out_on_its_slots(sim):
    llm = LLM("claude-haiku-5-5", base_url=sim.url)
    wf = make_map(llm, concurrency=1)
    t0 = clock.now()
    results = await wf.run_many(
        [Batch(docs=[f"doc {i} " * (i + 1)]) for i in range(6)], concurrency=2
    )
    took = clock.now() - t0
    assert took == pytest.approx(reference_makespan([r.sim_s for r in results], 2))
    assert took < sum(r.sim_s for r in results)


async def test_a_backoff_wait_counts_in_wall_seconds_over_the_scale(sim):
    clock.set_time_scale(0.01)
    try:
        t0 = clock.now()
        clock.wait(0.02)
        assert clock.now() - t0 == pytest.approx(2.0)
    finally:
        clock.set_time_scale(1.0)
