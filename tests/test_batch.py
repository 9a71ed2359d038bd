"""Tests for orchestra.batch: submit, poll with backoff in simulated time, results in input order."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from orchestra import clock
from orchestra.batch import custom_id, run_batch
from orchestra.calls import recording
from orchestra.errors import ConfigError, FatalLLMError, LoopLimitError


@dataclass
class Answer:
    """What a Reply carries that the runner reads."""

    text: str
    model: str = "claude-haiku-5-5"
    input_tokens: int = 10
    output_tokens: int = 5
    cost_usd: float = 0.001
    thinking_tokens: int = 0
    stop_reason: str = "end_turn"
    cache_write_tokens: int = 0
    cache_read_tokens: int = 100


class FakeBatches:
    """The three batch requests of an ``LLM``, answering after ``polls`` status checks."""

    model = "claude-haiku-5-5"
    time_scale = 0.0  # the polls' waits are simulated only

    def __init__(self, polls: int = 3, fail: set[int] = frozenset(), took: float = 100.0):
        self.polls, self.fail, self.took = polls, fail, took
        self.submitted: dict[str, dict] = {}
        self.checks: list[float] = []  # the simulated time of each status request
        self.created = 0

    def status(self) -> dict:
        ended = len(self.checks) > self.polls
        n = len(self.submitted)
        return {
            "id": "msgbatch_fake",
            "processing_status": "ended" if ended else "in_progress",
            "request_counts": {"processing": 0 if ended else n, "succeeded": n if ended else 0},
            "created_at": "2026-12-07T00:00:00Z",
            "ended_at": f"2026-12-07T00:{self.took // 60:02.0f}:{self.took % 60:02.0f}Z"
            if ended
            else None,
        }

    async def submit_batch(self, requests: dict[str, dict]) -> dict:
        self.created += 1
        self.submitted = dict(requests)
        self.checks.append(clock.now())
        return self.status()

    async def batch_status(self, batch_id: str) -> dict:
        assert batch_id == "msgbatch_fake"
        if not self.submitted:  # a fresh process resuming: the batch lives on the server
            self.submitted = {custom_id(i): {} for i in range(3)}
        self.checks.append(clock.now())
        return self.status()

    async def batch_results(self, batch_id: str) -> dict:
        # the API's order is not the input order: reversed here
        out = {}
        for cid in reversed(list(self.submitted)):
            i = int(cid.split("-")[1])
            out[cid] = FatalLLMError("bad request") if i in self.fail else Answer(f"answer {i}")
        return out


def bodies(n: int) -> list[dict]:
    return [
        {"model": "claude-haiku-5-5", "messages": [{"role": "user", "content": f"doc {i}"}]}
        for i in range(n)
    ]


def test_results_come_back_in_input_order_with_errors_in_their_place():
    async def go():
        api = FakeBatches(polls=2, fail={1})
        done = await run_batch(api, bodies(4), first_poll_s=60, backoff=2)
        assert [getattr(r, "text", None) for r in done.results] == [
            "answer 0",
            None,
            "answer 2",
            "answer 3",
        ]
        assert [i for i, _ in done.errors] == [1] and done.succeeded == 3
        assert done.cost_usd == pytest.approx(0.003) and done.batch_id == "msgbatch_fake"

    asyncio.run(go())


@pytest.mark.parametrize(
    "took, waited, polls",
    [(59, 60, 1), (60, 60, 1), (300, 380, 3), (1000, 1180, 7)],
)
def test_the_wait_is_the_first_scheduled_poll_after_the_batch_ended(took, waited, polls):
    async def go():
        # polls after 60, then 120 and 200 (capped) more simulated seconds each time
        seen = []
        for status_checks in (0, 3):  # ended at once (time_scale 0) or after three polls
            api = FakeBatches(polls=status_checks, took=took)
            clock.set_now(10.0)
            done = await run_batch(api, bodies(2), first_poll_s=60, backoff=2, max_poll_s=200)
            assert (done.processing_s, done.waited_s, done.polls) == (took, waited, polls)
            assert clock.now() == 10.0 + waited  # the task's clock moved on by the wait
            seen.append(len(done.statuses))
        assert seen == [1, 4] and done.statuses[-1]["processing_status"] == "ended"

    asyncio.run(go())


def test_a_batch_id_resumes_without_submitting_again(capsys):
    async def go():
        first = FakeBatches(polls=100)
        with pytest.raises(LoopLimitError, match="msgbatch_fake") as info:
            await run_batch(first, bodies(3), first_poll_s=1, max_polls=3)
        assert info.value.iterations == 3 and first.created == 1
        assert "batch_id='msgbatch_fake'" in capsys.readouterr().out  # printed at submission
        later = FakeBatches(polls=0)  # a new kernel: a new client, the batch id from the log
        done = await run_batch(later, bodies(3), batch_id="msgbatch_fake")
        assert later.created == 0 and done.succeeded == 3 and len(done.statuses) == 1

    asyncio.run(go())


def test_every_request_is_recorded_as_a_batch_call():
    async def go():
        clock.set_now(0.0)
        with recording() as calls:
            await run_batch(FakeBatches(polls=1, fail={0}, took=100), bodies(3), first_poll_s=30)
        assert [c.status for c in calls] == ["error", "ok", "ok"]
        assert all(c.batch and (c.sim_start, c.sim_end) == (0.0, 142.5) for c in calls)
        assert calls[1].cache_read_tokens == 100 and calls[1].prompt_preview.find("doc 1") >= 0

    asyncio.run(go())


def test_results_that_do_not_match_the_requests_are_refused():
    async def go():
        api = FakeBatches(polls=0)
        with pytest.raises(ConfigError, match="no result for 2 of the 5"):
            await run_batch(api, bodies(5), batch_id="msgbatch_fake")  # the batch had 3
        with pytest.raises(ConfigError, match="at least one request"):
            await run_batch(api, [])

    asyncio.run(go())


def test_a_progress_bar_counts_the_requests_done(capsys):
    async def go():
        await run_batch(FakeBatches(polls=1), bodies(2), progress="nightly")
        err = capsys.readouterr().err
        assert "nightly" in err and "2/2" in err

    asyncio.run(go())


def test_a_batch_through_the_simulator_costs_half_and_resumes_by_id(sim):
    from orchestra.llm import LLM

    prompts = [f"Summarize: order {i} arrived {i} days late." for i in range(5)]

    async def go():
        async with LLM("claude-haiku-5-5", effort="low") as llm:
            bodies = [llm.request(p) for p in prompts]
            with recording() as calls:
                done = await run_batch(llm, bodies)
            direct = [await llm.ask(p) for p in prompts[:1]]
        async with LLM("claude-haiku-5-5", effort="low") as fresh:  # after a restart
            again = await run_batch(fresh, bodies, batch_id=done.batch_id)
        return done, direct, again, calls

    done, direct, again, calls = asyncio.run(go())
    assert done.succeeded == 5 and done.processing_s > 60 and done.waited_s >= done.processing_s
    assert all(r.text for r in done.results)
    # the same request, answered the same way, at half the price
    assert done.results[0].text == direct[0].text
    assert done.results[0].cost_usd == pytest.approx(direct[0].cost_usd / 2)
    assert [r.text for r in again.results] == [r.text for r in done.results]
    assert len(calls) == 5 and all(c.batch for c in calls)


def test_a_batch_that_takes_model_time_is_polled_until_it_ends(sim):
    import time

    from orchestra.llm import LLM

    sim.configure(time_scale=0.0005)  # 1,000 model-seconds pass in half a wall second

    async def go():
        async with LLM("claude-haiku-5-5", effort="low") as llm:
            # no Messages call first: the batch endpoints' answers say the time scale too, or
            # the client would pace its polls at scale 1 (60 s to the first)
            bodies = [llm.request(f"Summarize: order {i} is late.") for i in range(3)]
            t0 = time.perf_counter()
            done = await run_batch(llm, bodies, first_poll_s=60, backoff=2, max_poll_s=600)
            return done, time.perf_counter() - t0, llm.time_scale

    done, wall, scale = asyncio.run(go())
    assert scale == 0.0005 and done.succeeded == 3
    assert len(done.statuses) > 2  # it was still in progress at the first polls
    assert [s["processing_status"] for s in done.statuses][-1] == "ended"
    assert done.processing_s <= done.waited_s and wall < 10
