"""A client-side rate limiter shared by every call that holds it (chapter 02).

Fan out 50 calls against a model limited to 50 requests a minute and some will get 429s:
the server meters a whole minute, the fan-out spends it in a second. Holding one limiter
that mirrors the server's buckets makes calls wait *before* sending instead of failing:

    >>> limiter = RateLimiter(requests_per_minute=50, input_tokens_per_minute=40_000, time_scale=0.01)
    >>> llm = LLM("claude-haiku-4-5", limiter=limiter)   # every ask() acquires first

Minutes are model-minutes, as in the simulator: ``time_scale=0.01`` makes one last 0.6 s.
"""

from __future__ import annotations

import asyncio
import time

from orchestra.errors import ConfigError


class RateLimiter:
    """Token buckets for requests and input tokens per minute; ``acquire`` waits until a call fits."""

    def __init__(self, requests_per_minute: int | None = None,
                 input_tokens_per_minute: int | None = None, *, time_scale: float = 1.0):
        if time_scale <= 0:
            raise ConfigError("RateLimiter needs time_scale > 0 (wall seconds per model second)")
        self.minute_s = 60.0 * time_scale
        self.caps = {"requests": requests_per_minute, "input_tokens": input_tokens_per_minute}
        self.levels = {k: float(c) for k, c in self.caps.items() if c}
        self.stamp = time.monotonic()
        self.waited_s = 0.0  # total time calls spent waiting here, for charts
        self._lock = asyncio.Lock()

    async def acquire(self, tokens: int = 0) -> None:
        """Wait until one request with ``tokens`` input tokens fits, then take it (first come, first served)."""
        need = {"requests": 1, "input_tokens": tokens}
        for k, level in self.levels.items():
            if need[k] > self.caps[k]:
                raise ConfigError(f"one call needs {need[k]} {k} but the limit is {self.caps[k]} "
                                  f"per minute: raise the limit or split the call")
        async with self._lock:  # the lock queues waiters in arrival order
            while True:
                self._refill()
                wait = max(((need[k] - lvl) * self.minute_s / self.caps[k]
                            for k, lvl in self.levels.items()), default=0.0)
                if wait <= 0:
                    break
                self.waited_s += wait
                await asyncio.sleep(wait)
            for k in self.levels:
                self.levels[k] -= need[k]

    def _refill(self) -> None:
        now = time.monotonic()
        for k in self.levels:
            self.levels[k] = min(self.caps[k], self.levels[k] + (now - self.stamp) * self.caps[k] / self.minute_s)
        self.stamp = now
