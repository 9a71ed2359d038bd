"""The client-side rate limiter, alone and in front of the simulator's limits."""

from __future__ import annotations

import asyncio
import time

import pytest

from orchestra.errors import ConfigError, RetryableLLMError
from orchestra.limiter import RateLimiter
from orchestra.llm import LLM
from orchestra.sim import Limits


def test_burst_then_paced_at_the_rate():
    async def go():
        limiter = RateLimiter(requests_per_minute=60, time_scale=0.01)  # one per 10 ms
        t = time.perf_counter()
        stamps = []
        for _ in range(70):
            async with limiter.slot():
                pass
            stamps.append(time.perf_counter() - t)
        return stamps

    stamps = asyncio.run(go())
    assert stamps[59] < 0.02  # the first minute's worth goes at once
    assert 0.09 < stamps[69] < 0.25  # then 10 more at 10 ms each


def test_token_budget_paces_large_calls():
    async def go():
        limiter = RateLimiter(input_tokens_per_minute=1000, time_scale=0.01)
        t = time.perf_counter()
        for _ in range(4):
            async with limiter.slot(500):
                pass
        return time.perf_counter() - t

    assert 0.55 < asyncio.run(go()) < 0.8  # 2 fit at once, 2 more need 0.3 s each


def test_a_call_larger_than_the_limit_is_a_config_error():
    with pytest.raises(ConfigError, match="split the call"):
        asyncio.run(
            RateLimiter(input_tokens_per_minute=100).slot(500).__aenter__()
        )  # before any wait
    with pytest.raises(ConfigError, match="time_scale"):
        RateLimiter(requests_per_minute=5, time_scale=0)


def fan_out(limiter, n=24):
    async def go():
        async with LLM(max_retries=0, max_tokens=20, limiter=limiter) as llm:
            results = await asyncio.gather(
                *(llm.ask(f"Ping {i}") for i in range(n)), return_exceptions=True
            )
        return [r for r in results if isinstance(r, RetryableLLMError)]

    return asyncio.run(go())


def test_shared_limiter_removes_429s(sim):
    sim.configure(time_scale=0.02, limits=Limits(requests_per_minute=12))  # one per 100 ms
    assert len(fan_out(None)) >= 10  # 24 at once: half are refused
    sim.configure(time_scale=0.02, limits=Limits(requests_per_minute=12))
    assert fan_out(RateLimiter(requests_per_minute=12, time_scale=0.02)) == []


def test_a_call_the_server_refused_gives_its_slot_back():
    class Refused(Exception):
        status = 529

    async def go():
        limiter = RateLimiter(requests_per_minute=2, time_scale=1.0)  # a slow refill: 30 s each
        for _ in range(2):
            with pytest.raises(Refused):
                async with limiter.slot():
                    raise Refused()
        t = time.perf_counter()
        async with limiter.slot():
            pass
        async with limiter.slot():
            pass
        return time.perf_counter() - t

    assert asyncio.run(go()) < 0.05  # both slots were handed back: no 30 s wait
