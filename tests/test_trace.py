"""Tests for orchestra.trace: spans as data, DataFrame, totals, redacted previews."""

import pytest
from fakes import fake_call
from pydantic import BaseModel

from orchestra.steps import step
from orchestra.trace import Trace
from orchestra.workflow import Workflow

pytestmark = pytest.mark.anyio


class S(BaseModel):
    text: str = ""
    n: int = 0


@step(writes="n")
async def two_calls(s: S) -> dict:
    fake_call(model="claude-haiku-5-5", tokens=(10, 5), cost=0.002)
    fake_call(
        model="claude-sonnet-5-5",
        tokens=(20, 7),
        cost=0.01,
        prompt="key=sk-ant-" + "api03-abcdefghijklmnopqrstuv",
    )
    return {"n": 1}


@step(writes="text")
async def echo(s: S) -> dict:
    return {"text": "done"}


async def test_spans_per_run_step_and_call():
    result = await Workflow("w", state=S, steps=[two_calls, echo]).run(S())
    kinds = [(s.kind, s.name) for s in result.trace]
    assert kinds == [
        ("workflow", "w"),
        ("step", "two_calls"),
        ("llm", "chat claude-haiku-5-5"),
        ("llm", "chat claude-sonnet-5-5"),
        ("step", "echo"),
    ]
    step_span = result.trace.steps()[0]
    assert (step_span.input_tokens, step_span.output_tokens) == (30, 12)
    assert step_span.cost_usd == pytest.approx(0.012) and step_span.model == "claude-sonnet-5-5"
    assert all(s.end >= s.start for s in result.trace)
    assert result.trace.total_cost == pytest.approx(0.012) and result.trace.total_tokens == 42


async def test_dataframe_has_one_row_per_span_and_documented_columns():
    result = await Workflow("w", state=S, steps=[two_calls, echo]).run(S())
    df = result.trace.to_dataframe()
    assert len(df) == len(result.trace) == 5
    for col in (
        "id",
        "parent_id",
        "name",
        "kind",
        "key",
        "start",
        "end",
        "status",
        "attempts",
        "model",
        "input_tokens",
        "output_tokens",
        "cost_usd",
        "error",
        "input_preview",
        "output_preview",
        "duration_s",
    ):
        assert col in df.columns
    assert df[df.kind == "llm"].cost_usd.sum() == pytest.approx(0.012)
    assert "'text': 'done'" in df[df.name == "echo"].output_preview.iloc[0]


async def test_previews_are_redacted_and_short():
    @step(writes="text")
    async def leak(s: S) -> dict:
        return {"text": "api_key=sk-ant-" + "api03-SECRETSECRETSECRET " + "x" * 500}

    result = await Workflow("w", state=S, steps=[leak, two_calls]).run(S())
    records = result.trace.records()
    text = " ".join(r["input_preview"] + r["output_preview"] for r in records)
    assert "SECRET" not in text and "abcdefghijklmnop" not in text and "[REDACTED]" in text
    assert max(len(r["output_preview"]) for r in records) <= 120


def test_empty_trace_totals():
    t = Trace()
    assert (len(t), t.total_cost, t.total_tokens) == (0, 0, 0)
    assert list(t.to_dataframe().columns)[:3] == ["id", "parent_id", "name"]


def test_log_line_keeps_the_gist_of_an_error():
    from orchestra.trace import _short

    sdk = (
        "RetryableLLMError: claude-haiku-5-5: HTTP 529: Error code: 529 - {'type': 'error', "
        "'request_id': 'req_sim_00000042', 'error': {'type': 'overloaded_error'}} (retry later)"
    )
    assert _short(sdk) == "RetryableLLMError: claude-haiku-5-5: HTTP 529: Error code: 529"


async def test_log_steps_prints_one_line_per_step_replays_included():
    import io

    from orchestra.checkpoint import MemoryStore
    from orchestra.trace import log_steps

    state = {"fail": True}

    @step(writes="n")
    async def first(s: S) -> dict:
        return {"n": 1}

    @step(writes="n")
    async def second(s: S) -> dict:
        if state["fail"]:
            raise ValueError("boom")
        return {"n": 2}

    out = io.StringIO()
    log_steps(stream=out)
    try:
        wf, store = Workflow("logged", state=S, steps=[first, second]), MemoryStore()
        result = await wf.run(S(), store=store)
        state["fail"] = False
        await wf.resume(result.run_id, store)
    finally:
        log_steps(False)
    lines = [line.split()[1:3] for line in out.getvalue().splitlines()]
    assert lines == [
        ["00.first", "ok"],
        ["01.second", "error"],
        ["00.first", "replayed"],
        ["01.second", "ok"],
    ]
    assert "ValueError: boom" in out.getvalue().splitlines()[1]


async def test_changes_is_the_per_step_state_diff():
    @step(writes="n")
    async def same(s: S) -> dict:
        return {"n": s.n}  # written, but unchanged: not a change

    result = await Workflow("w", state=S, steps=[two_calls, echo, same]).run(S())
    assert result.trace.changes() == [
        {
            "key": "00.two_calls",
            "step": "two_calls",
            "status": "ok",
            "field": "n",
            "before": 0,
            "after": 1,
        },
        {
            "key": "01.echo",
            "step": "echo",
            "status": "ok",
            "field": "text",
            "before": "",
            "after": "done",
        },
    ]
    assert result.trace.steps()[0].changes() == {"n": (0, 1)}
    assert [s for s in result.trace if s.kind != "step" and s.changes()] == []


@step(writes="n")
async def cached_calls(s: S) -> dict:
    from orchestra.calls import Call, record

    for written, read, batch in ((1000, 0, False), (0, 1000, False), (0, 1000, True)):
        record(
            Call(
                "claude-haiku-5-5",
                1.0,
                2.0,
                "ok",
                100,
                10,
                0.001,
                cache_write_tokens=written,
                cache_read_tokens=read,
                batch=batch,
            )
        )
    return {"n": 1}


async def test_cache_writes_and_reads_reach_the_step_the_trace_and_the_log(capsys):
    from orchestra.trace import log_steps

    log_steps()
    try:
        result = await Workflow("w", state=S, steps=[cached_calls]).run(S())
    finally:
        log_steps(False)
    trace = result.trace
    step_span = trace.steps()[0]
    assert (step_span.cache_write_tokens, step_span.cache_read_tokens) == (1000, 2000)
    assert (trace.cache_write_tokens, trace.cache_read_tokens) == (1000, 2000)
    assert trace.total_tokens == 3 * 110 + 3000  # every prompt token, cached or not
    assert trace.cache_hit_rate == pytest.approx(2000 / 3300)
    df = trace.to_dataframe()
    assert df[df.kind == "llm"].batch.tolist() == [False, False, True]
    assert "from cache" in capsys.readouterr().out
    assert Trace().cache_hit_rate == 0.0
