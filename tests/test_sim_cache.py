"""Prompt caching in the simulator (``orchestra.sim.cache``), one rule a test, through the SDK."""

from __future__ import annotations

import asyncio

import anthropic
import pytest

from orchestra import wire
from orchestra.prices import CACHE_READ, CACHE_WRITE, cost_usd, usage_cost_usd
from orchestra.sim import Faults, Limits
from orchestra.sim.cache import READ_TIME
from orchestra.sim.decide import INPUT_TOKENS_PER_S

HAIKU = "claude-haiku-5-5"
EPHEMERAL = {"type": "ephemeral"}
POLICY = "Refund policy. " + " ".join(
    f"Rule {i}: an order of type {i} may be returned within {i % 30 + 1} days." for i in range(60)
)
"""About 1,200 tokens on the 5.x tokenizer: above Haiku 5.5's minimum, below Haiku 4.5's."""
LONG = POLICY * 4
"""About 5,000 tokens: above every model's minimum."""


@pytest.fixture
def server(_server):
    """The session's simulator on an empty cache (time_scale 0). Unlike ``sim``, it skips the
    garbage collection after each test (a second or more): these tests make no async client."""
    yield _server.configure(time_scale=0.0, faults=Faults(), limits=Limits())
    _server.configure(time_scale=0.0)


@pytest.fixture
def client(server):
    return anthropic.Anthropic(base_url=server.url, api_key="k", max_retries=0)


def system(text: str = POLICY, **mark) -> list[dict]:
    return [
        {"type": "text", "text": "You answer questions about orders."},
        {"type": "text", "text": text, "cache_control": {**EPHEMERAL, **mark}},
    ]


def ask(client, question="Summarize: my order 12 arrived broken.", model=HAIKU, **kw):
    kw.setdefault("system", system())
    kw.setdefault("max_tokens", 100)
    return client.messages.create(
        model=model, messages=[{"role": "user", "content": question}], **kw
    )


def written(m) -> int:
    return m.usage.cache_creation_input_tokens


def read(m) -> int:
    return m.usage.cache_read_input_tokens


def whole(m) -> int:
    return m.usage.input_tokens + written(m) + read(m)


def test_a_system_breakpoint_writes_then_the_same_prefix_reads(client):
    first, second = ask(client), ask(client, "Summarize: order 40 came late.")
    assert written(first) > 1_000 and read(first) == 0
    assert read(second) == written(first) and written(second) == 0
    # input_tokens is only what follows the breakpoint: the question and its framing
    assert second.usage.input_tokens < 30
    plain = client.messages.count_tokens(
        model=HAIKU,
        system=system(),
        messages=[{"role": "user", "content": "Summarize: order 40 came late."}],
    )
    assert whole(second) == plain.input_tokens


def test_the_usage_splits_writes_by_lifetime(client):
    five = ask(client)
    hour = ask(client, system=system(LONG, ttl="1h"))
    assert five.usage.cache_creation.ephemeral_5m_input_tokens == written(five) > 0
    assert five.usage.cache_creation.ephemeral_1h_input_tokens == 0
    assert hour.usage.cache_creation.ephemeral_1h_input_tokens == written(hour) > 0
    assert hour.usage.cache_creation.ephemeral_5m_input_tokens == 0


def test_tools_come_first_and_a_reordered_tool_list_misses(client):
    tools = [
        {"name": f"tool_{i}", "description": POLICY[: 400 + i], "input_schema": {"type": "object"}}
        for i in range(4)
    ]
    marked = [*tools[:-1], {**tools[-1], "cache_control": EPHEMERAL}]
    shuffled = [*tools[1:-1], tools[0], {**tools[-1], "cache_control": EPHEMERAL}]
    kw = {"system": "You answer questions about orders."}
    first = ask(client, tools=marked, **kw)
    again = ask(client, "Summarize: order 3 is missing.", tools=marked, **kw)
    moved = ask(client, "Summarize: order 3 is missing.", tools=shuffled, **kw)
    assert written(first) > 500 and read(again) == written(first)
    assert read(moved) == 0 and written(moved) == written(first)


