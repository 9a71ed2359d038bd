"""Map-reduce under limits: how close orchestra's fan-out gets to the best possible (chapter 02).

200 simulator calls fanned out with ``map_each`` under a concurrency limit, against a model
limited in requests per minute, paced by one shared ``RateLimiter``. For each scenario we print
the makespan next to a lower bound computed from the limits and the latencies the simulator
actually charged (its request log), and their ratio. Target: at most 1.05, also when 10% of
calls get a 429 (which the SDK retries after ``retry-after``).

Lower bound, in wall-clock seconds (model-seconds × time_scale):

- concurrency: no schedule beats (sum of latencies) / concurrency (a call waiting out a
  ``retry-after`` holds no slot);
- rate: with a bucket of R requests refilled at R per minute, the N-th call cannot be
  admitted before (N - R) / R minutes, and then takes at least the shortest latency;
- one call: nothing ends before the longest call; a call refused k times also waits its
  k ``retry-after``s (we take the longest single wait plus the longest call).

Run: ``.venv/bin/python bench/mapreduce.py``.
"""

from __future__ import annotations

import asyncio
import time

import anthropic
from pydantic import BaseModel

from orchestra import LLM, RateLimiter, Retry, Workflow, map_each, sim, step

N, CONCURRENCY = 200, 16
# (label, requests per model-minute, time_scale): time_scale is chosen so that the simulated
# latencies, not this process's CPU (client and simulator share one interpreter), set the pace.
SCENARIOS = [("concurrency-bound", 100_000, 0.5), ("rate-bound", 120, 0.05)]


class Batch(BaseModel):
    docs: list[str]
    labels: list[str | None] = []


def docs() -> list[str]:
    kinds = ["invoice was charged twice", "app crashes on login", "change my account email"]
    return [
        f"Classify into one of: billing, technical, account.\nTicket: #{i} {kinds[i % 3]}"
        for i in range(N)
    ]


async def scenario(s: sim.Simulator, rpm: int, scale: float, fault_rate: float) -> dict:
    s.configure(
        time_scale=scale,
        limits=sim.Limits(requests_per_minute=rpm),
        faults=sim.Faults(rate_limit=fault_rate),
    )
    limiter = RateLimiter(requests_per_minute=rpm, time_scale=scale)
    # Retries are the engine's (honouring retry-after, handing the slot back while waiting),
    # not the SDK's, which would sleep while holding a concurrency slot.
    # The SDK's aiohttp transport costs less CPU per call than httpx: client and simulator
    # share this process, and the bound assumes calls cost nothing but their latency.
    async with LLM(
        "claude-haiku-5-5",
        max_tokens=20,
        max_retries=0,
        limiter=limiter,
        http_client=anthropic.DefaultAioHttpClient(),
    ) as llm:

        @step(retry=Retry(max_attempts=6, base_delay=0.05))
        async def classify(doc: str) -> str:
            return (await llm.ask(doc)).text

        wf = Workflow(
            "classify-all",
            state=Batch,
            steps=[map_each(classify, over="docs", into="labels", concurrency=CONCURRENCY)],
        )
        t0 = time.time()
        result = await wf.run(Batch(docs=docs()))
        makespan = time.time() - t0
    assert result.status == "completed", result.reason
    log = [e for e in s.log if e["t"] >= t0]
    ok = [e["model_s"] * scale for e in log if e["status"] == 200]
    waits = [e["retry_after_s"] or 0.0 for e in log if e["status"] != 200]
    minute = 60 * scale
    bound = max(
        sum(ok) / CONCURRENCY,
        max(0, N - rpm) / rpm * minute + min(ok),
        max(ok) + max(waits, default=0.0),
    )
    return {
        "rpm": rpm,
        "faults": f"{fault_rate:.0%} 429",
        "makespan_s": makespan,
        "bound_s": bound,
        "ratio": makespan / bound,
        "429s": sum(e["status"] == 429 for e in log),
        "limited_429s": sum(e.get("fault") == "rate_limited" for e in log),
    }


async def main() -> None:
    print(f"{N} calls to claude-haiku-5-5, concurrency {CONCURRENCY}; times are wall-clock\n")
    print(
        f"{'scenario':<19}{'rpm':>7}{'scale':>7}{'faults':>9}{'makespan':>10}{'bound':>9}"
        f"{'ratio':>7}{'429s':>6}{'rate-limited':>14}"
    )
    with sim.Simulator(seed=0) as s:
        for label, rpm, scale in SCENARIOS:
            for fault_rate in (0.0, 0.1):
                r = await scenario(s, rpm, scale, fault_rate)
                print(
                    f"{label:<19}{rpm:>7}{scale:>7}{r['faults']:>9}{r['makespan_s']:>9.3f}s"
                    f"{r['bound_s']:>8.3f}s{r['ratio']:>7.3f}{r['429s']:>6}{r['limited_429s']:>14}"
                )


if __name__ == "__main__":
    asyncio.run(main())
