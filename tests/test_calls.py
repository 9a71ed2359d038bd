"""Tests for orchestra.calls: the call record, the recorder a client reports into, previews."""

import asyncio

import pytest

from orchestra.calls import Call, preview, record, recording, spent

pytestmark = pytest.mark.anyio


def call(model: str = "claude-haiku-5-5", tokens=(100, 20), cost: float = 0.001) -> Call:
    return Call(model, 1.0, 2.0, "ok", tokens[0], tokens[1], cost)


def test_recording_collects_the_calls_made_inside_only():
    record(call("before"))  # no recording open: dropped, and no error
    with recording() as calls:
        record(call("a"))
        record(call("b"))
    record(call("after"))
    assert [c.model for c in calls] == ["a", "b"]


def test_nested_recordings_give_the_inner_calls_to_the_inner_one():
    with recording() as outer:
        record(call("outer-1"))
        with recording() as inner:
            record(call("inner"))
        record(call("outer-2"))
    assert [c.model for c in inner] == ["inner"]
    assert [c.model for c in outer] == ["outer-1", "outer-2"]


async def test_concurrent_tasks_each_see_their_own_recording():
    async def task(name: str, delay: float) -> list[str]:
        with recording() as calls:
            for i in range(3):
                record(call(f"{name}{i}"))
                await asyncio.sleep(delay)  # the other task records in between
        return [c.model for c in calls]

    a, b = await asyncio.gather(task("a", 0.002), task("b", 0.003))
    assert a == ["a0", "a1", "a2"] and b == ["b0", "b1", "b2"]


def test_spent_sums_cost_and_tokens():
    usd, tokens = spent([call(tokens=(100, 20), cost=0.25), call(tokens=(7, 3), cost=0.5)])
    assert usd == pytest.approx(0.75) and tokens == 130
    assert spent([]) == (0.0, 0)


def test_call_round_trips_through_its_dict_and_tolerates_old_records():
    full = Call(
        "claude-sonnet-5-5",
        10.0,
        11.5,
        "error",
        1200,
        80,
        0.0048,
        model_s=0.7,
        error="RetryableLLMError: 529",
        prompt_preview="hi",
        output_preview="",
    )
    assert Call.from_dict(full.to_dict()) == full
    old = Call.from_dict({"model": "m", "cost_usd": 0.5, "from_a_newer_version": 1})
    assert old == Call("m", 0.0, 0.0, "ok", cost_usd=0.5)
    assert Call.from_dict({}) == Call("", 0.0, 0.0, "ok")


def test_preview_redacts_keys_and_shortens():
    key = "sk-ant-" + "api03-" + "x" * 24  # built here so no key sits in the source
    shown = preview(f"use {key}\n  now")
    assert shown == "use [REDACTED] now" and key not in shown
    long = preview("word " * 100, limit=20)
    assert len(long) == 20 and long.endswith("…") and long.startswith("word word")
    assert preview("short", limit=20) == "short"


def test_spent_counts_cached_prompt_tokens_too():
    cached = Call("claude-haiku-5-5", 1.0, 2.0, "ok", 10, 20, 0.001)
    cached.cache_write_tokens, cached.cache_read_tokens = 0, 900
    assert cached.prompt_tokens == 910
    assert spent([cached, call(tokens=(100, 20))]) == (pytest.approx(0.002), 1050)
    again = Call.from_dict(cached.to_dict())
    assert (again.cache_read_tokens, again.batch) == (900, False) and again == cached
