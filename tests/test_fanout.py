"""Tests for orchestra.fanout: Slots (a semaphore with a fast lane) and bounded fan_out."""

import asyncio

import pytest

import orchestra.fanout
from orchestra.fanout import Slots, fan_out

pytestmark = pytest.mark.anyio


def test_slots_let_a_retry_jump_the_queue():
    from orchestra.fanout import Slots

    async def go():
        slots, order = Slots(1), []

        async def take(name, first=False, hold=0.01):
            await slots.acquire(first)
            order.append(name)
            await asyncio.sleep(hold)
            slots.release()

        await slots.acquire()  # the slot is busy
        waiting = [asyncio.create_task(take(n)) for n in ("new-1", "new-2")]
        await asyncio.sleep(0)
        retry = asyncio.create_task(take("retry", first=True))
        await asyncio.sleep(0)
        slots.release()
        await asyncio.gather(*waiting, retry)
        return order, slots.free

    order, free = asyncio.run(go())
    assert order == ["retry", "new-1", "new-2"] and free == 1


def test_a_cancelled_waiter_does_not_leak_a_slot():
    from orchestra.fanout import Slots

    async def go():
        slots = Slots(1)
        await slots.acquire()
        waiter = asyncio.create_task(slots.acquire())
        await asyncio.sleep(0)
        waiter.cancel()
        slots.release()
        await asyncio.gather(waiter, return_exceptions=True)
        return slots.free

    assert asyncio.run(go()) == 1


def test_policies_re_exports_slots():
    from orchestra.policies import Slots as from_policies

    assert from_policies is Slots


async def test_fan_out_keeps_input_order_when_later_items_finish_first():
    finished = []

    async def work(i: int, item: str) -> str:
        await asyncio.sleep(0.01 * (4 - i))  # the last item is the fastest
        finished.append(i)
        return item.upper()

    outs = await fan_out(work, ["a", "b", "c", "d", "e"], limit=Slots(5))
    assert finished == [4, 3, 2, 1, 0]
    assert outs == ["A", "B", "C", "D", "E"]


async def test_fan_out_never_runs_more_than_the_limit():
    running, peak = 0, 0

    async def work(i: int, item: int) -> int:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.005 * (i % 3))
        running -= 1
        return item

    slots = Slots(3)
    outs = await fan_out(work, list(range(12)), limit=slots)
    assert outs == list(range(12))
    assert peak == 3  # the limit is reached and never passed
    assert slots.free == 3  # every slot given back


async def test_fan_out_returns_exceptions_in_place():
    async def work(i: int, item: int) -> int:
        if item % 2:
            raise ValueError(f"odd {item}")
        return item * 10

    outs = await fan_out(work, [0, 1, 2, 3], limit=Slots(2))
    assert outs[0] == 0 and outs[2] == 20
    assert isinstance(outs[1], ValueError) and str(outs[1]) == "odd 1"
    assert isinstance(outs[3], ValueError) and str(outs[3]) == "odd 3"


class FakeBar:
    """Stands in for tqdm: records what fan_out asks of its progress bar."""

    def __init__(self, total: int, desc: str):
        self.total, self.desc, self.updates, self.closed = total, desc, 0, False

    def update(self) -> None:
        assert not self.closed, "update after close"
        self.updates += 1

    def close(self) -> None:
        self.closed = True


async def test_fan_out_ticks_and_closes_its_progress_bar(monkeypatch):
    bars = []
    monkeypatch.setattr(
        orchestra.fanout, "_bar", lambda total, desc: bars.append(FakeBar(total, desc)) or bars[-1]
    )

    async def work(i: int, item: int) -> int:
        if item == 2:
            raise RuntimeError("a failed item still counts")
        return item

    await fan_out(work, [0, 1, 2], limit=Slots(2), progress="x")
    [bar] = bars
    assert (bar.total, bar.desc, bar.updates, bar.closed) == (3, "x", 3, True)

    await fan_out(work, [0, 1], limit=Slots(2))  # no progress asked: no bar
    assert len(bars) == 1


async def test_fan_out_closes_a_real_tqdm_bar(monkeypatch):
    made, real = [], orchestra.fanout._bar
    monkeypatch.setattr(
        orchestra.fanout, "_bar", lambda total, desc: made.append(real(total, desc)) or made[-1]
    )

    async def work(i: int, item: int) -> int:
        return item

    await fan_out(work, [1, 2, 3], limit=Slots(2), progress="x")
    [bar] = made
    assert (bar.n, bar.total, bar.desc) == (3, 3, "x")
    assert bar.disable is True  # tqdm.close() disables the bar: it was closed


# -- paced: chains of calls on slots under a rate limit (chapter 11) -------------------------


def test_paced_without_a_limit_is_a_list_schedule_of_whole_chains():
    from orchestra.clock import schedule
    from orchestra.fanout import paced

    chains = [[1.0, 2.0], [0.5], [2.0, 0.5, 0.5], [1.0], [0.25, 0.25]]
    spans = paced(chains, slots=2)
    starts = schedule([sum(c) for c in chains], slots=2)  # a chain holds its slot throughout
    assert [s for s, _ in spans] == starts
    assert [e for _, e in spans] == [s + sum(c) for s, c in zip(starts, chains, strict=True)]


