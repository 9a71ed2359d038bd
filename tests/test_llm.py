"""The orchestra LLM client against the simulator."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from typing import Literal

import pytest
from pydantic import BaseModel

from orchestra.errors import ConfigError, FatalLLMError, OutputFormatError, RetryableLLMError
from orchestra.llm import LLM, is_retryable, recording
from orchestra.policies import Retry
from orchestra.sim import Faults, Rule, cost_usd
from orchestra.steps import step
from orchestra.workflow import Workflow


class Ticket(BaseModel):
    """A classified support ticket."""

    category: Literal["billing", "technical", "account"]
    urgent: bool


def run(coro):
    return asyncio.run(coro)


async def ask(prompt: str, model: str = "claude-haiku-5-5", **kw):
    """One call on a fresh client, closed afterwards (each test runs its own event loop)."""
    options = {k: kw.pop(k) for k in ("max_retries", "max_tokens", "backend") if k in kw}
    async with LLM(model, **options) as llm:
        return await llm.ask(prompt, **kw)


def test_ask_returns_text_usage_cost_and_latency(sim):
    reply = run(ask("Summarize: Rain fell all day. The river rose.", "claude-sonnet-5-5"))
    assert reply.text and reply.model == "claude-sonnet-5-5" and reply.stop_reason == "end_turn"
    assert reply.cost_usd == pytest.approx(
        (reply.input_tokens * 2 + reply.output_tokens * 10) / 1e6
    )
    assert reply.cost_usd == cost_usd("claude-sonnet-5-5", reply.input_tokens, reply.output_tokens)
    assert 0 < reply.thinking_tokens < reply.output_tokens  # Sonnet 5.5 thinks by default
    assert reply.latency_s > 0 and reply.model_s > 0.3


def test_the_call_record_keeps_the_stop_reason(sim):
    sim.configure(faults=Faults(truncate=1.0))
    with recording() as calls:
        reply = run(ask("Write a short reply to this customer: my parcel is late."))
    assert reply.stop_reason == "max_tokens" and calls[0].stop_reason == "max_tokens"


def test_schema_answers_are_validated_models(sim):
    reply = run(
        ask("Classify this ticket: my card was charged twice, refund me now!", schema=Ticket)
    )
    assert isinstance(reply.data, Ticket) and reply.stop_reason == "end_turn"


def test_schema_mismatch_is_output_format_error(sim):
    sim.configure(faults=Faults(bad_json=1.0))  # a tool answer loses a field
    with pytest.raises(OutputFormatError, match="does not fit Ticket") as info:
        run(ask("Classify: my card was charged twice.", schema=Ticket, max_retries=0))
    assert is_retryable(info.value)


def test_errors_are_named_and_classified(sim):
    sim.configure(faults=Faults(plan=[Rule("overloaded", match="first")]))
    with pytest.raises(RetryableLLMError) as info:
        run(ask("first question", max_retries=0))
    assert info.value.status == 529 and is_retryable(info.value)
    with pytest.raises(FatalLLMError) as info:
        run(ask("x", effort="ultra", max_retries=0))  # the API rejects it: 400
    assert info.value.status == 400 and not is_retryable(info.value)
    assert "retrying will not help" in str(info.value)


def test_recording_collects_every_call_even_failures(sim):
    sim.configure(faults=Faults(plan=[Rule("server_error", match="second")]))

    async def two():
        with recording() as calls:
            await ask("first question", max_retries=0)
            with pytest.raises(RetryableLLMError):
                await ask("second question", max_retries=0)
        return calls

    calls = run(two())
    assert [c.status for c in calls] == ["ok", "error"]
    assert calls[0].output_tokens > 0 and calls[0].cost_usd > 0 and "500" in calls[1].error


def test_with_model_changes_only_the_model(sim):
    base = LLM("claude-opus-5-5", max_tokens=77)
    cheap = base.with_model("claude-haiku-5-5")
    assert (cheap.model, cheap.max_tokens, base.model) == (
        "claude-haiku-5-5",
        77,
        "claude-opus-5-5",
    )


def test_config_errors_say_what_to_do(sim, monkeypatch):
    with pytest.raises(ConfigError, match="unknown backend"):
        LLM(backend="openai")
    with pytest.raises(ConfigError, match="unknown model"):
        LLM("gpt-4")
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="ANTHROPIC_API_KEY"):
        LLM(backend="anthropic")
    monkeypatch.delenv("ANTHROPIC_BASE_URL")
    with pytest.raises(ConfigError, match="orchestra.sim.start"):
        LLM()


def test_real_backend_never_goes_to_the_simulator_url(sim, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-api03-" + "x" * 30)
    llm = LLM(backend="anthropic")
    assert str(llm._client.base_url).startswith("https://api.anthropic.com")
    assert "sk-ant" not in repr(llm)


def test_nothing_reads_the_key_at_import():
    code = """