def test_a_changed_system_prompt_before_the_breakpoint_misses(client):
    stamped = [{"type": "text", "text": "Now: 12:00:01."}, *system()]
    later = [{"type": "text", "text": "Now: 12:00:02."}, *system()]
    first = ask(client, system=stamped)
    second = ask(client, system=later)
    assert written(first) > 0 and read(second) == 0 and written(second) == written(first)


def test_a_breakpoint_on_a_message_block_caches_the_conversation_so_far(client):
    turns = [
        {"role": "user", "content": [{"type": "text", "text": LONG, "cache_control": EPHEMERAL}]},
        {"role": "assistant", "content": "Noted."},
    ]
    kw = {"model": HAIKU, "max_tokens": 50, "system": "You answer questions about orders."}
    first = client.messages.create(messages=[*turns, {"role": "user", "content": "Rule 3?"}], **kw)
    second = client.messages.create(messages=[*turns, {"role": "user", "content": "Rule 9?"}], **kw)
    assert written(first) > 4_000 and read(second) == written(first)


def test_the_top_level_cache_control_marks_the_last_block_and_moves_with_the_conversation(
    client,
):
    kw = {"model": HAIKU, "max_tokens": 50, "system": LONG, "cache_control": EPHEMERAL}
    talk = [{"role": "user", "content": "Summarize: rule 3."}]
    first = client.messages.create(messages=talk, **kw)
    talk += [{"role": "assistant", "content": "Rule 3 allows 4 days."}]
    talk += [{"role": "user", "content": "Summarize: rule 4."}]
    second = client.messages.create(messages=talk, **kw)
    # the whole first prompt is read back (the look-back finds it), the new turns are written
    assert written(first) == whole(first) and first.usage.input_tokens == 0
    assert read(second) == whole(first) and written(second) == whole(second) - whole(first)


@pytest.mark.parametrize("automatic", [False, True])
def test_a_fifth_breakpoint_is_refused(client, automatic):
    blocks = [
        {"type": "text", "text": f"Part {i}.", "cache_control": EPHEMERAL}
        for i in range(4 if automatic else 5)
    ]
    extra = {"cache_control": EPHEMERAL} if automatic else {}
    with pytest.raises(anthropic.BadRequestError) as err:
        ask(client, system=blocks, **extra)
    assert err.value.body["error"]["message"] == (
        "A maximum of 4 blocks with cache_control may be provided. Found 5."
    )


def test_a_one_hour_breakpoint_after_a_five_minute_one_is_refused(client):
    blocks = [
        {"type": "text", "text": "Part 1.", "cache_control": EPHEMERAL},
        {"type": "text", "text": "Part 2.", "cache_control": {**EPHEMERAL, "ttl": "1h"}},
    ]
    with pytest.raises(anthropic.BadRequestError, match="system.1.cache_control.ttl: a ttl='1h'"):
        ask(client, system=blocks)
    assert written(ask(client, system=blocks[::-1])) == 0  # 1h then 5m is fine (and short)


def test_an_unknown_ttl_or_type_is_refused(client):
    with pytest.raises(anthropic.BadRequestError, match="ttl"):
        ask(client, system=system(ttl="2h"))
    with pytest.raises(anthropic.BadRequestError, match="type"):
        ask(client, system=[{"type": "text", "text": "x", "cache_control": {"type": "forever"}}])
    with pytest.raises(anthropic.BadRequestError, match="cache_control"):
        ask(client, cache_control={"type": "ephemeral", "ttl": "1d"})


def test_a_prefix_under_the_model_s_minimum_is_not_cached_silently(client):
    # ~1,200 tokens: over Haiku 5.5's 512, under Haiku 4.5's 4,096
    new = [ask(client, model=HAIKU) for _ in range(2)]
    old = [ask(client, model="claude-haiku-4-5") for _ in range(2)]
    assert written(new[0]) > 512 and read(new[1]) == written(new[0])
    assert [(written(m), read(m)) for m in old] == [(0, 0), (0, 0)]
    assert old[1].usage.input_tokens == whole(old[1])


