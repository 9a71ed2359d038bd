"""Per-key rate limits for the simulator, enforced as Anthropic does (chapters 00 and 02).

Anthropic meters requests, input tokens and output tokens per minute with token buckets that
refill continuously; output tokens are reserved from ``max_tokens`` when a call starts and the
unused part is handed back when it ends. A call that does not fit gets a 429 with
``retry-after`` and the ``anthropic-ratelimit-*`` headers telling when it would.

Minutes are model-minutes: with ``time_scale=0.01`` a minute passes in 0.6 wall-clock seconds,
so a chapter can show rate limiting in seconds.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class Limits:
    """Per-minute ceilings for one API key; None means unlimited."""

    requests_per_minute: int | None = None
    input_tokens_per_minute: int | None = None
    output_tokens_per_minute: int | None = None


class Bucket:
    """A token bucket holding at most ``capacity``, refilled at ``capacity`` per minute."""

    def __init__(self, capacity: int, minute_s: float):
        self.capacity, self.level, self.minute_s = capacity, float(capacity), minute_s
        self.stamp = time.monotonic()

    def refill(self, now: float) -> None:
        self.level = min(
            self.capacity, self.level + (now - self.stamp) * self.capacity / self.minute_s
        )
        self.stamp = now

    def wait_for(self, amount: float) -> float:
        """Wall-clock seconds until ``amount`` fits (0 if it fits now)."""
        missing = amount - self.level
        return 0.0 if missing <= 0 else missing * self.minute_s / self.capacity


class KeyLimiter:
    """The buckets of one API key.

    A call that would fit within ``GRACE_S`` wall-clock seconds is let through (the bucket dips
    slightly below zero): ``time_scale`` shrinks model time but not the jitter of loopback
    latency, and a meter stricter than that would punish a client that paces itself exactly.
    """

    GRACE_S = 0.005

    NAMES = ("requests", "input-tokens", "output-tokens")

    def __init__(self, limits: Limits, minute_s: float):
        caps = (
            limits.requests_per_minute,
            limits.input_tokens_per_minute,
            limits.output_tokens_per_minute,
        )
        self.buckets = {n: Bucket(c, minute_s) for n, c in zip(self.NAMES, caps, strict=False) if c}

    def admit(self, input_tokens: int, max_tokens: int) -> float:
        """Take what the call needs and return 0, or take nothing and return the seconds to wait."""
        now = time.monotonic()
        need = {"requests": 1, "input-tokens": input_tokens, "output-tokens": max_tokens}
        waits = []
        for name, bucket in self.buckets.items():
            bucket.refill(now)
            if need[name] > bucket.capacity:  # can never fit: wait a full minute, as the API does
                waits.append(bucket.minute_s)
            waits.append(bucket.wait_for(need[name]))
        wait = max(waits, default=0.0)
        if wait <= self.GRACE_S:
            wait = 0.0
            for name, bucket in self.buckets.items():
                bucket.level -= need[name]
        return wait

    def refund(self, output_tokens_unused: int) -> None:
        """Give back the output tokens reserved but not generated."""
        if "output-tokens" in self.buckets:
            b = self.buckets["output-tokens"]
            b.level = min(b.capacity, b.level + output_tokens_unused)

    def headers(self) -> dict[str, str]:
        """The ``anthropic-ratelimit-*`` headers describing this key's buckets now."""
        out: dict[str, str] = {}
        now_wall, now = time.time(), time.monotonic()
        for name, b in self.buckets.items():
            b.refill(now)
            reset = now_wall + (b.capacity - b.level) * b.minute_s / b.capacity
            out[f"anthropic-ratelimit-{name}-limit"] = str(b.capacity)
            out[f"anthropic-ratelimit-{name}-remaining"] = str(max(0, math.floor(b.level)))
            out[f"anthropic-ratelimit-{name}-reset"] = (
                datetime.fromtimestamp(reset, UTC)
                .isoformat(timespec="seconds")
                .replace("+00:00", "Z")
            )
        return out