import os, sys
seen = []
class Watch(dict):
    def get(self, k, d=None):
        seen.append(k); return super().get(k, d)
    def __getitem__(self, k):
        seen.append(k); return super().__getitem__(k)
os.environ = Watch(os.environ)
import orchestra, orchestra.llm, orchestra.sim
import pkgutil, importlib
for m in pkgutil.walk_packages(orchestra.__path__, 'orchestra.'):
    importlib.import_module(m.name)
print('ANTHROPIC_API_KEY' in seen)
"""
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "ANTHROPIC_API_KEY": "sk-ant-secret"},
        check=True,
    )
    assert out.stdout.strip() == "False"


def test_httpx_can_still_be_chosen(sim):
    import anthropic
    import httpx_aiohttp

    async def go():
        async with LLM(http_client=anthropic.DefaultAsyncHttpxClient()) as llm:
            assert not isinstance(llm._client._client, httpx_aiohttp.HttpxAiohttpClient)
            return await llm.ask("Summarize: Rain fell all day. The river rose.")

    reply = run(go())
    assert reply.text and reply.input_tokens > 0


def test_an_llm_never_closed_is_closed_quietly_when_collected(sim):
    """aiohttp reports an unclosed session on its loop's error handler, which prints into
    whatever notebook cell is running; an LLM nobody closed must close itself instead."""
    code = f"""
import asyncio, gc, logging
import httpx_aiohttp
from orchestra.llm import LLM
logging.basicConfig(level=logging.WARNING)

async def use():
    llm = LLM(base_url={sim.url!r})
    assert isinstance(llm._client._client, httpx_aiohttp.HttpxAiohttpClient)  # the default
    await asyncio.gather(*(llm.ask(f"Say hi {{i}}") for i in range(4)))
    return llm

async def main():  # collected while its loop runs, as in a notebook
    llm = await use()
    session = llm._client._client._transport.client
    del llm
    gc.collect()
    await asyncio.sleep(0.05)
    assert session.closed and session.connector is None, session
    print("closed in its loop")

asyncio.run(main())
llm = asyncio.run(use())  # collected after its loop is gone, as after asyncio.run
del llm
gc.collect()
print("collected after its loop")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == ["closed in its loop", "collected after its loop"]
    assert "Unclosed" not in out.stderr and "never awaited" not in out.stderr, out.stderr


class Triage(BaseModel):
    ticket: str = "my card was charged twice, refund me now!"
    label: Ticket | None = None


def billed(sim, since: int) -> list[dict]:
    """The simulator's answered (billed) requests since log entry ``since``."""
    return [e for e in list(sim.log)[since:] if e["status"] == 200]


