"""A real-looking API key never lands in what a run leaves behind.

The key is set as the user would (``ANTHROPIC_API_KEY``) and used for real: the client sends it
(to the simulator, standing in for the API) on every call. Then every artifact is scanned:
the SQLite checkpoint file, the trace records and DataFrame, the OpenTelemetry export, the
step log, the reply and the client's repr, and the simulator's own request log.
"""

from __future__ import annotations

import asyncio
import io
import json

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import BaseModel

from orchestra import LLM, SqliteStore, Workflow, log_steps, step
from orchestra.otel import export

KEY = "sk-ant-" + "api03-" + "Zq7TestOnlyKeyThatMustNeverLeak0000000000"  # split: no scanner alarm


class Note(BaseModel):
    text: str
    summary: str | None = None


def test_the_key_appears_in_no_artifact(sim, monkeypatch, tmp_path):
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    seen_keys = []
    sim_log = io.StringIO()

    async def go():
        llm = LLM(backend="anthropic", base_url=sim.url)  # reads the key, sends it

        @step(writes="summary")
        async def summarize(n: Note) -> dict:
            reply = await llm.ask(f"Summarize in one sentence: {n.text}")
            seen_keys.append(repr(llm))
            return {"summary": reply.text}

        store = SqliteStore(tmp_path / "runs.db")
        log_steps(stream=sim_log)
        try:
            result = await Workflow("secret", state=Note, steps=[summarize]).run(
                Note(text="The meeting moved to Friday. Bring the Q3 numbers."), store=store
            )
        finally:
            log_steps(False)
            await llm.aclose()
        return result

    result = asyncio.run(go())
    assert result.status == "completed"
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    export(result.trace, provider)

    artifacts = {
        "checkpoint file": b"".join(p.read_bytes() for p in tmp_path.iterdir()).decode("latin-1"),
        "trace records": json.dumps(result.trace.records(), default=str),
        "trace dataframe": result.trace.to_dataframe().to_csv(),
        "otel spans": json.dumps([dict(s.attributes) for s in exporter.get_finished_spans()]),
        "step log": sim_log.getvalue(),
        "client repr": " ".join(seen_keys),
        "result": repr(result),
        "simulator log": json.dumps(list(sim.log), default=str),
    }
    assert sim_log.getvalue() and artifacts["checkpoint file"]  # there was something to scan
    leaks = [name for name, text in artifacts.items() if KEY in text or KEY[:20] in text]
    assert leaks == []


def test_a_key_pasted_into_a_prompt_is_redacted_in_previews(sim):
    async def go():
        async with LLM() as llm:

            @step(writes="summary")
            async def summarize(n: Note) -> dict:
                return {"summary": (await llm.ask(f"Summarize: {n.text}")).text}

            return await Workflow("pasted", state=Note, steps=[summarize]).run(
                Note(text=f"my key is {KEY}, keep it safe")
            )

    result = asyncio.run(go())
    previews = " ".join(r["input_preview"] + r["output_preview"] for r in result.trace.records())
    assert "[REDACTED]" in previews and KEY not in previews
