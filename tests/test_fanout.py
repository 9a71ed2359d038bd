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