def test_answers_that_fail_the_schema_are_charged(sim):
    sim.configure(faults=Faults(bad_json=1.0))  # every tool answer loses a field
    since = len(sim.log)

    async def go():
        async with LLM("claude-haiku-5-5") as llm:

            @step(writes="label", retry=Retry(max_attempts=5, base_delay=0.001))
            async def classify(s: Triage) -> dict:
                reply = await llm.ask(f"Classify this ticket: {s.ticket}", schema=Ticket)
                return {"label": reply.data}

            return await Workflow("triage", state=Triage, steps=[classify]).run(Triage())

    result = run(go())
    calls = billed(sim, since)
    assert result.status == "aborted" and len(calls) == 5
    paid = sum(cost_usd(e["model"], e["input_tokens"], e["output_tokens"]) for e in calls)
    assert paid > 0 and result.cost_usd == pytest.approx(paid)


def test_one_retry_layer_under_a_retry_policy(sim):
    sim.configure(faults=Faults(overloaded=1.0))  # every request answers 529
    since = len(sim.log)

    async def go():
        async with LLM("claude-haiku-5-5", max_retries=2) as llm:

            @step(writes="label", retry=Retry(max_attempts=4, base_delay=0.001))
            async def classify(s: Triage) -> dict:
                reply = await llm.ask(f"Classify this ticket: {s.ticket}", schema=Ticket)
                return {"label": reply.data}

            return await Workflow("triage", state=Triage, steps=[classify]).run(Triage())

    result = run(go())
    requests = [e for e in list(sim.log)[since:] if e["status"] == 529]
    assert len(requests) == 4  # not 4 x 3: the SDK does not retry under the policy
    assert result.status == "aborted" and result.trace.steps()[0].attempts == 4
    llm_spans = [s for s in result.trace if s.kind == "llm"]
    assert len(llm_spans) == 4 and all(s.attempts == 1 for s in llm_spans)


def test_sdk_retries_outside_a_policy_are_counted(sim):
    sim.configure(faults=Faults(plan=[Rule("overloaded", match="twice", nth=[1, 2])]))
    since = len(sim.log)

    async def go():
        with recording() as calls:
            await ask("Summarize, failing twice: Rain fell all day.", max_retries=2)
        return calls

    calls = run(go())
    assert len(list(sim.log)[since:]) == 3  # two 529s, then the answer
    assert len(calls) == 1 and calls[0].requests == 3


def test_one_llm_serves_several_event_loops(sim):
    """A script may call ``asyncio.run`` twice with one LLM: its connections belong to the
    first loop, so the second opens its own instead of failing with a connection error."""
    llm = LLM("claude-haiku-5-5", max_retries=0)
    first = run(llm.ask("Summarize: Rain fell all day."))
    second = run(llm.ask("Summarize: The river rose."))
    assert first.text and second.text
    run(llm.aclose())


# ---------------------------------------------------------------- today's models


