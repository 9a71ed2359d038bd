"""Per-step overhead of a 5-step chain of no-op async steps, side by side (chapter 01).

    .venv/bin/python bench/overhead.py

Each framework runs the same chain: five steps that each add 1 to a counter. We time whole
runs (warmed up), divide by five, and report the median over batches. Orchestra runs with
tracing on (it always traces); raw asyncio awaits five coroutines in a row.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from typing import TypedDict

from pydantic import BaseModel

from orchestra.steps import step
from orchestra.workflow import Workflow

STEPS, BATCHES = 5, 7


# -- raw asyncio ---------------------------------------------------------------------------
async def _inc(n: int) -> int:
    return n + 1


async def raw_asyncio() -> int:
    n = 0
    for _ in range(STEPS):
        n = await _inc(n)
    return n


# -- orchestra -----------------------------------------------------------------------------
class Counter(BaseModel):
    n: int = 0


@step(writes="n")
async def inc(state: Counter) -> dict:
    return {"n": state.n + 1}


chain = Workflow("chain", state=Counter, steps=[inc] * STEPS)


async def orchestra_run() -> int:
    result = await chain.run(Counter())
    return result.state.n


# -- LangChain LCEL ------------------------------------------------------------------------
def lcel():
    from langchain_core.runnables import RunnableLambda

    async def add(x: int) -> int:
        return x + 1

    r = RunnableLambda(add)
    seq = r | r | r | r | r

    async def go() -> int:
        return await seq.ainvoke(0)

    return go


# -- LangGraph -----------------------------------------------------------------------------
class GState(TypedDict):
    n: int


def langgraph():
    from langgraph.graph import END, START, StateGraph

    async def add(state: GState) -> dict:
        return {"n": state["n"] + 1}

    g = StateGraph(GState)
    names = [f"s{i}" for i in range(STEPS)]
    for name in names:
        g.add_node(name, add)
    g.add_edge(START, names[0])
    for a, b in zip(names, names[1:], strict=False):
        g.add_edge(a, b)
    g.add_edge(names[-1], END)
    app = g.compile()

    async def go() -> int:
        return (await app.ainvoke({"n": 0}))["n"]

    return go


# -- LlamaIndex Workflows ------------------------------------------------------------------
def llamaindex():
    from llama_index.core.workflow import (
        Event,
        StartEvent,
        StopEvent,
    )
    from llama_index.core.workflow import (
        Workflow as LIWorkflow,
    )
    from llama_index.core.workflow import (
        step as li_step,
    )

    class E1(Event):
        n: int

    class E2(Event):
        n: int

    class E3(Event):
        n: int

    class E4(Event):
        n: int

    class Chain(LIWorkflow):
        @li_step
        async def s1(self, ev: StartEvent) -> E1:
            return E1(n=ev.n + 1)

        @li_step
        async def s2(self, ev: E1) -> E2:
            return E2(n=ev.n + 1)

        @li_step
        async def s3(self, ev: E2) -> E3:
            return E3(n=ev.n + 1)

        @li_step
        async def s4(self, ev: E3) -> E4:
            return E4(n=ev.n + 1)

        @li_step
        async def s5(self, ev: E4) -> StopEvent:
            return StopEvent(result=ev.n + 1)

    wf = Chain(timeout=None)

    async def go() -> int:
        return await wf.run(n=0)

    return go


async def measure(name: str, run, runs: int) -> float:
    """Median µs per step over BATCHES batches of `runs` runs, after a warm-up."""
    assert await run() == STEPS, f"{name} did not count to {STEPS}"
    for _ in range(max(20, runs // 5)):
        await run()
    per_step = []
    for _ in range(BATCHES):
        gc.collect()
        t = time.perf_counter()
        for _ in range(runs):
            await run()
        per_step.append((time.perf_counter() - t) / runs / STEPS * 1e6)
    return statistics.median(per_step)


async def main() -> None:
    cases = [
        ("raw asyncio", raw_asyncio, 20000),
        ("orchestra (tracing on)", orchestra_run, 2000),
        ("LangChain LCEL", lcel(), 300),
        ("LangGraph", langgraph(), 300),
        ("LlamaIndex Workflows", llamaindex(), 150),
    ]
    results = {name: await measure(name, run, runs) for name, run, runs in cases}
    ours = results["orchestra (tracing on)"]
    print(f"\n{STEPS}-step chain of no-op async steps; median of {BATCHES} batches\n")
    print(f"{'framework':<26}{'µs/step':>10}{'× orchestra':>14}")
    for name, us in results.items():
        print(f"{name:<26}{us:>10.2f}{us / ours:>14.2f}")
    verdict = "meets" if ours <= 10 else "MISSES"
    print(f"\norchestra with tracing on: {ours:.2f} µs/step ({verdict} the 10 µs/step target)")


if __name__ == "__main__":
    asyncio.run(main())
