"""Tests for orchestra.policies and how steps apply them: retry, breaker, fallback, optional, abort."""

import asyncio

import pytest
from fakes import fake_call
from pydantic import BaseModel

from orchestra.errors import (
    CircuitOpenError,
    ConfigError,
    FatalLLMError,
    RetryableLLMError,
    StepError,
)
from orchestra.policies import CircuitBreaker, Retry, retryable, retrying
from orchestra.steps import step
from orchestra.workflow import Workflow

pytestmark = pytest.mark.anyio


class S(BaseModel):
    answer: str = ""
    n: int = 0


def flaky(failures: list[BaseException], answer: str = "ok"):
    """A step that raises the given errors in turn, then answers."""
    calls = []

    @step(writes="answer")
    async def ask(s: S) -> dict:
        calls.append(1)
        fake_call()
        if len(calls) <= len(failures):
            raise failures[len(calls) - 1]
        return {"answer": answer}

    return ask, calls


def test_backoff_grows_is_capped_and_seeded():
    a, b = (
        Retry(base_delay=1, max_delay=3, jitter=0.5, seed=7),
        Retry(base_delay=1, max_delay=3, jitter=0.5, seed=7),
    )
    delays = [a.delay(n) for n in range(1, 6)]
    assert delays == [b.delay(n) for n in range(1, 6)]  # same seed, same jitter
    for n, d in enumerate(delays, 1):
        full = min(3, 2 ** (n - 1))
        assert full * 0.5 <= d <= full
    assert Retry(jitter=0, base_delay=1).delay(3) == 4


def test_retryable_follows_status_codes():
    assert retryable(RetryableLLMError("429", status=429))
    assert retryable(TimeoutError())
    assert not retryable(FatalLLMError("400", status=400))
    assert not retryable(ValueError("bug"))


async def test_retrying_retries_then_gives_up_with_step_error():
    tries = []

    async def fails():
        tries.append(1)
        raise RetryableLLMError("529 overloaded", status=529)

    with pytest.raises(StepError) as info:
        await retrying(fails, Retry(max_attempts=3, base_delay=0.001), name="s")
    assert len(tries) == 3 and info.value.attempt == 3
    assert isinstance(info.value.cause, RetryableLLMError)


async def test_step_retries_retryable_and_counts_attempts():
    ask, calls = flaky([RetryableLLMError("429", status=429)] * 2)
    ask.retry = Retry(max_attempts=3, base_delay=0.001)
    result = await Workflow("w", state=S, steps=[ask]).run(S())
    assert result.status == "completed" and result.state.answer == "ok"
    span = result.trace.steps()[0]
    assert span.attempts == 3 and len(calls) == 3
    assert len([s for s in result.trace if s.kind == "llm"]) == 3  # every attempt's call


async def test_fatal_error_is_not_retried_and_aborts_with_explanation():
    ask, calls = flaky([FatalLLMError("400 bad request", status=400)])
    ask.retry = Retry(max_attempts=5, base_delay=0.001)

    @step(writes="n")
    async def after(s: S) -> dict:
        return {"n": 1}

    result = await Workflow("w", state=S, steps=[after, ask, after]).run(S())
    assert len(calls) == 1
    assert result.status == "aborted" and result.state.n == 1  # partial state kept
    assert "01.ask" in result.reason and "FatalLLMError" in result.reason
    assert "retrying cannot help" in result.reason
    assert result.missing == ["01.ask", "02.after"]
    assert isinstance(result.error, StepError)


async def test_timeout_counts_as_retryable():
    slow_once = []

    @step(writes="answer", timeout=0.02, retry=Retry(max_attempts=2, base_delay=0.001))
    async def slow(s: S) -> dict:
        if not slow_once:
            slow_once.append(1)
            await asyncio.sleep(1)
        return {"answer": "fast"}

    result = await Workflow("w", state=S, steps=[slow]).run(S())
    assert result.state.answer == "fast" and result.trace.steps()[0].attempts == 2


async def test_fallback_answers_and_is_recorded():
    ask, _ = flaky([FatalLLMError("400", status=400)])

    @step(writes="answer")
    async def cheap(s: S) -> dict:
        fake_call(model="claude-haiku-5-5")
        return {"answer": "cheap"}

    ask.fallback = cheap
    result = await Workflow("w", state=S, steps=[ask]).run(S())
    assert result.status == "completed" and result.state.answer == "cheap"
    primary = result.trace.steps()[0]
    assert primary.status == "fallback" and primary.answered_by == "cheap"
    assert "FatalLLMError" in primary.error
    fb = [s for s in result.trace.steps() if s.key == "00.ask>fallback"]
    assert fb and fb[0].parent_id == primary.id