def _captured(answer: dict | None = None):
    """An HTTP client that records each request body and answers with ``answer``."""
    import json

    import httpx

    bodies: list[dict] = []
    content = [
        {
            "type": "thinking",
            "thinking": "Two labels; the charge says billing.",
            "signature": "sig",
        },
        {"type": "text", "text": "billing"},
    ]
    reply = answer or {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-haiku-5-5",
        "content": content,
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {
            "input_tokens": 20,
            "output_tokens": 30,
            "output_tokens_details": {"thinking_tokens": 28},
        },
    }

    def handle(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(200, json=reply)

    return httpx.AsyncClient(transport=httpx.MockTransport(handle)), bodies


def test_a_model_that_takes_no_temperature_is_sent_none(recwarn):
    client, bodies = _captured()
    llm = LLM("claude-haiku-5-5", base_url="http://sim.invalid", http_client=client)
    reply = run(llm.ask("Classify: I was charged twice", temperature=0.0, effort="low"))
    assert "temperature" not in bodies[0] and bodies[0]["output_config"] == {"effort": "low"}
    assert [str(w.message) for w in recwarn if "takes no temperature" in str(w.message)]
    # the answer is read by block type: the thinking block before it is not the answer
    assert reply.text == "billing" and reply.thinking.startswith("Two labels")
    assert reply.thinking_tokens == 28 and reply.output_tokens == 30


def test_a_model_that_takes_a_temperature_gets_it():
    client, bodies = _captured()
    llm = LLM("claude-haiku-4-5", base_url="http://sim.invalid", http_client=client)
    run(llm.ask("hi", temperature=0.0, thinking={"type": "enabled", "budget_tokens": 1024}))
    assert bodies[0]["temperature"] == 0.0
    assert bodies[0]["thinking"] == {"type": "enabled", "budget_tokens": 1024}
    run(llm.ask("hi"))
    assert "temperature" not in bodies[1] and "thinking" not in bodies[1]


def test_structured_output_asks_for_json_not_a_forced_tool():
    answer = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-5-5",
        "content": [
            {"type": "thinking", "thinking": "", "signature": "s"},
            {"type": "text", "text": '{"category": "billing", "urgent": true}'},
        ],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 20, "output_tokens": 30},
    }
    client, bodies = _captured(answer)
    llm = LLM("claude-sonnet-5-5", base_url="http://sim.invalid", http_client=client)
    reply = run(llm.ask("Classify: charged twice", schema=Ticket, effort="high"))
    sent = bodies[0]
    assert "tools" not in sent and "tool_choice" not in sent
    assert sent["output_config"]["effort"] == "high"
    assert sent["output_config"]["format"]["type"] == "json_schema"
    assert sent["output_config"]["format"]["schema"]["additionalProperties"] is False
    assert reply.data == Ticket(category="billing", urgent=True) and reply.thinking_tokens == 0


def test_thinking_that_eats_max_tokens_is_a_named_error_for_structured_output():
    answer = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-haiku-5-5",
        "content": [{"type": "thinking", "thinking": "Let me see...", "signature": "s"}],
        "stop_reason": "max_tokens",
        "stop_sequence": None,
        "usage": {
            "input_tokens": 20,
            "output_tokens": 16,
            "output_tokens_details": {"thinking_tokens": 16},
        },
    }
    client, _ = _captured(answer)
    llm = LLM(base_url="http://sim.invalid", http_client=client, max_tokens=16)
    with recording() as calls, pytest.raises(OutputFormatError, match="thinking used up"):
        run(llm.ask("Classify: charged twice", schema=Ticket))
    assert calls[0].thinking_tokens == 16 and calls[0].stop_reason == "max_tokens"


def test_a_retired_model_is_refused_before_any_request_with_its_replacement():
    with pytest.raises(ConfigError, match="retired on 2026-11-30.*claude-sonnet-5-5"):
        LLM("claude-sonnet-4-5", base_url="http://sim.invalid")
    with pytest.raises(ConfigError, match="retired"):
        LLM(base_url="http://sim.invalid").with_model("claude-sonnet-4-5-20250929")


def test_a_deprecated_model_warns_once_naming_its_end_of_life():
    import warnings

    from orchestra import llm as llm_module

    llm_module._warned.discard(("deprecated", "claude-opus-4-5"))
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        LLM("claude-opus-4-5", base_url="http://sim.invalid")
        LLM("claude-opus-4-5", base_url="http://sim.invalid")
    said = [str(w.message) for w in seen if issubclass(w.category, DeprecationWarning)]
    assert said == [
        "claude-opus-4-5 is deprecated and reaches end of life on 2027-01-22; "
        "move to claude-opus-5-5"
    ]
    assert seen[0].filename == __file__  # it points at the caller's line, not the package


def test_with_changes_settings_and_refuses_unknown_ones():
    base = LLM(base_url="http://sim.invalid", effort="low")
    strong = base.with_(model="claude-opus-5-5", effort="high")
    assert (strong.model, strong.effort, base.model, base.effort) == (
        "claude-opus-5-5",
        "high",
        "claude-haiku-5-5",
        "low",
    )
    with pytest.raises(ConfigError, match="cannot change"):
        base.with_(seed=3)


