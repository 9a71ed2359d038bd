"""Bounded fan-out: many awaitables, at most N at once, results in input order (chapter 02).

``map_each`` runs one step per item this way, and ``Workflow.run_many`` one run per input.
``Slots`` is the limit: a semaphore with a fast lane, so a call that gives its slot back while
it waits out a retry's backoff takes the next free one before any new work does.

    >>> outs = await fan_out(summarize, docs, limit=Slots(8), progress="summaries")

``paced`` lays out, in simulated time, requests that are each a chain of calls (a pipeline's steps, one
after another on the request's slot) under a provider's rate limit: every call also waits for
a token of a bucket of ``requests_per_minute`` (full at the start, refilled at that rate), handed
out first come, first served, as a shared ``RateLimiter`` does (chapter 11).

    >>> paced([[1.0, 2.0], [1.0, 2.0]], slots=2, requests_per_minute=2)
    [(0.0, 32.0), (0.0, 62.0)]

``stages`` runs items through stages that each have **their own pool** (a stage on a slow or
rate-limited model gets fewer lanes than a cheap one) with a **bounded buffer** between
stages: when the next stage falls behind and the buffer is full, a worker that finished an
item holds it, and its stage takes no new item until there is room (backpressure), instead
of piling up work in memory. ``staged`` lays the same rule out in simulated time.

    >>> outs, seconds = await stages(docs, [extract, summarise], pools=[2, 6], buffer=2)
    >>> staged([[1.0, 1.0], [1.0, 1.0]], pools=[1, 1], buffer=0)
    [[(0.0, 1.0, 1.0), (1.0, 2.0, 2.0)], [(1.0, 2.0, 2.0), (2.0, 3.0, 3.0)]]
"""

from __future__ import annotations

import asyncio
import heapq
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from itertools import count
from typing import Any, TypeVar

from orchestra import clock
from orchestra.errors import ConfigError, hide_from_learners

__all__ = ["Slots", "fan_out", "paced", "stages", "staged"]

T = TypeVar("T")


