"""A client-side rate limiter shared by every call that holds it (chapter 02).

Fan out 50 calls against a model limited to 50 requests a minute and some will get 429s:
the server meters a whole minute, the fan-out spends it in a second. Holding one limiter
that mirrors the server's buckets makes calls wait *before* sending instead of failing:

    >>> limiter = RateLimiter(requests_per_minute=50, input_tokens_per_minute=40_000, time_scale=0.01)
    >>> llm = LLM("claude-haiku-5-5", limiter=limiter)   # every ask() holds a slot

Minutes are model-minutes, as in the simulator: ``time_scale=0.01`` makes one last 0.6 s.

One subtlety makes it exact rather than approximate: the server meters a call when it
*arrives*, and we only know it has arrived once its answer is back. So while calls are in
flight the limiter's clock is the time of the last answer, not the wall clock, and a full
bucket starts refilling only from the first answer after it was dipped into. Pacing by send
time instead lets a burst that arrives late (new connections take tens of milliseconds)
look early to the server, and earn 429s.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from orchestra.errors import ConfigError


class RateLimiter:
    """Token buckets for requests and input tokens per minute; ``slot`` waits until a call fits."""

    def __init__(
        self,
        requests_per_minute: int | None = None,
        input_tokens_per_minute: int | None = None,
        *,
        time_scale: float = 1.0,
    ):
        if time_scale <= 0:
            raise ConfigError("RateLimiter needs time_scale > 0 (wall seconds per model second)")
        self.minute_s = 60.0 * time_scale
        self.caps = {"requests": requests_per_minute, "input_tokens": input_tokens_per_minute}
        self.levels = {k: float(c) for k, c in self.caps.items() if c}
        self.stamp: float | None = time.monotonic()  # None: full when last dipped into
        self.dipped = self.heard = 0.0  # when the bucket was dipped into; when an answer came
        self.in_flight = 0
        self.waited_s = 0.0  # total time calls spent waiting here, for charts
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def slot(self, tokens: int = 0) -> AsyncIterator[None]:
        """Hold a slot for one call with ``tokens`` input tokens: ``async with limiter.slot(n):``."""
        await self._acquire(tokens)
        try:
            yield
        except BaseException as exc:
            if getattr(exc, "status", None) is not None:
                self._give_back(tokens)  # the server answered with an error: it metered nothing
            raise
        finally:
            self.in_flight -= 1
            self.heard = time.monotonic()

    async def _acquire(self, tokens: int = 0) -> None:
        """Wait until the call fits, then take it (first come, first served); ``slot`` releases it."""
        need = {"requests": 1, "input_tokens": tokens}
        for k in self.levels:
            if need[k] > self.caps[k]:
                raise ConfigError(
                    f"one call needs {need[k]} {k} but the limit is {self.caps[k]} "
                    f"per minute: raise the limit or split the call"
                )
        async with self._lock:  # the lock queues waiters in arrival order
            started = time.monotonic()
            while True:  # bounded: each pass sleeps until the deficit refills or an answer comes
                self._refill()
                wait = max(
                    (
                        (need[k] - lvl) * self.minute_s / self.caps[k]
                        for k, lvl in self.levels.items()
                    ),
                    default=0.0,
                )
                if wait <= 0:
                    break
                await asyncio.sleep(max(wait, 0.001))
            self.waited_s += time.monotonic() - started
            if all(self.levels[k] >= self.caps[k] for k in self.levels):
                self.stamp, self.dipped = None, time.monotonic()
            for k in self.levels:
                self.levels[k] -= need[k]
            self.in_flight += 1

    def _give_back(self, tokens: int) -> None:
        need = {"requests": 1, "input_tokens": tokens}
        for k in self.levels:
            self.levels[k] = min(self.caps[k], self.levels[k] + need[k])

    def _refill(self) -> None:
        now = time.monotonic() if self.in_flight == 0 else self.heard
        if self.stamp is None:
            if self.heard < self.dipped:
                return  # nothing has come back since the full bucket was dipped into
            self.stamp = self.heard
        if now > self.stamp:
            for k in self.levels:
                self.levels[k] = min(
                    self.caps[k], self.levels[k] + (now - self.stamp) * self.caps[k] / self.minute_s
                )
            self.stamp = now
