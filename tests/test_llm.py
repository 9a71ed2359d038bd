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


async def ask(prompt: str, model: str = "claude-haiku-4-5", **kw):
    """One call on a fresh client, closed afterwards (each test runs its own event loop)."""
    options = {k: kw.pop(k) for k in ("max_retries", "max_tokens") if k in kw}
    async with LLM(model, **options) as llm:
        return await llm.ask(prompt, **kw)


def test_ask_returns_text_usage_cost_and_latency(sim):
    reply = run(ask("Summarize: Rain fell all day. The river rose.", "claude-sonnet-4-5"))
    assert reply.text and reply.model == "claude-sonnet-4-5" and reply.stop_reason == "end_turn"
    assert reply.cost_usd == pytest.approx(
        (reply.input_tokens * 3 + reply.output_tokens * 15) / 1e6
    )
    assert reply.cost_usd == cost_usd("claude-sonnet-4-5", reply.input_tokens, reply.output_tokens)
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
    assert isinstance(reply.data, Ticket) and reply.stop_reason == "tool_use"


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
        run(ask("x", temperature=3.0, max_retries=0))  # the API rejects it: 400
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
    base = LLM("claude-opus-4-5", max_tokens=77)
    cheap = base.with_model("claude-haiku-4-5")
    assert (cheap.model, cheap.max_tokens, base.model) == (
        "claude-haiku-4-5",
        77,
        "claude-opus-4-5",
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
        async with LLM("claude-haiku-4-5") as llm:

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
        async with LLM("claude-haiku-4-5", max_retries=2) as llm:

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
    llm = LLM("claude-haiku-4-5", max_retries=0)
    first = run(llm.ask("Summarize: Rain fell all day."))
    second = run(llm.ask("Summarize: The river rose."))
    assert first.text and second.text
    run(llm.aclose())
