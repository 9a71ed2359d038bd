"""Fault soak: 2,000 short runs with 20% injected faults of mixed kinds.

Every run must end completed or aborted with a reason; every completed step is in the
journal exactly once; after the faults stop, a resume completes each aborted run and the
final state holds each step's output exactly once. A second soak resumes each aborted run
with two concurrent resumers: one completes it, the other is refused (RunBusyError) or only
replays it, and each step's side effect happens once.
"""

import asyncio
import random
from collections import Counter

from fakes import fake_call
from pydantic import BaseModel

from orchestra.budget import Budget
from orchestra.checkpoint import MemoryStore
from orchestra.compose import map_each
from orchestra.errors import CircuitOpenError, FatalLLMError, RetryableLLMError, RunBusyError
from orchestra.policies import CircuitBreaker, Retry
from orchestra.steps import step
from orchestra.workflow import Workflow, run_sync

RUNS, FAULT_RATE = 2000, 0.20


class S(BaseModel):
    log: list[str] = []
    items: list[int] = [1, 2, 3]
    doubled: list[int | None] = []


class Faults:
    """Seeded fault injection: each call fails with probability `rate`, of a random kind."""

    def __init__(self, seed: int):
        self.rng, self.rate = random.Random(seed), FAULT_RATE
        self.kinds = Counter()

    def maybe_fail(self) -> None:
        if self.rng.random() >= self.rate:
            return
        kind = self.rng.choice(["retryable", "fatal", "timeout", "circuit"])
        self.kinds[kind] += 1
        if kind == "retryable":
            raise RetryableLLMError("529 overloaded", status=529)
        if kind == "fatal":
            raise FatalLLMError("400 bad request", status=400)
        if kind == "timeout":
            raise TimeoutError("step timed out")
        raise CircuitOpenError("circuit 'haiku' is open", name="haiku", retry_in=1.0)


def build(faults: Faults, effects: Counter | None = None, name: str = "soak") -> Workflow:
    """The soak workflow. With ``effects``, each successful execution of a step (its side
    effect) is counted, and each gives way (``sleep(0)``) before returning, so that two
    resumers of a run interleave."""
    breaker = CircuitBreaker("haiku", failure_threshold=50, reset_after=0.0)
    fast = Retry(max_attempts=3, base_delay=0.0, jitter=0.0)
    counted = effects if effects is not None else Counter()

    def appender(step_name: str, **policy):
        @step(name=step_name, writes="log", **policy)
        async def run(s: S, ctx) -> dict:
            fake_call(tokens=(40, 10), cost=0.001)
            faults.maybe_fail()
            counted[ctx.run_id, ctx.key] += 1
            await asyncio.sleep(0)
            return {"log": s.log + [step_name]}

        return run

    @step(retry=fast)
    async def double(x: int, ctx) -> int:
        faults.maybe_fail()
        counted[ctx.run_id, ctx.key] += 1
        await asyncio.sleep(0)
        return 2 * x

    return Workflow(
        name,
        state=S,
        steps=[
            appender("plan", retry=fast),
            appender("draft", retry=fast, breaker=breaker, fallback=appender("draft_cheap")),
            map_each(double, over="items", into="doubled", concurrency=2),
            appender("enrich", optional=True),
            appender("finish"),
        ],
    )


def test_soak_every_run_ends_cleanly_and_nothing_is_lost_or_doubled():
    faults = Faults(seed=1234)
    wf, store = build(faults), MemoryStore()
    statuses, resumed = Counter(), 0
    for i in range(RUNS):
        budget = Budget(max_tokens=180) if i % 10 == 0 else None  # ~10% hit a budget
        result = run_sync(wf.run(S(), store=store, run_id=f"r{i}", budget=budget))
        statuses[result.status] += 1
        assert result.status in ("completed", "aborted")
        journal = store.journal(f"r{i}")
        done = [
            s.key
            for s in result.trace.steps()
            if s.status in ("ok", "fallback", "skipped") and ">" not in s.key
        ]
        assert sorted(done) == sorted(journal)  # each completed step once, none lost
        names = result.state.log
        assert len(names) == len(set(names))
        if result.status == "aborted":
            assert result.reason and result.missing
            assert not set(result.missing) & set(journal)
            faults.rate = 0.0
            again = run_sync(wf.resume(f"r{i}", store, budget=Budget()))
            faults.rate = FAULT_RATE
            resumed += 1
            assert again.status == "completed", again.reason
            final = again.state
            assert list(store.journal(f"r{i}"))[: len(journal)] == list(journal)
        else:
            final = result.state
        assert Counter(final.log)["plan"] == 1 and Counter(final.log)["finish"] == 1
        assert sum(n.startswith("draft") for n in final.log) == 1
        assert final.log.count("enrich") <= 1
        assert final.doubled == [2, 4, 6]
    assert statuses["aborted"] > 200 and statuses["completed"] > 500
    assert min(faults.kinds.values()) > 100 and resumed == statuses["aborted"]


PAIRED_RUNS = 300


def test_soak_two_concurrent_resumers_count_each_effect_once():
    faults, effects = Faults(seed=4321), Counter()
    wf, store = build(faults, effects, "soak2"), MemoryStore()
    outcomes = Counter()

    async def two_resumers(run_id: str) -> list:
        return await asyncio.gather(
            wf.resume(run_id, store, budget=Budget()),
            wf.resume(run_id, store, budget=Budget()),
            return_exceptions=True,
        )

    for i in range(PAIRED_RUNS):
        run_id = f"p{i}"
        budget = Budget(max_tokens=180) if i % 10 == 0 else None
        result = run_sync(wf.run(S(), store=store, run_id=run_id, budget=budget))
        if result.status == "aborted":
            faults.rate = 0.0
            pair = run_sync(two_resumers(run_id))
            faults.rate = FAULT_RATE
            done = [r for r in pair if not isinstance(r, BaseException)]
            assert done and all(r.status == "completed" for r in done), pair
            for other in pair:
                if isinstance(other, BaseException):
                    assert isinstance(other, RunBusyError), pair
                    outcomes["busy"] += 1
                elif other is not done[0]:  # it began after the first had finished
                    assert all(s.status == "replayed" for s in other.trace.steps()), pair
                    outcomes["replayed"] += 1
            final = done[0].state
        else:
            final = result.state
        journal = store.journal(run_id)
        assert store.load(run_id).status == "completed"
        for key, entry in journal.items():  # every committed step's effect happened once
            assert effects[run_id, key] == (entry["status"] != "skipped"), (run_id, key)
        assert sum(n for (r, _), n in effects.items() if r == run_id) == sum(
            e["status"] != "skipped" for e in journal.values()
        )
        assert Counter(final.log)["plan"] == 1 and Counter(final.log)["finish"] == 1
        assert final.doubled == [2, 4, 6]
    assert outcomes["busy"] > 20  # the resumers did compete