async def test_optional_step_is_skipped_and_listed():
    ask, _ = flaky([FatalLLMError("400", status=400)])
    ask.optional = True
    result = await Workflow("w", state=S, steps=[ask]).run(S(answer="before"))
    assert result.status == "completed" and result.state.answer == "before"
    assert result.degraded == ["00.ask"]
    assert result.trace.steps()[0].status == "skipped"


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_breaker_opens_half_opens_and_closes():
    clock = Clock()
    b = CircuitBreaker("haiku", failure_threshold=2, reset_after=10, clock=clock)
    for _ in range(2):
        b.before()
        b.failed(RetryableLLMError("529", status=529))
    assert b.state == "open"
    with pytest.raises(CircuitOpenError) as info:
        b.before()
    assert info.value.retry_in == pytest.approx(10)
    clock.now = 10.5
    b.before()  # the probe
    assert b.state == "half_open"
    with pytest.raises(CircuitOpenError):
        b.before()  # one probe at a time
    b.failed(RetryableLLMError("529", status=529))
    assert b.state == "open"
    clock.now = 21
    b.before()
    b.succeeded()
    assert (b.state, b.failures) == ("closed", 0)


def test_breaker_ignores_our_own_mistakes():
    b = CircuitBreaker("haiku", failure_threshold=1)
    b.before()
    b.failed(FatalLLMError("400", status=400))
    assert b.state == "closed"


async def test_open_breaker_refuses_without_calling_and_fallback_answers():
    breaker = CircuitBreaker("haiku", failure_threshold=1, reset_after=60)
    ask, calls = flaky([RetryableLLMError("529", status=529)] * 10)
    ask.breaker = breaker

    @step(writes="answer")
    async def other_model(s: S) -> dict:
        return {"answer": "sonnet"}

    ask.fallback = other_model
    wf = Workflow("w", state=S, steps=[ask, ask])
    result = await wf.run(S())
    assert len(calls) == 1  # the second step was refused by the open circuit
    assert result.state.answer == "sonnet" and breaker.state == "open"
    assert "CircuitOpenError" in result.trace.steps()[-2].error or any(
        "CircuitOpenError" in (s.error or "") for s in result.trace.steps()
    )


async def test_open_breaker_without_fallback_aborts_with_hint():
    breaker = CircuitBreaker("haiku", failure_threshold=1, reset_after=60)
    breaker.before()
    breaker.failed(RetryableLLMError("529", status=529))
    ask, calls = flaky([])
    ask.breaker = breaker
    result = await Workflow("w", state=S, steps=[ask]).run(S())
    assert calls == [] and result.status == "aborted"
    assert "CircuitOpenError" in result.reason and "fallback" in result.reason


def test_delay_honours_the_servers_retry_after():
    from orchestra.errors import RetryableLLMError

    policy = Retry(base_delay=0.5, max_delay=8.0, seed=0)
    told = RetryableLLMError("429", status=429, retry_after=1.25)
    assert policy.delay(1, told) == 1.25
    # the server's wait is honoured, not cut to max_delay (that would earn another 429);
    # retrying() gives up instead when it is longer than max_retry_after
    assert policy.delay(1, RetryableLLMError("429", retry_after=60.0)) == 60.0
    assert 0.25 <= policy.delay(1, RetryableLLMError("529")) <= 0.5  # not told: backoff


def test_breaker_history_tells_its_story():
    now = [0.0]
    breaker = CircuitBreaker("haiku", failure_threshold=2, reset_after=10, clock=lambda: now[0])
    overloaded = RetryableLLMError("529", status=529)
    breaker.failed(overloaded)
    breaker.failed(overloaded)  # opens at t=0
    now[0] = 11.0
    breaker.before()  # half open: one probe goes through
    breaker.succeeded()  # closes
    assert breaker.history == [(0.0, "open"), (11.0, "half_open"), (11.0, "closed")]


async def test_a_steps_span_counts_its_backoff():
    calls = {"n": 0}

    @step(retry=Retry(max_attempts=3, base_delay=0.01))
    async def flaky(s: S) -> dict:
        calls["n"] += 1
        if calls["n"] < 3:
            raise RetryableLLMError("overloaded", status=529, retry_after=0.02)
        return {}

    result = await Workflow("w", state=S, steps=[flaky]).run(S())
    span = result.trace.steps()[0]
    assert span.attempts == 3 and span.backoff_s == pytest.approx(0.04)


def test_seeded_retry_delay_depends_only_on_seed_step_and_attempt():
    alone = Retry(base_delay=1, max_delay=8, jitter=0.5, seed=11).delay(2, step="a")
    shared = Retry(base_delay=1, max_delay=8, jitter=0.5, seed=11)
    for other in ("b", "c", "d"):  # other steps draw their delays first
        for n in (1, 2, 3):
            shared.delay(n, step=other)
    assert shared.delay(2, step="a") == alone
    assert shared.delay(2, step="a") == alone  # and drawing again does not move it
    assert 1.0 <= alone <= 2.0  # full delay 2 s, up to half of it jittered away
    assert shared.delay(2, step="b") != alone  # the step is part of the draw


