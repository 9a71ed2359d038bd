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
"""

from __future__ import annotations

import asyncio
import heapq
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from orchestra.errors import ConfigError, hide_from_learners

__all__ = ["Slots", "fan_out", "paced"]

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