def test_paced_hands_out_the_burst_then_one_call_per_60_over_r_seconds():
    from orchestra.fanout import paced

    # 7 instant calls, plenty of slots, 3 a minute: 3 at once, then one every 20 s
    ends = [e for _, e in paced([[0.0]] * 7, slots=10, requests_per_minute=3)]
    assert ends == pytest.approx([0, 0, 0, 20, 40, 60, 80])
    # the second calls of two chains wait for tokens the first calls did not use up
    assert paced([[1.0, 2.0], [1.0, 2.0]], slots=2, requests_per_minute=2) == [
        (0.0, 32.0),
        (0.0, 62.0),
    ]


def test_paced_never_beats_the_three_lower_bounds_and_meets_them_when_one_dominates():
    import random

    from orchestra.fanout import paced

    rng = random.Random(7)
    for _ in range(200):
        chains = [
            [rng.uniform(0.1, 2.0) for _ in range(rng.randint(1, 3))]
            for _ in range(rng.randint(1, 30))
        ]
        slots, rpm = rng.randint(1, 12), rng.choice([None, 5, 20, 60])
        makespan = max(e for _, e in paced(chains, slots, rpm))
        calls = sum(map(len, chains))
        bounds = [
            sum(map(sum, chains)) / slots,
            max(map(sum, chains)),
            max(0, calls - rpm) * 60 / rpm if rpm else 0.0,
        ]
        assert makespan >= max(bounds) - 1e-9
    # one slot, no limit: the sum; a slot each: the longest chain
    chains = [[1.0, 1.0], [3.0], [0.5]]
    assert max(e for _, e in paced(chains, 1)) == 5.5
    assert max(e for _, e in paced(chains, 3)) == 3.0


def test_paced_refuses_bad_input():
    from orchestra.errors import ConfigError
    from orchestra.fanout import paced

    with pytest.raises(ConfigError):
        paced([[1.0]], slots=0)
    with pytest.raises(ConfigError):
        paced([[1.0]], slots=1, requests_per_minute=0)
    assert paced([], slots=3, requests_per_minute=5) == []


def test_staged_lays_out_per_stage_pools_and_holds_a_worker_when_the_buffer_is_full():
    from orchestra.fanout import staged

    fast_then_slow = [[1.0, 3.0]] * 3
    unbounded = staged(fast_then_slow, pools=[1, 1])
    handoff = staged(fast_then_slow, pools=[1, 1], buffer=0)
    one = staged(fast_then_slow, pools=[1, 1], buffer=1)
    # no buffer limit: stage 1 never waits, its items queue up for stage 2
    assert [row[0] for row in unbounded] == [(0.0, 1.0, 1.0), (1.0, 2.0, 2.0), (2.0, 3.0, 3.0)]
    # a hand-off: the worker holds item 2 until stage 2 takes it at 4, so item 3 starts at 4
    assert handoff[1][0] == (1.0, 2.0, 4.0) and handoff[2][0] == (4.0, 5.0, 7.0)
    # a buffer of one: item 2 waits in it, item 3 is held until item 2 moves on at 4
    assert one[1][0] == (1.0, 2.0, 2.0) and one[2][0] == (2.0, 3.0, 4.0)
    # backpressure slows stage 1, never stage 2: the makespan is the same for all three
    assert {max(r[-1][1] for r in x) for x in (unbounded, handoff, one)} == {10.0}
    # a pool per stage: two workers on stage 2 halve its queue
    wide = staged(fast_then_slow, pools=[1, 2])
    assert max(r[-1][1] for r in wide) == 7.0


def test_staged_matches_a_list_schedule_for_one_stage_and_refuses_bad_input():
    from orchestra.clock import schedule
    from orchestra.fanout import staged

    d = [3.0, 1.0, 1.0, 2.0, 0.5]
    assert [r[0][0] for r in staged([[x] for x in d], pools=[2])] == schedule(d, 2)
    for bad in (dict(pools=[0]), dict(pools=[1], buffer=-1), dict(pools=[1, 1])):
        with pytest.raises(orchestra.errors.ConfigError):
            staged([[1.0]], **bad)


@pytest.mark.parametrize("buffer", [None, 0, 1])
def test_stages_runs_every_item_through_every_stage_and_bounds_what_waits(buffer):
    from orchestra import clock
    from orchestra.fanout import stages

    pending = {"now": 0, "most": 0}  # items done with stage one, not yet in stage two

    async def one(x):
        clock.advance(1.0)
        await asyncio.sleep(0)
        pending["now"] += 1
        pending["most"] = max(pending["most"], pending["now"])
        return x + 1

    async def two(x):
        pending["now"] -= 1
        clock.advance(3.0)
        await asyncio.sleep(0.002)  # slower than stage one: work piles up before it
        if x == 4:
            raise ValueError("four")
        return x * 10

    items = list(range(8))
    outs, took = asyncio.run(stages(items, [one, two], pools=[2, 1], buffer=buffer))
    assert outs[:3] == [10, 20, 30] and isinstance(outs[3], ValueError) and outs[7] == 80
    assert all(t == [1.0, 3.0] for t in took)  # each stage's simulated seconds, per item
    if buffer is None:
        assert pending["most"] > 3  # unbounded: stage one runs ahead
    else:  # at most the buffer's places plus one held item per stage-one worker
        assert pending["most"] <= buffer + 2