class HTTPError(Exception):
    """Another library's error: a status code, and maybe its own say on retrying."""

    def __init__(self, status_code: int, retryable: bool | None = None):
        super().__init__(f"HTTP {status_code}")
        self.status_code = status_code
        if retryable is not None:
            self.retryable = retryable


def test_retryable_asks_the_error_first_then_its_status_code():
    assert not retryable(HTTPError(503, retryable=False))  # the error's own word wins
    assert retryable(HTTPError(400, retryable=True))
    for status in (408, 409, 429, 500, 502, 503, 529):
        assert retryable(HTTPError(status)), status
    for status in (400, 401, 403, 404, 413, 422):
        assert not retryable(HTTPError(status)), status


async def test_a_cancelled_half_open_probe_frees_the_breaker():
    clock = Clock()
    breaker = CircuitBreaker("haiku", failure_threshold=1, reset_after=10, clock=clock)
    breaker.before()
    breaker.failed(RetryableLLMError("529", status=529))
    assert breaker.state == "open"
    clock.now = 11  # past reset_after: the next call is the probe

    async def hangs():
        await asyncio.sleep(3600)

    async def healthy():
        return "ok"

    with pytest.raises(TimeoutError):  # the probe's caller gives up: the probe is cancelled
        await asyncio.wait_for(retrying(hangs, None, breaker, name="s"), 0.01)
    assert await retrying(healthy, None, breaker, name="s") == "ok"  # not CircuitOpenError
    assert breaker.state == "closed"


class Waits:
    """A fake sleep: records each wait, sleeps not at all."""

    def __init__(self):
        self.waits = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class SDKError(Exception):
    """An HTTP library's error: a status code and a response with headers, no retry_after."""

    def __init__(self, status_code: int, headers: dict):
        super().__init__(f"HTTP {status_code}")
        self.status_code = status_code
        self.response = type("Response", (), {"headers": headers})()


def test_delay_reads_retry_after_from_a_raw_http_errors_headers():
    policy = Retry(base_delay=5.0, max_delay=8.0, jitter=0.0)
    assert policy.delay(1, SDKError(429, {"retry-after": "0.2"})) == 0.2
    assert policy.delay(1, SDKError(429, {"retry-after-ms": "150"})) == 0.15
    assert policy.delay(1, SDKError(429, {})) == 5.0  # not told: backoff


def test_delay_honours_a_long_retry_after_instead_of_capping_it():
    policy = Retry(base_delay=0.5, max_delay=8.0, jitter=0.0)
    assert policy.delay(1, SDKError(429, {"retry-after": "30"})) == 30.0


@pytest.mark.parametrize("told", [-1.0, float("nan"), float("inf")])
def test_nonsense_retry_after_falls_back_to_the_backoff(told):
    policy = Retry(base_delay=0.5, max_delay=8.0, jitter=0.0)
    assert policy.delay(2, RetryableLLMError("429", status=429, retry_after=told)) == 1.0
    assert policy.delay(2, SDKError(429, {"retry-after": str(told)})) == 1.0


async def test_retrying_waits_what_the_server_says_with_an_injected_sleep():
    waits, tries = Waits(), []

    async def limited():
        tries.append(1)
        if len(tries) < 3:
            raise SDKError(429, {"retry-after": "0.2"})
        return "ok"

    policy = Retry(max_attempts=3, base_delay=100.0, sleep=waits)
    assert await retrying(limited, policy, name="s") == "ok"
    assert waits.waits == [0.2, 0.2] and len(tries) == 3


async def test_retrying_gives_up_at_once_past_max_retry_after():
    waits, tries = Waits(), []

    async def limited():
        tries.append(1)
        raise SDKError(429, {"retry-after": "30"})

    policy = Retry(max_attempts=5, max_retry_after=10.0, sleep=waits)
    with pytest.raises(StepError, match="max_retry_after") as info:
        await retrying(limited, policy, name="s")
    assert len(tries) == 1 and waits.waits == [] and info.value.attempt == 1


async def test_backoff_uses_the_injected_sleep_only():
    waits, tries = Waits(), []

    async def overloaded():
        tries.append(1)
        raise RetryableLLMError("529", status=529)

    policy = Retry(max_attempts=3, base_delay=10.0, max_delay=60.0, jitter=0.0, sleep=waits)
    with pytest.raises(StepError):
        await asyncio.wait_for(retrying(overloaded, policy, name="s"), 1.0)  # no real sleep
    assert waits.waits == [10.0, 20.0] and len(tries) == 3


def test_max_attempts_below_one_is_a_config_error():
    for bad in (0, -1, 2.5):
        with pytest.raises(ConfigError, match="max_attempts"):
            Retry(max_attempts=bad)