def test_a_retry_escalates_what_the_policy_says():
    client, bodies = _captured()
    llm = LLM(base_url="http://sim.invalid", http_client=client)
    policy = Retry(
        max_attempts=3, base_delay=0.0, escalate=({"effort": "high"}, {"model": "claude-opus-5-5"})
    )
    attempts = []

    @step(retry=policy, writes="label")
    async def classify(state: Triage, ctx) -> dict:
        reply = await ctx.llm(llm).ask("Classify: charged twice")
        attempts.append(reply.text)
        if ctx.attempt < 3:
            raise OutputFormatError("not yet", model=llm.model)
        return {"label": Ticket(category="billing", urgent=False)}

    result = run(Workflow("triage", state=Triage, steps=[classify]).run(Triage()))
    assert result.status == "completed" and len(attempts) == 3
    assert [s.effort for s in result.trace if s.kind == "llm"] == ["medium", "high", "high"]
    sent = [(b["model"], b.get("output_config")) for b in bodies]
    assert sent == [
        ("claude-haiku-5-5", None),
        ("claude-haiku-5-5", {"effort": "high"}),
        ("claude-opus-5-5", {"effort": "high"}),
    ]


def test_escalate_must_be_dicts():
    with pytest.raises(ConfigError, match="tuple of dicts"):
        Retry(escalate={"effort": "high"})


def test_a_small_max_tokens_is_eaten_by_thinking_on_the_simulator(sim):
    prompt = "Plan the steps to migrate a billing database to a new region, then check the plan."
    short = run(ask(prompt, "claude-opus-5-5", max_tokens=60, effort="high"))
    # the model thought until max_tokens and never got to the answer: billed, and empty
    assert short.stop_reason == "max_tokens" and short.text == ""
    assert short.thinking_tokens == short.output_tokens == 60 and short.cost_usd > 0
    roomy = run(ask(prompt, "claude-opus-5-5", max_tokens=4096, effort="high"))
    assert roomy.stop_reason == "end_turn" and roomy.text
    assert 60 < roomy.thinking_tokens < roomy.output_tokens
    low = run(ask(prompt, "claude-opus-5-5", max_tokens=4096, effort="low"))
    assert low.thinking_tokens < roomy.thinking_tokens  # less effort, less thinking


def test_a_call_that_fails_after_the_sdk_retried_counts_every_request(sim):
    sim.configure(faults=Faults(overloaded=1.0))
    since = len(sim.log)
    with recording() as calls, pytest.raises(RetryableLLMError):
        run(ask("Summarize: Rain fell all day.", max_retries=2))
    assert len(list(sim.log)[since:]) == 3 and calls[0].requests == 3


def test_the_real_backend_has_no_simulated_seconds_even_against_a_simulator(sim, monkeypatch):
    monkeypatch.setenv("ORCHESTRA_ANTHROPIC_URL", sim.url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "placeholder")
    reply = run(ask("Summarize: Rain fell all day.", backend="anthropic"))
    assert reply.text and reply.model_s is None


def test_two_clients_sharing_one_http_client_count_each_request_once():
    import httpx

    refuse = {"type": "error", "error": {"type": "invalid_request_error", "message": "no"}}
    client = httpx.AsyncClient(
        transport=httpx.MockTransport(lambda r: httpx.Response(400, json=refuse))
    )
    first = LLM(base_url="http://sim.invalid", http_client=client)
    LLM("claude-opus-5-5", base_url="http://sim.invalid", http_client=client)
    with recording() as calls, pytest.raises(FatalLLMError):
        run(first.ask("hi"))
    assert calls[0].requests == 1


# ---------------------------------------------------------------- prompt caching and batches


def _message(usage: dict, text: str = "billing") -> dict:
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-haiku-5-5",
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": usage,
    }


CACHED_USAGE = {
    "input_tokens": 50,
    "output_tokens": 10,
    "cache_creation_input_tokens": 3000,
    "cache_read_input_tokens": 4000,
    "cache_creation": {"ephemeral_5m_input_tokens": 1000, "ephemeral_1h_input_tokens": 2000},
}