class Slots:
    """A concurrency limit where a retry goes before new work (a semaphore with a fast lane).

    A fan-out of 200 calls through 16 slots queues 184; a call that got a 429 gives its slot
    back while it waits out ``retry-after``. If it then queued behind the other 184, the
    retried calls would all finish last, one after another. ``acquire(first=True)`` puts it
    at the head of the queue instead.

        >>> slots = Slots(16)
        >>> async with slots: ...
    """

    def __init__(self, n: int):
        self.free = n
        self._waiters: deque[asyncio.Future] = deque()

    async def acquire(self, first: bool = False) -> None:
        """Take a slot, waiting in line (at its head if ``first``)."""
        if self.free > 0 and not self._waiters:
            self.free -= 1
            return
        waiter = asyncio.get_running_loop().create_future()
        (self._waiters.appendleft if first else self._waiters.append)(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # we were handed a slot as we were cancelled: pass it on
            elif waiter in self._waiters:
                self._waiters.remove(waiter)
            raise

    def release(self) -> None:
        """Hand the slot to the next waiter, or free it."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self.free += 1

    async def __aenter__(self) -> Slots:
        await self.acquire()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.release()


async def fan_out(
    fn: Callable[[int, Any], Awaitable[T]],
    items: Sequence[Any],
    *,
    limit: Slots,
    progress: str | None = None,
) -> list[T | BaseException]:
    """Await ``fn(i, item)`` for every item, holding one of ``limit``'s slots each.

    Returns results in input order; an item that raised gives its exception in its place
    (the caller decides what a failure means). ``progress`` names a tqdm bar (a widget in
    Jupyter), closed at the end so the committed notebook shows it finished.
    """
    # out of a learner's traceback in IPython, kept in pytest's (errors.hide_from_learners)
    __tracebackhide__ = hide_from_learners
    bar = _bar(len(items), progress) if progress else None

    async def one(i: int, item: Any) -> T:
        __tracebackhide__ = hide_from_learners
        async with limit:
            try:
                return await fn(i, item)
            finally:
                if bar is not None:
                    bar.update()

    try:
        return await asyncio.gather(
            *(one(i, x) for i, x in enumerate(items)), return_exceptions=True
        )
    finally:
        if bar is not None:
            bar.close()


def _bar(total: int, desc: str) -> Any:
    from tqdm.auto import tqdm  # imported when asked for: tqdm pulls in ipywidgets in Jupyter

    return tqdm(total=total, desc=desc, unit="item")


def paced(
    chains: Sequence[Sequence[float]], slots: int, requests_per_minute: float | None = None
) -> list[tuple[float, float]]:
    """When each request starts (takes a slot) and ends, in simulated seconds.

    Requests take the first free of ``slots`` in input order and hold it for their chain of
    calls, one after another; each call first waits for a token of the rate limit's bucket
    (``requests_per_minute`` None: no limit). The makespan is the largest end.

    A discrete-event layout: calls ask for a token in the order they become ready, so the
    result depends only on the durations, never on which call the machine happened to send first.

        >>> paced([[1.0], [1.0], [1.0]], slots=2)
        [(0.0, 1.0), (0.0, 1.0), (1.0, 2.0)]
    """
    if slots < 1 or (requests_per_minute is not None and requests_per_minute <= 0):
        raise ConfigError("paced needs slots >= 1 and requests_per_minute > 0 (or None)")
    rate = requests_per_minute / 60 if requests_per_minute else None
    level, stamp = float(requests_per_minute or 0), 0.0  # the bucket: full at time 0
    spans: list[list[float]] = [[0.0, 0.0] for _ in chains]
    ready: list[tuple[float, int, int]] = []  # (time the call is ready, request, call index)
    waiting = list(range(len(chains)))[::-1]  # requests not started yet, next one last
    for _ in range(min(slots, len(chains))):
        ready.append((0.0, waiting.pop(), 0))
    heapq.heapify(ready)
    while ready:  # bounded: each pass sends one call or ends one chain, finitely many of each
        t, i, k = heapq.heappop(ready)
        if k == 0:
            spans[i][0] = t
        if k < len(chains[i]):
            if rate is not None:  # wait for a token; the bucket serves in order of readiness
                t = max(t, stamp)
                level = min(requests_per_minute, level + (t - stamp) * rate)
                if level < 1:
                    t += (1 - level) / rate
                    level = 1.0
                level, stamp = level - 1, t
            heapq.heappush(ready, (t + chains[i][k], i, k + 1))
            continue
        spans[i][1] = t  # the chain is done: its slot goes to the next request waiting
        if waiting:
            heapq.heappush(ready, (t, waiting.pop(), 0))
    return [(s, e) for s, e in spans]


async def stages(
    items: Sequence[Any],
    fns: Sequence[Callable[[Any], Awaitable[Any]]],
    *,
    pools: Sequence[int],
    buffer: int | None = None,
) -> tuple[list[Any], list[list[float]]]:
    """Each item through ``fns`` in turn, stage ``s`` on ``pools[s]`` workers of its own.

    Between two stages sits a queue of ``buffer`` places (None: unbounded); a worker whose item
    finds it full waits with the item, so its stage slows to the pace of the next one. Returns
    the results in input order (an item that raised gives its exception, and skips the later
    stages) and each item's simulated seconds per stage, for ``staged`` to lay out.
    """
    __tracebackhide__ = hide_from_learners
    if len(pools) != len(fns) or not fns or min(pools) < 1 or (buffer is not None and buffer < 0):
        raise ConfigError("stages needs one pool >= 1 per stage, and buffer >= 0 (or None)")
    n, last = len(items), len(fns) - 1
    outs: list[Any] = list(items)
    took: list[list[float]] = [[0.0] * len(fns) for _ in items]
    # asyncio.Queue(0) is unbounded; a buffer of 0 is a hand-off: the worker waits until taken
    queues = [asyncio.Queue() for _ in fns]
    if buffer:
        queues[1:] = [asyncio.Queue(buffer) for _ in fns[1:]]
    taken = [asyncio.Event() for _ in items]
    for i in range(n):
        queues[0].put_nowait(i)
    done = [0] * len(fns)  # items each stage has finished, to know when to stop its workers

    async def run(s: int, i: int) -> None:
        try:
            outs[i], took[i][s] = await clock.forked(lambda: fns[s](outs[i]), 0.0)
        except Exception as exc:  # the item's failure, not the pipeline's
            outs[i], took[i][s] = exc, clock.now()  # forked started the clock at 0

    async def worker(s: int) -> None:
        while True:
            i = await queues[s].get()
            if i is None:
                return
            taken[i].set()
            if not isinstance(outs[i], BaseException):
                await run(s, i)
            if s < last:
                taken[i].clear()
                await queues[s + 1].put(i)  # waits while the buffer is full: backpressure
                if buffer == 0:
                    await taken[i].wait()
            done[s] += 1
            if done[s] == n:  # this stage is through: stop its workers
                for _ in range(pools[s]):
                    await queues[s].put(None)  # one each; a full queue drains as they leave

    await asyncio.gather(*(worker(s) for s, k in enumerate(pools) for _ in range(k)))
    return outs, took


def staged(
    seconds: Sequence[Sequence[float]], pools: Sequence[int], buffer: int | None = None
) -> list[list[tuple[float, float, float]]]:
    """When each item's stages start, end, and free their worker, in simulated seconds.

    ``seconds[i][s]`` is item ``i``'s time in stage ``s``, which has ``pools[s]`` workers;
    items enter stage 0 in input order, and each stage takes them first come, first served.
    Between stages a buffer holds ``buffer`` items (None: unbounded). A worker frees when its
    item moves on (to a free worker of the next stage, or into the buffer); until then it is
    blocked, so ``freed - end`` is the backpressure an item's stage felt.

        >>> staged([[1.0, 3.0], [1.0, 3.0], [1.0, 3.0]], pools=[1, 1], buffer=0)[2][0]
        (4.0, 5.0, 7.0)
    """
    width = len(pools)
    if min(pools, default=0) < 1 or (buffer is not None and buffer < 0):
        raise ConfigError("staged needs pools >= 1 and buffer >= 0 (or None)")
    if any(len(row) != width for row in seconds):
        raise ConfigError(f"staged needs {width} durations per item, one per pool")
    out = [[[0.0, 0.0, 0.0] for _ in pools] for _ in seconds]
    idle = list(pools)
    waiting: list[deque[int]] = [deque(range(len(seconds)))] + [deque() for _ in pools[1:]]
    held: list[set[int]] = [set() for _ in pools]  # items waiting with their worker still held
    events: list[tuple[float, int, int, int]] = []  # (time, -stage, tie-break, item)
    tick = count()

    def release(s: int, i: int, t: float) -> None:
        out[i][s][2] = t
        idle[s] += 1
        start(s, t)

    def start(s: int, t: float) -> None:  # hand waiting items to idle workers, first come first
        while idle[s] and waiting[s]:
            i = waiting[s].popleft()
            idle[s] -= 1
            out[i][s][0] = t
            heapq.heappush(events, (t + seconds[i][s], -s, next(tick), i))
            if s and i in held[s]:  # it was held upstream: its worker is free now
                held[s].discard(i)
                release(s - 1, i, t)
            if s and buffer is not None and len(waiting[s]) >= buffer:
                j = waiting[s][buffer - 1] if buffer else None
                if j is not None and j in held[s]:  # it moves up into the buffer
                    held[s].discard(j)
                    release(s - 1, j, t)

    start(0, 0.0)
    while events:  # bounded: each item ends each stage once
        t, minus, _, i = heapq.heappop(events)
        s = -minus
        out[i][s][1] = t
        if s == width - 1:
            release(s, i, t)
            continue
        waiting[s + 1].append(i)
        held[s + 1].add(i)
        start(s + 1, t)
        if i in held[s + 1] and (buffer is None or waiting[s + 1].index(i) < buffer):
            held[s + 1].discard(i)  # it went into the buffer: the worker moves on
            release(s, i, t)
    return [[(a, b, c) for a, b, c in row] for row in out]
