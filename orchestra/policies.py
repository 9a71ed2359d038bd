"""Failure policies: retry with backoff, circuit breaker, fallback, optional, abort (chapter 07).

Per step you choose what happens when it fails:

- ``retry=Retry(...)``: try again after an exponential, jittered delay, a bounded number of
  times, and only for errors worth retrying (429, 529, 5xx, timeouts; never a 400).
- ``breaker=CircuitBreaker(...)``: one object shared by every step that calls one model;
  after repeated failures it refuses calls at once (``CircuitOpenError``) for a while.
- ``fallback=other_step``: when the step gives up, ``other_step`` answers instead (a cheaper
  model, a simpler prompt); the trace records which one answered.
- ``optional=True``: when the step gives up, the run goes on without it; the step is listed in
  ``RunResult.degraded``.
- otherwise the run stops: status ``aborted``, the partial state, a reason, the missing steps.

The retry loop is written out because the chapter teaches it. The library equivalent is
tenacity::

    @tenacity.retry(stop=stop_after_attempt(3), retry=retry_if_exception(retryable),
                    wait=wait_exponential_jitter(initial=0.5, max=8))

    >>> policy = Retry(max_attempts=4, base_delay=0.01)   # scaled down for a notebook
    >>> [round(policy.delay(n), 3) for n in (1, 2, 3)]    # ~0.01, ~0.02, ~0.04 with jitter
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from orchestra.errors import CircuitOpenError, StepError
from orchestra.llm import is_retryable

__all__ = ["Retry", "CircuitBreaker", "Slots", "retryable", "retrying"]


def retryable(exc: BaseException) -> bool:
    """Whether another attempt may help: the client's verdict, plus step timeouts."""
    return isinstance(exc, TimeoutError) or is_retryable(exc)


@dataclass
class Retry:
    """How often and how patiently to retry a failing step."""

    max_attempts: int = 3
    """Attempts in all, the first included (bounded: every loop has a bound)."""
    base_delay: float = 0.5
    """Seconds before the second attempt; doubled after each failure."""
    max_delay: float = 8.0
    """Ceiling on one delay, in seconds."""
    jitter: float = 0.5
    """Fraction of each delay drawn at random, so clients that failed together spread out."""
    seed: int | None = None
    """Seed for the jitter, so a notebook run is reproducible."""
    retry_on: Callable[[BaseException], bool] = retryable
    """Decides retryable vs not; default: 429/529/5xx/timeouts yes, 400/401/404 no."""
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("Retry(max_attempts=...) must be at least 1")
        self._rng = random.Random(self.seed)

    def delay(self, attempt: int, error: BaseException | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based).

        When the server said how long to wait (``retry-after``, carried by the error as
        ``retry_after``), that is the wait: guessing shorter earns another 429.
        """
        told = getattr(error, "retry_after", None)
        if told is not None:
            return min(told, self.max_delay)
        full = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return full * (1 - self.jitter * self._rng.random())


async def retrying(
    attempt: Callable[[], Awaitable[Any]],
    retry: Retry | None,
    breaker: CircuitBreaker | None = None,
    *,
    name: str = "step",
    held: Slots | None = None,
    on_backoff: Callable[[float], None] | None = None,
) -> Any:
    """Await ``attempt()`` until it succeeds; when the policy gives up, raise ``StepError``.

    ``held``: a concurrency slot the caller holds; it is given back during each backoff
    wait so another call can use it, and taken again before the next attempt.
    ``on_backoff(seconds)`` is told each wait (the engine adds it to the step's span).

        >>> await retrying(lambda: llm.ask("hi"), Retry(max_attempts=3), name="greet")
    """
    tries = retry.max_attempts if retry is not None else 1
    for n in range(1, tries + 1):
        try:
            if breaker is not None:
                breaker.before()  # may refuse at once with CircuitOpenError
            result = await attempt()
        except Exception as exc:
            if breaker is not None:
                breaker.failed(exc)
            if n == tries or retry is None or not retry.retry_on(exc):
                raise StepError(
                    f"{name} gave up after {n} attempt(s): {type(exc).__name__}: {exc}",
                    step=name,
                    attempt=n,
                    cause=exc,
                ) from exc
            wait = retry.delay(n, exc)
            if on_backoff is not None:
                on_backoff(wait)
            await _backoff(wait, held)
        else:
            if breaker is not None:
                breaker.succeeded()
            return result
    raise AssertionError("unreachable")  # the loop returns or raises


async def _backoff(seconds: float, held: Slots | None) -> None:
    if held is None:
        await asyncio.sleep(seconds)
        return
    held.release()
    try:
        await asyncio.sleep(seconds)
    finally:
        await held.acquire(first=True)


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


class CircuitBreaker:
    """Refuses calls to a model that keeps failing; share one per model across steps.

    closed: calls go through, failures are counted. After ``failure_threshold`` failures in
    a row it opens: calls fail at once with ``CircuitOpenError`` (so a fallback answers) for
    ``reset_after`` seconds. Then it is half open: one probe call goes through; success
    closes it, failure opens it again. Only failures that say the model is unwell count
    (retryable ones); a 400 is our mistake, not the model's.

        >>> haiku = CircuitBreaker("claude-haiku-4-5", failure_threshold=5, reset_after=30)
        >>> @step(breaker=haiku, fallback=ask_sonnet) ...
    """

    def __init__(
        self,
        name: str,
        failure_threshold: int = 5,
        reset_after: float = 30.0,
        *,
        counts: Callable[[BaseException], bool] = retryable,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.name, self.failure_threshold, self.reset_after = name, failure_threshold, reset_after
        self.counts, self.clock = counts, clock
        self.state: Literal["closed", "open", "half_open"] = "closed"
        self.failures = 0
        self.opened_at = 0.0
        self._probing = False
        self.history: list[tuple[float, str]] = []
        """Each change of state as (clock time, new state): a breaker's story, for a table."""

    def _move(self, state: Literal["closed", "open", "half_open"]) -> None:
        if state != self.state:
            self.history.append((self.clock(), state))
        self.state = state

    def __repr__(self) -> str:
        return f"CircuitBreaker({self.name!r}, state={self.state!r}, failures={self.failures})"

    def before(self) -> None:
        """Let a call through, or raise ``CircuitOpenError`` without calling."""
        if self.state == "open":
            wait = self.opened_at + self.reset_after - self.clock()
            if wait > 0:
                raise CircuitOpenError(
                    f"circuit {self.name!r} is open after {self.failures} failures; calls are "
                    f"refused for {wait:.1f}s more. Add a fallback on another model, or wait",
                    name=self.name,
                    retry_in=wait,
                )
            self._move("half_open")
        if self.state == "half_open":
            if self._probing:
                raise CircuitOpenError(
                    f"circuit {self.name!r} is half open and a probe call "
                    f"is in flight; retry shortly",
                    name=self.name,
                    retry_in=0.0,
                )
            self._probing = True

    def succeeded(self) -> None:
        """Record a success: the circuit closes."""
        self._move("closed")
        self.failures, self._probing = 0, False

    def failed(self, exc: BaseException) -> None:
        """Record a failure; open the circuit if there were too many."""
        if isinstance(exc, CircuitOpenError):
            return  # our own refusal is not news about the model
        was_probe, self._probing = self._probing, False
        if not self.counts(exc):
            return
        self.failures += 1
        if was_probe or self.failures >= self.failure_threshold:
            self._move("open")
            self.opened_at = self.clock()