def test_cache_marks_the_system_prompt_and_a_block_as_breakpoints():
    from orchestra.llm import block

    client, bodies = _captured(_message(CACHED_USAGE))
    llm = LLM("claude-haiku-5-5", base_url="http://sim.invalid", http_client=client)
    reply = run(
        llm.ask(
            [block("the policy", cache="1h"), block("Is this covered?")],
            system="Rules.",
            cache="5m",
        )
    )
    sent = bodies[0]
    assert sent["system"] == [
        {"type": "text", "text": "Rules.", "cache_control": {"type": "ephemeral", "ttl": "5m"}}
    ]
    assert sent["messages"] == [
        {
            "role": "user",
            "content": [
                {
                    "type": "text",
                    "text": "the policy",
                    "cache_control": {"type": "ephemeral", "ttl": "1h"},
                },
                {"type": "text", "text": "Is this covered?"},
            ],
        }
    ]
    # the usage's cache fields, billed at the cache prices: 5m writes 1.25x, 1h 2x, reads 0.1x
    assert (reply.cache_write_tokens, reply.cache_read_tokens) == (3000, 4000)
    assert reply.prompt_tokens == 7050 and reply.input_tokens == 50
    rate = 0.10  # Haiku 5.5's input price per million tokens
    want = (50 * rate + 1000 * 1.25 * rate + 2000 * 2 * rate + 4000 * 0.1 * rate + 10 * 0.5) / 1e6
    assert reply.cost_usd == pytest.approx(want)
    # without cache=, the system prompt stays a plain string, as before
    run(llm.ask("hi", system="Rules."))
    assert bodies[1]["system"] == "Rules."


def test_the_call_record_carries_the_cache_tokens():
    client, _ = _captured(_message(CACHED_USAGE))
    llm = LLM("claude-haiku-5-5", base_url="http://sim.invalid", http_client=client)
    with recording() as calls:
        reply = run(llm.ask("hi", system="Rules.", cache="1h"))
    assert (calls[0].cache_write_tokens, calls[0].cache_read_tokens) == (3000, 4000)
    assert calls[0].cost_usd == reply.cost_usd and calls[0].batch is False


def test_a_bad_cache_setting_is_a_config_error_before_any_request():
    from orchestra.llm import block

    client, bodies = _captured()
    llm = LLM("claude-haiku-5-5", base_url="http://sim.invalid", http_client=client)
    with pytest.raises(ConfigError, match="'5m' or '1h'"):
        run(llm.ask("hi", system="Rules.", cache="10m"))
    with pytest.raises(ConfigError, match="no"):  # nothing to mark
        run(llm.ask("hi", cache="5m"))
    with pytest.raises(ConfigError, match="'5m' or '1h'"):
        block("doc", cache="forever")
    assert bodies == []


def test_request_is_the_body_ask_sends():
    client, bodies = _captured()
    llm = LLM("claude-haiku-5-5", base_url="http://sim.invalid", http_client=client, effort="low")
    body = llm.request("Summarize: x", system="Rules.", cache="1h", max_tokens=300)
    run(llm.ask("Summarize: x", system="Rules.", cache="1h", max_tokens=300))
    assert body == bodies[0] and body["output_config"] == {"effort": "low"}


