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
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from orchestra import clock
from orchestra.errors import CircuitOpenError, ConfigError, StepError, hide_from_learners
from orchestra.fanout import Slots

__all__ = ["Retry", "CircuitBreaker", "Slots", "retryable", "retry_after", "retrying"]


def retryable(exc: BaseException) -> bool:
    """Whether another attempt may help; the default ``retry_on`` of every policy.

    The error says so itself when it can: ``exc.retryable`` (the client's errors set it: 429,
    529, 5xx, timeouts and unparseable answers yes; 400, 401, 404 no). For other libraries'
    errors the rule is HTTP's: a ``status_code`` of 408, 409, 429 or 5xx is worth a retry, as
    are timeouts and dropped connections; anything else is a bug or a bad request.

        >>> retryable(TimeoutError()), retryable(ValueError("bad input"))
        (True, False)
    """
    said = getattr(exc, "retryable", None)
    if isinstance(said, bool):
        return said
    if isinstance(exc, (TimeoutError, ConnectionError)):
        return True
    status = getattr(exc, "status_code", None)
    return isinstance(status, int) and (status in (408, 409, 429) or status >= 500)


@dataclass(frozen=True)
class Retry:
    """How often and how patiently to retry a failing step; one policy may serve many steps.

    A policy holds no state: the jitter of a wait is drawn from ``(seed, step, attempt)``, so a
    seeded run waits the same however its concurrent steps interleave, and sharing one policy
    (or using one as a default argument) couples nothing.
    """

    max_attempts: int = 3
    """Attempts in all, the first included (bounded: every loop has a bound)."""
    base_delay: float = 0.5
    """Seconds before the second attempt; doubled after each failure."""
    max_delay: float = 8.0
    """Ceiling on one delay, in seconds."""
    jitter: float = 0.5
    """Fraction of each delay drawn at random, so clients that failed together spread out."""
    seed: int | None = None
    """Seed for the jitter, so a notebook run is reproducible (None: a fresh draw each time)."""
    retry_on: Callable[[BaseException], bool] = retryable
    """Decides retryable vs not; default: 429/529/5xx/timeouts yes, 400/401/404 no."""
    max_retry_after: float = 60.0
    """The longest ``retry-after`` worth waiting out; a server asking for more ends the
    retries at once (with the server's wait in the error), rather than earning another 429."""
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    """How to wait; a test passes a fake to check the waits without sleeping."""
    escalate: tuple[dict[str, Any], ...] = ()
    """What each retry changes so that it can answer better, applied by ``ctx.llm(llm)``: the
    second attempt applies the first entry, the third the first two, and so on (the last
    repeats). ``({"effort": "high"}, {"model": "claude-sonnet-5-5"})`` thinks harder, then asks
    the stronger model. Without it a retry sends the same request again: a fresh sample on
    today's models, the same answer at temperature 0 on a model that takes one."""

    def __post_init__(self) -> None:
        if not isinstance(self.max_attempts, int) or self.max_attempts < 1:
            raise ConfigError(
                f"Retry(max_attempts={self.max_attempts!r}): it counts every attempt, the first "
                f"included, so it must be an int >= 1 (1 means no retry)"
            )
        if isinstance(self.escalate, dict) or not all(isinstance(e, dict) for e in self.escalate):
            raise ConfigError(
                f"Retry(escalate={self.escalate!r}): give a tuple of dicts, one per retry, "
                f"e.g. ({{'effort': 'high'}}, {{'model': 'claude-sonnet-5-5'}})"
            )
        object.__setattr__(self, "escalate", tuple(self.escalate))

    def changes(self, attempt: int) -> dict[str, Any]:
        """The client settings attempt number ``attempt`` (1-based) runs with.

        >>> Retry(escalate=({"effort": "high"}, {"model": "claude-sonnet-5-5"})).changes(3)
        {'effort': 'high', 'model': 'claude-sonnet-5-5'}
        """
        out: dict[str, Any] = {}
        for entry in self.escalate[: max(0, attempt - 1)]:
            out.update(entry)
        if attempt - 1 > len(self.escalate) and self.escalate:
            out.update(self.escalate[-1])
        return out

    def delay(self, attempt: int, error: BaseException | None = None, step: str = "") -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based) of ``step``.

        When the server said how long to wait (``retry-after``), that is the wait: guessing
        shorter earns another 429. It is read from the error's ``retry_after`` (our client's
        errors) or from an HTTP error's response headers (``retry-after-ms``, ``retry-after``).
        """
        told = retry_after(error) if error is not None else None
        if told is not None:
            return told
        full = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        draw = random.random() if self.seed is None else _draw(self.seed, step, attempt)
        return full * (1 - self.jitter * draw)


def retry_after(error: BaseException) -> float | None:
    """The wait a server asked for, in seconds, if it said (and said something sensible)."""
    told = getattr(error, "retry_after", None)
    if told is None:
        headers = getattr(getattr(error, "response", None), "headers", None) or {}
        for name, unit in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
            try:
                told = float(headers[name]) / unit
                break
            except (KeyError, TypeError, ValueError):
                continue
    if told is None or not math.isfinite(told) or told < 0:
        return None  # absent, or nonsense (negative, NaN): back off by the policy instead
    return float(told)


def _draw(seed: int, step: str, attempt: int) -> float:
    """A uniform draw in [0, 1) fixed by its arguments (string seeds hash stably)."""
    return random.Random(f"{seed}:{step}:{attempt}").random()


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
    # out of a learner's traceback in IPython, kept in pytest's (errors.hide_from_learners)
    __tracebackhide__ = hide_from_learners
    tries = retry.max_attempts if retry is not None else 1
    for n in range(1, tries + 1):
        try:
            if breaker is not None:
                breaker.before()  # may refuse at once with CircuitOpenError
            try:
                result = await attempt()
            except BaseException as stopped:
                if breaker is not None and not isinstance(stopped, Exception):
                    breaker.release()  # a cancelled probe must not keep the circuit wedged
                raise
        except Exception as exc:
            if breaker is not None:
                breaker.failed(exc)
            wait = retry.delay(n, exc, name) if retry is not None else 0.0
            if n == tries or retry is None or not retry.retry_on(exc):
                raise _gave_up(name, n, exc) from exc
            if wait > retry.max_retry_after:
                raise _gave_up(
                    name,
                    n,
                    exc,
                    f"the server asks to wait {wait:.0f}s, more than "
                    f"max_retry_after={retry.max_retry_after:g}s",
                ) from exc
            if on_backoff is not None:
                on_backoff(wait)
            await _backoff(wait, held, retry.sleep)
        else:
            if breaker is not None:
                breaker.succeeded()
            return result
    raise AssertionError("unreachable")  # the loop returns or raises


def _gave_up(name: str, n: int, exc: BaseException, why: str = "") -> StepError:
    extra = f" ({why})" if why else ""
    return StepError(
        f"{name} gave up after {n} attempt(s){extra}: {type(exc).__name__}: {exc}",
        step=name,
        attempt=n,
        cause=exc,
    )


async def _backoff(
    seconds: float, held: Slots | None, sleep: Callable[[float], Awaitable[None]]
) -> None:
    clock.wait(seconds)  # the wait counts in simulated time too (wall seconds ÷ time_scale)
    if held is None:
        await sleep(seconds)
        return
    held.release()
    try:
        await sleep(seconds)
    finally:
        await held.acquire(first=True)


class CircuitBreaker:
    """Refuses calls to a model that keeps failing; share one per model across steps.

    closed: calls go through, failures are counted. After ``failure_threshold`` failures in
    a row it opens: calls fail at once with ``CircuitOpenError`` (so a fallback answers) for
    ``reset_after`` seconds. Then it is half open: one probe call goes through; success
    closes it, failure opens it again. Only failures that say the model is unwell count
    (retryable ones); a 400 is our mistake, not the model's.

        >>> haiku = CircuitBreaker("claude-haiku-5-5", failure_threshold=5, reset_after=30)
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

    def release(self) -> None:
        """A call ended without an answer either way (cancelled): free the probe, count nothing."""
        self._probing = False

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