def test_an_entry_lives_five_model_minutes_after_its_last_read(server, client):
    ask(client)
    server.advance(200)
    assert read(ask(client)) > 0  # read at 200 s: the lifetime starts again
    server.advance(200)
    assert read(ask(client)) > 0  # 400 s after the write, 200 s after the read
    server.advance(301)
    expired = ask(client)
    assert read(expired) == 0 and written(expired) > 0


def test_a_one_hour_entry_outlives_five_minutes_but_not_an_hour(server, client):
    hour = system(ttl="1h")
    ask(client, system=hour)
    server.advance(1_800)
    assert read(ask(client, system=hour)) > 0
    server.advance(3_601)
    assert read(ask(client, system=hour)) == 0


def test_each_key_and_each_model_has_its_own_cache(server, client):
    ask(client)
    other = anthropic.Anthropic(base_url=server.url, api_key="another-key", max_retries=0)
    assert read(ask(other)) == 0
    assert read(ask(client, model="claude-sonnet-5-5")) == 0
    assert read(ask(client)) > 0


def test_concurrent_first_requests_all_write_and_a_later_one_reads(sim):
    # at time_scale 1 each call takes over half a wall second: the three overlap, even though
    # the server answers them one after another (tens of milliseconds of CPU each)
    sim.configure(time_scale=1.0)
    client = anthropic.AsyncAnthropic(base_url=sim.url, api_key="k", max_retries=0)

    async def run():
        firsts = await asyncio.gather(
            *(
                client.messages.create(
                    model=HAIKU,
                    max_tokens=100,
                    system=system(),
                    messages=[{"role": "user", "content": f"Summarize: order {i} is late."}],
                )
                for i in range(3)
            )
        )
        after = await client.messages.create(
            model=HAIKU,
            max_tokens=100,
            system=system(),
            messages=[{"role": "user", "content": "Summarize: order 9 is late."}],
        )
        return firsts, after

    firsts, after = asyncio.run(run())
    assert all(written(m) > 1_000 and read(m) == 0 for m in firsts)
    assert read(after) == written(firsts[0])


def test_a_hit_answers_sooner_by_the_prompt_it_did_not_process(server, client):
    def timed(question: str) -> tuple[float, object]:
        raw = client.messages.with_raw_response.create(
            model=HAIKU,
            max_tokens=50,
            system=system(LONG),
            messages=[{"role": "user", "content": question}],
        )
        return float(raw.headers[wire.MODEL_SECONDS_HEADER]), raw.parse()

    cold_s, cold = timed("Summarize: order 5.")
    cold_log = server.log[-1]
    server.configure()  # the same draws again, on an empty cache
    timed("Summarize: order 6.")  # warms the cache
    warm_s, warm = timed("Summarize: order 5.")
    assert warm.content == cold.content  # caching never changes the answer
    saved = (1 - READ_TIME) * read(warm) / INPUT_TOKENS_PER_S
    assert read(warm) > 4_000 and warm_s == pytest.approx(cold_s - saved, abs=1e-3)
    # all of it before the first token: a stream's first event comes that much sooner
    cold_first, warm_first = cold_log["ttft_s"], server.log[-1]["ttft_s"]
    assert warm_first == pytest.approx(cold_first - saved, abs=1e-3)


def test_streaming_reports_the_cache_in_message_start(client):
    ask(client)
    with client.messages.stream(
        model=HAIKU,
        max_tokens=50,
        system=system(),
        messages=[{"role": "user", "content": "Summarize: order 2."}],
    ) as stream:
        final = stream.get_final_message()
    assert read(final) > 1_000 and final.usage.input_tokens < 30