def _batches_api(results: list[dict], polls_until_ended: int = 2):
    """An HTTP client that answers the Message Batches API: created, N polls, then results."""
    import json

    import httpx

    seen: list[tuple[str, str]] = []
    state = {"polls": 0}

    def status(ended: bool) -> dict:
        return {
            "id": "msgbatch_1",
            "type": "message_batch",
            "processing_status": "ended" if ended else "in_progress",
            "request_counts": {
                "processing": 0 if ended else len(results),
                "succeeded": len(results) if ended else 0,
                "errored": 0,
                "canceled": 0,
                "expired": 0,
            },
            "created_at": "2026-12-07T00:00:00Z",
            "ended_at": "2026-12-07T01:00:00Z" if ended else None,
            "expires_at": "2026-12-08T00:00:00Z",
            "archived_at": None,
            "cancel_initiated_at": None,
            "results_url": "http://sim.invalid/v1/messages/batches/msgbatch_1/results"
            if ended
            else None,
        }

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.path))
        if request.method == "POST":
            seen.append(("body", json.loads(request.content)))
            return httpx.Response(200, json=status(False))
        if request.url.path.endswith("/results"):
            lines = "\n".join(json.dumps(r) for r in results)
            return httpx.Response(200, content=lines.encode())
        state["polls"] += 1
        return httpx.Response(200, json=status(state["polls"] >= polls_until_ended))

    return httpx.AsyncClient(transport=httpx.MockTransport(handle)), seen


def test_batch_requests_go_through_the_sdk_and_results_are_billed_at_half_price():
    answered = {
        "custom_id": "b",
        "result": {"type": "succeeded", "message": _message(CACHED_USAGE, "second")},
    }
    errored = {
        "custom_id": "a",
        "result": {
            "type": "errored",
            "error": {
                "type": "error",
                "error": {"type": "invalid_request_error", "message": "max_tokens: too large"},
            },
        },
    }
    expired = {"custom_id": "c", "result": {"type": "expired"}}
    client, seen = _batches_api([answered, errored, expired])
    llm = LLM("claude-haiku-5-5", base_url="http://sim.invalid", http_client=client)
    body = llm.request("hi")
    created = run(llm.submit_batch({"a": body, "b": body, "c": body}))
    assert created["id"] == "msgbatch_1" and created["processing_status"] == "in_progress"
    assert seen[0] == ("POST", "/v1/messages/batches")
    assert seen[1][1]["requests"][0] == {"custom_id": "a", "params": body}
    assert run(llm.batch_status("msgbatch_1"))["processing_status"] == "in_progress"
    out = run(llm.batch_results("msgbatch_1"))
    assert out["b"].text == "second" and out["b"].cost_usd == pytest.approx(
        LLM_COST_OF_CACHED_USAGE / 2
    )
    assert isinstance(out["a"], FatalLLMError) and "max_tokens: too large" in str(out["a"])
    assert isinstance(out["c"], RetryableLLMError) and "expired" in str(out["c"])


LLM_COST_OF_CACHED_USAGE = (50 * 0.1 + 1000 * 0.125 + 2000 * 0.2 + 4000 * 0.01 + 10 * 0.5) / 1e6


POLICY = " ".join(
    f"Rule {i}: a refund over {i * 10} euros needs a second approver and a written reason."
    for i in range(60)
)  # about 1,400 tokens: above every model's minimum cacheable prefix


def test_a_cached_system_prompt_is_written_once_then_read_through_the_simulator(sim):
    async def twice():
        async with LLM("claude-haiku-5-5", effort="low") as llm:
            first = await llm.ask("Summarize: the parcel came late.", system=POLICY, cache="5m")
            second = await llm.ask(
                "Summarize: the card was charged twice.", system=POLICY, cache="5m"
            )
            plain = await llm.ask("Summarize: the card was charged twice.", system=POLICY)
        return first, second, plain

    first, second, plain = run(twice())
    assert first.cache_write_tokens > 1000 and first.cache_read_tokens == 0
    assert second.cache_read_tokens == first.cache_write_tokens and second.cache_write_tokens == 0
    assert plain.cache_read_tokens == plain.cache_write_tokens == 0
    assert plain.prompt_tokens == second.prompt_tokens  # the same prompt, billed differently
    assert second.cost_usd < plain.cost_usd < first.cost_usd
    assert second.model_s < plain.model_s  # a hit answers sooner
    log = [e for e in sim.log if e.get("status") == 200][-3:]
    assert [e["cache_read_input_tokens"] for e in log] == [0, second.cache_read_tokens, 0]
