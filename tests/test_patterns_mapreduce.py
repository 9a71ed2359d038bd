"""Tests for orchestra.patterns.mapreduce: the map keeps order, the reduce sees every row, the bound holds."""

import asyncio

from orchestra import LLM, RateLimiter, sim
from orchestra.patterns.mapreduce import Batch, Doc, lower_bound, map_reduce, parse_amount

DOCS = [
    Doc(
        id=f"d{i}",
        kind="invoice",
        fields=["email", "amount"],
        text=f"Amount: ${100 * (i + 1)}.00\nContact: ops{i}@example.com",
    )
    for i in range(6)
]


def test_map_keeps_document_order_and_reduce_sees_all_rows(sim):
    async def go():
        async with LLM("claude-opus-5-5", max_tokens=1024) as llm:
            wf = map_reduce(
                llm,
                lambda rows, docs: {"n": len(rows), "emails": [r["email"] for r in rows]},
                concurrency=3,
            )
            return await wf.run(Batch(docs=DOCS))

    result = asyncio.run(go())
    assert result.status == "completed"
    assert result.state.summary["n"] == 6
    assert [list(r) for r in result.state.extracted] == [["email", "amount"]] * 6
    # opus is right nearly always; order must follow the documents, whatever finished first
    assert (
        sum(r["email"] == f"ops{i}@example.com" for i, r in enumerate(result.state.extracted)) >= 5
    )


def test_concurrency_caps_calls_in_flight(sim):
    sim.configure(time_scale=0.002)

    async def go(c):
        async with LLM("claude-haiku-5-5", max_tokens=1024) as llm:
            result = await map_reduce(llm, lambda rows, docs: {}, concurrency=c).run(
                Batch(docs=DOCS)
            )
        spans = result.trace.to_dataframe()
        spans = spans[spans["kind"] == "step"].sort_values("start")
        ends = spans["end"].tolist()
        return max(sum(1 for _, s in spans.iterrows() if s["start"] < e <= s["end"]) for e in ends)

    assert asyncio.run(go(1)) == 1
    assert asyncio.run(go(6)) > 1


def test_parse_amount():
    assert parse_amount("$1,250.00") == 1250.0
    assert parse_amount(486.5) == 486.5
    assert parse_amount(None) is None and parse_amount("n/a") is None


def test_lower_bound_takes_the_largest_of_three_bounds():
    log = [{"status": 200, "model_s": 1.0}] * 10 + [{"status": 429, "retry_after_s": 0.02}]
    # lanes: (10 + 0.02/0.01) / 2 = 6; rate: (10 - 5)/5 min + 1 = 61; one call: 1
    assert lower_bound(log, concurrency=2, time_scale=0.01) == 6.0
    assert lower_bound(log, concurrency=2, time_scale=0.01, requests_per_minute=5) == 61.0
    assert lower_bound(log, concurrency=100, time_scale=0.01) == 1.0


def test_shared_limiter_avoids_429s_and_respects_the_bound(sim):
    rpm, scale = 4, 0.002
    sim.configure(time_scale=scale, limits=sim_limits(rpm))

    async def go():
        limiter = RateLimiter(requests_per_minute=rpm, time_scale=scale)
        async with LLM("claude-haiku-5-5", max_tokens=1024, limiter=limiter) as llm:
            return await map_reduce(llm, lambda rows, docs: {}, concurrency=6).run(Batch(docs=DOCS))

    result = asyncio.run(go())
    log = list(sim.log)
    assert result.status == "completed" and not any(e["status"] == 429 for e in log)
    spans = result.trace.to_dataframe()
    makespan = (spans["end"].max() - spans["start"].min()) / scale
    assert (
        makespan
        >= lower_bound(log, concurrency=6, time_scale=scale, requests_per_minute=rpm) * 0.95
    )


def sim_limits(rpm):
    return sim.Limits(requests_per_minute=rpm)
