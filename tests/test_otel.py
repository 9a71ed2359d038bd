"""Tests for orchestra.otel: spans exported with GenAI attribute names and their tree."""

import pytest
from fakes import fake_call
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode
from pydantic import BaseModel

from orchestra.errors import FatalLLMError
from orchestra.otel import export
from orchestra.steps import step
from orchestra.workflow import Workflow

pytestmark = pytest.mark.anyio


class S(BaseModel):
    n: int = 0


@step(writes="n")
async def ask(s: S) -> dict:
    fake_call(
        model="claude-haiku-5-5",
        tokens=(12, 3),
        prompt="api_key=sk-ant-" + "api03-abcdefghijklmnop",
    )
    return {"n": 1}


@step(writes="n")
async def broken(s: S) -> dict:
    raise FatalLLMError("400", status=400)


async def test_export_keeps_tree_times_and_genai_attributes():
    result = await Workflow("w", state=S, steps=[ask, broken]).run(S())
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    assert export(result.trace, provider) == len(result.trace)
    spans = {s.name: s for s in memory.get_finished_spans()}
    llm, step_span, root = spans["chat claude-haiku-5-5"], spans["ask"], spans["w"]
    assert llm.attributes["gen_ai.operation.name"] == "chat"
    assert llm.attributes["gen_ai.provider.name"] == "anthropic"
    assert llm.attributes["gen_ai.system"] == "anthropic"
    assert llm.attributes["gen_ai.request.model"] == "claude-haiku-5-5"
    assert (
        llm.attributes["gen_ai.usage.input_tokens"],
        llm.attributes["gen_ai.usage.output_tokens"],
    ) == (12, 3)
    assert "sk-ant" not in llm.attributes["orchestra.input_preview"]
    assert llm.parent.span_id == step_span.context.span_id
    assert step_span.parent.span_id == root.context.span_id
    assert llm.context.trace_id == root.context.trace_id
    ours = result.trace.steps()[0]
    assert step_span.start_time == int(ours.start * 1e9)
    assert spans["broken"].status.status_code == StatusCode.ERROR
    assert root.status.status_code == StatusCode.ERROR  # the run was aborted


async def test_finish_reason_is_exported_when_known():
    @step(writes="n")
    async def cut(s: S) -> dict:
        fake_call(model="claude-haiku-5-5", output="Hello, I have")
        return {"n": 1}

    result = await Workflow("w", state=S, steps=[cut]).run(S())
    llm = next(s for s in result.trace if s.kind == "llm")
    llm.stop_reason = "max_tokens"
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    export(result.trace, provider)
    span = next(s for s in memory.get_finished_spans() if s.name.startswith("chat"))
    assert span.attributes["gen_ai.response.finish_reasons"] == ("max_tokens",)


def test_otlp_provider_names_the_project():
    from orchestra.otel import otlp_provider

    provider = otlp_provider("http://127.0.0.1:9/v1/traces", project="chapter-10")
    assert provider.resource.attributes["openinference.project.name"] == "chapter-10"
    provider.shutdown()


async def test_personal_data_is_redacted_and_versions_stamp_every_span():
    @step(writes="n")
    async def draft(s: S) -> dict:
        fake_call(model="claude-haiku-5-5", prompt="Refund to 4242 4242 4242 4242, jo@example.com")
        return {"n": 1}

    result = await Workflow("w", state=S, steps=[draft]).run(S())
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    export(result.trace, provider, attributes={"app.prompt_version": "draft-1"})
    spans = memory.get_finished_spans()
    assert all(s.attributes["app.prompt_version"] == "draft-1" for s in spans)
    llm = next(s for s in spans if s.name.startswith("chat"))
    preview = llm.attributes["orchestra.input_preview"]
    assert "4242" not in preview and "jo@example.com" not in preview
    assert "[CARD]" in preview and "[EMAIL]" in preview
    memory.clear()
    export(result.trace, provider, redact=lambda text: text)  # the caller's choice
    llm = next(s for s in memory.get_finished_spans() if s.name.startswith("chat"))
    assert "jo@example.com" in llm.attributes["orchestra.input_preview"]