def test_a_cached_call_is_billed_at_the_cache_prices(client):
    first, second = ask(client), ask(client, "Summarize: order 40 came late.")
    out = first.usage.output_tokens
    assert usage_cost_usd(HAIKU, first.usage) == pytest.approx(
        (first.usage.input_tokens + CACHE_WRITE["5m"] * written(first)) * 0.10 / 1e6
        + out * 0.50 / 1e6
    )
    assert usage_cost_usd(HAIKU, second.usage) == pytest.approx(
        cost_usd(HAIKU, second.usage.input_tokens, second.usage.output_tokens)
        + CACHE_READ * read(second) * 0.10 / 1e6
    )


def test_langchain_s_cache_options_reach_the_cache(server):
    from langchain_anthropic import ChatAnthropic
    from langchain_core.messages import HumanMessage, SystemMessage

    llm = ChatAnthropic(model=HAIKU, base_url=server.url, api_key="k", max_tokens=100)
    marked = SystemMessage(content=system())  # content blocks with their cache_control
    for question in ("Summarize: order 1.", "Summarize: order 2."):
        reply = llm.invoke([marked, HumanMessage(question)])
    details = reply.usage_metadata["input_token_details"]
    assert details["cache_read"] > 1_000 and details["cache_creation"] == 0
    # the `cache_control` keyword is the API's top-level (automatic) breakpoint
    plain = [SystemMessage(LONG), HumanMessage("Summarize: order 3.")]
    first = llm.invoke(plain, cache_control=EPHEMERAL).usage_metadata["input_token_details"]
    again = llm.invoke(plain, cache_control=EPHEMERAL).usage_metadata["input_token_details"]
    # LangChain reports a write under its lifetime's name when the API splits it
    wrote = first["ephemeral_5m_input_tokens"]
    assert wrote > 4_000 and again["cache_read"] == wrote


def test_llamaindex_s_cache_point_reaches_the_cache(server):
    from llama_index.core.base.llms.types import (
        CacheControl,
        CachePoint,
        ChatMessage,
        TextBlock,
    )
    from llama_index.llms.anthropic import Anthropic

    llm = Anthropic(model=HAIKU, base_url=server.url, api_key="k", max_tokens=100)

    def chat(question: str):
        blocks = [
            TextBlock(text=LONG),
            CachePoint(cache_control=CacheControl(type="ephemeral")),
            TextBlock(text=question),
        ]
        return llm.chat([ChatMessage(role="user", blocks=blocks)]).raw["usage"]

    first, second = chat("Summarize: order 1."), chat("Summarize: order 2.")
    assert first.cache_creation_input_tokens > 4_000
    assert second.cache_read_input_tokens == first.cache_creation_input_tokens


def test_breakpoints_never_change_the_answer(server, client):
    tool = {"name": "lookup", "description": "Find an order.", "input_schema": {"type": "object"}}
    plain = ask(client, tools=[tool], system="You answer questions.")
    server.configure()  # the same draws again
    marked = ask(
        client,
        tools=[{**tool, "cache_control": EPHEMERAL}],
        cache_control={**EPHEMERAL, "ttl": "5m"},
        system=[{"type": "text", "text": "You answer questions.", "cache_control": EPHEMERAL}],
    )
    # the id carries a digest of everything the answer depends on
    assert marked.id == plain.id and marked.content == plain.content
    assert marked.usage.input_tokens == whole(plain)


def test_a_change_to_thinking_misses_only_the_messages_part(client):
    turn = [{"type": "text", "text": LONG, "cache_control": EPHEMERAL}]
    kw = {"model": HAIKU, "max_tokens": 100, "system": system()}

    def send(**extra):
        return client.messages.create(messages=[{"role": "user", "content": turn}], **kw, **extra)

    first = send()
    switched = send(thinking={"type": "disabled"})
    # the system prompt's entry is read; the message block after it is written again
    assert 1_000 < read(switched) < written(first) and written(switched) > 4_000
    assert read(send()) == written(first)  # back to the first settings: all of it is read
