"""The simulator's own clock, in model-seconds (chapters 00 and 12).

Everything with a lifetime on the server side reads it: a prompt-cache entry lives 5 minutes
or an hour of model time, a Message Batch runs for minutes to hours of it. Model time passes
at wall-clock speed ÷ ``time_scale`` (at 0.01, five model-minutes pass in three wall seconds),
like the rate limits' minutes; at ``time_scale`` 0, when nothing waits, it passes at wall-clock
speed. ``advance`` moves it on at once: a test or a chapter can let a cache entry expire, or a
batch run, without waiting.

    >>> c = Clock(time_scale=0.01)
    >>> c.advance(301)          # five minutes and a second later, in model time
    >>> c.stamp(0.0)            # model time as the API's RFC 3339 timestamp
    '2026-12-07T00:00:00Z'
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from orchestra.prices import PRICES_DATE

EPOCH = datetime.fromisoformat(PRICES_DATE).replace(tzinfo=UTC)
"""Model time 0 as a date: the simulator's timestamps start at midnight (UTC) of the day its
price table is from, so they are the same on every run."""


class Clock:
    """Model-seconds since the simulator started, read from the wall clock and a scale."""

    def __init__(self, time_scale: float = 0.0):
        self._wall0, self._model0, self._scale = time.monotonic(), 0.0, time_scale

    def now(self) -> float:
        """Model-seconds elapsed: wall-clock seconds ÷ ``time_scale`` (× 1 at scale 0), plus
        whatever ``advance`` added."""
        return self._model0 + (time.monotonic() - self._wall0) / (self._scale or 1.0)

    def rescale(self, time_scale: float) -> None:
        """Run at a new ``time_scale`` from now on, keeping the time already passed."""
        self._model0, self._wall0, self._scale = self.now(), time.monotonic(), time_scale

    def advance(self, seconds: float) -> None:
        """Jump ``seconds`` of model time ahead at once."""
        self._model0 += max(0.0, seconds)

    def later(self, start: float, model_s: float) -> float:
        """When a call that started at ``start`` and takes ``model_s`` has answered, on this
        clock: the server waits ``model_s × time_scale`` wall seconds, none at scale 0."""
        return start + (model_s if self._scale else 0.0)

    @staticmethod
    def stamp(t: float) -> str:
        """Model time ``t`` as an RFC 3339 timestamp, as the API writes them."""
        when = EPOCH + timedelta(seconds=t)
        return (
            when.isoformat(timespec="microseconds").replace("+00:00", "Z").replace(".000000Z", "Z")
        )
